//! WebP output with libwebp (lossy), quality and method from the settings; alpha kept.

use super::failed;
use crate::render::RenderError;
use crate::render::raster::{Layout, Raster};

pub(super) fn encode(raster: Raster, quality: f32, method: u8) -> Result<Vec<u8>, RenderError> {
    let raster = raster.into_rgb_family();
    let (w, h) = (raster.width(), raster.height());
    let encoder = match raster.layout() {
        Layout::Rgba => webp::Encoder::from_rgba(raster.data(), w, h),
        _ => webp::Encoder::from_rgb(raster.data(), w, h),
    };
    let mut config =
        webp::WebPConfig::new().map_err(|()| failed("webp", "libwebp version mismatch"))?;
    config.quality = quality.clamp(0.0, 100.0);
    config.method = i32::from(method.min(6));
    let memory = encoder
        .encode_advanced(&config)
        .map_err(|e| failed("webp", format!("{e:?}")))?;
    Ok(memory.to_vec())
}
