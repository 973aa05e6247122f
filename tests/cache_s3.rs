//! The slot cache and the S3 source end to end, against a real Garage node: miss then
//! hit, graceful restart, crash (kill -9), slots overwritten behind vignette's back, more
//! variants than slots, coalescing, a replaced source, and Garage going away and back.
//! The tests share one node, each under a prefix of its own, except the one that stops
//! Garage; all fail loudly when Garage is missing.

mod common;

use common::garage::Garage;
use common::{Server, eventually, fixtures, start_in};
use std::path::Path;
use std::time::Duration;
use vignette::Settings;
use vignette::testing::config::{CacheStoreChoice, SourceChoice};
use vignette::testing::source::{Buckets, S3SourceSettings};

/// Points `s` at `garage`: the slot cache in its cache bucket under `prefix`.
fn s3_cache(garage: &Garage, prefix: &str) -> impl FnOnce(&mut Settings) + use<> {
    let s3 = garage.settings();
    let bucket = garage.var("VIGNETTE_CACHE_BUCKET").to_owned();
    let prefix = prefix.to_owned();
    move |s: &mut Settings| {
        s.s3 = Some(s3);
        s.cache.store = CacheStoreChoice::S3 {
            bucket,
            prefix,
            timeout: Duration::from_secs(2),
        };
    }
}

fn images() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixtures::write_all(dir.path());
    dir
}

async fn get(s: &Server, tail: &str) -> (u16, String, Vec<u8>) {
    let (status, h, body) = s.iiif(tail).await;
    let cache = h
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, cache, body)
}

async fn slot_objects(garage: &Garage, prefix: &str) -> usize {
    let (client, _) = garage.client();
    let out = client
        .sdk()
        .list_objects_v2()
        .bucket(garage.var("VIGNETTE_CACHE_BUCKET"))
        .prefix(format!("{prefix}slot-"))
        .send()
        .await
        .unwrap();
    out.contents().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn miss_then_hit_renders_once_and_returns_identical_bytes() {
    let garage = Garage::shared();
    let dir = images();
    let s = start_in(dir.path(), s3_cache(garage, "a/")).await;
    let (status, cache, first) = get(&s, "grid.jpg/full/300,/0/default.webp").await;
    assert_eq!((status, cache.as_str()), (200, "miss"));
    assert_eq!(s.renders().await, 1.0);
    s.writes_landed(1.0).await;
    let (status, cache, second) = get(&s, "grid.jpg/full/300,/0/default.webp").await;
    assert_eq!((status, cache.as_str()), (200, "hit"));
    assert_eq!(first, second, "identical bytes");
    assert_eq!(s.renders().await, 1.0, "the hit rendered nothing");
    assert_eq!(s.metric("vignette_cache_hits_total").await, 1.0);
    assert_eq!(s.metric("vignette_cache_slots_used").await, 1.0);
    assert!(
        s.metric("vignette_s3_requests_total{op=\"put\",outcome=\"ok\"}")
            .await
            >= 1.0
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_restart_keeps_the_cache() {
    let garage = Garage::shared();
    let dir = images();
    let s = start_in(dir.path(), s3_cache(garage, "b/")).await;
    let (_, _, before) = get(&s, "grid.png/full/200,/90/default.png").await;
    // Shutdown waits for the write and flushes the index.
    s.stop().await;
    let s = start_in(dir.path(), s3_cache(garage, "b/")).await;
    let (status, cache, after) = get(&s, "grid.png/full/200,/90/default.png").await;
    assert_eq!(
        (status, cache.as_str()),
        (200, "hit"),
        "first request after restart"
    );
    assert_eq!(before, after);
    assert_eq!(s.renders().await, 0.0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_overwritten_behind_our_back_is_never_served() {
    let garage = Garage::shared();
    let dir = images();
    let s = start_in(dir.path(), s3_cache(garage, "c/")).await;
    let (_, _, good) = get(&s, "grid.jpg/full/100,/0/default.jpg").await;
    s.writes_landed(1.0).await;
    // Someone writes other bytes into the only slot object.
    let (client, _) = garage.client();
    let bucket = garage.var("VIGNETTE_CACHE_BUCKET");
    let listed = client
        .sdk()
        .list_objects_v2()
        .bucket(bucket)
        .prefix("c/slot-")
        .send()
        .await
        .unwrap();
    let slot = listed.contents()[0].key().unwrap().to_owned();
    client
        .sdk()
        .put_object()
        .bucket(bucket)
        .key(&slot)
        .body(b"<html>not an image</html>".to_vec().into())
        .send()
        .await
        .unwrap();
    let (status, cache, body) = get(&s, "grid.jpg/full/100,/0/default.jpg").await;
    assert_eq!(
        (status, cache.as_str()),
        (200, "miss"),
        "detected, re-rendered"
    );
    assert_eq!(body, good);
    assert_eq!(s.metric("vignette_cache_etag_mismatches_total").await, 1.0);
    assert_eq!(s.renders().await, 2.0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_variants_than_slots_never_exceed_the_slots() {
    let garage = Garage::shared();
    let dir = images();
    let with_cache = s3_cache(garage, "d/");
    let s = start_in(dir.path(), |st| {
        with_cache(st);
        st.cache.settings.slots = std::num::NonZeroU32::new(3).unwrap();
    })
    .await;
    for (i, w) in (10..=90).step_by(10).enumerate() {
        let (status, _, _) = get(&s, &format!("grid.png/full/{w},/0/default.png")).await;
        assert_eq!(status, 200);
        s.writes_landed((i + 1).min(3) as f64).await;
        assert!(s.metric("vignette_cache_slots_used").await <= 3.0);
        assert!(slot_objects(garage, "d/").await <= 3);
    }
    s.state.cache.settle().await;
    assert!(s.metric("vignette_cache_evictions_total").await >= 6.0);
    assert!(slot_objects(garage, "d/").await <= 3);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_identical_requests_render_once() {
    let garage = Garage::shared();
    let dir = images();
    let with_cache = s3_cache(garage, "e/");
    let s = start_in(dir.path(), |st| {
        with_cache(st);
        st.queue.workers = 1;
    })
    .await;
    // Hold the only worker so that all 50 requests are in flight together.
    let gate = common::gate::occupy_worker(&s.state.pool).await;
    let url = format!("{}/iiif/3/grid.jpg/full/250,/0/default.avif", s.base);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (client, url) = (s.client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let resp = client.get(url).send().await.unwrap();
            (resp.status().as_u16(), resp.bytes().await.unwrap())
        }));
    }
    eventually(20, "49 requests joining the flight", || async {
        s.metric("vignette_coalesced_total").await >= 49.0
    })
    .await;
    gate.release();
    let mut bodies = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200);
        bodies.push(body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "identical bytes");
    assert_eq!(s.renders().await, 1.0, "exactly one render");
    assert_eq!(s.metric("vignette_coalesced_total").await, 49.0);
    s.stop().await;
}

/// Uploads `bytes` as `key` in the images bucket.
async fn upload(garage: &Garage, key: &str, bytes: Vec<u8>) {
    let (client, _) = garage.client();
    client
        .sdk()
        .put_object()
        .bucket(garage.var("GARAGE_IMAGES_BUCKET"))
        .key(key)
        .body(bytes.into())
        .send()
        .await
        .unwrap();
}

fn s3_source(garage: &Garage, revalidate: Duration) -> impl FnOnce(&mut Settings) + use<> {
    let with_cache = s3_cache(garage, "f/");
    let bucket = garage.var("GARAGE_IMAGES_BUCKET").to_owned();
    move |s: &mut Settings| {
        with_cache(s);
        s.source = SourceChoice::S3(S3SourceSettings {
            revalidate,
            ..S3SourceSettings::new(Buckets::Single(bucket))
        });
    }
}

fn png_of(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_come_from_s3_and_a_replaced_source_is_served_anew() {
    let garage = Garage::shared();
    let dir = images();
    upload(garage, "photos/pic.png", png_of(dir.path(), "grid.png")).await;
    // Revalidate on every request: the replacement shows at once.
    let s = start_in(dir.path(), s3_source(garage, Duration::ZERO)).await;
    let (status, _, first) = get(&s, "photos%2Fpic.png/full/50,/0/default.png").await;
    assert_eq!(status, 200);
    assert_eq!(s.info_size("photos%2Fpic.png").await, (1000, 600));
    assert_eq!(get(&s, "missing.png/full/50,/0/default.png").await.0, 404);
    upload(garage, "photos/pic.png", png_of(dir.path(), "alpha.png")).await;
    let (status, cache, second) = get(&s, "photos%2Fpic.png/full/50,/0/default.png").await;
    assert_eq!(
        (status, cache.as_str()),
        (200, "miss"),
        "a new version is a new key"
    );
    assert_ne!(first, second);
    assert_eq!(
        fixtures::decode(&second).height,
        25,
        "the new picture (200x100)"
    );
    s.stop().await;

    // With a long revalidation interval the known version is trusted meanwhile.
    let s = start_in(dir.path(), s3_source(garage, Duration::from_secs(3600))).await;
    let (_, _, a) = get(&s, "photos%2Fpic.png/full/40,/0/default.png").await;
    upload(garage, "photos/pic.png", png_of(dir.path(), "grid.png")).await;
    let (_, _, b) = get(&s, "photos%2Fpic.png/full/40,/0/default.png").await;
    assert_eq!(
        a, b,
        "served from the remembered version until revalidation"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_down_keeps_rendering_and_caching_resumes_when_it_is_back() {
    let mut garage = Garage::start();
    let dir = images();
    let s = start_in(dir.path(), s3_cache(&garage, "g/")).await;
    let (status, _, _) = get(&s, "grid.jpg/full/120,/0/default.jpg").await;
    assert_eq!(status, 200);
    s.writes_landed(1.0).await;
    garage.stop();
    // Hits fail over to renders, misses render; nothing hangs (the client's own timeout
    // would fail the test), nothing is a 5xx.
    for w in [120, 130, 140] {
        let started = std::time::Instant::now();
        let (status, cache, _) = get(&s, &format!("grid.jpg/full/{w},/0/default.jpg")).await;
        assert_eq!((status, cache.as_str()), (200, "miss"), "width {w}");
        assert!(started.elapsed() < s.state.settings.render_deadline + Duration::from_secs(3));
    }
    assert!(
        s.metric("vignette_cache_store_errors_total{op=\"get\"}")
            .await
            >= 1.0
    );
    garage.restart();
    // Once the breaker lets calls through again, variants are cached and hit again.
    eventually(30, "a hit after Garage is back", || async {
        let (_, cache, _) = get(&s, "grid.jpg/full/150,/0/default.jpg").await;
        cache == "hit"
    })
    .await;
    s.stop().await;
}
