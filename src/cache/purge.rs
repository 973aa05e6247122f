//! Purging a source from the slot cache, here and on every instance sharing the store.
//!
//! A purge bumps the purge generation (writes of renders begun before it are dropped,
//! see [`Provenance`]), takes the source's entries out of the index (their slots held
//! until their objects are deleted, so no new write races a delete), deletes those
//! objects (so other instances' index entries pointing at them miss), records the purge
//! beside the slots (`tombstone`) and flushes the index. Other instances apply the
//! record on their next [`SlotCache::sync_purges`].

use super::slot_cache::{Inner, SlotCache, unix_now_ms};
use super::store::{StoreError, slot_name};
use super::tombstone::{self, Tombstone};
use crate::variant::SourceId;
use futures_util::StreamExt;
use std::sync::atomic::Ordering;

/// Slot objects deleted at once by a purge.
const DELETES_IN_FLIGHT: usize = 8;

/// Where a variant comes from, for a purge to find it: its source, and the cache's
/// purge generation when its render began ([`SlotCache::generation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    /// The source it was rendered from.
    pub source: SourceId,
    /// The purge generation its render began in.
    pub generation: u64,
}

/// What a purge took out of the slot cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SlotPurge {
    /// Index entries (variants) removed.
    pub entries: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Slot objects deleted: those of the entries removed, and those of the other
    /// instances' entries of the source this instance knew of (when the cache is shared).
    pub objects_deleted: u64,
    /// Slot objects whose delete failed (they are overwritten when the slot is reused;
    /// their ETag no longer matches anything this instance serves).
    pub delete_failures: u64,
}

/// A purge whose record could not be written: this instance forgot the source, the
/// others were not told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the purge record could not be written: {error}")]
pub struct UnsharedPurge {
    /// What was removed here.
    pub removed: SlotPurge,
    /// Why the record was not written.
    pub error: StoreError,
}

impl SlotCache {
    /// The purge generation: renders record it when they begin ([`Provenance`]).
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// The provenance of a render of `source` beginning now.
    pub fn provenance(&self, source: SourceId) -> Provenance {
        Provenance {
            source,
            generation: self.generation(),
        }
    }

    /// Removes every variant of `source` from the cache and records the purge for the
    /// other instances sharing the store. Idempotent: purging again removes nothing more
    /// and writes one more record.
    pub async fn purge(&self, source: SourceId) -> Result<SlotPurge, UnsharedPurge> {
        let inner = &self.inner;
        let removed = inner.drop_source(source).await;
        inner.metrics.purges.with_label_values(&["local"]).inc();
        let record = Tombstone {
            source,
            at_ms: unix_now_ms(),
        };
        let written = inner.store.put(&record.name(), Default::default()).await;
        inner.lock_applied().mark(record);
        if let Err(e) = self.flush().await {
            tracing::warn!(error = %e, "index flush after a purge failed");
        }
        match written {
            Ok(_) => Ok(removed),
            Err(error) => {
                inner
                    .metrics
                    .store_errors
                    .with_label_values(&["purge_record"])
                    .inc();
                Err(UnsharedPurge { removed, error })
            }
        }
    }

    /// Applies the purges other instances recorded since the last sync, and deletes
    /// records past their retention. Returns the sources newly purged, for the caches
    /// outside this one. An instance that could not list the records for longer than
    /// their retention forgets its whole index (it may have missed a purge).
    pub async fn sync_purges(&self) -> Result<Vec<SourceId>, StoreError> {
        let inner = &self.inner;
        let listed = inner.store.list_starting(tombstone::PREFIX).await;
        let now_ms = unix_now_ms();
        let names = match listed {
            Ok(names) => names,
            Err(e) => {
                inner
                    .metrics
                    .store_errors
                    .with_label_values(&["purge_sync"])
                    .inc();
                if inner.lock_applied().out_of_touch(inner.started_ms, now_ms) {
                    tracing::warn!("purge records unreadable for too long: forgetting the index");
                    inner.forget_all();
                }
                return Err(e);
            }
        };
        let sync = inner.lock_applied().sync(&names, now_ms);
        for name in &sync.expired {
            // Another instance may delete it too; either way it is gone.
            let _ = inner.store.delete(name).await;
        }
        let mut sources: Vec<SourceId> = sync.new.iter().map(|t| t.source).collect();
        sources.sort_unstable();
        sources.dedup();
        for &source in &sources {
            let removed = inner.drop_source(source).await;
            inner.metrics.purges.with_label_values(&["peer"]).inc();
            tracing::info!(
                ?source,
                entries = removed.entries,
                "purge learned from a peer"
            );
        }
        Ok(sources)
    }
}

impl Inner {
    pub(super) fn lock_applied(&self) -> std::sync::MutexGuard<'_, tombstone::Applied> {
        // A set of records; a panicking holder leaves it usable.
        self.applied.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `source` out of the index and deletes its slot objects.
    async fn drop_source(&self, source: SourceId) -> SlotPurge {
        // Bumped before the index is changed: a write committing after this sees it.
        self.generation.fetch_add(1, Ordering::AcqRel);
        let removed = {
            let mut index = self.lock();
            let removed = index.purge(source);
            self.gauges(&index);
            removed
        };
        // Variants of the source other instances wrote: no longer read here, and their
        // objects deleted too (a purge for legal reasons removes the bytes at once; the
        // owner drops the entries when it applies the record).
        let peer_slots = self.lock_peers().purge(source);
        let mut out = SlotPurge {
            entries: removed.len() as u64,
            bytes: removed.iter().map(|(_, e)| e.size).sum(),
            ..SlotPurge::default()
        };
        if removed.is_empty() && peer_slots.is_empty() {
            return out;
        }
        if !removed.is_empty() {
            self.changed();
        }
        self.metrics.purged_entries.inc_by(out.entries);
        // Owned names and store handles: the futures borrow nothing, so the caller's
        // future stays `Send` for any lifetime.
        let slots = removed.iter().map(|(slot, _)| *slot).chain(peer_slots);
        let deletes = slots.map(|slot| {
            let (store, name) = (self.store.clone(), slot_name(slot));
            async move { store.delete(&name).await }
        });
        let deletes: Vec<_> = deletes.collect();
        let results: Vec<Result<(), StoreError>> = futures_util::stream::iter(deletes)
            .buffer_unordered(DELETES_IN_FLIGHT)
            .collect()
            .await;
        for result in results {
            match result {
                Ok(()) => out.objects_deleted += 1,
                Err(e) => {
                    tracing::warn!(error = %e, "slot object of a purged source not deleted");
                    self.metrics
                        .store_errors
                        .with_label_values(&["purge_delete"])
                        .inc();
                    out.delete_failures += 1;
                }
            }
        }
        let mut index = self.lock();
        index.release(removed.into_iter().map(|(slot, _)| slot));
        self.gauges(&index);
        out
    }

    /// Forgets every entry (a cold cache); the slot objects stay until reused.
    fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut index = self.lock();
        let mut sources: Vec<SourceId> = index.entries().map(|(_, e)| e.source).collect();
        sources.sort_unstable();
        sources.dedup();
        for source in sources {
            let held = index.purge(source);
            index.release(held.into_iter().map(|(slot, _)| slot));
        }
        self.gauges(&index);
        drop(index);
        self.lock_peers().clear();
        self.changed();
    }
}
