//! Animations: GIF, WebP and APNG sources with more than one frame rendered frame by frame
//! into animated GIF, WebP or PNG (APNG), timing and loop count kept.
//!
//! * Whether a render animates is decided from the header alone ([`animated_format`]):
//!   the frame count and the pixels over all frames against the bounds, the asked format,
//!   and the variant's [`Animation`]. Over a bound the answer is the first frame (a still
//!   in the asked format): as fast as any still, whatever the frame count, and what
//!   imgproxy answers for animations it does not animate.
//! * Frames are streamed: a source yields one composited canvas at a time (`gif`, `png`,
//!   `webp`), it goes through the same pixel stages as a still (with the geometry of the
//!   first frame), then into the encoder (`encode`), and is dropped. At most a few
//!   canvases are alive at once, never the whole animation decoded.
//! * The deadline is checked after every frame.

mod encode;
mod gif;
mod png;
mod webp;

use super::decode::Decoded;
use super::header::Header;
use super::pipeline::{Target, same_format};
use super::raster::Raster;
use super::transform::{self, Fixed};
use super::{Deadline, EncodeSettings, Limits, RenderError, Rendered, SourceFormat};
use crate::variant::{Animation, Format, OutputFormat, Variant};

/// One composited frame of a source: the whole canvas, RGBA.
#[derive(Debug)]
pub(super) struct Frame {
    pub(super) raster: Raster,
    /// How long it shows, in milliseconds.
    pub(super) duration_ms: u32,
}

/// A source's frames, one at a time.
pub(super) trait Frames {
    /// The next frame, or `None` after the last.
    fn next_frame(&mut self) -> Result<Option<Frame>, RenderError>;
}

/// Whether the header's animation fits the bounds.
pub(crate) fn within_bounds(header: &Header, limits: &Limits) -> bool {
    header.frames <= limits.max_animation_frames
        && header.pixels().saturating_mul(header.frames as u64) <= limits.max_animation_pixels
}

/// The format an animated render of `variant` writes, or `None` when the render is a still
/// (the source has one frame, the format does not animate, the request trims, or the
/// animation is over a bound: then the first frame is rendered).
pub(crate) fn animated_format(
    header: &Header,
    variant: &Variant,
    limits: &Limits,
) -> Option<Format> {
    if !header.animated() || variant.trim.is_some() {
        return None;
    }
    let (asked, png) = match variant.animation {
        Animation::InFormat => (variant.format, true),
        Animation::NotPng => (variant.format, false),
        Animation::As(f) => (f, true),
    };
    let format = match asked {
        OutputFormat::Is(f) => f,
        // JPEG XL and HEIF are never written (nor animated here).
        OutputFormat::AsSource => same_format(header.format)?,
    };
    let animates = match format {
        Format::Gif | Format::Webp => true,
        Format::Png => png,
        Format::Jpeg | Format::Avif => false,
    };
    (animates && within_bounds(header, limits)).then_some(format)
}

/// Opens the frames of `bytes`, whose header is `header`; `max_pixels` bounds a GIF frame
/// larger than its screen (clipped when drawn, as for a still).
fn open<'a>(
    bytes: &'a [u8],
    header: &Header,
    max_pixels: u64,
) -> Result<Box<dyn Frames + 'a>, RenderError> {
    Ok(match header.format {
        SourceFormat::Gif => Box::new(gif::GifFrames::new(bytes, header, max_pixels)?),
        SourceFormat::Webp => Box::new(webp::WebpFrames::new(bytes, header)?),
        SourceFormat::Png => Box::new(png::PngFrames::new(bytes, header)?),
        SourceFormat::Jpeg | SourceFormat::Avif | SourceFormat::Jxl | SourceFormat::Heif => {
            return Err(RenderError::Corrupt("not an animation format".into()));
        }
    })
}

/// Renders the animation `bytes` for the target `t` (whose plan's format animates).
pub(super) fn render(
    bytes: &[u8],
    header: &Header,
    t: &Target,
    max_pixels: u64,
    (settings, deadline): (&EncodeSettings, &Deadline),
) -> Result<Rendered, RenderError> {
    let format = t.plan.format;
    let (width, height) = t.plan.output_size();
    // The request's quality, when it names one (`max_bytes` is for stills: an animation
    // is not re-encoded until it fits).
    let settings = &match t.quality {
        Some(q) => settings.with_quality(q),
        None => *settings,
    };
    let mut frames = open(bytes, header, max_pixels)?;
    let mut out = Vec::new();
    let mut encoder = encode::AnimEncode::new(
        &mut out,
        format,
        (width, height),
        (header.frames, header.plays),
        settings,
    )?;
    let mut fixed = Fixed::default();
    let mut count = 0u32;
    let mut average = None;
    while let Some(frame) = frames.next_frame()? {
        count += 1;
        if count > header.frames {
            return Err(RenderError::Corrupt("more frames than counted".into()));
        }
        let decoded = Decoded {
            raster: frame.raster,
            icc: None,
            cmyk_inverted: false,
        };
        let raster = transform::frame(&decoded, header, t, format, &mut fixed, deadline)?;
        drop(decoded);
        if (raster.width(), raster.height()) != (width, height) {
            return Err(RenderError::Encode("frame of another size".into()));
        }
        average.get_or_insert_with(|| raster.average_rgb());
        encoder.add(raster, frame.duration_ms)?;
    }
    if count != header.frames {
        return Err(RenderError::Corrupt(format!(
            "{count} frames decoded of {} counted",
            header.frames
        )));
    }
    encoder.finish()?;
    Ok(Rendered {
        bytes: out,
        format,
        width,
        height,
        average,
    })
}

/// Writes `raster` (RGBA, `x`/`y` placed, clipped to the canvas) over `canvas`: pixels
/// replace the canvas's (`blend` false) or are alpha-composited over them.
pub(super) fn paint(canvas: &mut Raster, frame: &Raster, (x, y): (u32, u32), blend: bool) {
    let cw = canvas.width() as usize;
    let (fw, fh) = (frame.width() as usize, frame.height() as usize);
    let cols = fw.min(cw.saturating_sub(x as usize));
    let rows = fh.min((canvas.height() as usize).saturating_sub(y as usize));
    if cols == 0 || rows == 0 {
        // Entirely off the canvas (GIF allows it): nothing of it shows.
        return;
    }
    let src = frame.data();
    let dst = canvas.data_mut();
    for row in 0..rows {
        let s = &src[row * fw * 4..][..cols * 4];
        let d = &mut dst[((y as usize + row) * cw + x as usize) * 4..][..cols * 4];
        if !blend {
            d.copy_from_slice(s);
            continue;
        }
        for (d, s) in d.chunks_exact_mut(4).zip(s.chunks_exact(4)) {
            match s[3] {
                0 => {}
                255 => d.copy_from_slice(s),
                a => over(d, s, a),
            }
        }
    }
}

/// Straight-alpha "over": `s` (alpha `a`) onto `d`.
fn over(d: &mut [u8], s: &[u8], a: u8) {
    let (sa, da) = (a as u32, d[3] as u32);
    let out_a = sa * 255 + da * (255 - sa); // ×255
    if out_a == 0 {
        d.copy_from_slice(&[0, 0, 0, 0]);
        return;
    }
    for c in 0..3 {
        let v = (s[c] as u32 * sa * 255 + d[c] as u32 * da * (255 - sa)) / out_a;
        d[c] = v.min(255) as u8;
    }
    d[3] = (out_a / 255) as u8;
}

/// Clears a rectangle of `canvas` to transparent (disposal to background), clipped.
pub(super) fn clear(canvas: &mut Raster, (x, y, w, h): (u32, u32, u32, u32)) {
    let cw = canvas.width() as usize;
    let cols = (w as usize).min(cw.saturating_sub(x as usize));
    let rows = (h as usize).min((canvas.height() as usize).saturating_sub(y as usize));
    if cols == 0 || rows == 0 {
        return;
    }
    let dst = canvas.data_mut();
    for row in 0..rows {
        let start = ((y as usize + row) * cw + x as usize) * 4;
        dst[start..start + cols * 4].fill(0);
    }
}

#[cfg(test)]
mod tests;
