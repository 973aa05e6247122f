//! AVIF output with libavif and libaom: 4:2:0 with an alpha plane when the image has one,
//! 4:0:0 for grey, quality and speed from the settings, one thread per encode (requests,
//! not codecs, run in parallel).

use super::failed;
use crate::render::RenderError;
use crate::render::libavif::{self, Pixels};
use crate::render::metadata::Kept;
use crate::render::raster::{Layout, Raster};

pub(super) fn encode(
    raster: Raster,
    quality: u8,
    speed: u8,
    kept: &Kept,
) -> Result<Vec<u8>, RenderError> {
    let raster = match raster.layout() {
        Layout::GrayAlpha => raster.into_rgb_family(),
        _ => raster,
    };
    let (w, h) = (raster.width(), raster.height());
    let pixels = match raster.layout() {
        Layout::Gray => Pixels::Gray(raster.data()),
        Layout::Rgb => Pixels::Rgb(raster.data()),
        Layout::Rgba => Pixels::Rgba(raster.data()),
        Layout::GrayAlpha | Layout::Cmyk => {
            return Err(failed("avif", "unexpected channel layout"));
        }
    };
    let metadata = libavif::Metadata {
        exif: kept.exif.as_deref(),
        icc: kept.icc.as_deref(),
    };
    libavif::encode(w, h, pixels, (quality, speed), metadata).map_err(|e| failed("avif", e))
}
