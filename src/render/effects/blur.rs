//! Gaussian blur (imgproxy `blur:%sigma`) and the separable convolution that
//! [`super::sharpen`] reuses for its mask.
//!
//! The kernel is libvips' `gaussmat` as `gaussblur` builds it: the curve is cut where it falls
//! below a fifth of its peak (half-width ≈ 1.8σ), so `blur:2` here spreads as far as
//! imgproxy's. Borders clamp to the edge pixel. Alpha images are blurred premultiplied, so a
//! transparent pixel (whatever colour it stores) lends no colour to its opaque neighbours.
//!
//! Speed: both passes run over whole rows of interleaved samples in `f32`, which the
//! compiler vectorises; symmetric taps are folded (one multiply per pair). The vertical pass
//! reads a ring of horizontally blurred rows and writes back into the source buffer, so no
//! image-sized buffer is allocated.

use crate::render::raster::Raster;

/// libvips cuts the Gaussian where it falls below this fraction of its peak.
const MIN_AMPLITUDE: f64 = 0.2;

/// Largest half-width (reached at σ ≈ 36). Cost is linear in it, and a URL must not be able
/// to buy minutes of CPU; at web sizes σ = 36 already leaves no detail to lose.
pub(super) const MAX_HALF_WIDTH: usize = 64;

/// The normalised taps `w[0..=n]` of a Gaussian of `sigma` pixels, centre first (the kernel
/// is symmetric: tap `k` applies at offsets `±k`). `None` when the kernel is a single tap,
/// i.e. the blur does nothing (σ ≤ 0, or so small that the first neighbour is under the
/// cut).
pub(super) fn half_kernel(sigma: f64) -> Option<Vec<f32>> {
    if sigma.is_nan() || sigma <= 0.0 {
        return None;
    }
    let two_sigma_sq = 2.0 * sigma * sigma;
    let weight = |x: usize| (-((x * x) as f64) / two_sigma_sq).exp();
    // Like gaussmat: the mask keeps every offset over the cut (libvips' `width = 2 * (x - 1)
    // + 1`, where `x` is the first offset under it).
    let first_under = (0..=MAX_HALF_WIDTH + 1)
        .find(|&x| weight(x) < MIN_AMPLITUDE)
        .unwrap_or(MAX_HALF_WIDTH + 1);
    let n = first_under.saturating_sub(1).min(MAX_HALF_WIDTH);
    if n == 0 {
        return None;
    }
    let raw: Vec<f64> = (0..=n).map(weight).collect();
    let sum = raw[0] + 2.0 * raw[1..].iter().sum::<f64>();
    Some(raw.iter().map(|w| (w / sum) as f32).collect())
}

/// Blurs `src` with a Gaussian of `sigma` pixels (imgproxy `blur:%sigma`); σ ≤ 0 returns it
/// unchanged. Works on Gray, GrayAlpha, Rgb and Rgba (effects run after the colour stage);
/// a Cmyk raster is returned unchanged.
pub(crate) fn blur(mut src: Raster, sigma: f64) -> Raster {
    let Some(kernel) = half_kernel(sigma) else {
        return src;
    };
    if src.layout() == crate::render::raster::Layout::Cmyk {
        return src;
    }
    let (w, h, c) = (src.width() as usize, src.height() as usize, src.channels());
    let alpha = src.layout().has_alpha();
    let stride = w * c;
    let rows = |y: usize| y * stride..(y + 1) * stride;
    convolve(
        src.data_mut(),
        (w, h, c),
        &kernel,
        |data, y, row| {
            if alpha {
                premultiply(&data[rows(y)], c, row);
            } else {
                for (d, &s) in row.iter_mut().zip(&data[rows(y)]) {
                    *d = s as f32;
                }
            }
        },
        |data, y, row| {
            if alpha {
                unpremultiply(row, c, &mut data[rows(y)]);
            } else {
                for (d, &v) in data[rows(y)].iter_mut().zip(row) {
                    *d = to_u8(v);
                }
            }
        },
    );
    src
}

/// Rounds and clamps a sample to 0–255.
pub(super) fn to_u8(v: f32) -> u8 {
    (v + 0.5).clamp(0.0, 255.0) as u8
}

/// Straight `u8` pixels of `c` channels (alpha last) to premultiplied `f32`.
fn premultiply(px: &[u8], c: usize, out: &mut [f32]) {
    match c {
        2 => premultiply_n::<2>(px, out),
        _ => premultiply_n::<4>(px, out),
    }
}

/// [`premultiply`] for a known channel count (lets the compiler unroll the pixel).
fn premultiply_n<const C: usize>(px: &[u8], out: &mut [f32]) {
    for (d, s) in out.chunks_exact_mut(C).zip(px.chunks_exact(C)) {
        let a = s[C - 1] as f32;
        let scale = a * (1.0 / 255.0);
        for k in 0..C - 1 {
            d[k] = s[k] as f32 * scale;
        }
        d[C - 1] = a;
    }
}

/// Premultiplied `f32` pixels back to straight `u8`. The colour is divided by the exact
/// alpha, not the rounded one (at low alpha the rounding would tint the colour); a pixel
/// whose alpha rounds to 0 stores colour 0.
fn unpremultiply(row: &[f32], c: usize, out: &mut [u8]) {
    match c {
        2 => unpremultiply_n::<2>(row, out),
        _ => unpremultiply_n::<4>(row, out),
    }
}

/// [`unpremultiply`] for a known channel count.
fn unpremultiply_n<const C: usize>(row: &[f32], out: &mut [u8]) {
    for (d, s) in out.chunks_exact_mut(C).zip(row.chunks_exact(C)) {
        let a = s[C - 1];
        let inv = if a < 0.5 { 0.0 } else { 255.0 / a };
        for k in 0..C - 1 {
            d[k] = to_u8(s[k] * inv);
        }
        d[C - 1] = to_u8(a);
    }
}

/// Convolves a `w`×`h` image of `c` interleaved channels with the symmetric kernel `half`
/// (see [`half_kernel`]) along rows, then columns, clamping at the edges.
///
/// `load(data, y, row)` fills `row` (`w * c` samples in 0–255) with row `y` of the input;
/// `store(data, y, row)` receives row `y` of the result (not rounded). Rows are loaded in
/// order and at most `n` rows ahead of the one stored, so `store` may overwrite `data` in
/// place: every row is loaded before it is stored. The horizontally blurred rows live in a
/// ring of `2n + 1` rows, so nothing image-sized is allocated.
pub(super) fn convolve<T: ?Sized>(
    data: &mut T,
    (w, h, c): (usize, usize, usize),
    half: &[f32],
    mut load: impl FnMut(&T, usize, &mut [f32]),
    mut store: impl FnMut(&mut T, usize, &[f32]),
) {
    let n = half.len() - 1;
    let stride = w * c;
    let ring_rows = 2 * n + 1;
    let mut ring = vec![0f32; ring_rows * stride];
    // Row padded with `n` copies of the edge pixel on each side.
    let mut padded = vec![0f32; (w + 2 * n) * c];
    let mut acc = vec![0f32; stride];
    let mut loaded = 0;
    for y in 0..h {
        while loaded <= (y + n).min(h - 1) {
            load(data, loaded, &mut padded[n * c..n * c + stride]);
            let slot = loaded % ring_rows;
            horizontal(
                &mut padded,
                w,
                c,
                half,
                &mut ring[slot * stride..(slot + 1) * stride],
            );
            loaded += 1;
        }
        let row = |r: usize| &ring[(r % ring_rows) * stride..(r % ring_rows + 1) * stride];
        for (a, &v) in acc.iter_mut().zip(row(y)) {
            *a = v * half[0];
        }
        for (k, &wk) in half.iter().enumerate().skip(1) {
            let up = row(y.saturating_sub(k));
            let down = row((y + k).min(h - 1));
            for ((a, &u), &d) in acc.iter_mut().zip(up).zip(down) {
                *a += wk * (u + d);
            }
        }
        store(data, y, &acc);
    }
}

/// Blurs one row: `padded` holds the row's `w * c` samples after `n` pixels of room on each
/// side, which this fills with copies of the edge pixels.
fn horizontal(padded: &mut [f32], w: usize, c: usize, half: &[f32], out: &mut [f32]) {
    let n = half.len() - 1;
    let stride = w * c;
    let (first, last) = (n * c, (n + w - 1) * c);
    for i in 0..n {
        padded.copy_within(first..first + c, i * c);
        padded.copy_within(last..last + c, (n + w + i) * c);
    }
    for (a, &v) in out.iter_mut().zip(&padded[n * c..n * c + stride]) {
        *a = v * half[0];
    }
    for (k, &wk) in half.iter().enumerate().skip(1) {
        let left = &padded[(n - k) * c..(n - k) * c + stride];
        let right = &padded[(n + k) * c..(n + k) * c + stride];
        for ((a, &l), &r) in out.iter_mut().zip(left).zip(right) {
            *a += wk * (l + r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::raster::Layout;

    #[test]
    fn kernel_matches_libvips_extent() {
        // σ = 1: exp(-1/2) = 0.61 stays, exp(-2) = 0.14 is cut: a three-tap mask.
        assert_eq!(half_kernel(1.0).unwrap().len(), 2);
        // σ = 2: offsets 0..=3 are over 0.2 (exp(-9/8) = 0.32), offset 4 is not.
        assert_eq!(half_kernel(2.0).unwrap().len(), 4);
        assert!(half_kernel(0.0).is_none());
        assert!(half_kernel(-3.0).is_none());
        assert!(half_kernel(0.3).is_none());
        assert_eq!(half_kernel(1e9).unwrap().len(), MAX_HALF_WIDTH + 1);
        let k = half_kernel(5.0).unwrap();
        let sum = k[0] + 2.0 * k[1..].iter().sum::<f32>();
        assert!((sum - 1.0).abs() < 1e-5);
    }

    #[test]
    fn white_dot_spreads_symmetrically_and_keeps_its_sum() {
        let (w, h) = (21u32, 21u32);
        let mut src = Raster::filled(w, h, Layout::Gray, &[0]);
        src.data_mut()[10 * 21 + 10] = 255;
        let out = blur(src, 2.0);
        let at = |x: u32, y: u32| out.pixel(x, y)[0];
        assert!(at(10, 10) < 255 && at(10, 10) > 0);
        for d in 1..=3 {
            assert_eq!(at(10 - d, 10), at(10 + d, 10));
            assert_eq!(at(10, 10 - d), at(10, 10 + d));
            assert_eq!(at(10 - d, 10), at(10, 10 - d));
            assert!(at(10 + d, 10) <= at(10 + d - 1, 10));
        }
        // Half-width 3 in each direction: nothing beyond.
        assert_eq!(at(14, 10), 0);
        assert_eq!(at(10, 6), 0);
        assert_eq!(at(13, 13), at(7, 7));
        // The sum is kept up to the rounding of each of the 7×7 pixels the dot reaches.
        let sum: i32 = out.data().iter().map(|&v| v as i32).sum();
        assert!((sum - 255).abs() <= 49 / 2, "{sum}");
    }

    #[test]
    fn flat_image_stays_flat_and_small_sigma_is_identity() {
        let src = Raster::filled(7, 3, Layout::Rgb, &[10, 200, 77]);
        assert_eq!(blur(src.clone(), 3.0), src);
        let mut noisy = Raster::filled(5, 5, Layout::Rgba, &[1, 2, 3, 4]);
        noisy.data_mut()[0] = 99;
        assert_eq!(blur(noisy.clone(), 0.0), noisy);
        assert_eq!(blur(noisy.clone(), -1.0), noisy);
    }

    #[test]
    fn transparent_pixels_lend_no_colour() {
        // Opaque red next to transparent green: the blurred opaque side stays pure red, and
        // the spread into the transparent side is red with partial alpha.
        let mut data = Vec::new();
        for _ in 0..3 {
            for x in 0..10 {
                data.extend_from_slice(if x < 5 {
                    &[255, 0, 0, 255]
                } else {
                    &[0, 255, 0, 0]
                });
            }
        }
        let out = blur(Raster::new(10, 3, Layout::Rgba, data).unwrap(), 2.0);
        for x in 0..10 {
            let p = out.pixel(x, 1);
            if p[3] > 0 {
                assert!(p[0] >= 254 && p[1] == 0, "{x}: {p:?}");
            }
        }
        assert!(out.pixel(5, 1)[3] > 0 && out.pixel(5, 1)[3] < 255);
        assert!(out.pixel(4, 1)[3] < 255 && out.pixel(4, 1)[3] > 128);
        let ga = Raster::new(2, 1, Layout::GrayAlpha, vec![200, 255, 0, 0]).unwrap();
        let out = blur(ga, 1.5);
        assert_eq!(out.pixel(1, 0)[0], 200);
    }

    #[test]
    fn tiny_and_thin_images() {
        for (w, h) in [(1, 1), (1, 40), (40, 1), (2, 3)] {
            for layout in [Layout::Gray, Layout::GrayAlpha, Layout::Rgb, Layout::Rgba] {
                let px = vec![100u8; layout.channels()];
                let src = Raster::filled(w, h, layout, &px);
                assert_eq!(blur(src.clone(), 4.0), src);
            }
        }
        let cmyk = Raster::filled(3, 3, Layout::Cmyk, &[1, 2, 3, 4]);
        assert_eq!(blur(cmyk.clone(), 2.0), cmyk);
    }
}
