//! AVIF output with libavif and libaom: 4:2:0 (4:0:0 for grey), quality and speed from the
//! settings, one thread per encode (requests, not codecs, run in parallel). The safe binding
//! drops alpha, so the pipeline flattens it before this point.

use super::failed;
use crate::render::RenderError;
use crate::render::quality::flatten_on_white;
use crate::render::raster::{Layout, Raster};
use libavif::{AvifImage, Encoder, RgbPixels, YuvFormat};

pub(super) fn encode(raster: Raster, quality: u8, speed: u8) -> Result<Vec<u8>, RenderError> {
    let raster = flatten_on_white(raster);
    let (w, h) = (raster.width(), raster.height());
    // The binding computes w × h × 3 in `u32`.
    if (w as u64) * (h as u64) * 4 > u32::MAX as u64 {
        return Err(failed("avif", "image too large"));
    }
    let image = match raster.layout() {
        Layout::Gray => {
            AvifImage::from_luma8(w, h, raster.data()).map_err(|e| failed("avif", e))?
        }
        _ => RgbPixels::new(w, h, raster.data())
            .map_err(|e| failed("avif", e))?
            .to_image(YuvFormat::Yuv420),
    };
    let mut encoder = Encoder::new();
    encoder
        .set_quality(quality.min(100))
        .set_speed(speed.min(10))
        .set_max_threads(1);
    let data = encoder.encode(&image).map_err(|e| failed("avif", e))?;
    Ok(data.to_vec())
}
