//! The S3 source against Garage: reads, missing and forbidden objects, revalidation of
//! versions with injected time.

use crate::garage::Garage;
use std::time::{Duration, Instant};
use vignette::testing::s3::S3Client;
use vignette::testing::source::{Buckets, S3Source, S3SourceSettings, SourceError};

/// The S3 source's calls by IIIF identifier, as the request path makes them.
pub(crate) async fn stat(
    s: &S3Source,
    id: &str,
) -> Result<vignette::testing::source::SourceMeta, SourceError> {
    s.stat(&s.reference(id)?).await
}

async fn stat_at(
    s: &S3Source,
    id: &str,
    now: std::time::Instant,
) -> Result<vignette::testing::source::SourceMeta, SourceError> {
    s.stat_at(&s.reference(id)?, now).await
}

pub(crate) async fn read(s: &S3Source, id: &str, max: u64) -> Result<bytes::Bytes, SourceError> {
    s.read(&s.reference(id)?, max).await
}

async fn read_prefix(s: &S3Source, id: &str, len: usize) -> Result<bytes::Bytes, SourceError> {
    s.read_prefix(&s.reference(id)?, len).await
}

async fn upload(client: &S3Client, bucket: &str, key: &str, body: &[u8]) {
    client
        .sdk()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn reads_versions_and_prefixes_and_refuses_missing_or_forbidden() {
    let garage = Garage::shared();
    let (client, metrics) = garage.client();
    let images = garage.var("GARAGE_IMAGES_BUCKET").to_owned();
    upload(&client, &images, "a/cat.jpg", b"0123456789").await;
    upload(&client, &images, "empty.png", b"").await;

    let single = S3Source::new(
        client.clone(),
        S3SourceSettings::new(Buckets::Single(images.clone())),
    );
    let meta = stat(&single, "a/cat.jpg").await.unwrap();
    assert_eq!(meta.size, 10);
    assert!(!meta.version.is_empty());
    assert_eq!(
        &read(&single, "a/cat.jpg", 10).await.unwrap()[..],
        b"0123456789"
    );
    assert_eq!(
        &read_prefix(&single, "a/cat.jpg", 4).await.unwrap()[..],
        b"0123"
    );
    assert_eq!(
        &read_prefix(&single, "a/cat.jpg", 100).await.unwrap()[..],
        b"0123456789"
    );
    assert!(
        read_prefix(&single, "empty.png", 4)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        read(&single, "a/cat.jpg", 9).await,
        Err(SourceError::TooLarge { size: 10, limit: 9 })
    ));
    for missing in ["nope.jpg", "a/", ""] {
        assert!(
            matches!(stat(&single, missing).await, Err(SourceError::NotFound(_))),
            "{missing:?}"
        );
        assert!(matches!(
            read(&single, missing, 10).await,
            Err(SourceError::NotFound(_))
        ));
    }
    assert!(matches!(
        read_prefix(&single, "nope.jpg", 4).await,
        Err(SourceError::NotFound(_))
    ));

    // A bucket the key may not read, listed or not, is never a server error.
    garage.cli(&["bucket", "create", "private"]);
    let allow = Buckets::Allowlist(vec![images.clone(), "private".into(), "ghost".into()]);
    let multi = S3Source::new(client.clone(), S3SourceSettings::new(allow));
    assert_eq!(
        &read(&multi, &format!("{images}/a/cat.jpg"), 10)
            .await
            .unwrap()[..],
        b"0123456789"
    );
    for id in [
        "private/x.jpg",
        "ghost/x.jpg",
        "vignette-cache/x.jpg",
        "a/cat.jpg",
        "noslash",
    ] {
        let err = stat(&multi, id).await.unwrap_err();
        assert!(
            matches!(err, SourceError::NotFound(_) | SourceError::Forbidden(_)),
            "{id}: {err:?}"
        );
    }
    assert_eq!(
        metrics.count("get", "timeout") + metrics.count("head", "timeout"),
        0
    );
}

#[tokio::test]
async fn a_replaced_object_gets_a_new_version_after_the_interval() {
    let garage = Garage::shared();
    let (client, metrics) = garage.client();
    let images = garage.var("GARAGE_IMAGES_BUCKET").to_owned();
    upload(&client, &images, "cat.jpg", b"old").await;
    let settings = S3SourceSettings {
        revalidate: Duration::from_secs(60),
        ..S3SourceSettings::new(Buckets::Single(images.clone()))
    };
    let source = S3Source::new(client.clone(), settings);
    let t0 = Instant::now();
    let old = stat_at(&source, "cat.jpg", t0).await.unwrap().version;
    upload(&client, &images, "cat.jpg", b"new bytes").await;
    let s = Duration::from_secs;
    assert_eq!(
        stat_at(&source, "cat.jpg", t0 + s(59))
            .await
            .unwrap()
            .version,
        old
    );
    assert_eq!(metrics.count("head", "ok"), 1, "answered from memory");
    let new = stat_at(&source, "cat.jpg", t0 + s(60)).await.unwrap();
    assert_ne!(new.version, old);
    assert_eq!((new.size, metrics.count("head", "ok")), (9, 2));
}
