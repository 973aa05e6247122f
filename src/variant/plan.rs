//! Resolving a [`Variant`] against a concrete image: the rectangle to cut, the size to
//! scale it to, the result crop, the canvas, with the dialect's upscaling rule and the
//! server's output limits applied. Pure arithmetic (imgproxy's geometry, IIIF's rounding);
//! the renderer calls it once it knows the image's size.

use super::VariantError;
use super::geometry::{Scale, position};
use super::model::{
    Colour, Format, Gravity, GravityKind, Padding, Region, Resize, ResizeMode, Rgb, Rotation,
    Upscale, Variant,
};

/// Server-imposed output limits, advertised as `maxWidth`/`maxHeight`/`maxArea` in
/// `info.json` and enforced here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Largest output width.
    pub max_width: u32,
    /// Largest output height.
    pub max_height: u32,
    /// Largest output area in pixels.
    pub max_area: u64,
}

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width, at least 1.
    pub w: u32,
    /// Height, at least 1.
    pub h: u32,
}

/// Where the result crop goes in the scaled image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crop {
    /// This rectangle of the scaled image.
    At(Rect),
    /// A window of this size with the most detail (smart gravity): placed by the renderer.
    Smart { w: u32, h: u32 },
}

/// The final canvas when the image is extended or padded: its size and where the image
/// sits on it. The rest is background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canvas {
    /// Canvas width.
    pub width: u32,
    /// Canvas height.
    pub height: u32,
    /// Left edge of the image on the canvas.
    pub x: u32,
    /// Top edge of the image on the canvas.
    pub y: u32,
}

/// Everything the renderer needs to produce a variant, in the oriented source's
/// coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Part of the oriented source to cut.
    pub region: Rect,
    /// Size the region is scaled to.
    pub width: u32,
    /// Size the region is scaled to.
    pub height: u32,
    /// Cut from the scaled image (`fill`), if any.
    pub crop: Option<Crop>,
    /// Canvas the cropped image is placed on (`extend`, `padding`), if any.
    pub canvas: Option<Canvas>,
    /// Fill of the canvas, rotated corners and, for formats without alpha, transparency.
    pub background: Option<Rgb>,
    /// Mirroring then rotation applied last.
    pub rotation: Rotation,
    /// Colour treatment.
    pub colour: Colour,
    /// Output encoding.
    pub format: Format,
}

impl Plan {
    /// Size of the image before the final rotation: canvas, else crop, else scaled.
    pub fn unrotated_size(&self) -> (u32, u32) {
        match (self.canvas, self.crop) {
            (Some(c), _) => (c.width, c.height),
            (None, Some(Crop::At(r))) => (r.w, r.h),
            (None, Some(Crop::Smart { w, h })) => (w, h),
            (None, None) => (self.width, self.height),
        }
    }

    /// Dimensions of the final image, after rotation (the bounding box for arbitrary
    /// angles).
    pub fn output_size(&self) -> (u32, u32) {
        let (w, h) = self.unrotated_size();
        match self.rotation.quarter_turns() {
            Some(0) | Some(2) => (w, h),
            Some(_) => (h, w),
            None => {
                let rad = self.rotation.degrees.to_radians();
                let (s, c) = (rad.sin().abs(), rad.cos().abs());
                let (w, h) = (w as f64, h as f64);
                let bw = (w * c + h * s - 1e-6).ceil().max(1.0);
                let bh = (w * s + h * c - 1e-6).ceil().max(1.0);
                (bw as u32, bh as u32)
            }
        }
    }
}

fn invalid(msg: impl Into<String>) -> VariantError {
    VariantError::Invalid(msg.into())
}

/// Resolves `variant` for an image that shows as `width`×`height` pixels once oriented
/// (and trimmed), encoded as `format`.
pub fn resolve(
    variant: &Variant,
    width: u32,
    height: u32,
    format: Format,
    limits: &PlanLimits,
) -> Result<Plan, VariantError> {
    if width == 0 || height == 0 {
        return Err(invalid("image has no pixels"));
    }
    let region = resolve_region(&variant.region, width, height)?;
    let sized = size(&variant.resize, variant, region.w, region.h, limits)?;
    let crop = result_crop(variant, &sized);
    let (iw, ih) = match crop {
        Some(Crop::At(r)) => (r.w, r.h),
        Some(Crop::Smart { w, h }) => (w, h),
        None => (sized.width, sized.height),
    };
    let canvas = canvas(variant, &sized, iw, ih);
    let plan = Plan {
        region,
        width: sized.width,
        height: sized.height,
        crop,
        canvas,
        background: variant.background,
        rotation: variant.rotation,
        colour: variant.colour,
        format,
    };
    let (w, h) = plan.output_size();
    if w > limits.max_width || h > limits.max_height || (w as u64) * (h as u64) > limits.max_area {
        return Err(invalid(format!(
            "size {w}x{h} exceeds the server limits (maxWidth {}, maxHeight {}, maxArea {})",
            limits.max_width, limits.max_height, limits.max_area
        )));
    }
    Ok(plan)
}

fn resolve_region(region: &Region, width: u32, height: u32) -> Result<Rect, VariantError> {
    match *region {
        Region::Full => Ok(Rect {
            x: 0,
            y: 0,
            w: width,
            h: height,
        }),
        Region::Square => {
            let side = width.min(height);
            Ok(Rect {
                x: (width - side) / 2,
                y: (height - side) / 2,
                w: side,
                h: side,
            })
        }
        Region::Pixels { x, y, w, h } => {
            clip(x as u64, y as u64, w as u64, h as u64, width, height)
        }
        Region::Percent { x, y, w, h } => {
            let px = |pct: f64, total: u32| (pct / 100.0 * total as f64).round() as u64;
            let (x0, y0) = (px(x, width), px(y, height));
            let (x1, y1) = (px(x + w, width), px(y + h, height));
            // A positive percentage never rounds to nothing: keep at least one pixel.
            let rw = if w > 0.0 { (x1 - x0).max(1) } else { 0 };
            let rh = if h > 0.0 { (y1 - y0).max(1) } else { 0 };
            clip(x0, y0, rw, rh, width, height)
        }
        Region::Gravity { w, h, gravity } => {
            // imgproxy: a side of 0 is the whole side, below 1 a fraction, else pixels.
            let side = |v: f64, total: u32| -> u32 {
                match v {
                    v if v <= 0.0 => total,
                    v if v < 1.0 => ((total as f64 * v).round() as u32).clamp(1, total),
                    v => (v as u32).clamp(1, total),
                }
            };
            let (cw, ch) = (side(w, width), side(h, height));
            let (x, y) = position(width, height, cw, ch, &gravity, 1.0);
            Ok(Rect {
                x: x as u32,
                y: y as u32,
                w: cw,
                h: ch,
            })
        }
    }
}

fn clip(x: u64, y: u64, w: u64, h: u64, width: u32, height: u32) -> Result<Rect, VariantError> {
    if w == 0 || h == 0 {
        return Err(invalid("region width and height must be greater than zero"));
    }
    if x >= width as u64 || y >= height as u64 {
        return Err(invalid(format!(
            "region starts outside the image ({width}x{height})"
        )));
    }
    Ok(Rect {
        x: x as u32,
        y: y as u32,
        w: w.min(width as u64 - x) as u32,
        h: h.min(height as u64 - y) as u32,
    })
}

/// The scaled size of a region, and the target box (with the DPR) that the result crop
/// and the extension refer to.
#[derive(Debug)]
struct Sized {
    width: u32,
    height: u32,
    target_w: u32,
    target_h: u32,
    dpr: f64,
}

/// Largest scale factor the server limits allow for a `rw`×`rh` region.
fn limit_scale(rw: u32, rh: u32, limits: &PlanLimits) -> f64 {
    let (rw, rh) = (rw as f64, rh as f64);
    let by_w = limits.max_width as f64 / rw;
    let by_h = limits.max_height as f64 / rh;
    let by_area = (limits.max_area as f64 / (rw * rh)).sqrt();
    by_w.min(by_h).min(by_area)
}

/// Scales `rw`×`rh` by `scale`, then nudges the result down so that it fits the limits
/// exactly (rounding may otherwise overshoot by a pixel).
fn scaled_within(rw: u32, rh: u32, scale: f64, limits: &PlanLimits) -> (u32, u32) {
    let dim = |v: f64| v.round().clamp(1.0, u32::MAX as f64) as u32;
    let mut w = dim(rw as f64 * scale).min(limits.max_width);
    let mut h = dim(rh as f64 * scale).min(limits.max_height);
    while (w as u64) * (h as u64) > limits.max_area && (w > 1 || h > 1) {
        if w >= h {
            w -= 1;
            h = dim(w as f64 * rh as f64 / rw as f64).min(h);
        } else {
            h -= 1;
            w = dim(h as f64 * rw as f64 / rh as f64).min(w);
        }
    }
    (w, h)
}

/// imgproxy's scale computation (`calcScale`), with IIIF's refusal of upscaling.
fn size(
    r: &Resize,
    variant: &Variant,
    rw: u32,
    rh: u32,
    limits: &PlanLimits,
) -> Result<Sized, VariantError> {
    if r.is_none() || r.mode == ResizeMode::Max {
        // The region as it is (or as large as allowed), within the output limits.
        let mut scale = limit_scale(rw, rh, limits);
        if r.mode != ResizeMode::Max || r.upscale != Upscale::Allow {
            scale = scale.min(1.0);
        }
        let (width, height) = scaled_within(rw, rh, scale, limits);
        return Ok(Sized {
            width,
            height,
            target_w: 0,
            target_h: 0,
            dpr: 1.0,
        });
    }
    let (tw, th) = (r.width, r.height);
    let mut sx = Scale::ratio(if tw > 0 { tw } else { rw } as f64, rw as f64);
    let mut sy = Scale::ratio(if th > 0 { th } else { rh } as f64, rh as f64);
    if tw > 0 || th > 0 {
        let mut mode = r.mode;
        if mode == ResizeMode::Auto {
            let src_landscape = rw >= rh;
            let dst_landscape = (if tw > 0 { tw } else { rw }) >= (if th > 0 { th } else { rh });
            mode = if src_landscape == dst_landscape {
                ResizeMode::Fill
            } else {
                ResizeMode::Fit
            };
        }
        let force = mode == ResizeMode::Force;
        if tw == 0 && !force {
            sx = sy;
        } else if th == 0 && !force {
            sy = sx;
        } else if mode == ResizeMode::Fit {
            let s = if sx.value() <= sy.value() { sx } else { sy };
            (sx, sy) = (s, s);
        } else if matches!(mode, ResizeMode::Fill | ResizeMode::FillDown) {
            let s = if sx.value() >= sy.value() { sx } else { sy };
            (sx, sy) = (s, s);
        }
    }
    sx = sx.times(r.zoom.0);
    sy = sy.times(r.zoom.1);
    let mut dpr = r.dpr;
    if r.upscale != Upscale::Allow {
        let most = sx.value().max(sy.value());
        if most > 1.0 {
            if r.upscale == Upscale::Refuse {
                return Err(invalid(format!(
                    "the requested size is larger than the region {rw}x{rh}; prefix it with ^ to upscale"
                )));
            }
            sx = sx.over(most);
            sy = sy.over(most);
            if variant.extend.to_size.is_none() {
                dpr *= most;
            }
        }
        dpr = dpr.min(1.0 / sx.value().max(sy.value()));
    }
    if r.min_width > 0 && (r.min_width as f64 / rw as f64) > sx.value() {
        let min = Scale::ratio(r.min_width as f64, rw as f64);
        sy = sy.times(min.value() / sx.value());
        sx = min;
    }
    if r.min_height > 0 && (r.min_height as f64 / rh as f64) > sy.value() {
        let min = Scale::ratio(r.min_height as f64, rh as f64);
        sx = sx.times(min.value() / sy.value());
        sy = min;
    }
    if dpr != 1.0 {
        sx = sx.times(dpr);
        sy = sy.times(dpr);
    }
    let scaled = |tgt: u32, zoom: f64| -> u32 {
        if tgt == 0 {
            0
        } else {
            (tgt as f64 * dpr * zoom).round().max(1.0) as u32
        }
    };
    Ok(Sized {
        width: sx.apply(rw),
        height: sy.apply(rh),
        target_w: scaled(tw, r.zoom.0),
        target_h: scaled(th, r.zoom.1),
        dpr,
    })
}

/// The crop of the scaled image to the target box (`fill`, `fill-down`; a no-op for
/// `fit` and `force`, whose result already fits).
fn result_crop(variant: &Variant, s: &Sized) -> Option<Crop> {
    let r = &variant.resize;
    let (mut cw, mut ch) = (s.target_w, s.target_h);
    if r.mode == ResizeMode::FillDown && r.upscale != Upscale::Allow && cw > 0 && ch > 0 {
        // Never enlarged: crop to the target's aspect ratio instead.
        let dw = cw as f64 / s.width as f64;
        let dh = ch as f64 / s.height as f64;
        if dw > dh && dw > 1.0 {
            (cw, ch) = (
                s.width,
                (s.width as f64 * ch as f64 / cw as f64).round() as u32,
            );
        } else if dh > dw && dh > 1.0 {
            (cw, ch) = (
                (s.height as f64 * cw as f64 / ch as f64).round() as u32,
                s.height,
            );
        }
    }
    let cw = if cw == 0 { s.width } else { cw.min(s.width) }.max(1);
    let ch = if ch == 0 { s.height } else { ch.min(s.height) }.max(1);
    if cw >= s.width && ch >= s.height {
        return None;
    }
    if variant.gravity.kind == GravityKind::Smart {
        return Some(Crop::Smart { w: cw, h: ch });
    }
    let (x, y) = position(s.width, s.height, cw, ch, &variant.gravity, s.dpr);
    Some(Crop::At(Rect {
        x: x as u32,
        y: y as u32,
        w: cw,
        h: ch,
    }))
}

/// Extension to the target size, to the target's aspect ratio, and padding, merged into
/// one canvas (they share the background).
fn canvas(variant: &Variant, s: &Sized, iw: u32, ih: u32) -> Option<Canvas> {
    let place = |g: &Gravity, w: u32, h: u32| -> (u32, u32, u32, u32) {
        let (w, h) = (w.max(iw), h.max(ih));
        let (x, y) = position(w, h, iw, ih, g, s.dpr);
        (w, h, x as u32, y as u32)
    };
    let (mut w, mut h, mut x, mut y) = (iw, ih, 0, 0);
    let (tw, th) = (s.target_w, s.target_h);
    if let Some(g) = &variant.extend.to_size {
        let tw = if tw == 0 { iw } else { tw };
        let th = if th == 0 { ih } else { th };
        if tw > iw || th > ih {
            (w, h, x, y) = place(g, tw, th);
        }
    } else if let Some(g) = &variant.extend.to_aspect
        && tw > 0
        && th > 0
    {
        let (dw, dh) = (tw as f64 / iw as f64, th as f64 / ih as f64);
        if dh > dw {
            (w, h, x, y) = place(g, iw, (iw as f64 * th as f64 / tw as f64).round() as u32);
        } else if dw > dh {
            (w, h, x, y) = place(g, (ih as f64 * tw as f64 / th as f64).round() as u32, ih);
        }
    }
    let Padding {
        top,
        right,
        bottom,
        left,
    } = variant.padding;
    let pad = |v: u32| (v as f64 * s.dpr).round_ties_even() as u32;
    let (top, right, bottom, left) = (pad(top), pad(right), pad(bottom), pad(left));
    w += left + right;
    h += top + bottom;
    x += left;
    y += top;
    if (w, h) == (iw, ih) {
        None
    } else {
        Some(Canvas {
            width: w,
            height: h,
            x,
            y,
        })
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::iiif::parse_params;

    const LIMITS: PlanLimits = PlanLimits {
        max_width: 4000,
        max_height: 4000,
        max_area: 4_000_000,
    };

    fn plan(params: &str, w: u32, h: u32) -> Result<Plan, VariantError> {
        let spec = parse_params(params).expect("parses");
        resolve(&spec, w, h, Format::Jpeg, &LIMITS)
    }

    fn size_of(params: &str, w: u32, h: u32) -> (u32, u32) {
        let p = plan(params, w, h).expect("resolves");
        (p.width, p.height)
    }

    #[test]
    fn regions() {
        let r = |p: &str| plan(p, 1000, 600).unwrap().region;
        assert_eq!(
            r("full/max/0/default.jpg"),
            Rect {
                x: 0,
                y: 0,
                w: 1000,
                h: 600
            }
        );
        assert_eq!(
            r("square/max/0/default.jpg"),
            Rect {
                x: 200,
                y: 0,
                w: 600,
                h: 600
            }
        );
        assert_eq!(
            r("10,20,30,40/max/0/default.jpg"),
            Rect {
                x: 10,
                y: 20,
                w: 30,
                h: 40
            }
        );
        // Clipped at the right and bottom edges.
        assert_eq!(
            r("900,500,300,300/max/0/default.jpg"),
            Rect {
                x: 900,
                y: 500,
                w: 100,
                h: 100
            }
        );
        assert_eq!(
            r("pct:10,50,20,50/max/0/default.jpg"),
            Rect {
                x: 100,
                y: 300,
                w: 200,
                h: 300
            }
        );
        assert_eq!(
            r("pct:0,0,0.01,100/max/0/default.jpg"),
            Rect {
                x: 0,
                y: 0,
                w: 1,
                h: 600
            }
        );
    }

    #[test]
    fn region_errors() {
        assert!(matches!(
            plan("1000,0,10,10/max/0/default.jpg", 1000, 600),
            Err(VariantError::Invalid(_))
        ));
        assert!(matches!(
            plan("0,0,0,10/max/0/default.jpg", 1000, 600),
            Err(VariantError::Invalid(_))
        ));
        assert!(matches!(
            plan("pct:100,0,10,10/max/0/default.jpg", 1000, 600),
            Err(VariantError::Invalid(_))
        ));
    }

    #[test]
    fn sizes() {
        assert_eq!(size_of("full/max/0/default.jpg", 1000, 600), (1000, 600));
        assert_eq!(size_of("full/500,/0/default.jpg", 1000, 600), (500, 300));
        assert_eq!(size_of("full/,300/0/default.jpg", 1000, 600), (500, 300));
        assert_eq!(size_of("full/pct:50/0/default.jpg", 1000, 600), (500, 300));
        assert_eq!(size_of("full/200,200/0/default.jpg", 1000, 600), (200, 200));
        assert_eq!(
            size_of("full/!500,500/0/default.jpg", 1000, 600),
            (500, 300)
        );
        // One side of the box smaller than the region: no upscaling needed.
        assert_eq!(
            size_of("full/!2000,300/0/default.jpg", 1000, 600),
            (500, 300)
        );
        assert_eq!(
            size_of("full/^!2000,2000/0/default.jpg", 1000, 600),
            (2000, 1200)
        );
        assert_eq!(size_of("full/^1500,/0/default.jpg", 1000, 600), (1500, 900));
        assert_eq!(
            size_of("full/^pct:150/0/default.jpg", 1000, 600),
            (1500, 900)
        );
        // Extreme aspect ratios never round to zero pixels.
        assert_eq!(size_of("full/100,/0/default.jpg", 1000, 1), (100, 1));
        assert_eq!(size_of("full/pct:10/0/default.jpg", 1, 8000), (1, 800));
    }

    #[test]
    fn upscaling_needs_caret() {
        for p in [
            "full/!2000,2000/0/default.jpg",
            "full/1001,/0/default.jpg",
            "full/,601/0/default.jpg",
            "full/pct:101/0/default.jpg",
            "full/1000,601/0/default.jpg",
        ] {
            assert!(
                matches!(plan(p, 1000, 600), Err(VariantError::Invalid(_))),
                "{p}"
            );
        }
    }

    #[test]
    fn max_respects_limits() {
        // 36 MP source, 4 MP limit: max scales down to fit the area.
        let (w, h) = size_of("full/max/0/default.jpg", 7360, 4912);
        assert!((w as u64) * (h as u64) <= LIMITS.max_area);
        assert!((2440..=2450).contains(&w), "{w}x{h}");
        // ^max scales a small image up to the limits.
        let (w, h) = size_of("full/^max/0/default.jpg", 100, 100);
        assert_eq!((w, h), (2000, 2000));
        // An explicit size over the limits is refused.
        assert!(matches!(
            plan("full/^5000,/0/default.jpg", 1000, 600),
            Err(VariantError::Invalid(_))
        ));
    }

    #[test]
    fn rotated_output_size() {
        let p = plan("full/100,50/90/default.png", 1000, 600).unwrap();
        assert_eq!(p.output_size(), (50, 100));
        let p = plan("full/100,50/45/default.png", 1000, 600).unwrap();
        assert_eq!(p.output_size(), (107, 107));
        let p = plan("full/100,50/!180/default.png", 1000, 600).unwrap();
        assert_eq!(p.output_size(), (100, 50));
    }
}
