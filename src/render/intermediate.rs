//! Decode once, serve many: a bounded, least-recently-used map of decoded and shrunk
//! sources, keyed by source identity and version. A page's `srcset` asks the same source
//! at several widths; every width after the first is rendered from the kept intermediate,
//! without reading or decoding the source again.
//!
//! The decode is the whole cost of a large JPEG (the serial Huffman pass), so the policy
//! is about which scale to decode at:
//! * the first time a source is decoded, at the scale the request needs (the cheapest:
//!   1/8 for a 36 MP photo asked at 500 px);
//! * when a source is decoded again because its intermediate was too small for a wider
//!   request, at 1/2 (or the request's scale if that is finer), so that the widths a
//!   `srcset` goes on to ask are all covered: at most two decodes per source while it stays
//!   in the cache, whatever the order of the widths.
//!
//! An intermediate decoded at a finer scale than a request needs is first reduced by a box
//! filter to the scale a fresh render would have decoded at (what DCT scaling computes:
//! block means), so cached and fresh renders give the same pixels within rounding.

use super::SourceFormat;
use super::decode::Decoded;
use super::header::Header;
use crate::variant::SourceId;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Which source, at which version: two versions of one identifier never share pixels.
/// It also names the source alone, so that a purge finds every version of it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceKey {
    key: [u8; 32],
    source: SourceId,
}

impl SourceKey {
    /// The key of `identifier` (a source's canonical text) at `version` (an ETag, a size
    /// and modification time…).
    pub fn new(identifier: &str, version: &str) -> SourceKey {
        let mut h = blake3::Hasher::new();
        for field in [identifier, version] {
            h.update(&(field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
        SourceKey {
            key: *h.finalize().as_bytes(),
            source: SourceId::of_text(identifier),
        }
    }
}

impl std::fmt::Debug for SourceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SourceKey({:02x}{:02x}{:02x}{:02x}…)",
            self.key[0], self.key[1], self.key[2], self.key[3]
        )
    }
}

/// A decoded source in stored orientation, `shrink` times smaller than its header says
/// (each side rounded up).
#[derive(Debug)]
pub(crate) struct Intermediate {
    pub(crate) header: Header,
    pub(crate) decoded: Decoded,
    pub(crate) shrink: u32,
    /// The source's EXIF block, for requests that keep metadata.
    pub(crate) exif: Option<Vec<u8>>,
}

impl Intermediate {
    /// Wraps a decode that was asked for `shrink`; decoders that cannot shrink (or a
    /// lossless JPEG) return full size, which the dimensions reveal.
    pub(crate) fn new(
        header: Header,
        decoded: Decoded,
        shrink: u32,
        exif: Option<Vec<u8>>,
    ) -> Intermediate {
        let r = &decoded.raster;
        let at = |s: u32| (header.width.div_ceil(s), header.height.div_ceil(s));
        let shrink = if (r.width(), r.height()) == at(shrink) {
            shrink
        } else {
            1
        };
        Intermediate {
            header,
            decoded,
            shrink,
            exif,
        }
    }

    fn bytes(&self) -> usize {
        self.decoded.raster.data().len() + self.decoded.icc.as_ref().map_or(0, Vec::len)
    }
}

/// Counters, for tests and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntermediateStats {
    /// Sources decoded by renders that go through the cache.
    pub decodes: u64,
    /// Renders served from a kept intermediate.
    pub hits: u64,
    /// Lookups that found nothing usable.
    pub misses: u64,
    /// Intermediates currently kept.
    pub entries: usize,
    /// Their pixel bytes.
    pub bytes: usize,
}

struct Entry {
    value: Arc<Intermediate>,
    tick: u64,
}

#[derive(Default)]
struct State {
    entries: HashMap<SourceKey, Entry>,
    /// Recency order: tick → key.
    order: BTreeMap<u64, SourceKey>,
    tick: u64,
    bytes: usize,
    /// Sources decoded before, whether or not still kept (bounded, cleared when full).
    seen: HashSet<SourceKey>,
}

/// The cache. Shared by every worker behind an `Arc`; the lock is held only to look up,
/// insert or evict, never while decoding or resizing.
pub struct IntermediateCache {
    capacity: usize,
    state: Mutex<State>,
    decodes: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for IntermediateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntermediateCache")
            .field("capacity", &self.capacity)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Sources remembered as seen, beyond the ones kept.
const MAX_SEEN: usize = 16_384;
/// The scale a repeat decode uses: covers every width up to half the source's.
const WIDE_SHRINK: u32 = 2;

impl IntermediateCache {
    /// A cache holding at most `capacity` bytes of pixels; 0 disables it.
    pub fn new(capacity: usize) -> IntermediateCache {
        IntermediateCache {
            capacity,
            state: Mutex::default(),
            decodes: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Whether anything is ever kept.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while the lock is held; a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current counters.
    pub fn stats(&self) -> IntermediateStats {
        let st = self.lock();
        IntermediateStats {
            decodes: self.decodes.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: st.entries.len(),
            bytes: st.bytes,
        }
    }

    /// Whether an intermediate of `key` is kept (without touching recency or counters).
    pub fn contains(&self, key: &SourceKey) -> bool {
        self.lock().entries.contains_key(key)
    }

    /// The intermediate of `key`, if kept (and marks it recently used).
    pub(crate) fn get(&self, key: &SourceKey) -> Option<Arc<Intermediate>> {
        let mut st = self.lock();
        st.tick += 1;
        let tick = st.tick;
        let Some(entry) = st.entries.get_mut(key) else {
            drop(st);
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let old = std::mem::replace(&mut entry.tick, tick);
        let value = entry.value.clone();
        st.order.remove(&old);
        st.order.insert(tick, *key);
        Some(value)
    }

    /// Counts a kept intermediate that was used.
    pub(crate) fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a kept intermediate too coarse for the request.
    pub(crate) fn too_coarse(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// The scale to decode `key` at, when the request needs `wanted`: finer than needed
    /// when the source was decoded before (see the module doc) and the result fits.
    pub(crate) fn decode_shrink(&self, key: &SourceKey, header: &Header, wanted: u32) -> u32 {
        if !self.enabled() || wanted <= WIDE_SHRINK || !self.lock().seen.contains(key) {
            return wanted;
        }
        if estimate(header, WIDE_SHRINK) <= self.capacity {
            WIDE_SHRINK
        } else {
            wanted
        }
    }

    /// Evicts the least recently used intermediates until one of `header` decoded at
    /// `shrink` fits beside the others, when it can be kept at all. Called before the
    /// decode, so that the new intermediate and the ones it will push out are never
    /// resident together: the cache's budget bounds the memory, not the budget plus a
    /// decode.
    pub(crate) fn make_room(&self, header: &Header, shrink: u32) {
        let size = estimate(header, shrink);
        if !self.enabled() || size > self.capacity {
            return;
        }
        let mut st = self.lock();
        while st.bytes + size > self.capacity {
            let Some((_, oldest)) = st.order.pop_first() else {
                break;
            };
            remove(&mut st, &oldest);
        }
    }

    /// Forgets every version of `source` (a purge); returns the intermediates removed.
    pub fn purge(&self, source: SourceId) -> usize {
        let mut st = self.lock();
        st.seen.retain(|k| k.source != source);
        let keys: Vec<SourceKey> = st
            .entries
            .keys()
            .filter(|k| k.source == source)
            .copied()
            .collect();
        for key in &keys {
            remove(&mut st, key);
        }
        keys.len()
    }

    /// Keeps `value` as the intermediate of `key` (replacing a coarser one), evicting the
    /// least recently used ones to stay within the capacity. Counts a decode.
    pub(crate) fn insert(&self, key: &SourceKey, value: Arc<Intermediate>) {
        self.decodes.fetch_add(1, Ordering::Relaxed);
        if !self.enabled() {
            return;
        }
        let size = value.bytes();
        let mut st = self.lock();
        if st.seen.len() >= MAX_SEEN {
            st.seen.clear();
        }
        st.seen.insert(*key);
        if size > self.capacity {
            return;
        }
        if st
            .entries
            .get(key)
            .is_some_and(|old| old.value.shrink < value.shrink)
        {
            return; // a finer one is already kept (decoded concurrently)
        }
        remove(&mut st, key);
        while st.bytes + size > self.capacity {
            let Some((_, oldest)) = st.order.pop_first() else {
                break;
            };
            remove(&mut st, &oldest);
        }
        st.tick += 1;
        let tick = st.tick;
        st.order.insert(tick, *key);
        st.bytes += size;
        st.entries.insert(*key, Entry { value, tick });
    }
}

/// The bytes of `header`'s image decoded at `shrink`: 3 per pixel for JPEG (RGB; grey is
/// less, CMYK more and then simply not kept if it does not fit), 4 for the other formats.
fn estimate(header: &Header, shrink: u32) -> usize {
    let per_pixel = match header.format {
        SourceFormat::Jpeg => 3,
        _ => 4,
    };
    let pixels = header.width.div_ceil(shrink) as usize * header.height.div_ceil(shrink) as usize;
    pixels.saturating_mul(per_pixel)
}

fn remove(st: &mut State, key: &SourceKey) {
    if let Some(e) = st.entries.remove(key) {
        st.order.remove(&e.tick);
        st.bytes -= e.value.bytes();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::orientation::Orientation;
    use crate::render::raster::{Layout, Raster};

    fn header(w: u32, h: u32) -> Header {
        Header {
            format: SourceFormat::Jpeg,
            width: w,
            height: h,
            orientation: Orientation::NORMAL,
            icc: None,
            cmyk_inverted: false,
            frames: 1,
            plays: 0,
        }
    }

    fn inter(w: u32, h: u32, shrink: u32) -> Arc<Intermediate> {
        let raster = Raster::filled(w.div_ceil(shrink), h.div_ceil(shrink), Layout::Rgb, &[1; 3]);
        let decoded = Decoded {
            raster,
            icc: None,
            cmyk_inverted: false,
        };
        Arc::new(Intermediate::new(header(w, h), decoded, shrink, None))
    }

    #[test]
    fn lru_within_capacity() {
        let c = IntermediateCache::new(3 * 100 * 100 * 3);
        let k = |i: u32| SourceKey::new(&format!("img{i}"), "v1");
        for i in 0..3 {
            c.insert(&k(i), inter(100, 100, 1));
        }
        assert!(c.get(&k(0)).is_some()); // 0 is now the most recent
        c.insert(&k(3), inter(100, 100, 1));
        assert!(c.get(&k(1)).is_none(), "the least recently used goes first");
        assert!(c.get(&k(0)).is_some() && c.get(&k(3)).is_some());
        let s = c.stats();
        assert_eq!((s.entries, s.bytes, s.decodes), (3, 3 * 30_000, 4));
        // Too large to keep: counted, not kept, nothing evicted.
        c.insert(&k(9), inter(1000, 1000, 1));
        assert_eq!(c.stats().entries, 3);
    }

    #[test]
    fn purge_forgets_every_version_of_one_source_only() {
        let cache = IntermediateCache::new(10 << 20);
        let keys = [
            SourceKey::new("local:///a", "v1"),
            SourceKey::new("local:///a", "v2"),
            SourceKey::new("local:///b", "v1"),
        ];
        for key in &keys {
            cache.insert(key, inter(100, 100, 1));
        }
        assert_eq!(cache.purge(SourceId::of_text("local:///a")), 2);
        assert!(!cache.contains(&keys[0]) && !cache.contains(&keys[1]));
        assert!(cache.contains(&keys[2]));
        assert_eq!(cache.stats().entries, 1);
        assert_eq!(cache.stats().bytes, 100 * 100 * 3);
        assert_eq!(cache.purge(SourceId::of_text("local:///a")), 0);
    }

    #[test]
    fn versions_are_distinct_sources() {
        assert_ne!(SourceKey::new("a", "v1"), SourceKey::new("a", "v2"));
        assert_ne!(SourceKey::new("ab", "c"), SourceKey::new("a", "bc"));
    }

    #[test]
    fn repeat_decodes_go_wide_when_they_fit() {
        let c = IntermediateCache::new(64 << 20);
        let key = SourceKey::new("photo", "v1");
        let h = header(7360, 4912);
        assert_eq!(
            c.decode_shrink(&key, &h, 8),
            8,
            "first decode: what is needed"
        );
        c.insert(&key, inter(7360, 4912, 8));
        assert_eq!(c.decode_shrink(&key, &h, 4), 2, "second decode: wide");
        assert_eq!(c.decode_shrink(&key, &h, 1), 1);
        // A finer intermediate is not replaced by a coarser one.
        c.insert(&key, inter(7360, 4912, 2));
        c.insert(&key, inter(7360, 4912, 8));
        assert_eq!(c.get(&key).unwrap().shrink, 2);
        let small = IntermediateCache::new(1 << 20);
        small.insert(&key, inter(7360, 4912, 8));
        assert_eq!(small.decode_shrink(&key, &h, 4), 4, "wide would not fit");
    }

    #[test]
    fn room_is_made_before_the_decode() {
        let c = IntermediateCache::new(2 * 100 * 100 * 3);
        let k = |i: u32| SourceKey::new(&format!("img{i}"), "v1");
        c.insert(&k(0), inter(100, 100, 1));
        c.insert(&k(1), inter(100, 100, 1));
        c.make_room(&header(100, 100), 1);
        assert_eq!(c.stats().entries, 1, "the oldest goes before the decode");
        assert!(c.get(&k(1)).is_some());
        // The default budget keeps a 1/2 decode of a 36 MP JPEG (a srcset's widths).
        let default = IntermediateCache::new(32 << 20);
        let key = SourceKey::new("photo", "v1");
        default.insert(&key, inter(7360, 4912, 8));
        assert_eq!(default.decode_shrink(&key, &header(7360, 4912), 8), 2);
    }

    #[test]
    fn disabled_keeps_nothing() {
        let c = IntermediateCache::new(0);
        let key = SourceKey::new("photo", "v1");
        c.insert(&key, inter(10, 10, 1));
        assert!(c.get(&key).is_none());
        assert_eq!(c.decode_shrink(&key, &header(7360, 4912), 8), 8);
    }

    #[test]
    fn actual_scale_comes_from_the_dimensions() {
        // Asked for 1/8 but the decoder could not shrink (a PNG): kept as full size.
        let raster = Raster::filled(64, 48, Layout::Rgb, &[0; 3]);
        let decoded = Decoded {
            raster,
            icc: None,
            cmyk_inverted: false,
        };
        assert_eq!(
            Intermediate::new(header(64, 48), decoded, 8, None).shrink,
            1
        );
        assert_eq!(inter(65, 47, 8).shrink, 8);
    }
}
