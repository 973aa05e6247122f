//! Computed infos kept in memory, keyed like variants (source, version, thumbnail variant,
//! encoder fingerprint, BlurHash components), so that a page's placeholders cost one
//! render per source version. Bounded: when full it is emptied and refilled, the way the
//! probe cache is (an info is a few hundred bytes; 4096 of them are about 2 MB).

use super::Lqip;
use crate::variant::key::VariantKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The info cache.
#[derive(Debug, Default)]
pub(crate) struct LqipCache {
    map: Mutex<HashMap<VariantKey, Arc<Lqip>>>,
}

impl LqipCache {
    /// Entries kept before the map is emptied.
    const CAPACITY: usize = 4096;

    /// The info under `key`, if computed.
    pub(crate) fn get(&self, key: &VariantKey) -> Option<Arc<Lqip>> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).cloned()
    }

    /// Keeps an info.
    pub(crate) fn insert(&self, key: VariantKey, info: Arc<Lqip>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(key, info);
    }
}
