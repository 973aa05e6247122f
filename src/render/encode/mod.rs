//! Encoders: raster → bytes in the requested format. Each writes a fresh file holding only
//! pixels (no EXIF, ICC, XMP or comments), which is how metadata is stripped: nothing from
//! the source's bytes is ever copied to the output.

mod avif;
mod gif;
mod jpeg;
mod png;
mod webp;

use super::metadata::{Kept, embed};
use super::raster::Raster;
use super::{EncodeSettings, RenderError};
use crate::variant::{Format, VariantError};

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
        return Err(RenderError::Spec(VariantError::Invalid(format!(
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
        Format::Avif => avif::encode(
            raster,
            settings.avif_quality,
            settings.avif_speed,
            &Kept::default(),
        ),
        Format::Gif => gif::encode(raster),
    }
}

/// [`encode`] with this request's quality, when it names one, and, with `max_bytes`, at
/// lower qualities until the result fits (imgproxy's `max_bytes`: each step keeps a
/// quarter, a half or three quarters of the quality depending on how far off the size
/// is; it stops at quality 10). Lossless and palette formats ignore both.
///
/// `kept` metadata is written into the result (and counts in `max_bytes`).
pub(crate) fn encode_within(
    raster: Raster,
    format: Format,
    settings: &EncodeSettings,
    (quality, max_bytes): (Option<u8>, Option<u64>),
    kept: &Kept,
) -> Result<Vec<u8>, RenderError> {
    let (w, h) = (raster.width(), raster.height());
    let encode = |raster: Raster, settings: &EncodeSettings| -> Result<Vec<u8>, RenderError> {
        if format == Format::Avif {
            return avif::encode(raster, settings.avif_quality, settings.avif_speed, kept);
        }
        Ok(embed(
            encode(raster, format, settings)?,
            format,
            kept,
            (w, h),
        ))
    };
    let lossy = matches!(format, Format::Jpeg | Format::Webp | Format::Avif);
    if !lossy || (quality.is_none() && max_bytes.is_none()) {
        return encode(raster, settings);
    }
    let mut q = quality.map_or(
        match format {
            Format::Jpeg => settings.jpeg_quality,
            Format::Webp => settings.webp_quality.round() as u8,
            _ => settings.avif_quality,
        },
        |q| q.clamp(1, 100),
    );
    let Some(limit) = max_bytes else {
        return encode(raster, &settings.with_quality(q));
    };
    loop {
        let bytes = encode(raster.clone(), &settings.with_quality(q))?;
        if bytes.len() as u64 <= limit || q <= 10 {
            return Ok(bytes);
        }
        let delta = bytes.len() as f64 / limit as f64;
        let keep = if delta > 3.0 {
            0.25
        } else if delta > 1.5 {
            0.5
        } else {
            0.75
        };
        q = ((q as f64 * keep) as u8).max(1);
    }
}

/// An encoder failure: valid pixels were refused, which is a bug (HTTP 500).
fn failed(format: &str, e: impl std::fmt::Display) -> RenderError {
    RenderError::Encode(format!("{format}: {e}"))
}
