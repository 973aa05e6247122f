//! The pixel stages after the decode, for one picture: region (smart or not) → scale and
//! sRGB → orientation → result crop → filters, then, once the output format is known,
//! background, canvas, flattening, rotation and colour mode. A still image goes through
//! them once; an animation once per frame, with the geometry that depends on pixels
//! (smart region, smart crop) decided on its first frame and kept for the others, so that
//! every frame is cut the same way.

use super::canvas;
use super::decode::Decoded;
use super::effects::{blur, pixelate, sharpen, smart};
use super::encode;
use super::header::Header;
use super::pipeline::Target;
use super::quality;
use super::raster::Raster;
use super::resize;
use super::rotate::{self, Background};
use super::scale::{scale_to_srgb, smart_region};
use super::{Deadline, RenderError};
use crate::variant::plan::Crop;
use crate::variant::{Format, Rect};

/// Geometry found in the pixels of the first picture, reused for the next ones.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Fixed {
    region: Option<Rect>,
    crop: Option<(u32, u32)>,
}

/// Region, scale, colour, orientation, crop and filters. `raster` is the decode, possibly
/// on a coarser grid than the header (shrink-on-load), `decoded` carries its colour
/// metadata; `convert` says whether the colour is brought to sRGB (not when the profile
/// is kept).
pub(super) fn scale(
    raster: &Raster,
    decoded: &Decoded,
    header: &Header,
    t: &Target,
    convert: bool,
    fixed: &mut Fixed,
) -> Result<Raster, RenderError> {
    let region = match fixed.region {
        Some(r) => r,
        None => {
            let mut region = t.region;
            region.x += t.offset.0;
            region.y += t.offset.1;
            if t.smart_region {
                region = smart_region(raster, header, region);
            }
            fixed.region = Some(region);
            region
        }
    };
    let raster = scale_to_srgb(raster, decoded, header, region, (t.tw, t.th), convert)?;
    let raster = t.orientation.apply(raster);
    let raster = match t.plan.crop {
        Some(Crop::At(r)) => resize::crop(&raster, r),
        Some(Crop::Smart { w, h }) => {
            let (x, y) = *fixed
                .crop
                .get_or_insert_with(|| smart::smart_crop(&raster, w, h));
            resize::crop(&raster, Rect { x, y, w, h })
        }
        None => raster,
    };
    let f = &t.filters;
    let raster = blur::blur(raster, f.blur);
    let raster = sharpen::sharpen(raster, f.sharpen);
    Ok(pixelate::pixelate(raster, f.pixelate))
}

/// Background, canvas (extend, padding), flattening, rotation and colour mode, for
/// output in `format`.
pub(super) fn compose(raster: Raster, t: &Target, format: Format) -> Raster {
    let plan = &t.plan;
    // A background colour flattens alpha away, as imgproxy does, even for formats that
    // could keep it; without one, formats without alpha get white.
    let background = match (plan.background, encode::keeps_alpha(format)) {
        (Some(c), _) => Background::Opaque(c),
        (None, true) => Background::Transparent,
        (None, false) => Background::WHITE,
    };
    let raster = match plan.canvas {
        Some(c) => canvas::place(&raster, c, background),
        None => raster,
    };
    let raster = match background {
        Background::Opaque(c) => quality::flatten_on(raster, c),
        Background::Transparent => raster,
    };
    let raster = rotate::rotate(raster, plan.rotation, plan.output_size(), background);
    quality::apply(raster, plan.colour)
}

/// Both halves, for one frame of an animation in `format`; the deadline is checked after.
pub(super) fn frame(
    decoded: &Decoded,
    header: &Header,
    t: &Target,
    format: Format,
    fixed: &mut Fixed,
    deadline: &Deadline,
) -> Result<Raster, RenderError> {
    let raster = scale(&decoded.raster, decoded, header, t, true, fixed)?;
    let raster = compose(raster, t, format);
    deadline.check("frame")?;
    Ok(raster)
}
