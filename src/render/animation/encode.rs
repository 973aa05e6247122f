//! Animated encoders, fed one full frame at a time: WebP through libwebp's
//! `WebPAnimEncoder` (which finds each frame's changed rectangle itself), GIF with the
//! `gif` crate (a palette quantised per frame, NeuQuant, 1-bit transparency), PNG as APNG
//! with the `png` crate (RGBA frames, replace blending). Timing in milliseconds; GIF keeps
//! it in hundredths of a second, APNG as a fraction of a second.

use crate::render::libwebp_anim::AnimEncoder;
use crate::render::raster::{Layout, Raster};
use crate::render::{EncodeSettings, RenderError};
use crate::variant::Format;

/// NeuQuant sampling factor, as for still GIFs (1 best – 30 fastest).
const QUANTIZER_SPEED: i32 = 10;

/// An encoder of one animation into `out`.
pub(super) enum AnimEncode<'a> {
    Webp(AnimEncoder, &'a mut Vec<u8>),
    Gif(gif::Encoder<&'a mut Vec<u8>>),
    Png(png::Writer<&'a mut Vec<u8>>),
}

impl std::fmt::Debug for AnimEncode<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AnimEncode::Webp(..) => "AnimEncode::Webp",
            AnimEncode::Gif(_) => "AnimEncode::Gif",
            AnimEncode::Png(_) => "AnimEncode::Png",
        })
    }
}

fn failed(format: &str, e: impl std::fmt::Display) -> RenderError {
    RenderError::Encode(format!("animated {format}: {e}"))
}

impl<'a> AnimEncode<'a> {
    /// An encoder of `frames` frames of `width`×`height`, played `plays` times (0: for
    /// ever).
    pub(super) fn new(
        out: &'a mut Vec<u8>,
        format: Format,
        (width, height): (u32, u32),
        (frames, plays): (u32, u32),
        settings: &EncodeSettings,
    ) -> Result<Self, RenderError> {
        Ok(match format {
            Format::Webp => AnimEncode::Webp(
                AnimEncoder::new(
                    width,
                    height,
                    plays,
                    settings.webp_quality,
                    settings.webp_method,
                )
                .map_err(|e| failed("webp", e))?,
                out,
            ),
            Format::Gif => {
                let side = |v: u32| u16::try_from(v).map_err(|_| failed("gif", "too large"));
                let mut e = gif::Encoder::new(out, side(width)?, side(height)?, &[])
                    .map_err(|e| failed("gif", e))?;
                // GIF counts repetitions after the first play.
                let repeat = match plays {
                    0 => Some(gif::Repeat::Infinite),
                    1 => None,
                    n => Some(gif::Repeat::Finite(
                        u16::try_from(n - 1).unwrap_or(u16::MAX),
                    )),
                };
                if let Some(r) = repeat {
                    e.set_repeat(r).map_err(|e| failed("gif", e))?;
                }
                AnimEncode::Gif(e)
            }
            Format::Png => {
                let mut e = png::Encoder::new(out, width, height);
                e.set_color(png::ColorType::Rgba);
                e.set_depth(png::BitDepth::Eight);
                e.set_compression(png::Compression::Fast);
                e.set_animated(frames, plays)
                    .map_err(|e| failed("png", e))?;
                AnimEncode::Png(e.write_header().map_err(|e| failed("png", e))?)
            }
            Format::Jpeg | Format::Avif => return Err(failed("still format", "cannot animate")),
        })
    }

    /// Adds a frame (the output size, any layout but CMYK) shown for `duration_ms`.
    pub(super) fn add(&mut self, raster: Raster, duration_ms: u32) -> Result<(), RenderError> {
        let raster = raster.into_rgb_family().with_alpha();
        debug_assert_eq!(raster.layout(), Layout::Rgba);
        match self {
            AnimEncode::Webp(e, _) => e
                .add(raster.data(), duration_ms)
                .map_err(|e| failed("webp", e)),
            AnimEncode::Gif(e) => {
                let (w, h) = (raster.width() as u16, raster.height() as u16);
                let mut rgba = raster.into_data();
                for p in rgba.chunks_exact_mut(4) {
                    p[3] = if p[3] >= 128 { 255 } else { 0 };
                }
                let mut frame = gif::Frame::from_rgba_speed(w, h, &mut rgba, QUANTIZER_SPEED);
                frame.delay = u16::try_from(duration_ms.div_ceil(10)).unwrap_or(u16::MAX);
                // Every frame is a whole canvas: clearing it after showing it keeps the
                // transparent pixels of the next one transparent.
                frame.dispose = gif::DisposalMethod::Background;
                e.write_frame(&frame).map_err(|e| failed("gif", e))
            }
            AnimEncode::Png(w) => {
                let ms = u16::try_from(duration_ms).unwrap_or(u16::MAX);
                w.set_frame_delay(ms, 1000).map_err(|e| failed("png", e))?;
                w.write_image_data(raster.data())
                    .map_err(|e| failed("png", e))
            }
        }
    }

    /// Writes the end of the file.
    pub(super) fn finish(self) -> Result<(), RenderError> {
        match self {
            AnimEncode::Webp(e, out) => {
                *out = e.finish().map_err(|e| failed("webp", e))?;
                Ok(())
            }
            AnimEncode::Gif(e) => e.into_inner().map(drop).map_err(|e| failed("gif", e)),
            AnimEncode::Png(w) => w.finish().map_err(|e| failed("png", e)),
        }
    }
}
