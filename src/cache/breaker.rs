//! A circuit breaker in front of the slot store: after a run of failures (timeouts,
//! refused connections) the cache stops calling the store for a cool-down, so that
//! while the store is down requests do not each wait for a timeout before rendering.
//! After the cool-down calls go through again; one more failure reopens it at once,
//! a success closes it. Pure: `now` is a parameter.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    cool_down: Duration,
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    /// Opens after `threshold` (≥ 1) consecutive failures, for `cool_down`.
    pub(crate) fn new(threshold: u32, cool_down: Duration) -> Self {
        Breaker {
            threshold: threshold.max(1),
            cool_down,
            failures: 0,
            open_until: None,
        }
    }

    /// Whether a store call may be made now.
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        match self.open_until {
            Some(until) if now < until => false,
            Some(_) => {
                // Half-open: calls go through, the next failure reopens.
                self.open_until = None;
                self.failures = self.threshold - 1;
                true
            }
            None => true,
        }
    }

    /// A store call succeeded.
    pub(crate) fn success(&mut self) {
        self.failures = 0;
    }

    /// A store call failed (the store, not the object: a mismatch is a success here).
    pub(crate) fn failure(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= self.threshold {
            self.open_until = Some(now + self.cool_down);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_opens_after_failures_and_recovers_after_cool_down() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut b = Breaker::new(3, s(5));
        assert!(b.allow(t0));
        b.failure(t0);
        b.failure(t0);
        b.success(); // a success in between resets the run
        b.failure(t0);
        b.failure(t0);
        assert!(b.allow(t0));
        b.failure(t0);
        assert!(!b.allow(t0));
        assert!(!b.allow(t0 + s(4)));
        // Cool-down over: calls go through; one failure reopens at once.
        assert!(b.allow(t0 + s(5)));
        b.failure(t0 + s(5));
        assert!(!b.allow(t0 + s(9)));
        // Cool-down over again, and the store is back.
        assert!(b.allow(t0 + s(10)));
        b.success();
        b.failure(t0 + s(10));
        assert!(
            b.allow(t0 + s(10)),
            "a single failure after recovery does not open"
        );
    }
}
