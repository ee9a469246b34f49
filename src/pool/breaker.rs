//! A per-server circuit breaker: after repeated failures to reach a server, getters fail fast
//! with [`Error::CircuitOpen`](crate::Error::CircuitOpen) instead of each waiting for its own
//! failed connect; after a cooldown one probe is let through (half-open), and its outcome closes
//! or reopens the circuit. Pure: every decision takes `now` as an argument.

/// The state of one server's circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CircuitState {
    /// Traffic flows; consecutive failures are counted.
    #[default]
    Closed,
    /// Getters fail fast until the cooldown ends.
    Open,
    /// One probe is under way; everyone else still fails fast.
    HalfOpen,
}

impl CircuitState {
    /// `"closed"`, `"open"` or `"half-open"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half-open",
        }
    }
}

/// What the breaker allows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Allow {
    /// Go ahead.
    Yes,
    /// Go ahead as the single half-open probe; report its outcome.
    Probe,
    /// Fail fast; the circuit may let a probe through in this many ms.
    No(u64),
}

/// The breaker of one server.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Breaker {
    state: CircuitState,
    failures: u32,
    open_until_ms: u64,
    /// How many times the circuit opened.
    pub(super) opened: u64,
}

impl Breaker {
    /// The current state.
    pub(super) fn state(&self) -> CircuitState {
        self.state
    }

    /// Whether getters must fail fast at `now` (without changing state): the ms until a probe may
    /// go through, or `None` when a connect attempt is allowed.
    pub(super) fn blocks(&self, now: u64) -> Option<u64> {
        match self.state {
            CircuitState::Closed => None,
            CircuitState::Open if now >= self.open_until_ms => None,
            CircuitState::Open => Some(self.open_until_ms - now),
            CircuitState::HalfOpen => Some(0),
        }
    }

    /// Decides whether a connect attempt may go ahead at `now`.
    pub(super) fn allow(&mut self, now: u64) -> Allow {
        match self.state {
            CircuitState::Closed => Allow::Yes,
            CircuitState::Open if now >= self.open_until_ms => {
                self.state = CircuitState::HalfOpen;
                Allow::Probe
            }
            CircuitState::Open => Allow::No(self.open_until_ms - now),
            CircuitState::HalfOpen => Allow::No(0),
        }
    }

    /// The server answered: close the circuit.
    pub(super) fn success(&mut self) {
        self.state = CircuitState::Closed;
        self.failures = 0;
    }

    /// The server could not be reached. Opens the circuit after `threshold` consecutive
    /// failures (a failed probe reopens it at once); returns true when this call opened it.
    pub(super) fn failure(&mut self, now: u64, threshold: u32, cooldown_ms: u64) -> bool {
        if threshold == 0 {
            return false;
        }
        self.failures = self.failures.saturating_add(1);
        let trip = match self.state {
            CircuitState::HalfOpen => true,
            CircuitState::Closed => self.failures >= threshold,
            CircuitState::Open => false,
        };
        if trip {
            self.state = CircuitState::Open;
            self.open_until_ms = now.saturating_add(cooldown_ms);
            self.opened += 1;
        }
        trip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_probes_after_the_cooldown() {
        let mut b = Breaker::default();
        assert_eq!(b.allow(0), Allow::Yes);
        assert!(!b.failure(0, 3, 1000));
        assert!(!b.failure(1, 3, 1000));
        assert_eq!(b.state(), CircuitState::Closed);
        assert!(b.failure(2, 3, 1000));
        assert_eq!(b.state(), CircuitState::Open);
        assert_eq!(b.allow(500), Allow::No(502));
        assert_eq!(b.allow(1002), Allow::Probe);
        assert_eq!(b.state(), CircuitState::HalfOpen);
        assert_eq!(b.allow(1003), Allow::No(0), "one probe at a time");
        assert!(b.failure(1100, 3, 1000), "a failed probe reopens at once");
        assert_eq!(b.allow(1500), Allow::No(600));
        assert_eq!(b.allow(2100), Allow::Probe);
        b.success();
        assert_eq!(
            (b.state(), b.allow(2101), b.opened),
            (CircuitState::Closed, Allow::Yes, 2)
        );
    }

    #[test]
    fn a_success_resets_the_count_and_zero_disables() {
        let mut b = Breaker::default();
        b.failure(0, 3, 10);
        b.failure(0, 3, 10);
        b.success();
        assert!(!b.failure(0, 3, 10), "the count restarted");
        let mut off = Breaker::default();
        for t in 0..10 {
            assert!(!off.failure(t, 0, 10));
        }
        assert_eq!(off.allow(10), Allow::Yes);
    }
}
