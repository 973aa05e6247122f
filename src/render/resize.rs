//! Cropping and resizing with `fast_image_resize` (SIMD picked at run time): Lanczos3, alpha
//! premultiplied during the convolution. The crop is part of the resize call, so the region
//! is never copied out first; its box may be fractional because shrink-on-load maps source
//! pixels onto a smaller grid. The filter reads a few pixels past the crop edge when the
//! source has them, as a continuous resampling would.

use super::RenderError;
use super::raster::{Layout, Raster};
use crate::variant::Rect;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

/// A rectangle of a raster in (possibly fractional) pixel units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CropBox {
    pub(crate) left: f64,
    pub(crate) top: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
}

impl CropBox {
    /// The whole of `raster`.
    pub(crate) fn all(raster: &Raster) -> CropBox {
        CropBox {
            left: 0.0,
            top: 0.0,
            width: raster.width() as f64,
            height: raster.height() as f64,
        }
    }

    /// Pixel count (for choosing where the colour stage runs).
    pub(crate) fn area(&self) -> f64 {
        self.width * self.height
    }
}

fn pixel_type(layout: Layout) -> PixelType {
    match layout {
        Layout::Gray => PixelType::U8,
        Layout::GrayAlpha => PixelType::U8x2,
        Layout::Rgb => PixelType::U8x3,
        Layout::Rgba | Layout::Cmyk => PixelType::U8x4,
    }
}

/// Cuts `crop` out of `src` and scales it to `width`×`height` in one pass (Lanczos3).
pub(crate) fn resize(
    src: &Raster,
    crop: CropBox,
    width: u32,
    height: u32,
) -> Result<Raster, RenderError> {
    convolve(src, crop, width, height, FilterType::Lanczos3)
}

/// Divides each side by `factor` (rounded up) by averaging `factor`×`factor` blocks, alpha
/// premultiplied: what DCT scaling computes when it decodes a JPEG at a coarser scale.
/// Used to bring a finer cached intermediate to the scale a fresh render decodes at.
pub(crate) fn box_shrink(src: &Raster, factor: u32) -> Result<Raster, RenderError> {
    let (w, h) = (src.width().div_ceil(factor), src.height().div_ceil(factor));
    convolve(src, CropBox::all(src), w, h, FilterType::Box)
}

fn convolve(
    src: &Raster,
    crop: CropBox,
    width: u32,
    height: u32,
    filter: FilterType,
) -> Result<Raster, RenderError> {
    let internal = |e: &dyn std::fmt::Display| RenderError::Encode(format!("resize failed: {e}"));
    let pt = pixel_type(src.layout());
    let source =
        ImageRef::new(src.width(), src.height(), src.data(), pt).map_err(|e| internal(&e))?;
    let mut dst = Image::new(width, height, pt);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(filter))
        .crop(crop.left, crop.top, crop.width, crop.height)
        // CMYK's fourth channel is black, not alpha.
        .use_alpha(src.layout().has_alpha());
    Resizer::new()
        .resize(&source, &mut dst, &options)
        .map_err(|e| internal(&e))?;
    Raster::new(width, height, src.layout(), dst.into_vec())
}

/// Copies the integer rectangle `r` (inside `src`) into a new raster.
pub(crate) fn crop(src: &Raster, r: Rect) -> Raster {
    if (r.x, r.y, r.w, r.h) == (0, 0, src.width(), src.height()) {
        return src.clone();
    }
    let c = src.channels();
    let stride = src.stride();
    let mut out = Vec::with_capacity(r.w as usize * r.h as usize * c);
    for y in r.y..r.y + r.h {
        let start = y as usize * stride + r.x as usize * c;
        out.extend_from_slice(&src.data()[start..start + r.w as usize * c]);
    }
    Raster::new(r.w, r.h, src.layout(), out).unwrap_or_else(|_| src.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_then_scale_keeps_flat_colour() {
        // Left half red, right half blue; crop the right half and halve it.
        let mut data = Vec::new();
        for _ in 0..8 {
            for x in 0..16 {
                data.extend_from_slice(if x < 8 { &[255, 0, 0] } else { &[0, 0, 255] });
            }
        }
        let src = Raster::new(16, 8, Layout::Rgb, data).unwrap();
        let crop = CropBox {
            left: 8.0,
            top: 0.0,
            width: 8.0,
            height: 8.0,
        };
        let out = resize(&src, crop, 4, 4).unwrap();
        assert_eq!((out.width(), out.height()), (4, 4));
        // The filter may look a little past the crop edge (the image continues there),
        // so only the first column may carry a visible trace of red.
        for y in 0..4 {
            for x in 0..4 {
                let p = out.pixel(x, y);
                if x > 0 {
                    assert!(p[0] <= 3 && p[1] == 0 && p[2] >= 252, "{p:?}");
                } else {
                    assert!(p[2] > 200 && p[0] < 60, "{p:?}");
                }
            }
        }
    }

    #[test]
    fn alpha_is_premultiplied() {
        // A transparent black pixel next to an opaque white one: the average must stay
        // white (premultiplied), not turn grey.
        let src = Raster::new(2, 1, Layout::Rgba, vec![0, 0, 0, 0, 255, 255, 255, 255]).unwrap();
        let out = resize(&src, CropBox::all(&src), 1, 1).unwrap();
        let p = out.pixel(0, 0);
        assert!(p[0] > 250 && p[3] > 100 && p[3] < 155, "{p:?}");
    }

    #[test]
    fn box_shrink_averages_blocks() {
        // 4x2 grey: blocks of 2x2 average to 10 and 30; partial blocks round up the size.
        let src = Raster::new(4, 2, Layout::Gray, vec![0, 20, 20, 40, 20, 0, 40, 20]).unwrap();
        let out = box_shrink(&src, 2).unwrap();
        assert_eq!(out.data(), &[10, 30]);
        let odd = Raster::filled(5, 3, Layout::Rgba, &[200, 100, 0, 255]);
        let out = box_shrink(&odd, 2).unwrap();
        assert_eq!((out.width(), out.height()), (3, 2));
        assert_eq!(out.pixel(2, 1), &[200, 100, 0, 255]);
    }

    #[test]
    fn integer_crop() {
        let src = Raster::new(3, 2, Layout::Gray, vec![0, 1, 2, 3, 4, 5]).unwrap();
        let r = Rect {
            x: 1,
            y: 0,
            w: 2,
            h: 2,
        };
        assert_eq!(crop(&src, r).into_data(), vec![1, 2, 4, 5]);
    }
}
