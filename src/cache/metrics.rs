//! Slot cache metrics: hits, misses, evictions, ETag mismatches, bytes and slots in
//! use, writes by outcome, store errors, calls bypassed while the store is down,
//! purges, and what this instance reads of the others sharing the cache.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// The cache's counters and gauges. Cheap to clone (shared handles).
#[derive(Clone, Debug)]
pub struct CacheMetrics {
    pub(crate) hits: IntCounter,
    pub(crate) misses: IntCounter,
    pub(crate) evictions: IntCounter,
    pub(crate) etag_mismatches: IntCounter,
    pub(crate) bytes: IntGauge,
    pub(crate) slots_used: IntGauge,
    pub(crate) writes: IntCounterVec,
    pub(crate) store_errors: IntCounterVec,
    pub(crate) bypassed: IntCounterVec,
    pub(crate) purges: IntCounterVec,
    pub(crate) purged_entries: IntCounter,
    pub(crate) peer_hits: IntCounter,
    pub(crate) peer_syncs: IntCounterVec,
    pub(crate) peer_entries: IntGauge,
}

impl CacheMetrics {
    /// Creates the metrics and registers them on `registry`.
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let counter = |name: &str, help: &str| -> prometheus::Result<IntCounter> {
            let c = IntCounter::new(name, help)?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
        let gauge = |name: &str, help: &str| -> prometheus::Result<IntGauge> {
            let g = IntGauge::new(name, help)?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
        let counter_vec = |name: &str, help: &str, label: &str| {
            let c = IntCounterVec::new(Opts::new(name, help), &[label])?;
            registry.register(Box::new(c.clone()))?;
            prometheus::Result::Ok(c)
        };
        Ok(CacheMetrics {
            hits: counter(
                "vignette_cache_hits_total",
                "Variants answered from the cache.",
            )?,
            misses: counter(
                "vignette_cache_misses_total",
                "Lookups that found no usable variant.",
            )?,
            evictions: counter(
                "vignette_cache_evictions_total",
                "Entries evicted to make room.",
            )?,
            etag_mismatches: counter(
                "vignette_cache_etag_mismatches_total",
                "Slot objects changed or gone behind the index's back (a miss, slot freed).",
            )?,
            bytes: gauge("vignette_cache_bytes", "Bytes of cached variants.")?,
            slots_used: gauge(
                "vignette_cache_slots_used",
                "Slots holding or receiving a variant.",
            )?,
            writes: counter_vec(
                "vignette_cache_writes_total",
                "Cache writes by outcome: ok, error, dropped (too many pending), too_large, \
                 full, unavailable (store down), purged (a purge happened meanwhile).",
                "outcome",
            )?,
            store_errors: counter_vec(
                "vignette_cache_store_errors_total",
                "Failed store calls by operation: get, put, index_load, index_flush, \
                 purge_delete, purge_record, purge_sync.",
                "op",
            )?,
            bypassed: counter_vec(
                "vignette_cache_bypassed_total",
                "Store calls skipped while the store is considered down, by operation.",
                "op",
            )?,
            purges: counter_vec(
                "vignette_cache_purges_total",
                "Sources purged, by origin: local (this instance's admin API) or peer \
                 (learned from another instance's purge record).",
                "origin",
            )?,
            purged_entries: counter(
                "vignette_cache_purged_entries_total",
                "Slot cache entries removed by purges.",
            )?,
            peer_hits: counter(
                "vignette_cache_peer_hits_total",
                "Hits on variants another instance sharing the cache wrote.",
            )?,
            peer_syncs: counter_vec(
                "vignette_cache_peer_syncs_total",
                "Reads of another instance's index, by outcome: unchanged, read, missing, \
                 error.",
                "outcome",
            )?,
            peer_entries: gauge(
                "vignette_cache_peer_entries",
                "Variants of the other instances sharing the cache readable here.",
            )?,
        })
    }

    /// Purges of `origin` (`local`, `peer`) so far.
    pub fn purges(&self, origin: &str) -> u64 {
        self.purges.with_label_values(&[origin]).get()
    }

    /// Hits on variants another instance wrote, so far.
    pub fn peer_hits(&self) -> u64 {
        self.peer_hits.get()
    }

    /// Hits so far.
    pub fn hits(&self) -> u64 {
        self.hits.get()
    }

    /// Misses so far.
    pub fn misses(&self) -> u64 {
        self.misses.get()
    }

    /// Evictions so far.
    pub fn evictions(&self) -> u64 {
        self.evictions.get()
    }

    /// ETag mismatches so far.
    pub fn etag_mismatches(&self) -> u64 {
        self.etag_mismatches.get()
    }

    /// Writes that ended with `outcome` so far.
    pub fn writes(&self, outcome: &str) -> u64 {
        self.writes.with_label_values(&[outcome]).get()
    }

    /// Store calls of `op` skipped while the store was considered down.
    pub fn bypassed(&self, op: &str) -> u64 {
        self.bypassed.with_label_values(&[op]).get()
    }

    /// Failed store calls of `op` so far.
    pub fn store_errors(&self, op: &str) -> u64 {
        self.store_errors.with_label_values(&[op]).get()
    }
}
