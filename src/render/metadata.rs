//! The source metadata a request may keep (imgproxy's `strip_metadata:0`,
//! `keep_copyright:1`, `strip_color_profile:0`): the EXIF block, found in the source's
//! container (JPEG APP1, PNG `eXIf`, WebP `EXIF`), written back with its orientation set
//! to 1 (the pixels are turned already) or reduced to its copyright and artist; and the ICC
//! profile. Written into the output's container: JPEG APP1/APP2, PNG `eXIf`/`iCCP`, WebP
//! `VP8X` chunks (AVIF through libavif, GIF keeps none). XMP and IPTC are not kept.

use super::SourceFormat;
use super::exif::{self, Tiff};
use crate::variant::Format;

/// The metadata to write into one output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Kept {
    /// A TIFF block (EXIF without the `Exif\0\0` prefix).
    pub(crate) exif: Option<Vec<u8>>,
    /// An ICC profile.
    pub(crate) icc: Option<Vec<u8>>,
}

impl Kept {
    /// Whether nothing is kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.exif.is_none() && self.icc.is_none()
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The EXIF (TIFF) block of a source, if its container has one.
pub(crate) fn exif_of(bytes: &[u8], format: SourceFormat) -> Option<Vec<u8>> {
    let tiff = match format {
        SourceFormat::Jpeg => {
            let mut at = 2;
            loop {
                if *bytes.get(at)? != 0xFF {
                    return None;
                }
                let marker = *bytes.get(at + 1)?;
                let len = u16::from_be_bytes(bytes.get(at + 2..at + 4)?.try_into().ok()?) as usize;
                if marker == 0xDA || len < 2 {
                    return None;
                }
                let payload = bytes.get(at + 4..at + 2 + len)?;
                if marker == 0xE1
                    && let Some(tiff) = payload.strip_prefix(b"Exif\0\0")
                {
                    break tiff;
                }
                at += 2 + len;
            }
        }
        SourceFormat::Png => png_chunk_data(bytes, b"eXIf")?,
        SourceFormat::Webp => {
            let mut at = 12;
            loop {
                let len = le32(bytes, at + 4)? as usize;
                let kind = bytes.get(at..at + 4)?;
                if kind == b"EXIF" {
                    let data = bytes.get(at + 8..at + 8 + len)?;
                    break data.strip_prefix(b"Exif\0\0").unwrap_or(data);
                }
                at = at.checked_add(8 + len + (len & 1))?;
            }
        }
        // AVIF, HEIF and JPEG XL keep EXIF in items or boxes this reader does not walk.
        SourceFormat::Gif | SourceFormat::Avif | SourceFormat::Jxl | SourceFormat::Heif => {
            return None;
        }
    };
    Tiff::parse(tiff).map(|_| tiff.to_vec())
}

/// The data of the first `kind` chunk of a PNG, if it comes before the image data (where
/// metadata chunks must be).
pub(crate) fn png_chunk_data<'a>(bytes: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    let mut at = 8;
    loop {
        let len = be32(bytes, at)? as usize;
        let this = bytes.get(at + 4..at + 8)?;
        if this == b"IDAT" || this == b"IEND" {
            return None;
        }
        if this == kind {
            return bytes.get(at + 8..at + 8 + len);
        }
        at = at.checked_add(12 + len)?;
    }
}

/// `tiff` with its orientation tag set to 1.
pub(crate) fn upright(mut tiff: Vec<u8>) -> Vec<u8> {
    if let Some(at) = Tiff::parse(&tiff).and_then(|t| t.orientation_value_at()) {
        let one: [u8; 2] = if tiff.starts_with(b"MM") {
            1u16.to_be_bytes()
        } else {
            1u16.to_le_bytes()
        };
        tiff[at..at + 2].copy_from_slice(&one);
    }
    tiff
}

/// A TIFF block with only the copyright notice and the artist of `tiff`, or `None` when
/// it has neither.
pub(crate) fn copyright_only(tiff: &[u8]) -> Option<Vec<u8>> {
    let t = Tiff::parse(tiff)?;
    let mut fields: Vec<(u16, Vec<u8>)> = [exif::ARTIST, exif::COPYRIGHT]
        .into_iter()
        .filter_map(|tag| Some((tag, t.ascii(tag)?)))
        .collect();
    if fields.is_empty() {
        return None;
    }
    fields.sort_by_key(|(tag, _)| *tag);
    // Big-endian TIFF: header, one IFD, then the values.
    let n = fields.len();
    let mut out = b"MM\0*".to_vec();
    out.extend_from_slice(&8u32.to_be_bytes());
    out.extend_from_slice(&(n as u16).to_be_bytes());
    let mut data_at = 8 + 2 + 12 * n + 4;
    let mut data = Vec::new();
    for (tag, value) in &fields {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&2u16.to_be_bytes()); // ASCII
        out.extend_from_slice(&(value.len() as u32).to_be_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&(data_at as u32).to_be_bytes());
            data.extend_from_slice(value);
            data_at += value.len();
        }
    }
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&data);
    Some(out)
}

/// Writes `kept` into `encoded`, an output of `format` fresh from vignette's encoder.
/// AVIF carries it from the encoder itself, GIF has no place for it.
pub(crate) fn embed(encoded: Vec<u8>, format: Format, kept: &Kept, size: (u32, u32)) -> Vec<u8> {
    if kept.is_empty() {
        return encoded;
    }
    match format {
        Format::Jpeg => jpeg(&encoded, kept),
        Format::Png => png(encoded, kept),
        Format::Webp => super::webp_container::with_metadata(encoded, kept, size.0, size.1),
        Format::Avif | Format::Gif => encoded,
    }
}

/// APP1 (EXIF) and APP2 (ICC, in chunks) after SOI and the JFIF APP0.
fn jpeg(encoded: &[u8], kept: &Kept) -> Vec<u8> {
    let mut at = 2;
    if encoded.get(2..4) == Some(&[0xFF, 0xE0]) {
        at += 2 + encoded
            .get(4..6)
            .map_or(0, |l| u16::from_be_bytes([l[0], l[1]]) as usize);
    }
    let mut segments = Vec::new();
    let mut segment = |marker: u8, parts: &[&[u8]]| {
        let len: usize = 2 + parts.iter().map(|p| p.len()).sum::<usize>();
        if len <= 0xFFFF {
            segments.extend_from_slice(&[0xFF, marker]);
            segments.extend_from_slice(&(len as u16).to_be_bytes());
            for p in parts {
                segments.extend_from_slice(p);
            }
        }
    };
    if let Some(tiff) = &kept.exif {
        segment(0xE1, &[b"Exif\0\0", tiff]);
    }
    if let Some(icc) = &kept.icc {
        const CHUNK: usize = 65_519;
        let chunks: Vec<&[u8]> = icc.chunks(CHUNK).collect();
        if chunks.len() <= 255 {
            for (i, chunk) in chunks.iter().enumerate() {
                let seq = [(i + 1) as u8, chunks.len() as u8];
                segment(0xE2, &[b"ICC_PROFILE\0", &seq, chunk]);
            }
        }
    }
    let mut out = Vec::with_capacity(encoded.len() + segments.len());
    out.extend_from_slice(&encoded[..at.min(encoded.len())]);
    out.extend_from_slice(&segments);
    out.extend_from_slice(&encoded[at.min(encoded.len())..]);
    out
}

/// A PNG chunk: length, type, data, CRC of type and data.
pub(crate) fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(12 + data.len());
    c.extend_from_slice(&(data.len() as u32).to_be_bytes());
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    c.extend_from_slice(&crc.finalize().to_be_bytes());
    c
}

/// `iCCP` and `eXIf` right after IHDR (both must precede the image data).
fn png(encoded: Vec<u8>, kept: &Kept) -> Vec<u8> {
    let ihdr_end = 8 + 12 + 13;
    if encoded.len() < ihdr_end || encoded.get(12..16) != Some(b"IHDR") {
        return encoded;
    }
    let mut chunks = Vec::new();
    if let Some(icc) = &kept.icc {
        let mut data = b"icc\0\0".to_vec();
        data.extend(miniz_oxide::deflate::compress_to_vec_zlib(icc, 6));
        chunks.extend(png_chunk(b"iCCP", &data));
    }
    if let Some(tiff) = &kept.exif {
        chunks.extend(png_chunk(b"eXIf", tiff));
    }
    let mut out = Vec::with_capacity(encoded.len() + chunks.len());
    out.extend_from_slice(&encoded[..ihdr_end]);
    out.extend_from_slice(&chunks);
    out.extend_from_slice(&encoded[ihdr_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::exif::tests::tiff_with_orientation;

    #[test]
    fn exif_is_found_in_each_container_and_made_upright() {
        let tiff = tiff_with_orientation(6, false);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xE1];
        jpeg.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
        jpeg.extend_from_slice(b"Exif\0\0");
        jpeg.extend_from_slice(&tiff);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 2]);
        assert_eq!(
            exif_of(&jpeg, SourceFormat::Jpeg).as_deref(),
            Some(&tiff[..])
        );
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(png_chunk(b"IHDR", &[0; 13]));
        png.extend(png_chunk(b"eXIf", &tiff));
        png.extend(png_chunk(b"IDAT", &[]));
        assert_eq!(exif_of(&png, SourceFormat::Png).as_deref(), Some(&tiff[..]));
        let up = upright(tiff.clone());
        assert_eq!(exif::orientation(&up), Some(1));
        assert_eq!(up.len(), tiff.len());
        assert_eq!(exif_of(b"\xFF\xD8\xFF\xDA\0\x02", SourceFormat::Jpeg), None);
        assert_eq!(exif_of(b"junk", SourceFormat::Png), None);
    }

    #[test]
    fn jpeg_and_png_get_their_segments() {
        let kept = Kept {
            exif: Some(tiff_with_orientation(1, true)),
            icc: Some(vec![7; 70_000]),
        };
        let jfif = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDB];
        let out = embed(jfif, Format::Jpeg, &kept, (1, 1));
        assert_eq!(&out[..8], &[0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2]);
        assert_eq!(&out[8..10], &[0xFF, 0xE1]);
        assert_eq!(
            exif_of(&out, SourceFormat::Jpeg),
            Some(tiff_with_orientation(1, true))
        );
        // 70 000 bytes of ICC: two APP2 chunks, numbered.
        let app2: Vec<usize> = (0..out.len() - 14)
            .filter(|&i| out[i..i + 2] == [0xFF, 0xE2] && &out[i + 4..i + 16] == b"ICC_PROFILE\0")
            .collect();
        assert_eq!(app2.len(), 2);
        assert_eq!(&out[app2[1] + 16..app2[1] + 18], &[2, 2]);
    }
}
