//! The fixed pool of OS worker threads that render, fed by one bounded queue with a
//! CoDel-style admission controller, plus the hydration queue of refused misses.
//! Submitting never blocks: a job is queued or handed back at once with the reason.

pub(crate) mod clock;
pub(crate) mod codel;
pub(crate) mod cost;
mod priority;
mod queue;

use crate::metrics::Metrics;
use crate::variant::key::VariantKey;
use queue::{Discarded, QueueState, Taken};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;
use std::time::Instant;

pub use clock::{Clock, ManualClock, SystemClock};
pub(crate) use codel::CodelParams;
pub(crate) use cost::{Cost, CostClass};
pub(crate) use queue::QueueParams;

/// Why a job was refused or dropped; each answers `503`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// The queue is at its hard bound (jobs or estimated wait).
    Full,
    /// The failure mode refused it.
    Codel,
    /// The render ran past its deadline.
    Deadline,
    /// The instance is shutting down.
    Shutdown,
}

impl RejectReason {
    /// The `reason` label of `vignette_rejected_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Full => "full",
            RejectReason::Codel => "codel",
            RejectReason::Deadline => "deadline",
            RejectReason::Shutdown => "shutdown",
        }
    }
}

/// A refusal, with the expected time until the queue drains (for `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    /// Why.
    pub reason: RejectReason,
    /// When to come back.
    pub retry_after: Duration,
}

impl Rejection {
    /// Whole seconds for `Retry-After`: at least 1, at most 2 minutes.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().clamp(1.0, 120.0) as u64
    }
}

/// Whether a job serves waiting requests or only fills the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Someone waits for the answer.
    Interactive,
    /// A refused miss rendered later, into the cache.
    Hydration,
}

/// A unit of CPU work. Implemented by the HTTP layer's render job; the pool only
/// schedules.
pub trait Job: Send + 'static {
    /// Does the work on a worker thread and answers whoever waits.
    fn run(self: Box<Self>, kind: JobKind);
    /// Answers whoever waits that the job will not run.
    fn reject(self: Box<Self>, rejection: Rejection);
    /// False once nobody waits for the result and nothing else wants it: the job is
    /// skipped instead of rendered.
    fn wanted(&self) -> bool;
    /// The variant the job renders (hydration deduplicates on it).
    fn key(&self) -> VariantKey;
    /// What the job is expected to cost, for admission's wait estimate. Unknown by
    /// default: the job then counts as an average one.
    fn cost(&self) -> Cost {
        Cost::default()
    }
    /// Called, under the queue's lock, on the interactive job next in line when a worker
    /// takes work and the instance is not shedding: a chance to start cheap, non-blocking
    /// preparation (the render job reads its source ahead, once the running job has
    /// decoded its own) so that its render does not wait for it. Must not block. Only the
    /// head of the queue is warmed.
    fn warm(&self) {}
}

struct Shared {
    state: Mutex<QueueState>,
    work_ready: Condvar,
    metrics: Metrics,
    /// Mirrors of the queue state readable without the lock, for the refusal fast path.
    shedding: AtomicBool,
    drain_ms: AtomicU64,
    clock: Arc<dyn Clock>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // A worker that panicked mid-render never holds this lock (renders run outside
        // it), so a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(&self, st: &QueueState, now: Instant) {
        self.shedding.store(st.is_shedding(), Ordering::Release);
        self.drain_ms
            .store(st.drain_estimate(now).as_millis() as u64, Ordering::Release);
        self.metrics.queue_depth.set(st.interactive_len() as i64);
        self.metrics.hydration_depth.set(st.hydration_len() as i64);
        self.metrics.overloaded.set(st.is_shedding() as i64);
    }
}

/// The worker pool. Cheap to share behind an `Arc`.
pub struct WorkerPool {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerPool").finish_non_exhaustive()
    }
}

/// A snapshot of the pool for `/health/ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Whether the failure mode is on.
    pub shedding: bool,
    /// Interactive jobs waiting.
    pub queued: usize,
    /// Hydration entries waiting.
    pub hydration_queued: usize,
    /// Expected time to drain the queue.
    pub drain_estimate: Duration,
}

impl WorkerPool {
    /// Starts `params.workers` OS threads named `render-N`. Never uses the async
    /// runtime's threads or its unbounded blocking pool.
    pub fn start(params: QueueParams, metrics: Metrics) -> std::io::Result<Self> {
        Self::start_with_clock(params, metrics, Arc::new(SystemClock))
    }

    /// [`WorkerPool::start`] with the queue's time taken from `clock`.
    pub fn start_with_clock(
        params: QueueParams,
        metrics: Metrics,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(QueueState::new(params)),
            work_ready: Condvar::new(),
            metrics,
            shedding: AtomicBool::new(false),
            drain_ms: AtomicU64::new(0),
            clock,
        });
        let mut threads = Vec::with_capacity(params.workers);
        for n in 0..params.workers.max(1) {
            let shared = shared.clone();
            let nice = params.worker_nice;
            threads.push(
                std::thread::Builder::new()
                    .name(format!("render-{n}"))
                    .spawn(move || {
                        if !priority::lower_current_thread(nice) {
                            tracing::warn!(nice, "the OS refused to lower a worker's priority");
                        }
                        worker_loop(&shared)
                    })?,
            );
        }
        Ok(WorkerPool {
            shared,
            threads: Mutex::new(threads),
        })
    }

    /// Queues an interactive job, or hands it back at once with the refusal. No I/O,
    /// no allocation beyond the queue slot: the refusal path costs microseconds.
    pub fn try_submit(&self, job: Box<dyn Job>) -> Result<(), (Box<dyn Job>, Rejection)> {
        let mut st = self.shared.lock();
        let now = self.shared.clock.now();
        let result = st.push(now, job);
        let retry_after = st.drain_estimate(now);
        self.shared.publish(&st, now);
        drop(st);
        match result {
            Ok(()) => {
                self.shared.work_ready.notify_one();
                Ok(())
            }
            Err((job, reason)) => {
                self.shared
                    .metrics
                    .rejected
                    .with_label_values(&[reason.as_str()])
                    .inc();
                Err((
                    job,
                    Rejection {
                        reason,
                        retry_after,
                    },
                ))
            }
        }
    }

    /// The refusal fast path: while the failure mode is on, refuses (and counts) a new
    /// miss without taking the queue's lock or building a job. Two atomic loads.
    pub fn refuse_if_shedding(&self) -> Option<Rejection> {
        if !self.shared.shedding.load(Ordering::Acquire) {
            return None;
        }
        self.shared
            .metrics
            .rejected
            .with_label_values(&[RejectReason::Codel.as_str()])
            .inc();
        Some(Rejection {
            reason: RejectReason::Codel,
            retry_after: Duration::from_millis(self.shared.drain_ms.load(Ordering::Acquire)),
        })
    }

    /// Queues a job that renders into the cache when the workers have nothing
    /// interactive to do. Returns false when the key is already queued or the queue is
    /// full.
    pub fn submit_hydration(&self, job: Box<dyn Job>) -> bool {
        let mut st = self.shared.lock();
        let now = self.shared.clock.now();
        let queued = st.push_hydration(now, job);
        self.shared.publish(&st, now);
        drop(st);
        if queued {
            self.shared.work_ready.notify_one();
        }
        queued
    }

    /// The current state, for readiness.
    pub fn status(&self) -> PoolStatus {
        let st = self.shared.lock();
        PoolStatus {
            shedding: st.is_shedding(),
            queued: st.interactive_len(),
            hydration_queued: st.hydration_len(),
            drain_estimate: st.drain_estimate(self.shared.clock.now()),
        }
    }

    /// Stops accepting work, lets the workers finish the interactive queue, drops the
    /// hydration queue and joins the threads. Blocking: call it off the runtime.
    pub fn shutdown(&self) {
        {
            let mut st = self.shared.lock();
            st.shutting_down = true;
            st.clear_hydration();
            self.shared.publish(&st, self.shared.clock.now());
        }
        self.shared.work_ready.notify_all();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for t in threads {
            let _ = t.join();
        }
    }
}

fn worker_loop(shared: &Shared) {
    loop {
        let mut discarded = Discarded::default();
        let taken = {
            let mut st = shared.lock();
            let taken = loop {
                let now = shared.clock.now();
                let taken = st.take(now, &mut discarded);
                // Anything taken or skipped is accounted for before waiting.
                if !matches!(taken, Taken::Idle) || !discarded.is_empty() {
                    break taken;
                }
                if st.shutting_down {
                    return;
                }
                shared.publish(&st, now);
                st = shared
                    .work_ready
                    .wait(st)
                    .unwrap_or_else(|p| p.into_inner());
            };
            if !matches!(taken, Taken::Idle)
                && !st.is_shedding()
                && let Some(next) = st.next_interactive()
            {
                next.warm();
            }
            shared.publish(&st, shared.clock.now());
            taken
        };
        let m = &shared.metrics;
        for s in &discarded.sojourns {
            m.queue_sojourn.observe(s.as_secs_f64());
        }
        m.skipped.inc_by(discarded.skipped);
        m.hydration_expired.inc_by(discarded.expired);
        let (job, kind, ticket) = match taken {
            Taken::Interactive(job, ticket) => (job, JobKind::Interactive, ticket),
            Taken::Hydration(job, ticket) => (job, JobKind::Hydration, ticket),
            Taken::Idle => continue,
        };
        m.workers_busy.inc();
        let started = shared.clock.now();
        // A panic inside a codec must not take the worker down with it: the job's
        // waiters see their channel closed and answer an error.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(kind)));
        m.workers_busy.dec();
        let now = shared.clock.now();
        let mut st = shared.lock();
        st.finish(ticket, now.saturating_duration_since(started));
        shared.publish(&st, now);
    }
}

#[cfg(test)]
mod tests;
