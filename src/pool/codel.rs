//! The admission controller: a CoDel-style state machine over the sojourn time of the
//! render queue. Pure: every method takes `now`, so the tests are timelines, not sleeps.
//!
//! A queue is good when it absorbs a burst and bad when it stands. The controller watches
//! how long jobs waited when a worker takes them:
//! * if, for a whole `interval`, no job left the queue in under `target`, the queue is
//!   standing and the instance enters the *failure mode*: new misses are refused at
//!   admission, in microseconds, while the queue drains;
//! * the failure mode ends as soon as a job leaves under `target` or the queue is seen
//!   empty: the backlog has drained. Outside it, the last queued job never counts as
//!   above `target` (a queue of one does not stand);
//! * for one `interval` after leaving it (CoDel's memory of the last dropping episode),
//!   admission only takes work whose estimated wait is under half the `target`, and a job
//!   leaving above `target` re-enters the failure mode at once instead of after a new
//!   interval. Without that, a saturated instance would alternate between a full interval
//!   of multi-second waits and a drain.
//!
//! Unlike CoDel on packets, an admitted job is never dropped at dequeue: a client that
//! waited and was then refused gets the worst of both (the *slow refusal*). A miss is
//! refused at admission or rendered; queue waits are bounded by admission instead, whose
//! estimate weighs every queued job by its expected cost (`super::cost`), and by
//! `max_wait`: work whose estimated wait exceeds it is refused (reason `full`), so the
//! queue never holds more than a few seconds of work, whatever its hard capacity in jobs.

use std::time::{Duration, Instant};

/// Tunables, validated at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodelParams {
    /// Acceptable sojourn (`VIGNETTE_CODEL_TARGET_MS`, default 500 ms).
    pub target: Duration,
    /// How long the queue may stand above `target` before shedding
    /// (`VIGNETTE_CODEL_INTERVAL_MS`, default 5 s).
    pub interval: Duration,
    /// Largest estimated wait admitted in normal mode (`VIGNETTE_QUEUE_MAX_WAIT_MS`).
    pub max_wait: Duration,
}

impl Default for CodelParams {
    fn default() -> Self {
        CodelParams {
            target: Duration::from_millis(500),
            interval: Duration::from_secs(5),
            max_wait: Duration::from_secs(2),
        }
    }
}

/// Why admission refused a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The failure mode (or the probation after it) is on.
    Codel,
    /// The queue already holds `max_wait` of work (or its hard capacity).
    Full,
}

/// The controller's state.
#[derive(Debug, Clone)]
pub(crate) struct Controller {
    params: CodelParams,
    shedding: bool,
    /// When the current above-target episode was first seen, if one is running.
    first_above: Option<Instant>,
    /// When the last failure-mode episode ended.
    recovered_at: Option<Instant>,
}

impl Controller {
    /// A controller in normal mode.
    pub(crate) fn new(params: CodelParams) -> Self {
        Controller {
            params,
            shedding: false,
            first_above: None,
            recovered_at: None,
        }
    }

    /// Whether the failure mode is on.
    pub(crate) fn is_shedding(&self) -> bool {
        self.shedding
    }

    fn in_probation(&self, now: Instant) -> bool {
        self.recovered_at
            .is_some_and(|t| now.saturating_duration_since(t) < self.params.interval)
    }

    fn recover(&mut self, now: Instant) {
        self.first_above = None;
        if self.shedding {
            self.shedding = false;
            self.recovered_at = Some(now);
        }
    }

    /// Admission of a new miss whose wait is estimated at `est_wait`.
    pub(crate) fn admit(&mut self, now: Instant, est_wait: Duration) -> Result<(), Refusal> {
        if self.shedding {
            return Err(Refusal::Codel);
        }
        if self.in_probation(now) && est_wait >= self.params.target / 2 {
            return Err(Refusal::Codel);
        }
        if est_wait > self.params.max_wait {
            return Err(Refusal::Full);
        }
        Ok(())
    }

    /// Admission sees the oldest queued job, which has waited `oldest` so far. If it has
    /// waited past the target, the queue has been standing since it crossed the target:
    /// every job that left since then was older, hence above the target too. Detects a
    /// standing queue without waiting for a dequeue, which matters when every worker is
    /// busy with a long render.
    pub(crate) fn observe_head(&mut self, now: Instant, oldest: Duration) {
        if self.shedding || oldest < self.params.target {
            return;
        }
        let crossed = now.checked_sub(oldest - self.params.target).unwrap_or(now);
        let since = match self.first_above {
            Some(t) if t <= crossed => t,
            _ => crossed,
        };
        self.first_above = Some(since);
        if now.saturating_duration_since(since) >= self.params.interval {
            self.shedding = true;
            self.first_above = None;
        }
    }

    /// A worker took a job that waited `sojourn`, with `behind` jobs still queued after it.
    /// The job is rendered whatever it waited; what changes is the mode.
    ///
    /// Outside the failure mode, the last job of the queue is not above target, whatever it
    /// waited (CoDel: a queue under one packet does not stand). One request that waited for
    /// a long render, or for a hydration render that started just before it came, is no
    /// standing queue: without this, the lone client after an overload was refused, in
    /// probation, each time a hydration render made it wait.
    pub(crate) fn on_dequeue(&mut self, now: Instant, sojourn: Duration, behind: usize) {
        if sojourn < self.params.target || (behind == 0 && !self.shedding) {
            self.recover(now);
            return;
        }
        if self.shedding {
            return;
        }
        if self.in_probation(now) {
            // Back to the failure mode at once: the jobs behind this one waited too.
            self.shedding = true;
            self.first_above = None;
            return;
        }
        let since = *self.first_above.get_or_insert(now);
        if now.saturating_duration_since(since) >= self.params.interval {
            self.shedding = true;
            self.first_above = None;
        }
    }

    /// A worker found the queue empty: nothing stands.
    pub(crate) fn on_empty(&mut self, now: Instant) {
        self.recover(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A timeline of queue events against one controller.
    struct Timeline {
        c: Controller,
        t0: Instant,
        now: Instant,
    }

    impl Timeline {
        fn new() -> Self {
            let t0 = Instant::now();
            Timeline {
                c: Controller::new(CodelParams::default()),
                t0,
                now: t0,
            }
        }
        fn at(&mut self, ms: u64) -> &mut Self {
            self.now = self.t0 + Duration::from_millis(ms);
            self
        }
        /// A job leaves with others still queued behind it; whether the instance sheds
        /// load after.
        fn dequeue(&mut self, waited_ms: u64) -> bool {
            self.c
                .on_dequeue(self.now, Duration::from_millis(waited_ms), 1);
            self.c.is_shedding()
        }
        /// The last queued job leaves.
        fn dequeue_last(&mut self, waited_ms: u64) -> bool {
            self.c
                .on_dequeue(self.now, Duration::from_millis(waited_ms), 0);
            self.c.is_shedding()
        }
        fn admit(&mut self, est_ms: u64) -> Result<(), Refusal> {
            self.c.admit(self.now, Duration::from_millis(est_ms))
        }
    }

    #[test]
    fn a_burst_shorter_than_the_interval_is_absorbed() {
        let mut t = Timeline::new();
        // 20 jobs arrive at once; one worker takes one every 200 ms: waits grow to 3.8 s,
        // but the queue drains after 4 s < interval.
        t.at(0);
        for _ in 0..20u64 {
            assert_eq!(t.admit(0), Ok(()));
        }
        for i in 0..20u64 {
            t.at(i * 200);
            assert!(!t.dequeue(i * 200), "job {i}");
        }
        t.at(4000);
        t.c.on_empty(t.now);
        assert!(!t.c.is_shedding());
        assert_eq!(t.admit(100), Ok(()));
    }

    #[test]
    fn a_standing_queue_switches_to_the_failure_mode_after_one_interval() {
        let mut t = Timeline::new();
        // Every dequeue for 5 s sees a 1 s wait.
        for i in 0..25u64 {
            t.at(i * 200);
            assert!(!t.dequeue(1000), "at {} ms", i * 200);
        }
        t.at(5000);
        assert!(t.dequeue(1000));
        // New misses are refused, whatever their estimated wait.
        assert_eq!(t.admit(0), Err(Refusal::Codel));
        // Queued jobs still leave (and render); the mode stays while they waited long.
        t.at(5001);
        assert!(t.dequeue(900));
    }

    #[test]
    fn one_quick_job_inside_the_interval_resets_the_episode() {
        let mut t = Timeline::new();
        t.at(0);
        assert!(!t.dequeue(800));
        t.at(4000);
        assert!(!t.dequeue(100)); // left under the target
        t.at(6000);
        assert!(!t.dequeue(800)); // a new episode starts here
        t.at(10_999);
        assert!(!t.dequeue(800));
        t.at(11_000);
        assert!(t.dequeue(800));
    }

    #[test]
    fn the_failure_mode_ends_as_soon_as_the_queue_drains_under_the_target() {
        let mut t = Timeline::new();
        t.at(0);
        t.dequeue(600);
        t.at(5000);
        assert!(t.dequeue(600));
        t.at(5100);
        assert!(t.dequeue(2000));
        t.at(5200);
        assert!(!t.dequeue(100));
        // Emptiness also ends it.
        t.at(6000);
        assert!(t.dequeue(600), "probation: above target re-enters at once");
        t.at(6001);
        t.c.on_empty(t.now);
        assert!(!t.c.is_shedding());
    }

    #[test]
    fn probation_after_recovery_admits_only_short_waits_and_reenters_fast() {
        let mut t = Timeline::new();
        t.at(0);
        t.dequeue(600);
        t.at(5000);
        t.dequeue(600);
        t.at(5100);
        t.dequeue(10); // recovered at 5.1 s
        assert_eq!(t.admit(100), Ok(()));
        assert_eq!(t.admit(249), Ok(()));
        assert_eq!(t.admit(250), Err(Refusal::Codel), "half the target");
        assert_eq!(t.admit(600), Err(Refusal::Codel));
        // A job above the target during probation re-enters the failure mode at once.
        t.at(6000);
        assert!(t.dequeue(700));
        assert_eq!(t.admit(0), Err(Refusal::Codel));
        // After a full interval of good behaviour, probation is over.
        t.at(6100);
        t.dequeue(10);
        t.at(11_200);
        assert_eq!(t.admit(1500), Ok(()));
        assert!(!t.dequeue(700));
    }

    #[test]
    fn a_lone_job_that_waited_is_no_standing_queue_outside_the_failure_mode() {
        let mut t = Timeline::new();
        // Normal mode: lone jobs that waited never open an episode.
        t.at(0);
        assert!(!t.dequeue_last(900));
        t.at(6000);
        assert!(!t.dequeue_last(900));
        // The failure mode: a stale last job keeps it; the empty queue ends it.
        t.at(10_000);
        t.dequeue(600);
        t.at(15_000);
        assert!(t.dequeue(600));
        t.at(15_100);
        assert!(t.dequeue_last(900));
        t.c.on_empty(t.now);
        assert!(!t.c.is_shedding());
        // Probation: a lone job that waited behind a long render keeps the instance out
        // of the failure mode; the same wait with a queue behind it does not.
        t.at(15_600);
        assert!(!t.dequeue_last(700));
        t.at(15_700);
        assert!(t.dequeue(700));
    }

    #[test]
    fn a_head_standing_past_target_plus_interval_trips_admission() {
        let mut t = Timeline::new();
        // Every worker is busy for long: nothing is dequeued, the head just waits.
        t.at(5_400);
        t.c.observe_head(t.now, Duration::from_millis(5_400));
        assert!(!t.c.is_shedding(), "standing since 0.5 s: 4.9 s < interval");
        assert_eq!(t.admit(0), Ok(()));
        t.at(5_500);
        t.c.observe_head(t.now, Duration::from_millis(5_500));
        assert!(t.c.is_shedding());
        assert_eq!(t.admit(0), Err(Refusal::Codel));
    }

    #[test]
    fn a_young_head_says_nothing() {
        let mut t = Timeline::new();
        t.at(10_000);
        t.c.observe_head(t.now, Duration::from_millis(499));
        assert!(!t.c.is_shedding());
        // A job that left under the target earlier does not hide a standing head.
        t.at(11_000);
        t.dequeue(100);
        t.at(16_600);
        t.c.observe_head(t.now, Duration::from_millis(6_000));
        assert!(t.c.is_shedding());
    }

    #[test]
    fn max_wait_bounds_the_work_in_the_queue_in_normal_mode() {
        let mut t = Timeline::new();
        t.at(0);
        assert_eq!(t.admit(2000), Ok(()));
        assert_eq!(t.admit(2001), Err(Refusal::Full));
    }
}
