//! The real binary killed with SIGKILL mid-run: at most the cache entries since the
//! last index flush are lost, and nothing wrong is ever served after the restart.

mod common;

use common::garage::Garage;
use common::process::Vignette;
use common::{eventually, fixtures};
use std::path::Path;

fn spawn(garage: &Garage, images: &Path) -> Vignette {
    Vignette::on_garage(
        garage,
        images,
        &[
            ("VIGNETTE_CACHE_PREFIX", "crash/"),
            ("VIGNETTE_CACHE_INDEX_FLUSH_SECS", "1"),
        ],
    )
}

/// GETs `/iiif/3/{tail}`, which must answer 200: `X-Cache` and body.
async fn get(v: &Vignette, tail: &str) -> (String, Vec<u8>) {
    let (status, cache, body) = v.get(&format!("/iiif/3/{tail}")).await;
    assert_eq!(status, 200, "{tail}");
    (cache, body)
}

async fn index_etag(garage: &Garage) -> Option<String> {
    let (client, _) = garage.client();
    client
        .sdk()
        .head_object()
        .bucket(garage.var("VIGNETTE_CACHE_BUCKET"))
        .key("crash/index")
        .send()
        .await
        .ok()
        .and_then(|h| h.e_tag().map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_at_most_the_unflushed_entries_and_never_serves_wrong_bytes() {
    let garage = Garage::start();
    let images = tempfile::tempdir().unwrap();
    fixtures::write_all(images.path());

    let v = spawn(&garage, images.path());
    let (_, a) = get(&v, "grid.jpg/full/210,/0/default.png").await;
    eventually(20, "the write of A", || async {
        v.metric("vignette_cache_writes_total{outcome=\"ok\"}")
            .await
            >= 1.0
    })
    .await;
    // The index flushed after A landed holds A.
    eventually(20, "an index flush", || async {
        index_etag(&garage).await.is_some()
    })
    .await;
    let (_, b) = get(&v, "grid.jpg/full/220,/0/default.png").await;
    eventually(20, "the write of B", || async {
        v.metric("vignette_cache_writes_total{outcome=\"ok\"}")
            .await
            >= 2.0
    })
    .await;
    v.kill9();

    let v = spawn(&garage, images.path());
    let (cache_a, a2) = get(&v, "grid.jpg/full/210,/0/default.png").await;
    assert_eq!(cache_a, "hit", "A was flushed before the crash");
    assert_eq!(a, a2);
    // B may or may not have been flushed; either way its bytes are right.
    let (_, b2) = get(&v, "grid.jpg/full/220,/0/default.png").await;
    assert_eq!(b, b2);
    assert_eq!(v.metric("vignette_cache_etag_mismatches_total").await, 0.0);
    v.kill9();
}
