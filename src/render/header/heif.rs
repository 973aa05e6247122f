//! HEIF (HEIC) header: the same ISOBMFF walk as AVIF's (`pitm` → the primary item's `ispe`,
//! `irot`, `imir`), read before libheif sees the file so that the pixel limit holds before
//! it allocates. For an iPhone photo the primary item is a `grid` whose `ispe` is the whole
//! picture; the tiles are never visited, and no item reference (`iref`) is followed, so a
//! reference cycle cannot make the reader loop.
//!
//! The orientation is `irot`/`imir` alone: an EXIF orientation inside a HEIF file is
//! ignored, as the format requires (iPhones write both, and honouring both would turn the
//! picture twice; libvips, Chromium and Apple's readers ignore EXIF too).

use super::avif::read_item;
use super::{Header, HeaderError};
use crate::render::SourceFormat;

/// Reads the primary item's size and orientation (a prefix holding `meta` is enough).
pub(crate) fn read(bytes: &[u8]) -> Result<Header, HeaderError> {
    read_item(bytes, SourceFormat::Heif)
}

#[cfg(test)]
mod tests {
    use super::super::avif::tests::{bx, full};
    use super::*;

    fn ispe(w: u32, h: u32) -> Vec<u8> {
        full(b"ispe", &[w.to_be_bytes(), h.to_be_bytes()].concat())
    }

    /// An iPhone-like skeleton: primary item 1 is a grid (`ispe` `w`×`h`, `irot` 3) made
    /// of tile item 2 (`ispe` 512×512); `iref` makes the grid derive from itself and the
    /// tile, a cycle the header reader must not follow. `ipma` is `ipma`'s payload.
    fn heic(w: u32, h: u32, ipma: &[u8]) -> Vec<u8> {
        let ipco = [ispe(w, h), bx(b"irot", &[3]), ispe(512, 512)].concat();
        let iprp = bx(b"iprp", &[bx(b"ipco", &ipco), full(b"ipma", ipma)].concat());
        // dimg from item 1 to items 1 and 2.
        let iref = full(b"iref", &bx(b"dimg", &[0, 1, 0, 2, 0, 1, 0, 2]));
        let meta = full(b"meta", &[full(b"pitm", &[0, 1]), iref, iprp].concat());
        [
            bx(b"ftyp", b"heic\0\0\0\0mif1heic"),
            meta,
            bx(b"mdat", &[0; 32]),
        ]
        .concat()
    }

    /// Item 1 → properties 1 (ispe) and 2 (irot); item 2 → property 3.
    const IPMA: [u8; 11] = [0, 0, 0, 2, 0, 1, 2, 0x81, 0x82, 0, 2];

    fn ipma() -> Vec<u8> {
        [&IPMA[..], &[1, 3]].concat()
    }

    #[test]
    fn grid_primary_item_size_and_rotation() {
        let h = read(&heic(4032, 3024, &ipma())).unwrap();
        assert_eq!(
            (h.format, h.width, h.height),
            (SourceFormat::Heif, 4032, 3024)
        );
        assert_eq!(h.orientation.value(), 6);
        // A huge declared size reads as declared: the limit is the caller's to apply.
        let h = read(&heic(u32::MAX, u32::MAX, &ipma())).unwrap();
        assert_eq!(h.pixels(), u32::MAX as u64 * u32::MAX as u64);
    }

    #[test]
    fn truncated_at_every_byte() {
        let b = heic(640, 480, &ipma());
        let meta_end = b.len() - 40;
        for n in 0..meta_end {
            assert_eq!(read(&b[..n]), Err(HeaderError::NeedMoreData), "{n}");
        }
        assert_eq!(read(&b[..meta_end]), read(&b));
    }

    #[test]
    fn hostile_metadata() {
        // Associations past the property list, or index 0 ("none"): no size.
        let none = heic(640, 480, &[0, 0, 0, 1, 0, 1, 3, 0x00, 0x09, 0x7F]);
        assert_eq!(
            read(&none),
            Err(HeaderError::Corrupt("primary item has no size"))
        );
        // An ipma claiming 2^32-1 entries with none present ends at once.
        let many = heic(640, 480, &[0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(matches!(read(&many), Err(HeaderError::Corrupt(_))));
        // A child box larger than its parent.
        let mut b = heic(640, 480, &ipma());
        let pitm = b.windows(4).position(|w| w == b"pitm").unwrap() - 4;
        b[pitm..pitm + 4].copy_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
        assert!(matches!(read(&b), Err(HeaderError::Corrupt(_))));
        // A 64-bit box size past the end of a top-level box before `meta`.
        let mut big = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        big.extend_from_slice(&[0, 0, 0, 1, b'f', b'r', b'e', b'e']);
        big.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(read(&big), Err(HeaderError::NeedMoreData));
        // No primary item.
        let mut nopitm = heic(640, 480, &ipma());
        let at = nopitm.windows(4).position(|w| w == b"pitm").unwrap();
        nopitm[at..at + 4].copy_from_slice(b"xxxx");
        assert_eq!(read(&nopitm), Err(HeaderError::Corrupt("no primary item")));
    }
}
