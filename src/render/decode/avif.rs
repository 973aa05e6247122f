//! AVIF decoding with libavif (libaom's AV1 decoder). The safe binding always returns 8-bit
//! RGBA; a fully opaque alpha channel is dropped again so that opaque images stay RGB.
//! The orientation (`irot`/`imir`) comes from our own header parser, since libavif leaves
//! applying it to the caller.

use super::{Decoded, plain};
use crate::render::RenderError;
use crate::render::raster::{Layout, Raster};

pub(super) fn decode(bytes: &[u8]) -> Result<Decoded, RenderError> {
    let image = libavif::decode(bytes)
        .map_err(|e| RenderError::Corrupt(format!("invalid AVIF data: {e}")))?;
    let (w, h) = (image.width(), image.height());
    let rgba = libavif::RgbPixels::from(&image);
    drop(image);
    let data: &[u8] = &rgba;
    let row = w as usize * 4;
    let stride = if h == 0 { 0 } else { data.len() / h as usize };
    if stride < row || w == 0 {
        return Err(RenderError::Corrupt(
            "AVIF decoder returned no pixels".into(),
        ));
    }
    let pixels = if stride == row {
        data.to_vec()
    } else {
        data.chunks_exact(stride)
            .flat_map(|r| r[..row].iter().copied())
            .collect()
    };
    drop(rgba);
    let raster = Raster::new(w, h, Layout::Rgba, pixels)?.without_opaque_alpha();
    Ok(plain(raster))
}
