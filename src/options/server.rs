//! Options of one server ([`crate::Pool::register_http`]), with their validation.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::checks::{check_count, check_delay, check_lifetime};
use super::choices::{EraPolicy, TransportMode};
use super::hooks::{ClientHandlers, DpopProof, IdentityHook, TokenProvider};
use crate::error::Error;

/// The longest header value accepted: 16 KiB.
const MAX_HEADER_VALUE: usize = 16 * 1024;

/// Per-server options of [`crate::Pool::register_http`]; `None` fields inherit the pool's.
#[derive(Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerOptions {
    /// Headers sent with every request to this server (e.g. `Authorization`), and to no other.
    /// Read from a map of names to strings, in its order.
    #[serde(deserialize_with = "header_map")]
    pub headers: Vec<(String, String)>,
    /// Overrides [`PoolOptions::max_connections_per_server`](crate::PoolOptions::max_connections_per_server).
    pub max_connections: Option<usize>,
    /// Overrides [`PoolOptions::max_leases_per_connection`](crate::PoolOptions::max_leases_per_connection).
    pub max_leases_per_connection: Option<usize>,
    /// Most sessions (open or opening) one identity may have with this server (see
    /// [`crate::GetOptions::identity`]); `maxConnections` stays the total. Default: none beyond
    /// the total.
    pub max_connections_per_identity: Option<usize>,
    /// Overrides [`PoolOptions::request_timeout_ms`](crate::PoolOptions::request_timeout_ms).
    pub request_timeout_ms: Option<u64>,
    /// Overrides [`PoolOptions::acquire_timeout_ms`](crate::PoolOptions::acquire_timeout_ms).
    pub acquire_timeout_ms: Option<u64>,
    /// Overrides [`PoolOptions::max_session_lifetime_ms`](crate::PoolOptions::max_session_lifetime_ms)
    /// (0: no limit for this server).
    pub max_session_lifetime_ms: Option<u64>,
    /// Overrides [`PoolOptions::probe_idle_after_ms`](crate::PoolOptions::probe_idle_after_ms)
    /// (0: no probe on acquire for this server).
    pub probe_idle_after_ms: Option<u64>,
    /// Follow `307`/`308` redirects to another origin, sending it this server's headers.
    /// Default: false (same-origin redirects only).
    pub allow_cross_origin_redirects: bool,
    /// Answers to this server's own requests (elicitation, sampling, roots); only the
    /// capabilities with a handler are declared. Default: none.
    #[serde(skip)]
    pub handlers: ClientHandlers,
    /// Gives this server's bearer token, and a new one on `401` (overrides an `Authorization`
    /// header). Default: none.
    #[serde(skip)]
    pub token_provider: Option<TokenProvider>,
    /// DPoP (RFC 9449): makes the proof sent in the `DPoP` header of every request to this
    /// server; the token is then sent as `Authorization: DPoP <token>`. Default: none (bearer).
    #[serde(skip)]
    pub dpop: Option<DpopProof>,
    /// The credentials and answers of one identity's sessions (headers, token provider,
    /// handlers), asked when the identity's first session opens. Without it, the sessions of an
    /// identity are still its own, opened with the server's options. Default: none.
    #[serde(skip)]
    pub identity: Option<IdentityHook>,
    /// Open the optional standalone `GET` stream of each session, on which a server sends
    /// requests and notifications that belong to no request of ours (e.g. an elicitation it
    /// starts itself, `notifications/tools/list_changed`). Default (`None`): open it when
    /// something would hear what comes on it, i.e. the server has handlers or the pool has a
    /// notification handler, as the official TypeScript client opens it by default; `false`
    /// refuses it. It is a long-lived connection per session; on Workers it lives only as long as
    /// the request that opened it.
    pub server_stream: Option<bool>,
    /// Which protocol era to speak with this server. Default: probe once with
    /// `server/discover` and fall back to `initialize`.
    pub era: EraPolicy,
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
            .field(
                "max_connections_per_identity",
                &self.max_connections_per_identity,
            )
            .field("identity", &self.identity.is_some())
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("acquire_timeout_ms", &self.acquire_timeout_ms)
            .field("max_session_lifetime_ms", &self.max_session_lifetime_ms)
            .field("probe_idle_after_ms", &self.probe_idle_after_ms)
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
        check_headers(&self.headers)?;
        if let Some(n) = self.max_connections {
            check_count("maxConnections", n)?;
        }
        if let Some(n) = self.max_leases_per_connection {
            check_count("maxLeasesPerConnection", n)?;
        }
        if let Some(n) = self.max_connections_per_identity {
            check_count("maxConnectionsPerIdentity", n)?;
        }
        if let Some(ms) = self.request_timeout_ms {
            check_delay("requestTimeoutMs", ms, 1)?;
        }
        if let Some(ms) = self.acquire_timeout_ms {
            check_delay("acquireTimeoutMs", ms, 1)?;
        }
        if let Some(ms) = self.max_session_lifetime_ms {
            check_lifetime("maxSessionLifetimeMs", ms)?;
        }
        if let Some(ms) = self.probe_idle_after_ms {
            check_delay("probeIdleAfterMs", ms, 0)?;
        }
        Ok(())
    }
}

/// Checks header names and values (of a server, or of an identity).
///
/// # Errors
/// [`Error::InvalidConfig`] for `headers`, naming the header (never its value).
pub(crate) fn check_headers(headers: &[(String, String)]) -> Result<(), Error> {
    for (name, value) in headers {
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
        if value.len() > MAX_HEADER_VALUE {
            return Err(Error::invalid_config(
                "headers",
                format!("the value of '{name}' is longer than 16 KiB"),
            ));
        }
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
    Ok(())
}

/// Reads `headers`: a map of header names to string values, kept in order.
pub(crate) fn header_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(String, String)>, D::Error> {
    struct Headers;
    impl<'de> Visitor<'de> for Headers {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of header names to string values")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(pair) = map.next_entry::<String, String>()? {
                out.push(pair);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        assert_eq!(ServerOptions::default().validate(), Ok(()));
    }

    #[test]
    fn lifetime_and_probe_overrides_are_checked() {
        let o = ServerOptions {
            max_session_lifetime_ms: Some(0),
            probe_idle_after_ms: Some(0),
            ..Default::default()
        };
        assert_eq!(o.validate(), Ok(()), "0 turns either off for this server");
        let o = ServerOptions {
            max_session_lifetime_ms: Some(500),
            ..Default::default()
        };
        let err = o.validate().expect_err("below the floor");
        assert_eq!(err.code(), "INVALID_CONFIG");
        assert!(err.to_string().contains("maxSessionLifetimeMs"), "{err}");
        let o = ServerOptions {
            probe_idle_after_ms: Some(u64::MAX),
            ..Default::default()
        };
        let err = o.validate().expect_err("beyond a timer");
        assert!(err.to_string().contains("probeIdleAfterMs"), "{err}");
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

    #[test]
    fn read_with_serde_under_their_camel_case_names() {
        let o: ServerOptions = serde_json::from_str(
            r#"{"headers": {"X-B": "2", "X-A": "1"}, "era": "2026-07-28", "transport": "sse",
                "maxConnections": 3}"#,
        )
        .unwrap();
        assert_eq!(
            o.headers,
            vec![("X-B".into(), "2".into()), ("X-A".into(), "1".into())]
        );
        assert_eq!(
            (o.era, o.transport),
            (EraPolicy::Modern, TransportMode::Sse)
        );
        assert_eq!(o.max_connections, Some(3));
        assert!(serde_json::from_str::<ServerOptions>(r#"{"unknown": true}"#).is_err());
        let o: ServerOptions =
            serde_json::from_str(r#"{"maxSessionLifetimeMs": 60000, "probeIdleAfterMs": 0}"#)
                .unwrap();
        assert_eq!(
            (o.max_session_lifetime_ms, o.probe_idle_after_ms),
            (Some(60_000), Some(0))
        );
        assert!(serde_json::from_str::<ServerOptions>(r#"{"tokenProvider": "x"}"#).is_err());
    }
}
