//! JPEG decoding with libjpeg-turbo (through the `turbojpeg` crate): DCT scaling by 1/2, 1/4
//! or 1/8 while decoding, so a 36 MP photo becomes a 0.6 MP raster without ever existing at
//! full size. Grey JPEGs stay one channel; CMYK/YCCK come out as CMYK for the colour stage.
//! At 1/8, common baseline files take the faster DC-only path of [`dc`] first.

mod dc;

use super::Decoded;
use crate::render::RenderError;
use crate::render::header::Header;
use crate::render::raster::{Layout, Raster, byte_len};
use std::borrow::Cow;
use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat, ScalingFactor};

/// Progressive scans allowed at most: libjpeg-turbo's advice for untrusted input, against
/// files built to make the decoder loop over thousands of tiny scans.
const MAX_SCANS: u32 = 500;
/// Progressive scans allowed whatever the size: real encoders write 10 (YCbCr) to 18 (CMYK).
const MIN_SCANS: u32 = 32;
/// Block visits the scans of one decode may add up to, between those two bounds. Every
/// scan is a pass over every block of its components, even an empty scan (6 to 9 ns a
/// block measured), so 500 scans of a 49 Mpx frame hold a worker 2.6 s; this budget keeps
/// a scan bomb near a quarter of a second, below a second at the default pixel limit
/// (`docs/security.md`).
const SCAN_BUDGET_BLOCKS: u64 = 32_000_000;

/// The scans allowed for a frame of `width`x`height` with `components` components.
fn scan_limit(width: usize, height: usize, components: u64) -> u32 {
    let blocks = (width.div_ceil(8) as u64) * (height.div_ceil(8) as u64) * components;
    let limit = SCAN_BUDGET_BLOCKS / blocks.max(1);
    limit.clamp(MIN_SCANS.into(), MAX_SCANS.into()) as u32
}

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
    let (info, bytes) = read_header(&mut d, bytes).map_err(corrupt)?;
    if info.width as u64 * info.height as u64 > max_pixels {
        return Err(RenderError::TooLarge(
            "image dimensions exceed the limit".into(),
        ));
    }
    // Lossless JPEG cannot be scaled; decode it at full size.
    let shrink = if info.is_lossless { 1 } else { shrink };
    let factor = ScalingFactor::new(1, shrink as usize);
    d.set_scaling_factor(factor).map_err(corrupt)?;
    let scaled = info.scaled(factor);
    let (format, layout, components) = match info.colorspace {
        Colorspace::Gray => (PixelFormat::GRAY, Layout::Gray, 1),
        Colorspace::CMYK | Colorspace::YCCK => (PixelFormat::CMYK, Layout::Cmyk, 4),
        _ => (PixelFormat::RGB, Layout::Rgb, 3),
    };
    d.set_scan_limit(scan_limit(info.width, info.height, components))
        .map_err(corrupt)?;
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
    if let Err(e) = d.decompress(&bytes, image) {
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

/// See [`super::jpeg_dc`].
pub(super) fn dc_only(bytes: &[u8], max_pixels: u64) -> Result<Raster, &'static str> {
    dc::decode(bytes, max_pixels).map_err(|dc::Unsupported(why)| why)
}

fn too_large() -> RenderError {
    RenderError::TooLarge("image dimensions exceed the limit".into())
}

/// Warnings after which every pixel was still decoded from real data: stray bytes between
/// segments and unknown JFIF versions, both common in files that every browser shows.
pub(crate) fn is_benign_warning(e: &turbojpeg::Error) -> bool {
    let turbojpeg::Error::TurboJpegError(msg) = e else {
        return false;
    };
    msg.contains("extraneous bytes before marker") || msg.contains("unknown JFIF revision")
}

/// libjpeg-turbo's reading of the header, and the bytes to decode. Its header call also
/// gathers the ICC profile, which vignette reads itself (and drops when broken, as browsers
/// do), and fails on a warning about broken ICC chunks, as does every decode (which reads
/// the header again). Such a file is then given to libjpeg-turbo without its APP2
/// segments (a copy, in this rare case), so that it decodes as it does through the
/// DC-only path: never a 422 for one size and pixels for another.
pub(crate) fn read_header<'a>(
    d: &mut Decompressor,
    bytes: &'a [u8],
) -> Result<(turbojpeg::DecompressHeader, Cow<'a, [u8]>), turbojpeg::Error> {
    match d.read_header(bytes) {
        Err(turbojpeg::Error::TurboJpegError(msg)) if msg.contains("bad ICC marker") => {
            let stripped = without_icc(bytes).ok_or(turbojpeg::Error::TurboJpegError(msg))?;
            Ok((d.read_header(&stripped)?, Cow::Owned(stripped)))
        }
        other => Ok((other?, Cow::Borrowed(bytes))),
    }
}

/// `bytes` without the APP2 segments before its first scan; `None` if the segments up to
/// that scan are malformed.
fn without_icc(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..2)?);
    let mut at = 2;
    loop {
        let head = bytes.get(at..at + 4)?;
        if head[0] != 0xFF {
            return None;
        }
        let end = at + 2 + u16::from_be_bytes([head[2], head[3]]) as usize;
        if head[1] != 0xE2 {
            out.extend_from_slice(bytes.get(at..end)?);
        }
        if head[1] == 0xDA {
            out.extend_from_slice(bytes.get(end..)?);
            return Some(out);
        }
        at = end;
    }
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
    fn scan_limit_follows_the_frame_size() {
        assert_eq!(scan_limit(640, 480, 3), MAX_SCANS);
        // 4096x4096 grey: 262 144 blocks a scan.
        assert_eq!(scan_limit(4096, 4096, 1), 122);
        // At the default pixel limit, and in CMYK.
        assert_eq!(scan_limit(7000, 7000, 1), 41);
        assert_eq!(scan_limit(7000, 7000, 4), MIN_SCANS);
        assert_eq!(scan_limit(0, 0, 3), MAX_SCANS);
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
