//! Purging one source from every cache of the instance: the slot cache (which records
//! the purge for the other instances sharing its store; with `--cache-in-source-bucket`
//! the cache in the source's bucket, and the ordinary one), the intermediate cache, the
//! source cache and versions, the source facts and the placeholder infos. And the
//! periodic sync that applies the purges other instances recorded.

use super::AppState;
use crate::cache::{SlotCache, SlotPurge, StoreError};
use crate::source::Source;
use crate::variant::{SourceId, SourceRef};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// What a purge removed, per cache: the admin API's answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PurgeReport {
    /// The source, in its canonical form (`local:///…`, `s3://…`, the URL).
    pub source: String,
    /// Rendered variants in the slot cache.
    pub slot_cache: SlotPurge,
    /// Decoded sources kept for other sizes.
    pub intermediate: usize,
    /// Originals and versions remembered by the sources.
    pub source_cache: usize,
    /// Headers and colours known of the source's versions.
    pub source_facts: usize,
    /// Computed placeholder infos.
    pub lqip: usize,
    /// Whether the purge was recorded for the other instances sharing the slot cache.
    pub shared: bool,
}

/// What the caches in memory dropped.
struct Memory {
    intermediate: usize,
    source_cache: usize,
    source_facts: usize,
    lqip: usize,
}

impl AppState {
    /// Removes every variant of `source` from every cache, here and (through the slot
    /// cache's purge record) on the other instances sharing the slot cache.
    pub async fn purge_source(&self, source: &SourceRef) -> PurgeReport {
        let id = source.id();
        // The slot cache first: its purge generation keeps out renders begun before.
        let own = self.caches.for_source(source);
        let (mut slot_cache, mut shared) = purge_slots(own, id).await;
        if !std::ptr::eq(own, self.caches.ordinary()) {
            // Variants cached before the setting was turned on are in the ordinary cache.
            let (ordinary, recorded) = purge_slots(self.caches.ordinary(), id).await;
            slot_cache.entries += ordinary.entries;
            slot_cache.bytes += ordinary.bytes;
            slot_cache.objects_deleted += ordinary.objects_deleted;
            slot_cache.delete_failures += ordinary.delete_failures;
            shared &= recorded;
        }
        // The source cache keeps an HTTP original under its URL without a fragment.
        let text = source.to_string();
        let mut ids = vec![id];
        if let Some((bare, _)) = text.split_once('#').filter(|_| Source::is_remote(source)) {
            ids.push(SourceId::of_text(bare));
        }
        let memory = self.purge_memory(&ids);
        tracing::info!(
            source = %text,
            slot_cache = slot_cache.entries,
            intermediate = memory.intermediate,
            shared,
            "source purged"
        );
        PurgeReport {
            source: text,
            slot_cache,
            intermediate: memory.intermediate,
            source_cache: memory.source_cache,
            source_facts: memory.source_facts,
            lqip: memory.lqip,
            shared,
        }
    }

    /// Applies the purges other instances recorded since the last sync (the slot
    /// cache's entries, then the caches in memory); returns how many sources. Runs every
    /// index flush period (see [`AppState::build`]); callable directly, e.g. by tests.
    ///
    /// With `--cache-in-source-bucket` each source bucket's records are read too (one
    /// `LIST` per bucket); a bucket whose records cannot be read is skipped (its store
    /// logs and counts it), only the ordinary cache's failure is an error.
    pub async fn sync_purges(&self) -> Result<usize, StoreError> {
        let ordinary = self.cache.sync_purges().await;
        let Some(buckets) = self.caches.buckets() else {
            let sources = ordinary?;
            for &id in &sources {
                self.purge_memory(&[id]);
            }
            return Ok(sources.len());
        };
        // The buckets' records are applied even when the ordinary cache's are unreadable.
        let (mut sources, failed) = match ordinary {
            Ok(sources) => (sources, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        for (_, cache) in buckets.iter() {
            if let Ok(learned) = cache.sync_purges().await {
                sources.extend(learned);
            }
        }
        sources.sort_unstable();
        sources.dedup();
        for &id in &sources {
            self.purge_memory(&[id]);
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(sources.len()),
        }
    }

    fn purge_memory(&self, ids: &[SourceId]) -> Memory {
        let per_id = |f: &dyn Fn(SourceId) -> usize| ids.iter().map(|&id| f(id)).sum::<usize>();
        Memory {
            intermediate: per_id(&|id| self.render.intermediates.purge(id)),
            source_cache: self.source.purge(ids),
            source_facts: per_id(&|id| self.facts.purge(id)),
            lqip: per_id(&|id| self.lqips.purge(id)),
        }
    }
}

/// Purges `id` from one slot cache: what it removed, and whether the purge was recorded
/// for the other instances.
async fn purge_slots(cache: &SlotCache, id: SourceId) -> (SlotPurge, bool) {
    match cache.purge(id).await {
        Ok(removed) => (removed, true),
        Err(unshared) => {
            tracing::warn!(error = %unshared.error, "purge not recorded for other instances");
            (unshared.removed, false)
        }
    }
}

/// Syncs purges every `period` until `stop` is cancelled.
pub(super) fn spawn_sync(
    state: std::sync::Weak<AppState>,
    period: Duration,
    stop: CancellationToken,
) -> JoinHandle<()> {
    let period = period.max(Duration::from_millis(10));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticks.tick() => {
                    let Some(state) = state.upgrade() else { break };
                    if let Err(e) = state.sync_purges().await {
                        tracing::warn!(error = %e, "purge records unreadable");
                    }
                    drop::<Arc<AppState>>(state);
                }
            }
        }
    })
}
