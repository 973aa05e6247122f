//! AVIF decoding with libavif and dav1d, bounded by the header's size so
//! that a stream claiming more than its container is refused before allocation. A fully
//! opaque alpha channel is dropped so that opaque images stay RGB. The orientation
//! (`irot`/`imir`) comes from our own header parser; libavif leaves applying it to us.

use super::{Decoded, plain};
use crate::render::RenderError;
use crate::render::header::Header;
use crate::render::libavif;
use crate::render::raster::{Layout, Raster};

/// `shrink` is the largest reduction the pipeline accepts: from 2 up, a 4:2:0 frame is
/// converted at half size (each side rounded up), AVIF's shrink-on-load.
pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    shrink: u32,
    max_pixels: u64,
) -> Result<Decoded, RenderError> {
    let side = header.width.max(header.height);
    let pixels = (header.width as u64 * header.height as u64).min(max_pixels);
    let d = libavif::decode(bytes, pixels, side, shrink >= 2)
        .map_err(|e| RenderError::Corrupt(format!("invalid AVIF data: {e}")))?;
    let layout = if d.has_alpha {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    let raster = Raster::new(d.width, d.height, layout, d.pixels)?.without_opaque_alpha();
    Ok(plain(raster))
}
