//! JPEG XL header: the codestream's `SizeHeader` and the start of its `ImageMetadata` (for
//! the orientation), read bit by bit, from a bare codestream or from the container's
//! `jxlc` box or `jxlp` parts (the header may be split across `jxlp` boxes, as `cjxl`
//! writes them for recompressed JPEGs). Nothing is decoded: the sizes are checked against
//! the limits before jxl-oxide allocates anything.
//!
//! The header reports the *displayed* size and no orientation: jxl-oxide always renders
//! with the codestream's orientation applied (EXIF orientation in a JPEG XL file is ignored,
//! as the format requires), so the pipeline gets pixels that are already upright.

use super::{Header, HeaderError};
use crate::render::SourceFormat;
use crate::render::orientation::Orientation;
use crate::render::sniff::JXL_CONTAINER;

/// The codestream's signature.
const SIGNATURE: [u8; 2] = [0xFF, 0x0A];

/// Enough codestream bytes for the signature, the largest `SizeHeader` (68 bits) and the
/// orientation (5 more bits).
const WANTED: usize = 16;

/// Reads the displayed size of a JPEG XL file (a prefix is enough).
pub(crate) fn read(bytes: &[u8]) -> Result<Header, HeaderError> {
    if bytes.len() < JXL_CONTAINER.len() && JXL_CONTAINER.starts_with(bytes) {
        return Err(HeaderError::NeedMoreData);
    }
    let head = if bytes.starts_with(JXL_CONTAINER) {
        codestream_start(&bytes[JXL_CONTAINER.len()..])
    } else {
        bytes[..bytes.len().min(WANTED)].to_vec()
    };
    if head.len() < 2 {
        return Err(HeaderError::NeedMoreData);
    }
    if head[..2] != SIGNATURE {
        return Err(HeaderError::Corrupt("not a JPEG XL codestream"));
    }
    let mut bits = Bits::new(&head[2..]);
    let (width, height) = size_header(&mut bits)?;
    // ImageMetadata: all_default, then extra_fields, then the orientation.
    let orientation = if bits.bool()? || !bits.bool()? {
        1
    } else {
        bits.read(3)? + 1
    };
    let o = Orientation::from_exif(orientation);
    let (w, h) = o.displayed_size(width, height);
    Ok(Header::plain(SourceFormat::Jxl, w, h))
}

/// The first [`WANTED`] codestream bytes of a container: the payload of its `jxlc` box, or
/// of its `jxlp` boxes in order (each after a 4-byte part counter). Collection stops at the
/// end of the bytes at hand, at a box cut short or malformed, or at the last part; the
/// result is then always a prefix of what the whole file gives, so that the bit reader
/// (which asks for more data when the bytes run out) reads a prefix of the file as the
/// whole or as `NeedMoreData` (found by the fuzz smoke run: an early error on a box cut
/// short disagreed with a prefix that ended just before it). A file whose boxes break off
/// before the header is complete is then "truncated" for the caller.
fn codestream_start(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(WANTED);
    while out.len() < WANTED {
        let Some(head) = data.get(0..8) else { break };
        let kind = &head[4..8];
        let (header_len, size) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
            0 => (8, u64::MAX),
            1 => match data.get(8..16) {
                Some(b) => (16, u64::from_be_bytes(b.try_into().expect("8 bytes"))),
                None => break,
            },
            n => (8, n as u64),
        };
        if size < header_len as u64 {
            break; // malformed: no codestream can follow
        }
        let end = size_or_max(size).min(data.len());
        let payload = &data[header_len..end];
        match kind {
            b"jxlc" => {
                take(&mut out, payload);
                break;
            }
            b"jxlp" => {
                let Some(part) = payload.get(4..) else { break };
                take(&mut out, part);
                if payload[0] & 0x80 != 0 {
                    break; // the last part
                }
            }
            _ => {}
        }
        if end < size_or_max(size) {
            break; // the box runs past the bytes at hand
        }
        data = &data[end..];
    }
    out
}

fn size_or_max(size: u64) -> usize {
    usize::try_from(size).unwrap_or(usize::MAX)
}

fn take(out: &mut Vec<u8>, part: &[u8]) {
    let n = (WANTED - out.len()).min(part.len());
    out.extend_from_slice(&part[..n]);
}

/// `SizeHeader`: height then width, each either a multiple of 8 up to 256 or a `U32` of
/// up to 30 bits, or the width as one of seven ratios of the height.
fn size_header(bits: &mut Bits<'_>) -> Result<(u32, u32), HeaderError> {
    let div8 = bits.bool()?;
    let height = if div8 {
        (bits.read(5)? + 1) * 8
    } else {
        dimension(bits)?
    };
    let ratio = bits.read(3)?;
    let width = match ratio {
        0 if div8 => (bits.read(5)? + 1) * 8,
        0 => dimension(bits)?,
        r => {
            let (num, den) =
                [(1, 1), (12, 10), (4, 3), (3, 2), (16, 9), (5, 4), (2, 1)][r as usize - 1];
            u32::try_from(height as u64 * num / den)
                .map_err(|_| HeaderError::Corrupt("JPEG XL width out of range"))?
        }
    };
    Ok((width, height))
}

/// `U32(1 + u(9), 1 + u(13), 1 + u(18), 1 + u(30))`.
fn dimension(bits: &mut Bits<'_>) -> Result<u32, HeaderError> {
    let n = [9, 13, 18, 30][bits.read(2)? as usize];
    Ok(bits.read(n)? + 1)
}

/// A least-significant-bit-first reader, as JPEG XL packs its fields.
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Bits<'a> {
        Bits { data, at: 0 }
    }

    fn read(&mut self, n: u32) -> Result<u32, HeaderError> {
        let mut v = 0u32;
        for i in 0..n {
            let byte = self
                .data
                .get(self.at / 8)
                .ok_or(HeaderError::NeedMoreData)?;
            v |= ((byte >> (self.at % 8)) as u32 & 1) << i;
            self.at += 1;
        }
        Ok(v)
    }

    fn bool(&mut self) -> Result<bool, HeaderError> {
        Ok(self.read(1)? == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packs `(value, bits)` fields LSB-first after the signature.
    fn codestream(fields: &[(u32, u32)]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        let mut bit = 0usize;
        for &(v, n) in fields {
            for i in 0..n {
                if bit / 8 + 2 >= out.len() {
                    out.push(0);
                }
                out[2 + bit / 8] |= (((v >> i) & 1) as u8) << (bit % 8);
                bit += 1;
            }
        }
        out.extend_from_slice(&[0; 4]); // frame data would follow
        out
    }

    /// 1000×600 (no div8, U32 selector 1 = 13 bits), orientation 6.
    fn rotated() -> Vec<u8> {
        codestream(&[
            (0, 1),
            (1, 2),
            (599, 13),
            (0, 3),
            (1, 2),
            (999, 13),
            (0, 1),
            (1, 1),
            (5, 3),
        ])
    }

    fn bx(kind: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn bare_codestream_sizes() {
        // div8: height (4+1)*8 = 40, ratio 7 (2:1) → width 80; all_default metadata.
        let h = read(&codestream(&[(1, 1), (4, 5), (7, 3), (1, 1)])).unwrap();
        assert_eq!((h.format, h.width, h.height), (SourceFormat::Jxl, 80, 40));
        assert_eq!(h.orientation, Orientation::NORMAL);
        // Orientation 6 swaps the displayed sides.
        let h = read(&rotated()).unwrap();
        assert_eq!((h.width, h.height), (600, 1000));
        // The largest U32: 2^30 on a side.
        let huge = codestream(&[(0, 1), (3, 2), ((1 << 30) - 1, 30), (1, 3), (1, 1)]);
        let h = read(&huge).unwrap();
        assert_eq!((h.width, h.height), (1 << 30, 1 << 30));
        assert_eq!(h.pixels(), 1 << 60);
    }

    #[test]
    fn container_with_the_header_split_across_jxlp_parts() {
        let cs = rotated();
        let mut file = JXL_CONTAINER.to_vec();
        file.extend(bx(b"ftyp", b"jxl \0\0\0\0jxl "));
        file.extend(bx(b"jxlp", &[&[0, 0, 0, 0][..], &cs[..3]].concat()));
        file.extend(bx(b"jbrd", &[7; 40]));
        file.extend(bx(b"jxlp", &[&[0x80, 0, 0, 1][..], &cs[3..]].concat()));
        let h = read(&file).unwrap();
        assert_eq!((h.width, h.height), (600, 1000));
        // Every prefix either needs more data or reads the same.
        for n in 0..file.len() {
            match read(&file[..n]) {
                Err(HeaderError::NeedMoreData) => {}
                other => assert_eq!(other, Ok(h.clone()), "prefix {n}"),
            }
        }
        let mut jxlc = JXL_CONTAINER.to_vec();
        jxlc.extend(bx(b"jxlc", &cs));
        assert_eq!(read(&jxlc), Ok(h));
    }

    #[test]
    fn hostile_headers() {
        let cs = rotated();
        for n in 0..cs.len() - 5 {
            assert_eq!(read(&cs[..n]), Err(HeaderError::NeedMoreData), "{n}");
        }
        assert!(matches!(
            read(b"\xFF\x0B\0\0\0\0"),
            Err(HeaderError::Corrupt(_))
        ));
        // A box whose size is below its own header ends the codestream: none here, which
        // a whole file reports as truncated.
        let mut bad = JXL_CONTAINER.to_vec();
        bad.extend_from_slice(&[0, 0, 0, 4, b'j', b'x', b'l', b'c']);
        bad.extend_from_slice(&cs);
        assert_eq!(read(&bad), Err(HeaderError::NeedMoreData));
        // A container without a codestream, and a jxlp too short for its counter.
        let mut none = JXL_CONTAINER.to_vec();
        none.extend(bx(b"ftyp", b"jxl \0\0\0\0jxl "));
        assert_eq!(read(&none), Err(HeaderError::NeedMoreData));
        let mut short = none.clone();
        short.extend(bx(b"jxlp", &[0, 0]));
        short.extend(bx(b"jxlc", &cs));
        assert_eq!(read(&short), Err(HeaderError::NeedMoreData));
        // A first part that is not a codestream is corrupt, however the file goes on.
        let mut alien = none.clone();
        alien.extend(bx(b"jxlp", &[0, 0, 0, 0, b'r', b'd']));
        assert!(matches!(read(&alien), Err(HeaderError::Corrupt(_))));
        alien.push(0);
        assert!(matches!(read(&alien), Err(HeaderError::Corrupt(_))));
        // A 64-bit box size far past the data and a huge box before the codestream.
        let mut large = JXL_CONTAINER.to_vec();
        large.extend_from_slice(&[0, 0, 0, 1, b'E', b'x', b'i', b'f']);
        large.extend_from_slice(&u64::MAX.to_be_bytes());
        large.extend_from_slice(&[0; 64]);
        assert_eq!(read(&large), Err(HeaderError::NeedMoreData));
    }
}
