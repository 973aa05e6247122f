//! Animated WebP frames from libwebp's `WebPAnimDecoder` (through
//! [`crate::render::libwebp_anim`]), which composites each frame onto the canvas itself
//! (disposal and blending as the `ANMF` chunks say).

use super::{Frame, Frames};
use crate::render::RenderError;
use crate::render::header::Header;
use crate::render::libwebp_anim::AnimDecoder;
use crate::render::raster::{Layout, Raster};

#[derive(Debug)]
pub(super) struct WebpFrames<'a> {
    decoder: AnimDecoder<'a>,
}

fn corrupt(e: impl std::fmt::Display) -> RenderError {
    RenderError::Corrupt(format!("invalid WebP animation: {e}"))
}

impl<'a> WebpFrames<'a> {
    pub(super) fn new(bytes: &'a [u8], header: &Header) -> Result<Self, RenderError> {
        let decoder = AnimDecoder::new(bytes).map_err(corrupt)?;
        let info = decoder.info();
        // The limits were checked against the header's canvas: the decoder must agree.
        if (info.width, info.height) != (header.width, header.height) {
            return Err(corrupt("canvas does not match the header"));
        }
        Ok(WebpFrames { decoder })
    }
}

impl Frames for WebpFrames<'_> {
    fn next_frame(&mut self) -> Result<Option<Frame>, RenderError> {
        let Some((pixels, duration_ms)) = self.decoder.next_frame().map_err(corrupt)? else {
            return Ok(None);
        };
        let info = self.decoder.info();
        Ok(Some(Frame {
            raster: Raster::new(info.width, info.height, Layout::Rgba, pixels)?,
            duration_ms,
        }))
    }
}
