//! Format sniffing from magic bytes. The name or extension of a source is never trusted: a
//! JPEG called `.png` is a JPEG, and an SVG is refused whatever it is called. ISOBMFF files
//! are told apart by their `ftyp` brands: AVIF first (an AVIF also lists the HEIF brand
//! `mif1`), then HEIF; other ISOBMFF (MP4 video, QuickTime, CR3 raw) is refused.

use super::SourceFormat;

/// What the first bytes of a source say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// A format vignette decodes.
    Known(SourceFormat),
    /// A recognised format vignette refuses (named for the error message).
    Refused(&'static str),
    /// Nothing recognisable.
    Unknown,
    /// Too few bytes to tell.
    TooShort,
}

/// The PNG signature.
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A bare JPEG XL codestream.
const JXL_CODESTREAM: &[u8] = b"\xFF\x0A";

/// The JPEG XL container's signature box.
pub(crate) const JXL_CONTAINER: &[u8] = b"\0\0\0\x0CJXL \r\n\x87\n";

/// Identifies the format of `bytes` (a prefix is enough).
pub(crate) fn sniff(bytes: &[u8]) -> Sniffed {
    let starts = |magic: &[u8]| bytes.starts_with(magic);

    if starts(b"\xFF\xD8\xFF") {
        return Sniffed::Known(SourceFormat::Jpeg);
    }
    if starts(PNG_MAGIC) {
        return Sniffed::Known(SourceFormat::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Sniffed::Known(SourceFormat::Gif);
    }
    if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Sniffed::Known(SourceFormat::Webp);
    }
    if starts(JXL_CODESTREAM) || starts(JXL_CONTAINER) {
        return Sniffed::Known(SourceFormat::Jxl);
    }
    if bytes.len() >= 8 && &bytes[4..8] == b"ftyp" {
        return match isobmff_brand(bytes) {
            Some(Brand::Avif) => Sniffed::Known(SourceFormat::Avif),
            Some(Brand::Heif) => Sniffed::Known(SourceFormat::Heif),
            Some(Brand::Other) => Sniffed::Refused("ISOBMFF other than AVIF or HEIF"),
            None => Sniffed::TooShort,
        };
    }
    if starts(b"BM") {
        return Sniffed::Refused("BMP");
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Sniffed::Refused("TIFF");
    }
    if looks_like_svg(bytes) {
        return Sniffed::Refused("SVG");
    }
    // A prefix that is the start of a magic number, or of a RIFF or ISOBMFF header whose
    // format is named further on, could still become a known format.
    let magics: [&[u8]; 8] = [
        b"\xFF\xD8\xFF",
        JXL_CODESTREAM,
        JXL_CONTAINER,
        PNG_MAGIC,
        b"GIF87a",
        b"GIF89a",
        b"RIFF",
        b"\0\0",
    ];
    let could_be = |m: &[u8]| {
        let n = bytes.len().min(m.len());
        bytes[..n] == m[..n]
    };
    if bytes.len() < 12 && magics.iter().any(|m| could_be(m)) {
        return Sniffed::TooShort;
    }
    Sniffed::Unknown
}

/// What an ISOBMFF file's brands say it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Brand {
    Avif,
    Heif,
    Other,
}

/// The brands of an ISOBMFF `ftyp` box (major or compatible): `avif`/`avis` make an AVIF;
/// otherwise the HEIF image brands (HEVC `heic`/`heix`/`heim`/`heis`, sequences
/// `hevc`/`hevx`, and the generic `mif1`/`msf1` that libheif reads whatever their codec)
/// make a HEIF. `None` when the box is not complete in `bytes`.
fn isobmff_brand(bytes: &[u8]) -> Option<Brand> {
    let size = u32::from_be_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    if !(16..=4096).contains(&size) {
        return Some(Brand::Other);
    }
    let ftyp = bytes.get(8..size)?;
    // major brand (4), minor version (4), then compatible brands.
    let major = ftyp.get(0..4)?;
    let brands = || std::iter::once(major).chain(ftyp.get(8..).unwrap_or(&[]).chunks_exact(4));
    let is_avif = |b: &[u8]| b == b"avif" || b == b"avis";
    const HEIF: [&[u8]; 8] = [
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
    ];
    Some(if brands().any(is_avif) {
        Brand::Avif
    } else if brands().any(|b| HEIF.contains(&b)) {
        Brand::Heif
    } else {
        Brand::Other
    })
}

/// SVG and other XML: refused outright (scripts, external references); detected so that the
/// error names it.
fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with("<?xml") || t.starts_with("<svg") || t.contains("<svg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0rest"),
            Sniffed::Known(SourceFormat::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n...."),
            Sniffed::Known(SourceFormat::Png)
        );
        assert_eq!(sniff(b"GIF89a......"), Sniffed::Known(SourceFormat::Gif));
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Sniffed::Known(SourceFormat::Webp)
        );
        let mut avif = vec![0, 0, 0, 28];
        avif.extend_from_slice(b"ftypmif1\0\0\0\0mif1avifmiaf");
        assert_eq!(sniff(&avif), Sniffed::Known(SourceFormat::Avif));
        let mut heic = vec![0, 0, 0, 24];
        heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        assert_eq!(sniff(&heic), Sniffed::Known(SourceFormat::Heif));
        let mut mp4 = vec![0, 0, 0, 24];
        mp4.extend_from_slice(b"ftypisom\0\0\0\0isomavc1");
        assert!(matches!(sniff(&mp4), Sniffed::Refused(_)));
        assert_eq!(
            sniff(b"\xFF\x0A\xFA\x1F"),
            Sniffed::Known(SourceFormat::Jxl)
        );
        assert_eq!(
            sniff(b"\0\0\0\x0CJXL \r\n\x87\n\0\0\0\x14ftypjxl "),
            Sniffed::Known(SourceFormat::Jxl)
        );
    }

    #[test]
    fn refused_and_unknown() {
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><svg>"),
            Sniffed::Refused("SVG")
        );
        assert_eq!(sniff(b"  <svg xmlns=...>"), Sniffed::Refused("SVG"));
        assert_eq!(
            sniff(b"BM\0\0\0\0\0\0\0\0\0\0\0\0"),
            Sniffed::Refused("BMP")
        );
        assert_eq!(sniff(b"II*\0\0\0\0\0\0\0\0\0\0"), Sniffed::Refused("TIFF"));
        assert_eq!(sniff(b"hello world, not an image"), Sniffed::Unknown);
    }

    #[test]
    fn short_prefixes() {
        assert_eq!(sniff(b""), Sniffed::TooShort);
        assert_eq!(sniff(b"\xFF\xD8"), Sniffed::TooShort);
        assert_eq!(sniff(b"RIFF\0\0"), Sniffed::TooShort);
        assert_eq!(sniff(b"\xFF"), Sniffed::TooShort);
        assert_eq!(sniff(b"\0\0\0\x0CJXL"), Sniffed::TooShort);
        assert_eq!(sniff(b"xyz"), Sniffed::Unknown);
    }
}
