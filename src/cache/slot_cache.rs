//! The slot cache façade: `get` (a conditional read of the slot the index, or a peer's
//! index, names) and `put` (returns at once; the write runs on a spawned task, a bounded
//! number at a time). The index sits behind a `std` mutex never held across an await.
//! Flushes and the peers' indexes live in `peer_sync.rs`, purges in `purge.rs`.

use super::breaker::Breaker;
use super::index::{Entry, Hit, Index, Reserve};
use super::peers::Peers;
use super::purge::Provenance;
use super::reload::{Loaded, load};
use super::store::{Fetched, SlotStore, StoreError, slot_name};
use super::tombstone::Applied;
use super::{CacheMetrics, CacheSettings, CachedVariant};
use crate::variant::key::VariantKey;
use crate::variant::{Format, SourceId};
use bytes::Bytes;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// What `put` did with a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// A slot was reserved; the write runs in the background.
    Queued,
    /// The key is already cached or being written.
    Present,
    /// Larger than the per-object bound: not cached.
    TooLarge,
    /// Too many writes pending: dropped.
    Dropped,
    /// Every slot is being written: dropped.
    Full,
    /// The store is considered down (circuit breaker open): dropped.
    Unavailable,
    /// A purge happened since the render began: its source may be purged, dropped.
    Purged,
}

/// The slot cache. Cheap to clone; every clone is the same cache.
#[derive(Clone)]
pub struct SlotCache {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) store: Arc<dyn SlotStore>,
    pub(super) settings: CacheSettings,
    index: Mutex<Index>,
    breaker: Mutex<Breaker>,
    /// The index changed since the last successful flush.
    pub(super) dirty: AtomicBool,
    /// Its entries changed (not only their access times) since the last successful
    /// flush: peers sharing the cache learn of them at the next flush.
    pub(super) entries_changed: AtomicBool,
    /// The other instances' entries, when the cache is shared.
    pub(super) peers: Mutex<Peers>,
    /// Counts purges (own and learned): a write whose render began in an older
    /// generation is dropped, as it may hold a purged source.
    pub(super) generation: AtomicU64,
    /// The purge records applied.
    pub(super) applied: Mutex<Applied>,
    /// When the cache was opened, milliseconds since the Unix epoch.
    pub(super) started_ms: u64,
    /// One permit per write in flight.
    writes: Arc<Semaphore>,
    /// Flushes one at a time, so an older snapshot never overwrites a newer one.
    pub(super) flushing: tokio::sync::Mutex<()>,
    /// The runtime writes are spawned on, so that `put` works from any thread.
    runtime: tokio::runtime::Handle,
    pub(super) metrics: CacheMetrics,
}

/// Seconds since the Unix epoch, for `last_access`.
pub(super) fn unix_now() -> u64 {
    unix_now_ms() / 1000
}

/// Milliseconds since the Unix epoch, for purge records.
pub(super) fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl SlotCache {
    /// Opens the cache on `store`, reloading its index. A missing, unreadable, corrupt
    /// or foreign index gives a cold cache (logged), never an error.
    pub async fn open(
        store: Arc<dyn SlotStore>,
        settings: CacheSettings,
        metrics: CacheMetrics,
    ) -> Self {
        let started_ms = unix_now_ms();
        let Loaded {
            index,
            old_slots,
            applied,
            imported,
        } = load(&*store, &settings, &metrics, started_ms).await;
        let cache = SlotCache {
            inner: Arc::new(Inner {
                generation: AtomicU64::new(0),
                applied: Mutex::new(applied),
                started_ms,
                writes: Arc::new(Semaphore::new(settings.max_pending_writes.get() as usize)),
                store,
                breaker: Mutex::new(Breaker::new(
                    settings.breaker_failures.get(),
                    settings.breaker_cool_down,
                )),
                peers: Mutex::new(Peers::new(settings.share)),
                settings,
                index: Mutex::new(index),
                dirty: AtomicBool::new(false),
                entries_changed: AtomicBool::new(false),
                flushing: tokio::sync::Mutex::new(()),
                runtime: tokio::runtime::Handle::current(),
                metrics,
            }),
        };
        cache.inner.gauges(&cache.inner.lock());
        if imported {
            cache.inner.changed();
        }
        if cache.inner.settings.share.is_shared() {
            // Another instance's variants are hits from the start.
            if let Err(e) = cache.sync_peers().await {
                tracing::warn!(error = %e, "peer slot cache indexes unreadable at start");
            }
        }
        // The slot count was lowered: slot objects beyond it must go, so that the
        // store never holds more slot objects than slots.
        let slots = cache.inner.settings.slots.get();
        if old_slots > slots {
            let store = cache.inner.store.clone();
            tokio::spawn(async move {
                for n in slots..old_slots {
                    let _ = store.delete(&slot_name(n)).await;
                }
            });
        }
        cache
    }

    /// The variant under `key`, if cached and its slot object is still the one the
    /// index recorded. Store failures are misses (counted), bounded by the store's
    /// timeouts; while the store is considered down, no call is made at all.
    pub async fn get(&self, key: &VariantKey) -> Option<CachedVariant> {
        let inner = &self.inner;
        let own = inner.lock().lookup(key, unix_now());
        let (hit, peer) = match own {
            Some(hit) => {
                inner.dirty.store(true, Ordering::Relaxed);
                (hit, false)
            }
            None => match inner.peer_lookup(key) {
                Some(hit) => (hit, true),
                None => {
                    inner.metrics.misses.inc();
                    return None;
                }
            },
        };
        if !inner.allow() {
            inner.metrics.bypassed.with_label_values(&["get"]).inc();
            inner.metrics.misses.inc();
            return None;
        }
        let fetched = inner
            .store
            .get_if_match(&slot_name(hit.slot), &hit.etag)
            .await;
        inner.record(fetched.as_ref().err());
        match fetched {
            Ok(Fetched::Match(bytes)) => {
                inner.metrics.hits.inc();
                if peer {
                    inner.metrics.peer_hits.inc();
                }
                Some(CachedVariant {
                    bytes,
                    format: hit.format,
                })
            }
            Ok(Fetched::Mismatch | Fetched::Missing) => {
                inner.metrics.etag_mismatches.inc();
                inner.metrics.misses.inc();
                if peer {
                    inner.lock_peers().invalidate(key, &hit.etag);
                    return None;
                }
                let mut index = inner.lock();
                if index.invalidate(key, &hit.etag) {
                    inner.changed();
                }
                inner.gauges(&index);
                None
            }
            Err(e) => {
                tracing::debug!(error = %e, "slot cache read failed");
                inner.metrics.store_errors.with_label_values(&["get"]).inc();
                inner.metrics.misses.inc();
                None
            }
        }
    }

    /// Caches a variant of `source` off the response path: reserves a slot (evicting if
    /// needed) and writes it on a task spawned on the runtime the cache was opened in.
    /// Never waits; callable from any thread (a worker thread too).
    pub fn put(&self, key: VariantKey, source: SourceId, bytes: Bytes, format: Format) -> Put {
        let provenance = Provenance {
            source,
            generation: self.generation(),
        };
        self.put_holding(key, provenance, bytes, format, ())
    }

    /// [`SlotCache::put`], keeping `guard` until the variant is readable from the cache
    /// (the write landed) or will not be (refused, dropped, failed): coalescing holds the
    /// finished render this long.
    pub fn put_holding<G: Send + 'static>(
        &self,
        key: VariantKey,
        provenance: Provenance,
        bytes: Bytes,
        format: Format,
        guard: G,
    ) -> Put {
        let inner = &self.inner;
        let count = |outcome: &str| inner.metrics.writes.with_label_values(&[outcome]).inc();
        if provenance.generation != self.generation() {
            count("purged");
            return Put::Purged;
        }
        if bytes.len() as u64 > inner.settings.max_object_bytes.get() {
            count("too_large");
            return Put::TooLarge;
        }
        if inner.lock().contains(&key) || inner.peer_contains(&key) {
            return Put::Present;
        }
        if !inner.allow() {
            inner.metrics.bypassed.with_label_values(&["put"]).inc();
            count("unavailable");
            return Put::Unavailable;
        }
        let Ok(permit) = inner.writes.clone().try_acquire_owned() else {
            count("dropped");
            return Put::Dropped;
        };
        let reserved = {
            let mut index = inner.lock();
            let reserved = index.reserve(key);
            inner.gauges(&index);
            reserved
        };
        let slot = match reserved {
            Reserve::Present => return Put::Present,
            Reserve::Full => {
                count("full");
                return Put::Full;
            }
            Reserve::Slot { slot, evicted } => {
                if evicted.is_some() {
                    inner.metrics.evictions.inc();
                    inner.changed();
                }
                slot
            }
        };
        let inner = self.inner.clone();
        self.inner.runtime.spawn(async move {
            let size = bytes.len() as u64;
            let result = inner.store.put(&slot_name(slot), bytes).await;
            inner.record(result.as_ref().err());
            let mut index = inner.lock();
            // Checked under the index lock, which a purge takes after bumping the
            // generation: a write that lands during a purge never becomes readable.
            let purged = inner.generation.load(Ordering::Acquire) != provenance.generation;
            match result {
                Ok(_) if purged => {
                    index.abort(slot, &key);
                    inner.metrics.writes.with_label_values(&["purged"]).inc();
                }
                Ok(etag) => {
                    let now = unix_now();
                    let entry = Entry {
                        key,
                        source: provenance.source,
                        written: now,
                        etag,
                        size,
                        format,
                        last_access: now,
                        hits: 0,
                    };
                    index.commit(slot, entry);
                    inner.changed();
                    inner.metrics.writes.with_label_values(&["ok"]).inc();
                }
                Err(e) => {
                    tracing::debug!(error = %e, slot, "slot cache write failed");
                    index.abort(slot, &key);
                    inner.metrics.writes.with_label_values(&["error"]).inc();
                    inner.metrics.store_errors.with_label_values(&["put"]).inc();
                }
            }
            inner.gauges(&index);
            drop(index);
            drop(permit);
            drop(guard);
        });
        Put::Queued
    }

    /// Waits until no write is in flight (each is bounded by the store's timeouts).
    /// Puts made meanwhile are dropped: for shutdown and tests.
    pub async fn settle(&self) {
        let all = self.inner.settings.max_pending_writes.get();
        // The semaphore is never closed, so this only waits.
        let _permits = self.inner.writes.acquire_many(all).await;
    }

    /// Slots holding or receiving a variant.
    pub fn slots_used(&self) -> usize {
        self.inner.lock().used()
    }

    /// Bytes of cached variants.
    pub fn bytes(&self) -> u64 {
        self.inner.lock().bytes()
    }

    /// The metrics this cache reports to.
    pub fn metrics(&self) -> &CacheMetrics {
        &self.inner.metrics
    }
}

impl Inner {
    pub(super) fn lock(&self) -> MutexGuard<'_, Index> {
        // Every index operation leaves it consistent before it could panic; and a
        // wrong entry could only cause misses (reads are ETag-checked).
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn lock_peers(&self) -> MutexGuard<'_, Peers> {
        // A map of readable entries: a panicking holder leaves it usable.
        self.peers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The index's entries changed: flushed at the next flush, and at the next peer
    /// sync period when the cache is shared.
    pub(super) fn changed(&self) {
        self.dirty.store(true, Ordering::Relaxed);
        self.entries_changed.store(true, Ordering::Relaxed);
    }

    /// A peer's entry for `key`; nothing (and no lock) when the cache is not shared.
    fn peer_lookup(&self, key: &VariantKey) -> Option<Hit> {
        if !self.settings.share.is_shared() {
            return None;
        }
        self.lock_peers().lookup(key)
    }

    fn peer_contains(&self, key: &VariantKey) -> bool {
        self.settings.share.is_shared() && self.lock_peers().contains(key)
    }

    fn breaker(&self) -> MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the store may be called now (the breaker is closed or half-open).
    pub(super) fn allow(&self) -> bool {
        self.breaker().allow(Instant::now())
    }

    /// Feeds a store call's outcome to the breaker: only a store that fails or does not
    /// answer counts, not an object that is too large.
    pub(super) fn record(&self, error: Option<&StoreError>) {
        match error {
            None | Some(StoreError::TooLarge { .. }) => self.breaker().success(),
            Some(StoreError::Timeout | StoreError::Unavailable(_)) => {
                self.breaker().failure(Instant::now());
            }
        }
    }

    pub(super) fn gauges(&self, index: &Index) {
        self.metrics.slots_used.set(index.used() as i64);
        self.metrics.bytes.set(index.bytes() as i64);
    }
}

impl fmt::Debug for SlotCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = self.inner.lock();
        f.debug_struct("SlotCache")
            .field("store", &self.inner.store)
            .field("slots", &index.capacity())
            .field("used", &index.used())
            .finish_non_exhaustive()
    }
}
