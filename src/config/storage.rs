//! The storage part of the settings: S3 access, the image source (directory or buckets)
//! and the slot cache's store (directory or bucket), checked for consistency.

use super::{CacheChoice, CacheStoreChoice, Check, Cli, ConfigError, SourceChoice};
use crate::cache::CacheSettings;
use crate::s3::{S3Credentials, S3Settings};
use crate::source::s3::{Buckets, S3SourceSettings};
use std::num::{NonZeroU32, NonZeroU64};
use std::time::Duration;

fn error(flag: &'static str, env: &'static str, value: &str, reason: &str) -> ConfigError {
    ConfigError {
        flag,
        env,
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

/// A bucket name as S3 (and Garage) accept it: 3–63 lower-case letters, digits, dots
/// and hyphens.
fn bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

impl Cli {
    /// How long a source's version is trusted (S3 and HTTP sources alike).
    pub(super) fn source_revalidate(&self) -> Result<Duration, ConfigError> {
        let c = check!(
            self,
            source_revalidate_secs,
            "--source-revalidate-secs",
            "VIGNETTE_SOURCE_REVALIDATE_SECS"
        );
        Ok(Duration::from_secs(c.int(0, 86_400)?))
    }

    /// Validates the S3, source and cache settings together.
    pub(super) fn validate_storage(
        &self,
    ) -> Result<(Option<S3Settings>, SourceChoice, CacheChoice), ConfigError> {
        let ms = |c: Check<'_>, min: u64, max: u64| c.int(min, max).map(Duration::from_millis);
        let buckets = match (&self.source_bucket, &self.source_buckets) {
            (Some(_), Some(_)) => {
                return Err(error(
                    "--source-buckets",
                    "VIGNETTE_SOURCE_BUCKETS",
                    self.source_buckets.as_deref().unwrap_or(""),
                    "set either VIGNETTE_SOURCE_BUCKET or VIGNETTE_SOURCE_BUCKETS, not both",
                ));
            }
            (Some(b), None) => {
                if !bucket_name(b) {
                    return Err(error(
                        "--source-bucket",
                        "VIGNETTE_SOURCE_BUCKET",
                        b,
                        "not a valid bucket name",
                    ));
                }
                Some(Buckets::Single(b.clone()))
            }
            (None, Some(list)) => {
                let names: Vec<String> = list
                    .split(',')
                    .map(|b| b.trim().to_owned())
                    .filter(|b| !b.is_empty())
                    .collect();
                if names.is_empty() || !names.iter().all(|b| bucket_name(b)) {
                    return Err(error(
                        "--source-buckets",
                        "VIGNETTE_SOURCE_BUCKETS",
                        list,
                        "must be a comma-separated list of valid bucket names",
                    ));
                }
                Some(Buckets::Allowlist(names))
            }
            (None, None) => None,
        };
        if let Some(b) = &self.cache_bucket
            && !bucket_name(b)
        {
            return Err(error(
                "--cache-bucket",
                "VIGNETTE_CACHE_BUCKET",
                b,
                "not a valid bucket name",
            ));
        }
        let wants_s3 = buckets.is_some() || self.cache_bucket.is_some();
        let s3 = match (&self.s3_endpoint, wants_s3) {
            (None, false) => None,
            (None, true) => {
                return Err(error(
                    "--s3-endpoint",
                    "VIGNETTE_S3_ENDPOINT",
                    "",
                    "required when VIGNETTE_SOURCE_BUCKET(S) or VIGNETTE_CACHE_BUCKET is set",
                ));
            }
            (Some(endpoint), false) => {
                return Err(error(
                    "--s3-endpoint",
                    "VIGNETTE_S3_ENDPOINT",
                    endpoint,
                    "set, but no bucket uses it (VIGNETTE_SOURCE_BUCKET(S), VIGNETTE_CACHE_BUCKET)",
                ));
            }
            (Some(endpoint), true) => {
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    return Err(error(
                        "--s3-endpoint",
                        "VIGNETTE_S3_ENDPOINT",
                        endpoint,
                        "must be an http(s) URL",
                    ));
                }
                let credentials = S3Credentials::from_env().map_err(|e| {
                    error(
                        "(environment)",
                        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
                        "",
                        &e.to_string(),
                    )
                })?;
                Some(S3Settings {
                    endpoint: endpoint.trim_end_matches('/').to_owned(),
                    region: self.s3_region.clone(),
                    credentials,
                    timeout: ms(
                        check!(
                            self,
                            s3_timeout_ms,
                            "--s3-timeout-ms",
                            "VIGNETTE_S3_TIMEOUT_MS"
                        ),
                        1,
                        600_000,
                    )?,
                    connect_timeout: ms(
                        check!(
                            self,
                            s3_connect_timeout_ms,
                            "--s3-connect-timeout-ms",
                            "VIGNETTE_S3_CONNECT_TIMEOUT_MS"
                        ),
                        1,
                        600_000,
                    )?,
                    max_attempts: NonZeroU32::new(
                        check!(
                            self,
                            s3_max_attempts,
                            "--s3-max-attempts",
                            "VIGNETTE_S3_MAX_ATTEMPTS"
                        )
                        .int(1, 10)? as u32,
                    )
                    .expect("at least 1"),
                })
            }
        };
        let source = match buckets {
            None => SourceChoice::Local,
            Some(buckets) => SourceChoice::S3(S3SourceSettings {
                revalidate: self.source_revalidate()?,
                ..S3SourceSettings::new(buckets)
            }),
        };
        let prefix = self.cache_prefix.trim_start_matches('/').to_owned();
        let store = match &self.cache_bucket {
            Some(bucket) => CacheStoreChoice::S3 {
                bucket: bucket.clone(),
                prefix,
                timeout: ms(
                    check!(
                        self,
                        cache_s3_timeout_ms,
                        "--cache-s3-timeout-ms",
                        "VIGNETTE_CACHE_S3_TIMEOUT_MS"
                    ),
                    1,
                    600_000,
                )?,
            },
            None => CacheStoreChoice::Dir(self.cache_dir.clone()),
        };
        let nz32 = |c: Check<'_>, max: u64| -> Result<NonZeroU32, ConfigError> {
            Ok(NonZeroU32::new(c.int(1, max)? as u32).expect("at least 1"))
        };
        let settings = CacheSettings {
            slots: nz32(
                check!(self, cache_slots, "--cache-slots", "VIGNETTE_CACHE_SLOTS"),
                10_000_000,
            )?,
            max_object_bytes: NonZeroU64::new(
                check!(
                    self,
                    cache_max_object_bytes,
                    "--cache-max-object-bytes",
                    "VIGNETTE_CACHE_MAX_OBJECT_BYTES"
                )
                .bytes(1, 1 << 32)?,
            )
            .expect("at least 1"),
            flush_interval: Duration::from_secs(
                check!(
                    self,
                    cache_index_flush_secs,
                    "--cache-index-flush-secs",
                    "VIGNETTE_CACHE_INDEX_FLUSH_SECS"
                )
                .int(1, 86_400)?,
            ),
            max_pending_writes: nz32(
                check!(
                    self,
                    cache_max_pending_writes,
                    "--cache-max-pending-writes",
                    "VIGNETTE_CACHE_MAX_PENDING_WRITES"
                ),
                10_000,
            )?,
            breaker_failures: nz32(
                check!(
                    self,
                    cache_breaker_failures,
                    "--cache-breaker-failures",
                    "VIGNETTE_CACHE_BREAKER_FAILURES"
                ),
                1000,
            )?,
            breaker_cool_down: Duration::from_secs(
                check!(
                    self,
                    cache_breaker_secs,
                    "--cache-breaker-secs",
                    "VIGNETTE_CACHE_BREAKER_SECS"
                )
                .int(1, 3600)?,
            ),
            ..CacheSettings::default()
        };
        let (share, peer_sync) = self.cache_share(settings.slots)?;
        let settings = CacheSettings {
            share,
            peer_sync,
            ..settings
        };
        let in_source_buckets = self.in_source_buckets(&source, &store)?;
        Ok((
            s3,
            source,
            CacheChoice {
                store,
                settings,
                in_source_buckets,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<crate::config::Settings, ConfigError> {
        let mut all = vec!["vignette"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("clap accepts").validate()
    }

    #[test]
    fn defaults_use_the_directory_and_a_local_cache() {
        let s = parse(&[]).unwrap();
        assert!(s.s3.is_none());
        assert!(matches!(s.source, SourceChoice::Local));
        assert!(matches!(s.cache.store, CacheStoreChoice::Dir(ref d) if d.ends_with("cache")));
        assert_eq!(s.cache.settings.slots.get(), 1000);
        assert_eq!(s.cache.settings.max_object_bytes.get(), 5_000_000);
    }

    #[test]
    fn buckets_need_an_endpoint_and_agree() {
        let err = parse(&["--cache-bucket", "vignette-cache"]).unwrap_err();
        assert_eq!(err.env, "VIGNETTE_S3_ENDPOINT");
        let err = parse(&[
            "--source-bucket",
            "a-b",
            "--source-buckets",
            "a-b,c-d",
            "--s3-endpoint",
            "http://x",
        ])
        .unwrap_err();
        assert_eq!(err.env, "VIGNETTE_SOURCE_BUCKETS");
        let err = parse(&[
            "--source-buckets",
            "good,BAD_NAME",
            "--s3-endpoint",
            "http://x",
        ])
        .unwrap_err();
        assert_eq!(err.env, "VIGNETTE_SOURCE_BUCKETS");
        let err = parse(&["--s3-endpoint", "http://127.0.0.1:3900"]).unwrap_err();
        assert_eq!(err.env, "VIGNETTE_S3_ENDPOINT");
        let err = parse(&["--cache-slots", "0"]).unwrap_err();
        assert_eq!(err.env, "VIGNETTE_CACHE_SLOTS");
    }
}
