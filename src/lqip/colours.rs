//! Colours of a small RGBA image: the alpha-weighted average, the dominant colour (the
//! most populated cell of a coarse colour grid, so that a photo of a red boat on a blue
//! sea says blue, where the average says grey), and a box-filter shrink for the
//! placeholder.

use serde::Serialize;

/// A colour as imgproxy's info writes it: `{"R":…,"G":…,"B":…,"A":…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(non_snake_case)]
pub(crate) struct Rgba {
    /// Red, 0–255.
    pub(crate) R: u8,
    /// Green, 0–255.
    pub(crate) G: u8,
    /// Blue, 0–255.
    pub(crate) B: u8,
    /// Alpha, 0–255.
    pub(crate) A: u8,
}

impl Rgba {
    /// `#rrggbb`, for CSS.
    pub(crate) fn hex(&self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.R, self.G, self.B)
    }
}

fn channel(sum: f64, weight: f64) -> u8 {
    if weight == 0.0 {
        0
    } else {
        (sum / weight).round().clamp(0.0, 255.0) as u8
    }
}

/// The mean colour, each pixel weighted by its alpha (a transparent pixel's colour is
/// meaningless), and the mean alpha.
pub(super) fn average(rgba: &[u8]) -> Rgba {
    let (mut r, mut g, mut b, mut a) = (0.0, 0.0, 0.0, 0.0);
    let mut n = 0.0;
    for p in rgba.chunks_exact(4) {
        let w = p[3] as f64;
        r += p[0] as f64 * w;
        g += p[1] as f64 * w;
        b += p[2] as f64 * w;
        a += w;
        n += 1.0;
    }
    Rgba {
        R: channel(r, a),
        G: channel(g, a),
        B: channel(b, a),
        A: channel(a, n),
    }
}

/// Cells per channel of the grid the dominant colour is counted on: 8×8×8 cells of 32
/// levels, coarse enough that a photo's sky is one cell, fine enough to tell hues apart.
const LEVELS: usize = 8;

/// The mean colour of the most populated grid cell among pixels at least half opaque
/// (all of them when none is), opaque.
pub(super) fn dominant(rgba: &[u8]) -> Rgba {
    let cell = |p: &[u8]| {
        let q = |v: u8| v as usize * LEVELS / 256;
        (q(p[0]) * LEVELS + q(p[1])) * LEVELS + q(p[2])
    };
    let any_opaque = rgba.chunks_exact(4).any(|p| p[3] >= 128);
    let counted = |p: &&[u8]| !any_opaque || p[3] >= 128;
    let mut counts = vec![(0u32, [0u64; 3]); LEVELS * LEVELS * LEVELS];
    for p in rgba.chunks_exact(4).filter(counted) {
        let c = &mut counts[cell(p)];
        c.0 += 1;
        for (sum, v) in c.1.iter_mut().zip(p) {
            *sum += *v as u64;
        }
    }
    // Of equally populated cells the last (brightest in blue) wins: deterministic.
    let (n, sums) = counts
        .iter()
        .max_by_key(|(n, _)| *n)
        .copied()
        .unwrap_or_default();
    let n = n.max(1) as f64;
    Rgba {
        R: channel(sums[0] as f64, n),
        G: channel(sums[1] as f64, n),
        B: channel(sums[2] as f64, n),
        A: 255,
    }
}

/// `rgba` (`w`×`h`) averaged down to `to_w`×`to_h` (no larger), each output pixel the
/// mean of the source pixels its box covers, colours weighted by alpha.
pub(super) fn shrink(rgba: &[u8], w: u32, h: u32, to_w: u32, to_h: u32) -> Vec<u8> {
    let (w, h, to_w, to_h) = (w as usize, h as usize, to_w as usize, to_h as usize);
    let mut out = Vec::with_capacity(to_w * to_h * 4);
    for oy in 0..to_h {
        let (y0, y1) = (oy * h / to_h, ((oy + 1) * h / to_h).max(oy * h / to_h + 1));
        for ox in 0..to_w {
            let (x0, x1) = (ox * w / to_w, ((ox + 1) * w / to_w).max(ox * w / to_w + 1));
            let mut px = Vec::with_capacity((y1 - y0) * (x1 - x0) * 4);
            for y in y0..y1.min(h) {
                px.extend_from_slice(&rgba[(y * w + x0) * 4..(y * w + x1.min(w)) * 4]);
            }
            let c = average(&px);
            out.extend_from_slice(&[c.R, c.G, c.B, c.A]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_ignores_the_colour_of_transparent_pixels() {
        let px = [255, 0, 0, 255, 0, 0, 255, 0];
        assert_eq!(
            average(&px),
            Rgba {
                R: 255,
                G: 0,
                B: 0,
                A: 128
            }
        );
    }

    #[test]
    fn dominant_is_the_largest_cluster_not_the_mean() {
        // Three blue pixels, one red: the mean is purple, the dominant blue.
        let px = [
            0, 0, 250, 255, 0, 0, 240, 255, 0, 0, 245, 255, 250, 0, 0, 255,
        ];
        let d = dominant(&px);
        assert_eq!((d.R, d.G, d.B), (0, 0, 245));
        assert_eq!(d.hex(), "#0000f5");
    }

    #[test]
    fn shrink_averages_boxes() {
        // 2×2 → 1×1: the mean of four greys.
        let px = [
            0, 0, 0, 255, 100, 100, 100, 255, 200, 200, 200, 255, 100, 100, 100, 255,
        ];
        assert_eq!(shrink(&px, 2, 2, 1, 1), vec![100, 100, 100, 255]);
        assert_eq!(shrink(&px, 2, 2, 2, 2), px.to_vec());
    }
}
