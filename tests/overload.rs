//! Overload through the real HTTP path: a full queue, the failure mode entered and left
//! (driven by a manual clock, no sleeps), refused misses hydrated into the cache, jobs
//! skipped when their clients left, renders abandoned past their deadline, a burst
//! absorbed, and a graceful drain.

mod common;

use common::gate::{occupy_worker, occupy_worker_as, queue_gate};
use common::{eventually, start_with, start_with_clock};
use std::sync::Arc;
use std::time::Duration;
use vignette::testing::pool::ManualClock;

/// Asserts a fast-failure answer: 503, Retry-After, no-store, a short body.
#[track_caller]
fn assert_refused(status: u16, h: &reqwest::header::HeaderMap, body: &[u8]) {
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(body));
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(h["cache-control"], "no-store");
    assert!(body.len() < 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_at_once_and_hydrates_later() {
    let s = start_with(common::fixtures::write_all, |st| {
        st.queue.workers = 1;
        st.queue.capacity = 1;
    })
    .await;
    let busy = occupy_worker(&s.state.pool).await;
    let (queued, _) = queue_gate(&s.state.pool, 2);
    let (status, h, body) = s.iiif("grid.png/full/64,/0/default.png").await;
    assert_refused(status, &h, &body);
    assert_eq!(
        s.metric("vignette_rejected_total{reason=\"full\"}").await,
        1.0
    );
    assert_eq!(s.metric("vignette_hydration_queue_depth").await, 1.0);
    // Once the workers are free, the refused miss is rendered into the cache.
    busy.release();
    queued.release();
    eventually(20, "the hydration render", || async {
        s.metric("vignette_hydrated_total").await == 1.0
    })
    .await;
    eventually(20, "the cache write", || async {
        s.metric("vignette_cache_writes_total{outcome=\"ok\"}")
            .await
            == 1.0
    })
    .await;
    let (status, h, _) = s.iiif("grid.png/full/64,/0/default.png").await;
    assert_eq!(status, 200);
    assert_eq!(
        h["x-cache"], "hit",
        "served from the cache the hydration filled"
    );
    // Latency is recorded by answer, so that refusals are visible server-side.
    let count = |answer: &str, class: &str| {
        format!(
            "vignette_http_request_duration_seconds_count{{answer=\"{answer}\",class=\"{class}\",route=\"iiif_image\"}}"
        )
    };
    assert_eq!(s.metric(&count("refused", "5xx")).await, 1.0);
    assert_eq!(s.metric(&count("hit", "2xx")).await, 1.0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standing_queue_sheds_misses_keeps_hits_and_recovers() {
    let clock = Arc::new(ManualClock::new());
    let s = start_with_clock(
        |st| {
            st.queue.workers = 1;
            // Only the controller decides here, not the wait bound.
            st.queue.codel.max_wait = Duration::from_secs(3600);
        },
        clock.clone(),
    )
    .await;
    // A cached variant, to check that hits flow while shedding.
    let (status, _, cached) = s.iiif("grid.jpg/full/80,/0/default.jpg").await;
    assert_eq!(status, 200);
    eventually(20, "the cache write", || async {
        s.metric("vignette_cache_writes_total{outcome=\"ok\"}")
            .await
            == 1.0
    })
    .await;

    // One job runs, two wait; 1 s later the first waiting one starts (it waited past the
    // 500 ms target), the other keeps waiting.
    let first = occupy_worker_as(&s.state.pool, 1).await;
    let (second, second_started) = queue_gate(&s.state.pool, 2);
    let (third, third_started) = queue_gate(&s.state.pool, 3);
    clock.advance(Duration::from_secs(1));
    first.release();
    second_started.await.unwrap();
    assert_eq!(
        s.metric("vignette_overloaded").await,
        0.0,
        "not standing long enough yet"
    );
    // 5 s later the head has stood above the target for a whole interval.
    clock.advance(Duration::from_secs(5));
    let (status, h, body) = s.iiif("grid.png/full/50,/0/default.png").await;
    assert_refused(status, &h, &body);
    assert_eq!(s.metric("vignette_overloaded").await, 1.0);
    assert_eq!(
        s.metric("vignette_rejected_total{reason=\"codel\"}").await,
        1.0
    );
    let ready: serde_json::Value = s
        .client
        .get(format!("{}/health/ready", s.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["overloaded"], true);
    assert_eq!(ready["status"], "ready");

    // Further misses are refused on the fast path; hits are still served.
    let (status, h, body) = s.iiif("grid.png/full/60,/0/default.png").await;
    assert_refused(status, &h, &body);
    let (status, h, body) = s.iiif("grid.jpg/full/80,/0/default.jpg").await;
    assert_eq!((status, h["x-cache"].to_str().unwrap()), (200, "hit"));
    assert_eq!(body, cached);
    assert_eq!(
        s.metric("vignette_rejected_total{reason=\"codel\"}").await,
        2.0
    );
    assert_eq!(s.metric("vignette_hydration_queue_depth").await, 2.0);

    // The running job ends: the waiting job is rendered, however long it waited (it was
    // admitted: no slow refusal), the queue is empty, the failure mode ends, and the
    // refused misses are rendered into the cache.
    second.release();
    third_started.await.expect("the admitted job runs");
    third.release();
    eventually(20, "recovery and hydration", || async {
        s.metric("vignette_overloaded").await == 0.0
            && s.metric("vignette_hydrated_total").await == 2.0
    })
    .await;
    assert_eq!(
        s.metric("vignette_rejected_total{reason=\"codel\"}").await,
        2.0,
        "only the two refusals at admission"
    );
    eventually(20, "the hydrated writes", || async {
        s.metric("vignette_cache_writes_total{outcome=\"ok\"}")
            .await
            == 3.0
    })
    .await;
    for w in [50, 60] {
        let (status, h, _) = s.iiif(&format!("grid.png/full/{w},/0/default.png")).await;
        assert_eq!(
            (status, h["x-cache"].to_str().unwrap()),
            (200, "hit"),
            "width {w}"
        );
    }
    // New misses are admitted again.
    let (status, h, _) = s.iiif("grid.png/full/70,/0/default.png").await;
    assert_eq!((status, h["x-cache"].to_str().unwrap()), (200, "miss"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_clients_left_is_skipped() {
    let s = start_with(common::fixtures::write_all, |st| st.queue.workers = 1).await;
    let busy = occupy_worker(&s.state.pool).await;
    let url = format!("{}/iiif/3/grid.png/full/90,/0/default.webp", s.base);
    let client = s.client.clone();
    let request = tokio::spawn(async move { client.get(url).send().await });
    eventually(20, "the job queued", || async {
        s.metric("vignette_queue_depth").await == 1.0
    })
    .await;
    // The client gives up: its connection closes, the server drops the request.
    request.abort();
    eventually(20, "the server noticing", || async {
        s.state.requests_waiting() == 0
    })
    .await;
    busy.release();
    eventually(20, "the skip", || async {
        s.metric("vignette_jobs_skipped_total").await == 1.0
    })
    .await;
    assert_eq!(
        s.metric("vignette_renders_total{format=\"webp\"}").await,
        0.0
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_past_its_deadline_is_abandoned_and_counted() {
    let s = start_with(common::fixtures::write_all, |st| {
        st.render_deadline = Duration::ZERO
    })
    .await;
    let (status, h, body) = s.iiif("grid.png/full/500,/0/default.avif").await;
    assert_refused(status, &h, &body);
    assert_eq!(s.metric("vignette_render_abandoned_total").await, 1.0);
    assert_eq!(
        s.metric("vignette_rejected_total{reason=\"deadline\"}")
            .await,
        1.0
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_eight_distinct_requests_on_an_idle_instance_is_absorbed() {
    let s = start_with(common::fixtures::write_all, |st| st.queue.workers = 1).await;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let url = format!(
            "{}/iiif/3/grid.jpg/full/{},/0/default.webp",
            s.base,
            300 + w
        );
        let client = s.client.clone();
        tasks.push(tokio::spawn(async move {
            client.get(url).send().await.unwrap().status().as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(
        s.metric("vignette_renders_total{format=\"webp\"}").await,
        8.0
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_in_flight_requests_and_fails_readiness_meanwhile() {
    let s = start_with(common::fixtures::write_all, |st| st.queue.workers = 1).await;
    let busy = occupy_worker(&s.state.pool).await;
    let url = format!("{}/iiif/3/grid.png/full/30,/0/default.png", s.base);
    let client = s.client.clone();
    let request =
        tokio::spawn(async move { client.get(url).send().await.unwrap().status().as_u16() });
    eventually(20, "the job queued", || async {
        s.metric("vignette_queue_depth").await == 1.0
    })
    .await;
    let admin = s.admin.clone();
    let state = s.state.clone();
    let stopping = tokio::spawn(s.stop());
    eventually(20, "readiness failing", || async {
        let resp = reqwest::get(format!("{admin}/health/ready")).await;
        resp.is_ok_and(|r| r.status() == 503)
    })
    .await;
    assert!(state.draining.load(std::sync::atomic::Ordering::Acquire));
    busy.release();
    assert_eq!(
        request.await.unwrap(),
        200,
        "the in-flight request completes"
    );
    stopping.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_job_reads_its_source_while_the_worker_renders_another() {
    let s = start_with(common::fixtures::write_all, |st| {
        st.queue.workers = 1;
        // Every render reads its source.
        st.intermediate_cache_bytes = 0;
    })
    .await;
    let busy = occupy_worker(&s.state.pool).await;
    let requests: Vec<_> = ["64,", "32,"]
        .into_iter()
        .map(|size| {
            let url = format!("{}/iiif/3/grid.png/full/{size}/0/default.png", s.base);
            let client = s.client.clone();
            tokio::spawn(async move { client.get(url).send().await.unwrap().status() })
        })
        .collect();
    eventually(20, "both requests queued", || async {
        s.metric("vignette_queue_depth").await == 2.0
    })
    .await;
    // Taking the first warms the second, which reads its source during the first render.
    busy.release();
    for r in requests {
        assert_eq!(r.await.unwrap(), 200);
    }
    assert_eq!(s.metric("vignette_source_reads_ahead_total").await, 1.0);
    assert_eq!(
        s.metric("vignette_renders_total{format=\"png\"}").await,
        2.0
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_requests_render_once_until_the_cache_has_the_variant() {
    // Requests arriving while the render runs, just after it finished, or while its cache
    // write is still pending all join that one render (issue 13: a request that missed the
    // cache between "render finished" and "slot written" used to render again).
    let s = start_with(common::fixtures::write_all, |_| {}).await;
    for round in 0..5u32 {
        let path = format!("/iiif/3/grid.png/full/{},/0/default.png", 100 + round);
        let mut tasks = Vec::new();
        for i in 0..20 {
            let (client, url) = (s.client.clone(), format!("{}{path}", s.base));
            tasks.push(tokio::spawn(async move {
                // Spread over a few scheduler turns, as requests arriving over a few ms.
                for _ in 0..i {
                    tokio::task::yield_now().await;
                }
                let resp = client.get(url).send().await.unwrap();
                (resp.status().as_u16(), resp.bytes().await.unwrap())
            }));
        }
        let mut bodies = Vec::new();
        for t in tasks {
            let (status, body) = t.await.unwrap();
            assert_eq!(status, 200);
            bodies.push(body);
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(
            s.metric("vignette_renders_total{format=\"png\"}").await,
            f64::from(round + 1),
            "round {round}"
        );
    }
    s.stop().await;
}
