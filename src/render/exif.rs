//! Reads the few EXIF fields the renderer needs from a TIFF structure: the orientation (tag
//! 0x0112 of IFD0), and, for requests that keep metadata, where to reset it and the artist
//! and copyright notices. A dedicated reader of a few dozen lines instead of a general EXIF crate:
//! it allocates nothing and every offset it follows is bounds-checked.

/// The orientation tag.
const ORIENTATION: u16 = 0x0112;
/// The artist tag of IFD0 (ASCII).
pub(crate) const ARTIST: u16 = 0x013B;
/// The copyright tag of IFD0 (ASCII).
pub(crate) const COPYRIGHT: u16 = 0x8298;

/// A TIFF block's byte order and first directory (IFD0), read without allocating.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tiff<'a> {
    data: &'a [u8],
    big_endian: bool,
    ifd0: usize,
}

impl<'a> Tiff<'a> {
    /// The block, when it starts with a TIFF header whose IFD0 lies inside it.
    pub(crate) fn parse(data: &'a [u8]) -> Option<Tiff<'a>> {
        let big_endian = match data.get(0..4)? {
            b"MM\0*" => true,
            b"II*\0" => false,
            _ => return None,
        };
        let mut t = Tiff {
            data,
            big_endian,
            ifd0: 0,
        };
        t.ifd0 = t.u32_at(4)? as usize;
        t.u16_at(t.ifd0)?;
        Some(t)
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.data.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// The offset of IFD0's entry for `tag` (12 bytes: tag, type, count, value).
    fn entry(&self, tag: u16) -> Option<usize> {
        let count = self.u16_at(self.ifd0)? as usize;
        (0..count)
            .map(|i| self.ifd0 + 2 + 12 * i)
            .find(|&e| self.u16_at(e) == Some(tag))
    }

    /// Where the orientation's SHORT value is stored, to overwrite it: never past the end
    /// of the block (an entry may be cut after its type; found by fuzzing).
    pub(crate) fn orientation_value_at(&self) -> Option<usize> {
        let e = self.entry(ORIENTATION)?;
        (self.u16_at(e + 2)? == 3 && self.u16_at(e + 8).is_some()).then_some(e + 8)
    }

    /// An ASCII field of IFD0, with its terminating NUL.
    pub(crate) fn ascii(&self, tag: u16) -> Option<Vec<u8>> {
        let e = self.entry(tag)?;
        if self.u16_at(e + 2)? != 2 {
            return None;
        }
        let n = self.u32_at(e + 4)? as usize;
        let at = if n <= 4 {
            e + 8
        } else {
            self.u32_at(e + 8)? as usize
        };
        let mut v = self.data.get(at..at.checked_add(n)?)?.to_vec();
        if v.last() != Some(&0) {
            v.push(0);
        }
        Some(v)
    }
}

/// The EXIF orientation (1–8 when valid) of a TIFF block.
pub(crate) fn orientation(tiff: &[u8]) -> Option<u32> {
    let t = Tiff::parse(tiff)?;
    let e = t.entry(ORIENTATION)?;
    match t.u16_at(e + 2)? {
        3 => t.u16_at(e + 8).map(u32::from),
        4 => t.u32_at(e + 8),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal TIFF header with IFD0 holding one orientation entry.
    pub(crate) fn tiff_with_orientation(value: u16, big_endian: bool) -> Vec<u8> {
        let mut t = Vec::new();
        let u16b = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        t.extend_from_slice(if big_endian { b"MM\0*" } else { b"II*\0" });
        t.extend_from_slice(&u32b(8));
        t.extend_from_slice(&u16b(2)); // two entries
        // An unrelated tag first (ImageWidth, LONG).
        t.extend_from_slice(&u16b(0x0100));
        t.extend_from_slice(&u16b(4));
        t.extend_from_slice(&u32b(1));
        t.extend_from_slice(&u32b(640));
        t.extend_from_slice(&u16b(ORIENTATION));
        t.extend_from_slice(&u16b(3));
        t.extend_from_slice(&u32b(1));
        t.extend_from_slice(&u16b(value));
        t.extend_from_slice(&[0, 0]);
        t.extend_from_slice(&u32b(0));
        t
    }

    #[test]
    fn reads_both_byte_orders() {
        assert_eq!(orientation(&tiff_with_orientation(6, true)), Some(6));
        assert_eq!(orientation(&tiff_with_orientation(8, false)), Some(8));
    }

    #[test]
    fn broken_structures_are_none() {
        assert_eq!(orientation(b""), None);
        assert_eq!(orientation(b"II*\0\xff\xff\xff\xff"), None);
        let t = tiff_with_orientation(3, false);
        // Every truncation is handled without panicking.
        for n in 0..t.len() {
            let _ = orientation(&t[..n]);
        }
        assert_eq!(orientation(&t[..t.len() - 8]), None);
    }

    #[test]
    fn an_entry_cut_after_its_type_has_no_value() {
        // The fuzzer's input: IFD0 of three entries, the orientation cut after its type.
        let t = b"MM\0*\0\0\0\x08\0\x03\x01\x12\0\x03\0";
        let tiff = Tiff::parse(t).unwrap();
        assert_eq!(tiff.orientation_value_at(), None);
        assert_eq!(orientation(t), None);
    }
}
