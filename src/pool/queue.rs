//! The two queues in front of the workers, as plain state guarded by the pool's mutex:
//! the bounded interactive queue (with its admission controller) and the hydration queue
//! of refused misses, taken only when the interactive queue is empty. Time is a parameter.

use super::codel::{CodelParams, Controller, Refusal, Verdict};
use super::{Job, RejectReason};
use crate::variant::key::VariantKey;
use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

/// Sizes of the queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueParams {
    /// Hard bound of the interactive queue, in jobs.
    pub capacity: usize,
    /// Number of workers (for wait estimates).
    pub workers: usize,
    /// The controller's tunables.
    pub codel: CodelParams,
    /// Hard bound of the hydration queue, in jobs.
    pub hydration_capacity: usize,
    /// Hydration entries older than this are dropped unrendered.
    pub hydration_horizon: Duration,
}

pub(super) struct Queued {
    pub(super) job: Box<dyn Job>,
    pub(super) enqueued: Instant,
}

/// What a worker gets from [`QueueState::take`].
pub(super) enum Taken {
    /// An interactive job to render.
    Interactive(Box<dyn Job>),
    /// A hydration job to render into the cache.
    Hydration(Box<dyn Job>),
    /// Nothing to do: wait.
    Idle,
}

/// Side effects of taking work, carried out by the worker outside the lock.
#[derive(Default)]
pub(super) struct Discarded {
    /// Jobs dropped by the controller (answer 503).
    pub(super) dropped: Vec<Box<dyn Job>>,
    /// Number of jobs skipped because nobody waits for them.
    pub(super) skipped: u64,
    /// Number of hydration entries expired past the horizon.
    pub(super) expired: u64,
    /// Sojourn times of every job taken from the interactive queue.
    pub(super) sojourns: Vec<Duration>,
}

impl Discarded {
    /// Whether taking work left nothing to account for.
    pub(super) fn is_empty(&self) -> bool {
        self.dropped.is_empty()
            && self.skipped == 0
            && self.expired == 0
            && self.sojourns.is_empty()
    }
}

pub(super) struct QueueState {
    params: QueueParams,
    controller: Controller,
    interactive: VecDeque<Queued>,
    hydration: VecDeque<Queued>,
    hydration_keys: HashSet<VariantKey>,
    /// Exponentially weighted mean of recent render times, for wait estimates.
    service_ewma: Duration,
    pub(super) shutting_down: bool,
}

impl QueueState {
    pub(super) fn new(params: QueueParams) -> Self {
        QueueState {
            controller: Controller::new(params.codel),
            params,
            interactive: VecDeque::with_capacity(params.capacity),
            hydration: VecDeque::new(),
            hydration_keys: HashSet::new(),
            service_ewma: Duration::ZERO,
            shutting_down: false,
        }
    }

    pub(super) fn interactive_len(&self) -> usize {
        self.interactive.len()
    }

    pub(super) fn hydration_len(&self) -> usize {
        self.hydration.len()
    }

    pub(super) fn is_shedding(&self) -> bool {
        self.controller.is_shedding()
    }

    /// Expected wait of a job queued behind `ahead` others.
    fn wait_for(&self, ahead: usize) -> Duration {
        let workers = self.params.workers.max(1) as u32;
        self.service_ewma.saturating_mul(ahead as u32) / workers
    }

    /// Expected time to drain the interactive queue: the basis of `Retry-After`.
    pub(super) fn drain_estimate(&self) -> Duration {
        self.wait_for(self.interactive.len() + 1)
    }

    /// Feeds one measured render time into the estimate.
    pub(super) fn record_service(&mut self, took: Duration) {
        self.service_ewma = if self.service_ewma.is_zero() {
            took
        } else {
            // Weight 1/8, as TCP's SRTT: follows a change within a few renders.
            (self.service_ewma * 7 + took) / 8
        };
    }

    /// Admission of an interactive job: queued, or handed back with the reason.
    pub(super) fn push(
        &mut self,
        now: Instant,
        job: Box<dyn Job>,
    ) -> Result<(), (Box<dyn Job>, RejectReason)> {
        if self.shutting_down {
            return Err((job, RejectReason::Shutdown));
        }
        if self.interactive.len() >= self.params.capacity {
            return Err((job, RejectReason::Full));
        }
        if let Some(head) = self.interactive.front() {
            let oldest = now.saturating_duration_since(head.enqueued);
            self.controller.observe_head(now, oldest);
        }
        let est = self.wait_for(self.interactive.len());
        match self.controller.admit(now, est) {
            Ok(()) => {
                self.interactive.push_back(Queued { job, enqueued: now });
                Ok(())
            }
            Err(Refusal::Codel) => Err((job, RejectReason::Codel)),
            Err(Refusal::Full) => Err((job, RejectReason::Full)),
        }
    }

    /// Queues a hydration job unless its key is already waiting or the queue is full.
    pub(super) fn push_hydration(&mut self, now: Instant, job: Box<dyn Job>) -> bool {
        if self.shutting_down || self.hydration.len() >= self.params.hydration_capacity {
            return false;
        }
        if !self.hydration_keys.insert(job.key()) {
            return false;
        }
        self.hydration.push_back(Queued { job, enqueued: now });
        true
    }

    /// Takes the next job to render. Interactive work first; hydration only when the
    /// interactive queue is empty.
    pub(super) fn take(&mut self, now: Instant, out: &mut Discarded) -> Taken {
        while let Some(q) = self.interactive.pop_front() {
            let sojourn = now.saturating_duration_since(q.enqueued);
            out.sojourns.push(sojourn);
            let behind = self.interactive.len();
            let verdict = self.controller.on_dequeue(now, sojourn, behind);
            if !q.job.wanted() {
                out.skipped += 1;
                continue;
            }
            match verdict {
                Verdict::Run => return Taken::Interactive(q.job),
                Verdict::Drop => out.dropped.push(q.job),
            }
        }
        self.controller.on_empty(now);
        if self.shutting_down {
            return Taken::Idle;
        }
        while let Some(q) = self.hydration.pop_front() {
            self.hydration_keys.remove(&q.job.key());
            if now.saturating_duration_since(q.enqueued) > self.params.hydration_horizon {
                out.expired += 1;
                continue;
            }
            return Taken::Hydration(q.job);
        }
        Taken::Idle
    }

    /// The interactive job that [`QueueState::take`] would consider next.
    pub(super) fn next_interactive(&self) -> Option<&dyn Job> {
        self.interactive.front().map(|q| &*q.job)
    }

    /// Empties the hydration queue (at shutdown: nobody waits for those).
    pub(super) fn clear_hydration(&mut self) -> usize {
        let n = self.hydration.len();
        self.hydration.clear();
        self.hydration_keys.clear();
        n
    }
}
