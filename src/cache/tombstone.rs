//! Purge records: how a purge reaches every instance that shares a slot cache (same
//! bucket and prefix), including instances started later. A purge writes one empty
//! object beside the slots, `purge-{source id}-{unix ms}`; every instance lists them
//! each index flush period and purges the sources it has not seen yet, and the index
//! reload at start drops the entries they cover.
//!
//! One object per purge rather than a list inside the index: instances overwrite each
//! other's index, and no read-modify-write of a shared object is needed (Garage has no
//! conditional writes to make one safe). The name carries everything, so a sync is one
//! LIST call. Records are kept for [`RETENTION`]; an instance that could not list them
//! for that long, or an index flushed longer ago, may have missed one and starts cold.
//! Pure: names and times in, decisions out.

use crate::variant::SourceId;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// The names of purge records start with this.
pub(crate) const PREFIX: &str = "purge-";

/// How long a purge record is kept. An index or an instance out of touch for longer
/// cannot know what it missed: it is dropped whole (a cold cache), never trusted.
pub(crate) const RETENTION: Duration = Duration::from_secs(7 * 86_400);

/// One purge: a source, at a time (milliseconds since the Unix epoch, the purging
/// instance's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Tombstone {
    pub(crate) source: SourceId,
    pub(crate) at_ms: u64,
}

impl Tombstone {
    /// The record's object name.
    pub(crate) fn name(&self) -> String {
        format!("{PREFIX}{}-{}", self.source.to_hex(), self.at_ms)
    }

    /// The record an object name stands for; `None` for anything else.
    pub(crate) fn parse(name: &str) -> Option<Tombstone> {
        let (hex, at) = name.strip_prefix(PREFIX)?.split_once('-')?;
        if at.is_empty() || !at.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Tombstone {
            source: SourceId::from_hex(hex)?,
            at_ms: at.parse().ok()?,
        })
    }

    /// Whether an entry of the same source written at `written` (seconds) predates the
    /// purge, with `margin` for what the other instances wrote before they learned of
    /// it (one sync period) and for their clocks. Used at start only: a running
    /// instance that learns of a purge drops all the source's entries.
    pub(crate) fn covers(&self, written: u64, margin: Duration) -> bool {
        written.saturating_mul(1000) <= self.at_ms.saturating_add(margin.as_millis() as u64)
    }

    /// Whether the record is past its retention at `now_ms`.
    pub(crate) fn expired(&self, now_ms: u64) -> bool {
        self.at_ms.saturating_add(RETENTION.as_millis() as u64) < now_ms
    }
}

/// What a sync found: the records to apply (not seen before) and the expired ones to
/// delete.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Listing {
    pub(crate) new: Vec<Tombstone>,
    pub(crate) expired: Vec<String>,
}

/// The records this instance has applied, and when it last listed them.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    seen: HashSet<Tombstone>,
    /// Milliseconds since the Unix epoch of the last successful listing.
    synced_ms: Option<u64>,
}

impl Applied {
    /// Records already applied: at start (the reload applied them) or by this
    /// instance's own purge.
    pub(crate) fn mark(&mut self, tombstone: Tombstone) {
        self.seen.insert(tombstone);
    }

    /// Takes a listing made at `now_ms`: what is new, what expired. The memory of
    /// applied records becomes the listed ones, so it stays as bounded as they are.
    pub(crate) fn sync(&mut self, names: &[String], now_ms: u64) -> Listing {
        let mut out = Listing::default();
        let mut listed = HashSet::with_capacity(names.len());
        for name in names {
            let Some(t) = Tombstone::parse(name) else {
                continue;
            };
            if t.expired(now_ms) {
                out.expired.push(name.clone());
                continue;
            }
            if !self.seen.contains(&t) {
                out.new.push(t);
            }
            listed.insert(t);
        }
        // A record this instance wrote but the listing does not show yet (listings may
        // lag) stays known, so it is not applied to the instance's own new entries.
        for t in self.seen.drain() {
            if !t.expired(now_ms) {
                listed.insert(t);
            }
        }
        self.seen = listed;
        self.synced_ms = Some(now_ms);
        out.new.sort_by_key(|t| t.at_ms);
        out
    }

    /// The latest purge of each source among the records known, to filter the entries
    /// of a peer's index as the reload filters an index at start.
    pub(crate) fn latest(&self) -> HashMap<SourceId, Tombstone> {
        let mut latest: HashMap<SourceId, Tombstone> = HashMap::new();
        for &t in &self.seen {
            let kept = latest.entry(t.source).or_insert(t);
            if t.at_ms > kept.at_ms {
                *kept = t;
            }
        }
        latest
    }

    /// Whether the last successful listing is older than the retention (or there was
    /// none since `started_ms`): purges may have been missed.
    pub(crate) fn out_of_touch(&self, started_ms: u64, now_ms: u64) -> bool {
        let since = self.synced_ms.unwrap_or(started_ms);
        now_ms.saturating_sub(since) > RETENTION.as_millis() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: u8, at_ms: u64) -> Tombstone {
        Tombstone {
            source: SourceId([n; 16]),
            at_ms,
        }
    }

    #[test]
    fn names_round_trip_and_foreign_names_are_ignored() {
        let a = t(0xab, 1_700_000_000_123);
        assert_eq!(a.name(), format!("purge-{}-1700000000123", "ab".repeat(16)));
        assert_eq!(Tombstone::parse(&a.name()), Some(a));
        for bad in [
            "slot-1",
            "index",
            "purge-",
            "purge-abc-12",
            &format!("purge-{}-", "ab".repeat(16)),
            &format!("purge-{}-12x", "ab".repeat(16)),
            &format!("purge-{}-+12", "ab".repeat(16)),
        ] {
            assert_eq!(Tombstone::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn covers_entries_written_before_the_purge_and_within_the_margin() {
        let purge = t(1, 100_000);
        let margin = Duration::from_secs(10);
        assert!(purge.covers(50, margin));
        assert!(purge.covers(110, margin));
        assert!(!purge.covers(111, margin));
    }

    #[test]
    fn timeline_each_record_is_applied_once_and_expired_ones_are_collected() {
        let day = 86_400_000;
        let mut applied = Applied::default();
        let a = t(1, 10 * day);
        let b = t(2, 11 * day);
        let listing = vec![a.name(), "slot-3".to_owned(), b.name()];
        let first = applied.sync(&listing, 12 * day);
        assert_eq!(first.new, vec![a, b]);
        assert!(first.expired.is_empty());
        assert!(
            applied.sync(&listing, 12 * day).new.is_empty(),
            "applied once"
        );
        // A record of this instance's own purge is not applied again when listed.
        let own = t(3, 12 * day);
        applied.mark(own);
        assert!(applied.sync(&[own.name()], 12 * day).new.is_empty());
        // Just over seven days after `a`, it expired and is to be deleted; `b` is kept.
        let later = applied.sync(&listing, 17 * day + 1);
        assert_eq!(later.expired, vec![a.name()]);
        assert!(later.new.is_empty());
    }

    #[test]
    fn out_of_touch_after_the_retention_without_a_listing() {
        let day = 86_400_000;
        let mut applied = Applied::default();
        assert!(!applied.out_of_touch(0, 7 * day));
        assert!(applied.out_of_touch(0, 7 * day + 1));
        applied.sync(&[], 7 * day);
        assert!(!applied.out_of_touch(0, 14 * day));
        assert!(applied.out_of_touch(0, 14 * day + 1));
    }
}
