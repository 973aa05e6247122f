//! PNG output with the `png` crate and its fast (fdeflate) compression: 8-bit grey, grey +
//! alpha, RGB or RGBA, and no ancillary chunks.

use super::failed;
use crate::render::RenderError;
use crate::render::raster::{Layout, Raster};
use png::{BitDepth, ColorType, Compression};

pub(super) fn encode(raster: &Raster) -> Result<Vec<u8>, RenderError> {
    let color = match raster.layout() {
        Layout::Gray => ColorType::Grayscale,
        Layout::GrayAlpha => ColorType::GrayscaleAlpha,
        Layout::Rgb => ColorType::Rgb,
        Layout::Rgba => ColorType::Rgba,
        Layout::Cmyk => return Err(failed("png", "CMYK reached the encoder")),
    };
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, raster.width(), raster.height());
    encoder.set_color(color);
    encoder.set_depth(BitDepth::Eight);
    encoder.set_compression(Compression::Fast);
    let mut writer = encoder.write_header().map_err(|e| failed("png", e))?;
    writer
        .write_image_data(raster.data())
        .map_err(|e| failed("png", e))?;
    writer.finish().map_err(|e| failed("png", e))?;
    Ok(out)
}
