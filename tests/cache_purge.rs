//! Purge by source (`DELETE /cache/sources` on the admin listener) end to end, with the
//! slot cache on a real Garage node: the token, every variant of the source rendered
//! anew while other sources stay hits, the index's sources surviving a restart, and a
//! second instance on the same bucket and prefix learning the purge. The tests share one
//! node, each under a prefix of its own, and fail loudly when Garage is missing.

mod common;

use common::garage::Garage;
use common::{Server, eventually, fixtures, start_in};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use vignette::Settings;
use vignette::testing::config::{AdminToken, CacheStoreChoice};

const TOKEN: &str = "test-admin-token-0123456789";

/// The slot cache in `garage`'s cache bucket under `prefix`, the admin API on.
fn with_garage(garage: &Garage, prefix: &str) -> impl Fn(&mut Settings) + use<> {
    let s3 = garage.settings();
    let bucket = garage.var("VIGNETTE_CACHE_BUCKET").to_owned();
    let prefix = prefix.to_owned();
    move |s: &mut Settings| {
        s.s3 = Some(s3.clone());
        s.cache.store = CacheStoreChoice::S3 {
            bucket: bucket.clone(),
            prefix: prefix.clone(),
            timeout: Duration::from_secs(2),
        };
        s.admin_token = Some(AdminToken::new(TOKEN).unwrap());
    }
}

fn images() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixtures::write_all(dir.path());
    dir
}

async fn start(dir: &Path, garage: &Garage, prefix: &str) -> Server {
    start_in(dir, with_garage(garage, prefix)).await
}

/// `DELETE /cache/sources?source=…` with `token`: status, headers, JSON body (or Null).
async fn purge(
    s: &Server,
    source: &str,
    token: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("source", source)
        .finish();
    let mut req = s
        .client
        .delete(format!("{}/cache/sources?{query}", s.admin));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// Three variants of grid.jpg (two IIIF, one imgproxy) and one of grid.png.
const JPG: [&str; 3] = [
    "/iiif/3/grid.jpg/full/100,/0/default.png",
    "/iiif/3/grid.jpg/full/200,/0/default.jpg",
    "/insecure/rs:fit:150:0/plain/local:///grid.jpg@webp",
];
const PNG: &str = "/iiif/3/grid.png/full/120,/0/default.png";

/// Renders the four variants and waits for them to be cached.
async fn fill(s: &Server) {
    for path in JPG.iter().chain([&PNG]) {
        assert_eq!(s.get_cached(path).await.0, 200, "{path}");
    }
    s.writes_landed(4.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_is_off_without_a_token_and_refuses_a_wrong_one() {
    let garage = Garage::shared();
    let dir = images();
    let with = with_garage(garage, "t/");
    let off = start_in(dir.path(), |s| {
        with(s);
        s.admin_token = None;
    })
    .await;
    let (status, _, _) = purge(&off, "grid.jpg", Some(TOKEN)).await;
    assert_eq!(status, 404, "no token configured: the endpoint is off");
    off.stop().await;

    let s = start(dir.path(), garage, "t/").await;
    fill(&s).await;
    for token in [None, Some("wrong-token-wrong-token"), Some("")] {
        let (status, headers, body) = purge(&s, "grid.jpg", token).await;
        assert_eq!(status, 401, "{token:?}");
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{token:?}"
        );
        assert_eq!(body["error"], "a valid bearer token is required");
    }
    let basic = s
        .client
        .delete(format!("{}/cache/sources?source=grid.jpg", s.admin))
        .basic_auth("admin", Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401, "Basic is not Bearer");
    // Bad references are 400s with a short message, after authentication.
    for bad in ["", "s3://bucket-only", "https://", "local://"] {
        let (status, _, body) = purge(&s, bad, Some(TOKEN)).await;
        assert_eq!(status, 400, "{bad:?}: {body}");
        assert!(body["error"].as_str().unwrap().len() < 80);
    }
    // Nothing was purged by any of them.
    for path in JPG.iter().chain([&PNG]) {
        assert_eq!(s.get_cached(path).await.1, "hit", "{path}");
    }
    assert_eq!(
        s.metric("vignette_cache_purges_total{origin=\"local\"}")
            .await,
        0.0
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_renders_every_variant_of_the_source_anew_and_spares_the_others() {
    let garage = Garage::shared();
    let dir = images();
    let s = start(dir.path(), garage, "p/").await;
    fill(&s).await;
    assert_eq!(s.renders().await, 4.0);
    let intermediates = s.state.intermediate_stats().entries;
    assert!(intermediates >= 1, "grid.jpg was kept decoded");

    // The imgproxy dialect's name of the source purges the IIIF variants too.
    let (status, _, report) = purge(&s, "local:///grid.jpg", Some(TOKEN)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["source"], "local:///grid.jpg");
    assert_eq!(report["slot_cache"]["entries"], 3);
    assert_eq!(report["slot_cache"]["objects_deleted"], 3);
    assert_eq!(report["slot_cache"]["delete_failures"], 0);
    assert!(report["slot_cache"]["bytes"].as_u64().unwrap() > 0);
    assert!(report["intermediate"].as_u64().unwrap() >= 1);
    assert!(report["source_facts"].as_u64().unwrap() >= 1);
    assert_eq!(report["shared"], true);
    assert_eq!(s.metric("vignette_cache_slots_used").await, 1.0);
    assert_eq!(
        s.metric("vignette_cache_purges_total{origin=\"local\"}")
            .await,
        1.0
    );
    assert_eq!(s.metric("vignette_cache_purged_entries_total").await, 3.0);

    assert_eq!(
        s.get_cached(PNG).await.1,
        "hit",
        "another source stays cached"
    );
    for (i, path) in JPG.iter().enumerate() {
        let (status, cache, _) = s.get_cached(path).await;
        assert_eq!((status, cache.as_str()), (200, "miss"), "{path}");
        assert_eq!(s.renders().await, 5.0 + i as f64, "{path} rendered anew");
    }
    s.writes_landed(7.0).await;
    for path in JPG {
        assert_eq!(s.get_cached(path).await.1, "hit", "{path} cached again");
    }

    // The IIIF identifier names the same source; a second purge finds what was
    // cached since, a third nothing.
    let (status, _, report) = purge(&s, "grid.jpg", Some(TOKEN)).await;
    assert_eq!(
        (status, report["slot_cache"]["entries"].as_u64()),
        (200, Some(3))
    );
    let (_, _, report) = purge(&s, "grid.jpg", Some(TOKEN)).await;
    assert_eq!(report["slot_cache"]["entries"], 0);
    assert_eq!(s.get_cached(PNG).await.1, "hit");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_keeps_its_sources_across_a_restart() {
    let garage = Garage::shared();
    let dir = images();
    let s = start(dir.path(), garage, "r/").await;
    fill(&s).await;
    s.stop().await; // flushes the index

    let s = start(dir.path(), garage, "r/").await;
    assert_eq!(s.metric("vignette_cache_slots_used").await, 4.0);
    let (status, _, report) = purge(&s, "grid.jpg", Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(
        report["slot_cache"]["entries"], 3,
        "the reloaded index knows each entry's source"
    );
    s.stop().await;

    // Nor does a restart after the purge bring the purged variants back.
    let s = start(dir.path(), garage, "r/").await;
    assert_eq!(s.metric("vignette_cache_slots_used").await, 1.0);
    assert_eq!(s.get_cached(PNG).await.1, "hit");
    for path in JPG {
        assert_eq!(s.get_cached(path).await.1, "miss", "{path}");
    }
    s.stop().await;
}

/// Lists the objects of `prefix` in the cache bucket.
async fn objects(garage: &Garage, prefix: &str) -> Vec<String> {
    let (client, _) = garage.client();
    let out = client
        .sdk()
        .list_objects_v2()
        .bucket(garage.var("VIGNETTE_CACHE_BUCKET"))
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_on_the_same_prefix_learns_the_purge_on_its_next_sync() {
    let garage = Garage::shared();
    let dir = images();
    let a = start(dir.path(), garage, "shared/").await;
    assert_eq!(a.get_cached(JPG[0]).await.0, 200);
    a.writes_landed(1.0).await;
    a.state.cache.flush().await.unwrap();
    // B starts from A's index, then caches variants of its own, in slots A does not
    // know of.
    let b = start(dir.path(), garage, "shared/").await;
    assert_eq!(b.get_cached(JPG[0]).await.1, "hit", "B reads A's variant");
    for path in [JPG[1], PNG] {
        assert_eq!(b.get_cached(path).await.1, "miss");
    }
    b.writes_landed(2.0).await;

    let (status, _, report) = purge(&a, "grid.jpg", Some(TOKEN)).await;
    assert_eq!(
        (status, report["slot_cache"]["entries"].as_u64()),
        (200, Some(1))
    );
    let records = objects(garage, "shared/purge-").await;
    assert_eq!(records.len(), 1, "{records:?}");
    // A's variant's object is gone: B misses it at once. Its own variant of the
    // purged source is in a slot A never knew: served until B syncs.
    assert_eq!(b.get_cached(JPG[0]).await.1, "miss");
    assert_eq!(b.get_cached(JPG[1]).await.1, "hit");
    let b_renders = b.renders().await;
    assert_eq!(b.state.sync_purges().await.unwrap(), 1);
    assert_eq!(
        b.metric("vignette_cache_purges_total{origin=\"peer\"}")
            .await,
        1.0
    );
    let (status, cache, _) = b.get_cached(JPG[1]).await;
    assert_eq!((status, cache.as_str()), (200, "miss"));
    assert_eq!(b.renders().await, b_renders + 1.0, "rendered anew");
    assert_eq!(b.get_cached(PNG).await.1, "hit", "other sources stay");
    assert_eq!(b.state.sync_purges().await.unwrap(), 0, "applied once");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_sync_within_their_flush_period_and_late_starters_apply_the_record() {
    let garage = Garage::shared();
    let dir = images();
    let with = with_garage(garage, "period/");
    let fast = |s: &mut Settings| {
        with(s);
        s.cache.settings.flush_interval = Duration::from_millis(200);
    };
    let a = start_in(dir.path(), fast).await;
    assert_eq!(a.get_cached(JPG[0]).await.1, "miss");
    a.writes_landed(1.0).await;
    a.state.cache.flush().await.unwrap();
    // B starts from A's index and caches a variant of each source in other slots.
    let b = start_in(dir.path(), fast).await;
    assert_eq!(b.get_cached(JPG[1]).await.1, "miss");
    assert_eq!(b.get_cached(PNG).await.1, "miss");
    b.writes_landed(2.0).await;
    // B's index, with its variant of grid.jpg, is what a new instance would load.
    b.state.cache.flush().await.unwrap();

    let (status, _, _) = purge(&a, "grid.jpg", Some(TOKEN)).await;
    assert_eq!(status, 200);
    eventually(10, "B to learn the purge", || async {
        b.metric("vignette_cache_purges_total{origin=\"peer\"}")
            .await
            >= 1.0
    })
    .await;
    assert_eq!(b.get_cached(JPG[1]).await.1, "miss");
    assert_eq!(b.get_cached(PNG).await.1, "hit");
    a.stop().await;
    b.stop().await;

    // C starts on the index B flushed last, which holds B's variant of grid.jpg
    // rendered just after the purge: within the record's margin, it is left out too.
    let c = start_in(dir.path(), fast).await;
    assert_eq!(c.get_cached(PNG).await.1, "hit");
    assert_eq!(c.get_cached(JPG[0]).await.1, "miss");
    assert_eq!(c.get_cached(JPG[1]).await.1, "miss");
    c.stop().await;
}
