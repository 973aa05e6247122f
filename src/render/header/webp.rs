//! WebP header: the first chunk of the RIFF container (VP8X canvas, or the size inside a
//! simple lossy `VP8 ` or lossless `VP8L` bitstream). Also the chunk walker the WebP
//! decoder uses to find the first frame of an animation.

use super::{Header, HeaderError};
use crate::render::SourceFormat;

/// One RIFF chunk: its four-character code and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunk<'a> {
    pub(crate) fourcc: [u8; 4],
    pub(crate) payload: &'a [u8],
}

/// Splits `data` into RIFF chunks (each padded to an even size). Stops at the first chunk
/// that does not fit, which the caller sees as a missing chunk.
pub(crate) fn chunks(mut data: &[u8]) -> impl Iterator<Item = Chunk<'_>> {
    std::iter::from_fn(move || {
        let head = data.get(0..8)?;
        let fourcc = [head[0], head[1], head[2], head[3]];
        let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let payload = data.get(8..8usize.checked_add(size)?)?;
        let next = (8 + size + (size & 1)).min(data.len());
        data = &data[next..];
        Some(Chunk { fourcc, payload })
    })
}

fn u24(b: &[u8]) -> u32 {
    u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16
}

/// Reads the canvas size from the first chunk after `RIFF....WEBP`.
pub(crate) fn read(bytes: &[u8]) -> Result<Header, HeaderError> {
    let head = bytes.get(12..20).ok_or(HeaderError::NeedMoreData)?;
    let payload = &bytes[20..];
    let need = |n: usize| -> Result<&[u8], HeaderError> {
        payload.get(..n).ok_or(HeaderError::NeedMoreData)
    };
    let (w, h) = match &head[0..4] {
        b"VP8X" => {
            let p = need(10)?;
            (u24(&p[4..7]) + 1, u24(&p[7..10]) + 1)
        }
        b"VP8 " => {
            let p = need(10)?;
            if p[3..6] != [0x9D, 0x01, 0x2A] {
                return Err(HeaderError::Corrupt("bad VP8 start code"));
            }
            let w = u16::from_le_bytes([p[6], p[7]]) & 0x3FFF;
            let h = u16::from_le_bytes([p[8], p[9]]) & 0x3FFF;
            (w as u32, h as u32)
        }
        b"VP8L" => {
            let p = need(5)?;
            if p[0] != 0x2F {
                return Err(HeaderError::Corrupt("bad VP8L signature"));
            }
            let bits = u32::from_le_bytes([p[1], p[2], p[3], p[4]]);
            ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        }
        _ => return Err(HeaderError::Corrupt("unknown WebP chunk")),
    };
    let mut header = Header::plain(SourceFormat::Webp, w, h);
    if &head[0..4] == b"VP8X" && payload[0] & ANIMATION != 0 {
        // The chunks are walked by their sizes (no frame is decoded): one `ANMF` per frame.
        let mut frames = 0u32;
        for c in chunks(&bytes[12..]) {
            match &c.fourcc {
                b"ANIM" if c.payload.len() >= 6 => {
                    header.plays = u16::from_le_bytes([c.payload[4], c.payload[5]]) as u32;
                }
                b"ANMF" => frames += 1,
                _ => {}
            }
        }
        header.frames = frames.max(1);
    }
    Ok(header)
}

/// VP8X flag: the file is an animation.
pub(crate) const ANIMATION: u8 = 0x02;

#[cfg(test)]
mod tests {
    use super::*;

    fn riff(fourcc: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut b = b"RIFF\0\0\0\0WEBP".to_vec();
        b.extend_from_slice(fourcc);
        b.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn three_kinds_of_first_chunk() {
        let vp8x = riff(b"VP8X", &[0x12, 0, 0, 0, 0x7F, 0x07, 0, 0x2B, 0x04, 0]);
        let h = read(&vp8x).unwrap();
        assert_eq!((h.width, h.height), (1920, 1068));
        let vp8 = riff(b"VP8 ", &[0, 0, 0, 0x9D, 1, 0x2A, 0x00, 0x0A, 0x40, 0x06]);
        let h = read(&vp8).unwrap();
        assert_eq!((h.width, h.height), (2560, 1600));
        // 1920x1200: (1919) | (1199 << 14)
        let bits: u32 = 1919 | (1199 << 14);
        let mut p = vec![0x2F];
        p.extend_from_slice(&bits.to_le_bytes());
        let h = read(&riff(b"VP8L", &p)).unwrap();
        assert_eq!((h.width, h.height), (1920, 1200));
        assert_eq!(read(&vp8[..25]), Err(HeaderError::NeedMoreData));
    }

    #[test]
    fn animation_frames_and_loops_from_the_chunks() {
        let mut parts: Vec<(&[u8; 4], &[u8])> = vec![
            (b"VP8X", &[ANIMATION, 0, 0, 0, 3, 0, 0, 3, 0, 0]),
            (b"ANIM", &[0, 0, 0, 0, 5, 0]),
        ];
        parts.extend([(b"ANMF", &[0u8; 17][..]); 7]);
        let file = crate::render::webp_container::riff(&parts);
        let h = read(&file).unwrap();
        assert_eq!((h.width, h.height, h.frames, h.plays), (4, 4, 7, 5));
        // A prefix: a lower bound.
        assert!(read(&file[..80]).unwrap().frames < 7);
    }

    #[test]
    fn chunk_walker_stops_on_truncation() {
        let mut data = Vec::new();
        data.extend_from_slice(b"ALPH\x03\0\0\0abc\0");
        data.extend_from_slice(b"VP8 \x10\0\0\0short");
        let c: Vec<_> = chunks(&data).collect();
        assert_eq!(c.len(), 1);
        assert_eq!(&c[0].fourcc, b"ALPH");
        assert_eq!(c[0].payload, b"abc");
    }
}
