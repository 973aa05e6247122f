//! JPEG header: walks the marker segments up to the start of scan and collects what the
//! pipeline needs before decoding: the frame size and component count (SOFn), the EXIF
//! orientation (APP1), the ICC profile (APP2 chunks, reassembled) and the Adobe marker
//! (APP14, whose presence on a 4-component image means inverted CMYK).

use super::{Header, HeaderError};
use crate::render::SourceFormat;
use crate::render::colour::MAX_ICC_BYTES;
use crate::render::exif;
use crate::render::orientation::Orientation;

/// Parses the header of the JPEG `bytes` (a prefix is enough if it reaches the SOS marker).
pub(crate) fn read(bytes: &[u8]) -> Result<Header, HeaderError> {
    let mut pos = 2; // after SOI
    let mut frame: Option<(u32, u32, u8)> = None;
    let mut orientation = Orientation::NORMAL;
    let mut adobe = false;
    let mut icc_chunks: Vec<(u8, u8, &[u8])> = Vec::new();
    loop {
        // Markers are 0xFF, any number of 0xFF fill bytes, then the marker code.
        match bytes.get(pos) {
            None => return Err(HeaderError::NeedMoreData),
            Some(0xFF) => {}
            Some(_) => return Err(HeaderError::Corrupt("marker expected")),
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return Err(HeaderError::NeedMoreData);
        };
        pos += 1;
        match marker {
            // Standalone markers: no length.
            0x01 | 0xD0..=0xD7 => continue,
            0xD8 => return Err(HeaderError::Corrupt("unexpected start of image")),
            0xD9 => return Err(HeaderError::Corrupt("no image data")),
            _ => {}
        }
        let len = match bytes.get(pos..pos + 2) {
            Some(b) => u16::from_be_bytes([b[0], b[1]]) as usize,
            None => return Err(HeaderError::NeedMoreData),
        };
        if len < 2 {
            return Err(HeaderError::Corrupt("bad segment length"));
        }
        if marker == 0xDA {
            break; // start of scan: the header is complete
        }
        let Some(payload) = bytes.get(pos + 2..pos + len) else {
            return Err(HeaderError::NeedMoreData);
        };
        pos += len;
        match marker {
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                if payload.len() < 6 {
                    return Err(HeaderError::Corrupt("short frame header"));
                }
                let h = u16::from_be_bytes([payload[1], payload[2]]) as u32;
                let w = u16::from_be_bytes([payload[3], payload[4]]) as u32;
                if w == 0 || h == 0 {
                    return Err(HeaderError::Corrupt("frame has no pixels"));
                }
                frame = Some((w, h, payload[5]));
            }
            0xE1 => {
                if let Some(tiff) = payload.strip_prefix(b"Exif\0\0") {
                    // The first EXIF segment wins, as in browsers.
                    if orientation == Orientation::NORMAL {
                        orientation = exif::orientation(tiff)
                            .map(Orientation::from_exif)
                            .unwrap_or(Orientation::NORMAL);
                    }
                }
            }
            0xE2 => {
                if let Some(rest) = payload.strip_prefix(b"ICC_PROFILE\0")
                    && rest.len() >= 2
                {
                    icc_chunks.push((rest[0], rest[1], &rest[2..]));
                }
            }
            0xEE => adobe |= payload.starts_with(b"Adobe"),
            _ => {}
        }
    }
    let (width, height, components) = frame.ok_or(HeaderError::Corrupt("no frame header"))?;
    Ok(Header {
        format: SourceFormat::Jpeg,
        width,
        height,
        orientation,
        icc: assemble_icc(icc_chunks),
        cmyk_inverted: adobe && components == 4,
        frames: 1,
        plays: 0,
    })
}

/// Joins APP2 `ICC_PROFILE` chunks in sequence order. A profile with missing, duplicated or
/// inconsistent chunks is dropped (the image is then treated as sRGB), never an error.
fn assemble_icc(mut chunks: Vec<(u8, u8, &[u8])>) -> Option<Vec<u8>> {
    let total = chunks.first()?.1;
    chunks.sort_by_key(|c| c.0);
    let complete = chunks.len() == total as usize
        && chunks
            .iter()
            .enumerate()
            .all(|(i, c)| c.0 as usize == i + 1 && c.1 == total);
    let size: usize = chunks.iter().map(|c| c.2.len()).sum();
    if !complete || size > MAX_ICC_BYTES {
        return None;
    }
    Some(chunks.iter().flat_map(|c| c.2.iter().copied()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    fn sof(w: u16, h: u16, components: u8) -> Vec<u8> {
        let mut p = vec![8];
        p.extend_from_slice(&h.to_be_bytes());
        p.extend_from_slice(&w.to_be_bytes());
        p.push(components);
        for i in 0..components {
            p.extend_from_slice(&[i + 1, 0x11, 0]);
        }
        segment(0xC0, &p)
    }

    fn icc_chunk(seq: u8, total: u8, data: &[u8]) -> Vec<u8> {
        let mut p = b"ICC_PROFILE\0".to_vec();
        p.extend_from_slice(&[seq, total]);
        p.extend_from_slice(data);
        segment(0xE2, &p)
    }

    fn jpeg(parts: &[Vec<u8>]) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        for p in parts {
            j.extend_from_slice(p);
        }
        j.extend_from_slice(&segment(0xDA, &[0; 4]));
        j
    }

    #[test]
    fn reads_size_orientation_icc_and_adobe() {
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend(crate::render::exif::tests::tiff_with_orientation(6, true));
        let j = jpeg(&[
            segment(0xE1, &exif),
            icc_chunk(2, 2, b"world"),
            icc_chunk(1, 2, b"hello "),
            segment(0xEE, b"Adobe\0d\0\0\0\0\0"),
            sof(640, 480, 4),
        ]);
        let h = read(&j).unwrap();
        assert_eq!((h.width, h.height), (640, 480));
        assert_eq!(h.orientation.value(), 6);
        assert_eq!(h.icc.as_deref(), Some(&b"hello world"[..]));
        assert!(h.cmyk_inverted);
    }

    #[test]
    fn incomplete_icc_is_dropped() {
        let j = jpeg(&[icc_chunk(1, 2, b"half"), sof(8, 8, 3)]);
        assert_eq!(read(&j).unwrap().icc, None);
    }

    #[test]
    fn prefixes_need_more_data_and_garbage_is_corrupt() {
        let j = jpeg(&[sof(16, 9, 3)]);
        for n in 2..j.len() - 6 {
            assert_eq!(read(&j[..n]), Err(HeaderError::NeedMoreData), "prefix {n}");
        }
        assert!(read(&j).is_ok());
        assert!(matches!(
            read(&[0xFF, 0xD8, 0x00, 0x01]),
            Err(HeaderError::Corrupt(_))
        ));
        assert!(matches!(
            read(&jpeg(&[sof(0, 9, 3)])),
            Err(HeaderError::Corrupt(_))
        ));
        assert!(matches!(
            read(&jpeg(&[])),
            Err(HeaderError::Corrupt("no frame header"))
        ));
    }
}
