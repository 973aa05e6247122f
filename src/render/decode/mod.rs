//! Decoders: source bytes → a [`Raster`] in stored orientation, plus the colour metadata the
//! colour stage needs. JPEG (DCT scaling), still WebP (libwebp's rescaler) and AVIF
//! (half-size colour conversion) shrink on load; the other formats (JPEG XL and HEIF
//! included: neither jxl-oxide nor libheif offers a reduced decode) decode at full size,
//! which the header-based pixel limit bounds. Every decoder works on the complete
//! source and treats truncated or malformed data as [`RenderError::Corrupt`].

mod avif;
mod gif;
mod heif;
mod jpeg;
mod jxl;
mod png;
mod webp;

pub(crate) use jpeg::{is_benign_warning, read_header as libjpeg_header};

use super::header::Header;
use super::raster::Raster;
use super::{RenderError, SourceFormat};

/// A decoded source.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// Pixels in stored orientation; smaller than the header's size when the JPEG decoder
    /// shrank on load.
    pub(crate) raster: Raster,
    /// ICC profile of the pixels, if any.
    pub(crate) icc: Option<Vec<u8>>,
    /// CMYK stored inverted (Adobe convention); only meaningful for CMYK rasters.
    pub(crate) cmyk_inverted: bool,
}

/// Decodes `bytes`, whose header was read into `header` and checked against the limits.
/// `shrink` (1, 2, 4 or 8) is the largest reduction the pipeline accepts; decoders that
/// cannot shrink on load ignore it. `max_pixels` bounds anything the decoder discovers
/// beyond the header (e.g. a GIF frame larger than its screen).
pub(crate) fn decode(
    bytes: &[u8],
    header: &Header,
    shrink: u32,
    max_pixels: u64,
) -> Result<Decoded, RenderError> {
    let decoded = match header.format {
        SourceFormat::Jpeg => jpeg::decode(bytes, header, shrink, max_pixels)?,
        SourceFormat::Png => png::decode(bytes)?,
        SourceFormat::Gif => gif::decode(bytes, max_pixels)?,
        SourceFormat::Webp => webp::decode(bytes, header, shrink)?,
        SourceFormat::Avif => avif::decode(bytes, header, shrink, max_pixels)?,
        SourceFormat::Jxl => jxl::decode(bytes, header, max_pixels)?,
        SourceFormat::Heif => heif::decode(bytes, header, max_pixels)?,
    };
    // The decoder must agree with the header the limits were checked against (it may be
    // smaller because of shrink-on-load, never larger).
    let (w, h) = (decoded.raster.width(), decoded.raster.height());
    if w > header.width || h > header.height {
        return Err(RenderError::Corrupt(
            "image data does not match its header".into(),
        ));
    }
    Ok(decoded)
}

/// A baseline JPEG at 1/8 through the DC-only path alone (no libjpeg-turbo fallback);
/// `Err` says why the path leaves the file to libjpeg-turbo. Frames over `max_pixels` are
/// left too. For tests, benches and the fuzz targets.
pub(crate) fn jpeg_dc(bytes: &[u8], max_pixels: u64) -> Result<Raster, &'static str> {
    jpeg::dc_only(bytes, max_pixels)
}

/// Wraps pixels decoded without colour metadata.
fn plain(raster: Raster) -> Decoded {
    Decoded {
        raster,
        icc: None,
        cmyk_inverted: false,
    }
}
