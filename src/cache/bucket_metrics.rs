//! The metrics of the caches in the source buckets, exported with the bucket as a label:
//! every `vignette_cache_*` metric of [`CacheMetrics`](super::CacheMetrics) becomes
//! `vignette_bucket_cache_*{bucket="…"}` (hits, misses, bytes, slots in use, evictions,
//! writes and store errors per bucket). Label values come only from the allowlist, so
//! the cardinality is bounded by it.
//!
//! Each bucket's cache counts into a registry of its own whose constant label is the
//! bucket; this collector gathers them at scrape time and renames the families, so the
//! slot cache needs no knowledge of buckets and the ordinary cache keeps its names.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, Registry};

/// The family name prefix of the slot cache's metrics…
const FROM: &str = "vignette_cache_";
/// …and of the per-bucket ones.
const TO: &str = "vignette_bucket_cache_";

/// Gathers the per-bucket registries into the instance's one.
pub(crate) struct BucketMetrics {
    registries: Vec<Registry>,
    /// How many buckets have a cache: the one descriptor this collector declares.
    buckets: IntGauge,
}

impl BucketMetrics {
    pub(crate) fn new(registries: Vec<Registry>) -> prometheus::Result<Self> {
        let buckets = IntGauge::new(
            "vignette_bucket_caches",
            "Source buckets with a slot cache of their own (--cache-in-source-bucket).",
        )?;
        buckets.set(registries.len() as i64);
        Ok(BucketMetrics {
            registries,
            buckets,
        })
    }
}

impl Collector for BucketMetrics {
    fn desc(&self) -> Vec<&Desc> {
        self.buckets.desc()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let mut families = self.buckets.collect();
        for registry in &self.registries {
            for mut family in registry.gather() {
                if let Some(rest) = family.name().strip_prefix(FROM) {
                    let renamed = format!("{TO}{rest}");
                    family.set_name(renamed);
                    families.push(family);
                }
            }
        }
        families
    }
}

impl std::fmt::Debug for BucketMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketMetrics")
            .field("buckets", &self.registries.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CacheMetrics;
    use std::collections::HashMap;

    #[test]
    fn each_bucket_s_counters_carry_its_name() {
        let mut registries = Vec::new();
        let mut metrics = Vec::new();
        for bucket in ["alpha", "beta"] {
            let labels = HashMap::from([("bucket".to_owned(), bucket.to_owned())]);
            let r = Registry::new_custom(None, Some(labels)).unwrap();
            metrics.push(CacheMetrics::new(&r).unwrap());
            registries.push(r);
        }
        metrics[0].hits.inc_by(3);
        metrics[1].hits.inc();
        metrics[1].bytes.set(42);
        let main = Registry::new();
        let ordinary = CacheMetrics::new(&main).unwrap();
        ordinary.hits.inc_by(7);
        main.register(Box::new(BucketMetrics::new(registries).unwrap()))
            .unwrap();
        let mut text = String::new();
        let encoder = prometheus::TextEncoder::new();
        encoder.encode_utf8(&main.gather(), &mut text).unwrap();
        for line in [
            "vignette_cache_hits_total 7",
            "vignette_bucket_cache_hits_total{bucket=\"alpha\"} 3",
            "vignette_bucket_cache_hits_total{bucket=\"beta\"} 1",
            "vignette_bucket_cache_bytes{bucket=\"beta\"} 42",
            "vignette_bucket_caches 2",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
