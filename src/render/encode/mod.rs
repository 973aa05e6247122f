//! Encoders: raster → bytes in the requested format. Each writes a fresh file holding only
//! pixels (no EXIF, ICC, XMP or comments), which is how metadata is stripped: nothing from
//! the source's bytes is ever copied to the output.

mod avif;
mod gif;
mod jpeg;
mod png;
mod webp;

use super::raster::Raster;
use super::{EncodeSettings, RenderError};
use crate::spec::{Format, SpecError};

/// Whether the encoder for `format` keeps an alpha channel (all but JPEG).
pub(crate) fn keeps_alpha(format: Format) -> bool {
    format.supports_alpha()
}

/// Refuses output sizes the format cannot represent, before any work is done.
pub(crate) fn check_dimensions(format: Format, width: u32, height: u32) -> Result<(), RenderError> {
    let max = match format {
        Format::Jpeg => 65_500,
        Format::Webp => 16_383,
        Format::Gif => 65_535,
        Format::Avif => 65_536,
        Format::Png => i32::MAX as u32,
    };
    if width > max || height > max {
        return Err(RenderError::Spec(SpecError::Invalid(format!(
            "{}x{} is too large for {} output (at most {max} pixels per side)",
            width,
            height,
            format.extension()
        ))));
    }
    Ok(())
}

/// Encodes `raster` (grey or RGB, with or without alpha; never CMYK).
pub(crate) fn encode(
    raster: Raster,
    format: Format,
    settings: &EncodeSettings,
) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Jpeg => jpeg::encode(raster, settings.jpeg_quality, settings.jpeg_optimize),
        Format::Png => png::encode(&raster),
        Format::Webp => webp::encode(raster, settings.webp_quality, settings.webp_method),
        Format::Avif => avif::encode(raster, settings.avif_quality, settings.avif_speed),
        Format::Gif => gif::encode(raster),
    }
}

/// An encoder failure: valid pixels were refused, which is a bug (HTTP 500).
fn failed(format: &str, e: impl std::fmt::Display) -> RenderError {
    RenderError::Encode(format!("{format}: {e}"))
}
