//! The source cache: recent originals from HTTP origins, kept in memory so that the other
//! widths of a `srcset` and the next requests within the revalidation period cost no
//! request. Bounded by bytes, least recently used first out; a source larger than a
//! quarter of the bound is not kept (it would flush everything else). Pure: the time is
//! a parameter.

use super::Fetched;
use super::fetch::Validators;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// A kept original and what revalidates it.
#[derive(Debug, Clone)]
pub(crate) struct Cached {
    pub(crate) fetched: Fetched,
    pub(crate) validators: Validators,
}

/// What the cache knows of a URL.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// Checked less than one revalidation period ago: serve it.
    Fresh(Fetched),
    /// Older: revalidate it with a conditional GET.
    Stale(Cached),
    /// Not kept.
    Miss,
}

#[derive(Debug)]
struct Entry {
    cached: Cached,
    checked: Instant,
    used: u64,
}

/// The cache; behind a mutex in [`super::HttpSource`], held only to look up or insert.
#[derive(Debug)]
pub(crate) struct SourceCache {
    capacity: u64,
    revalidate: Duration,
    bytes: u64,
    clock: u64,
    entries: HashMap<String, Entry>,
    /// Use order: clock value at last use → key.
    order: BTreeMap<u64, String>,
}

impl SourceCache {
    /// A cache of at most `capacity` bytes whose entries are fresh for `revalidate`.
    pub(crate) fn new(capacity: u64, revalidate: Duration) -> Self {
        SourceCache {
            capacity,
            revalidate,
            bytes: 0,
            clock: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    /// Looks `key` up at `now`, marking it used.
    pub(crate) fn get(&mut self, key: &str, now: Instant) -> Lookup {
        self.clock += 1;
        let Some(entry) = self.entries.get_mut(key) else {
            return Lookup::Miss;
        };
        self.order.remove(&entry.used);
        entry.used = self.clock;
        self.order.insert(self.clock, key.to_owned());
        if now.saturating_duration_since(entry.checked) < self.revalidate {
            Lookup::Fresh(entry.cached.fetched.clone())
        } else {
            Lookup::Stale(entry.cached.clone())
        }
    }

    /// Keeps `cached` as checked at `now`, evicting the least recently used entries to
    /// make room; too large a source is not kept (and its older copy goes).
    pub(crate) fn insert(&mut self, key: &str, cached: Cached, now: Instant) {
        self.remove(key);
        let size = cached.fetched.bytes.len() as u64;
        if size == 0 || size > self.capacity / 4 {
            return;
        }
        while self.bytes + size > self.capacity {
            let Some((_, victim)) = self.order.pop_first() else {
                break;
            };
            if let Some(e) = self.entries.remove(&victim) {
                self.bytes -= e.cached.fetched.bytes.len() as u64;
            }
        }
        self.clock += 1;
        self.order.insert(self.clock, key.to_owned());
        self.bytes += size;
        self.entries.insert(
            key.to_owned(),
            Entry {
                cached,
                checked: now,
                used: self.clock,
            },
        );
    }

    /// Forgets `key` (gone at the origin).
    pub(crate) fn remove(&mut self, key: &str) {
        if let Some(e) = self.entries.remove(key) {
            self.order.remove(&e.used);
            self.bytes -= e.cached.fetched.bytes.len() as u64;
        }
    }

    /// Forgets the keys `purged` picks (a purge); returns how many.
    pub(crate) fn remove_where(&mut self, purged: impl Fn(&str) -> bool) -> usize {
        let keys: Vec<String> = self.entries.keys().filter(|k| purged(k)).cloned().collect();
        for key in &keys {
            self.remove(key);
        }
        keys.len()
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn source(len: usize, version: &str) -> Cached {
        Cached {
            fetched: Fetched {
                bytes: Bytes::from(vec![7; len]),
                version: version.to_owned(),
            },
            validators: Validators::default(),
        }
    }

    fn version(lookup: Lookup) -> Option<(bool, String)> {
        match lookup {
            Lookup::Fresh(f) => Some((true, f.version)),
            Lookup::Stale(c) => Some((false, c.fetched.version)),
            Lookup::Miss => None,
        }
    }

    #[test]
    fn fresh_for_one_period_then_stale_until_refreshed() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut c = SourceCache::new(1000, s(60));
        assert!(matches!(c.get("a", t0), Lookup::Miss));
        c.insert("a", source(10, "v1"), t0);
        assert_eq!(version(c.get("a", t0 + s(59))), Some((true, "v1".into())));
        assert_eq!(version(c.get("a", t0 + s(60))), Some((false, "v1".into())));
        // A 304 puts the stale copy back, checked now.
        c.insert("a", source(10, "v1"), t0 + s(60));
        assert_eq!(version(c.get("a", t0 + s(61))), Some((true, "v1".into())));
        c.insert("a", source(20, "v2"), t0 + s(61));
        assert_eq!(c.bytes(), 20);
        c.insert("b", source(5, "v1"), t0 + s(61));
        assert_eq!(c.remove_where(|k| k == "a"), 1);
        assert_eq!(c.remove_where(|k| k == "a"), 0);
        assert_eq!(c.bytes(), 5);
        c.remove("b");
        assert!(matches!(c.get("a", t0), Lookup::Miss));
        assert_eq!(c.bytes(), 0);
    }

    #[test]
    fn evicts_least_recently_used_within_the_bound() {
        let t0 = Instant::now();
        let mut c = SourceCache::new(100, Duration::from_secs(60));
        for key in ["a", "b", "c", "d"] {
            c.insert(key, source(25, key), t0);
        }
        assert_eq!(c.bytes(), 100);
        c.get("a", t0); // "b" is now the least recently used
        c.insert("e", source(25, "e"), t0);
        assert!(matches!(c.get("b", t0), Lookup::Miss));
        for key in ["a", "c", "d", "e"] {
            assert!(matches!(c.get(key, t0), Lookup::Fresh(_)), "{key}");
        }
        assert_eq!(c.bytes(), 100);
    }

    #[test]
    fn a_source_above_a_quarter_is_not_kept() {
        let t0 = Instant::now();
        let mut c = SourceCache::new(100, Duration::from_secs(60));
        c.insert("small", source(25, "v1"), t0);
        c.insert("big", source(26, "v1"), t0);
        assert!(matches!(c.get("big", t0), Lookup::Miss));
        // A kept source that grows past the bound goes.
        c.insert("small", source(26, "v2"), t0);
        assert!(matches!(c.get("small", t0), Lookup::Miss));
        assert_eq!(c.bytes(), 0);
        let mut off = SourceCache::new(0, Duration::from_secs(60));
        off.insert("a", source(1, "v1"), t0);
        assert!(matches!(off.get("a", t0), Lookup::Miss));
    }
}
