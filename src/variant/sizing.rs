//! The scale of a region (imgproxy's `calcScale`/`calcSizes`, with IIIF's refusal of
//! upscaling and exact rounding), the result crop to the target box, and the canvas of
//! extension and padding. Pure arithmetic, called by [`super::plan::resolve`].

use super::VariantError;
use super::geometry::{Scale, position};
use super::model::{Gravity, GravityKind, Padding, Resize, ResizeMode, Upscale, Variant};
use super::plan::{Canvas, Crop, PlanLimits, Rect};

fn invalid(msg: impl Into<String>) -> VariantError {
    VariantError::Invalid(msg.into())
}

/// The scaled size of a region, and the target box (with the DPR) that the result crop
/// and the extension refer to.
#[derive(Debug)]
pub(super) struct Sized {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) target_w: u32,
    pub(super) target_h: u32,
    pub(super) dpr: f64,
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
pub(super) fn size(
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
pub(super) fn result_crop(variant: &Variant, s: &Sized) -> Option<Crop> {
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
pub(super) fn canvas(variant: &Variant, s: &Sized, iw: u32, ih: u32) -> Option<Canvas> {
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
