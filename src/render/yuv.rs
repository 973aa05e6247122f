//! 8-bit Y′CbCr to RGB for decoded AV1 frames, optionally at half size: the shrink-on-load
//! of AVIF. libavif (built without libyuv) converts with a per-pixel float path that took
//! 40 % of a 2 MP AVIF → 512 px render; this integer loop vectorises. At half size a 4:2:0
//! frame needs no chroma upsampling at all: each 2×2 block of luma shares one chroma
//! sample, so the block's mean luma and that sample give the block's colour (what a box
//! reduction of the full-size conversion gives, up to rounding), from a quarter of the
//! work, and the resize that follows has a quarter of the pixels.

/// The planes of one 8-bit frame, as the decoder left them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Planes<'a> {
    pub(crate) width: usize,
    pub(crate) height: usize,
    /// Luma, `height` rows of `y_stride` bytes.
    pub(crate) y: &'a [u8],
    pub(crate) y_stride: usize,
    /// Chroma planes, each `height >> chroma_shift.1` rows (rounded up) of `uv_stride` bytes.
    pub(crate) u: &'a [u8],
    pub(crate) v: &'a [u8],
    pub(crate) uv_stride: usize,
    /// Chroma subsampling as shifts: (1, 1) is 4:2:0, (1, 0) 4:2:2, (0, 0) 4:4:4.
    pub(crate) chroma_shift: (u32, u32),
    /// Limited (“studio”) range: luma 16–235, chroma 16–240.
    pub(crate) limited: bool,
    pub(crate) matrix: Matrix,
}

/// The luma weights of red and blue (Kr, Kb) defining a Y′CbCr matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Matrix {
    pub(crate) kr: f64,
    pub(crate) kb: f64,
}

impl Matrix {
    /// The matrix of an ISO/IEC 23091-4 `MatrixCoefficients` code, for the codes this
    /// module converts; `None` for the others (identity, YCgCo, derived, ICtCp), left to
    /// libavif. Unspecified is BT.601, as libavif and browsers take it.
    pub(crate) fn from_code(code: u32) -> Option<Matrix> {
        let (kr, kb) = match code {
            1 => (0.2126, 0.0722),
            2 | 5 | 6 => (0.299, 0.114),
            4 => (0.30, 0.11),
            7 => (0.212, 0.087),
            9 | 10 => (0.2627, 0.0593),
            _ => return None,
        };
        Some(Matrix { kr, kb })
    }
}

/// Fixed-point coefficients (16 fractional bits) for one matrix and range.
struct Coefficients {
    y_mul: i32,
    y_off: i32,
    r_cr: i32,
    g_cb: i32,
    g_cr: i32,
    b_cb: i32,
}

const ONE: f64 = 65536.0;

impl Coefficients {
    fn new(m: Matrix, limited: bool) -> Coefficients {
        let kg = 1.0 - m.kr - m.kb;
        let (y_scale, c_scale, y_off) = if limited {
            (255.0 / 219.0, 255.0 / 224.0, 16)
        } else {
            (1.0, 1.0, 0)
        };
        let fix = |v: f64| (v * ONE).round() as i32;
        Coefficients {
            y_mul: fix(y_scale),
            y_off,
            r_cr: fix(2.0 * (1.0 - m.kr) * c_scale),
            g_cb: fix(2.0 * m.kb * (1.0 - m.kb) / kg * c_scale),
            g_cr: fix(2.0 * m.kr * (1.0 - m.kr) / kg * c_scale),
            b_cb: fix(2.0 * (1.0 - m.kb) * c_scale),
        }
    }

    /// One pixel from luma (already scaled by `y_mul`, in 16.16) and centred chroma.
    #[inline(always)]
    fn rgb(&self, y: i32, cb: i32, cr: i32) -> [u8; 3] {
        let half = 1 << 15;
        let clamp = |v: i32| ((v + half) >> 16).clamp(0, 255) as u8;
        [
            clamp(y + self.r_cr * cr),
            clamp(y - self.g_cb * cb - self.g_cr * cr),
            clamp(y + self.b_cb * cb),
        ]
    }
}

/// Converts `p` to packed RGB, or RGBA with `alpha` (plane, stride; full size) copied in.
/// Chroma is taken from the nearest sample (libavif's “fastest” upsampling).
pub(crate) fn to_rgb(p: &Planes<'_>, alpha: Option<(&[u8], usize)>) -> Vec<u8> {
    let c = Coefficients::new(p.matrix, p.limited);
    let channels = if alpha.is_some() { 4 } else { 3 };
    let mut out = vec![0u8; p.width * p.height * channels];
    let (sx, sy) = p.chroma_shift;
    for (row, dst) in out.chunks_exact_mut(p.width * channels).enumerate() {
        let y_row = &p.y[row * p.y_stride..][..p.width];
        let crow = (row >> sy) * p.uv_stride;
        let (u_row, v_row) = (&p.u[crow..], &p.v[crow..]);
        for (x, (px, &luma)) in dst.chunks_exact_mut(channels).zip(y_row).enumerate() {
            let cx = x >> sx;
            let yv = (i32::from(luma) - c.y_off) * c.y_mul;
            let rgb = c.rgb(yv, i32::from(u_row[cx]) - 128, i32::from(v_row[cx]) - 128);
            px[..3].copy_from_slice(&rgb);
        }
        if let Some((plane, stride)) = alpha {
            let a_row = &plane[row * stride..][..p.width];
            for (px, &a) in dst.chunks_exact_mut(4).zip(a_row) {
                px[3] = a;
            }
        }
    }
    out
}

/// Converts a 4:2:0 frame to packed RGB at half size (each side rounded up, as the
/// chroma planes are): each 2×2 luma block averaged, with its own chroma sample.
pub(crate) fn to_rgb_half(p: &Planes<'_>) -> (usize, usize, Vec<u8>) {
    debug_assert_eq!(p.chroma_shift, (1, 1));
    let c = Coefficients::new(p.matrix, p.limited);
    let (w, h) = (p.width.div_ceil(2), p.height.div_ceil(2));
    let mut out = vec![0u8; w * h * 3];
    for (row, dst) in out.chunks_exact_mut(w * 3).enumerate() {
        let top = &p.y[2 * row * p.y_stride..][..p.width];
        // An odd last row pairs with itself.
        let below = (2 * row + 1).min(p.height - 1);
        let bottom = &p.y[below * p.y_stride..][..p.width];
        let (u_row, v_row) = (&p.u[row * p.uv_stride..], &p.v[row * p.uv_stride..]);
        for (x, px) in dst.chunks_exact_mut(3).enumerate() {
            let (l, r) = (2 * x, (2 * x + 1).min(p.width - 1));
            let sum = u32::from(top[l]) + u32::from(top[r]) + u32::from(bottom[l]);
            let sum = (sum + u32::from(bottom[r])) as i32;
            // Mean luma in 16.16 with its quarter-levels kept: (sum/4 - off) × mul.
            let yv = ((sum - 4 * c.y_off) * c.y_mul) >> 2;
            let rgb = c.rgb(yv, i32::from(u_row[x]) - 128, i32::from(v_row[x]) - 128);
            px.copy_from_slice(&rgb);
        }
    }
    (w, h, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planes<'a>(w: usize, h: usize, y: &'a [u8], u: &'a [u8], v: &'a [u8]) -> Planes<'a> {
        Planes {
            width: w,
            height: h,
            y,
            y_stride: w,
            u,
            v,
            uv_stride: w.div_ceil(2),
            chroma_shift: (1, 1),
            limited: false,
            matrix: Matrix::from_code(1).unwrap(),
        }
    }

    #[test]
    fn full_range_primaries_convert_to_their_rgb() {
        // BT.709 full range: Y′CbCr of pure red, green, blue, white, black.
        let m = Matrix::from_code(1).unwrap();
        let to_ycc = |r: f64, g: f64, b: f64| {
            let y = m.kr * r + (1.0 - m.kr - m.kb) * g + m.kb * b;
            let cb = (b - y) / (2.0 * (1.0 - m.kb)) + 128.0;
            let cr = (r - y) / (2.0 * (1.0 - m.kr)) + 128.0;
            [y.round() as u8, cb.round() as u8, cr.round() as u8]
        };
        for rgb in [
            [255.0, 0.0, 0.0],
            [0.0, 255.0, 0.0],
            [0.0, 0.0, 255.0],
            [255.0; 3],
            [0.0; 3],
        ] {
            let [y, u, v] = to_ycc(rgb[0], rgb[1], rgb[2]);
            let out = to_rgb(&planes(1, 1, &[y], &[u], &[v]), None);
            for (got, want) in out.iter().zip(rgb) {
                assert!((f64::from(*got) - want).abs() <= 2.0, "{rgb:?} → {out:?}");
            }
        }
    }

    #[test]
    fn limited_range_maps_16_and_235_to_black_and_white() {
        let mut p = planes(2, 1, &[16, 235], &[128], &[128]);
        p.limited = true;
        assert_eq!(to_rgb(&p, None), vec![0, 0, 0, 255, 255, 255]);
    }

    #[test]
    fn alpha_is_copied_and_chroma_is_nearest() {
        // 4 × 2, 4:2:0: the left and right halves have their own chroma.
        let y = [128u8; 8];
        let p = planes(4, 2, &y, &[100, 160], &[128, 128]);
        let out = to_rgb(&p, Some((&[1, 2, 3, 4, 5, 6, 7, 8], 4)));
        assert_eq!(out.len(), 4 * 2 * 4);
        assert_eq!(
            out.chunks(4).map(|px| px[3]).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(out[0..3], out[4..7]);
        assert_ne!(out[4..7], out[8..11]);
        assert!(out[2] < out[10], "more Cb is more blue");
    }

    #[test]
    fn half_size_is_the_box_reduction_of_the_full_conversion() {
        // Odd sizes: the last column and row pair with themselves.
        let (w, h) = (7usize, 5usize);
        let y: Vec<u8> = (0..w * h).map(|i| (i * 37 % 251) as u8).collect();
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let u: Vec<u8> = (0..cw * ch).map(|i| (90 + i * 13 % 80) as u8).collect();
        let v: Vec<u8> = (0..cw * ch).map(|i| (100 + i * 29 % 70) as u8).collect();
        let p = planes(w, h, &y, &u, &v);
        let (hw, hh, half) = to_rgb_half(&p);
        assert_eq!((hw, hh), (4, 3));
        // The same block's mean luma with its chroma, converted one pixel at a time.
        for by in 0..hh {
            for bx in 0..hw {
                let at = |x: usize, yy: usize| u32::from(y[yy.min(h - 1) * w + x.min(w - 1)]);
                let s = at(2 * bx, 2 * by)
                    + at(2 * bx + 1, 2 * by)
                    + at(2 * bx, 2 * by + 1)
                    + at(2 * bx + 1, 2 * by + 1);
                let mean = ((s + 2) / 4) as u8;
                let one = to_rgb(
                    &planes(1, 1, &[mean], &[u[by * cw + bx]], &[v[by * cw + bx]]),
                    None,
                );
                let got = &half[(by * hw + bx) * 3..][..3];
                for (g, o) in got.iter().zip(&one) {
                    assert!(
                        (i32::from(*g) - i32::from(*o)).abs() <= 1,
                        "{bx},{by}: {got:?} vs {one:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn unsupported_matrices_are_left_to_libavif() {
        for code in [0, 3, 8, 11, 12, 13, 14] {
            assert_eq!(Matrix::from_code(code), None, "{code}");
        }
        assert_eq!(Matrix::from_code(2), Matrix::from_code(6));
    }
}
