//! Which slot cache a variant belongs to: the one in its source's bucket when
//! `--cache-in-source-bucket` is on and the source is an object of a source bucket, else
//! the ordinary cache (`--cache-bucket` or `--cache-dir`: local files, HTTP origins, and
//! everything when the setting is off).
//!
//! With the setting off this is one branch on a `None` in front of the ordinary cache:
//! the single-cache path does exactly what it did before.

use super::purge::Provenance;
use super::{BucketCaches, Put, SlotCache};
use crate::variant::key::VariantKey;
use crate::variant::{Format, SourceRef};
use bytes::Bytes;
use std::sync::Arc;

/// The instance's slot caches. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Caches {
    ordinary: SlotCache,
    buckets: Option<Arc<BucketCaches>>,
}

impl Caches {
    /// The ordinary cache, and the source buckets' caches when the setting is on.
    pub fn new(ordinary: SlotCache, buckets: Option<BucketCaches>) -> Self {
        Caches {
            ordinary,
            buckets: buckets.map(Arc::new),
        }
    }

    /// The cache that holds (or would hold) the variants of `source`.
    #[inline]
    pub fn for_source(&self, source: &SourceRef) -> &SlotCache {
        if let Some(buckets) = &self.buckets
            && let SourceRef::S3 { bucket, .. } = source
            && let Some(cache) = buckets.get(bucket)
        {
            return cache;
        }
        &self.ordinary
    }

    /// The ordinary cache.
    pub fn ordinary(&self) -> &SlotCache {
        &self.ordinary
    }

    /// The source buckets' caches, when the setting is on.
    pub fn buckets(&self) -> Option<&BucketCaches> {
        self.buckets.as_deref()
    }

    /// Every cache: the ordinary one first.
    pub fn all(&self) -> impl Iterator<Item = &SlotCache> {
        let buckets = self.buckets.iter().flat_map(|b| b.iter().map(|(_, c)| c));
        std::iter::once(&self.ordinary).chain(buckets)
    }

    /// The purge generation renders record when they begin: the ordinary cache's, plus
    /// the buckets' (a purge in any cache changes it).
    pub fn generation(&self) -> u64 {
        let own = self.ordinary.generation();
        match &self.buckets {
            None => own,
            Some(b) => own.wrapping_add(b.generation()),
        }
    }

    /// [`SlotCache::put_holding`] into the cache of `source`, for a render made in purge
    /// `generation` (of [`Caches::generation`]).
    pub fn put_holding<G: Send + 'static>(
        &self,
        key: VariantKey,
        source: &SourceRef,
        generation: u64,
        bytes: Bytes,
        format: Format,
        guard: G,
    ) -> Put {
        let cache = self.for_source(source);
        let id = source.id();
        if self.buckets.is_none() {
            let provenance = Provenance {
                source: id,
                generation,
            };
            return cache.put_holding(key, provenance, bytes, format, guard);
        }
        // The target's own generation is read first: a purge after the check below
        // changes it, and `put_holding` drops the write; a purge anywhere before the
        // check changes the sum.
        let own = cache.generation();
        if self.generation() != generation {
            cache.metrics().writes.with_label_values(&["purged"]).inc();
            return Put::Purged;
        }
        let provenance = Provenance {
            source: id,
            generation: own,
        };
        cache.put_holding(key, provenance, bytes, format, guard)
    }

    /// Waits until no write is in flight in any cache (shutdown, tests).
    pub async fn settle(&self) {
        for cache in self.all() {
            cache.settle().await;
        }
    }
}
