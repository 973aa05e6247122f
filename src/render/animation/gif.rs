//! GIF frames with the `gif` crate: each image is decoded to RGBA (its transparent index
//! as alpha 0) and drawn over the canvas where its pixels are opaque, after the previous
//! image's disposal: kept, cleared to transparent (what browsers do for "restore to
//! background") or restored to the canvas before it was drawn.

use super::{Frame, Frames, clear, paint};
use crate::render::RenderError;
use crate::render::header::Header;
use crate::render::raster::{Layout, Raster};
use gif::DisposalMethod;
use std::num::NonZeroU64;

pub(super) struct GifFrames<'a> {
    decoder: gif::Decoder<&'a [u8]>,
    canvas: Raster,
    /// What the last frame asks to be done before the next one is drawn.
    pending: Option<(DisposalMethod, (u32, u32, u32, u32))>,
    /// The canvas before the last frame, when it is to be restored.
    saved: Option<Raster>,
    /// Largest frame accepted, in pixels.
    max_pixels: u64,
}

fn corrupt(e: gif::DecodingError) -> RenderError {
    match e {
        gif::DecodingError::MemoryLimit => {
            RenderError::TooLarge("image dimensions exceed the limit".into())
        }
        other => RenderError::Corrupt(format!("invalid GIF data: {other}")),
    }
}

impl<'a> GifFrames<'a> {
    pub(super) fn new(
        bytes: &'a [u8],
        header: &Header,
        max_pixels: u64,
    ) -> Result<Self, RenderError> {
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::RGBA);
        // A frame may be larger than the screen (it is clipped), not than the pixel limit:
        // the decoder refuses it rather than allocate it.
        let frame_bytes = max_pixels.saturating_mul(4).max(4);
        options.set_memory_limit(gif::MemoryLimit::Bytes(
            NonZeroU64::new(frame_bytes).unwrap_or(NonZeroU64::MIN),
        ));
        let decoder = options.read_info(bytes).map_err(corrupt)?;
        let canvas = Raster::filled(header.width, header.height, Layout::Rgba, &[0, 0, 0, 0]);
        Ok(GifFrames {
            decoder,
            canvas,
            pending: None,
            saved: None,
            max_pixels,
        })
    }
}

impl std::fmt::Debug for GifFrames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GifFrames").finish_non_exhaustive()
    }
}

impl Frames for GifFrames<'_> {
    fn next_frame(&mut self) -> Result<Option<Frame>, RenderError> {
        match self.pending.take() {
            Some((DisposalMethod::Background, rect)) => clear(&mut self.canvas, rect),
            Some((DisposalMethod::Previous, _)) => {
                if let Some(saved) = self.saved.take() {
                    self.canvas = saved;
                }
            }
            _ => {}
        }
        let Some(info) = self.decoder.next_frame_info().map_err(corrupt)? else {
            return Ok(None);
        };
        let (x, y) = (u32::from(info.left), u32::from(info.top));
        let (w, h) = (u32::from(info.width), u32::from(info.height));
        let (dispose, delay) = (info.dispose, info.delay);
        if w == 0 || h == 0 {
            return Err(RenderError::Corrupt("GIF frame has no pixels".into()));
        }
        if w as u64 * h as u64 > self.max_pixels {
            return Err(RenderError::TooLarge(
                "image dimensions exceed the limit".into(),
            ));
        }
        let mut buf = vec![0u8; w as usize * h as usize * 4];
        self.decoder.read_into_buffer(&mut buf).map_err(corrupt)?;
        let image = Raster::new(w, h, Layout::Rgba, buf)?;
        if dispose == DisposalMethod::Previous {
            self.saved = Some(self.canvas.clone());
        }
        paint(&mut self.canvas, &image, (x, y), true);
        self.pending = Some((dispose, (x, y, w, h)));
        Ok(Some(Frame {
            raster: self.canvas.clone(),
            duration_ms: u32::from(delay) * 10,
        }))
    }
}
