//! Computed infos kept in memory, keyed like variants (source, version, thumbnail variant,
//! encoder fingerprint, BlurHash components), so that a page's placeholders cost one
//! render per source version. Bounded: when full it is emptied and refilled, the way the
//! probe cache is (an info is a few hundred bytes; 4096 of them are about 2 MB). Each
//! info remembers its source, for purges.

use super::Lqip;
use crate::variant::SourceId;
use crate::variant::key::VariantKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The info cache.
#[derive(Debug, Default)]
pub(crate) struct LqipCache {
    map: Mutex<HashMap<VariantKey, (SourceId, Arc<Lqip>)>>,
}

impl LqipCache {
    /// Entries kept before the map is emptied.
    const CAPACITY: usize = 4096;

    /// The info under `key`, if computed.
    pub(crate) fn get(&self, key: &VariantKey) -> Option<Arc<Lqip>> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).map(|(_, info)| info.clone())
    }

    /// Keeps an info of `source`.
    pub(crate) fn insert(&self, key: VariantKey, source: SourceId, info: Arc<Lqip>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(key, (source, info));
    }

    /// Forgets the infos of `source` (a purge); returns how many.
    pub(crate) fn purge(&self, source: SourceId) -> usize {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let before = map.len();
        map.retain(|_, (s, _)| *s != source);
        before - map.len()
    }
}
