//! Placing an image on a larger canvas (imgproxy `extend`, `extend_aspect_ratio`, `padding`)
//! and where to place it: imgproxy's gravity rules (`calcPosition`), which also position
//! gravity crops.

use crate::render::raster::{Layout, Raster};

/// A gravity anchor, as imgproxy names them (`ce`, `no`, `so`, `ea`, `we`, `noea`, `nowe`,
/// `soea`, `sowe`, `fp`). Smart gravity is [`super::smart`]'s business, not a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gravity {
    Center,
    North,
    South,
    East,
    West,
    NorthEast,
    NorthWest,
    SouthEast,
    SouthWest,
    /// `fp:x:y`: the inner box is centred on the point (`x`, `y`), fractions of the outer
    /// size.
    FocusPoint,
}

/// A gravity with its offsets (imgproxy's `GravityOptions`). For compass gravities `x`/`y`
/// are offsets inwards from the anchored edges (towards right/down for `ce`): pixels when
/// `|v| ≥ 1`, else fractions of the outer size. Pixel offsets are taken as they are: scale
/// them by the DPR before calling. For [`Gravity::FocusPoint`] they are the point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GravityOptions {
    pub(crate) gravity: Gravity,
    pub(crate) x: f64,
    pub(crate) y: f64,
}

impl GravityOptions {
    /// `gravity` without offsets.
    pub(crate) fn new(gravity: Gravity) -> GravityOptions {
        GravityOptions {
            gravity,
            x: 0.0,
            y: 0.0,
        }
    }
}

/// What fills the margin of a canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Background {
    /// Fully transparent: the result has alpha.
    Transparent,
    /// An opaque sRGB colour.
    Colour([u8; 3]),
}

/// Go's `math.RoundToEven` to an integer (imgproxy rounds half to even everywhere here).
fn round_even(v: f64) -> i64 {
    v.round_ties_even() as i64
}

/// `v` scaled by `s`, rounded half to even (imgproxy's `ScaleToEven`).
fn scale_even(v: i64, s: f64) -> i64 {
    round_even(v as f64 * s)
}

/// Top-left corner of an `inner_w`×`inner_h` box in an `outer_w`×`outer_h` one, by
/// imgproxy's `calcPosition` (no overflow): the centre rounds the half-pixel margin half to
/// even, east/south offsets push left/up, and the result is clamped so that the box stays
/// inside (at 0 when it is larger). Used both ways: crop window in an image, image on a
/// canvas.
pub(crate) fn position(
    outer_w: u32,
    outer_h: u32,
    inner_w: u32,
    inner_h: u32,
    g: GravityOptions,
) -> (i64, i64) {
    let (ow, oh, iw, ih) = (
        outer_w as i64,
        outer_h as i64,
        inner_w as i64,
        inner_h as i64,
    );
    let (left, top) = if g.gravity == Gravity::FocusPoint {
        (scale_even(ow, g.x) - iw / 2, scale_even(oh, g.y) - ih / 2)
    } else {
        let offset = |v: f64, outer: i64| {
            if v.abs() >= 1.0 {
                round_even(v)
            } else {
                scale_even(outer, v)
            }
        };
        let (dx, dy) = (offset(g.x, ow), offset(g.y, oh));
        use Gravity::*;
        let left = match g.gravity {
            West | NorthWest | SouthWest => dx,
            East | NorthEast | SouthEast => ow - iw - dx,
            _ => round_even((ow - iw + 1) as f64 / 2.0) + dx,
        };
        let top = match g.gravity {
            North | NorthEast | NorthWest => dy,
            South | SouthEast | SouthWest => oh - ih - dy,
            _ => round_even((oh - ih + 1) as f64 / 2.0) + dy,
        };
        (left, top)
    };
    // Go's max(0, min(v, hi)): 0 wins when the box is larger than the outer one.
    (left.min(ow - iw).max(0), top.min(oh - ih).max(0))
}

/// The layout of the canvas for `src` on `background`: a transparent background adds alpha;
/// a colour keeps the source's alpha (the margin is opaque) and turns grey into RGB unless
/// the colour is grey.
fn canvas_layout(src: Layout, background: Background) -> Layout {
    let grey_ok = match background {
        Background::Transparent => true,
        Background::Colour([r, g, b]) => r == g && g == b,
    };
    let alpha = src.has_alpha() || background == Background::Transparent;
    match (src, grey_ok, alpha) {
        (Layout::Cmyk, ..) => Layout::Cmyk,
        (Layout::Gray | Layout::GrayAlpha, true, false) => Layout::Gray,
        (Layout::Gray | Layout::GrayAlpha, true, true) => Layout::GrayAlpha,
        (_, _, false) => Layout::Rgb,
        (_, _, true) => Layout::Rgba,
    }
}

/// Writes pixel `p` of layout `from` as layout `to` (same or more channels, see
/// [`canvas_layout`]).
fn convert(p: &[u8], from: Layout, out: &mut [u8], to: Layout) {
    if from == to {
        out.copy_from_slice(p);
        return;
    }
    let (grey, alpha) = match from {
        Layout::Gray => (true, 255),
        Layout::GrayAlpha => (true, p[1]),
        Layout::Rgba => (false, p[3]),
        _ => (false, 255),
    };
    let rgb = if grey { [p[0]; 3] } else { [p[0], p[1], p[2]] };
    match to {
        Layout::GrayAlpha => out.copy_from_slice(&[p[0], alpha]),
        Layout::Rgb => out.copy_from_slice(&rgb),
        Layout::Rgba => out.copy_from_slice(&[rgb[0], rgb[1], rgb[2], alpha]),
        _ => out.copy_from_slice(&p[..out.len()]),
    }
}

/// `src` placed with its top-left corner at (`left`, `top`) on an `out_w`×`out_h` canvas of
/// `background` (sizes of 0 count as 1). Parts of `src` outside the canvas are cut off, so
/// any position is safe. Layout: see [`canvas_layout`]; a Cmyk source gets a zero margin.
pub(crate) fn place(
    src: &Raster,
    out_w: u32,
    out_h: u32,
    left: i64,
    top: i64,
    background: Background,
) -> Raster {
    let (out_w, out_h) = (out_w.max(1), out_h.max(1));
    let layout = canvas_layout(src.layout(), background);
    let fill: Vec<u8> = match (background, layout) {
        (Background::Transparent, _) | (_, Layout::Cmyk) => vec![0; layout.channels()],
        (Background::Colour([r, ..]), Layout::Gray) => vec![r],
        (Background::Colour([r, ..]), Layout::GrayAlpha) => vec![r, 255],
        (Background::Colour([r, g, b]), Layout::Rgb) => vec![r, g, b],
        (Background::Colour([r, g, b]), _) => vec![r, g, b, 255],
    };
    let mut out = Raster::filled(out_w, out_h, layout, &fill);
    let (sc, oc) = (src.channels(), layout.channels());
    // The visible part of the source, in source coordinates.
    let x0 = (-left).clamp(0, src.width() as i64);
    let x1 = (out_w as i64 - left).clamp(x0, src.width() as i64);
    let y0 = (-top).clamp(0, src.height() as i64);
    let y1 = (out_h as i64 - top).clamp(y0, src.height() as i64);
    let (sstride, ostride) = (src.stride(), out.stride());
    for y in y0..y1 {
        let s = &src.data()[y as usize * sstride..][x0 as usize * sc..x1 as usize * sc];
        let oy = (y + top) as usize;
        let ox = (x0 + left) as usize;
        let o = &mut out.data_mut()[oy * ostride..][ox * oc..(ox + (x1 - x0) as usize) * oc];
        if src.layout() == layout {
            o.copy_from_slice(s);
        } else {
            for (d, p) in o.chunks_exact_mut(oc).zip(s.chunks_exact(sc)) {
                convert(p, src.layout(), d, layout);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(gravity: Gravity, x: f64, y: f64) -> (i64, i64) {
        position(100, 80, 30, 20, GravityOptions { gravity, x, y })
    }

    #[test]
    fn compass_positions_follow_imgproxy() {
        use Gravity::*;
        // Centre: (70 + 1) / 2 = 35.5 → 36 and (60 + 1) / 2 = 30.5 → 30 (half to even).
        assert_eq!(at(Center, 0.0, 0.0), (36, 30));
        assert_eq!(at(North, 0.0, 0.0), (36, 0));
        assert_eq!(at(South, 0.0, 0.0), (36, 60));
        assert_eq!(at(East, 0.0, 0.0), (70, 30));
        assert_eq!(at(West, 0.0, 0.0), (0, 30));
        assert_eq!(at(NorthEast, 0.0, 0.0), (70, 0));
        assert_eq!(at(NorthWest, 0.0, 0.0), (0, 0));
        assert_eq!(at(SouthEast, 0.0, 0.0), (70, 60));
        assert_eq!(at(SouthWest, 0.0, 0.0), (0, 60));
        // Even margins: (100 - 40 + 1) / 2 = 30.5 → 30.
        let g = GravityOptions::new(Center);
        assert_eq!(position(100, 80, 40, 20, g), (30, 30));
        assert_eq!(position(7, 7, 4, 4, g), (2, 2));
    }

    #[test]
    fn offsets_are_pixels_or_fractions_and_point_inwards() {
        use Gravity::*;
        assert_eq!(at(NorthWest, 5.0, 10.0), (5, 10));
        // East/south offsets move away from their edge.
        assert_eq!(at(SouthEast, 5.0, 10.0), (65, 50));
        // |v| < 1: a fraction of the outer size (100 × 0.1 = 10, 80 × 0.25 = 20).
        assert_eq!(at(SouthEast, 0.1, 0.25), (60, 40));
        assert_eq!(at(Center, -0.2, 0.0), (16, 30));
        assert_eq!(at(North, 1.0, 2.5), (37, 2));
        // Clamped inside the outer box.
        assert_eq!(at(West, -50.0, 0.0), (0, 30));
        assert_eq!(at(East, -50.0, 0.0), (70, 30));
        assert_eq!(at(South, 0.0, 500.0), (36, 0));
    }

    #[test]
    fn focus_point_centres_the_box() {
        use Gravity::FocusPoint;
        assert_eq!(at(FocusPoint, 0.5, 0.5), (35, 30));
        assert_eq!(at(FocusPoint, 0.333, 0.9), (18, 60));
        assert_eq!(at(FocusPoint, 0.0, 0.0), (0, 0));
        assert_eq!(at(FocusPoint, 1.0, 1.0), (70, 60));
        // A box larger than the outer one sits at 0.
        let g = GravityOptions::new(FocusPoint);
        assert_eq!(position(10, 10, 30, 30, g), (0, 0));
        assert_eq!(
            position(1, 1, 1, 1, GravityOptions::new(Gravity::SouthEast)),
            (0, 0)
        );
    }

    #[test]
    fn place_on_colour_keeps_layout_and_fills_margin() {
        let src = Raster::new(2, 1, Layout::Rgb, vec![1, 2, 3, 4, 5, 6]).unwrap();
        let out = place(&src, 4, 3, 1, 1, Background::Colour([9, 8, 7]));
        assert_eq!(
            (out.width(), out.height(), out.layout()),
            (4, 3, Layout::Rgb)
        );
        assert_eq!(out.pixel(0, 0), &[9, 8, 7]);
        assert_eq!(out.pixel(1, 1), &[1, 2, 3]);
        assert_eq!(out.pixel(2, 1), &[4, 5, 6]);
        assert_eq!(out.pixel(3, 1), &[9, 8, 7]);
        assert_eq!(out.pixel(2, 2), &[9, 8, 7]);
        // Alpha source on a colour: alpha kept, margin opaque.
        let rgba = Raster::new(1, 1, Layout::Rgba, vec![1, 2, 3, 40]).unwrap();
        let out = place(&rgba, 2, 1, 1, 0, Background::Colour([0, 0, 0]));
        assert_eq!(out.data(), &[0, 0, 0, 255, 1, 2, 3, 40]);
        // Grey stays grey on grey, becomes RGB on a colour.
        let g = Raster::new(1, 1, Layout::Gray, vec![50]).unwrap();
        assert_eq!(
            place(&g, 2, 1, 0, 0, Background::Colour([7, 7, 7])).data(),
            &[50, 7]
        );
        let out = place(&g, 2, 1, 0, 0, Background::Colour([255, 0, 0]));
        assert_eq!(out.data(), &[50, 50, 50, 255, 0, 0]);
    }

    #[test]
    fn place_on_transparent_adds_alpha() {
        let g = Raster::new(1, 1, Layout::Gray, vec![50]).unwrap();
        let out = place(&g, 2, 2, 1, 1, Background::Transparent);
        assert_eq!(out.layout(), Layout::GrayAlpha);
        assert_eq!(out.data(), &[0, 0, 0, 0, 0, 0, 50, 255]);
        let rgb = Raster::new(1, 1, Layout::Rgb, vec![1, 2, 3]).unwrap();
        let out = place(&rgb, 1, 2, 0, 0, Background::Transparent);
        assert_eq!(out.data(), &[1, 2, 3, 255, 0, 0, 0, 0]);
    }

    #[test]
    fn place_clips_anywhere() {
        let src = Raster::new(3, 1, Layout::Gray, vec![1, 2, 3]).unwrap();
        let bg = Background::Colour([0, 0, 0]);
        assert_eq!(place(&src, 2, 1, -1, 0, bg).data(), &[2, 3]);
        assert_eq!(place(&src, 2, 1, 1, 0, bg).data(), &[0, 1]);
        assert_eq!(place(&src, 2, 1, 9, 9, bg).data(), &[0, 0]);
        assert_eq!(place(&src, 2, 1, -9, -9, bg).data(), &[0, 0]);
        assert_eq!(place(&src, 0, 0, 0, 0, bg).data(), &[1]);
        // Padding a 1×1 by 2 on each side, positioned by gravity.
        let one = Raster::filled(1, 1, Layout::Rgba, &[5, 5, 5, 255]);
        let (l, t) = position(5, 5, 1, 1, GravityOptions::new(Gravity::Center));
        let out = place(&one, 5, 5, l, t, Background::Transparent);
        assert_eq!(out.pixel(2, 2), &[5, 5, 5, 255]);
        assert_eq!(out.data().iter().filter(|&&v| v != 0).count(), 4);
    }
}
