//! PNG header: the IHDR chunk, which the format requires to come first, and for an APNG
//! the `acTL` chunk (frame and play counts), which must come before the first `IDAT`.

use super::{Header, HeaderError};
use crate::render::SourceFormat;

/// Reads the size from IHDR (length, type, width and height: bytes 8..24 of the file).
pub(crate) fn read(bytes: &[u8]) -> Result<Header, HeaderError> {
    let ihdr = bytes.get(8..24).ok_or(HeaderError::NeedMoreData)?;
    if &ihdr[4..8] != b"IHDR" {
        return Err(HeaderError::Corrupt("IHDR must be the first chunk"));
    }
    let w = u32::from_be_bytes([ihdr[8], ihdr[9], ihdr[10], ihdr[11]]);
    let h = u32::from_be_bytes([ihdr[12], ihdr[13], ihdr[14], ihdr[15]]);
    let mut header = Header::plain(SourceFormat::Png, w, h);
    if let Some(actl) = animation_control(bytes) {
        header.frames = actl.0.max(1);
        header.plays = actl.1;
    }
    Ok(header)
}

/// The `acTL` chunk's frame and play counts, looked for among the chunks before `IDAT`
/// (where the APNG specification puts it). The declared frame count is what the bounds
/// check: the decoder never reads more frames than it.
fn animation_control(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 8usize;
    loop {
        let head = bytes.get(at..at + 8)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        match &head[4..8] {
            b"IDAT" => return None,
            b"acTL" => {
                let p = bytes.get(at + 8..at + 16)?;
                let frames = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
                let plays = u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
                return Some((frames, plays));
            }
            _ => at = at.checked_add(len)?.checked_add(12)?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ihdr() {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&40000u32.to_be_bytes());
        b.extend_from_slice(&30000u32.to_be_bytes());
        let h = read(&b).unwrap();
        assert_eq!((h.width, h.height), (40000, 30000));
        assert_eq!(read(&b[..20]), Err(HeaderError::NeedMoreData));
        assert_eq!(h.frames, 1);
        b[12] = b'X';
        assert!(matches!(read(&b), Err(HeaderError::Corrupt(_))));
    }

    #[test]
    fn reads_actl_before_idat() {
        let mut out = Vec::new();
        {
            let mut e = png::Encoder::new(&mut out, 2, 2);
            e.set_color(png::ColorType::Rgba);
            e.set_animated(5, 3).unwrap();
            let mut w = e.write_header().unwrap();
            for _ in 0..5 {
                w.write_image_data(&[7; 16]).unwrap();
            }
            w.finish().unwrap();
        }
        let h = read(&out).unwrap();
        assert_eq!((h.width, h.height, h.frames, h.plays), (2, 2, 5, 3));
    }
}
