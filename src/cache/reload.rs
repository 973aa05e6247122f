//! Reloading the flushed index at start: any problem (absent, unreadable, corrupt,
//! foreign, inconsistent) gives a cold cache, logged, never an error.

use super::index::Index;
use super::store::{INDEX_NAME, SlotStore};
use super::{CacheMetrics, CacheSettings, codec};

/// Reloads the index, or a cold one. Also returns the slot count the flushed index was
/// written for (0 when none).
pub(super) async fn load(
    store: &dyn SlotStore,
    settings: &CacheSettings,
    metrics: &CacheMetrics,
) -> (Index, u32) {
    let cold = || Index::new(settings.slots, settings.policy);
    // Room for every slot with a long ETag, and some slack for a larger old index.
    let max_bytes = (u64::from(settings.slots.get()) * 400).max(1 << 20);
    let bytes = match store.get(INDEX_NAME, max_bytes).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            tracing::info!("no slot cache index: starting cold");
            return (cold(), 0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "slot cache index unreadable: starting cold");
            metrics
                .store_errors
                .with_label_values(&["index_load"])
                .inc();
            return (cold(), 0);
        }
    };
    let decoded = match codec::decode(&bytes) {
        Ok(decoded) => decoded,
        Err(e) => {
            tracing::warn!(error = %e, "slot cache index rejected: starting cold");
            return (cold(), 0);
        }
    };
    match Index::restore(settings.slots, settings.policy, decoded.entries) {
        Ok(index) => {
            tracing::info!(entries = index.used(), "slot cache index loaded");
            (index, decoded.slots)
        }
        Err(e) => {
            tracing::warn!(error = %e, "slot cache index rejected: starting cold");
            (cold(), decoded.slots)
        }
    }
}
