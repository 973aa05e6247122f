//! Trimming (imgproxy `trim:%threshold:%color:%equal_hor:%equal_ver`): the bounding box of
//! everything that is not background, as libvips' `find_trim` computes it for imgproxy.
//!
//! * Alpha is flattened onto magenta (#FF00FF) first, imgproxy's transparency key: a
//!   transparent border trims away when the background is the (flattened) top-left pixel
//!   or is given as `FF00FF`. Grey images are compared as RGB.
//! * The background is the given colour, or else the top-left pixel's.
//! * The image is smoothed with a 3×3 median (edges clamped), so an isolated speck of dust
//!   does not stop the trim; a pixel is content when any channel of its median differs from
//!   the background by more than `threshold`.
//! * Equalising keeps the smaller margin on both sides of an axis (imgproxy's `vips_trim`).
//!
//! The median is not computed: a channel's median exceeds `bg + t` exactly when at least five
//! of the nine neighbours do, so each pixel stores which channels are above or below the
//! band, and nine packed counters decide.

use crate::render::raster::{Layout, Raster};
use crate::variant::Rect;

/// imgproxy's transparency key, onto which alpha is flattened before comparing.
const MAGENTA: [u8; 3] = [255, 0, 255];

/// The pixel at index `i` of `src` flattened onto magenta, as RGB.
fn flattened(src: &Raster, i: usize) -> [u8; 3] {
    let c = src.channels();
    let p = &src.data()[i * c..(i + 1) * c];
    let rgb = match src.layout() {
        Layout::Gray | Layout::GrayAlpha => [p[0]; 3],
        _ => [p[0], p[1], p[2]],
    };
    if !src.layout().has_alpha() || src.layout() == Layout::Cmyk {
        return rgb;
    }
    let a = p[c - 1] as u32;
    let blend = |v: u8, k: u8| ((v as u32 * a + k as u32 * (255 - a) + 127) / 255) as u8;
    [
        blend(rgb[0], MAGENTA[0]),
        blend(rgb[1], MAGENTA[1]),
        blend(rgb[2], MAGENTA[2]),
    ]
}

/// The part of `src` to keep: everything that differs from `background` (default: the
/// top-left pixel) by more than `threshold` in some channel, after a 3×3 median, with the
/// margins made equal left/right and top/bottom when asked. `None` when there is nothing to
/// trim, or nothing but background: then imgproxy leaves the image as it is.
pub(crate) fn find_trim(
    src: &Raster,
    threshold: f64,
    background: Option<[u8; 3]>,
    equal_hor: bool,
    equal_ver: bool,
) -> Option<Rect> {
    let (w, h) = (src.width() as usize, src.height() as usize);
    let bg = background.unwrap_or_else(|| flattened(src, 0));
    let t = threshold.max(0.0);
    // Per channel: a value is "above" when v > bg + t, i.e. v > floor(bg + t), and "below"
    // when v < bg - t, i.e. v < ceil(bg - t).
    let above: Vec<f64> = bg.iter().map(|&b| (b as f64 + t).floor()).collect();
    let below: Vec<f64> = bg.iter().map(|&b| (b as f64 - t).ceil()).collect();
    // Six flags a pixel: bit k = channel k above, bit 3 + k = channel k below.
    let flags: Vec<u8> = (0..w * h)
        .map(|i| {
            let p = flattened(src, i);
            (0..3).fold(0u8, |f, k| {
                let v = p[k] as f64;
                f | (((v > above[k]) as u8) << k) | (((v < below[k]) as u8) << (3 + k))
            })
        })
        .collect();
    // Each flag becomes a 4-bit counter in one u32: nine neighbours sum without carries.
    let packed: [u32; 64] = std::array::from_fn(|f| {
        (0..6).fold(0, |acc, bit| acc | (((f as u32 >> bit) & 1) << (4 * bit)))
    });
    let (mut left, mut top, mut right, mut bottom) = (w, h, 0, 0);
    let mut found = false;
    for y in 0..h {
        let rows = [y.saturating_sub(1), y, (y + 1).min(h - 1)];
        for x in 0..w {
            let cols = [x.saturating_sub(1), x, (x + 1).min(w - 1)];
            let mut counts = 0u32;
            for &r in &rows {
                for &c in &cols {
                    counts += packed[flags[r * w + c] as usize];
                }
            }
            // Some counter ≥ 5 ⇔ some median is outside the band (counters ≤ 9, + 3 ≤ 12).
            if (counts + 0x33_3333) & 0x88_8888 != 0 {
                found = true;
                left = left.min(x);
                right = right.max(x);
                top = top.min(y);
                bottom = bottom.max(y);
            }
        }
    }
    if !found {
        return None;
    }
    let (mut left, mut width) = (left, right + 1 - left);
    let (mut top, mut height) = (top, bottom + 1 - top);
    if equal_hor {
        (left, width) = equalise(left, width, w);
    }
    if equal_ver {
        (top, height) = equalise(top, height, h);
    }
    if (left, top, width, height) == (0, 0, w, h) {
        return None;
    }
    Some(Rect {
        x: left as u32,
        y: top as u32,
        w: width as u32,
        h: height as u32,
    })
}

/// Shrinks the larger of the two margins around `[start, start + len)` in `0..total` to the
/// smaller one: the new `(start, len)`.
fn equalise(start: usize, len: usize, total: usize) -> (usize, usize) {
    let end_margin = total - start - len;
    let margin = start.min(end_margin);
    (margin, total - 2 * margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: u32, y: u32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }

    /// A `w`×`h` image of `bg` with the rectangle `r` painted `fg`.
    fn framed(w: u32, h: u32, layout: Layout, bg: &[u8], fg: &[u8], r: Rect) -> Raster {
        let mut img = Raster::filled(w, h, layout, bg);
        let c = layout.channels();
        for y in r.y..r.y + r.h {
            for x in r.x..r.x + r.w {
                let i = (y * w + x) as usize * c;
                img.data_mut()[i..i + c].copy_from_slice(fg);
            }
        }
        img
    }

    #[test]
    fn finds_an_inset_rectangle_exactly() {
        let inner = rect(3, 2, 5, 4);
        let img = framed(12, 9, Layout::Rgb, &[250, 250, 250], &[20, 40, 60], inner);
        assert_eq!(find_trim(&img, 10.0, None, false, false), Some(inner));
        // Given colour instead of the corner's.
        assert_eq!(
            find_trim(&img, 10.0, Some([250, 250, 250]), false, false),
            Some(inner)
        );
        // The content is within the threshold: nothing to trim.
        let faint = framed(12, 9, Layout::Gray, &[100], &[108], inner);
        assert_eq!(find_trim(&faint, 10.0, None, false, false), None);
        assert_eq!(find_trim(&faint, 7.5, None, false, false), Some(inner));
    }

    #[test]
    fn isolated_specks_are_smoothed_away() {
        let mut img = framed(10, 10, Layout::Gray, &[0], &[255], rect(4, 4, 3, 3));
        img.data_mut()[1] = 255; // a speck at (1, 0)
        assert_eq!(
            find_trim(&img, 10.0, None, false, false),
            Some(rect(4, 4, 3, 3))
        );
    }

    #[test]
    fn equalising_keeps_the_smaller_margin() {
        // Margins: left 2, right 5; top 1, bottom 3.
        let img = framed(10, 7, Layout::Gray, &[0], &[200], rect(2, 1, 3, 3));
        assert_eq!(
            find_trim(&img, 10.0, None, true, false),
            Some(rect(2, 1, 6, 3))
        );
        assert_eq!(
            find_trim(&img, 10.0, None, false, true),
            Some(rect(2, 1, 3, 5))
        );
        assert_eq!(
            find_trim(&img, 10.0, None, true, true),
            Some(rect(2, 1, 6, 5))
        );
    }

    #[test]
    fn transparent_border_is_background() {
        // (At least 3 pixels each way: the median erodes the corners of thinner shapes.)
        let inner = rect(2, 3, 4, 3);
        let img = framed(8, 8, Layout::Rgba, &[0, 0, 0, 0], &[0, 0, 0, 255], inner);
        assert_eq!(find_trim(&img, 10.0, None, false, false), Some(inner));
        assert_eq!(
            find_trim(&img, 10.0, Some(MAGENTA), false, false),
            Some(inner)
        );
        let ga = framed(8, 8, Layout::GrayAlpha, &[255, 0], &[255, 255], inner);
        assert_eq!(find_trim(&ga, 10.0, None, false, false), Some(inner));
    }

    #[test]
    fn nothing_to_trim() {
        let flat = Raster::filled(5, 4, Layout::Rgb, &[9, 9, 9]);
        assert_eq!(find_trim(&flat, 0.0, None, false, false), None);
        let full = framed(5, 4, Layout::Gray, &[0], &[255], rect(0, 0, 5, 4));
        assert_eq!(find_trim(&full, 10.0, Some([0, 0, 0]), false, false), None);
        for (w, h) in [(1, 1), (1, 9), (9, 1)] {
            let img = Raster::filled(w, h, Layout::GrayAlpha, &[3, 200]);
            assert_eq!(find_trim(&img, 10.0, None, true, true), None);
        }
        let line = framed(9, 1, Layout::Gray, &[0], &[255], rect(3, 0, 3, 1));
        assert_eq!(
            find_trim(&line, 10.0, None, false, false),
            Some(rect(3, 0, 3, 1))
        );
    }
}
