//! APNG frames with the `png` crate, which decodes each frame's own rectangle; the
//! compositing is done here, as the APNG specification says: the previous frame's
//! disposal (none, clear to transparent, restore the canvas as it was before it), then
//! this frame's blend (replace, or alpha-composite over). A default image that is not part
//! of the animation (no `fcTL` before `IDAT`) is skipped.

use super::{Frame, Frames, clear, paint};
use crate::render::RenderError;
use crate::render::header::Header;
use crate::render::raster::{Layout, Raster};
use png::{BitDepth, BlendOp, ColorType, DisposeOp, Transformations};
use std::io::Cursor;

pub(super) struct PngFrames<'a> {
    reader: png::Reader<Cursor<&'a [u8]>>,
    canvas: Raster,
    buf: Vec<u8>,
    /// Frames still to come, as `acTL` declares them.
    remaining: u32,
    pending: Option<(DisposeOp, (u32, u32, u32, u32))>,
    saved: Option<Raster>,
    first: bool,
}

impl std::fmt::Debug for PngFrames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PngFrames").finish_non_exhaustive()
    }
}

fn corrupt(e: png::DecodingError) -> RenderError {
    match e {
        png::DecodingError::LimitsExceeded => {
            RenderError::TooLarge("image needs too much memory to decode".into())
        }
        other => RenderError::Corrupt(format!("invalid PNG data: {other}")),
    }
}

impl<'a> PngFrames<'a> {
    pub(super) fn new(bytes: &'a [u8], header: &Header) -> Result<Self, RenderError> {
        let mut decoder = png::Decoder::new(Cursor::new(bytes));
        decoder.set_transformations(
            Transformations::EXPAND | Transformations::STRIP_16 | Transformations::ALPHA,
        );
        decoder.set_ignore_text_chunk(true);
        decoder.set_ignore_iccp_chunk(true);
        let mut reader = decoder.read_info().map_err(corrupt)?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| RenderError::TooLarge("image dimensions exceed the limit".into()))?;
        let mut buf = vec![0u8; size];
        let remaining = reader
            .info()
            .animation_control()
            .map_or(1, |a| a.num_frames);
        if reader.info().frame_control().is_none() {
            // The default image is not a frame of the animation.
            reader.next_frame(&mut buf).map_err(corrupt)?;
        }
        Ok(PngFrames {
            reader,
            canvas: Raster::filled(header.width, header.height, Layout::Rgba, &[0, 0, 0, 0]),
            buf,
            remaining,
            pending: None,
            saved: None,
            first: true,
        })
    }

    /// The decoded rectangle as RGBA.
    fn rgba(&self, w: u32, h: u32) -> Result<Raster, RenderError> {
        let n = w as usize * h as usize;
        let data = match self.reader.output_color_type() {
            (ColorType::Rgba, BitDepth::Eight) => self.buf[..n * 4].to_vec(),
            (ColorType::GrayscaleAlpha, BitDepth::Eight) => self.buf[..n * 2]
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
            _ => return Err(RenderError::Corrupt("unsupported PNG pixel format".into())),
        };
        Raster::new(w, h, Layout::Rgba, data)
    }
}

impl Frames for PngFrames<'_> {
    fn next_frame(&mut self) -> Result<Option<Frame>, RenderError> {
        if self.remaining == 0 {
            return Ok(None);
        }
        match self.pending.take() {
            Some((DisposeOp::Background, rect)) => clear(&mut self.canvas, rect),
            Some((DisposeOp::Previous, _)) => {
                if let Some(saved) = self.saved.take() {
                    self.canvas = saved;
                }
            }
            _ => {}
        }
        let out = self.reader.next_frame(&mut self.buf).map_err(corrupt)?;
        self.remaining -= 1;
        let fc = *self
            .reader
            .info()
            .frame_control()
            .ok_or_else(|| RenderError::Corrupt("APNG frame without fcTL".into()))?;
        let (x, y, w, h) = (fc.x_offset, fc.y_offset, out.width, out.height);
        let fits = |o: u32, l: u32, max: u32| o.checked_add(l).is_some_and(|e| e <= max);
        if !fits(x, w, self.canvas.width()) || !fits(y, h, self.canvas.height()) {
            return Err(RenderError::Corrupt("APNG frame outside the canvas".into()));
        }
        let image = self.rgba(w, h)?;
        // A first frame's "previous" disposal means "background" (APNG specification).
        let dispose = match fc.dispose_op {
            DisposeOp::Previous if self.first => DisposeOp::Background,
            other => other,
        };
        if dispose == DisposeOp::Previous {
            self.saved = Some(self.canvas.clone());
        }
        if self.first {
            // The canvas starts transparent: the first frame's blend is a replace.
            paint(&mut self.canvas, &image, (x, y), false);
        } else {
            paint(
                &mut self.canvas,
                &image,
                (x, y),
                fc.blend_op == BlendOp::Over,
            );
        }
        self.first = false;
        self.pending = Some((dispose, (x, y, w, h)));
        let den = if fc.delay_den == 0 { 100 } else { fc.delay_den };
        Ok(Some(Frame {
            raster: self.canvas.clone(),
            duration_ms: (u32::from(fc.delay_num) * 1000 + u32::from(den) / 2) / u32::from(den),
        }))
    }
}
