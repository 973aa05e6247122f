//! HEIF decoding through libheif (`render::libheif`, libde265 for HEVC): the primary image
//! at full size in stored orientation (libheif's own `irot`/`imir` handling is switched
//! off; the pipeline turns the resized image, from the header's orientation). HEVC has no
//! reduced-resolution decode, so there is no shrink on load; the header's pixel limit bounds
//! the work, and libheif is told the header's largest side as its own limit. A fully opaque
//! alpha channel is dropped; an ICC profile (`colr` `prof`/`rICC`) goes to the colour stage.

use super::Decoded;
use crate::render::RenderError;
use crate::render::header::Header;
use crate::render::libheif::{self, HeifFailure};
use crate::render::raster::{Layout, Raster};

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    max_pixels: u64,
) -> Result<Decoded, RenderError> {
    let side = header.width.max(header.height);
    let pixels = header.pixels().min(max_pixels);
    let d = libheif::decode(bytes, pixels, side).map_err(|e| match e {
        HeifFailure::Unsupported(m) => RenderError::UnsupportedFormat(format!("HEIF: {m}")),
        HeifFailure::TooLarge(m) => RenderError::TooLarge(format!("HEIF: {m}")),
        HeifFailure::Corrupt(m) => RenderError::Corrupt(format!("invalid HEIF data: {m}")),
    })?;
    let layout = if d.has_alpha {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    let raster = Raster::new(d.width, d.height, layout, d.pixels)?.without_opaque_alpha();
    Ok(Decoded {
        raster,
        icc: d.icc,
        cmyk_inverted: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::SourceFormat;
    use crate::render::orientation::Orientation;

    #[test]
    fn garbage_after_a_readable_header_is_an_error_not_a_crash() {
        let header = Header {
            format: SourceFormat::Heif,
            width: 64,
            height: 48,
            orientation: Orientation::NORMAL,
            icc: None,
            cmyk_inverted: false,
            frames: 1,
            plays: 0,
        };
        let mut bytes = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        bytes.extend_from_slice(&[0xA5; 200]);
        let err = decode(&bytes, &header, 1 << 20).unwrap_err();
        assert!(
            matches!(
                err,
                RenderError::Corrupt(_) | RenderError::UnsupportedFormat(_)
            ),
            "{err}"
        );
    }
}
