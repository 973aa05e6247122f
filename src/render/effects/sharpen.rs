//! Sharpening (imgproxy `sharpen:%sigma`): an unsharp mask on lightness with the transfer
//! curve of libvips' `sharpen`, which imgproxy calls with only the sigma set.
//!
//! libvips sharpens the L* channel of LabS: `out = L + f(L − gauss(L, σ))`, where `f` ignores
//! differences up to `x1 = 2` L* (flat areas and fine noise stay as they are), amplifies the
//! rest by `m2 = 3`, and caps the result at `+y2 = 10` L* (brightening) and `−y3 = 20` L*
//! (darkening). Here the same curve runs on Rec. 601 luma in 0–255 (one L* unit taken as
//! 2.55 luma steps), and the correction is added to every colour channel alike, which moves
//! lightness without turning hue: one single-channel blur instead of a Lab round trip.
//! Alpha images are sharpened premultiplied, as imgproxy does; alpha itself is untouched.
//!
//! The mask is the Gaussian of [`super::blur`] (libvips builds it the same way for both), so
//! σ below about 0.56 gives a one-tap mask and sharpens nothing, in libvips as here.

use super::blur::{convolve, half_kernel, to_u8};
use crate::render::raster::{Layout, Raster};

/// One L* unit in luma steps.
const L_STEP: f32 = 255.0 / 100.0;
/// Differences up to this are left alone (libvips `x1` = 2 L*).
const FLAT: f32 = 2.0 * L_STEP;
/// Slope applied to differences beyond [`FLAT`] (libvips `m2`).
const AMOUNT: f32 = 3.0;
/// Largest brightening (libvips `y2` = 10 L*).
const MAX_LIGHTEN: f32 = 10.0 * L_STEP;
/// Largest darkening (libvips `y3` = 20 L*).
const MAX_DARKEN: f32 = 20.0 * L_STEP;

/// libvips' sharpen curve with `m1 = 0`: the correction for a pixel that is `d` luma steps
/// lighter than its blurred surroundings.
fn correction(d: f32) -> f32 {
    if d > FLAT {
        (AMOUNT * (d - FLAT)).min(MAX_LIGHTEN)
    } else if d < -FLAT {
        (AMOUNT * (d + FLAT)).max(-MAX_DARKEN)
    } else {
        0.0
    }
}

/// Premultiplied Rec. 601 luma of each pixel of `px` (`c` channels), into `out`.
fn luma_row(px: &[u8], layout: Layout, out: &mut [f32]) {
    let c = layout.channels();
    for (d, p) in out.iter_mut().zip(px.chunks_exact(c)) {
        let y = match layout {
            Layout::Rgb | Layout::Rgba => {
                0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
            }
            _ => p[0] as f32,
        };
        *d = if layout.has_alpha() {
            y * p[c - 1] as f32 / 255.0
        } else {
            y
        };
    }
}

/// Sharpens `src` with an unsharp mask of `sigma` pixels (imgproxy `sharpen:%sigma`; σ ≤ 0
/// returns it unchanged). Gray, GrayAlpha, Rgb and Rgba; a Cmyk raster is returned
/// unchanged.
pub(crate) fn sharpen(mut src: Raster, sigma: f64) -> Raster {
    let layout = src.layout();
    let Some(kernel) = half_kernel(sigma) else {
        return src;
    };
    if layout == Layout::Cmyk {
        return src;
    }
    let (w, h, c) = (src.width() as usize, src.height() as usize, src.channels());
    let stride = w * c;
    let colours = if layout.has_alpha() { c - 1 } else { c };
    let mut luma = vec![0f32; w];
    convolve(
        src.data_mut(),
        (w, h, 1),
        &kernel,
        |data, y, row| luma_row(&data[y * stride..(y + 1) * stride], layout, row),
        |data, y, blurred| {
            let px = &mut data[y * stride..(y + 1) * stride];
            // Row `y` is still the original here: the mask compares it with its blur.
            luma_row(px, layout, &mut luma);
            for ((p, &l), &b) in px.chunks_exact_mut(c).zip(&luma).zip(blurred) {
                let delta = correction(l - b);
                if delta == 0.0 {
                    continue;
                }
                // A premultiplied correction, in straight terms.
                let delta = if layout.has_alpha() {
                    match p[c - 1] {
                        0 => continue,
                        a => delta * 255.0 / a as f32,
                    }
                } else {
                    delta
                };
                for v in &mut p[..colours] {
                    *v = to_u8(*v as f32 + delta);
                }
            }
        },
    );
    src
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w`×1 grey step: `lo` left of `at`, `hi` from it on, `h` rows.
    fn step(w: u32, h: u32, at: u32, lo: u8, hi: u8, layout: Layout) -> Raster {
        let c = layout.channels();
        let mut data = Vec::new();
        for _ in 0..h {
            for x in 0..w {
                let v = if x < at { lo } else { hi };
                let mut px = vec![v; c];
                if layout.has_alpha() {
                    px[c - 1] = 255;
                }
                data.extend_from_slice(&px);
            }
        }
        Raster::new(w, h, layout, data).unwrap()
    }

    #[test]
    fn curve_matches_libvips_defaults() {
        assert_eq!(correction(5.0), 0.0);
        assert_eq!(correction(-5.0), 0.0);
        assert!((correction(7.1) - 6.0).abs() < 1e-4);
        assert!((correction(-7.1) + 6.0).abs() < 1e-4);
        assert_eq!(correction(100.0), MAX_LIGHTEN);
        assert_eq!(correction(-100.0), -MAX_DARKEN);
    }

    #[test]
    fn edge_gains_overshoot_on_both_sides() {
        let src = step(20, 3, 10, 80, 160, Layout::Gray);
        let out = sharpen(src.clone(), 1.0);
        // Dark side of the edge darker, light side lighter, within libvips' caps.
        let (dark, light) = (out.pixel(9, 1)[0], out.pixel(10, 1)[0]);
        assert!((80 - 51..80).contains(&dark), "{dark}");
        assert!(light > 160 && light <= 160 + 26, "{light}");
        // Far from the edge nothing moves.
        assert_eq!(out.pixel(2, 1)[0], 80);
        assert_eq!(out.pixel(17, 1)[0], 160);
        // Symmetric rows (the mask is a 2-D blur of a 1-D step).
        assert_eq!(out.pixel(9, 0), out.pixel(9, 2));
    }

    #[test]
    fn colour_moves_together_and_alpha_is_kept() {
        let mut src = step(12, 2, 6, 50, 150, Layout::Rgba);
        for p in src.data_mut().chunks_exact_mut(4) {
            p[2] = p[0] / 2; // some colour
        }
        let out = sharpen(src.clone(), 1.0);
        let (before, after) = (src.pixel(6, 0), out.pixel(6, 0));
        let lift = after[0] as i32 - before[0] as i32;
        assert!(lift > 0);
        assert_eq!(after[1] as i32 - before[1] as i32, lift);
        assert_eq!(after[2] as i32 - before[2] as i32, lift);
        assert!(out.data().chunks_exact(4).all(|p| p[3] == 255));
    }

    #[test]
    fn flat_small_and_degenerate_inputs() {
        for layout in [Layout::Gray, Layout::GrayAlpha, Layout::Rgb, Layout::Rgba] {
            let px = vec![90u8; layout.channels()];
            for (w, h) in [(1, 1), (1, 30), (30, 1), (9, 9)] {
                let src = Raster::filled(w, h, layout, &px);
                assert_eq!(sharpen(src.clone(), 1.5), src);
            }
        }
        let src = step(10, 2, 5, 0, 255, Layout::Rgb);
        assert_eq!(sharpen(src.clone(), 0.0), src);
        let cmyk = Raster::filled(2, 2, Layout::Cmyk, &[1, 2, 3, 4]);
        assert_eq!(sharpen(cmyk.clone(), 1.0), cmyk);
    }
}
