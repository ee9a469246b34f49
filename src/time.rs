//! Time and task spawning: the two things the core needs from its runtime besides HTTP.
//!
//! The core never reads a system clock or starts a timer on its own. Everything goes through
//! [`Clock`], so native tests drive the pool with a manual clock and the wasm face binds the
//! global `setTimeout`. Expiry decisions are pure functions that take `now` as an argument.

use futures_util::future::LocalBoxFuture;

/// A source of time and of timers. Single-threaded: no `Send` bounds.
pub trait Clock {
    /// Milliseconds since an arbitrary, fixed origin. Must never go backwards.
    fn now_ms(&self) -> u64;

    /// A future that completes after `ms` milliseconds.
    ///
    /// Dropping the future must cancel the underlying timer, so that nothing is left pending
    /// after the caller lost interest (a closed pool leaves no timer behind).
    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()>;

    /// Like [`Clock::sleep`], for background work (the health loop, the standalone stream's
    /// reopening) that must not keep the host alive on its own; how a host honours that is its
    /// own business. Defaults to [`Clock::sleep`].
    fn sleep_in_background(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        self.sleep(ms)
    }
}

/// Runs a detached task on the current thread (the wasm face: its own per-task executor).
///
/// The core spawns only background work: the health loop and best-effort notifications such as
/// `notifications/cancelled` and session `DELETE`s.
pub trait Spawner {
    /// Starts `task`; it runs until it completes or the runtime goes away.
    fn spawn(&self, task: LocalBoxFuture<'static, ()>);
}

/// Milliseconds elapsed from `since` to `now`, saturating at zero if the clock was reset.
pub(crate) fn elapsed(now: u64, since: u64) -> u64 {
    now.saturating_sub(since)
}

/// True when something last touched at `since` has been idle for at least `limit_ms` at `now`.
pub(crate) fn expired(now: u64, since: u64, limit_ms: u64) -> bool {
    elapsed(now, since) >= limit_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_inclusive_and_saturating() {
        assert!(!expired(999, 0, 1000));
        assert!(expired(1000, 0, 1000));
        assert!(
            !expired(5, 10, 1),
            "a clock that went backwards never expires anything"
        );
        assert_eq!(elapsed(5, 10), 0);
    }
}
