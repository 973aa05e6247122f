//! Reads the one EXIF field the renderer needs, the orientation (tag 0x0112 of IFD0), from a
//! TIFF structure. A dedicated reader of a few dozen lines instead of a general EXIF crate:
//! it allocates nothing and every offset it follows is bounds-checked.

/// The orientation tag.
const ORIENTATION: u16 = 0x0112;

/// Returns the orientation stored in `tiff` (the payload of a JPEG APP1 segment after its
/// `Exif\0\0` prefix), or `None` if it is absent or the structure is broken.
pub(crate) fn orientation(tiff: &[u8]) -> Option<u32> {
    let big_endian = match tiff.get(0..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd0 = u32_at(4)? as usize;
    let count = u16_at(ifd0)? as usize;
    for i in 0..count {
        let entry = ifd0.checked_add(2)?.checked_add(i.checked_mul(12)?)?;
        if u16_at(entry)? != ORIENTATION {
            continue;
        }
        // Type SHORT (3), one value, stored in the first two bytes of the value field.
        let kind = u16_at(entry + 2)?;
        return match kind {
            3 => u16_at(entry + 8).map(u32::from),
            4 => u32_at(entry + 8),
            _ => None,
        };
    }
    None
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
}
