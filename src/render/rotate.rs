//! IIIF mirroring and rotation, applied after the resize. Multiples of 90° are exact pixel
//! permutations; other angles sample bilinearly (alpha premultiplied) into the bounding
//! box the plan computed, filling the corners with the background.

use super::orientation::Orientation;
use super::raster::{Layout, Raster};
use crate::variant::{Rgb, Rotation};

/// What fills the corners an arbitrary rotation uncovers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Background {
    /// Fully transparent (formats with alpha).
    Transparent,
    /// An opaque colour (white for JPEG unless the request names one).
    Opaque(Rgb),
}

impl Background {
    /// Opaque white.
    pub(crate) const WHITE: Background = Background::Opaque(Rgb(255, 255, 255));

    /// The background as one pixel of `layout` (grey layouts take the colour's luma).
    pub(crate) fn pixel(self, layout: Layout) -> Vec<u8> {
        let (r, g, b, a) = match self {
            Background::Transparent => (0, 0, 0, 0),
            Background::Opaque(Rgb(r, g, b)) => (r, g, b, 255),
        };
        let luma = ((77 * r as u32 + 150 * g as u32 + 29 * b as u32 + 128) >> 8) as u8;
        match layout {
            Layout::Gray => vec![luma],
            Layout::GrayAlpha => vec![luma, a],
            Layout::Rgb => vec![r, g, b],
            Layout::Rgba => vec![r, g, b, a],
            Layout::Cmyk => vec![0, 0, 0, 0],
        }
    }

    /// Whether the colour has no hue, so that grey images stay grey on it.
    pub(crate) fn is_grey(self) -> bool {
        match self {
            Background::Transparent => true,
            Background::Opaque(Rgb(r, g, b)) => r == g && g == b,
        }
    }
}

/// Mirrors (if asked) then rotates `src` clockwise; `out_size` is the plan's output size.
pub(crate) fn rotate(
    src: Raster,
    rotation: Rotation,
    out_size: (u32, u32),
    background: Background,
) -> Raster {
    if let Some(quarters) = rotation.quarter_turns() {
        return Orientation::from_iiif(rotation.mirror, quarters).apply(src);
    }
    let src = if rotation.mirror {
        Orientation::from_iiif(true, 0).apply(src)
    } else {
        src
    };
    arbitrary(src, rotation.degrees, out_size, background)
}

/// Rotates by `degrees` clockwise into an `out_w`×`out_h` canvas centred on the image.
fn arbitrary(src: Raster, degrees: f64, (out_w, out_h): (u32, u32), bg: Background) -> Raster {
    let src = match bg {
        Background::Transparent => src.with_alpha(),
        Background::Opaque(_) if !bg.is_grey() => src.into_rgb_family(),
        Background::Opaque(_) => src,
    };
    let layout = src.layout();
    let c = layout.channels();
    let alpha = layout.has_alpha();
    let fill: Vec<f32> = bg.pixel(layout).into_iter().map(f32::from).collect();
    let (w, h) = (src.width() as i64, src.height() as i64);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx_in, cy_in) = (w as f64 / 2.0, h as f64 / 2.0);
    let (cx_out, cy_out) = (out_w as f64 / 2.0, out_h as f64 / 2.0);
    let data = src.data();

    // A neighbour, premultiplied when there is alpha; outside the image it is the fill.
    let texel = |x: i64, y: i64, out: &mut [f32]| {
        if x < 0 || y < 0 || x >= w || y >= h {
            out.copy_from_slice(&fill);
            return;
        }
        let i = (y as usize * w as usize + x as usize) * c;
        let p = &data[i..i + c];
        let a = if alpha { p[c - 1] as f32 / 255.0 } else { 1.0 };
        for k in 0..c {
            out[k] = if alpha && k < c - 1 {
                p[k] as f32 * a
            } else {
                p[k] as f32
            };
        }
    };

    let mut out = Vec::with_capacity(out_w as usize * out_h as usize * c);
    let mut n = [[0f32; 4]; 4];
    let mut acc = [0f32; 4];
    for oy in 0..out_h {
        for ox in 0..out_w {
            let dx = ox as f64 + 0.5 - cx_out;
            let dy = oy as f64 + 0.5 - cy_out;
            // Inverse of a clockwise rotation (y grows downwards).
            let sx = dx * cos + dy * sin + cx_in - 0.5;
            let sy = -dx * sin + dy * cos + cy_in - 0.5;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = ((sx - x0) as f32, (sy - y0) as f32);
            let (x0, y0) = (x0 as i64, y0 as i64);
            texel(x0, y0, &mut n[0][..c]);
            texel(x0 + 1, y0, &mut n[1][..c]);
            texel(x0, y0 + 1, &mut n[2][..c]);
            texel(x0 + 1, y0 + 1, &mut n[3][..c]);
            let wts = [
                (1.0 - fx) * (1.0 - fy),
                fx * (1.0 - fy),
                (1.0 - fx) * fy,
                fx * fy,
            ];
            for (k, a) in acc[..c].iter_mut().enumerate() {
                *a = n.iter().zip(wts).map(|(t, w)| t[k] * w).sum();
            }
            let a = if alpha { acc[c - 1] / 255.0 } else { 1.0 };
            for (k, &v) in acc[..c].iter().enumerate() {
                // Un-premultiply the colour channels.
                let v = match (alpha && k < c - 1, a > 0.0) {
                    (true, true) => v / a,
                    (true, false) => 0.0,
                    (false, _) => v,
                };
                out.push(v.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    Raster::new(out_w, out_h, layout, out)
        .unwrap_or_else(|_| Raster::filled(out_w.max(1), out_h.max(1), Layout::Rgba, &[0; 4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rot(mirror: bool, degrees: f64) -> Rotation {
        Rotation { mirror, degrees }
    }

    #[test]
    fn quarter_turns_are_exact() {
        let src = Raster::new(3, 1, Layout::Gray, vec![1, 2, 3]).unwrap();
        let r = rotate(src.clone(), rot(false, 90.0), (1, 3), Background::WHITE);
        assert_eq!((r.width(), r.height()), (1, 3));
        assert_eq!(r.data(), &[1, 2, 3]);
        let r = rotate(src.clone(), rot(true, 0.0), (3, 1), Background::WHITE);
        assert_eq!(r.data(), &[3, 2, 1]);
        let r = rotate(src, rot(false, 180.0), (3, 1), Background::WHITE);
        assert_eq!(r.data(), &[3, 2, 1]);
    }

    #[test]
    fn forty_five_degrees_fills_corners() {
        let src = Raster::filled(10, 10, Layout::Rgb, &[255, 0, 0]);
        let r = rotate(
            src.clone(),
            rot(false, 45.0),
            (15, 15),
            Background::Transparent,
        );
        assert_eq!(r.layout(), Layout::Rgba);
        assert_eq!((r.width(), r.height()), (15, 15));
        assert_eq!(r.pixel(0, 0)[3], 0, "corner is transparent");
        assert_eq!(r.pixel(7, 7), &[255, 0, 0, 255], "centre is the image");
        let r = rotate(src, rot(false, 45.0), (15, 15), Background::WHITE);
        assert_eq!(r.layout(), Layout::Rgb);
        assert_eq!(r.pixel(0, 0), &[255, 255, 255]);
        // Premultiplied edges: a half-covered pixel is red with partial alpha, never dark.
        let edge = rotate(
            Raster::filled(10, 10, Layout::Rgb, &[255, 0, 0]),
            rot(false, 30.0),
            (14, 14),
            Background::Transparent,
        );
        for y in 0..14 {
            for x in 0..14 {
                let p = edge.pixel(x, y);
                if p[3] > 0 {
                    assert!(p[0] >= 250, "{x},{y}: {p:?}");
                }
            }
        }
    }

    #[test]
    fn small_clockwise_turn_moves_top_right_down() {
        // A white image with a black top-right corner pixel, turned 10° clockwise: the dark
        // pixel moves right/down of where an anticlockwise turn would put it.
        let mut src = Raster::filled(21, 21, Layout::Gray, &[255]);
        src.data_mut()[20] = 0;
        let r = rotate(src, rot(false, 10.0), (25, 25), Background::WHITE);
        let (mut best, mut at) = (255u8, (0, 0));
        for y in 0..25 {
            for x in 0..25 {
                if r.pixel(x, y)[0] < best {
                    best = r.pixel(x, y)[0];
                    at = (x, y);
                }
            }
        }
        // Clockwise: the top-right corner moves down (y grows) compared with its unrotated
        // position (22, 2) in the 25x25 canvas.
        assert!(at.1 > 2, "{at:?}");
    }
}
