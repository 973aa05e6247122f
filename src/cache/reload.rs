//! Reloading the flushed index at start: any problem (absent, unreadable, corrupt,
//! foreign, inconsistent, of an older format) gives a cold cache, logged, never an error.
//! The purge records beside it are applied to its entries (see `tombstone`); when they
//! cannot be listed, or the index is older than their retention, nothing in it can be
//! trusted not to be purged, and the cache starts cold too.
//!
//! An instance sharing the store reads its own index (`index-{k}`); when it has none
//! yet, it takes its slots' entries from the `index` a single instance wrote before the
//! store was shared (the upgrade path), and deletes that one once it is older than the
//! purge records' retention (nobody can use it any more).

use super::index::Index;
use super::peer_sync::max_index_bytes;
use super::store::{INDEX_NAME, SlotStore, StoreError};
use super::tombstone::{self, Applied, Tombstone};
use super::{CacheMetrics, CacheSettings, codec};
use crate::variant::SourceId;
use bytes::Bytes;
use std::collections::HashMap;
use std::time::Duration;

/// What the reload found.
pub(super) struct Loaded {
    pub(super) index: Index,
    /// The slot count the flushed index was written for (0 when none).
    pub(super) old_slots: u32,
    /// The purge records seen (and applied).
    pub(super) applied: Applied,
    /// The entries come from the index of a single instance, not this instance's own:
    /// its own is to be written at the first flush.
    pub(super) imported: bool,
}

/// How late after a purge another instance may still have written an entry of the
/// purged source before learning of it: one sync period (the flush interval), twice for
/// safety, and a minute for clocks that disagree.
pub(super) fn purge_margin(settings: &CacheSettings) -> Duration {
    settings.flush_interval * 2 + Duration::from_secs(60)
}

/// Reloads the index, or a cold one, at `now_ms` (milliseconds since the Unix epoch).
pub(super) async fn load(
    store: &dyn SlotStore,
    settings: &CacheSettings,
    metrics: &CacheMetrics,
    now_ms: u64,
) -> Loaded {
    let cold = |old_slots, applied| Loaded {
        index: Index::shared(settings.slots, settings.policy, settings.share),
        old_slots,
        applied,
        imported: false,
    };
    let mut applied = Applied::default();
    let names = match store.list_starting(tombstone::PREFIX).await {
        Ok(names) => names,
        Err(e) => {
            tracing::warn!(error = %e, "purge records unreadable: starting cold");
            metrics
                .store_errors
                .with_label_values(&["index_load"])
                .inc();
            return cold(0, applied);
        }
    };
    applied.sync(&names, now_ms);
    let (bytes, legacy) = match read_index(store, settings).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            tracing::info!("no slot cache index: starting cold");
            return cold(0, applied);
        }
        Err(e) => {
            tracing::warn!(error = %e, "slot cache index unreadable: starting cold");
            metrics
                .store_errors
                .with_label_values(&["index_load"])
                .inc();
            return cold(0, applied);
        }
    };
    let mut decoded = match codec::decode(&bytes) {
        Ok(decoded) => decoded,
        Err(e @ codec::CodecError::Version(_)) => {
            tracing::info!(error = %e, "slot cache index of another format: starting cold");
            return cold(0, applied);
        }
        Err(e) => {
            tracing::warn!(error = %e, "slot cache index rejected: starting cold");
            return cold(0, applied);
        }
    };
    let age_ms = now_ms.saturating_sub(decoded.flushed_at.saturating_mul(1000));
    if age_ms > tombstone::RETENTION.as_millis() as u64 {
        if legacy {
            let _ = store.delete(INDEX_NAME).await;
        }
        tracing::info!(
            age_secs = age_ms / 1000,
            "slot cache index older than the purge records: starting cold"
        );
        return cold(decoded.slots, applied);
    }
    let latest = latest_purges(&names);
    let margin = purge_margin(settings);
    let before = decoded.entries.len();
    decoded.entries.retain(|(_, e)| {
        latest
            .get(&e.source)
            .is_none_or(|t| !t.covers(e.written, margin))
    });
    let purged = before - decoded.entries.len();
    match Index::restore(
        settings.slots,
        settings.policy,
        settings.share,
        decoded.entries,
    ) {
        Ok(index) => {
            tracing::info!(entries = index.used(), purged, "slot cache index loaded");
            Loaded {
                index,
                old_slots: decoded.slots,
                applied,
                imported: legacy,
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "slot cache index rejected: starting cold");
            cold(decoded.slots, applied)
        }
    }
}

/// This instance's index object, and whether it is the `index` of a single instance
/// read by an instance sharing the store that has no index of its own yet.
async fn read_index(
    store: &dyn SlotStore,
    settings: &CacheSettings,
) -> Result<Option<(Bytes, bool)>, StoreError> {
    let max_bytes = max_index_bytes(settings.slots.get());
    let own = settings.share.index_name();
    if let Some(bytes) = store.get(&own, max_bytes).await? {
        return Ok(Some((bytes, false)));
    }
    if own == INDEX_NAME {
        return Ok(None);
    }
    Ok(store
        .get(INDEX_NAME, max_bytes)
        .await?
        .map(|bytes| (bytes, true)))
}

/// The latest purge of each source among the listed records.
fn latest_purges(names: &[String]) -> HashMap<SourceId, Tombstone> {
    let mut latest: HashMap<SourceId, Tombstone> = HashMap::new();
    for t in names.iter().filter_map(|n| Tombstone::parse(n)) {
        let kept = latest.entry(t.source).or_insert(t);
        if t.at_ms > kept.at_ms {
            *kept = t;
        }
    }
    latest
}
