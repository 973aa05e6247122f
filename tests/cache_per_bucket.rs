//! `--cache-in-source-bucket` end to end on a real Garage node: the variants of bucket A
//! land in A under the prefix and B's in B; the slots bound each bucket alone; both
//! indexes survive a restart; a purge reaches the right bucket (and a peer learns it);
//! a bucket the key may not write degrades to misses answered 200; an HTTP origin's
//! variants stay in the ordinary cache. The tests share one node, each with buckets of
//! its own, and fail loudly when Garage is missing.

mod common;

use common::garage::Garage;
use common::{Server, eventually, fixtures, start_in};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use vignette::Settings;
use vignette::testing::config::{AdminToken, InSourceBuckets, SourceChoice};
use vignette::testing::source::{AllowedSources, Buckets, S3SourceSettings};

const TOKEN: &str = "test-admin-token-0123456789";
const PREFIX: &str = "vc/";

/// Creates `name` on the shared node, readable and writable by the test key, holding
/// `grid.png` and `grid.jpg` of the fixtures.
async fn bucket(garage: &Garage, name: &str) {
    garage.cli(&["bucket", "create", name]);
    let key = garage.var("AWS_ACCESS_KEY_ID");
    garage.cli(&["bucket", "allow", "--read", "--write", name, "--key", key]);
    let dir = images();
    let (client, _) = garage.client();
    for file in ["grid.png", "grid.jpg"] {
        client
            .sdk()
            .put_object()
            .bucket(name)
            .key(file)
            .body(std::fs::read(dir.path().join(file)).unwrap().into())
            .send()
            .await
            .unwrap();
    }
}

fn images() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixtures::write_all(dir.path());
    dir
}

/// Images from `buckets`, each caching its own variants under [`PREFIX`]; the ordinary
/// cache stays in the images directory; the admin API on.
fn per_bucket(garage: &Garage, buckets: &[&str]) -> impl Fn(&mut Settings) + use<> {
    let s3 = garage.settings();
    let buckets: Vec<String> = buckets.iter().map(|b| (*b).to_owned()).collect();
    move |s: &mut Settings| {
        s.s3 = Some(s3.clone());
        s.source = SourceChoice::S3(S3SourceSettings::new(Buckets::Allowlist(buckets.clone())));
        s.cache.in_source_buckets = Some(InSourceBuckets {
            buckets: buckets.clone(),
            prefix: PREFIX.to_owned(),
            timeout: Duration::from_secs(2),
        });
        s.admin_token = Some(AdminToken::new(TOKEN).unwrap());
    }
}

async fn start(dir: &Path, garage: &Garage, buckets: &[&str]) -> Server {
    start_in(dir, per_bucket(garage, buckets)).await
}

/// An IIIF variant of `file` in `bucket`, `w` pixels wide.
fn iiif(bucket: &str, file: &str, w: u32) -> String {
    format!("/iiif/3/{bucket}%2F{file}/full/{w},/0/default.png")
}

/// The sum of the samples of `name` whose labels include all of `labels`.
async fn sample(s: &Server, name: &str, labels: &[(&str, &str)]) -> f64 {
    let text = s.metrics_text().await;
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (family, rest) = series.split_once('{').unwrap_or((series, ""));
            let matches = family == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
            matches.then(|| value.parse::<f64>().ok()).flatten()
        })
        .sum()
}

/// Waits until `n` writes have landed in `bucket`'s cache.
async fn landed(s: &Server, bucket: &str, n: f64) {
    let labels = [("bucket", bucket), ("outcome", "ok")];
    eventually(20, "writes in the bucket's cache", || async {
        sample(s, "vignette_bucket_cache_writes_total", &labels).await >= n
    })
    .await;
}

/// The object keys of `bucket` under [`PREFIX`] starting with `start`.
async fn objects(garage: &Garage, bucket: &str, start: &str) -> Vec<String> {
    let (client, _) = garage.client();
    let listed = client
        .sdk()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(format!("{PREFIX}{start}"))
        .send()
        .await
        .unwrap();
    listed
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bucket_s_variants_land_in_that_bucket_under_the_prefix() {
    let garage = Garage::shared();
    let (a, b) = ("pb-place-a", "pb-place-b");
    bucket(garage, a).await;
    bucket(garage, b).await;
    let dir = images();
    let s = start(dir.path(), garage, &[a, b]).await;
    for path in [
        iiif(a, "grid.png", 100),
        iiif(a, "grid.jpg", 120),
        iiif(b, "grid.png", 100),
    ] {
        let (status, cache, _) = s.get_cached(&path).await;
        assert_eq!((status, cache.as_str()), (200, "miss"), "{path}");
    }
    landed(&s, a, 2.0).await;
    landed(&s, b, 1.0).await;
    assert_eq!(objects(garage, a, "slot-").await.len(), 2);
    assert_eq!(objects(garage, b, "slot-").await.len(), 1);
    // The same variant of two buckets' same-named files are two variants, two hits.
    let (_, hit_a, body_a) = s.get_cached(&iiif(a, "grid.png", 100)).await;
    let (_, hit_b, body_b) = s.get_cached(&iiif(b, "grid.png", 100)).await;
    assert_eq!((hit_a.as_str(), hit_b.as_str()), ("hit", "hit"));
    assert_eq!(body_a, body_b, "same source bytes, same variant");
    assert_eq!(s.renders().await, 3.0);
    let hits = |bucket| [("bucket", bucket)];
    assert_eq!(
        sample(&s, "vignette_bucket_cache_hits_total", &hits(a)).await,
        1.0
    );
    assert_eq!(
        sample(&s, "vignette_bucket_cache_hits_total", &hits(b)).await,
        1.0
    );
    assert_eq!(
        sample(&s, "vignette_bucket_cache_slots_used", &hits(a)).await,
        2.0
    );
    let bytes_b = sample(&s, "vignette_bucket_cache_bytes", &hits(b)).await;
    assert_eq!(bytes_b, body_b.len() as f64);
    assert_eq!(s.metric("vignette_bucket_caches").await, 2.0);
    // A bucket outside the allowlist is not found, and never gets a cache.
    let (status, _, _) = s.get_cached(&iiif("pb-place-other", "grid.png", 100)).await;
    assert_eq!(status, 404);
    assert_eq!(s.metric("vignette_bucket_caches").await, 2.0);
    assert!(!s.metrics_text().await.contains("pb-place-other"));
    // Nothing went to the ordinary cache, in the images directory.
    assert_eq!(
        s.metric("vignette_cache_writes_total{outcome=\"ok\"}")
            .await,
        0.0
    );
    assert_eq!(s.metric("vignette_cache_slots_used").await, 0.0);
    // The index is flushed into each bucket at shutdown.
    s.stop().await;
    assert_eq!(
        objects(garage, a, "index").await,
        [format!("{PREFIX}index")]
    );
    assert_eq!(
        objects(garage, b, "index").await,
        [format!("{PREFIX}index")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filling_one_bucket_s_slots_never_evicts_another_s() {
    let garage = Garage::shared();
    let (a, b) = ("pb-bound-a", "pb-bound-b");
    bucket(garage, a).await;
    bucket(garage, b).await;
    let dir = images();
    let with = per_bucket(garage, &[a, b]);
    let s = start_in(dir.path(), |st| {
        with(st);
        st.cache.settings.slots = std::num::NonZeroU32::new(2).unwrap();
    })
    .await;
    let quiet = iiif(b, "grid.png", 100);
    assert_eq!(s.get_cached(&quiet).await.0, 200);
    landed(&s, b, 1.0).await;
    for (i, w) in (10..=70).step_by(10).enumerate() {
        assert_eq!(s.get_cached(&iiif(a, "grid.png", w)).await.0, 200);
        landed(&s, a, (i + 1) as f64).await;
        assert!(objects(garage, a, "slot-").await.len() <= 2);
    }
    let only_a = [("bucket", a)];
    assert!(sample(&s, "vignette_bucket_cache_evictions_total", &only_a).await >= 5.0);
    assert_eq!(
        sample(&s, "vignette_bucket_cache_slots_used", &only_a).await,
        2.0
    );
    let only_b = [("bucket", b)];
    assert_eq!(
        sample(&s, "vignette_bucket_cache_evictions_total", &only_b).await,
        0.0
    );
    let (status, cache, _) = s.get_cached(&quiet).await;
    assert_eq!(
        (status, cache.as_str()),
        (200, "hit"),
        "B's variant survived A's churn"
    );
    assert_eq!(objects(garage, b, "slot-").await.len(), 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_indexes_survive_a_restart() {
    let garage = Garage::shared();
    let (a, b) = ("pb-restart-a", "pb-restart-b");
    bucket(garage, a).await;
    bucket(garage, b).await;
    let dir = images();
    let paths = [iiif(a, "grid.png", 100), iiif(b, "grid.jpg", 110)];
    let s = start(dir.path(), garage, &[a, b]).await;
    let mut first = Vec::new();
    for path in &paths {
        first.push(s.get_cached(path).await.2);
    }
    landed(&s, a, 1.0).await;
    landed(&s, b, 1.0).await;
    s.stop().await;

    let s = start(dir.path(), garage, &[a, b]).await;
    for (path, body) in paths.iter().zip(&first) {
        let (status, cache, again) = s.get_cached(path).await;
        assert_eq!((status, cache.as_str()), (200, "hit"), "{path}");
        assert_eq!(&again, body, "{path}");
    }
    assert_eq!(s.renders().await, 0.0, "nothing rendered after the restart");
    s.stop().await;
}

/// `DELETE /cache/sources?source=…` on `s`: status and JSON body.
async fn purge(s: &Server, source: &str) -> (u16, Value) {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("source", source)
        .finish();
    let resp = s
        .client
        .delete(format!("{}/cache/sources?{query}", s.admin))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_reaches_the_source_s_bucket_and_its_peers() {
    let garage = Garage::shared();
    let (a, b) = ("pb-purge-a", "pb-purge-b");
    bucket(garage, a).await;
    bucket(garage, b).await;
    let dir = images();
    let one = start(dir.path(), garage, &[a, b]).await;
    let purged = [iiif(a, "grid.png", 100), iiif(a, "grid.png", 150)];
    let kept = [iiif(a, "grid.jpg", 100), iiif(b, "grid.png", 100)];
    for path in purged.iter().chain(&kept) {
        assert_eq!(one.get_cached(path).await.0, 200, "{path}");
    }
    landed(&one, a, 3.0).await;
    landed(&one, b, 1.0).await;
    // A second instance on the same buckets and prefix reads the flushed indexes.
    for cache in one.state.caches.all() {
        cache.flush().await.unwrap();
    }
    let two = start(dir.path(), garage, &[a, b]).await;
    assert_eq!(two.get_cached(&kept[1]).await.1, "hit");

    let (status, body) = purge(&one, &format!("{a}/grid.png")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["source"], format!("s3://{a}/grid.png"));
    assert_eq!(body["slot_cache"]["entries"], 2);
    assert_eq!(body["slot_cache"]["objects_deleted"], 2);
    assert_eq!(body["shared"], true);
    assert_eq!(
        objects(garage, a, "slot-").await.len(),
        1,
        "only grid.jpg's left"
    );
    assert_eq!(
        objects(garage, a, "purge-").await.len(),
        1,
        "the record is in A"
    );
    assert!(
        objects(garage, b, "purge-").await.is_empty(),
        "B was not touched"
    );
    for path in &purged {
        assert_eq!(one.get_cached(path).await.1, "miss", "{path} rendered anew");
    }
    for path in &kept {
        assert_eq!(one.get_cached(path).await.1, "hit", "{path} untouched");
    }
    // The peer learns it from A's records.
    assert_eq!(two.state.sync_purges().await.unwrap(), 1);
    let peer = [("bucket", a), ("origin", "peer")];
    assert_eq!(
        sample(&two, "vignette_bucket_cache_purges_total", &peer).await,
        1.0
    );
    let local = [("bucket", a), ("origin", "local")];
    assert_eq!(
        sample(&one, "vignette_bucket_cache_purges_total", &local).await,
        1.0
    );
    assert_eq!(two.state.sync_purges().await.unwrap(), 0, "applied once");
    one.stop().await;
    two.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_the_key_may_not_write_degrades_to_misses() {
    let garage = Garage::shared();
    let (ok, read_only) = ("pb-deny-ok", "pb-deny-ro");
    bucket(garage, ok).await;
    bucket(garage, read_only).await;
    let key = garage.var("AWS_ACCESS_KEY_ID");
    garage.cli(&["bucket", "deny", "--write", read_only, "--key", key]);
    let dir = images();
    let s = start(dir.path(), garage, &[ok, read_only]).await;
    let path = iiif(read_only, "grid.png", 100);
    let ro = [("bucket", read_only)];
    let (status, cache, first) = s.get_cached(&path).await;
    assert_eq!((status, cache.as_str()), (200, "miss"));
    eventually(20, "the denied write", || async {
        sample(&s, "vignette_bucket_cache_store_errors_total", &ro).await >= 1.0
    })
    .await;
    let (status, cache, again) = s.get_cached(&path).await;
    assert_eq!((status, cache.as_str()), (200, "miss"), "never cached");
    assert_eq!(again, first);
    assert_eq!(s.renders().await, 2.0);
    assert!(objects(garage, read_only, "slot-").await.is_empty());
    // The other bucket caches as usual.
    assert_eq!(s.get_cached(&iiif(ok, "grid.png", 100)).await.0, 200);
    landed(&s, ok, 1.0).await;
    assert_eq!(s.get_cached(&iiif(ok, "grid.png", 100)).await.1, "hit");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_origin_s_variants_stay_in_the_ordinary_cache() {
    let garage = Garage::shared();
    let a = "pb-http-a";
    bucket(garage, a).await;
    let dir = images();
    let png = std::fs::read(dir.path().join("grid.png")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/grid.png",
        axum::routing::get(move || {
            let png = png.clone();
            async move { ([("content-type", "image/png")], png) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let with = per_bucket(garage, &[a]);
    let s = start_in(dir.path(), |st| {
        with(st);
        st.http_source.allowed_sources = AllowedSources::parse(&format!("http://{addr}/")).unwrap();
        st.http_source.allow_loopback = true;
    })
    .await;
    let path = format!("/insecure/w:90/f:png/plain/http://{addr}/grid.png");
    let (status, cache, first) = s.get_cached(&path).await;
    assert_eq!((status, cache.as_str()), (200, "miss"));
    s.writes_landed(1.0).await;
    let (status, cache, again) = s.get_cached(&path).await;
    assert_eq!((status, cache.as_str()), (200, "hit"));
    assert_eq!(again, first);
    assert_eq!(s.metric("vignette_cache_slots_used").await, 1.0);
    let in_a = [("bucket", a)];
    assert_eq!(
        sample(&s, "vignette_bucket_cache_slots_used", &in_a).await,
        0.0
    );
    assert!(objects(garage, a, "slot-").await.is_empty());
    assert!(
        dir.path().join(".cache/slot-0").exists(),
        "the ordinary cache's file"
    );
    s.stop().await;
}
