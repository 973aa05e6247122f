//! Writing this instance's index and reading the other instances' ones: `flush`, the
//! periodic flusher, and `sync_peers`, which makes the variants other instances sharing
//! the store cached readable here (see `share` and `peers`).
//!
//! Alone on its store, an instance flushes its index every flush interval when it
//! changed, as always. Shared, it wakes every peer sync period: it reads each peer's
//! index if it changed (a `HEAD` when it did not), and flushes its own when its
//! entries changed (access times alone wait for the flush interval). A variant written
//! by one instance is thus a hit on the others within two peer sync periods, plus the
//! write itself.

use super::codec;
use super::reload::purge_margin;
use super::share::index_name;
use super::slot_cache::{SlotCache, unix_now, unix_now_ms};
use super::store::{Changed, StoreError};
use super::tombstone;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// The largest index object read: every slot with a long ETag, and slack.
pub(super) fn max_index_bytes(slots: u32) -> u64 {
    (u64::from(slots) * 400).max(1 << 20)
}

impl SlotCache {
    /// Writes the index beside the slots if it changed since the last flush.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let inner = &self.inner;
        let _one_at_a_time = inner.flushing.lock().await;
        if !inner.dirty.swap(false, Ordering::Relaxed) {
            return Ok(());
        }
        let entries_changed = inner.entries_changed.swap(false, Ordering::Relaxed);
        let bytes = {
            let index = inner.lock();
            codec::encode(index.capacity(), unix_now(), index.entries())
        };
        let name = inner.settings.share.index_name();
        match inner.store.put(&name, bytes.into()).await {
            Ok(_) => Ok(()),
            Err(e) => {
                inner.dirty.store(true, Ordering::Relaxed);
                if entries_changed {
                    inner.entries_changed.store(true, Ordering::Relaxed);
                }
                inner
                    .metrics
                    .store_errors
                    .with_label_values(&["index_flush"])
                    .inc();
                Err(e)
            }
        }
    }

    /// Reads the indexes of the other instances sharing the store that changed since
    /// the last sync, and makes their entries readable here (except those of purged
    /// sources). Returns the number of peer entries known. A peer whose index cannot be
    /// read keeps the entries last read: they are still checked by ETag on every read.
    pub async fn sync_peers(&self) -> Result<usize, StoreError> {
        let inner = &self.inner;
        let share = inner.settings.share;
        let slots = inner.settings.slots.get();
        let count = |outcome: &str| {
            inner.metrics.peer_syncs.with_label_values(&[outcome]).inc();
        };
        let mut failed = None;
        for peer in share.peers() {
            if !inner.allow() {
                inner
                    .metrics
                    .bypassed
                    .with_label_values(&["peer_sync"])
                    .inc();
                break;
            }
            let known = inner.lock_peers().etag(peer).map(str::to_owned);
            let name = index_name(share, peer);
            let fetched = inner
                .store
                .get_if_changed(&name, known.as_deref(), max_index_bytes(slots))
                .await;
            inner.record(fetched.as_ref().err());
            let (etag, entries) = match fetched {
                Ok(Changed::Unchanged) => {
                    count("unchanged");
                    continue;
                }
                Ok(Changed::Missing) => {
                    count("missing");
                    (None, Vec::new())
                }
                Ok(Changed::New { etag, bytes }) => {
                    count("read");
                    let mut entries = self.peer_entries(peer, &bytes);
                    entries.retain(|(slot, _)| *slot < slots);
                    (Some(etag), entries)
                }
                Err(e) => {
                    count("error");
                    inner
                        .metrics
                        .store_errors
                        .with_label_values(&["peer_sync"])
                        .inc();
                    failed = Some(e);
                    continue;
                }
            };
            let latest = inner.lock_applied().latest();
            let margin = purge_margin(&inner.settings);
            let keep = |e: &super::index::Entry| {
                latest
                    .get(&e.source)
                    .is_none_or(|t| !t.covers(e.written, margin))
            };
            inner.lock_peers().replace(peer, etag, entries, keep);
        }
        let known = inner.lock_peers().len();
        inner.metrics.peer_entries.set(known as i64);
        match failed {
            Some(e) => Err(e),
            None => Ok(known),
        }
    }

    /// The entries of a peer's index object; none when it is corrupt, of another
    /// format, or older than the purge records (it may predate a purge).
    fn peer_entries(&self, peer: u32, bytes: &[u8]) -> Vec<(u32, super::index::Entry)> {
        match codec::decode(bytes) {
            Ok(decoded) => {
                let age_ms = unix_now_ms().saturating_sub(decoded.flushed_at.saturating_mul(1000));
                if age_ms > tombstone::RETENTION.as_millis() as u64 {
                    return Vec::new();
                }
                decoded.entries
            }
            Err(e) => {
                tracing::warn!(peer, error = %e, "peer slot cache index rejected");
                Vec::new()
            }
        }
    }

    /// Flushes the index every `flush_interval` until `shutdown` is cancelled, then
    /// waits for pending writes and flushes once more. When the store is shared, it
    /// also wakes every peer sync period to read the peers' indexes and to flush this
    /// one if its entries changed.
    pub fn spawn_flusher(&self, shutdown: CancellationToken) -> JoinHandle<()> {
        let cache = self.clone();
        let settings = &self.inner.settings;
        let shared = settings.share.is_shared();
        let flush_every = settings.flush_interval.max(Duration::from_millis(10));
        let period = if shared {
            settings
                .peer_sync
                .min(flush_every)
                .max(Duration::from_millis(10))
        } else {
            flush_every
        };
        tokio::spawn(async move {
            let start = tokio::time::Instant::now() + period;
            let mut ticks = tokio::time::interval_at(start, period);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let mut last_flush = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = ticks.tick() => {
                        let inner = &cache.inner;
                        if shared && let Err(e) = cache.sync_peers().await {
                            tracing::debug!(error = %e, "peer slot cache index unreadable");
                        }
                        let due = !shared || last_flush.elapsed() >= flush_every;
                        if !due && !inner.entries_changed.load(Ordering::Relaxed) {
                            continue;
                        }
                        last_flush = tokio::time::Instant::now();
                        if let Err(e) = cache.flush().await {
                            tracing::warn!(error = %e, "slot cache index flush failed");
                        }
                    }
                }
            }
            cache.settle().await;
            if let Err(e) = cache.flush().await {
                tracing::warn!(error = %e, "final slot cache index flush failed");
            }
        })
    }
}
