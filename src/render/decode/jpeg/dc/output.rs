//! Planes → the raster libjpeg-turbo's 1/8 decode gives: cropped to the image, chroma
//! replicated onto the luma grid (at 1/8 libjpeg-turbo does no "fancy" upsampling; 4:2:0
//! chroma comes at full resolution from the 2×2 inverse DCT already), and YCbCr
//! converted to RGB with libjpeg's fixed-point formulas, so that the two decoders agree
//! to the bit.

use super::Plane;
use super::syntax::Syntax;
use crate::render::RenderError;
use crate::render::raster::{Layout, Raster};

const fn fix(x: f64) -> i32 {
    (x * 65536.0 + 0.5) as i32
}
const ONE_HALF: i32 = 1 << 15;

/// libjpeg's YCbCr → RGB (jdcolor.c), bit for bit.
#[inline(always)]
fn ycc_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (y as i32, cb as i32 - 128, cr as i32 - 128);
    let r = y + ((fix(1.40200) * cr + ONE_HALF) >> 16);
    let g = y + ((-fix(0.34414) * cb + ONE_HALF - fix(0.71414) * cr) >> 16);
    let b = y + ((fix(1.77200) * cb + ONE_HALF) >> 16);
    [
        r.clamp(0, 255) as u8,
        g.clamp(0, 255) as u8,
        b.clamp(0, 255) as u8,
    ]
}

/// The 1/8-scale raster of the planes of `s`.
pub(super) fn raster(
    s: &Syntax,
    hmax: u32,
    vmax: u32,
    planes: &[Plane],
) -> Result<Raster, RenderError> {
    let (ow, oh) = (s.width.div_ceil(8) as usize, s.height.div_ceil(8) as usize);
    let luma = &planes[0];
    if luma.width < ow || luma.height < oh {
        return Err(RenderError::Corrupt("inconsistent planes".into()));
    }
    if planes.len() == 1 {
        let mut out = Vec::with_capacity(ow * oh);
        for row in luma.data.chunks_exact(luma.width).take(oh) {
            out.extend_from_slice(&row[..ow]);
        }
        return Raster::new(ow as u32, oh as u32, Layout::Gray, out);
    }
    let (cb, cr) = (&planes[1], &planes[2]);
    // Chroma pixels per output pixel: replicated 1× or 2× along each side (shift 0 or 1),
    // unless the planes already hold 2×2 per block.
    let full = cb.per_block == 2;
    let hs = if full { 0 } else { (hmax - 1) as usize };
    let vs = if full { 0 } else { (vmax - 1) as usize };
    if cb.width < ow.div_ceil(1 << hs) || cb.height < oh.div_ceil(1 << vs) {
        return Err(RenderError::Corrupt("inconsistent planes".into()));
    }
    let mut out = vec![0u8; ow * oh * 3];
    for (y, dst) in out.chunks_exact_mut(ow * 3).enumerate() {
        let yr = &luma.data[y * luma.width..][..ow];
        let c = (y >> vs) * cb.width;
        let (cbr, crr) = (&cb.data[c..c + cb.width], &cr.data[c..c + cr.width]);
        for (x, (px, &l)) in dst.chunks_exact_mut(3).zip(yr).enumerate() {
            px.copy_from_slice(&ycc_to_rgb(l, cbr[x >> hs], crr[x >> hs]));
        }
    }
    Raster::new(ow as u32, oh as u32, Layout::Rgb, out)
}
