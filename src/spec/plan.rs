//! Resolving a [`Spec`] against a concrete image: the pixel rectangle to cut and the pixel
//! size to scale it to, with every IIIF rule about sizes and server limits applied.
//! Pure arithmetic, no I/O; the renderer calls it once it has read the image header.

use super::{Format, Quality, Region, Rotation, Size, Spec, SpecError};

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

/// Everything the renderer needs to produce a variant, in the source's displayed
/// orientation (after EXIF auto-rotation).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Part of the auto-oriented source to cut.
    pub region: Rect,
    /// Size the region is scaled to, before rotation.
    pub width: u32,
    /// Size the region is scaled to, before rotation.
    pub height: u32,
    /// Mirroring then rotation applied after scaling.
    pub rotation: Rotation,
    /// Colour treatment.
    pub quality: Quality,
    /// Output encoding.
    pub format: Format,
}

impl Plan {
    /// Dimensions of the final image, after rotation (the bounding box for arbitrary
    /// angles).
    pub fn output_size(&self) -> (u32, u32) {
        match self.rotation.quarter_turns() {
            Some(0) | Some(2) => (self.width, self.height),
            Some(_) => (self.height, self.width),
            None => {
                let rad = self.rotation.degrees.to_radians();
                let (s, c) = (rad.sin().abs(), rad.cos().abs());
                let (w, h) = (self.width as f64, self.height as f64);
                let bw = (w * c + h * s - 1e-6).ceil().max(1.0);
                let bh = (w * s + h * c - 1e-6).ceil().max(1.0);
                (bw as u32, bh as u32)
            }
        }
    }
}

fn invalid(msg: impl Into<String>) -> SpecError {
    SpecError::Invalid(msg.into())
}

/// Resolves `spec` for an image that displays as `width`×`height` pixels.
pub fn resolve(
    spec: &Spec,
    width: u32,
    height: u32,
    limits: &PlanLimits,
) -> Result<Plan, SpecError> {
    if width == 0 || height == 0 {
        return Err(invalid("image has no pixels"));
    }
    let region = resolve_region(&spec.region, width, height)?;
    let (w, h) = resolve_size(&spec.size, region.w, region.h, limits)?;
    Ok(Plan {
        region,
        width: w,
        height: h,
        rotation: spec.rotation,
        quality: spec.quality,
        format: spec.format,
    })
}

fn resolve_region(region: &Region, width: u32, height: u32) -> Result<Rect, SpecError> {
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
    }
}

fn clip(x: u64, y: u64, w: u64, h: u64, width: u32, height: u32) -> Result<Rect, SpecError> {
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

/// Rounds a derived dimension, never below one pixel.
fn dim(v: f64) -> u32 {
    v.round().clamp(1.0, u32::MAX as f64) as u32
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

fn resolve_size(
    size: &Size,
    rw: u32,
    rh: u32,
    limits: &PlanLimits,
) -> Result<(u32, u32), SpecError> {
    let no_upscale = |upscale: bool, w: u32, h: u32| -> Result<(), SpecError> {
        if !upscale && (w > rw || h > rh) {
            Err(invalid(format!(
                "size {w}x{h} is larger than the region {rw}x{rh}; prefix it with ^ to upscale"
            )))
        } else {
            Ok(())
        }
    };
    let (w, h) = match *size {
        Size::Max { upscale } => {
            let mut scale = limit_scale(rw, rh, limits);
            if !upscale {
                scale = scale.min(1.0);
            }
            return Ok(scaled_within(rw, rh, scale, limits));
        }
        Size::Fit { w, h, upscale } => {
            if w == 0 || h == 0 {
                return Err(invalid("size must be at least 1x1"));
            }
            let mut scale = (w as f64 / rw as f64).min(h as f64 / rh as f64);
            // A box larger than the region in both directions asks for upscaling: the
            // IIIF validator (size_noup) expects `!w,h` to refuse it without `^`.
            if !upscale && scale > 1.0 {
                return Err(invalid(format!(
                    "!{w},{h} would upscale the region {rw}x{rh}; prefix it with ^ to upscale"
                )));
            }
            scale = scale.min(limit_scale(rw, rh, limits));
            let (ow, oh) = scaled_within(rw, rh, scale, limits);
            // Rounding must never step outside the requested box.
            return Ok((ow.min(w), oh.min(h)));
        }
        Size::Width { w, upscale } => {
            let h = dim(w as f64 * rh as f64 / rw as f64);
            no_upscale(upscale, w, 0)?;
            (w, h)
        }
        Size::Height { h, upscale } => {
            let w = dim(h as f64 * rw as f64 / rh as f64);
            no_upscale(upscale, 0, h)?;
            (w, h)
        }
        Size::Percent { pct, upscale } => {
            if !upscale && pct > 100.0 {
                return Err(invalid("pct above 100 needs the ^ prefix to upscale"));
            }
            (dim(rw as f64 * pct / 100.0), dim(rh as f64 * pct / 100.0))
        }
        Size::Exact { w, h, upscale } => {
            no_upscale(upscale, w, h)?;
            (w, h)
        }
    };
    if w == 0 || h == 0 {
        return Err(invalid("size must be at least 1x1"));
    }
    if w > limits.max_width || h > limits.max_height || (w as u64) * (h as u64) > limits.max_area {
        return Err(invalid(format!(
            "size {w}x{h} exceeds the server limits (maxWidth {}, maxHeight {}, maxArea {})",
            limits.max_width, limits.max_height, limits.max_area
        )));
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::iiif::parse_params;

    const LIMITS: PlanLimits = PlanLimits {
        max_width: 4000,
        max_height: 4000,
        max_area: 4_000_000,
    };

    fn plan(params: &str, w: u32, h: u32) -> Result<Plan, SpecError> {
        let spec = parse_params(params).expect("parses");
        resolve(&spec, w, h, &LIMITS)
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
            Err(SpecError::Invalid(_))
        ));
        assert!(matches!(
            plan("0,0,0,10/max/0/default.jpg", 1000, 600),
            Err(SpecError::Invalid(_))
        ));
        assert!(matches!(
            plan("pct:100,0,10,10/max/0/default.jpg", 1000, 600),
            Err(SpecError::Invalid(_))
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
                matches!(plan(p, 1000, 600), Err(SpecError::Invalid(_))),
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
            Err(SpecError::Invalid(_))
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
