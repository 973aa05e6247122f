//! Pool tests with jobs whose progress the test controls through channels: no sleeps.

use super::*;
use crate::dialect::iiif::parse_params;
use crate::variant::SourceRef;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

/// What a test job reports.
#[derive(Debug, PartialEq)]
enum Event {
    Started(u32, JobKind),
    Rejected(u32, RejectReason),
    Warmed(u32),
}

struct TestJob {
    id: u32,
    /// The job blocks in `run` until the test sends on this gate (or drops it).
    gate: Option<mpsc::Receiver<()>>,
    events: mpsc::Sender<Event>,
    wanted: Arc<AtomicBool>,
}

impl Job for TestJob {
    fn run(self: Box<Self>, kind: JobKind) {
        let _ = self.events.send(Event::Started(self.id, kind));
        if let Some(gate) = &self.gate {
            let _ = gate.recv();
        }
    }
    fn reject(self: Box<Self>, rejection: Rejection) {
        let _ = self.events.send(Event::Rejected(self.id, rejection.reason));
    }
    fn wanted(&self) -> bool {
        self.wanted.load(Ordering::SeqCst)
    }
    fn key(&self) -> VariantKey {
        let spec = parse_params("full/max/0/default.jpg").unwrap();
        VariantKey::new(&SourceRef::Local(self.id.to_string()), "v", &spec, "")
    }
    fn warm(&self) {
        let _ = self.events.send(Event::Warmed(self.id));
    }
}

struct Harness {
    pool: WorkerPool,
    metrics: Metrics,
    events: mpsc::Receiver<Event>,
    tx: mpsc::Sender<Event>,
}

impl Harness {
    fn new(workers: usize, capacity: usize) -> Self {
        Self::with_clock(workers, capacity, Arc::new(SystemClock))
    }

    fn with_clock(workers: usize, capacity: usize, clock: Arc<dyn Clock>) -> Self {
        let metrics = Metrics::new();
        let params = QueueParams {
            capacity,
            workers,
            worker_nice: 0,
            codel: CodelParams::default(),
            hydration_capacity: 4,
            hydration_horizon: Duration::from_secs(3600),
        };
        let pool = WorkerPool::start_with_clock(params, metrics.clone(), clock).unwrap();
        let (tx, events) = mpsc::channel();
        Harness {
            pool,
            metrics,
            events,
            tx,
        }
    }

    /// A job gated by the returned sender, and its "wanted" flag.
    fn job(&self, id: u32) -> (Box<dyn Job>, mpsc::Sender<()>, Arc<AtomicBool>) {
        let (gate_tx, gate_rx) = mpsc::channel();
        let wanted = Arc::new(AtomicBool::new(true));
        let job = TestJob {
            id,
            gate: Some(gate_rx),
            events: self.tx.clone(),
            wanted: wanted.clone(),
        };
        (Box::new(job), gate_tx, wanted)
    }

    fn next(&self) -> Event {
        self.events
            .recv_timeout(Duration::from_secs(10))
            .expect("an event within 10 s")
    }
}

#[test]
fn full_queue_refuses_at_once_and_frees_up_after() {
    let h = Harness::new(1, 1);
    let (j1, g1, _) = h.job(1);
    let (j2, g2, _) = h.job(2);
    let (j3, _g3, _) = h.job(3);
    assert!(h.pool.try_submit(j1).is_ok());
    assert_eq!(h.next(), Event::Started(1, JobKind::Interactive));
    // The worker is busy with 1; 2 takes the only queue slot; 3 is refused.
    assert!(h.pool.try_submit(j2).is_ok());
    let (_, rejection) = h.pool.try_submit(j3).expect_err("refused");
    assert_eq!(rejection.reason, RejectReason::Full);
    assert_eq!(
        h.metrics.rejected.with_label_values(&["full"]).get(),
        1,
        "refusal counted"
    );
    assert_eq!(h.metrics.queue_depth.get(), 1);
    g1.send(()).unwrap();
    assert_eq!(h.next(), Event::Started(2, JobKind::Interactive));
    g2.send(()).unwrap();
    h.pool.shutdown();
    assert_eq!(h.metrics.queue_depth.get(), 0);
}

#[test]
fn a_job_nobody_waits_for_is_skipped() {
    let h = Harness::new(1, 4);
    let (j1, g1, _) = h.job(1);
    let (j2, _g2, wanted2) = h.job(2);
    let (j3, g3, _) = h.job(3);
    h.pool.try_submit(j1).ok().unwrap();
    assert_eq!(h.next(), Event::Started(1, JobKind::Interactive));
    h.pool.try_submit(j2).ok().unwrap();
    h.pool.try_submit(j3).ok().unwrap();
    wanted2.store(false, Ordering::SeqCst);
    g1.send(()).unwrap();
    // 2 is skipped: the next job to start is 3.
    assert_eq!(h.next(), Event::Started(3, JobKind::Interactive));
    g3.send(()).unwrap();
    h.pool.shutdown();
    assert_eq!(h.metrics.skipped.get(), 1);
}

#[test]
fn hydration_waits_for_an_empty_interactive_queue_and_deduplicates() {
    let h = Harness::new(1, 4);
    let (j1, g1, _) = h.job(1);
    let (j2, g2, _) = h.job(2);
    let (hy, gh, _) = h.job(10);
    let (hy_dup, _gd, _) = h.job(10);
    h.pool.try_submit(j1).ok().unwrap();
    assert_eq!(h.next(), Event::Started(1, JobKind::Interactive));
    assert!(h.pool.submit_hydration(hy));
    assert!(!h.pool.submit_hydration(hy_dup), "same key is queued once");
    assert_eq!(h.metrics.hydration_depth.get(), 1);
    h.pool.try_submit(j2).ok().unwrap();
    g1.send(()).unwrap();
    // Interactive 2 goes before the hydration job queued earlier.
    assert_eq!(h.next(), Event::Started(2, JobKind::Interactive));
    g2.send(()).unwrap();
    assert_eq!(h.next(), Event::Started(10, JobKind::Hydration));
    gh.send(()).unwrap();
    h.pool.shutdown();
}

#[test]
fn shutdown_finishes_queued_work_then_refuses() {
    let h = Harness::new(1, 4);
    let (j1, g1, _) = h.job(1);
    let (j2, g2, _) = h.job(2);
    h.pool.try_submit(j1).ok().unwrap();
    assert_eq!(h.next(), Event::Started(1, JobKind::Interactive));
    h.pool.try_submit(j2).ok().unwrap();
    // Release both gates up front so that shutdown can join.
    g1.send(()).unwrap();
    g2.send(()).unwrap();
    h.pool.shutdown();
    assert_eq!(h.next(), Event::Started(2, JobKind::Interactive));
    let (j3, _g3, _) = h.job(3);
    let (_, rejection) = h.pool.try_submit(j3).expect_err("refused after shutdown");
    assert_eq!(rejection.reason, RejectReason::Shutdown);
}

#[test]
fn a_panicking_job_does_not_kill_its_worker() {
    struct Boom;
    impl Job for Boom {
        fn run(self: Box<Self>, _: JobKind) {
            panic!("codec bug");
        }
        fn reject(self: Box<Self>, _: Rejection) {}
        fn wanted(&self) -> bool {
            true
        }
        fn key(&self) -> VariantKey {
            VariantKey([0; 32])
        }
    }
    let h = Harness::new(1, 4);
    h.pool.try_submit(Box::new(Boom)).ok().unwrap();
    let (j, g, _) = h.job(1);
    h.pool.try_submit(j).ok().unwrap();
    // 1 may be queued before the worker takes Boom, and then warmed.
    let first = h.next();
    if first == Event::Warmed(1) {
        assert_eq!(h.next(), Event::Started(1, JobKind::Interactive));
    } else {
        assert_eq!(first, Event::Started(1, JobKind::Interactive));
    }
    g.send(()).unwrap();
    h.pool.shutdown();
}

#[test]
fn hydration_entries_older_than_the_horizon_are_dropped() {
    let clock = Arc::new(ManualClock::new());
    let h = Harness::with_clock(1, 4, clock.clone());
    let (j1, g1, _) = h.job(1);
    let (old, _go, _) = h.job(10);
    h.pool.try_submit(j1).ok().unwrap();
    assert_eq!(h.next(), Event::Started(1, JobKind::Interactive));
    assert!(h.pool.submit_hydration(old));
    // The horizon is one hour: the entry outlives it while the worker is busy.
    clock.advance(Duration::from_secs(3601));
    let (fresh, gf, _) = h.job(11);
    assert!(h.pool.submit_hydration(fresh));
    g1.send(()).unwrap();
    assert_eq!(
        h.next(),
        Event::Started(11, JobKind::Hydration),
        "10 expired"
    );
    gf.send(()).unwrap();
    h.pool.shutdown();
    assert_eq!(h.metrics.hydration_expired.get(), 1);
}

#[test]
fn the_job_next_in_line_is_warmed_when_a_worker_takes_one() {
    let h = Harness::new(1, 4);
    let (j1, g1, _) = h.job(1);
    let (j2, g2, _) = h.job(2);
    let (j3, g3, _) = h.job(3);
    h.pool.try_submit(j1).ok().unwrap();
    // Nothing was queued behind 1 when it was taken: nothing warmed.
    assert_eq!(h.next(), Event::Started(1, JobKind::Interactive));
    h.pool.try_submit(j2).ok().unwrap();
    h.pool.try_submit(j3).ok().unwrap();
    g1.send(()).unwrap();
    // Taking 2 warms 3 (under the lock, before 2 runs); 2 itself was not warmed.
    assert_eq!(h.next(), Event::Warmed(3));
    assert_eq!(h.next(), Event::Started(2, JobKind::Interactive));
    g2.send(()).unwrap();
    assert_eq!(h.next(), Event::Started(3, JobKind::Interactive));
    g3.send(()).unwrap();
    h.pool.shutdown();
    assert!(h.events.try_recv().is_err(), "no other job was warmed");
}
