//! Garage down: calls fail fast (bounded by the timeouts), errors are counted, nothing
//! hangs; Garage back: the source and the cache work again.

use crate::garage::Garage;
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vignette::testing::cache::{CacheMetrics, CacheSettings, Put, S3Store, SlotCache};
use vignette::testing::s3::{S3Client, S3Credentials, S3Metrics, S3Settings};
use vignette::testing::source::{Buckets, S3Source, S3SourceSettings, SourceError};
use vignette::testing::variant::VariantKey;
use vignette::testing::variant::{Format, SourceId};

use crate::s3_source::{read, stat};

/// Generous against a loaded CI machine, far below "hung".
const QUICK: Duration = Duration::from_secs(5);

#[tokio::test]
async fn garage_down_then_back() {
    let mut garage = Garage::start();
    let (client, s3_metrics) = garage.client();
    let bucket = garage.var("VIGNETTE_CACHE_BUCKET").to_owned();
    let images = garage.var("GARAGE_IMAGES_BUCKET").to_owned();
    let source = S3Source::new(
        client.clone(),
        S3SourceSettings::new(Buckets::Single(images)),
    );
    let metrics = CacheMetrics::new(&prometheus::Registry::new()).unwrap();
    let store = Arc::new(S3Store::new(client.clone(), bucket, ""));
    let cache = SlotCache::open(store, CacheSettings::default(), metrics).await;
    let key = |n: u8| VariantKey([n; 32]);
    cache.put(
        key(1),
        SourceId([1; 16]),
        Bytes::from_static(b"one"),
        Format::Jpeg,
    );
    cache.settle().await;
    assert!(cache.get(&key(1)).await.is_some());

    garage.stop();
    let start = Instant::now();
    assert_eq!(cache.get(&key(1)).await, None);
    assert_eq!(
        cache.put(
            key(2),
            SourceId([2; 16]),
            Bytes::from_static(b"two"),
            Format::Jpeg
        ),
        Put::Queued
    );
    cache.settle().await;
    assert!(cache.flush().await.is_err());
    assert!(matches!(
        stat(&source, "cat.jpg").await,
        Err(SourceError::Timeout | SourceError::Unavailable(_))
    ));
    assert!(start.elapsed() < QUICK, "took {:?}", start.elapsed());
    let m = cache.metrics();
    assert_eq!((m.store_errors("get"), m.store_errors("put")), (1, 1));
    let failed: u64 = ["get", "put", "head"]
        .iter()
        .map(|op| s3_metrics.count(op, "error") + s3_metrics.count(op, "timeout"))
        .sum();
    assert!(failed >= 3, "S3 errors counted: {failed}");
    assert_eq!(cache.slots_used(), 1, "the failed write gave its slot back");

    garage.restart();
    assert_eq!(cache.get(&key(1)).await.unwrap().bytes, "one");
    cache.put(
        key(2),
        SourceId([2; 16]),
        Bytes::from_static(b"two"),
        Format::Jpeg,
    );
    cache.settle().await;
    assert_eq!(cache.get(&key(2)).await.unwrap().bytes, "two");
    cache.flush().await.unwrap();
}

#[tokio::test]
async fn a_silent_endpoint_is_a_timeout() {
    // Accepts connections (the kernel's backlog) and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let credentials = S3Credentials {
        access_key_id: "GKa1b2c3d4e5f6a7b8c9d0e1f2".into(),
        secret_access_key: "secret".into(),
    };
    let settings = S3Settings {
        timeout: Duration::from_millis(300),
        ..S3Settings::new(endpoint, credentials)
    };
    let metrics = S3Metrics::new(&prometheus::Registry::new()).unwrap();
    let client = S3Client::new(&settings, metrics.clone());
    let source = S3Source::new(client, S3SourceSettings::new(Buckets::Single("b".into())));
    let start = Instant::now();
    assert!(matches!(
        stat(&source, "x.jpg").await,
        Err(SourceError::Timeout)
    ));
    assert!(matches!(
        read(&source, "x.jpg", 10).await,
        Err(SourceError::Timeout)
    ));
    assert!(start.elapsed() < QUICK);
    assert_eq!(
        metrics.count("head", "timeout") + metrics.count("get", "timeout"),
        2
    );
}
