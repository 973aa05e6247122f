//! The region of a decode, cut and scaled to the plan's size and brought to sRGB: where a
//! smart crop goes, which shrink-on-load the region allows, and on which side of the
//! resize colour is converted.

use super::RenderError;
use super::colour;
use super::decode::Decoded;
use super::effects::smart;
use super::header::Header;
use super::raster::Raster;
use super::resize::{self, CropBox};
use crate::variant::Rect;

/// The region of the same size, placed where the decoded pixels are most interesting
/// (smart gravity on a crop). `raster` may be on a coarser grid than the header (shrink on
/// load), the region is in the header's stored coordinates.
pub(super) fn smart_region(raster: &Raster, header: &Header, region: Rect) -> Rect {
    let fx = raster.width() as f64 / header.width as f64;
    let fy = raster.height() as f64 / header.height as f64;
    let cw = ((region.w as f64 * fx).round() as u32).clamp(1, raster.width());
    let ch = ((region.h as f64 * fy).round() as u32).clamp(1, raster.height());
    let (x, y) = smart::smart_crop(raster, cw, ch);
    let x = ((x as f64 / fx).round() as u32).min(header.width - region.w);
    let y = ((y as f64 / fy).round() as u32).min(header.height - region.h);
    Rect { x, y, ..region }
}

/// The DCT scaling denominator for a JPEG: the largest of 8, 4, 2 that still leaves at
/// least `tw`×`th` pixels in the region (imgproxy's rule), else 1.
pub(super) fn shrink_on_load(region: Rect, tw: u32, th: u32) -> u32 {
    [8u32, 4, 2]
        .into_iter()
        .find(|&s| {
            region.w as u64 >= tw as u64 * s as u64 && region.h as u64 >= th as u64 * s as u64
        })
        .unwrap_or(1)
}

/// Crops the stored-orientation `region` out of `raster` (the decode, possibly reduced),
/// scales it to `tw`×`th` and converts it to sRGB with the decode's colour metadata,
/// converting colour on whichever side of the resize has fewer pixels.
pub(super) fn scale_to_srgb(
    raster: &Raster,
    decoded: &Decoded,
    header: &Header,
    region: Rect,
    (tw, th): (u32, u32),
    convert: bool,
) -> Result<Raster, RenderError> {
    let cmyk_inverted = decoded.cmyk_inverted;
    // Shrink-on-load put the source on a coarser grid: map the region onto it.
    let fx = raster.width() as f64 / header.width as f64;
    let fy = raster.height() as f64 / header.height as f64;
    let (rw, rh) = (raster.width() as f64, raster.height() as f64);
    let left = (region.x as f64 * fx).min(rw - 1.0);
    let top = (region.y as f64 * fy).min(rh - 1.0);
    let crop = CropBox {
        left,
        top,
        width: (region.w as f64 * fx).min(rw - left).max(1.0),
        height: (region.h as f64 * fy).min(rh - top).max(1.0),
    };
    // Without conversion (the profile is kept) the pixels stay in the source's space.
    let icc = decoded.icc.as_deref().filter(|_| convert);
    if (tw as f64) * (th as f64) <= crop.area() {
        let scaled = resize::resize(raster, crop, tw, th)?;
        Ok(colour::to_srgb(scaled, icc, cmyk_inverted))
    } else {
        // Upscaling: the region is the smaller side (and on the source grid, as no
        // shrink-on-load happens when enlarging).
        let x = crop.left.round() as u32;
        let y = crop.top.round() as u32;
        let rect = Rect {
            x,
            y,
            w: (crop.width.round() as u32).clamp(1, raster.width() - x),
            h: (crop.height.round() as u32).clamp(1, raster.height() - y),
        };
        let cut = resize::crop(raster, rect);
        let cut = colour::to_srgb(cut, icc, cmyk_inverted);
        resize::resize(&cut, CropBox::all(&cut), tw, th)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(w: u32, h: u32) -> Rect {
        Rect { x: 0, y: 0, w, h }
    }

    #[test]
    fn shrink_rule() {
        assert_eq!(shrink_on_load(rect(7360, 4912), 500, 334), 8);
        assert_eq!(shrink_on_load(rect(1920, 1200), 400, 250), 4);
        assert_eq!(shrink_on_load(rect(1000, 1000), 500, 500), 2);
        assert_eq!(shrink_on_load(rect(1000, 1000), 501, 500), 1);
        assert_eq!(shrink_on_load(rect(100, 100), 200, 200), 1);
        // The tighter axis decides.
        assert_eq!(shrink_on_load(rect(16000, 1), 100, 1), 1);
    }
}
