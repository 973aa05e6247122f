//! PNG decoding with the `png` crate: palettes and tRNS expanded, 16-bit stripped to 8-bit,
//! alpha kept, the iCCP profile handed to the colour stage. There is no reduced decode for
//! PNG; the header check has already bounded the pixel count.

use super::Decoded;
use crate::render::RenderError;
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
    let mut reader = decoder.read_info().map_err(corrupt)?;
    let icc = reader.info().icc_profile.as_ref().map(|p| p.to_vec());
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
    fn truncated_is_corrupt() {
        let data = vec![7u8; 64 * 64 * 3];
        let p = encode(64, 64, ColorType::Rgb, BitDepth::Eight, &data);
        assert!(matches!(
            decode(&p[..p.len() / 2]),
            Err(RenderError::Corrupt(_))
        ));
    }
}
