//! GIF header: the logical screen descriptor (every frame is composited onto a canvas of
//! this size, so this is what the pixel limit applies to), and the frame count and loop
//! count of an animation, found by walking the blocks without decoding any LZW data (each
//! image's data is a chain of length-prefixed sub-blocks that is skipped by its lengths:
//! a 10 000-frame GIF is counted in microseconds).

use super::{Header, HeaderError};
use crate::render::SourceFormat;

/// Reads the logical screen size (bytes 6..10, little-endian), then counts the frames.
pub(crate) fn read(bytes: &[u8]) -> Result<Header, HeaderError> {
    let b = bytes.get(6..10).ok_or(HeaderError::NeedMoreData)?;
    let w = u16::from_le_bytes([b[0], b[1]]) as u32;
    let h = u16::from_le_bytes([b[2], b[3]]) as u32;
    let mut header = Header::plain(SourceFormat::Gif, w, h);
    let walk = walk(bytes);
    header.frames = walk.frames.max(1);
    header.plays = walk.plays;
    Ok(header)
}

/// What the block walk found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Walk {
    /// Image descriptors seen before the trailer, the end of the bytes or a malformed
    /// block (which the decoder reports, if it ever gets that far).
    pub(crate) frames: u32,
    /// Plays of the animation: 1 without a NETSCAPE2.0 loop extension, the loop count
    /// plus one with it, 0 (for ever) for a loop count of 0.
    pub(crate) plays: u32,
}

/// Skips a chain of sub-blocks starting at `at`; the position after its terminator.
fn skip_sub_blocks(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *bytes.get(at)? as usize;
        at += 1;
        if len == 0 {
            return Some(at);
        }
        at += len;
    }
}

/// Size in bytes of a colour table announced by a packed field's low bits.
fn table_len(flags: u8) -> usize {
    if flags & 0x80 != 0 {
        3 << ((flags & 7) + 1)
    } else {
        0
    }
}

/// Walks the blocks after the logical screen descriptor.
pub(crate) fn walk(bytes: &[u8]) -> Walk {
    let mut found = Walk {
        frames: 0,
        plays: 1,
    };
    let Some(&flags) = bytes.get(10) else {
        return found;
    };
    let mut at = 13 + table_len(flags);
    while let Some(&intro) = bytes.get(at) {
        let next = match intro {
            0x2C => {
                // Image descriptor: position, size, flags; a local table; the LZW minimum
                // code size; then the data sub-blocks.
                let Some(&flags) = bytes.get(at + 9) else {
                    break;
                };
                found.frames += 1;
                skip_sub_blocks(bytes, at + 10 + table_len(flags) + 1)
            }
            0x21 => {
                let start = at + 2;
                if bytes.get(at + 1) == Some(&0xFF)
                    && bytes.get(start..start + 12) == Some(b"\x0bNETSCAPE2.0")
                    && bytes.get(start + 12..start + 14) == Some(&[3, 1])
                    && let Some(n) = bytes.get(start + 14..start + 16)
                {
                    let loops = u16::from_le_bytes([n[0], n[1]]) as u32;
                    found.plays = if loops == 0 { 0 } else { loops + 1 };
                }
                skip_sub_blocks(bytes, start)
            }
            _ => break, // the trailer (0x3B), or garbage
        };
        match next {
            Some(n) => at = n,
            None => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_screen() {
        let h = read(b"GIF89a\xff\xff\xff\xff\0\0\0").unwrap();
        assert_eq!((h.width, h.height), (65535, 65535));
        assert_eq!(h.frames, 1);
        assert_eq!(read(b"GIF89a\x01"), Err(HeaderError::NeedMoreData));
    }

    fn animation(frames: usize, repeat: Option<gif::Repeat>) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut e = gif::Encoder::new(&mut out, 3, 2, &[255, 0, 0, 0, 0, 255]).unwrap();
            if let Some(r) = repeat {
                e.set_repeat(r).unwrap();
            }
            for i in 0..frames {
                let mut f = gif::Frame::from_indexed_pixels(3, 2, vec![(i % 2) as u8; 6], None);
                f.delay = 7;
                // A local palette on some frames: its bytes must be skipped too.
                if i % 3 == 1 {
                    f.palette = Some(vec![0, 255, 0, 9, 9, 9]);
                }
                e.write_frame(&f).unwrap();
            }
        }
        out
    }

    #[test]
    fn counts_frames_and_loops_without_decoding() {
        let six = animation(6, Some(gif::Repeat::Infinite));
        let w = walk(&six);
        assert_eq!((w.frames, w.plays), (6, 0));
        assert_eq!(walk(&animation(4, Some(gif::Repeat::Finite(2)))).plays, 3);
        assert_eq!(
            walk(&animation(4, None)),
            Walk {
                frames: 4,
                plays: 1
            }
        );
        let h = read(&six).unwrap();
        assert_eq!((h.frames, h.plays, h.animated()), (6, 0, true));
        // A prefix counts the frames it holds; every prefix is walked without panic.
        for n in 0..six.len() {
            assert!(walk(&six[..n]).frames <= 6);
        }
        assert_eq!(
            walk(&six[..six.len() - 1]).frames,
            6,
            "only the trailer is cut"
        );
    }
}
