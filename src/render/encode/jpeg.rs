//! JPEG output with libjpeg-turbo: 4:2:0 chroma, baseline, optimised Huffman tables unless
//! turned off. Grey rasters become one-component JPEGs. Alpha must have been flattened
//! before.

use super::failed;
use crate::render::RenderError;
use crate::render::quality::flatten_on_white;
use crate::render::raster::{Layout, Raster};
use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

pub(super) fn encode(raster: Raster, quality: u8, optimize: bool) -> Result<Vec<u8>, RenderError> {
    let raster = flatten_on_white(raster);
    let (format, subsamp) = match raster.layout() {
        Layout::Gray => (PixelFormat::GRAY, Subsamp::Gray),
        _ => (PixelFormat::RGB, Subsamp::Sub2x2),
    };
    let fail = |e: turbojpeg::Error| failed("jpeg", e);
    let mut c = Compressor::new().map_err(fail)?;
    c.set_quality(i32::from(quality.clamp(1, 100)))
        .map_err(fail)?;
    c.set_subsamp(subsamp).map_err(fail)?;
    c.set_optimize(optimize).map_err(fail)?;
    let image = Image {
        pixels: raster.data(),
        width: raster.width() as usize,
        pitch: raster.stride(),
        height: raster.height() as usize,
        format,
    };
    c.compress_to_vec(image).map_err(fail)
}
