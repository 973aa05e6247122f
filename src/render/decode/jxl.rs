//! JPEG XL decoding with jxl-oxide (pure Rust): the first keyframe, upright (jxl-oxide
//! applies the codestream's orientation, which is why the JPEG XL header reports the
//! displayed size), converted to sRGB by jxl-oxide itself with moxcms as its colour
//! management (XYB, wide-gamut enums and embedded ICC profiles alike), so no profile is
//! handed on. Grey images stay grey.
//!
//! No shrink on load: jxl-oxide 0.12 renders a frame only at full size (its progressive
//! path renders a partly loaded frame, still at full size), so the header's pixel limit
//! is what bounds the work. jxl-oxide runs on the calling worker thread (no rayon pool),
//! and every grid it allocates is counted against a budget derived from the header, so a
//! frame larger than the image it belongs to cannot allocate past the limit.

use super::{Decoded, plain};
use crate::render::RenderError;
use crate::render::header::Header;
use crate::render::raster::{Layout, Raster};
use jxl_oxide::{
    AllocTracker, EnumColourEncoding, JxlImage, JxlThreadPool, Moxcms, RenderingIntent,
};

/// Bytes jxl-oxide may allocate per declared pixel: up to four f32 channels plus the
/// intermediate grids of one frame, with room to spare.
const BUDGET_PER_PIXEL: u64 = 48;

/// A floor for tiny images (fixed-size tables and group buffers).
const BUDGET_FLOOR: u64 = 64 << 20;

fn corrupt(e: impl std::fmt::Display) -> RenderError {
    RenderError::Corrupt(format!("invalid JPEG XL data: {e}"))
}

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    max_pixels: u64,
) -> Result<Decoded, RenderError> {
    let budget = header
        .pixels()
        .min(max_pixels)
        .saturating_mul(BUDGET_PER_PIXEL)
        .saturating_add(BUDGET_FLOOR);
    let tracker = AllocTracker::with_limit(usize::try_from(budget).unwrap_or(usize::MAX));
    let mut image = JxlImage::builder()
        .pool(JxlThreadPool::none())
        .alloc_tracker(tracker)
        .read(std::io::Cursor::new(bytes))
        .map_err(corrupt)?;
    if (image.width(), image.height()) != (header.width, header.height) {
        return Err(RenderError::Corrupt(
            "JPEG XL image does not match its header".into(),
        ));
    }
    if image.num_loaded_keyframes() == 0 {
        return Err(RenderError::Corrupt("truncated JPEG XL data".into()));
    }
    image.set_cms(Moxcms);
    let grey = image.pixel_format().is_grayscale();
    let intent = RenderingIntent::Relative;
    image.request_color_encoding(if grey {
        EnumColourEncoding::gray_srgb(intent)
    } else {
        EnumColourEncoding::srgb(intent)
    });
    let render = image.render_frame(0).map_err(corrupt)?;
    let mut stream = render.stream();
    let layout = match (grey, stream.channels()) {
        (true, 1) => Layout::Gray,
        (true, 2) => Layout::GrayAlpha,
        (false, 3) => Layout::Rgb,
        (false, 4) => Layout::Rgba,
        (_, n) => {
            return Err(RenderError::UnsupportedFormat(format!(
                "JPEG XL with {n} rendered channels"
            )));
        }
    };
    let (w, h) = (stream.width(), stream.height());
    if (w, h) != (header.width, header.height) {
        return Err(RenderError::Corrupt(
            "JPEG XL frame does not match its header".into(),
        ));
    }
    let len = crate::render::raster::byte_len(w, h, layout)
        .ok_or_else(|| RenderError::TooLarge("JPEG XL frame".into()))?;
    let mut pixels = vec![0u8; len];
    if stream.write_to_buffer(&mut pixels) != len {
        return Err(RenderError::Corrupt("short JPEG XL frame".into()));
    }
    Ok(plain(
        Raster::new(w, h, layout, pixels)?.without_opaque_alpha(),
    ))
}
