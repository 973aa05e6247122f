//! Placeholder images for the overload answer (`--overload-answer placeholder`): a uniform colour of any size in
//! every output format, written without an encoder in microseconds.
//!
//! A uniform image needs almost no information, and every format has a way of saying
//! "the same again" that costs nothing or a fixed pattern per block, so each file is
//! assembled from headers and repeated bits instead of being encoded:
//! * `jpeg`: baseline 4:2:0 with DC-only blocks and one-symbol Huffman codes: after the
//!   first MCU, every MCU is 12 zero bits.
//! * `png`: a one-entry palette at 1 bit per pixel, so the scanlines are all zero bytes, in
//!   one fixed-Huffman deflate block of 258-byte matches; Adler-32 of zeros is arithmetic.
//! * `webp`: lossless VP8L whose five prefix codes each have a single symbol, so pixels
//!   cost 0 bits: the whole file is at most 32 bytes whatever the size.
//! * `gif`: a two-entry palette and LZW codes for ever longer runs of index 0.
//! * `avif`: one grey AV1 tile encoded at start, repeated as an HEIF image grid whose tiles
//!   all point at the same bytes (`avif_tile` pulls that tile out of libavif's file).
//!
//! Sides are clamped to [`MAX_SIDE`]. AVIF is always neutral grey (see `avif`).

mod avif;
mod avif_tile;
mod bits;
mod gif;
mod jpeg;
mod png;
mod webp;

#[cfg(test)]
mod by_hand;
#[cfg(test)]
mod tests;

use crate::render::RenderError;
use crate::variant::Format;
use bytes::Bytes;

/// Largest width or height of a placeholder; larger requests are clamped to it. It is
/// vignette's default `--max-output-dimension`, and one less than lossless WebP's limit
/// (14 bits per side); every other format here could go further.
pub(crate) const MAX_SIDE: u32 = 16383;

/// The colour when nothing is known about the source.
pub(crate) const NEUTRAL_GREY: [u8; 3] = [128, 128, 128];

/// Solid-colour images of any size, written without an encoder; what can be precomputed
/// (the JPEG headers, the AVIF tile) is, by [`Placeholders::new`], once at start.
#[derive(Debug)]
pub(crate) struct Placeholders {
    jpeg: jpeg::JpegTemplate,
    avif: avif::AvifTemplate,
}

impl Placeholders {
    /// Builds the templates; encodes the AVIF tile with libavif (a few milliseconds).
    /// Fails only if libavif cannot encode a grey square, which is a bug, not bad input.
    pub(crate) fn new() -> Result<Self, RenderError> {
        Ok(Placeholders {
            jpeg: jpeg::JpegTemplate::new(),
            avif: avif::AvifTemplate::new()?,
        })
    }

    /// A `format` image of `width`×`height` pixels (each side clamped to 1..=[`MAX_SIDE`])
    /// of the uniform colour `rgb` (sRGB). JPEG and AVIF reproduce the colour through
    /// YCbCr, within a level or two; AVIF ignores `rgb` and is neutral grey.
    pub(crate) fn image(&self, format: Format, width: u32, height: u32, rgb: [u8; 3]) -> Bytes {
        let (w, h) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
        let bytes = match format {
            Format::Jpeg => self.jpeg.image(w, h, rgb),
            Format::Png => png::image(w, h, rgb),
            Format::Webp => webp::image(w, h, rgb),
            Format::Avif => self.avif.image(w, h),
            Format::Gif => gif::image(w, h, rgb),
        };
        Bytes::from(bytes)
    }
}
