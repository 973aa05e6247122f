//! PNG header: the IHDR chunk, which the format requires to come first.

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
    Ok(Header::plain(SourceFormat::Png, w, h))
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
        b[12] = b'X';
        assert!(matches!(read(&b), Err(HeaderError::Corrupt(_))));
    }
}
