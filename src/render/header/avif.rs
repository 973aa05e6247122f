//! AVIF (and HEIF, `header::heif`) header: walks the ISOBMFF boxes `meta` → `pitm` (the primary item) and
//! `iprp` → `ipco`/`ipma` (its properties) to find the primary item's declared size (`ispe`)
//! and its rotation and mirroring (`irot`, `imir`). libavif's safe binding has no
//! header-only call, and the pixel limit must be checked before it allocates.

use super::{Header, HeaderError};
use crate::render::SourceFormat;
use crate::render::orientation::Orientation;

/// One box: its type and payload (after the size/type header).
struct Bx<'a> {
    kind: [u8; 4],
    payload: &'a [u8],
    /// Its size field was 0: it extends to the end of the bytes at hand.
    to_end: bool,
}

/// Reads the box starting at `data[0]`. Returns the box and its total length, or
/// `NeedMoreData` when it extends past `data` (a prefix) and `Corrupt` when its size is
/// impossible.
fn next_box(data: &[u8]) -> Result<(Bx<'_>, usize), HeaderError> {
    let head = data.get(0..8).ok_or(HeaderError::NeedMoreData)?;
    let kind = [head[4], head[5], head[6], head[7]];
    let (header_len, size) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
        0 => (8, data.len()),
        1 => {
            let b = data.get(8..16).ok_or(HeaderError::NeedMoreData)?;
            let large = u64::from_be_bytes(b.try_into().map_err(|_| HeaderError::NeedMoreData)?);
            (16, usize::try_from(large).unwrap_or(usize::MAX))
        }
        n => (8, n as usize),
    };
    if size < header_len {
        return Err(HeaderError::Corrupt("bad box size"));
    }
    let payload = data
        .get(header_len..size)
        .ok_or(HeaderError::NeedMoreData)?;
    let to_end = header_len == 8 && head[0..4] == [0; 4];
    Ok((
        Bx {
            kind,
            payload,
            to_end,
        },
        size,
    ))
}

/// All boxes inside `data`, which must be complete (a container's payload).
fn children(mut data: &[u8]) -> Result<Vec<Bx<'_>>, HeaderError> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (b, len) = next_box(data).map_err(|_| HeaderError::Corrupt("truncated box"))?;
        out.push(b);
        data = &data[len..];
    }
    Ok(out)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

const BROKEN: HeaderError = HeaderError::Corrupt("malformed HEIF/AVIF metadata");

/// Reads the primary item's size and orientation.
pub(crate) fn read(bytes: &[u8]) -> Result<Header, HeaderError> {
    read_item(bytes, SourceFormat::Avif)
}

/// Reads the primary item's size and orientation of any HEIF-structured file; `format`
/// names it in the header.
pub(super) fn read_item(bytes: &[u8], format: SourceFormat) -> Result<Header, HeaderError> {
    // Top level: skip boxes until `meta` (it normally follows `ftyp`).
    let mut rest = bytes;
    let meta = loop {
        if rest.is_empty() {
            return Err(HeaderError::NeedMoreData);
        }
        let (b, len) = next_box(rest)?;
        if &b.kind == b"meta" {
            // A `meta` running to the end of the file reads differently from a prefix
            // and from the whole file (found by fuzzing): only a streaming writer's last
            // `mdat` may do that.
            if b.to_end {
                return Err(HeaderError::Corrupt("open-ended meta box"));
            }
            break b.payload;
        }
        rest = rest.get(len..).ok_or(HeaderError::NeedMoreData)?;
    };
    // `meta` is a full box: version and flags come first.
    let meta = children(meta.get(4..).ok_or(BROKEN)?)?;
    let mut primary = None;
    let mut properties: Vec<Bx<'_>> = Vec::new();
    let mut ipmas: Vec<&[u8]> = Vec::new();
    for b in &meta {
        match &b.kind {
            b"pitm" => {
                let version = *b.payload.first().ok_or(BROKEN)?;
                primary = Some(if version == 0 {
                    be16(b.payload, 4).ok_or(BROKEN)? as u32
                } else {
                    be32(b.payload, 4).ok_or(BROKEN)?
                });
            }
            b"iprp" => {
                for c in children(b.payload)? {
                    match &c.kind {
                        b"ipco" => properties = children(c.payload)?,
                        b"ipma" => ipmas.push(c.payload),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let primary = primary.ok_or(HeaderError::Corrupt("no primary item"))?;
    let mut associations = Vec::new();
    for ipma in ipmas {
        associations_of(ipma, primary, &mut associations)?;
    }
    let mut size = None;
    let (mut quarters, mut mirror) = (0u8, None);
    for index in associations {
        // Property indices are 1-based; 0 means "none".
        let Some(p) = (index as usize)
            .checked_sub(1)
            .and_then(|i| properties.get(i))
        else {
            continue;
        };
        match &p.kind {
            b"ispe" => {
                size = Some((
                    be32(p.payload, 4).ok_or(BROKEN)?,
                    be32(p.payload, 8).ok_or(BROKEN)?,
                ))
            }
            b"irot" => quarters = p.payload.first().ok_or(BROKEN)? & 3,
            b"imir" => mirror = Some(p.payload.first().ok_or(BROKEN)? & 1),
            _ => {}
        }
    }
    let (width, height) = size.ok_or(HeaderError::Corrupt("primary item has no size"))?;
    let mut header = Header::plain(format, width, height);
    header.orientation = Orientation::from_heif(quarters, mirror);
    Ok(header)
}

/// Appends to `out` the property indices an `ipma` box associates with item `want`.
fn associations_of(p: &[u8], want: u32, out: &mut Vec<u16>) -> Result<(), HeaderError> {
    let version = *p.first().ok_or(BROKEN)?;
    let wide = p.get(3).ok_or(BROKEN)? & 1 == 1;
    let count = be32(p, 4).ok_or(BROKEN)?;
    let mut at = 8;
    for _ in 0..count {
        let id = if version < 1 {
            let v = be16(p, at).ok_or(BROKEN)? as u32;
            at += 2;
            v
        } else {
            let v = be32(p, at).ok_or(BROKEN)?;
            at += 4;
            v
        };
        let n = *p.get(at).ok_or(BROKEN)? as usize;
        at += 1;
        for _ in 0..n {
            let index = if wide {
                let v = be16(p, at).ok_or(BROKEN)? & 0x7FFF;
                at += 2;
                v
            } else {
                let v = (*p.get(at).ok_or(BROKEN)? & 0x7F) as u16;
                at += 1;
                v
            };
            if id == want {
                out.push(index);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An ISOBMFF box of `kind` around `payload` (the HEIF reader's tests build theirs too).
    pub(in crate::render::header) fn bx(kind: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    /// A full box (version 0, no flags).
    pub(in crate::render::header) fn full(kind: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0, 0, 0, 0];
        p.extend_from_slice(payload);
        bx(kind, &p)
    }

    /// An AVIF skeleton: primary item 1 with ispe 640x480 and irot 1 (90° anticlockwise).
    fn avif_header() -> Vec<u8> {
        let mut ispe = 640u32.to_be_bytes().to_vec();
        ispe.extend_from_slice(&480u32.to_be_bytes());
        let ipco = [full(b"ispe", &ispe), bx(b"irot", &[1]), full(b"pixi", &[0])].concat();
        // entry_count 2: item 2 → property 3; item 1 → properties 1 and 2.
        let ipma = full(b"ipma", &[0, 0, 0, 2, 0, 2, 1, 3, 0, 1, 2, 0x81, 0x02]);
        let iprp = bx(b"iprp", &[bx(b"ipco", &ipco), ipma].concat());
        let meta = full(b"meta", &[full(b"pitm", &[0, 1]), iprp].concat());
        [
            bx(b"ftyp", b"avif\0\0\0\0avifmif1"),
            meta,
            bx(b"mdat", &[0; 16]),
        ]
        .concat()
    }

    #[test]
    fn primary_item_size_and_rotation() {
        let h = read(&avif_header()).unwrap();
        assert_eq!((h.width, h.height), (640, 480));
        assert_eq!(h.orientation.value(), 8);
    }

    #[test]
    fn prefixes_and_garbage() {
        let b = avif_header();
        let meta_end = b.len() - 24;
        for n in 0..meta_end {
            assert_eq!(read(&b[..n]).err(), Some(HeaderError::NeedMoreData), "{n}");
        }
        assert!(read(&b[..meta_end]).is_ok());
        let mut bad = b.clone();
        bad[3] = 3; // ftyp size below its header
        assert!(matches!(read(&bad), Err(HeaderError::Corrupt(_))));
    }

    #[test]
    fn open_ended_meta_is_corrupt_from_any_prefix() {
        let mut b = avif_header();
        let meta_at = b.windows(4).position(|w| w == b"meta").unwrap() - 4;
        b[meta_at..meta_at + 4].copy_from_slice(&[0; 4]);
        for n in meta_at + 8..=b.len() {
            assert_eq!(
                read(&b[..n]),
                Err(HeaderError::Corrupt("open-ended meta box"))
            );
        }
    }
}
