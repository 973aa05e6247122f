//! `--cache-in-source-bucket`: one [`SlotCache`] per source bucket, each in its own
//! bucket under the cache prefix, with its own slots, object bound, index, purge records,
//! breaker and metrics, so one user's variants never evict another's and each user's
//! cache is charged to their bucket.
//!
//! The set is fixed at start from the source's allowlist (or its single bucket): a URL
//! naming any other bucket is refused by the source and can never create a cache, an
//! index or a flusher. Each cache is a plain [`SlotCache`] on a [`BucketStore`]; a
//! bucket the key cannot read or write gives a cache whose lookups miss and whose writes
//! are dropped (logged, counted), never an error to the client.

use super::bucket_metrics::BucketMetrics;
use super::bucket_store::BucketStore;
use super::s3::S3Store;
use super::{CacheMetrics, CacheSettings, SlotCache, SlotStore};
use crate::s3::S3Client;
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Caches opened (index and purge records read) at once at start.
const OPENS_IN_FLIGHT: usize = 8;

/// The slot caches in the source buckets, by bucket.
#[derive(Debug)]
pub struct BucketCaches {
    caches: BTreeMap<String, SlotCache>,
}

impl BucketCaches {
    /// Opens a cache in each of `buckets` under `prefix`, each reloading its own index
    /// (a bucket that cannot be read starts cold, logged). Their metrics are registered
    /// on `registry` with the bucket as a label (`vignette_bucket_cache_*`).
    pub async fn open(
        client: S3Client,
        buckets: &[String],
        prefix: &str,
        settings: &CacheSettings,
        registry: &prometheus::Registry,
    ) -> prometheus::Result<Self> {
        let mut private = Vec::with_capacity(buckets.len());
        let mut stores = Vec::with_capacity(buckets.len());
        for bucket in buckets {
            // The bucket becomes a constant label of everything this cache counts.
            let labels = HashMap::from([("bucket".to_owned(), bucket.clone())]);
            let own = prometheus::Registry::new_custom(None, Some(labels))?;
            let metrics = CacheMetrics::new(&own)?;
            private.push(own);
            let s3 = Arc::new(S3Store::new(
                client.clone(),
                bucket.clone(),
                prefix.to_owned(),
            ));
            let store: Arc<dyn SlotStore> = Arc::new(BucketStore::new(s3, bucket.clone()));
            stores.push((bucket.clone(), store, metrics));
        }
        let caches = futures_util::stream::iter(stores)
            .map(|(bucket, store, metrics)| async move {
                (
                    bucket,
                    SlotCache::open(store, settings.clone(), metrics).await,
                )
            })
            .buffer_unordered(OPENS_IN_FLIGHT)
            .collect::<BTreeMap<_, _>>()
            .await;
        registry.register(Box::new(BucketMetrics::new(private)?))?;
        Ok(BucketCaches { caches })
    }

    /// Caches already opened, by bucket (tests of the routing, on memory stores).
    #[cfg(test)]
    pub(super) fn from_caches(caches: BTreeMap<String, SlotCache>) -> Self {
        BucketCaches { caches }
    }

    /// The cache in `bucket`, if it is a source bucket.
    pub fn get(&self, bucket: &str) -> Option<&SlotCache> {
        self.caches.get(bucket)
    }

    /// Every (bucket, cache), in bucket order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SlotCache)> {
        self.caches.iter().map(|(b, c)| (b.as_str(), c))
    }

    /// The sum of the caches' purge generations: it changes whenever any of them purges.
    pub fn generation(&self) -> u64 {
        self.caches
            .values()
            .fold(0u64, |sum, c| sum.wrapping_add(c.generation()))
    }

    /// One index flusher per cache ([`SlotCache::spawn_flusher`]).
    pub fn spawn_flushers(&self, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
        self.caches
            .values()
            .map(|c| c.spawn_flusher(shutdown.clone()))
            .collect()
    }

    /// Waits until no write is in flight in any of the caches.
    pub async fn settle(&self) {
        for cache in self.caches.values() {
            cache.settle().await;
        }
    }
}
