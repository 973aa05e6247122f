//! Smart (attention) cropping for imgproxy's `gravity:sm`: where to cut a `w`×`h` window
//! out of an image so that it keeps the most interesting part.
//!
//! Design (in the spirit of libvips' `attention` strategy, not a copy of it):
//! 1. Shrink to at most [`GRID`] cells on the long side by averaging blocks (alpha
//!    premultiplied), which also smooths away noise.
//! 2. Score each cell: Sobel edge energy of its luma (detail), plus half its chroma (max −
//!    min of R, G, B: colour draws the eye), plus [`SKIN`] when its colour falls in the
//!    usual YCbCr skin box (faces), all scaled by its opacity (transparency is not
//!    interesting). Scores are integers, so sums are exact and the result deterministic.
//! 3. Slide the window (scaled to the grid) over every position with a summed-area table
//!    and keep the best sum; ties go to the position nearest the centre, and when every
//!    window scores the same (a flat image) the crop is centred exactly as `gravity:ce`.
//! 4. Map the best window's centre back to full resolution and clamp.

use crate::render::raster::{Layout, Raster};
use crate::variant::Gravity;
use crate::variant::geometry::position;

/// Longest side of the scoring grid, in cells.
const GRID: u32 = 256;
/// Score of a skin-coloured cell (an edge of full contrast scores about 1000).
const SKIN: f32 = 80.0;

/// One grid cell: average colour (straight) and opacity.
#[derive(Clone, Copy, Default)]
struct Cell {
    rgb: [f32; 3],
    alpha: f32,
}

/// Averages `f`×`f` blocks of `src` into a `gw`×`gh` grid (edge blocks partial).
fn shrink(src: &Raster, f: usize, gw: usize, gh: usize) -> Vec<Cell> {
    let (w, c) = (src.width() as usize, src.channels());
    let layout = src.layout();
    let alpha = layout.has_alpha() && layout != Layout::Cmyk;
    // Per cell: premultiplied colour sums, alpha sum, pixel count.
    let mut sums = vec![[0f32; 5]; gw * gh];
    for (y, row) in src.data().chunks_exact(w * c).enumerate() {
        let cells = &mut sums[(y / f) * gw..(y / f + 1) * gw];
        for (x, p) in row.chunks_exact(c).enumerate() {
            let rgb = match layout {
                Layout::Gray | Layout::GrayAlpha => [p[0]; 3],
                _ => [p[0], p[1], p[2]],
            };
            let a = if alpha { p[c - 1] as f32 / 255.0 } else { 1.0 };
            let s = &mut cells[x / f];
            for k in 0..3 {
                s[k] += rgb[k] as f32 * a;
            }
            s[3] += a;
            s[4] += 1.0;
        }
    }
    sums.iter()
        .map(|s| {
            let inv = if s[3] > 0.0 { 1.0 / s[3] } else { 0.0 };
            Cell {
                rgb: [s[0] * inv, s[1] * inv, s[2] * inv],
                alpha: s[3] / s[4],
            }
        })
        .collect()
}

/// Whether a colour is in the YCbCr box commonly used for skin (Chai & Ngan:
/// Cb 77–127, Cr 133–173), away from the darkest shadows.
fn is_skin([r, g, b]: [f32; 3]) -> bool {
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
    let cr = 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
    y > 40.0 && (77.0..=127.0).contains(&cb) && (133.0..=173.0).contains(&cr)
}

/// The integer interest score of every cell of a `gw`×`gh` grid.
fn scores(cells: &[Cell], gw: usize, gh: usize) -> Vec<u32> {
    let luma: Vec<f32> = cells
        .iter()
        .map(|c| (0.299 * c.rgb[0] + 0.587 * c.rgb[1] + 0.114 * c.rgb[2]) * c.alpha)
        .collect();
    let l = |x: usize, y: usize| luma[y * gw + x];
    let mut out = Vec::with_capacity(cells.len());
    for y in 0..gh {
        let (yu, yd) = (y.saturating_sub(1), (y + 1).min(gh - 1));
        for x in 0..gw {
            let (xl, xr) = (x.saturating_sub(1), (x + 1).min(gw - 1));
            let gx =
                l(xr, yu) + 2.0 * l(xr, y) + l(xr, yd) - l(xl, yu) - 2.0 * l(xl, y) - l(xl, yd);
            let gy =
                l(xl, yd) + 2.0 * l(x, yd) + l(xr, yd) - l(xl, yu) - 2.0 * l(x, yu) - l(xr, yu);
            let cell = cells[y * gw + x];
            let [r, g, b] = cell.rgb;
            let chroma = r.max(g).max(b) - r.min(g).min(b);
            let skin = if is_skin(cell.rgb) { SKIN } else { 0.0 };
            let score = (gx.hypot(gy) + 0.5 * chroma * cell.alpha + skin * cell.alpha).round();
            out.push(score as u32);
        }
    }
    out
}

/// Top-left corner of the most interesting `crop_w`×`crop_h` window of `src` (sizes larger
/// than the image act as the image's). Deterministic; a flat image gives the centred window
/// of `gravity:ce`.
pub(crate) fn smart_crop(src: &Raster, crop_w: u32, crop_h: u32) -> (u32, u32) {
    let (w, h) = (src.width(), src.height());
    let (cw, ch) = (crop_w.clamp(1, w), crop_h.clamp(1, h));
    if (cw, ch) == (w, h) {
        return (0, 0);
    }
    let f = w.max(h).div_ceil(GRID) as usize;
    let (gw, gh) = ((w as usize).div_ceil(f), (h as usize).div_ceil(f));
    let score = scores(&shrink(src, f, gw, gh), gw, gh);
    // The window in cells.
    let ww = ((cw as f64 / f as f64).round() as usize).clamp(1, gw);
    let wh = ((ch as f64 / f as f64).round() as usize).clamp(1, gh);
    // Summed-area table with a zero first row and column.
    let sw = gw + 1;
    let mut sat = vec![0u64; sw * (gh + 1)];
    for y in 0..gh {
        let mut run = 0;
        for x in 0..gw {
            run += score[y * gw + x] as u64;
            sat[(y + 1) * sw + x + 1] = sat[y * sw + x + 1] + run;
        }
    }
    let window = |x: usize, y: usize| {
        sat[(y + wh) * sw + x + ww] + sat[y * sw + x]
            - sat[y * sw + x + ww]
            - sat[(y + wh) * sw + x]
    };
    // Best sum, then smallest (doubled) squared distance from the centred window.
    let (mut best, mut lowest) = ((0u64, u64::MAX, 0usize, 0usize), u64::MAX);
    for y in 0..=gh - wh {
        for x in 0..=gw - ww {
            let s = window(x, y);
            lowest = lowest.min(s);
            let dx = (2 * x).abs_diff(gw - ww) as u64;
            let dy = (2 * y).abs_diff(gh - wh) as u64;
            let d = dx * dx + dy * dy;
            if s > best.0 || (s == best.0 && d < best.1) {
                best = (s, d, x, y);
            }
        }
    }
    if best.0 == lowest {
        let (x, y) = position(w, h, cw, ch, &Gravity::CENTER, 1.0);
        return (x as u32, y as u32);
    }
    // The window's centre, back at full resolution.
    let back = |start: usize, cells: usize, crop: u32, full: u32| {
        let centre = (start as f64 + cells as f64 / 2.0) * f as f64;
        (centre - crop as f64 / 2.0)
            .round()
            .clamp(0.0, (full - crop) as f64) as u32
    };
    (back(best.2, ww, cw, w), back(best.3, wh, ch, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat grey `w`×`h` RGBA image with a `size`×`size` patch of colourful noise at
    /// (`px`, `py`).
    fn with_patch(w: u32, h: u32, px: u32, py: u32, size: u32) -> Raster {
        let mut img = Raster::filled(w, h, Layout::Rgba, &[128, 128, 128, 255]);
        let mut seed = 12345u32;
        for y in py..py + size {
            for x in px..px + size {
                let i = (y * w + x) as usize * 4;
                for k in 0..3 {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    img.data_mut()[i + k] = (seed >> 24) as u8;
                }
            }
        }
        img
    }

    fn contains(at: (u32, u32), crop: (u32, u32), patch: (u32, u32, u32)) -> bool {
        let (x, y, s) = patch;
        at.0 <= x && at.0 + crop.0 >= x + s && at.1 <= y && at.1 + crop.1 >= y + s
    }

    #[test]
    fn busy_corner_patch_is_kept() {
        let corners = [(330, 230), (10, 10), (330, 10), (10, 230)];
        for (px, py) in corners {
            let img = with_patch(400, 300, px, py, 60);
            let at = smart_crop(&img, 150, 150);
            assert!(contains(at, (150, 150), (px, py, 60)), "{px},{py}: {at:?}");
            assert_eq!(smart_crop(&img, 150, 150), at, "deterministic");
        }
        // A large image (grid cells of 8 px) and a wide strip crop.
        let img = with_patch(2000, 300, 1700, 120, 60);
        let at = smart_crop(&img, 300, 300);
        assert!(contains(at, (300, 300), (1700, 120, 60)), "{at:?}");
    }

    #[test]
    fn flat_image_is_centred() {
        let img = Raster::filled(300, 200, Layout::Rgb, &[200, 30, 30]);
        // As gravity:ce: (201 / 2 = 100.5 → 100, 101 / 2 = 50.5 → 50).
        assert_eq!(smart_crop(&img, 100, 100), (100, 50));
        let big = Raster::filled(3000, 1000, Layout::Gray, &[7]);
        assert_eq!(smart_crop(&big, 1000, 1000), (1000, 0));
    }

    #[test]
    fn transparent_detail_is_not_interesting() {
        let mut img = with_patch(200, 100, 150, 20, 40);
        for p in img.data_mut().chunks_exact_mut(4) {
            p[3] = 0;
        }
        assert_eq!(smart_crop(&img, 50, 50), (76, 26));
    }

    #[test]
    fn skin_scores_over_grey() {
        // A flat skin-coloured square on grey: the crop goes to it.
        let mut img = Raster::filled(300, 100, Layout::Rgb, &[120, 120, 120]);
        for y in 30..70 {
            for x in 20..60 {
                let i = (y * 300 + x) as usize * 3;
                img.data_mut()[i..i + 3].copy_from_slice(&[224, 172, 140]);
            }
        }
        assert!(is_skin([224.0, 172.0, 140.0]));
        assert!(!is_skin([120.0, 120.0, 120.0]));
        let at = smart_crop(&img, 80, 80);
        assert!(contains(at, (80, 80), (20, 30, 40)), "{at:?}");
    }

    #[test]
    fn degenerate_sizes() {
        let one = Raster::filled(1, 1, Layout::GrayAlpha, &[3, 255]);
        assert_eq!(smart_crop(&one, 1, 1), (0, 0));
        assert_eq!(smart_crop(&one, 50, 0), (0, 0));
        let strip = with_patch(1000, 4, 900, 0, 4);
        let at = smart_crop(&strip, 10, 1);
        assert!(at.0 >= 880 && at.0 <= 904 && at.1 <= 3, "{at:?}");
        let tall = Raster::filled(1, 5000, Layout::Rgb, &[0, 0, 0]);
        // (4990 + 1) / 2 = 2495.5, half to even.
        assert_eq!(smart_crop(&tall, 1, 10), (0, 2496));
    }
}
