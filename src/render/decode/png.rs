//! PNG decoding with the `png` crate: palettes and tRNS expanded, 16-bit stripped to 8-bit,
//! alpha kept, the iCCP profile handed to the colour stage. There is no reduced decode for
//! PNG; the header check has already bounded the pixel count.
//!
//! The crate is told to skip text and `iCCP` chunks: text is never needed, and its own
//! `iCCP` reading inflates up to its 64 MiB allocation budget (a 0.5 MB zlib bomb is then
//! 64 MiB of garbage handed to the colour stage, and a second `iCCP` fails the whole
//! image). [`icc_profile`] reads the first one itself, inflating at most
//! [`MAX_ICC_BYTES`].

use super::Decoded;
use crate::render::RenderError;
use crate::render::colour::MAX_ICC_BYTES;
use crate::render::metadata::png_chunk_data;
use crate::render::raster::{Layout, Raster};
use png::{BitDepth, ColorType, Transformations};
use std::io::Cursor;

pub(super) fn decode(bytes: &[u8]) -> Result<Decoded, RenderError> {
    let corrupt = |e: png::DecodingError| match e {
        png::DecodingError::LimitsExceeded => {
            RenderError::TooLarge("image needs too much memory to decode".into())
        }
        other => RenderError::Corrupt(format!("invalid PNG data: {other}")),
    };
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(Transformations::EXPAND | Transformations::STRIP_16);
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder.read_info().map_err(corrupt)?;
    let icc = icc_profile(bytes);
    let layout = match reader.output_color_type() {
        (ColorType::Grayscale, BitDepth::Eight) => Layout::Gray,
        (ColorType::GrayscaleAlpha, BitDepth::Eight) => Layout::GrayAlpha,
        (ColorType::Rgb, BitDepth::Eight) => Layout::Rgb,
        (ColorType::Rgba, BitDepth::Eight) => Layout::Rgba,
        _ => return Err(RenderError::Corrupt("unsupported PNG pixel format".into())),
    };
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| RenderError::TooLarge("image dimensions exceed the limit".into()))?;
    let mut pixels = vec![0u8; size];
    let frame = reader.next_frame(&mut pixels).map_err(corrupt)?;
    pixels.truncate(frame.buffer_size());
    // Rows may be padded only for sub-byte depths, which EXPAND removes; check anyway.
    if frame.line_size != frame.width as usize * layout.channels() {
        return Err(RenderError::Corrupt("unexpected PNG row layout".into()));
    }
    Ok(Decoded {
        raster: Raster::new(frame.width, frame.height, layout, pixels)?,
        icc,
        cmyk_inverted: false,
    })
}

/// The profile of the first `iCCP` chunk (keyword, NUL, compression method 0, zlib data),
/// if it inflates to at most [`MAX_ICC_BYTES`]; anything else is no profile (sRGB).
fn icc_profile(bytes: &[u8]) -> Option<Vec<u8>> {
    let data = png_chunk_data(bytes, b"iCCP")?;
    let nul = data.iter().take(80).position(|&b| b == 0)?;
    let zlib = data.get(nul + 1..)?.strip_prefix(&[0])?;
    miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(zlib, MAX_ICC_BYTES).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(w: u32, h: u32, color: ColorType, depth: BitDepth, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = png::Encoder::new(&mut out, w, h);
        e.set_color(color);
        e.set_depth(depth);
        if color == ColorType::Indexed {
            e.set_palette(vec![255, 0, 0, 0, 0, 255]);
            e.set_trns(vec![255, 0]);
        }
        let mut wr = e.write_header().unwrap();
        wr.write_image_data(data).unwrap();
        wr.finish().unwrap();
        out
    }

    #[test]
    fn palette_with_transparency_expands_to_rgba() {
        // 2x1, 8-bit indices 0 (opaque red) and 1 (transparent blue).
        let p = encode(2, 1, ColorType::Indexed, BitDepth::Eight, &[0, 1]);
        let d = decode(&p).unwrap();
        assert_eq!(d.raster.layout(), Layout::Rgba);
        assert_eq!(d.raster.data(), &[255, 0, 0, 255, 0, 0, 255, 0]);
    }

    #[test]
    fn sixteen_bit_is_stripped() {
        let p = encode(
            1,
            1,
            ColorType::Rgb,
            BitDepth::Sixteen,
            &[0xAB, 0xCD, 0, 0, 0xFF, 0xFF],
        );
        let d = decode(&p).unwrap();
        assert_eq!(d.raster.data(), &[0xAB, 0, 0xFF]);
    }

    #[test]
    fn first_icc_profile_within_the_limit() {
        let iccp = |profile: &[u8]| {
            let mut data = b"any name\0\0".to_vec();
            data.extend(miniz_oxide::deflate::compress_to_vec_zlib(profile, 6));
            crate::render::metadata::png_chunk(b"iCCP", &data)
        };
        let plain = encode(1, 1, ColorType::Rgb, BitDepth::Eight, &[1, 2, 3]);
        let with = |chunks: &[Vec<u8>]| {
            let mut p = plain[..33].to_vec();
            p.extend(chunks.concat());
            p.extend_from_slice(&plain[33..]);
            p
        };
        // A second iCCP (not allowed) neither replaces the first nor fails the image.
        let two = with(&[iccp(b"first"), iccp(b"second")]);
        assert_eq!(decode(&two).unwrap().icc.as_deref(), Some(&b"first"[..]));
        // One byte over the limit: no profile.
        let big = with(&[iccp(&vec![0; MAX_ICC_BYTES + 1])]);
        assert_eq!(decode(&big).unwrap().icc, None);
        let at_limit = with(&[iccp(&vec![0; MAX_ICC_BYTES])]);
        assert_eq!(
            decode(&at_limit).unwrap().icc.map(|p| p.len()),
            Some(MAX_ICC_BYTES)
        );
    }

    #[test]
    fn truncated_is_corrupt() {
        let data = vec![7u8; 64 * 64 * 3];
        let p = encode(64, 64, ColorType::Rgb, BitDepth::Eight, &data);
        assert!(matches!(
            decode(&p[..p.len() / 2]),
            Err(RenderError::Corrupt(_))
        ));
    }
}
