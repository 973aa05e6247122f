//! `--cache-in-source-bucket`: validated against the source and the ordinary cache it
//! sits beside (it needs S3 sources, a prefix, and no bucket shared with the ordinary
//! cache) into [`InSourceBuckets`].

use super::{CacheStoreChoice, Check, Cli, ConfigError, InSourceBuckets, SourceChoice};
use crate::source::s3::Buckets;
use std::time::Duration;

impl Cli {
    /// The per-bucket caches, when `--cache-in-source-bucket` is on.
    pub(super) fn in_source_buckets(
        &self,
        source: &SourceChoice,
        ordinary: &CacheStoreChoice,
    ) -> Result<Option<InSourceBuckets>, ConfigError> {
        let enabled = check!(
            self,
            cache_in_source_bucket,
            "--cache-in-source-bucket",
            "VIGNETTE_CACHE_IN_SOURCE_BUCKET"
        );
        let timeout = check!(
            self,
            cache_s3_timeout_ms,
            "--cache-s3-timeout-ms",
            "VIGNETTE_CACHE_S3_TIMEOUT_MS"
        );
        let prefix = check!(
            self,
            cache_prefix,
            "--cache-prefix",
            "VIGNETTE_CACHE_PREFIX"
        );
        in_source_buckets(&enabled, source, ordinary, &prefix, &timeout)
    }
}

/// The checks themselves, on already parsed neighbours (testable without credentials).
fn in_source_buckets(
    enabled: &Check<'_>,
    source: &SourceChoice,
    ordinary: &CacheStoreChoice,
    prefix: &Check<'_>,
    timeout: &Check<'_>,
) -> Result<Option<InSourceBuckets>, ConfigError> {
    if !enabled.boolean()? {
        return Ok(None);
    }
    let SourceChoice::S3(s3) = source else {
        return Err(enabled.fail(
            "needs S3 sources (VIGNETTE_SOURCE_BUCKET or VIGNETTE_SOURCE_BUCKETS): the \
             images directory has no bucket to hold its variants",
        ));
    };
    let mut buckets = match &s3.buckets {
        Buckets::Single(b) => vec![b.clone()],
        Buckets::Allowlist(list) => list.clone(),
    };
    buckets.sort();
    buckets.dedup();
    // The cache's objects sit among the owner's images: at the bucket's root they would
    // overwrite an image named `index` or `slot-0`.
    let trimmed = prefix.value.trim_start_matches('/');
    if trimmed.is_empty() {
        return Err(prefix.fail(
            "must be set (e.g. `.vignette-cache/`) with VIGNETTE_CACHE_IN_SOURCE_BUCKET: \
             the cache shares each source bucket with its images",
        ));
    }
    if let CacheStoreChoice::S3 { bucket, .. } = ordinary
        && buckets.contains(bucket)
    {
        return Err(ConfigError {
            flag: "--cache-bucket",
            env: "VIGNETTE_CACHE_BUCKET",
            value: bucket.clone(),
            reason: "is also a source bucket, whose own cache (VIGNETTE_CACHE_IN_SOURCE_BUCKET) \
                     would share its prefix"
                .to_owned(),
        });
    }
    Ok(Some(InSourceBuckets {
        buckets,
        prefix: trimmed.to_owned(),
        timeout: Duration::from_millis(timeout.int(1, 600_000)?),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::s3::S3SourceSettings;

    fn check<'a>(env: &'static str, value: &'a str) -> Check<'a> {
        Check {
            flag: "--x",
            env,
            value,
        }
    }

    fn run(
        enabled: &str,
        source: &SourceChoice,
        ordinary: &CacheStoreChoice,
        prefix: &str,
    ) -> Result<Option<InSourceBuckets>, ConfigError> {
        in_source_buckets(
            &check("VIGNETTE_CACHE_IN_SOURCE_BUCKET", enabled),
            source,
            ordinary,
            &check("VIGNETTE_CACHE_PREFIX", prefix),
            &check("VIGNETTE_CACHE_S3_TIMEOUT_MS", "1500"),
        )
    }

    fn s3(buckets: Buckets) -> SourceChoice {
        SourceChoice::S3(S3SourceSettings::new(buckets))
    }

    #[test]
    fn off_by_default_and_on_for_every_allowed_bucket() {
        let dir = CacheStoreChoice::Dir("./cache".into());
        let list = s3(Buckets::Allowlist(vec![
            "b-2".into(),
            "a-1".into(),
            "b-2".into(),
        ]));
        assert!(run("false", &list, &dir, "").unwrap().is_none());
        let on = run("true", &list, &dir, "/.vc/").unwrap().unwrap();
        assert_eq!(on.buckets, ["a-1", "b-2"], "sorted, each once");
        assert_eq!(on.prefix, ".vc/");
        assert_eq!(on.timeout, Duration::from_millis(1500));
        let single = run("on", &s3(Buckets::Single("one".into())), &dir, "c/");
        assert_eq!(single.unwrap().unwrap().buckets, ["one"]);
    }

    #[test]
    fn bad_combinations_name_the_setting() {
        let dir = CacheStoreChoice::Dir("./cache".into());
        let list = s3(Buckets::Allowlist(vec!["a-1".into()]));
        let err = run("true", &SourceChoice::Local, &dir, "c/").unwrap_err();
        assert_eq!(err.env, "VIGNETTE_CACHE_IN_SOURCE_BUCKET");
        assert!(err.reason.contains("needs S3 sources"), "{}", err.reason);
        assert_eq!(run("maybe", &list, &dir, "c/").unwrap_err().env, err.env);
        for prefix in ["", "/"] {
            let err = run("true", &list, &dir, prefix).unwrap_err();
            assert_eq!(err.env, "VIGNETTE_CACHE_PREFIX", "{prefix:?}");
        }
        let shared = CacheStoreChoice::S3 {
            bucket: "a-1".into(),
            prefix: "c/".into(),
            timeout: Duration::from_secs(1),
        };
        let err = run("true", &list, &shared, "c/").unwrap_err();
        assert_eq!(err.env, "VIGNETTE_CACHE_BUCKET");
    }

    #[test]
    fn the_flag_alone_is_refused_without_s3_sources() {
        let err = crate::config::tests::parse(&["--cache-in-source-bucket", "true"]).unwrap_err();
        assert_eq!(err.env, "VIGNETTE_CACHE_IN_SOURCE_BUCKET");
        let s = crate::config::tests::parse(&[]).unwrap();
        assert!(s.cache.in_source_buckets.is_none(), "off by default");
    }
}
