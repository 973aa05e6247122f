//! WebP decoding with libwebp (through [`crate::render::libwebp`]). Still images shrink on
//! load: libwebp rescales while decoding, straight into our buffer, so a large WebP never
//! exists at full size. For an animation only the first frame is decoded (at full size):
//! its `ANMF` chunk is rewrapped as a still WebP and composited onto the canvas, so the
//! frame count never matters (animations rendered as such go through `render::animation`).

use super::{Decoded, plain};
use crate::render::RenderError;
use crate::render::header::Header;
use crate::render::header::webp::chunks;
use crate::render::libwebp;
use crate::render::raster::{Layout, Raster};
use crate::render::webp_container::riff;

use crate::render::header::webp::ANIMATION;
/// VP8X flag: the file has alpha.
const ALPHA: u8 = 0x10;

/// Decodes `bytes`, a still image reduced by `shrink` (1, 2, 4 or 8; each side rounded
/// up, as JPEG's DCT scaling does).
pub(super) fn decode(bytes: &[u8], header: &Header, shrink: u32) -> Result<Decoded, RenderError> {
    let body = bytes.get(12..).unwrap_or(&[]);
    let vp8x = chunks(body).next().filter(|c| &c.fourcc == b"VP8X");
    let animated = vp8x.is_some_and(|c| c.payload.first().is_some_and(|f| f & ANIMATION != 0));
    if !animated {
        return Ok(plain(decode_still(bytes, shrink.max(1))?));
    }
    let anmf = chunks(body)
        .find(|c| &c.fourcc == b"ANMF")
        .ok_or_else(|| corrupt("animation has no frames"))?;
    let p = anmf.payload;
    if p.len() < 16 {
        return Err(corrupt("short animation frame"));
    }
    let u24 = |b: &[u8]| u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
    let (x, y) = (u24(&p[0..3]) * 2, u24(&p[3..6]) * 2);
    let (w, h) = (u24(&p[6..9]) + 1, u24(&p[9..12]) + 1);
    if x + w > header.width || y + h > header.height {
        return Err(corrupt("animation frame outside the canvas"));
    }
    let frame = decode_still(&still_from_frame(&p[16..], w, h)?, 1)?;
    if (frame.width(), frame.height()) != (w, h) {
        return Err(corrupt("animation frame size mismatch"));
    }
    let frame = frame.with_alpha();
    // Compose onto a transparent canvas (browsers ignore the ANIM background colour).
    let mut canvas = Raster::filled(header.width, header.height, Layout::Rgba, &[0, 0, 0, 0]);
    let stride = canvas.stride();
    let row_len = frame.stride();
    let dst = canvas.data_mut();
    for (row, src) in frame.data().chunks_exact(row_len).enumerate() {
        let start = (y as usize + row) * stride + x as usize * 4;
        dst[start..start + row_len].copy_from_slice(src);
    }
    Ok(plain(canvas))
}

fn corrupt(msg: &str) -> RenderError {
    RenderError::Corrupt(format!("invalid WebP data: {msg}"))
}

/// Decodes a still WebP into RGB or RGBA (as the bitstream declares alpha), each side
/// divided by `shrink` and rounded up.
fn decode_still(bytes: &[u8], shrink: u32) -> Result<Raster, RenderError> {
    let f = libwebp::features(bytes).map_err(|e| corrupt(&e.0))?;
    if f.width == 0 || f.height == 0 || f.has_animation {
        return Err(corrupt("not a still image"));
    }
    let (w, h) = (f.width.div_ceil(shrink), f.height.div_ceil(shrink));
    let pixels = libwebp::decode_scaled(bytes, w, h, f.has_alpha).map_err(|e| corrupt(&e.0))?;
    let layout = if f.has_alpha {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    Raster::new(w, h, layout, pixels)
}

/// Wraps the chunks of one `ANMF` frame (optional `ALPH`, then `VP8 ` or `VP8L`) into a
/// standalone WebP file.
fn still_from_frame(frame: &[u8], w: u32, h: u32) -> Result<Vec<u8>, RenderError> {
    let mut alph = None;
    let mut bitstream = None;
    for c in chunks(frame) {
        match &c.fourcc {
            b"ALPH" => alph = Some(c),
            b"VP8 " | b"VP8L" => {
                bitstream = Some(c);
                break;
            }
            _ => {}
        }
    }
    let bitstream = bitstream.ok_or_else(|| corrupt("frame has no bitstream"))?;
    // Lossy with a separate alpha plane needs the extended (VP8X) layout.
    let extended = match (alph, &bitstream.fourcc) {
        (Some(a), b"VP8 ") => {
            let mut vp8x = vec![ALPHA, 0, 0, 0];
            vp8x.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
            vp8x.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
            Some((vp8x, a.payload))
        }
        _ => None,
    };
    let mut parts: Vec<(&[u8; 4], &[u8])> = Vec::new();
    if let Some((vp8x, alpha)) = &extended {
        parts.push((b"VP8X", vp8x));
        parts.push((b"ALPH", alpha));
    }
    parts.push((&bitstream.fourcc, bitstream.payload));
    Ok(riff(&parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::SourceFormat;
    use crate::render::header;

    fn still(w: u32, h: u32, rgba: &[u8]) -> Vec<u8> {
        webp::Encoder::from_rgba(rgba, w, h)
            .encode_lossless()
            .to_vec()
    }

    #[test]
    fn still_lossless_with_alpha() {
        let px = [10, 20, 30, 255, 40, 50, 60, 0];
        let d = decode(&still(2, 1, &px), &header_of(&still(2, 1, &px)), 1).unwrap();
        assert_eq!(d.raster.layout(), Layout::Rgba);
        assert_eq!(d.raster.pixel(0, 0), &[10, 20, 30, 255]);
        assert_eq!(d.raster.pixel(1, 0)[3], 0);
    }

    #[test]
    fn scaled_decode_matches_full_decode_and_resize() {
        // A smooth 256x160 picture, lossy: the 1/4 decode must be 64x40 and close to a full
        // decode resized by the pipeline's own resizer.
        let (w, h) = (256u32, 160u32);
        let mut px = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let v = ((x as f32 / 20.0).sin() * 100.0 + 128.0) as u8;
                px.extend_from_slice(&[v, (y * 255 / h) as u8, 255 - v]);
            }
        }
        let file = webp::Encoder::from_rgb(&px, w, h).encode(95.0).to_vec();
        let header = header_of(&file);
        let scaled = decode(&file, &header, 4).unwrap().raster;
        assert_eq!(
            (scaled.width(), scaled.height(), scaled.layout()),
            (64, 40, Layout::Rgb)
        );
        let full = decode(&file, &header, 1).unwrap().raster;
        let all = crate::render::resize::CropBox::all(&full);
        let reference = crate::render::resize::resize(&full, all, 64, 40).unwrap();
        let diff: u64 = scaled
            .data()
            .iter()
            .zip(reference.data())
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        let mean = diff as f64 / scaled.data().len() as f64;
        assert!(mean < 3.0, "mean difference {mean}");
    }

    fn header_of(bytes: &[u8]) -> Header {
        header::read(SourceFormat::Webp, bytes).unwrap()
    }

    #[test]
    fn first_frame_of_an_animation() {
        // Canvas 4x4; frame 1 is a 2x2 opaque green square at (2, 2); frame 2 is ignored.
        let frame = still(2, 2, &[0, 255, 0, 255].repeat(4));
        let bitstream = &frame[12..]; // the VP8L chunk
        let mut anmf = Vec::new();
        for v in [1u32, 1, 1, 1, 100] {
            anmf.extend_from_slice(&v.to_le_bytes()[..3]);
        }
        anmf.push(0);
        anmf.extend_from_slice(bitstream);
        let file = riff(&[
            (b"VP8X", &[ANIMATION | ALPHA, 0, 0, 0, 3, 0, 0, 3, 0, 0]),
            (b"ANIM", &[0, 0, 0, 0, 0, 0]),
            (b"ANMF", &anmf),
            (b"ANMF", &[0; 8]), // a broken second frame is never read
        ]);

        let d = decode(&file, &header_of(&file), 4).unwrap();
        assert_eq!((d.raster.width(), d.raster.height()), (4, 4));
        assert_eq!(d.raster.pixel(0, 0), &[0, 0, 0, 0]);
        assert_eq!(d.raster.pixel(3, 3), &[0, 255, 0, 255]);
    }
}
