//! The one error type of the crate, with a stable machine-readable [`Error::code`].
//!
//! Errors are `Clone` (one failed open or re-initialize is handed to every caller that waited on
//! it) and never carry header values or session ids in their text or `Debug` output.

use crate::json::Value;
use std::fmt;

/// Everything that can go wrong in the pool, its sessions and its configuration.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// `register_stdio` was called: edge runtimes cannot spawn processes.
    StdioUnsupported {
        /// The name the caller tried to register.
        server: String,
    },
    /// An option has an invalid value.
    InvalidConfig {
        /// The option's name, as the caller spells it.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An argument of a call has the wrong type or value.
    InvalidArgument {
        /// The argument's name.
        argument: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A server URL is not an absolute `http`/`https` URL without credentials.
    InvalidUrl {
        /// What is wrong with it (never the URL's userinfo).
        reason: String,
    },
    /// A server name does not match `^[A-Za-z0-9_-]{1,64}$`.
    InvalidServerName {
        /// The offending name, shortened if very long.
        name: String,
    },
    /// A server with this name is already registered.
    DuplicateServer {
        /// The name.
        server: String,
    },
    /// No server with this name is registered.
    UnknownServer {
        /// The name.
        server: String,
    },
    /// No tool of the pool-wide catalog has this qualified name.
    UnknownTool {
        /// The name.
        name: String,
    },
    /// The pool was closed.
    PoolClosed,
    /// The server's circuit is open: it failed repeatedly and has no live session, so getters
    /// fail fast until a probe gets through.
    CircuitOpen {
        /// The server.
        server: String,
        /// When a probe may be let through, in ms from now (0: a probe is under way).
        retry_in_ms: u64,
    },
    /// No lease became available within the acquire timeout.
    AcquireTimeout {
        /// The server.
        server: String,
        /// The timeout that expired.
        timeout_ms: u64,
    },
    /// A request got no response within its timeout (`notifications/cancelled` was sent).
    RequestTimeout {
        /// The server.
        server: String,
        /// The JSON-RPC method.
        method: String,
        /// The timeout that expired.
        timeout_ms: u64,
    },
    /// Opening a session failed (the server could not be reached or refused the handshake).
    ConnectFailed {
        /// The server.
        server: String,
        /// Why, as text (the underlying error's message).
        reason: String,
        /// The HTTP status of the failed handshake, if the server answered one.
        status: Option<u16>,
    },
    /// The server could not be reached, or the connection broke mid-exchange.
    Network {
        /// The server.
        server: String,
        /// What the runtime said.
        message: String,
    },
    /// The server answered with an HTTP status that is not a success.
    Http {
        /// The server.
        server: String,
        /// The HTTP status.
        status: u16,
        /// A short description, including the start of the body if it had one.
        message: String,
    },
    /// The server broke the MCP or JSON-RPC protocol (bad JSON, wrong content type, missing response).
    Protocol {
        /// The server.
        server: String,
        /// What was wrong.
        message: String,
    },
    /// The server answered the request with a JSON-RPC error.
    Rpc {
        /// The server.
        server: String,
        /// The JSON-RPC error code.
        code: i64,
        /// The server's message.
        message: String,
        /// The server's `data`, if any.
        data: Option<Value>,
    },
    /// The server insists on a protocol version this client does not speak.
    UnsupportedProtocolVersion {
        /// The server.
        server: String,
        /// The version the server answered with.
        version: String,
    },
    /// A body or SSE event exceeded the configured size limit, or a paginated list merged from
    /// its pages exceeded it (in bytes, or in items).
    ResponseTooLarge {
        /// The server.
        server: String,
        /// The limit, in `unit`s.
        limit: usize,
        /// What the limit counts.
        unit: SizeUnit,
    },
    /// The lease was already released.
    LeaseReleased,
    /// The lease belongs to another pool or another server.
    ForeignLease {
        /// Why the lease does not fit.
        reason: String,
    },
    /// The caller aborted the operation.
    Aborted,
    /// The session was closed (the pool evicted it or was closed).
    SessionClosed {
        /// The server.
        server: String,
    },
    /// The client could not get credentials for a request: the token provider or the DPoP proof
    /// maker failed, or gave something unusable. Nothing was sent with them.
    AuthFailed {
        /// The server.
        server: String,
        /// What the hook did.
        message: String,
        /// `Some(401)` when the hook was asked because the server answered `401`.
        status: Option<u16>,
    },
    /// An HTTP+SSE server (protocol 2024-11-05) named a message endpoint on another origin than
    /// its own URL: refused, so that this server's headers and messages go nowhere else.
    CrossOriginEndpoint {
        /// The server.
        server: String,
        /// The origin of the endpoint it named (`scheme://host[:port]`, or a short excerpt).
        origin: String,
    },
}

/// What a [`Error::ResponseTooLarge`] limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeUnit {
    /// Bytes of a body, an SSE event or a merged list.
    Bytes,
    /// Items of a list merged from its pages.
    Items,
}

impl fmt::Display for SizeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SizeUnit::Bytes => "bytes",
            SizeUnit::Items => "items",
        })
    }
}

impl Error {
    /// A stable, machine-readable code: JS callers branch on `err.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::StdioUnsupported { .. } => "STDIO_UNSUPPORTED",
            Error::InvalidConfig { .. } => "INVALID_CONFIG",
            Error::InvalidArgument { .. } => "INVALID_ARGUMENT",
            Error::InvalidUrl { .. } => "INVALID_URL",
            Error::InvalidServerName { .. } => "INVALID_SERVER_NAME",
            Error::DuplicateServer { .. } => "DUPLICATE_SERVER",
            Error::UnknownServer { .. } => "UNKNOWN_SERVER",
            Error::UnknownTool { .. } => "UNKNOWN_TOOL",
            Error::PoolClosed => "POOL_CLOSED",
            Error::CircuitOpen { .. } => "CIRCUIT_OPEN",
            Error::AcquireTimeout { .. } => "ACQUIRE_TIMEOUT",
            Error::RequestTimeout { .. } => "REQUEST_TIMEOUT",
            Error::ConnectFailed { .. } => "CONNECT_FAILED",
            Error::Network { .. } => "NETWORK_ERROR",
            Error::Http { .. } => "HTTP_ERROR",
            Error::Protocol { .. } => "PROTOCOL_ERROR",
            Error::Rpc { .. } => "RPC_ERROR",
            Error::UnsupportedProtocolVersion { .. } => "UNSUPPORTED_PROTOCOL_VERSION",
            Error::ResponseTooLarge { .. } => "RESPONSE_TOO_LARGE",
            Error::LeaseReleased => "LEASE_RELEASED",
            Error::ForeignLease { .. } => "FOREIGN_LEASE",
            Error::Aborted => "ABORTED",
            Error::SessionClosed { .. } => "SESSION_CLOSED",
            Error::CrossOriginEndpoint { .. } => "CROSS_ORIGIN_ENDPOINT",
            Error::AuthFailed { .. } => "AUTH_FAILED",
        }
    }

    /// The server the error concerns, where there is one.
    pub fn server(&self) -> Option<&str> {
        match self {
            Error::StdioUnsupported { server }
            | Error::DuplicateServer { server }
            | Error::UnknownServer { server }
            | Error::CircuitOpen { server, .. }
            | Error::AcquireTimeout { server, .. }
            | Error::RequestTimeout { server, .. }
            | Error::ConnectFailed { server, .. }
            | Error::Network { server, .. }
            | Error::Http { server, .. }
            | Error::Protocol { server, .. }
            | Error::Rpc { server, .. }
            | Error::UnsupportedProtocolVersion { server, .. }
            | Error::ResponseTooLarge { server, .. }
            | Error::SessionClosed { server }
            | Error::CrossOriginEndpoint { server, .. }
            | Error::AuthFailed { server, .. } => Some(server),
            _ => None,
        }
    }

    /// The HTTP status, for [`Error::Http`] and a handshake that failed with one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            Error::ConnectFailed { status, .. } | Error::AuthFailed { status, .. } => *status,
            _ => None,
        }
    }

    /// The JSON-RPC error code, for [`Error::Rpc`].
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            Error::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The JSON-RPC error data, for [`Error::Rpc`].
    pub fn rpc_data(&self) -> Option<&Value> {
        match self {
            Error::Rpc { data, .. } => data.as_ref(),
            _ => None,
        }
    }

    pub(crate) fn protocol(server: &str, message: impl Into<String>) -> Self {
        Error::Protocol {
            server: server.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn invalid_argument(argument: &str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            argument: argument.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid_config(field: &str, reason: impl Into<String>) -> Self {
        Error::InvalidConfig {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::StdioUnsupported { server } => write!(
                f,
                "cannot register stdio server '{server}': edge runtimes (Workers, browsers) cannot spawn \
                 processes; run the server behind Streamable HTTP and use registerHttp instead"
            ),
            Error::InvalidConfig { field, reason } => write!(f, "invalid option '{field}': {reason}"),
            Error::InvalidArgument { argument, reason } => write!(f, "invalid argument '{argument}': {reason}"),
            Error::InvalidUrl { reason } => write!(f, "invalid server URL: {reason}"),
            Error::InvalidServerName { name } => write!(
                f,
                "invalid server name '{name}': use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"
            ),
            Error::DuplicateServer { server } => {
                write!(f, "a server named '{server}' is already registered; unregister it first")
            }
            Error::UnknownServer { server } => write!(f, "no server named '{server}' is registered"),
            Error::UnknownTool { name } => {
                write!(f, "no tool named '{name}' in the pool's catalog; call listAllTools first")
            }
            Error::PoolClosed => f.write_str("the pool is closed"),
            Error::CircuitOpen { server, retry_in_ms } => write!(
                f,
                "'{server}' failed repeatedly and has no live session; failing fast (circuit open, \
                 next probe in {retry_in_ms} ms)"
            ),
            Error::AcquireTimeout { server, timeout_ms } => write!(
                f,
                "no session to '{server}' became available within {timeout_ms} ms (all sessions busy)"
            ),
            Error::RequestTimeout { server, method, timeout_ms } => {
                write!(f, "'{method}' to '{server}' got no response within {timeout_ms} ms; it was cancelled")
            }
            Error::ConnectFailed { server, reason, .. } => {
                write!(f, "could not open an MCP session to '{server}': {reason}")
            }
            Error::Network { server, message } => write!(f, "network error talking to '{server}': {message}"),
            Error::Http { server, status, message } => {
                write!(f, "'{server}' answered HTTP {status}: {message}")
            }
            Error::Protocol { server, message } => write!(f, "protocol error from '{server}': {message}"),
            Error::Rpc { server, code, message, .. } => {
                write!(f, "'{server}' returned JSON-RPC error {code}: {message}")
            }
            Error::UnsupportedProtocolVersion { server, version } => {
                if version.starts_with(|c: char| c.is_ascii_digit()) {
                    write!(
                        f,
                        "'{server}' wants MCP protocol version '{version}', which this client does not support "
                    )?;
                } else {
                    write!(f, "'{server}' shares no MCP protocol version with this client: {version} ")?;
                }
                // One copy of the list for both texts.
                write!(
                    f,
                    "(supported: {}, {})",
                    crate::protocol::MODERN_VERSION,
                    crate::protocol::SUPPORTED_VERSIONS.join(", ")
                )
            }
            Error::ResponseTooLarge { server, limit, unit } => {
                write!(f, "a response from '{server}' exceeded the size limit of {limit} {unit}")
            }
            Error::LeaseReleased => f.write_str("this lease was already released; get a new one from the pool"),
            Error::ForeignLease { reason } => write!(f, "this lease does not belong here: {reason}"),
            Error::Aborted => f.write_str("the operation was aborted"),
            Error::SessionClosed { server } => write!(f, "the session to '{server}' was closed"),
            Error::AuthFailed { server, message, status } => {
                write!(f, "could not get credentials for '{server}': {message}")?;
                match status {
                    Some(status) => write!(f, " (asked after the server answered HTTP {status})"),
                    None => f.write_str(" (nothing was sent)"),
                }
            }
            Error::CrossOriginEndpoint { server, origin } => write!(
                f,
                "'{server}' (HTTP+SSE transport) named a message endpoint on another origin ({origin}); \
                 refused so that this server's headers and messages are not sent there"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Shortens `text` to at most `max` characters for inclusion in an error message.
pub(crate) fn snippet(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => {
            // `cut` is a char boundary (from `char_indices`), so `get` always succeeds.
            let mut short = text.get(..cut).unwrap_or(text).to_owned();
            short.push('…');
            short
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_distinct() {
        let all = [
            Error::StdioUnsupported { server: "a".into() },
            Error::invalid_config("x", "y"),
            Error::InvalidUrl { reason: "r".into() },
            Error::InvalidArgument {
                argument: "a".into(),
                reason: "r".into(),
            },
            Error::InvalidServerName { name: "n".into() },
            Error::DuplicateServer { server: "a".into() },
            Error::UnknownServer { server: "a".into() },
            Error::PoolClosed,
            Error::UnknownTool { name: "t".into() },
            Error::CircuitOpen {
                server: "a".into(),
                retry_in_ms: 1,
            },
            Error::AcquireTimeout {
                server: "a".into(),
                timeout_ms: 1,
            },
            Error::RequestTimeout {
                server: "a".into(),
                method: "m".into(),
                timeout_ms: 1,
            },
            Error::ConnectFailed {
                server: "a".into(),
                reason: "r".into(),
                status: None,
            },
            Error::Network {
                server: "a".into(),
                message: "m".into(),
            },
            Error::Http {
                server: "a".into(),
                status: 500,
                message: "m".into(),
            },
            Error::protocol("a", "m"),
            Error::Rpc {
                server: "a".into(),
                code: -32601,
                message: "m".into(),
                data: None,
            },
            Error::UnsupportedProtocolVersion {
                server: "a".into(),
                version: "v".into(),
            },
            Error::ResponseTooLarge {
                server: "a".into(),
                limit: 1,
                unit: SizeUnit::Bytes,
            },
            Error::LeaseReleased,
            Error::ForeignLease { reason: "r".into() },
            Error::Aborted,
            Error::SessionClosed { server: "a".into() },
            Error::CrossOriginEndpoint {
                server: "a".into(),
                origin: "o".into(),
            },
            Error::AuthFailed {
                server: "a".into(),
                message: "m".into(),
                status: None,
            },
        ];
        let mut codes: Vec<&str> = all.iter().map(Error::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().all(|e| !e.to_string().is_empty()));
    }

    #[test]
    fn snippet_cuts_on_char_boundaries() {
        assert_eq!(snippet("héllo", 2), "hé…");
        assert_eq!(snippet("hi", 5), "hi");
    }
}
