//! The two queues in front of the workers, as plain state guarded by the pool's mutex:
//! the bounded interactive queue (with its admission controller and the cost model behind
//! its wait estimate) and the hydration queue of refused misses, taken only when the
//! interactive queue is empty. Time is a parameter.

use super::codel::{CodelParams, Controller, Refusal};
use super::cost::{Cost, CostModel};
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
    /// The workers' nice value (0: unchanged).
    pub worker_nice: u8,
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
    /// What the job was expected to cost when admitted.
    cost: Cost,
    predicted: Duration,
}

/// A job on a worker, for the estimate of when that worker is free again.
#[derive(Debug, Clone, Copy)]
struct Running {
    ticket: u64,
    started: Instant,
    cost: Cost,
    predicted: Duration,
}

/// Hands back to [`QueueState::finish`] which running job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ticket(u64);

/// What a worker gets from [`QueueState::take`].
pub(super) enum Taken {
    /// An interactive job to render.
    Interactive(Box<dyn Job>, Ticket),
    /// A hydration job to render into the cache.
    Hydration(Box<dyn Job>, Ticket),
    /// Nothing to do: wait.
    Idle,
}

/// Side effects of taking work, carried out by the worker outside the lock.
#[derive(Default)]
pub(super) struct Discarded {
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
        self.skipped == 0 && self.expired == 0 && self.sojourns.is_empty()
    }
}

pub(super) struct QueueState {
    params: QueueParams,
    controller: Controller,
    interactive: VecDeque<Queued>,
    hydration: VecDeque<Queued>,
    hydration_keys: HashSet<VariantKey>,
    /// Learned render times, for wait estimates.
    costs: CostModel,
    /// The sum of the predicted render times of the interactive queue.
    queued_work: Duration,
    running: Vec<Running>,
    next_ticket: u64,
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
            costs: CostModel::default(),
            queued_work: Duration::ZERO,
            running: Vec::with_capacity(params.workers),
            next_ticket: 0,
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

    /// Expected wait of a job queued now: the predicted work of the queue plus what is
    /// left of the running renders, shared by the workers. A running job past its
    /// prediction counts as about to end.
    fn expected_wait(&self, now: Instant) -> Duration {
        let running: Duration = self
            .running
            .iter()
            .map(|r| {
                r.predicted
                    .saturating_sub(now.saturating_duration_since(r.started))
            })
            .sum();
        let workers = self.params.workers.max(1) as u32;
        (self.queued_work + running) / workers
    }

    /// Expected time until the interactive queue has drained: the basis of `Retry-After`
    /// (never less than one mean render).
    pub(super) fn drain_estimate(&self, now: Instant) -> Duration {
        self.expected_wait(now).max(self.costs.mean())
    }

    /// A running job ended after `took`: it no longer occupies its worker, and its time
    /// teaches the cost model.
    pub(super) fn finish(&mut self, ticket: Ticket, took: Duration) {
        if let Some(i) = self.running.iter().position(|r| r.ticket == ticket.0) {
            let r = self.running.swap_remove(i);
            self.costs.record(&r.cost, took);
        }
    }

    fn start(&mut self, now: Instant, cost: Cost, predicted: Duration) -> Ticket {
        self.next_ticket += 1;
        self.running.push(Running {
            ticket: self.next_ticket,
            started: now,
            cost,
            predicted,
        });
        Ticket(self.next_ticket)
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
        let est = self.expected_wait(now);
        match self.controller.admit(now, est) {
            Ok(()) => {
                let cost = job.cost();
                let predicted = self.costs.predict(&cost);
                self.queued_work += predicted;
                self.interactive.push_back(Queued {
                    job,
                    enqueued: now,
                    cost,
                    predicted,
                });
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
        let cost = job.cost();
        self.hydration.push_back(Queued {
            job,
            enqueued: now,
            cost,
            predicted: Duration::ZERO,
        });
        true
    }

    /// Takes the next job to render. Interactive work first, whatever it waited (it was
    /// admitted: it is rendered); hydration only when the interactive queue is empty.
    pub(super) fn take(&mut self, now: Instant, out: &mut Discarded) -> Taken {
        while let Some(q) = self.interactive.pop_front() {
            self.queued_work = self.queued_work.saturating_sub(q.predicted);
            let sojourn = now.saturating_duration_since(q.enqueued);
            out.sojourns.push(sojourn);
            let behind = self.interactive.len();
            self.controller.on_dequeue(now, sojourn, behind);
            if !q.job.wanted() {
                out.skipped += 1;
                continue;
            }
            let ticket = self.start(now, q.cost, q.predicted);
            return Taken::Interactive(q.job, ticket);
        }
        self.queued_work = Duration::ZERO;
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
            let predicted = self.costs.predict(&q.cost);
            let ticket = self.start(now, q.cost, predicted);
            return Taken::Hydration(q.job, ticket);
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

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
