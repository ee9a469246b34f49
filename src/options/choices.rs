//! The two per-server choices: which transport, which protocol era.

use serde::Deserialize;

use crate::protocol::MODERN_VERSION;

/// Which HTTP transport sessions to a server use. Spelled `auto`, `streamable-http`, `sse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

/// Which era to use with a server. Spelled `auto`, `legacy`, `modern` (or `2026-07-28`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EraPolicy {
    /// Probe with `server/discover` once, fall back to `initialize` (the default).
    #[default]
    Auto,
    /// Always the session era (`initialize`); never probe.
    Legacy,
    /// Always the stateless era; a server that does not speak it fails to connect.
    #[serde(alias = "2026-07-28")]
    Modern,
}

impl EraPolicy {
    /// Parses the option's spelling: `auto`, `legacy`, `modern` or `2026-07-28`.
    pub fn parse(text: &str) -> Option<EraPolicy> {
        match text {
            "auto" => Some(EraPolicy::Auto),
            "legacy" => Some(EraPolicy::Legacy),
            "modern" | MODERN_VERSION => Some(EraPolicy::Modern),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_spellings_match_parse() {
        for text in ["auto", "legacy", "modern", "2026-07-28"] {
            let parsed: EraPolicy = serde_json::from_value(text.into()).unwrap();
            assert_eq!(Some(parsed), EraPolicy::parse(text));
        }
        assert!(serde_json::from_value::<EraPolicy>("2099-01-01".into()).is_err());
        let t: TransportMode = serde_json::from_value("streamable-http".into()).unwrap();
        assert_eq!(t, TransportMode::StreamableHttp);
    }
}
