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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::tests::{MemoryStore, key, open};
    use std::collections::BTreeMap;

    fn object(bucket: &str) -> SourceRef {
        SourceRef::S3 {
            bucket: bucket.to_owned(),
            key: "k.png".to_owned(),
        }
    }

    /// The ordinary cache, and caches in buckets `a` and `b`.
    async fn caches() -> Caches {
        let mut buckets = BTreeMap::new();
        for name in ["a", "b"] {
            buckets.insert(name.to_owned(), open(&MemoryStore::new(), 4).await);
        }
        let ordinary = open(&MemoryStore::new(), 4).await;
        Caches::new(ordinary, Some(BucketCaches::from_caches(buckets)))
    }

    fn put(caches: &Caches, n: u8, source: &SourceRef, generation: u64) -> Put {
        let bytes = Bytes::from(vec![n; 10]);
        caches.put_holding(key(n), source, generation, bytes, Format::Png, ())
    }

    #[tokio::test]
    async fn each_source_goes_to_its_bucket_s_cache_the_rest_to_the_ordinary_one() {
        let caches = caches().await;
        let g = caches.generation();
        let http = SourceRef::Http("http://origin.test/k.png".to_owned());
        let local = SourceRef::Local("k.png".to_owned());
        for (n, source) in [
            object("a"),
            object("b"),
            object("b"),
            http,
            local,
            object("zz"),
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(put(&caches, n as u8, source, g), Put::Queued, "{source}");
        }
        caches.settle().await;
        let buckets = caches.buckets().unwrap();
        let used = |b| buckets.get(b).unwrap().slots_used();
        assert_eq!((used("a"), used("b")), (1, 2));
        assert_eq!(
            caches.ordinary().slots_used(),
            3,
            "HTTP, local, unlisted bucket"
        );
        assert!(
            buckets.get("zz").is_none(),
            "no cache for a bucket outside the list"
        );
        let hit = caches.for_source(&object("b")).get(&key(2)).await.unwrap();
        assert_eq!(&hit.bytes[..], &[2u8; 10]);
        assert!(caches.for_source(&object("a")).get(&key(2)).await.is_none());
        assert_eq!(caches.all().count(), 3);
    }

    #[tokio::test]
    async fn a_purge_in_any_cache_drops_the_renders_begun_before_it() {
        let caches = caches().await;
        let before = caches.generation();
        let a = caches.for_source(&object("a"));
        a.purge(object("a").id()).await.unwrap();
        assert_ne!(caches.generation(), before);
        // A render of b's image begun before a's purge is not kept, counted in b's cache.
        assert_eq!(put(&caches, 1, &object("b"), before), Put::Purged);
        let b = caches.for_source(&object("b"));
        assert_eq!(b.metrics().writes("purged"), 1);
        assert_eq!(
            put(&caches, 1, &object("b"), caches.generation()),
            Put::Queued
        );
        caches.settle().await;
        assert_eq!(b.slots_used(), 1);
    }

    #[tokio::test]
    async fn with_the_setting_off_the_ordinary_cache_takes_everything() {
        let ordinary = open(&MemoryStore::new(), 4).await;
        let caches = Caches::new(ordinary.clone(), None);
        assert!(std::ptr::eq(
            caches.for_source(&object("a")),
            caches.ordinary()
        ));
        assert_eq!(
            put(&caches, 1, &object("a"), caches.generation()),
            Put::Queued
        );
        caches.settle().await;
        assert_eq!(ordinary.slots_used(), 1);
        ordinary.purge(object("a").id()).await.unwrap();
        assert_eq!(caches.generation(), ordinary.generation());
    }
}
