//! A job that holds a worker until released: the slowest job possible, so that tests
//! of full queues and coalescing never depend on timing.

use std::sync::mpsc;
use vignette::testing::pool::{Job, JobKind, Rejection, WorkerPool};
use vignette::testing::variant::VariantKey;

/// Holds one worker; dropping or releasing it frees the worker.
pub struct Gate {
    release: mpsc::Sender<()>,
}

impl Gate {
    /// Lets the job finish.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

struct GateJob {
    started: Option<tokio::sync::oneshot::Sender<()>>,
    release: mpsc::Receiver<()>,
    key: VariantKey,
}

impl Job for GateJob {
    fn run(mut self: Box<Self>, _: JobKind) {
        if let Some(started) = self.started.take() {
            let _ = started.send(());
        }
        // Returns on release, or when the Gate is dropped.
        let _ = self.release.recv();
    }
    fn reject(self: Box<Self>, _: Rejection) {}
    fn wanted(&self) -> bool {
        true
    }
    fn key(&self) -> VariantKey {
        self.key
    }
}

/// Submits a gate job and waits until a worker runs it.
pub async fn occupy_worker(pool: &WorkerPool) -> Gate {
    occupy_worker_as(pool, 0).await
}

/// Like [`occupy_worker`], with a distinct key per gate.
pub async fn occupy_worker_as(pool: &WorkerPool, n: u8) -> Gate {
    let (gate, started) = queue_gate(pool, n);
    started.await.expect("a worker took the gate job");
    gate
}

/// Queues a gate job without waiting for a worker (it may wait in the queue); the
/// receiver fires when a worker starts it.
pub fn queue_gate(pool: &WorkerPool, n: u8) -> (Gate, tokio::sync::oneshot::Receiver<()>) {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let job = GateJob {
        started: Some(started_tx),
        release: release_rx,
        key: VariantKey([n; 32]),
    };
    if pool.try_submit(Box::new(job)).is_err() {
        panic!("the pool refused the gate job");
    }
    (
        Gate {
            release: release_tx,
        },
        started_rx,
    )
}
