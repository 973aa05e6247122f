//! GIF decoding with the `gif` crate: the first frame only, composited onto a transparent
//! canvas the size of the logical screen. Later frames are never read, so a 10 000-frame
//! animation answered as a still costs what its first frame costs (animations rendered as
//! animations go through `render::animation`).

use super::{Decoded, plain};
use crate::render::RenderError;
use crate::render::raster::{Layout, Raster, byte_len};
use std::num::NonZeroU64;

pub(super) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded, RenderError> {
    let corrupt = |e: gif::DecodingError| match e {
        gif::DecodingError::MemoryLimit => too_large(),
        other => RenderError::Corrupt(format!("invalid GIF data: {other}")),
    };
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let frame_bytes = max_pixels.saturating_mul(4).max(4);
    options.set_memory_limit(gif::MemoryLimit::Bytes(
        NonZeroU64::new(frame_bytes).unwrap_or(NonZeroU64::MIN),
    ));
    let mut decoder = options.read_info(bytes).map_err(corrupt)?;
    let (sw, sh) = (u32::from(decoder.width()), u32::from(decoder.height()));
    let frame = decoder
        .next_frame_info()
        .map_err(corrupt)?
        .ok_or_else(|| RenderError::Corrupt("GIF has no frames".into()))?;
    let (fx, fy) = (u32::from(frame.left), u32::from(frame.top));
    let (fw, fh) = (u32::from(frame.width), u32::from(frame.height));
    if fw as u64 * fh as u64 > max_pixels {
        return Err(too_large());
    }
    let mut buf = vec![0u8; byte_len(fw, fh, Layout::Rgba).ok_or_else(too_large)?];
    decoder.read_into_buffer(&mut buf).map_err(corrupt)?;

    // Composite onto the screen (frames may hang over its edge: clip them).
    let mut canvas = Raster::filled(sw, sh, Layout::Rgba, &[0, 0, 0, 0]);
    let stride = canvas.stride();
    let copy_w = fw.min(sw.saturating_sub(fx)) as usize * 4;
    let rows = fh.min(sh.saturating_sub(fy)) as usize;
    if copy_w == 0 {
        // The frame lies entirely right of the screen: nothing of it is visible.
        return Ok(plain(canvas));
    }
    let dst = canvas.data_mut();
    for row in 0..rows {
        let src_start = row * fw as usize * 4;
        let dst_start = (fy as usize + row) * stride + fx as usize * 4;
        dst[dst_start..dst_start + copy_w].copy_from_slice(&buf[src_start..src_start + copy_w]);
    }
    Ok(plain(canvas))
}

fn too_large() -> RenderError {
    RenderError::TooLarge("image dimensions exceed the limit".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4x3 screen whose 2x2 first frame sits at (1, 1); a second frame follows.
    fn two_frame_gif() -> Vec<u8> {
        let mut out = Vec::new();
        {
            let palette = [255, 0, 0, 0, 0, 255];
            let mut e = gif::Encoder::new(&mut out, 4, 3, &palette).unwrap();
            let mut f = gif::Frame::from_indexed_pixels(2, 2, vec![0, 1, 1, 0], Some(1));
            f.left = 1;
            f.top = 1;
            e.write_frame(&f).unwrap();
            let f = gif::Frame::from_indexed_pixels(4, 3, vec![1; 12], None);
            e.write_frame(&f).unwrap();
        }
        out
    }

    #[test]
    fn first_frame_on_transparent_screen() {
        let d = decode(&two_frame_gif(), u64::MAX).unwrap();
        let r = &d.raster;
        assert_eq!((r.width(), r.height()), (4, 3));
        assert_eq!(r.pixel(0, 0), &[0, 0, 0, 0]);
        assert_eq!(r.pixel(1, 1), &[255, 0, 0, 255]);
        assert_eq!(r.pixel(2, 1)[3], 0, "index 1 is the transparent colour");
        assert_eq!(r.pixel(2, 2), &[255, 0, 0, 255]);
    }

    #[test]
    fn frames_off_the_screen_are_clipped() {
        // Found by fuzzing: a frame whose left edge is past the screen's right edge.
        for (left, top) in [(9, 0), (0, 9), (3, 2), (4, 3)] {
            let mut out = Vec::new();
            {
                let mut e = gif::Encoder::new(&mut out, 4, 3, &[255, 0, 0, 0, 0, 255]).unwrap();
                let mut f = gif::Frame::from_indexed_pixels(2, 2, vec![0; 4], None);
                f.left = left;
                f.top = top;
                e.write_frame(&f).unwrap();
            }
            let d = decode(&out, u64::MAX).unwrap();
            assert_eq!((d.raster.width(), d.raster.height()), (4, 3));
        }
    }

    #[test]
    fn frame_pixel_limit() {
        assert!(matches!(
            decode(&two_frame_gif(), 3),
            Err(RenderError::TooLarge(_))
        ));
    }
}
