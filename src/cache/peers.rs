//! What this instance knows of the other instances' entries on a shared slot cache:
//! each peer's last flushed index, as readable entries. Pure: the sync that fetches the
//! peers' indexes is in `peer_sync`.
//!
//! A peer entry is only ever read (conditionally on its ETag, like an own entry) and
//! forgotten; it is never evicted or overwritten by this instance, since its slot belongs
//! to the peer. It is not counted in this instance's slots used or bytes either: its
//! owner counts it.

use super::index::{Entry, Hit};
use super::share::Share;
use crate::variant::SourceId;
use crate::variant::key::VariantKey;
use std::collections::HashMap;

/// A readable entry of another instance.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PeerEntry {
    slot: u32,
    etag: String,
    source: SourceId,
    format: crate::variant::Format,
}

/// One peer's index as last read.
#[derive(Debug, Default)]
struct View {
    /// The ETag of the index object these entries came from; `None` before the first
    /// successful read or while the peer has no index.
    etag: Option<String>,
    entries: HashMap<VariantKey, PeerEntry>,
}

/// The peers' entries, one view per peer.
#[derive(Debug)]
pub(crate) struct Peers {
    share: Share,
    /// Indexed by instance number; this instance's own view stays empty.
    views: Vec<View>,
}

impl Peers {
    /// No peer entries yet.
    pub(crate) fn new(share: Share) -> Self {
        Peers {
            share,
            views: (0..share.instances()).map(|_| View::default()).collect(),
        }
    }

    /// The ETag of peer `peer`'s index as last read, for a conditional read.
    pub(crate) fn etag(&self, peer: u32) -> Option<&str> {
        self.views.get(peer as usize)?.etag.as_deref()
    }

    /// Replaces peer `peer`'s entries with those of its index object `etag`. Entries in
    /// slots the peer does not write are left out (an index of another partition, or
    /// written before the instance count changed), and so are those `keep` refuses
    /// (purged sources). Returns how many were kept.
    pub(crate) fn replace(
        &mut self,
        peer: u32,
        etag: Option<String>,
        entries: Vec<(u32, Entry)>,
        keep: impl Fn(&Entry) -> bool,
    ) -> usize {
        let share = self.share;
        let Some(view) = self.views.get_mut(peer as usize) else {
            return 0;
        };
        if peer == share.instance() {
            return 0;
        }
        view.etag = etag;
        view.entries = entries
            .into_iter()
            .filter(|(slot, e)| share.owner(*slot) == peer && keep(e))
            .map(|(slot, e)| {
                let entry = PeerEntry {
                    slot,
                    etag: e.etag,
                    source: e.source,
                    format: e.format,
                };
                (e.key, entry)
            })
            .collect();
        view.entries.len()
    }

    /// Where a peer keeps `key`, if one does.
    pub(crate) fn lookup(&self, key: &VariantKey) -> Option<Hit> {
        self.views.iter().find_map(|v| {
            v.entries.get(key).map(|e| Hit {
                slot: e.slot,
                etag: e.etag.clone(),
                format: e.format,
            })
        })
    }

    /// Whether a peer keeps `key`.
    pub(crate) fn contains(&self, key: &VariantKey) -> bool {
        self.views.iter().any(|v| v.entries.contains_key(key))
    }

    /// The object of a peer entry no longer has `etag` (the peer reused the slot):
    /// forget it until the peer's index changes.
    pub(crate) fn invalidate(&mut self, key: &VariantKey, etag: &str) -> bool {
        for view in &mut self.views {
            if view.entries.get(key).is_some_and(|e| e.etag == etag) {
                view.entries.remove(key);
                return true;
            }
        }
        false
    }

    /// Forgets every peer entry of `source`; returns their slots (a purge deletes
    /// their objects too).
    pub(crate) fn purge(&mut self, source: SourceId) -> Vec<u32> {
        let mut slots = Vec::new();
        for view in &mut self.views {
            view.entries.retain(|_, e| {
                let purged = e.source == source;
                if purged {
                    slots.push(e.slot);
                }
                !purged
            });
        }
        slots.sort_unstable();
        slots
    }

    /// Forgets everything, and the ETags, so that the next sync reads every peer again.
    pub(crate) fn clear(&mut self) {
        for view in &mut self.views {
            *view = View::default();
        }
    }

    /// Peer entries known.
    pub(crate) fn len(&self) -> usize {
        self.views.iter().map(|v| v.entries.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variant::Format;

    fn entry(n: u8) -> Entry {
        Entry {
            key: VariantKey([n; 32]),
            source: SourceId([n % 2; 16]),
            written: 0,
            etag: format!("e{n}"),
            size: 10,
            format: Format::Png,
            last_access: 0,
            hits: 0,
        }
    }

    #[test]
    fn a_peers_entries_are_readable_until_replaced_invalidated_or_purged() {
        let mut peers = Peers::new(Share::new(0, 2).unwrap());
        // Instance 1 writes odd slots: the entry in slot 2 is not its own, left out.
        let kept = peers.replace(
            1,
            Some("i1".into()),
            vec![(1, entry(1)), (2, entry(2)), (3, entry(3)), (5, entry(4))],
            |e| e.key != VariantKey([4; 32]),
        );
        assert_eq!((kept, peers.len()), (2, 2));
        assert_eq!(peers.etag(1), Some("i1"));
        let hit = peers.lookup(&VariantKey([3; 32])).unwrap();
        assert_eq!((hit.slot, hit.etag.as_str()), (3, "e3"));
        assert!(!peers.contains(&VariantKey([2; 32])));
        assert!(!peers.invalidate(&VariantKey([3; 32]), "other"));
        assert!(peers.invalidate(&VariantKey([3; 32]), "e3"));
        assert_eq!(peers.lookup(&VariantKey([3; 32])), None);
        // Entry 1's source is SourceId([1; 16]).
        assert_eq!(peers.purge(SourceId([1; 16])), vec![1]);
        assert_eq!(peers.len(), 0);
        // This instance's own number is never a peer.
        assert_eq!(peers.replace(0, None, vec![(0, entry(6))], |_| true), 0);
        peers.replace(1, Some("i2".into()), vec![(7, entry(7))], |_| true);
        assert!(peers.contains(&VariantKey([7; 32])));
        peers.clear();
        assert_eq!((peers.len(), peers.etag(1)), (0, None));
    }
}
