//! The flushed form of the index: a small versioned binary with a blake3 checksum, so
//! that a truncated, foreign or corrupt object is recognised and ignored (a cold cache)
//! rather than trusted.
//!
//! Layout, integers little-endian:
//! `magic (8) | version u32 | slots u32 | count u32 | flushed_at u64 | count × entry |
//! blake3 (32)`, entry = `key (32) | source (16) | slot u32 | size u64 | written u64 |
//! last_access u64 | hits u64 | format u8 | etag_len u8 | etag`.
//!
//! Version 2 added each entry's source and write time (for purges) and the flush time.
//! A version-1 index cannot say which source an entry belongs to, so it is not read: the
//! cache starts cold once after the upgrade (its slot objects are overwritten as the
//! slots are reused).

use super::index::Entry;
use crate::variant::key::VariantKey;
use crate::variant::{Format, SourceId};

const MAGIC: &[u8; 8] = b"VGNTIDX\n";
/// Bumped on any change of layout: an index of another version is not read.
const VERSION: u32 = 2;
const HEADER: usize = 8 + 4 + 4 + 4 + 8;
const CHECKSUM: usize = 32;
/// An entry without its ETag.
const ENTRY_FIXED: usize = 32 + 16 + 4 + 8 + 8 + 8 + 8 + 1 + 1;

/// Why a flushed index was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CodecError {
    #[error("not an index (bad magic or too short)")]
    NotAnIndex,
    #[error("index version {0}, expected {VERSION}")]
    Version(u32),
    #[error("index checksum mismatch")]
    Checksum,
    #[error("index entries are malformed")]
    Malformed,
}

/// A decoded index: the slot count it was written for, when, and its entries.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) slots: u32,
    /// Seconds since the Unix epoch.
    pub(crate) flushed_at: u64,
    pub(crate) entries: Vec<(u32, Entry)>,
}

/// Serialises the entries of an index of `slots` slots. ETags longer than 255 bytes
/// cannot be stored; such entries are left out (they would only be a miss later).
pub(crate) fn encode<'a>(
    slots: u32,
    flushed_at: u64,
    entries: impl Iterator<Item = (u32, &'a Entry)>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + CHECKSUM);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&slots.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&flushed_at.to_le_bytes());
    let mut count = 0u32;
    for (slot, e) in entries {
        let Ok(etag_len) = u8::try_from(e.etag.len()) else {
            continue;
        };
        out.extend_from_slice(&e.key.0);
        out.extend_from_slice(&e.source.0);
        out.extend_from_slice(&slot.to_le_bytes());
        out.extend_from_slice(&e.size.to_le_bytes());
        out.extend_from_slice(&e.written.to_le_bytes());
        out.extend_from_slice(&e.last_access.to_le_bytes());
        out.extend_from_slice(&e.hits.to_le_bytes());
        out.push(format_code(e.format));
        out.push(etag_len);
        out.extend_from_slice(e.etag.as_bytes());
        count += 1;
    }
    out[16..20].copy_from_slice(&count.to_le_bytes());
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// Parses and checks a flushed index.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded, CodecError> {
    if bytes.len() < HEADER + CHECKSUM || &bytes[..8] != MAGIC {
        return Err(CodecError::NotAnIndex);
    }
    let mut r = Reader(&bytes[8..]);
    let version = r.u32()?;
    if version != VERSION {
        return Err(CodecError::Version(version));
    }
    let (body, sum) = bytes.split_at(bytes.len() - CHECKSUM);
    if blake3::hash(body).as_bytes() != sum {
        return Err(CodecError::Checksum);
    }
    let mut r = Reader(&body[12..]);
    let slots = r.u32()?;
    let count = r.u32()? as usize;
    let flushed_at = r.u64()?;
    if count > r.0.len() / ENTRY_FIXED {
        return Err(CodecError::Malformed);
    }
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let key = VariantKey(r.take(32)?.try_into().map_err(|_| CodecError::Malformed)?);
        let source = SourceId(r.take(16)?.try_into().map_err(|_| CodecError::Malformed)?);
        let slot = r.u32()?;
        let size = r.u64()?;
        let written = r.u64()?;
        let last_access = r.u64()?;
        let hits = r.u64()?;
        let format = format_from_code(r.take(1)?[0]).ok_or(CodecError::Malformed)?;
        let etag_len = r.take(1)?[0] as usize;
        let etag = std::str::from_utf8(r.take(etag_len)?)
            .map_err(|_| CodecError::Malformed)?
            .to_owned();
        let entry = Entry {
            key,
            source,
            written,
            etag,
            size,
            format,
            last_access,
            hits,
        };
        entries.push((slot, entry));
    }
    if !r.0.is_empty() {
        return Err(CodecError::Malformed);
    }
    Ok(Decoded {
        slots,
        flushed_at,
        entries,
    })
}

/// A cursor that fails instead of reading past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if self.0.len() < n {
            return Err(CodecError::Malformed);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

/// Stable codes: never renumber, only add.
fn format_code(format: Format) -> u8 {
    match format {
        Format::Jpeg => 1,
        Format::Png => 2,
        Format::Webp => 3,
        Format::Avif => 4,
        Format::Gif => 5,
    }
}

fn format_from_code(code: u8) -> Option<Format> {
    Some(match code {
        1 => Format::Jpeg,
        2 => Format::Png,
        3 => Format::Webp,
        4 => Format::Avif,
        5 => Format::Gif,
        _ => return None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn entries() -> Vec<(u32, Entry)> {
        [
            Format::Jpeg,
            Format::Png,
            Format::Webp,
            Format::Avif,
            Format::Gif,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, format)| {
            let entry = Entry {
                key: VariantKey([i as u8; 32]),
                source: SourceId([0x40 + i as u8; 16]),
                written: 1_600_000_000 + i as u64,
                etag: format!("\"{i:032x}\""),
                size: 1000 * i as u64,
                format,
                last_access: 1_700_000_000 + i as u64,
                hits: i as u64,
            };
            (i as u32 * 2, entry)
        })
        .collect()
    }

    #[test]
    fn round_trip() {
        let entries = entries();
        let bytes = encode(10, 1_700_000_123, entries.iter().map(|(s, e)| (*s, e)));
        let decoded = decode(&bytes).unwrap();
        assert_eq!((decoded.slots, decoded.flushed_at), (10, 1_700_000_123));
        assert_eq!(decoded.entries, entries);
        let empty = decode(&encode(3, 0, std::iter::empty())).unwrap();
        assert_eq!((empty.slots, empty.entries.len()), (3, 0));
    }

    #[test]
    fn every_corruption_is_refused() {
        let entries = entries();
        let bytes = encode(10, 0, entries.iter().map(|(s, e)| (*s, e)));
        assert_eq!(decode(b"").unwrap_err(), CodecError::NotAnIndex);
        assert_eq!(decode(&[0; 100]).unwrap_err(), CodecError::NotAnIndex);
        for cut in [HEADER + CHECKSUM, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
        for i in 8..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x10;
            assert!(decode(&flipped).is_err(), "bit flip at {i}");
        }
        let mut v3 = bytes.clone();
        v3[8] = 3;
        assert_eq!(decode(&v3).unwrap_err(), CodecError::Version(3));
    }

    /// An index as version 1 wrote it (no sources): refused by its version, whatever
    /// its entries, so that the cache starts cold instead of holding unpurgeable entries.
    pub(crate) fn version_1_index() -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&[7; 32]); // key
        out.extend_from_slice(&0u32.to_le_bytes()); // slot
        out.extend_from_slice(&10u64.to_le_bytes()); // size
        out.extend_from_slice(&1u64.to_le_bytes()); // last access
        out.extend_from_slice(&0u64.to_le_bytes()); // hits
        out.push(3);
        out.push(2);
        out.extend_from_slice(b"e1");
        let sum = blake3::hash(&out);
        out.extend_from_slice(sum.as_bytes());
        out
    }

    #[test]
    fn a_version_1_index_is_refused_by_its_version() {
        assert_eq!(
            decode(&version_1_index()).unwrap_err(),
            CodecError::Version(1)
        );
    }
}
