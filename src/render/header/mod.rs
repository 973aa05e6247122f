//! What a source's header declares, read without decoding pixels: the stored size (checked
//! against the limits before any large allocation), the orientation and, for JPEG, the
//! colour metadata. Each format has its own small parser that works on a prefix.

mod avif;
mod gif;
mod heif;
mod jpeg;
mod jxl;
mod png;
pub(crate) mod webp;

use super::SourceFormat;
use super::orientation::Orientation;

/// A parsed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// The sniffed format.
    pub(crate) format: SourceFormat,
    /// Stored width (before orientation); the logical screen for GIF, the canvas for WebP.
    pub(crate) width: u32,
    /// Stored height.
    pub(crate) height: u32,
    /// How stored pixels are displayed (EXIF for JPEG, irot/imir for AVIF and HEIF; JPEG XL
    /// is decoded upright, so its header reports the displayed size and no orientation).
    pub(crate) orientation: Orientation,
    /// The JPEG's embedded ICC profile (other formats hand theirs over while decoding).
    pub(crate) icc: Option<Vec<u8>>,
    /// A 4-component JPEG with an Adobe APP14 marker: CMYK stored inverted (Photoshop's
    /// convention, 255 = no ink).
    pub(crate) cmyk_inverted: bool,
    /// Frames of an animation (GIF image blocks, WebP `ANMF` chunks, APNG `acTL`); 1 for a
    /// still image. Counted without decoding, so the animation bounds hold before any
    /// pixel is decoded. From a prefix, a lower bound.
    pub(crate) frames: u32,
    /// How many times an animation plays, 0 for ever.
    pub(crate) plays: u32,
}

impl Header {
    /// A header with no orientation or colour metadata.
    fn plain(format: SourceFormat, width: u32, height: u32) -> Header {
        Header {
            format,
            width,
            height,
            orientation: Orientation::NORMAL,
            icc: None,
            cmyk_inverted: false,
            frames: 1,
            plays: 0,
        }
    }

    /// Whether the source is an animation (more than one frame).
    pub(crate) fn animated(&self) -> bool {
        self.frames > 1
    }

    /// Stored pixel count, as the header declares it.
    pub(crate) fn pixels(&self) -> u64 {
        self.width as u64 * self.height as u64
    }
}

/// Why a header could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// The bytes end before the header does.
    NeedMoreData,
    /// The header is malformed.
    Corrupt(&'static str),
}

/// Reads the header of `bytes`, already sniffed as `format`.
pub(crate) fn read(format: SourceFormat, bytes: &[u8]) -> Result<Header, HeaderError> {
    let header = match format {
        SourceFormat::Jpeg => jpeg::read(bytes)?,
        SourceFormat::Png => png::read(bytes)?,
        SourceFormat::Gif => gif::read(bytes)?,
        SourceFormat::Webp => webp::read(bytes)?,
        SourceFormat::Avif => avif::read(bytes)?,
        SourceFormat::Jxl => jxl::read(bytes)?,
        SourceFormat::Heif => heif::read(bytes)?,
    };
    if header.width == 0 || header.height == 0 {
        return Err(HeaderError::Corrupt("image has no pixels"));
    }
    Ok(header)
}
