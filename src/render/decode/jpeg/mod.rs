//! JPEG decoding with libjpeg-turbo (through the `turbojpeg` crate): DCT scaling by 1/2, 1/4
//! or 1/8 while decoding, so a 36 MP photo becomes a 0.6 MP raster without ever existing at
//! full size. Grey JPEGs stay one channel; CMYK/YCCK come out as CMYK for the colour stage.
//! At 1/8, common baseline files take the faster DC-only path of [`dc`] first.

mod dc;

use super::Decoded;
use crate::render::RenderError;
use crate::render::header::Header;
use crate::render::raster::{Layout, Raster, byte_len};
use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat, ScalingFactor};

/// Progressive scans allowed: guards against files built to make the decoder loop over
/// thousands of tiny scans (libjpeg-turbo's advice for untrusted input).
const MAX_SCANS: u32 = 500;

/// Decodes `bytes`, reduced by `shrink` (1, 2, 4 or 8).
pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    shrink: u32,
    max_pixels: u64,
) -> Result<Decoded, RenderError> {
    // Frames over `max_pixels` are left to libjpeg-turbo too, which refuses them below.
    if shrink == 8 {
        match dc::decode(bytes, max_pixels) {
            Ok(raster) => {
                return Ok(Decoded {
                    raster,
                    icc: header.icc.clone(),
                    cmyk_inverted: header.cmyk_inverted,
                });
            }
            Err(dc::Unsupported(why)) => tracing::trace!(why, "JPEG left to libjpeg-turbo"),
        }
    }
    let corrupt = |e: turbojpeg::Error| RenderError::Corrupt(short_message(&e));
    let mut d = Decompressor::new().map_err(|e| RenderError::Encode(e.to_string()))?;
    let info = d.read_header(bytes).map_err(corrupt)?;
    if info.width as u64 * info.height as u64 > max_pixels {
        return Err(RenderError::TooLarge(
            "image dimensions exceed the limit".into(),
        ));
    }
    // Lossless JPEG cannot be scaled; decode it at full size.
    let shrink = if info.is_lossless { 1 } else { shrink };
    let factor = ScalingFactor::new(1, shrink as usize);
    d.set_scaling_factor(factor).map_err(corrupt)?;
    d.set_scan_limit(MAX_SCANS).map_err(corrupt)?;
    let scaled = info.scaled(factor);
    let (format, layout) = match info.colorspace {
        Colorspace::Gray => (PixelFormat::GRAY, Layout::Gray),
        Colorspace::CMYK | Colorspace::YCCK => (PixelFormat::CMYK, Layout::Cmyk),
        _ => (PixelFormat::RGB, Layout::Rgb),
    };
    let (w, h) = (
        u32::try_from(scaled.width).map_err(|_| too_large())?,
        u32::try_from(scaled.height).map_err(|_| too_large())?,
    );
    let len = byte_len(w, h, layout).ok_or_else(too_large)?;
    let mut pixels = vec![0u8; len];
    let image = Image {
        pixels: &mut pixels[..],
        width: scaled.width,
        pitch: scaled.width * format.size(),
        height: scaled.height,
        format,
    };
    if let Err(e) = d.decompress(bytes, image) {
        // libjpeg-turbo reports recoverable problems as errors too; accept the benign ones
        // (the pixels are complete) and refuse the rest, truncation included.
        if !is_benign_warning(&e) {
            return Err(corrupt(e));
        }
    }
    Ok(Decoded {
        raster: Raster::new(w, h, layout, pixels)?,
        icc: header.icc.clone(),
        cmyk_inverted: header.cmyk_inverted,
    })
}

/// See [`super::jpeg_dc`] (frames up to the default source pixel limit).
pub(super) fn dc_only(bytes: &[u8]) -> Result<Raster, &'static str> {
    dc::decode(bytes, 50_000_000).map_err(|dc::Unsupported(why)| why)
}

fn too_large() -> RenderError {
    RenderError::TooLarge("image dimensions exceed the limit".into())
}

/// Warnings after which every pixel was still decoded from real data: stray bytes between
/// segments and unknown JFIF versions, both common in files that every browser shows.
fn is_benign_warning(e: &turbojpeg::Error) -> bool {
    let turbojpeg::Error::TurboJpegError(msg) = e else {
        return false;
    };
    msg.contains("extraneous bytes before marker") || msg.contains("unknown JFIF revision")
}

/// libjpeg's message without the crate's prefix, cut to a sane length.
fn short_message(e: &turbojpeg::Error) -> String {
    let msg = match e {
        turbojpeg::Error::TurboJpegError(m) => m.as_str(),
        _ => "invalid JPEG data",
    };
    let msg: String = msg.chars().take(120).collect();
    if msg.is_empty() {
        "invalid JPEG data".into()
    } else {
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::SourceFormat;
    use crate::render::header;

    /// A 64x48 RGB JPEG of a horizontal red ramp, from libjpeg-turbo itself.
    fn ramp_jpeg() -> Vec<u8> {
        let (w, h) = (64usize, 48usize);
        let mut px = Vec::with_capacity(w * h * 3);
        for _ in 0..h {
            for x in 0..w {
                px.extend_from_slice(&[(x * 4) as u8, 0, 0]);
            }
        }
        let image = Image {
            pixels: &px[..],
            width: w,
            pitch: w * 3,
            height: h,
            format: PixelFormat::RGB,
        };
        turbojpeg::compress(image, 95, turbojpeg::Subsamp::None)
            .unwrap()
            .to_vec()
    }

    #[test]
    fn shrinks_on_load() {
        let j = ramp_jpeg();
        let h = header::read(SourceFormat::Jpeg, &j).unwrap();
        for (shrink, w) in [(1, 64), (2, 32), (4, 16), (8, 8)] {
            let d = decode(&j, &h, shrink, u64::MAX).unwrap();
            assert_eq!((d.raster.width(), d.raster.height()), (w, 48 / shrink));
            assert_eq!(d.raster.layout(), Layout::Rgb);
        }
    }

    #[test]
    fn truncated_is_corrupt_and_pixel_limit_holds() {
        let j = ramp_jpeg();
        let h = header::read(SourceFormat::Jpeg, &j).unwrap();
        let cut = &j[..j.len() * 2 / 3];
        assert!(matches!(
            decode(cut, &h, 1, u64::MAX),
            Err(RenderError::Corrupt(_))
        ));
        assert!(matches!(
            decode(&j, &h, 1, 100),
            Err(RenderError::TooLarge(_))
        ));
    }
}
