//! The slot cache's index: which variant lives in which slot, with the object's ETag,
//! its size and format, last access and hits. A pure state machine: no I/O, no clock
//! (`now` is a parameter, in seconds since the Unix epoch), so its behaviour is tested
//! as timelines and simulated in `sim.rs`.
//!
//! A slot is free, being written for one key (reserved, not yet readable), ready, or
//! held while a purge deletes its object. Only ready slots can be read or evicted; a
//! reservation ends in `commit` or `abort`, a hold in `release`.

use super::policy::{EvictionPolicy, Tracker};
use super::share::Share;
use crate::variant::Format;
use crate::variant::SourceId;
use crate::variant::key::VariantKey;
use std::collections::HashMap;
use std::num::NonZeroU32;

/// What the index knows about a ready slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) key: VariantKey,
    /// The source the variant was rendered from, so that a purge finds it.
    pub(crate) source: SourceId,
    /// When it was written, seconds since the Unix epoch: a purge record read at start
    /// applies to entries written before it (see `tombstone`).
    pub(crate) written: u64,
    /// The slot object's ETag when vignette wrote it.
    pub(crate) etag: String,
    pub(crate) size: u64,
    pub(crate) format: Format,
    /// Seconds since the Unix epoch.
    pub(crate) last_access: u64,
    pub(crate) hits: u64,
}

/// A lookup that found the key: where to read it and what to expect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) slot: u32,
    pub(crate) etag: String,
    pub(crate) format: Format,
}

/// The answer to `reserve`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reserve {
    /// Write the variant to `slot`, then `commit` or `abort`. `evicted` is the entry
    /// that had the slot, if any.
    Slot { slot: u32, evicted: Option<Entry> },
    /// The key is already ready or being written.
    Present,
    /// Every slot is being written: nothing can be evicted now.
    Full,
}

#[derive(Debug)]
enum Slot {
    Free,
    Writing(VariantKey),
    Ready(Entry),
    /// Purged: its object is being deleted; free once that is done, so that no new
    /// variant's write can race the delete.
    Held,
}

/// The index of a fixed number of slots.
#[derive(Debug)]
pub(crate) struct Index {
    slots: Vec<Slot>,
    /// Key → slot, for writing and ready slots.
    keys: HashMap<VariantKey, u32>,
    /// Free slots this instance writes (see [`Share`]: the others are never reserved),
    /// lowest number on top.
    free: Vec<u32>,
    tracker: Tracker,
    bytes: u64,
}

impl Index {
    /// An empty index (a cold cache) of an instance alone on its cache.
    pub(crate) fn new(slots: NonZeroU32, policy: EvictionPolicy) -> Self {
        Index::shared(slots, policy, Share::ALONE)
    }

    /// An empty index of an instance that writes the slots `share` gives it.
    pub(crate) fn shared(slots: NonZeroU32, policy: EvictionPolicy, share: Share) -> Self {
        let n = slots.get() as usize;
        Index {
            slots: (0..n).map(|_| Slot::Free).collect(),
            keys: HashMap::with_capacity(n),
            free: (0..slots.get()).rev().filter(|&s| share.owns(s)).collect(),
            tracker: Tracker::new(policy, n),
            bytes: 0,
        }
    }

    /// Rebuilds an index from flushed entries, least recently used first so that the
    /// policy's order follows recency. Entries for slots beyond `slots` are dropped
    /// (the slot count was lowered), and so are entries in slots this instance does not
    /// write (another instance's, which it lists in its own index); a slot or key given
    /// twice is `Err`.
    pub(crate) fn restore(
        slots: NonZeroU32,
        policy: EvictionPolicy,
        share: Share,
        mut entries: Vec<(u32, Entry)>,
    ) -> Result<Self, DuplicateEntry> {
        let mut index = Index::shared(slots, policy, share);
        entries.retain(|(slot, _)| *slot < slots.get() && share.owns(*slot));
        entries.sort_by_key(|(slot, e)| (e.last_access, *slot));
        for (slot, entry) in entries {
            if !matches!(index.slots[slot as usize], Slot::Free) {
                return Err(DuplicateEntry);
            }
            if index.keys.insert(entry.key, slot).is_some() {
                return Err(DuplicateEntry);
            }
            index.bytes += entry.size;
            index.slots[slot as usize] = Slot::Ready(entry);
            index.tracker.insert(slot);
        }
        index.free = (0..slots.get())
            .rev()
            .filter(|&s| share.owns(s) && matches!(index.slots[s as usize], Slot::Free))
            .collect();
        Ok(index)
    }

    /// Finds a ready entry and records the access.
    pub(crate) fn lookup(&mut self, key: &VariantKey, now: u64) -> Option<Hit> {
        let slot = *self.keys.get(key)?;
        let Slot::Ready(entry) = &mut self.slots[slot as usize] else {
            return None;
        };
        entry.last_access = now;
        entry.hits += 1;
        self.tracker.touch(slot);
        Some(Hit {
            slot,
            etag: entry.etag.clone(),
            format: entry.format,
        })
    }

    /// Whether `key` is ready or being written.
    pub(crate) fn contains(&self, key: &VariantKey) -> bool {
        self.keys.contains_key(key)
    }

    /// Takes a slot for `key`: a free one, else the policy's victim.
    pub(crate) fn reserve(&mut self, key: VariantKey) -> Reserve {
        if self.keys.contains_key(&key) {
            return Reserve::Present;
        }
        let (slot, evicted) = if let Some(slot) = self.free.pop() {
            (slot, None)
        } else if let Some(slot) = self.tracker.victim() {
            let Slot::Ready(old) = std::mem::replace(&mut self.slots[slot as usize], Slot::Free)
            else {
                unreachable!("the policy tracks ready slots only");
            };
            self.keys.remove(&old.key);
            self.bytes -= old.size;
            (slot, Some(old))
        } else {
            return Reserve::Full;
        };
        self.slots[slot as usize] = Slot::Writing(key);
        self.keys.insert(key, slot);
        Reserve::Slot { slot, evicted }
    }

    /// The write of a reservation succeeded: the slot becomes ready. `false` (and no
    /// change) if `slot` is not being written for `key`.
    pub(crate) fn commit(&mut self, slot: u32, entry: Entry) -> bool {
        match self.slots.get(slot as usize) {
            Some(Slot::Writing(k)) if *k == entry.key => {}
            _ => return false,
        }
        self.bytes += entry.size;
        self.slots[slot as usize] = Slot::Ready(entry);
        self.tracker.insert(slot);
        true
    }

    /// The write of a reservation failed or was dropped: the slot is free again.
    pub(crate) fn abort(&mut self, slot: u32, key: &VariantKey) -> bool {
        match self.slots.get(slot as usize) {
            Some(Slot::Writing(k)) if k == key => {}
            _ => return false,
        }
        self.slots[slot as usize] = Slot::Free;
        self.keys.remove(key);
        self.free.push(slot);
        true
    }

    /// The slot object of `key` no longer has `etag` (overwritten, deleted): free the
    /// slot, unless the entry already changed since.
    pub(crate) fn invalidate(&mut self, key: &VariantKey, etag: &str) -> bool {
        let Some(&slot) = self.keys.get(key) else {
            return false;
        };
        match &self.slots[slot as usize] {
            Slot::Ready(e) if e.etag == etag => self.bytes -= e.size,
            _ => return false,
        }
        self.slots[slot as usize] = Slot::Free;
        self.keys.remove(key);
        self.tracker.remove(slot);
        self.free.push(slot);
        true
    }

    /// Removes every ready entry of `source`: they are no longer readable, their
    /// slots are held (neither free nor evictable) until `release`. Writes in flight are
    /// left to their writer (the cache's purge generation aborts them).
    pub(crate) fn purge(&mut self, source: SourceId) -> Vec<(u32, Entry)> {
        let victims: Vec<u32> = self
            .keys
            .values()
            .copied()
            .filter(
                |&slot| matches!(&self.slots[slot as usize], Slot::Ready(e) if e.source == source),
            )
            .collect();
        let mut removed = Vec::with_capacity(victims.len());
        for slot in victims {
            let Slot::Ready(entry) = std::mem::replace(&mut self.slots[slot as usize], Slot::Held)
            else {
                continue;
            };
            self.keys.remove(&entry.key);
            self.tracker.remove(slot);
            self.bytes -= entry.size;
            removed.push((slot, entry));
        }
        removed.sort_by_key(|(slot, _)| *slot);
        removed
    }

    /// The objects of held slots are gone: the slots are free again.
    pub(crate) fn release(&mut self, slots: impl IntoIterator<Item = u32>) {
        for slot in slots {
            if let Some(s @ Slot::Held) = self.slots.get_mut(slot as usize) {
                *s = Slot::Free;
                self.free.push(slot);
            }
        }
    }

    /// Slots ready or being written.
    pub(crate) fn used(&self) -> usize {
        self.keys.len()
    }

    /// The total size of ready entries.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The number of slots.
    pub(crate) fn capacity(&self) -> u32 {
        self.slots.len() as u32
    }

    /// Ready entries with their slot, for flushing.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u32, &Entry)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| match s {
            Slot::Ready(e) => Some((i as u32, e)),
            _ => None,
        })
    }
}

/// A flushed index names one slot or one key twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the index names a slot or a key twice")]
pub(crate) struct DuplicateEntry;

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
