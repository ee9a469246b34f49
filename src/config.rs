//! Pool and server options, with their defaults and validation.

use std::fmt;

use crate::error::Error;
use crate::protocol::Implementation;

/// The largest timer delay JavaScript honours (`setTimeout` fires at once above 2^31-1 ms).
pub const MAX_DELAY_MS: u64 = 2_147_483_647;

/// The largest `max_response_bytes` accepted: 256 MiB. A response (or a list merged from its pages)
/// is held in wasm memory (4 GiB at most) while it is parsed and copied, and handed to JavaScript
/// as one string (V8's longest is 2^29 - 24 units); this keeps every copy far from both walls.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// Options of a [`crate::Pool`]. Build with [`PoolOptions::default`] and change what you need.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolOptions {
    /// Most sessions open to one server at once (opening ones included). Default: 5.
    pub max_connections_per_server: usize,
    /// Most leases sharing one session; `None` is unlimited. Default: `None`.
    pub max_leases_per_connection: Option<usize>,
    /// How often the health loop runs, in ms; 0 disables it. Default: 30 000.
    pub health_check_interval_ms: u64,
    /// Idle sessions older than this are closed, in ms; 0 disables idle eviction. Default: 300 000.
    pub idle_timeout_ms: u64,
    /// How long `get` may take, waiting in the queue included, in ms (at least 1).
    /// Default: 10 000.
    pub acquire_timeout_ms: u64,
    /// Default timeout of one request, in ms. Default: 60 000.
    pub request_timeout_ms: u64,
    /// Largest response body or SSE event accepted, in bytes, and largest list merged from its
    /// pages. Default: 16 MiB; at most [`MAX_RESPONSE_BYTES`].
    pub max_response_bytes: usize,
    /// Most HTTP requests in flight at once, all servers together; the rest queue FIFO under
    /// their own timeouts. Default: 6 (Workers allow 6 simultaneous outbound connections per
    /// request, browsers 6 per origin on HTTP/1.1).
    pub max_concurrent_requests: usize,
    /// Most HTTP requests in flight to one server; `None` is no per-server cap. Default: `None`.
    pub max_concurrent_requests_per_server: Option<usize>,
    /// How long a server's `tools/list` (all pages) stays cached in the pool, in ms; it is also
    /// dropped on `notifications/tools/list_changed`. 0 disables the cache. Default: 300 000.
    pub tools_cache_ttl_ms: u64,
    /// Consecutive failures to reach a server (failed opens, failed health pings) after which its
    /// circuit opens and getters fail fast; 0 disables the breaker. Default: 3.
    pub circuit_breaker_threshold: u32,
    /// How long an open circuit fails getters fast before one probe is let through, in ms.
    /// Default: 5 000.
    pub circuit_breaker_cooldown_ms: u64,
    /// Sent as `clientInfo` in `initialize`. Default: this crate's name and version.
    pub client_info: Implementation,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_connections_per_server: 5,
            max_leases_per_connection: None,
            health_check_interval_ms: 30_000,
            idle_timeout_ms: 300_000,
            acquire_timeout_ms: 10_000,
            request_timeout_ms: 60_000,
            max_response_bytes: 16 * 1024 * 1024,
            tools_cache_ttl_ms: 300_000,
            max_concurrent_requests: 6,
            max_concurrent_requests_per_server: None,
            circuit_breaker_threshold: 3,
            circuit_breaker_cooldown_ms: 5_000,
            client_info: Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        }
    }
}

impl PoolOptions {
    /// Checks every value.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first invalid option.
    pub fn validate(&self) -> Result<(), Error> {
        check_count("maxConnectionsPerServer", self.max_connections_per_server)?;
        if let Some(n) = self.max_leases_per_connection {
            check_count("maxLeasesPerConnection", n)?;
        }
        check_delay("healthCheckIntervalMs", self.health_check_interval_ms, 0)?;
        if self.health_check_interval_ms != 0
            && self.health_check_interval_ms < MIN_HEALTH_INTERVAL_MS
        {
            return Err(Error::invalid_config(
                "healthCheckIntervalMs",
                format!("must be 0 (disabled) or at least {MIN_HEALTH_INTERVAL_MS} ms"),
            ));
        }
        check_delay("idleTimeoutMs", self.idle_timeout_ms, 0)?;
        check_delay("acquireTimeoutMs", self.acquire_timeout_ms, 1)?;
        check_delay("requestTimeoutMs", self.request_timeout_ms, 1)?;
        if !(1024..=MAX_RESPONSE_BYTES).contains(&self.max_response_bytes) {
            return Err(Error::invalid_config(
                "maxResponseBytes",
                format!("must be from 1024 to {MAX_RESPONSE_BYTES}"),
            ));
        }
        check_count("maxConcurrentRequests", self.max_concurrent_requests)?;
        check_delay("toolsCacheTtlMs", self.tools_cache_ttl_ms, 0)?;
        if let Some(n) = self.max_concurrent_requests_per_server {
            check_count("maxConcurrentRequestsPerServer", n)?;
        }
        if self.circuit_breaker_threshold > 1000 {
            return Err(Error::invalid_config(
                "circuitBreakerThreshold",
                "must be between 0 (disabled) and 1000",
            ));
        }
        check_delay(
            "circuitBreakerCooldownMs",
            self.circuit_breaker_cooldown_ms,
            1,
        )?;
        if self.client_info.name.is_empty() || self.client_info.version.is_empty() {
            return Err(Error::invalid_config(
                "clientInfo",
                "name and version must not be empty",
            ));
        }
        Ok(())
    }
}

/// The health loop's floor: a shorter interval would turn health checks into load.
pub const MIN_HEALTH_INTERVAL_MS: u64 = 100;

/// Most sessions per server or leases per session one may configure.
pub const MAX_COUNT: usize = 10_000;

/// Which HTTP transport sessions to a server use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportMode {
    /// Streamable HTTP; when the first `initialize` POST of a session is answered `400`, `404` or
    /// `405`, fall back to the older HTTP+SSE transport (protocol 2024-11-05). The default.
    #[default]
    Auto,
    /// Streamable HTTP only (no fallback).
    StreamableHttp,
    /// The older HTTP+SSE transport only: `GET` the URL for an event stream, `POST` to the
    /// endpoint it names.
    Sse,
}

/// Per-server options of [`crate::Pool::register_http`]; `None` fields inherit the pool's.
#[derive(Clone, Default)]
pub struct ServerOptions {
    /// Headers sent with every request to this server (e.g. `Authorization`), and to no other.
    pub headers: Vec<(String, String)>,
    /// Overrides [`PoolOptions::max_connections_per_server`].
    pub max_connections: Option<usize>,
    /// Overrides [`PoolOptions::max_leases_per_connection`].
    pub max_leases_per_connection: Option<usize>,
    /// Overrides [`PoolOptions::request_timeout_ms`].
    pub request_timeout_ms: Option<u64>,
    /// Overrides [`PoolOptions::acquire_timeout_ms`].
    pub acquire_timeout_ms: Option<u64>,
    /// Follow `307`/`308` redirects to another origin, sending it this server's headers.
    /// Default: false (same-origin redirects only).
    pub allow_cross_origin_redirects: bool,
    /// Answers to this server's own requests (elicitation, sampling, roots); only the
    /// capabilities with a handler are declared. Default: none.
    pub handlers: crate::session::ClientHandlers,
    /// Gives this server's bearer token, and a new one on `401` (overrides an `Authorization`
    /// header). Default: none.
    pub token_provider: Option<crate::session::TokenProvider>,
    /// DPoP (RFC 9449): makes the proof sent in the `DPoP` header of every request to this
    /// server; the token is then sent as `Authorization: DPoP <token>`. Default: none (bearer).
    pub dpop: Option<crate::session::DpopProof>,
    /// Open the optional standalone `GET` stream of each session, on which a server sends
    /// requests and notifications that belong to no request of ours (e.g. an elicitation it
    /// starts itself, `notifications/tools/list_changed`). Default: false (a long-lived
    /// connection per session; on Workers it lives only as long as the request that opened it).
    pub server_stream: bool,
    /// Which protocol era to speak with this server. Default: probe once with
    /// `server/discover` and fall back to `initialize`.
    pub era: crate::session::EraPolicy,
    /// Which transport to use. Default: [`TransportMode::Auto`].
    pub transport: TransportMode,
}

impl fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("ServerOptions")
            .field("header_names", &names)
            .field("max_connections", &self.max_connections)
            .field("max_leases_per_connection", &self.max_leases_per_connection)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("acquire_timeout_ms", &self.acquire_timeout_ms)
            .field(
                "allow_cross_origin_redirects",
                &self.allow_cross_origin_redirects,
            )
            .field("dpop", &self.dpop.is_some())
            .field("era", &self.era)
            .field("server_stream", &self.server_stream)
            .field("transport", &self.transport)
            .finish()
    }
}

/// Headers the session manages itself; a caller may not set them.
const RESERVED_HEADERS: [&str; 7] = [
    "content-type",
    "accept",
    "mcp-session-id",
    "mcp-protocol-version",
    "mcp-method",
    "mcp-name",
    "last-event-id",
];

/// Headers that frame the HTTP message or its connection: the HTTP client writes them, and
/// `fetch` refuses them (forbidden request headers).
const FRAMING_HEADERS: [&str; 7] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "expect",
];

impl ServerOptions {
    /// Checks every value.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first invalid option (never a header's value).
    pub fn validate(&self) -> Result<(), Error> {
        for (name, value) in &self.headers {
            let token = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token {
                return Err(Error::invalid_config(
                    "headers",
                    format!(
                        "'{}' is not a valid header name",
                        crate::error::snippet(name, 64)
                    ),
                ));
            }
            if RESERVED_HEADERS
                .iter()
                .any(|r| name.eq_ignore_ascii_case(r))
            {
                return Err(Error::invalid_config(
                    "headers",
                    format!("'{name}' is set by the pool itself"),
                ));
            }
            if FRAMING_HEADERS.iter().any(|r| name.eq_ignore_ascii_case(r)) {
                return Err(Error::invalid_config(
                    "headers",
                    format!("'{name}' frames the HTTP message; the HTTP client sets it"),
                ));
            }
            // RFC 9110 field-value: visible ASCII, space, tab, and obs-text (what `fetch`'s
            // ByteString and the Node client accept alike); anything else no runtime would send.
            if value
                .chars()
                .any(|c| (c < ' ' && c != '\t') || c == '\u{7f}' || c > '\u{ff}')
            {
                return Err(Error::invalid_config(
                    "headers",
                    format!(
                        "the value of '{name}' contains a control character (such as a line break) \
                         or a character above U+00FF"
                    ),
                ));
            }
        }
        if let Some(n) = self.max_connections {
            check_count("maxConnections", n)?;
        }
        if let Some(n) = self.max_leases_per_connection {
            check_count("maxLeasesPerConnection", n)?;
        }
        if let Some(ms) = self.request_timeout_ms {
            check_delay("requestTimeoutMs", ms, 1)?;
        }
        if let Some(ms) = self.acquire_timeout_ms {
            check_delay("acquireTimeoutMs", ms, 1)?;
        }
        Ok(())
    }
}

fn check_count(field: &str, n: usize) -> Result<(), Error> {
    if n == 0 || n > MAX_COUNT {
        return Err(Error::invalid_config(
            field,
            format!("must be between 1 and {MAX_COUNT}"),
        ));
    }
    Ok(())
}

fn check_delay(field: &str, ms: u64, min: u64) -> Result<(), Error> {
    if ms < min || ms > MAX_DELAY_MS {
        return Err(Error::invalid_config(
            field,
            format!("must be between {min} and {MAX_DELAY_MS} ms"),
        ));
    }
    Ok(())
}

/// Checks a server name against `^[A-Za-z0-9_-]{1,64}$`.
///
/// # Errors
/// [`Error::InvalidServerName`].
pub fn validate_server_name(name: &str) -> Result<(), Error> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidServerName {
            name: crate::error::snippet(name, 80),
        })
    }
}

/// Checks that `url` is an absolute `http`/`https` URL with a host, no credentials, no
/// whitespace and no fragment; returns it with the scheme in lower case.
///
/// # Errors
/// [`Error::InvalidUrl`] saying what is wrong (never echoing credentials).
pub fn validate_url(url: &str) -> Result<String, Error> {
    let bad = |reason: &str| {
        Err(Error::InvalidUrl {
            reason: reason.to_owned(),
        })
    };
    if url.is_empty() {
        return bad("the URL is empty");
    }
    if url.len() > 8192 {
        return bad("the URL is longer than 8192 characters");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("the URL contains whitespace or control characters");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return bad("the URL must be absolute and start with http:// or https://");
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return bad("only http:// and https:// URLs are supported");
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.contains('@') {
        return bad("credentials in the URL are not allowed; pass them in the server's headers");
    }
    if tail.contains('#') {
        return bad("the URL must not have a fragment");
    }
    let host = host_of(authority)?;
    if host.is_empty() {
        return bad("the URL has no host");
    }
    Ok(format!("{scheme}://{rest}"))
}

/// Splits `host[:port]` (or `[v6][:port]`) and checks the port; returns the host.
fn host_of(authority: &str) -> Result<&str, Error> {
    let bad = |reason: &str| {
        Err(Error::InvalidUrl {
            reason: reason.to_owned(),
        })
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((inside, after)) = v6.split_once(']') else {
            return bad("unterminated IPv6 address");
        };
        match after {
            "" => (inside, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (inside, Some(p)),
                None => return bad("garbage after the IPv6 address"),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port
                .parse::<u32>()
                .map(|p| (1..=65535).contains(&p))
                .unwrap_or(false);
        if !valid {
            return bad("the port must be a number from 1 to 65535");
        }
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_valid() {
        let o = PoolOptions::default();
        assert_eq!(o.max_connections_per_server, 5);
        assert_eq!(o.max_leases_per_connection, None);
        assert_eq!(
            (o.health_check_interval_ms, o.idle_timeout_ms),
            (30_000, 300_000)
        );
        assert_eq!(
            (o.acquire_timeout_ms, o.request_timeout_ms),
            (10_000, 60_000)
        );
        assert_eq!(o.validate(), Ok(()));
        assert_eq!(ServerOptions::default().validate(), Ok(()));
    }

    #[test]
    fn server_options_debug_hides_header_values() {
        let o = ServerOptions {
            headers: vec![("Authorization".into(), "Bearer s3cret".into())],
            ..Default::default()
        };
        let text = format!("{o:?}");
        assert!(text.contains("Authorization"));
        assert!(!text.contains("s3cret"));
    }
}
