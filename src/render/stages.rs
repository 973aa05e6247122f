//! The pipeline's stages one at a time, for the criterion benches (`benches/render.rs`):
//! decode with shrink-on-load, box reduction, Lanczos3 resize and encode. Not an
//! API for anything else: requests go through [`super::render`].

use super::decode;
use super::encode;
use super::header;
use super::raster::Raster;
use super::resize::{self, CropBox};
use super::{EncodeSettings, RenderError, sniff};
use crate::variant::Format;

/// A raster between two stages.
#[derive(Debug, Clone)]
pub struct StageImage {
    raster: Raster,
}

impl StageImage {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.raster.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.raster.height()
    }

    /// The pixels, packed (grey, RGB, RGBA… as decoded).
    pub fn pixels(&self) -> &[u8] {
        self.raster.data()
    }
}

/// Sniffs, reads the header and decodes `bytes` reduced by `shrink` (1, 2, 4 or 8).
pub fn decode(bytes: &[u8], shrink: u32) -> Result<StageImage, RenderError> {
    let format = match sniff::sniff(bytes) {
        sniff::Sniffed::Known(f) => f,
        _ => return Err(RenderError::UnsupportedFormat("unknown".into())),
    };
    let h = header::read(format, bytes).map_err(|_| RenderError::Corrupt("header".into()))?;
    let d = decode::decode(bytes, &h, shrink, u64::MAX)?;
    Ok(StageImage { raster: d.raster })
}

/// A baseline JPEG at 1/8 scale through the DC-only decoder alone, without the
/// libjpeg-turbo fallback: `Err` says why that decoder leaves the file to libjpeg-turbo.
pub fn decode_dc(bytes: &[u8]) -> Result<StageImage, &'static str> {
    Ok(StageImage {
        raster: decode::jpeg_dc(bytes, 50_000_000)?,
    })
}

/// Averages `factor`×`factor` blocks (a cached intermediate brought to a coarser scale).
pub fn box_shrink(image: &StageImage, factor: u32) -> Result<StageImage, RenderError> {
    Ok(StageImage {
        raster: resize::box_shrink(&image.raster, factor)?,
    })
}

/// Lanczos3 to `width`×`height`.
pub fn resize(image: &StageImage, width: u32, height: u32) -> Result<StageImage, RenderError> {
    let all = CropBox::all(&image.raster);
    Ok(StageImage {
        raster: resize::resize(&image.raster, all, width, height)?,
    })
}

/// Encodes to `format`.
pub fn encode(
    image: StageImage,
    format: Format,
    settings: &EncodeSettings,
) -> Result<Vec<u8>, RenderError> {
    encode::encode(image.raster, format, settings)
}
