//! Timelines of the queue state alone: fake jobs, a simulated clock, no threads.

use super::*;
use crate::dialect::iiif::parse_params;
use crate::pool::Rejection;
use crate::pool::cost::CostClass;
use crate::pool::{CodelParams, JobKind};
use crate::variant::SourceRef;

struct FakeJob {
    id: u32,
    cost: Cost,
}

impl Job for FakeJob {
    fn run(self: Box<Self>, _: JobKind) {}
    fn reject(self: Box<Self>, _: Rejection) {}
    fn wanted(&self) -> bool {
        true
    }
    fn key(&self) -> VariantKey {
        let spec = parse_params("full/max/0/default.jpg").unwrap();
        VariantKey::new(&SourceRef::Local(self.id.to_string()), "v", &spec, "")
    }
    fn cost(&self) -> Cost {
        self.cost
    }
}

fn job(id: u32, class: CostClass, megapixels: f64) -> Box<dyn Job> {
    Box::new(FakeJob {
        id,
        cost: Cost::new(class, Some(megapixels)),
    })
}

fn state(workers: usize) -> QueueState {
    QueueState::new(QueueParams {
        capacity: 1000,
        workers,
        worker_nice: 0,
        codel: CodelParams::default(),
        hydration_capacity: 16,
        hydration_horizon: Duration::from_secs(3600),
    })
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs one job through a worker taking `took`, to teach the model.
fn teach(q: &mut QueueState, now: Instant, j: Box<dyn Job>, took: Duration) {
    q.push(now, j).map_err(|_| ()).expect("admitted");
    let ticket = match q.take(now, &mut Discarded::default()) {
        Taken::Interactive(_, t) => t,
        _ => panic!("a job"),
    };
    q.finish(ticket, took);
}

#[test]
fn thumbnails_behind_a_large_avif_are_estimated_by_their_cost() {
    let t0 = Instant::now();
    let mut q = state(1);
    // Learned: JPEG thumbnails at 10 ms per megapixel, AVIF at 500 ms per megapixel.
    for _ in 0..8 {
        teach(&mut q, t0, job(0, CostClass::Jpeg, 0.3), ms(3));
        teach(&mut q, t0, job(0, CostClass::Avif, 1.0), ms(500));
    }
    // A 3-megapixel AVIF starts at 0; ten thumbnails queue behind it.
    q.push(t0, job(1, CostClass::Avif, 3.0)).ok().unwrap();
    assert!(matches!(
        q.take(t0, &mut Discarded::default()),
        Taken::Interactive(..)
    ));
    for id in 2..12 {
        q.push(t0, job(id, CostClass::Jpeg, 0.3)).ok().unwrap();
    }
    // The next one waits for the AVIF (1.5 s) and the ten thumbnails (30 ms), not for
    // eleven "average" jobs (2.8 s with one mean for all: 251.5 ms × 11).
    assert_eq!(q.expected_wait(t0), ms(1530));
    // 1 s later the AVIF has 0.5 s left.
    assert_eq!(q.expected_wait(t0 + ms(1000)), ms(530));
    // Past its prediction it counts as ending now.
    assert_eq!(q.expected_wait(t0 + ms(2000)), ms(30));
    // Two workers share the work.
    let mut two = state(2);
    for _ in 0..8 {
        teach(&mut two, t0, job(0, CostClass::Jpeg, 0.3), ms(3));
    }
    for id in 0..10 {
        two.push(t0, job(id, CostClass::Jpeg, 0.3)).ok().unwrap();
    }
    assert_eq!(two.expected_wait(t0), ms(15));
}

#[test]
fn admission_bounds_the_wait_of_a_queue_of_large_jobs() {
    let t0 = Instant::now();
    let mut q = state(1);
    for _ in 0..8 {
        teach(&mut q, t0, job(0, CostClass::Avif, 1.0), ms(400));
    }
    // 400 ms each: five fit under the 2 s bound, the sixth would wait 2.0 s (admitted:
    // the bound is inclusive), the seventh is refused as `full`.
    for id in 0..6 {
        assert!(
            q.push(t0, job(id, CostClass::Avif, 1.0)).is_ok(),
            "job {id}"
        );
    }
    let refused = q.push(t0, job(7, CostClass::Avif, 1.0));
    assert!(matches!(refused, Err((_, RejectReason::Full))));
    // A thumbnail that costs little is refused too: it would wait as long.
    let thumb = q.push(t0, job(8, CostClass::Jpeg, 0.1));
    assert!(matches!(thumb, Err((_, RejectReason::Full))));
}

/// The browser-like overload: 50 clients, each asking for a distinct 400 ms render, then
/// pausing 100 ms after its answer (or refusal) before the next; one worker. Every
/// admitted job is rendered, none waits past the admission bound plus one render, and
/// once the clients stop the queue drains and admission reopens.
#[test]
fn browser_like_clients_are_refused_at_admission_or_rendered_in_bounded_time() {
    let t0 = Instant::now();
    let render = ms(400);
    let mut q = state(1);
    teach(&mut q, t0, job(0, CostClass::Jpeg, 36.0), render);
    // Next time each client asks (ms since t0); the simulation steps 1 ms at a time.
    let mut next_ask: Vec<u64> = (0..50).map(|c| c * 7).collect();
    // Admitted jobs in queue order (the queue is FIFO): their client and arrival.
    let mut waiting = std::collections::VecDeque::new();
    let mut busy_until: Option<(u64, Ticket)> = None;
    let (mut rendered, mut refused, mut max_sojourn) = (0u32, 0u32, Duration::ZERO);
    let mut id = 0u32;
    let stop_at = 30_000;
    for now_ms in 0..40_000u64 {
        let now = t0 + ms(now_ms);
        if let Some((until, ticket)) = busy_until
            && until == now_ms
        {
            q.finish(ticket, render);
            busy_until = None;
        }
        if busy_until.is_none() {
            let mut out = Discarded::default();
            if let Taken::Interactive(_, ticket) = q.take(now, &mut out) {
                let (client, asked) = waiting.pop_front().expect("a waiter");
                max_sojourn = max_sojourn.max(ms(now_ms - asked));
                rendered += 1;
                next_ask[client] = now_ms + 400 + 100;
                busy_until = Some((now_ms + 400, ticket));
            }
        }
        if now_ms >= stop_at {
            continue;
        }
        for (client, at) in next_ask.iter_mut().enumerate() {
            if *at != now_ms {
                continue;
            }
            id += 1;
            let j = Box::new(FakeJob {
                id,
                cost: Cost::new(CostClass::Jpeg, Some(36.0)),
            });
            match q.push(now, j) {
                Ok(()) => {
                    waiting.push_back((client, now_ms));
                    *at = u64::MAX;
                }
                Err(_) => {
                    refused += 1;
                    *at = now_ms + 100;
                }
            }
        }
    }
    assert!(waiting.is_empty(), "every admitted job was rendered");
    assert!(rendered > 60, "the worker stayed busy: {rendered}");
    assert!(refused > 1000, "overload refused at admission: {refused}");
    assert!(
        max_sojourn <= q.params.codel.max_wait + render,
        "waits bounded by admission: {max_sojourn:?}"
    );
    assert!(!q.is_shedding());
    assert!(
        q.push(t0 + ms(40_000), job(0, CostClass::Jpeg, 36.0))
            .is_ok()
    );
}
