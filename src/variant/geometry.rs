//! Placement arithmetic shared by crops and canvases: where a window goes inside a larger
//! area for a gravity (imgproxy's rules: compass offsets are pixels from 1 up, fractions
//! of the outer size below; a focus point centres the window on it), and exact scale
//! factors kept as fractions so that IIIF sizes round as the specification computes them.

use super::model::{Gravity, GravityKind};

/// A scale factor `num / den`, applied to a length as `len * num / den`: one rounding,
/// whatever chain of factors built it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale {
    num: f64,
    den: f64,
}

impl Scale {
    /// `num / den`.
    pub(crate) fn ratio(num: f64, den: f64) -> Scale {
        Scale { num, den }
    }

    /// The factor as one number.
    pub(crate) fn value(self) -> f64 {
        self.num / self.den
    }

    /// This scale times `f`.
    pub(crate) fn times(self, f: f64) -> Scale {
        Scale {
            num: self.num * f,
            den: self.den,
        }
    }

    /// This scale divided by `f`.
    pub(crate) fn over(self, f: f64) -> Scale {
        Scale {
            num: self.num,
            den: self.den * f,
        }
    }

    /// `len` scaled and rounded, at least 1.
    pub(crate) fn apply(self, len: u32) -> u32 {
        (len as f64 * self.num / self.den)
            .round()
            .clamp(1.0, u32::MAX as f64) as u32
    }
}

/// Rounds half to even, as Go's `math.RoundToEven` (imgproxy's offsets).
fn round_even(v: f64) -> i64 {
    v.round_ties_even() as i64
}

/// The top-left corner of an `inner_w`×`inner_h` window placed by `gravity` in an
/// `outer_w`×`outer_h` area, clamped so that the window stays inside it (or, when the
/// window is the larger, so that it covers the area). `dpr` scales pixel offsets.
/// Smart gravity is placed in the centre here: the renderer, which has the pixels, moves it.
pub(crate) fn position(
    outer_w: u32,
    outer_h: u32,
    inner_w: u32,
    inner_h: u32,
    gravity: &Gravity,
    dpr: f64,
) -> (i64, i64) {
    let (ow, oh, iw, ih) = (
        outer_w as i64,
        outer_h as i64,
        inner_w as i64,
        inner_h as i64,
    );
    let (mut left, mut top);
    if gravity.kind == GravityKind::FocusPoint {
        left = round_even(ow as f64 * gravity.x) - iw / 2;
        top = round_even(oh as f64 * gravity.y) - ih / 2;
    } else {
        let offset = |v: f64, total: i64| {
            if v.abs() >= 1.0 {
                round_even(v * dpr)
            } else {
                round_even(total as f64 * v)
            }
        };
        let (dx, dy) = (offset(gravity.x, ow), offset(gravity.y, oh));
        left = round_even((ow - iw + 1) as f64 / 2.0) + dx;
        top = round_even((oh - ih + 1) as f64 / 2.0) + dy;
        use GravityKind::*;
        if matches!(gravity.kind, North | NorthEast | NorthWest) {
            top = dy;
        }
        if matches!(gravity.kind, East | NorthEast | SouthEast) {
            left = ow - iw - dx;
        }
        if matches!(gravity.kind, South | SouthEast | SouthWest) {
            top = oh - ih - dy;
        }
        if matches!(gravity.kind, West | NorthWest | SouthWest) {
            left = dx;
        }
    }
    let clamp = |v: i64, outer: i64, inner: i64| {
        let (lo, hi) = if inner <= outer {
            (0, outer - inner)
        } else {
            (outer - inner, 0)
        };
        v.clamp(lo, hi)
    };
    (clamp(left, ow, iw), clamp(top, oh, ih))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(kind: GravityKind, x: f64, y: f64) -> Gravity {
        Gravity { kind, x, y }
    }

    #[test]
    fn compass_points() {
        use GravityKind::*;
        let at = |k| position(100, 50, 20, 10, &g(k, 0.0, 0.0), 1.0);
        assert_eq!(at(Center), (40, 20));
        assert_eq!(at(North), (40, 0));
        assert_eq!(at(South), (40, 40));
        assert_eq!(at(East), (80, 20));
        assert_eq!(at(West), (0, 20));
        assert_eq!(at(NorthEast), (80, 0));
        assert_eq!(at(NorthWest), (0, 0));
        assert_eq!(at(SouthEast), (80, 40));
        assert_eq!(at(SouthWest), (0, 40));
    }

    #[test]
    fn offsets_pixels_fractions_and_dpr() {
        use GravityKind::*;
        // Pixels from 1 up, scaled by the DPR; inward from the named edge.
        assert_eq!(position(100, 50, 20, 10, &g(East, 5.0, 0.0), 2.0), (70, 20));
        assert_eq!(position(100, 50, 20, 10, &g(North, 0.0, 3.0), 1.0), (40, 3));
        // Fractions of the outer size below 1.
        assert_eq!(position(100, 50, 20, 10, &g(West, 0.1, 0.0), 1.0), (10, 20));
        // Clamped inside.
        assert_eq!(
            position(100, 50, 20, 10, &g(West, 500.0, 0.0), 1.0),
            (80, 20)
        );
    }

    #[test]
    fn focus_point() {
        let fp = |x, y| g(GravityKind::FocusPoint, x, y);
        assert_eq!(position(100, 100, 20, 20, &fp(0.5, 0.5), 1.0), (40, 40));
        assert_eq!(position(100, 100, 20, 20, &fp(0.0, 1.0), 1.0), (0, 80));
        assert_eq!(position(100, 100, 20, 20, &fp(0.25, 0.3), 1.0), (15, 20));
    }

    #[test]
    fn scale_rounds_once() {
        let s = Scale::ratio(400.0, 1000.0);
        assert_eq!(s.apply(600), 240);
        assert_eq!(Scale::ratio(1.0, 6.0).times(3.0).apply(1), 1);
        assert_eq!(Scale::ratio(3.0, 1.0).over(2.0).apply(3), 5); // 4.5 rounds up
    }
}
