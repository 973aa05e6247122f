//! The slot cache of rendered variants. A fixed number of slots (objects `slot-0` …
//! `slot-{n-1}`) with a per-object bound, so the cache never holds more than
//! slots × bound bytes; an in-memory index (key → slot, ETag, size, format, last
//! access, hits) flushed beside the slots as `index` and reloaded at start.
//!
//! Safety rests on ETags: every read is conditional on the ETag the index recorded, so
//! a slot overwritten by anyone (an eviction racing a read, a crash before a flush,
//! another process) is a miss, never wrong bytes. A missing, stale or corrupt index is
//! a cold cache. Store failures are misses and dropped writes: rendering goes on.
//!
//! # Layout
//! * `index`: the pure state machine of slots; `policy`: LRU, CLOCK, SIEVE;
//!   `codec`: the flushed form of the index; `sim`: the policy measurements;
//!   `sim_shared`: the measurements of several instances on one cache.
//! * `store`: the [`SlotStore`] trait; `local` and `s3`: its two implementations.
//! * `slot_cache`: the [`SlotCache`] façade; `reload`: the index at start; `breaker`: stops calling a store that is
//!   down; `metrics`: [`CacheMetrics`].
//! * `purge`: removing a source's variants; `tombstone`: the purge records that carry a
//!   purge to the other instances sharing the store.
//! * `per_bucket`: a cache in each source bucket (`--cache-in-source-bucket`), on
//!   `bucket_store`, counted by `bucket_metrics`; `routing`: [`Caches`], which cache a
//!   source's variants go to.
//! * `share`: which slots an instance writes when several share the store; `peers`:
//!   the other instances' entries; `peer_sync`: reading their indexes, and the flusher.

mod breaker;
mod bucket_metrics;
mod bucket_store;
mod codec;
mod index;
mod local;
mod metrics;
mod peer_sync;
mod peers;
mod per_bucket;
mod policy;
mod purge;
#[cfg(test)]
mod purge_tests;
mod reload;
mod routing;
mod s3;
mod share;
#[cfg(test)]
mod share_tests;
pub mod sim;
pub mod sim_shared;
mod slot_cache;
mod store;
#[cfg(test)]
mod tests;
mod tombstone;

pub use local::LocalDirStore;
pub use metrics::CacheMetrics;
pub(crate) use per_bucket::BucketCaches;
pub(crate) use policy::EvictionPolicy;
pub(crate) use purge::SlotPurge;
pub(crate) use routing::Caches;
pub use s3::S3Store;
pub use share::Share;
pub use slot_cache::{Put, SlotCache};
pub use store::{Fetched, INDEX_NAME, SlotStore, StoreError, slot_name};

use crate::variant::Format;
use bytes::Bytes;
use std::num::{NonZeroU32, NonZeroU64};
use std::time::Duration;

/// The slot cache's settings. Filled by the configuration layer; the store is chosen
/// there too: an [`S3Store`] when `VIGNETTE_CACHE_BUCKET` is set (objects under
/// `VIGNETTE_CACHE_PREFIX`), else a [`LocalDirStore`] on `VIGNETTE_CACHE_DIR`
/// (default `./cache`).
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// `VIGNETTE_CACHE_SLOTS` (default 1000): the number of slot objects.
    pub slots: NonZeroU32,
    /// `VIGNETTE_CACHE_MAX_OBJECT_BYTES` (default 5 MB): larger variants are served
    /// but not cached.
    pub max_object_bytes: NonZeroU64,
    /// `VIGNETTE_CACHE_INDEX_FLUSH_SECS` (default 30): how often the index is written
    /// back (when it changed).
    pub flush_interval: Duration,
    /// `VIGNETTE_CACHE_MAX_PENDING_WRITES` (default 16): slot writes in flight at once;
    /// more are dropped and counted.
    pub max_pending_writes: NonZeroU32,
    /// `VIGNETTE_CACHE_BREAKER_FAILURES` (default 3): consecutive store failures
    /// (timeouts, refused connections) after which the cache stops calling the store…
    pub breaker_failures: NonZeroU32,
    /// `VIGNETTE_CACHE_BREAKER_SECS` (default 5): …for this long; meanwhile lookups are
    /// misses and writes are dropped, so no request waits for a dead store.
    pub breaker_cool_down: Duration,
    /// The eviction policy (default SIEVE, see `docs/cache.md`).
    pub policy: EvictionPolicy,
    /// `VIGNETTE_CACHE_INSTANCE` of `VIGNETTE_CACHE_INSTANCES` (default 0 of 1): which
    /// slots this instance writes when several share the cache (same store and prefix).
    pub share: Share,
    /// `VIGNETTE_CACHE_PEER_SYNC_MS` (default 2000), when shared: how often this
    /// instance flushes its index if its entries changed and reads the others' indexes,
    /// so that a variant cached by one is a hit on the others within about twice this.
    pub peer_sync: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            slots: NonZeroU32::new(1000).expect("1000 > 0"),
            max_object_bytes: NonZeroU64::new(5_000_000).expect("5 MB > 0"),
            flush_interval: Duration::from_secs(30),
            max_pending_writes: NonZeroU32::new(16).expect("16 > 0"),
            breaker_failures: NonZeroU32::new(3).expect("3 > 0"),
            breaker_cool_down: Duration::from_secs(5),
            policy: EvictionPolicy::default(),
            share: Share::ALONE,
            peer_sync: Duration::from_secs(2),
        }
    }
}

/// A variant answered from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedVariant {
    /// The encoded image, exactly as it was put.
    pub bytes: Bytes,
    /// Its format, for `Content-Type` ([`Format::media_type`]).
    pub format: Format,
}
