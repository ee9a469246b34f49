//! The bounds every option is checked against, and the two checks most options share.

use crate::error::Error;

/// The longest timeout, interval or wait an option accepts, in ms: `i32::MAX` (about 24.8 days).
/// No pool needs a longer one, and a host timer can arm it in one shot (a 32-bit signed delay is
/// the tightest limit among the hosts this crate runs on). A server's retry hint is capped to it
/// too.
pub const MAX_TIMEOUT_MS: u64 = i32::MAX as u64;

/// The largest `max_response_bytes` accepted: 256 MiB. A response (or a list merged from its pages)
/// is held in wasm memory (4 GiB at most) while it is parsed and copied, and handed to JavaScript
/// as one string (V8's longest is 2^29 - 24 units); this keeps every copy far from both walls.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// The health loop's floor: a shorter interval would turn health checks into load.
pub const MIN_HEALTH_INTERVAL_MS: u64 = 100;

/// The shortest `maxSessionLifetimeMs` (when not 0): a shorter one would turn sessions into a
/// handshake per call.
pub const MIN_SESSION_LIFETIME_MS: u64 = 1_000;

/// Most sessions per server or leases per session one may configure.
pub const MAX_COUNT: usize = 10_000;

/// A count (sessions, leases, requests) from 1 to [`MAX_COUNT`].
pub(crate) fn check_count(field: &str, n: usize) -> Result<(), Error> {
    if n == 0 || n > MAX_COUNT {
        return Err(Error::invalid_config(
            field,
            format!("must be between 1 and {MAX_COUNT}"),
        ));
    }
    Ok(())
}

/// A duration in ms from `min` to [`MAX_TIMEOUT_MS`].
pub(crate) fn check_delay(field: &str, ms: u64, min: u64) -> Result<(), Error> {
    if ms < min || ms > MAX_TIMEOUT_MS {
        return Err(Error::invalid_config(
            field,
            format!("must be between {min} and {MAX_TIMEOUT_MS} ms"),
        ));
    }
    Ok(())
}

/// `maxSessionLifetimeMs`: 0 (no limit) or from [`MIN_SESSION_LIFETIME_MS`] to
/// [`MAX_TIMEOUT_MS`].
pub(crate) fn check_lifetime(field: &str, ms: u64) -> Result<(), Error> {
    if ms != 0 && !(MIN_SESSION_LIFETIME_MS..=MAX_TIMEOUT_MS).contains(&ms) {
        return Err(Error::invalid_config(
            field,
            format!(
                "must be 0 (no limit) or between {MIN_SESSION_LIFETIME_MS} and {MAX_TIMEOUT_MS} ms"
            ),
        ));
    }
    Ok(())
}
