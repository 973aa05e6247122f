//! A bounded memory of source versions, so that a source's version (part of every
//! cache key) costs a HEAD at most once per revalidation interval. Pure: `now` is a
//! parameter, so revalidation is tested without waiting.

use super::SourceMeta;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Identifier → (meta, when it was last checked).
#[derive(Debug)]
pub(crate) struct Versions {
    interval: Duration,
    capacity: usize,
    map: HashMap<String, (SourceMeta, Instant)>,
}

impl Versions {
    /// Remembers at most `capacity` identifiers, each for `interval`.
    pub(crate) fn new(interval: Duration, capacity: usize) -> Self {
        Versions {
            interval,
            capacity,
            map: HashMap::new(),
        }
    }

    /// The remembered meta of `identifier`, if checked less than `interval` ago.
    pub(crate) fn fresh(&self, identifier: &str, now: Instant) -> Option<SourceMeta> {
        let (meta, checked) = self.map.get(identifier)?;
        (now.saturating_duration_since(*checked) < self.interval).then(|| meta.clone())
    }

    /// Records a check made at `now`. When full, expired entries go first, then an
    /// arbitrary one: the bound matters more than the choice.
    pub(crate) fn insert(&mut self, identifier: &str, meta: SourceMeta, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        if self.map.len() >= self.capacity && !self.map.contains_key(identifier) {
            let interval = self.interval;
            self.map
                .retain(|_, (_, checked)| now.saturating_duration_since(*checked) < interval);
            if self.map.len() >= self.capacity {
                let victim = self.map.keys().next().cloned();
                if let Some(victim) = victim {
                    self.map.remove(&victim);
                }
            }
        }
        self.map.insert(identifier.to_owned(), (meta, now));
    }

    /// Forgets `identifier` (it is gone).
    pub(crate) fn forget(&mut self, identifier: &str) {
        self.map.remove(identifier);
    }

    /// Forgets the identifiers `purged` picks (a purge); returns how many.
    pub(crate) fn forget_where(&mut self, purged: impl Fn(&str) -> bool) -> usize {
        let before = self.map.len();
        self.map.retain(|identifier, _| !purged(identifier));
        before - self.map.len()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(v: &str) -> SourceMeta {
        SourceMeta {
            version: v.to_owned(),
            size: 1,
        }
    }

    #[test]
    fn timeline_fresh_for_one_interval() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut v = Versions::new(s(60), 10);
        assert_eq!(v.fresh("a", t0), None);
        v.insert("a", meta("v1"), t0);
        assert_eq!(v.fresh("a", t0 + s(59)), Some(meta("v1")));
        assert_eq!(v.fresh("a", t0 + s(60)), None);
        v.insert("a", meta("v2"), t0 + s(60));
        assert_eq!(v.fresh("a", t0 + s(61)), Some(meta("v2")));
        v.insert("b", meta("v1"), t0 + s(61));
        assert_eq!(v.forget_where(|id| id == "a"), 1);
        assert_eq!(v.forget_where(|id| id == "a"), 0);
        assert_eq!(v.fresh("a", t0 + s(61)), None);
        assert_eq!(v.fresh("b", t0 + s(61)), Some(meta("v1")));
    }

    #[test]
    fn stays_within_capacity() {
        let t0 = Instant::now();
        let mut v = Versions::new(Duration::from_secs(60), 3);
        for i in 0..10 {
            v.insert(&format!("id{i}"), meta("v"), t0 + Duration::from_secs(i));
            assert!(v.len() <= 3);
        }
        assert_eq!(
            v.fresh("id9", t0 + Duration::from_secs(10)),
            Some(meta("v"))
        );
        let mut none = Versions::new(Duration::from_secs(60), 0);
        none.insert("a", meta("v"), t0);
        assert_eq!(none.fresh("a", t0), None);
    }
}
