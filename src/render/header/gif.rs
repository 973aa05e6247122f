//! GIF header: the logical screen descriptor. The first frame is composited onto a canvas
//! of this size, so this is what the pixel limit applies to.

use super::{Header, HeaderError};
use crate::render::SourceFormat;

/// Reads the logical screen size (bytes 6..10, little-endian).
pub(crate) fn read(bytes: &[u8]) -> Result<Header, HeaderError> {
    let b = bytes.get(6..10).ok_or(HeaderError::NeedMoreData)?;
    let w = u16::from_le_bytes([b[0], b[1]]) as u32;
    let h = u16::from_le_bytes([b[2], b[3]]) as u32;
    Ok(Header::plain(SourceFormat::Gif, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_screen() {
        let h = read(b"GIF89a\xff\xff\xff\xff\0\0\0").unwrap();
        assert_eq!((h.width, h.height), (65535, 65535));
        assert_eq!(read(b"GIF89a\x01"), Err(HeaderError::NeedMoreData));
    }
}
