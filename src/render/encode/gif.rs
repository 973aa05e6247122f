//! GIF output with the `gif` crate: one frame, a 256-colour palette (exact when the image
//! has few colours, NeuQuant otherwise) and 1-bit transparency (alpha below 128 becomes
//! transparent).

use super::failed;
use crate::render::RenderError;
use crate::render::raster::Raster;

/// NeuQuant sampling factor, 1 (best) – 30 (fastest); 10 is the crate's suggested balance.
const QUANTIZER_SPEED: i32 = 10;

pub(super) fn encode(raster: Raster) -> Result<Vec<u8>, RenderError> {
    let (w, h) = (
        u16::try_from(raster.width()).map_err(|_| failed("gif", "too wide"))?,
        u16::try_from(raster.height()).map_err(|_| failed("gif", "too tall"))?,
    );
    let opaque = raster.is_opaque();
    let raster = raster.into_rgb_family();
    let frame = if opaque {
        let rgb = raster.without_opaque_alpha();
        gif::Frame::from_rgb_speed(w, h, rgb.data(), QUANTIZER_SPEED)
    } else {
        let mut rgba = raster.into_data();
        for p in rgba.chunks_exact_mut(4) {
            p[3] = if p[3] >= 128 { 255 } else { 0 };
        }
        gif::Frame::from_rgba_speed(w, h, &mut rgba, QUANTIZER_SPEED)
    };
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, w, h, &[]).map_err(|e| failed("gif", e))?;
        encoder.write_frame(&frame).map_err(|e| failed("gif", e))?;
    }
    Ok(out)
}
