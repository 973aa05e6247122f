//! Resolving a [`Variant`] against a concrete image: the rectangle to cut, the size to
//! scale it to, the result crop, the canvas, with the dialect's upscaling rule and the
//! server's output limits applied. Pure arithmetic (imgproxy's geometry, IIIF's rounding);
//! the renderer calls it once it knows the image's size.

use super::VariantError;
use super::geometry::position;
use super::model::{Region, Rgb, Rotation, Variant};
use super::output::{Colour, Format};
use super::sizing::{canvas, result_crop, size};

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

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
