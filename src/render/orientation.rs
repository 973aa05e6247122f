//! The eight EXIF orientations: how stored pixels map to what the viewer sees. The pipeline
//! works in stored orientation up to the resize (so the decoder and resizer never rotate a
//! large image) and applies the orientation to the small result; the IIIF mirror and quarter
//! turns are the same eight transforms.

use super::raster::Raster;
use crate::variant::Rect;

/// An EXIF orientation, 1–8. `1` is "as stored"; 5–8 swap width and height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Orientation(u8);

impl Orientation {
    /// Pixels are displayed as stored.
    pub(crate) const NORMAL: Orientation = Orientation(1);

    /// Reads an EXIF orientation value; anything outside 1–8 means "as stored", which is
    /// what browsers do with broken values.
    pub(crate) fn from_exif(value: u32) -> Orientation {
        match value {
            1..=8 => Orientation(value as u8),
            _ => Orientation::NORMAL,
        }
    }

    /// The orientation equivalent to an HEIF/AVIF `irot` (anticlockwise quarter turns)
    /// followed by an optional `imir` (axis 0: left-right, axis 1: top-bottom).
    pub(crate) fn from_heif(anticlockwise_quarters: u8, mirror_axis: Option<u8>) -> Orientation {
        let v = match (anticlockwise_quarters % 4, mirror_axis) {
            (0, None) => 1,
            (0, Some(0)) => 2,
            (0, Some(_)) => 4,
            (1, None) => 8,
            (1, Some(0)) => 7,
            (1, Some(_)) => 5,
            (2, None) => 3,
            (2, Some(0)) => 4,
            (2, Some(_)) => 2,
            (_, None) => 6,
            (_, Some(0)) => 5,
            (_, Some(_)) => 7,
        };
        Orientation(v)
    }

    /// IIIF rotation by clockwise quarter turns, after an optional mirror.
    pub(crate) fn from_iiif(mirror: bool, clockwise_quarters: u8) -> Orientation {
        let v = match (mirror, clockwise_quarters % 4) {
            (false, 0) => 1,
            (false, 1) => 6,
            (false, 2) => 3,
            (false, _) => 8,
            (true, 0) => 2,
            (true, 1) => 7,
            (true, 2) => 4,
            (true, _) => 5,
        };
        Orientation(v)
    }

    /// The orientation as "mirror first (or not), then this many clockwise quarter turns".
    fn parts(self) -> (bool, u8) {
        match self.0 {
            2 => (true, 0),
            3 => (false, 2),
            4 => (true, 2),
            5 => (true, 3),
            6 => (false, 1),
            7 => (true, 1),
            8 => (false, 3),
            _ => (false, 0),
        }
    }

    /// This orientation, then `next`: one transform for both. Mirroring after a turn is
    /// the mirror before the opposite turn, whence the sign.
    pub(crate) fn then(self, next: Orientation) -> Orientation {
        let (m1, q1) = self.parts();
        let (m2, q2) = next.parts();
        let q = if m2 { q2 + 4 - q1 } else { q2 + q1 };
        Orientation::from_iiif(m1 ^ m2, q % 4)
    }

    /// imgproxy's `rotate` (clockwise quarter turns) then `flip` (left-right, then
    /// top-bottom).
    pub(crate) fn from_turns_and_flips(
        quarters: u8,
        horizontal: bool,
        vertical: bool,
    ) -> Orientation {
        let mut o = Orientation::from_iiif(false, quarters);
        if horizontal {
            o = o.then(Orientation::from_iiif(true, 0));
        }
        if vertical {
            o = o.then(Orientation::from_iiif(true, 2));
        }
        o
    }

    /// The EXIF value, 1–8.
    pub(crate) fn value(self) -> u8 {
        self.0
    }

    /// Whether displayed width is the stored height (orientations 5–8).
    pub(crate) fn swaps_axes(self) -> bool {
        self.0 >= 5
    }

    /// Displayed size of a `w`×`h` stored image (also: stored size of a displayed one).
    pub(crate) fn displayed_size(self, w: u32, h: u32) -> (u32, u32) {
        if self.swaps_axes() { (h, w) } else { (w, h) }
    }

    /// Stored coordinates of displayed pixel (`x`, `y`) in a `sw`×`sh` stored image.
    fn stored_xy(self, x: u32, y: u32, sw: u32, sh: u32) -> (u32, u32) {
        match self.0 {
            2 => (sw - 1 - x, y),
            3 => (sw - 1 - x, sh - 1 - y),
            4 => (x, sh - 1 - y),
            5 => (y, x),
            6 => (y, sh - 1 - x),
            7 => (sw - 1 - y, sh - 1 - x),
            8 => (sw - 1 - y, x),
            _ => (x, y),
        }
    }

    /// The stored rectangle that displays as `r`, in a `sw`×`sh` stored image. `r` must lie
    /// inside the displayed image (the planner guarantees it).
    pub(crate) fn rect_to_stored(self, r: Rect, sw: u32, sh: u32) -> Rect {
        let (x, y, w, h) = (r.x, r.y, r.w, r.h);
        let (x, y, w, h) = match self.0 {
            2 => (sw - x - w, y, w, h),
            3 => (sw - x - w, sh - y - h, w, h),
            4 => (x, sh - y - h, w, h),
            5 => (y, x, h, w),
            6 => (y, sh - x - w, h, w),
            7 => (sw - y - h, sh - x - w, h, w),
            8 => (sw - y - h, x, h, w),
            _ => (x, y, w, h),
        };
        Rect { x, y, w, h }
    }

    /// Turns a stored raster into its displayed form.
    pub(crate) fn apply(self, src: Raster) -> Raster {
        if self.0 == 1 {
            return src;
        }
        let (sw, sh) = (src.width(), src.height());
        let (dw, dh) = self.displayed_size(sw, sh);
        let c = src.channels();
        let mut out = Vec::with_capacity(src.data().len());
        let data = src.data();
        for y in 0..dh {
            for x in 0..dw {
                let (sx, sy) = self.stored_xy(x, y, sw, sh);
                let i = (sy as usize * sw as usize + sx as usize) * c;
                out.extend_from_slice(&data[i..i + c]);
            }
        }
        Raster::new(dw, dh, src.layout(), out).unwrap_or(src)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::raster::Layout;

    /// A 3x2 grey image with distinct values, stored as the inverse of `o` applied to
    /// `displayed`, must display back as `displayed`.
    fn numbered(w: u32, h: u32) -> Raster {
        let data = (0..(w * h) as u8).collect();
        Raster::new(w, h, Layout::Gray, data).unwrap()
    }

    #[test]
    fn orientations_match_their_definitions() {
        // Stored 3x2:  0 1 2 / 3 4 5
        let s = numbered(3, 2);
        let shown = |o: u8| Orientation(o).apply(s.clone()).into_data();
        assert_eq!(shown(1), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(shown(2), vec![2, 1, 0, 5, 4, 3]);
        assert_eq!(shown(3), vec![5, 4, 3, 2, 1, 0]);
        assert_eq!(shown(4), vec![3, 4, 5, 0, 1, 2]);
        // 5–8 display as 2x3.
        assert_eq!(shown(5), vec![0, 3, 1, 4, 2, 5]);
        // 6: rotate 90° clockwise to display.
        assert_eq!(shown(6), vec![3, 0, 4, 1, 5, 2]);
        assert_eq!(shown(7), vec![5, 2, 4, 1, 3, 0]);
        // 8: rotate 90° anticlockwise to display.
        assert_eq!(shown(8), vec![2, 5, 1, 4, 0, 3]);
    }

    #[test]
    fn rect_mapping_agrees_with_pixels() {
        let (sw, sh) = (5, 3);
        let s = numbered(sw, sh);
        for o in 1..=8 {
            let o = Orientation(o);
            let shown = o.apply(s.clone());
            let r = Rect {
                x: 1,
                y: 1,
                w: 2,
                h: 1,
            };
            let sr = o.rect_to_stored(r, sw, sh);
            // Every displayed pixel of r comes from inside the stored rectangle.
            for y in r.y..r.y + r.h {
                for x in r.x..r.x + r.w {
                    let v = shown.pixel(x, y)[0] as u32;
                    let (px, py) = (v % sw, v / sw);
                    assert!(
                        px >= sr.x && px < sr.x + sr.w && py >= sr.y && py < sr.y + sr.h,
                        "orientation {} pixel {v} outside {sr:?}",
                        o.value()
                    );
                }
            }
            assert_eq!(sr.w * sr.h, r.w * r.h);
        }
    }

    #[test]
    fn iiif_quarter_turns() {
        // Stored 3x2 rotated 90° clockwise is 2x3: 3 0 / 4 1 / 5 2.
        let s = numbered(3, 2);
        let r = Orientation::from_iiif(false, 1).apply(s.clone());
        assert_eq!((r.width(), r.height()), (2, 3));
        assert_eq!(r.into_data(), vec![3, 0, 4, 1, 5, 2]);
        // Mirror then 90° clockwise: mirrored is 2 1 0 / 5 4 3, rotated: 5 2 / 4 1 / 3 0.
        let r = Orientation::from_iiif(true, 1).apply(s);
        assert_eq!(r.into_data(), vec![5, 2, 4, 1, 3, 0]);
    }

    #[test]
    fn composition_matches_applying_both() {
        let src = numbered(3, 2);
        for a in 1..=8 {
            for b in 1..=8 {
                let (a, b) = (Orientation(a), Orientation(b));
                let both = b.apply(a.apply(src.clone()));
                assert_eq!(a.then(b).apply(src.clone()), both, "{a:?} then {b:?}");
            }
        }
        // A vertical flip is a horizontal one turned by 180°.
        let v = Orientation::from_turns_and_flips(0, false, true);
        assert_eq!(v, Orientation(4));
        assert_eq!(
            Orientation::from_turns_and_flips(1, true, false),
            Orientation(5)
        );
    }

    #[test]
    fn heif_rotation() {
        assert_eq!(Orientation::from_heif(1, None).value(), 8);
        assert_eq!(Orientation::from_heif(3, None).value(), 6);
        assert_eq!(Orientation::from_heif(0, Some(1)).value(), 4);
        assert_eq!(Orientation::from_exif(0).value(), 1);
        assert_eq!(Orientation::from_exif(9).value(), 1);
    }
}
