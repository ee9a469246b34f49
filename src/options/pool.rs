//! Options of a [`crate::Pool`], with their defaults and validation.

use serde::{de, Deserialize, Deserializer};

use super::checks::{
    check_count, check_delay, check_lifetime, MAX_RESPONSE_BYTES, MIN_HEALTH_INTERVAL_MS,
};
use crate::error::Error;
use crate::protocol::Implementation;

/// Options of a [`crate::Pool`]. Build with [`PoolOptions::default`] and change what you need.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolOptions {
    /// Most sessions open to one server at once (opening ones included). Default: 5.
    pub max_connections_per_server: usize,
    /// Most leases sharing one session; `None` is unlimited. Default: `None`.
    pub max_leases_per_connection: Option<usize>,
    /// How often the health loop runs, in ms; 0 disables it. Default: 30 000.
    pub health_check_interval_ms: u64,
    /// Idle sessions older than this are closed, in ms; 0 disables idle eviction. Default: 300 000.
    pub idle_timeout_ms: u64,
    /// The longest a session lives, in ms from its open: past it, it takes no new lease and is
    /// closed (`DELETE`) when its last lease returns, so that a long-lived process picks up
    /// server-side changes (a new deployment's `initialize` answer, a rebalanced replica, a
    /// session bound to rotated credentials). 0 is no limit; else at least
    /// [`MIN_SESSION_LIFETIME_MS`](crate::MIN_SESSION_LIFETIME_MS). Default: 0. A session resumed
    /// from a snapshot counts its age from the resume.
    pub max_session_lifetime_ms: u64,
    /// An idle session with no successful exchange for this long, in ms, is probed (`ping`, or
    /// `server/discover` in the stateless era, as the health loop probes) before `get` hands it
    /// out; a failed probe evicts it and the getter gets another session. Where timers die
    /// between requests (Workers) the health loop cannot keep idle sessions checked, and this
    /// keeps a stale one from failing a caller's first request. 0 disables it. Default (`None`):
    /// [`health_check_interval_ms`](Self::health_check_interval_ms), the staleness at which the
    /// loop would ping the session itself (so off when the loop is off).
    pub probe_idle_after_ms: Option<u64>,
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
    /// request, browsers 6 per origin on HTTP/1.1); the wasm face raises it where its host has no
    /// such limit.
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
    /// Sent as `clientInfo` in `initialize`. Default: this crate's name and version. Read from
    /// `{ name, version }` only (1 to 1024 characters each).
    #[serde(deserialize_with = "client_info")]
    pub client_info: Implementation,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_connections_per_server: 5,
            max_leases_per_connection: None,
            health_check_interval_ms: 30_000,
            idle_timeout_ms: 300_000,
            max_session_lifetime_ms: 0,
            probe_idle_after_ms: None,
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
    /// The probe threshold in force: [`PoolOptions::probe_idle_after_ms`], else the health
    /// interval (0: no probe on acquire).
    pub fn effective_probe_idle_after_ms(&self) -> u64 {
        self.probe_idle_after_ms
            .unwrap_or(self.health_check_interval_ms)
    }

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
        check_lifetime("maxSessionLifetimeMs", self.max_session_lifetime_ms)?;
        if let Some(ms) = self.probe_idle_after_ms {
            check_delay("probeIdleAfterMs", ms, 0)?;
        }
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
        if self.client_info.name.len() > 1024 || self.client_info.version.len() > 1024 {
            return Err(Error::invalid_config(
                "clientInfo",
                "name and version must be at most 1024 characters",
            ));
        }
        Ok(())
    }
}

/// Reads `clientInfo`: a name and a version, nothing else (an [`Implementation`] keeps other
/// fields of a server's answer; an option with a typo must not pass as one).
fn client_info<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Implementation, D::Error> {
    let info = Implementation::deserialize(deserializer)?;
    if let Some(key) = info.extra.keys().next() {
        return Err(de::Error::unknown_field(key, &["name", "version"]));
    }
    Ok(info)
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
        assert_eq!(
            (o.max_session_lifetime_ms, o.probe_idle_after_ms),
            (0, None)
        );
        assert_eq!(o.effective_probe_idle_after_ms(), 30_000);
        assert_eq!(o.validate(), Ok(()));
    }

    #[test]
    fn the_probe_threshold_follows_the_health_interval_unless_set() {
        let o = PoolOptions {
            health_check_interval_ms: 0,
            ..PoolOptions::default()
        };
        assert_eq!(o.effective_probe_idle_after_ms(), 0, "no loop: no probe");
        let o = PoolOptions {
            health_check_interval_ms: 0,
            probe_idle_after_ms: Some(5_000),
            ..PoolOptions::default()
        };
        assert_eq!(o.effective_probe_idle_after_ms(), 5_000);
        let o = PoolOptions {
            probe_idle_after_ms: Some(0),
            ..PoolOptions::default()
        };
        assert_eq!(o.effective_probe_idle_after_ms(), 0, "0 disables it");
    }

    #[test]
    fn lifetime_and_probe_values_are_checked() {
        let with = |lifetime: u64, probe: Option<u64>| PoolOptions {
            max_session_lifetime_ms: lifetime,
            probe_idle_after_ms: probe,
            ..PoolOptions::default()
        };
        assert_eq!(with(0, Some(0)).validate(), Ok(()));
        assert_eq!(with(1_000, Some(1)).validate(), Ok(()));
        assert_eq!(with(3_600_000, None).validate(), Ok(()));
        for (o, field) in [
            (with(999, None), "maxSessionLifetimeMs"),
            (with(1, None), "maxSessionLifetimeMs"),
            (with(1 << 31, None), "maxSessionLifetimeMs"),
            (with(0, Some(1 << 31)), "probeIdleAfterMs"),
        ] {
            let err = o.validate().expect_err(field);
            assert_eq!(err.code(), "INVALID_CONFIG");
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn read_with_serde_under_their_camel_case_names() {
        let o: PoolOptions = serde_json::from_str(
            r#"{"maxConnectionsPerServer": 2, "clientInfo": {"name": "me", "version": "1"}}"#,
        )
        .unwrap();
        assert_eq!(o.max_connections_per_server, 2);
        assert_eq!(o.client_info, Implementation::new("me", "1"));
        assert_eq!(
            o.request_timeout_ms,
            PoolOptions::default().request_timeout_ms
        );
        assert!(serde_json::from_str::<PoolOptions>(r#"{"maxConnection": 2}"#).is_err());
        let extra = r#"{"clientInfo": {"name": "me", "version": "1", "nmae": "x"}}"#;
        assert!(serde_json::from_str::<PoolOptions>(extra).is_err());
    }
}
