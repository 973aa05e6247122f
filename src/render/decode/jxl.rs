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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::SourceFormat;
    use crate::render::header;

    /// jxl-oxide's documentation example: a complete small codestream.
    const TINY: [u8; 42] = [
        0xff, 0x0a, 0x30, 0x54, 0x10, 0x09, 0x08, 0x06, 0x01, 0x00, 0x78, 0x00, 0x4b, 0x38, 0x41,
        0x3c, 0xb6, 0x3a, 0x51, 0xfe, 0x00, 0x47, 0x1e, 0xa0, 0x85, 0xb8, 0x27, 0x1a, 0x48, 0x45,
        0x84, 0x1b, 0x71, 0x4f, 0xa8, 0x3e, 0x8e, 0x30, 0x03, 0x92, 0x84, 0x01,
    ];

    #[test]
    fn decodes_to_the_header_size_and_refuses_truncation() {
        let h = header::read(SourceFormat::Jxl, &TINY).unwrap();
        let d = decode(&TINY, &h, u64::MAX).unwrap();
        assert_eq!((d.raster.width(), d.raster.height()), (h.width, h.height));
        for n in [12, 20, TINY.len() - 4] {
            let err = decode(&TINY[..n], &h, u64::MAX).unwrap_err();
            assert!(matches!(err, RenderError::Corrupt(_)), "{n}: {err}");
        }
    }
}
