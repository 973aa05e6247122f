//! One of vignette's FFI modules (with `libwebp`, `malloc` and `pool::priority`, the only
//! `unsafe` code): a small binding over libavif for AVIF decoding (dav1d, colour
//! conversion in [`super::yuv`] where it can) and encoding (libaom). Why dav1d: it decodes
//! a 2 MP AV1 frame in about half libaom's time, as libvips does with it.
//!
//! Why not the safe `libavif` crate: its encoder never allocates an alpha plane, so AVIF
//! output lost transparency, and its decoder sets no size limits, so a crafted AV1 stream
//! could make libaom allocate far more than the header promised. Both need fields the
//! safe API does not expose. Why libaom and not rav1e (ravif): at thumbnail sizes libaom
//! speed 8 encodes several times faster for similar bytes (see docs/performance.md).
//!
//! Every libavif object lives in a guard that frees it on drop; every call's result is
//! checked; buffers handed to C are Rust slices that outlive the call.
#![allow(unsafe_code)]

use super::yuv;
use libavif_sys as sys;
use std::ffi::CStr;

/// A libavif error, as its own message.
#[derive(Debug)]
pub(crate) struct AvifError(String);

impl std::fmt::Display for AvifError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn check(result: sys::avifResult, what: &str) -> Result<(), AvifError> {
    if result == sys::AVIF_RESULT_OK {
        return Ok(());
    }
    // SAFETY: avifResultToString returns a static, NUL-terminated string for any value.
    let msg = unsafe { CStr::from_ptr(sys::avifResultToString(result)) };
    Err(AvifError(format!("{what}: {}", msg.to_string_lossy())))
}

struct Image(*mut sys::avifImage);
impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: the pointer came from avifImageCreate*/ and is destroyed once.
        unsafe { sys::avifImageDestroy(self.0) }
    }
}

struct Decoder(*mut sys::avifDecoder);
impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: created by avifDecoderCreate, destroyed once.
        unsafe { sys::avifDecoderDestroy(self.0) }
    }
}

struct Encoder(*mut sys::avifEncoder);
impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: created by avifEncoderCreate, destroyed once.
        unsafe { sys::avifEncoderDestroy(self.0) }
    }
}

struct RwData(sys::avifRWData);
impl Drop for RwData {
    fn drop(&mut self) {
        // SAFETY: filled by libavif (or still empty, which avifRWDataFree accepts).
        unsafe { sys::avifRWDataFree(&mut self.0) }
    }
}

/// A decoded AVIF: 8-bit RGB, or RGBA when the image has an alpha plane, tightly packed.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) has_alpha: bool,
    pub(crate) pixels: Vec<u8>,
}

/// Decodes the primary image of `bytes` into 8-bit RGB(A), refusing frames of more than
/// `max_pixels` pixels or `max_side` pixels on a side before libaom allocates them. The
/// decoder (and libaom's frame buffers) is released before the colour conversion, which
/// writes straight into the returned buffer: a 4 MP AVIF peaked at 101 MB with libavif's
/// own RGB buffer and a copy. With `half`, a 4:2:0 frame without alpha comes out at half
/// size (sides rounded up; see [`yuv`]); anything else at full size.
pub(crate) fn decode(
    bytes: &[u8],
    max_pixels: u64,
    max_side: u32,
    half: bool,
) -> Result<Decoded, AvifError> {
    let image = decode_planes(bytes, max_pixels, max_side)?;
    match convert_here(&image, half) {
        Some(decoded) => Ok(decoded),
        None => convert_libavif(&image),
    }
}

/// The decoded planes of the primary image, within the limits.
fn decode_planes(bytes: &[u8], max_pixels: u64, max_side: u32) -> Result<Image, AvifError> {
    // SAFETY: avifDecoderCreate returns an owned decoder or null.
    let decoder = Decoder(unsafe { sys::avifDecoderCreate() });
    if decoder.0.is_null() {
        return Err(AvifError("out of memory".into()));
    }
    // SAFETY: decoder.0 is valid; plain field writes.
    unsafe {
        let d = &mut *decoder.0;
        d.maxThreads = 1;
        d.ignoreExif = 1;
        d.ignoreXMP = 1;
        d.imageSizeLimit = max_pixels.min(u32::MAX as u64) as u32;
        d.imageDimensionLimit = max_side;
        d.imageCountLimit = 1;
    }
    // SAFETY: returns an owned empty image or null.
    let image = Image(unsafe { sys::avifImageCreateEmpty() });
    if image.0.is_null() {
        return Err(AvifError("out of memory".into()));
    }
    // SAFETY: decoder and image are valid; `bytes` outlives the call and libavif only
    // reads `bytes.len()` bytes from it. The decoded planes are copied into `image`.
    check(
        unsafe { sys::avifDecoderReadMemory(decoder.0, image.0, bytes.as_ptr(), bytes.len()) },
        "decode",
    )?;
    drop(decoder);
    // SAFETY: image.0 holds a decoded image; reading plain fields.
    let (w, h) = unsafe { ((*image.0).width, (*image.0).height) };
    if w == 0 || h == 0 || (w as u64) * (h as u64) > max_pixels {
        return Err(AvifError(format!("decoded frame {w}x{h} is out of bounds")));
    }
    Ok(image)
}

/// libavif's own conversion to 8-bit RGB(A), for the frames [`convert_here`] leaves.
fn convert_libavif(image: &Image) -> Result<Decoded, AvifError> {
    // SAFETY: image.0 holds a decoded image; reading plain fields.
    let (w, h, has_alpha) = unsafe {
        let img = &*image.0;
        (img.width, img.height, !img.alphaPlane.is_null())
    };
    let mut rgb = sys::avifRGBImage::default();
    // SAFETY: image.0 holds a decoded image; rgb is a plain struct that SetDefaults fills.
    unsafe {
        sys::avifRGBImageSetDefaults(&mut rgb, image.0);
    }
    let channels = if has_alpha { 4 } else { 3 };
    rgb.format = if has_alpha {
        sys::AVIF_RGB_FORMAT_RGBA
    } else {
        sys::AVIF_RGB_FORMAT_RGB
    };
    rgb.depth = 8;
    rgb.maxThreads = 1;
    // Nearest chroma, as `convert_here` takes it: the same pixels whichever path converts.
    rgb.chromaUpsampling = sys::AVIF_CHROMA_UPSAMPLING_FASTEST;
    let row = w as usize * channels;
    let mut pixels = vec![0u8; row * h as usize];
    rgb.rowBytes = u32::try_from(row).map_err(|_| AvifError("image too large".into()))?;
    rgb.pixels = pixels.as_mut_ptr();
    // SAFETY: `pixels` holds rowBytes × height bytes, outlives the call and is written only
    // by it; rgb was set up for image.0 (same size). libavif does not free caller pixels.
    check(
        unsafe { sys::avifImageYUVToRGB(image.0, &mut rgb) },
        "convert",
    )?;
    Ok(Decoded {
        width: w,
        height: h,
        has_alpha,
        pixels,
    })
}

/// Converts 8-bit frames in Rust ([`yuv`]): 4:2:0, 4:2:2 and 4:4:4 with a matrix that
/// module knows and straight alpha. `None` leaves the frame to libavif (high bit depth,
/// monochrome, identity/YCgCo matrices, premultiplied alpha).
fn convert_here(image: &Image, half: bool) -> Option<Decoded> {
    // SAFETY: image.0 holds a decoded image; reading plain fields.
    let img = unsafe { &*image.0 };
    let chroma_shift = match img.yuvFormat {
        sys::AVIF_PIXEL_FORMAT_YUV420 => (1, 1),
        sys::AVIF_PIXEL_FORMAT_YUV422 => (1, 0),
        sys::AVIF_PIXEL_FORMAT_YUV444 => (0, 0),
        _ => return None,
    };
    let matrix = yuv::Matrix::from_code(img.matrixCoefficients as u32)?;
    if img.depth != 8 || img.alphaPremultiplied != 0 || img.yuvPlanes.iter().any(|p| p.is_null()) {
        return None;
    }
    let (w, h) = (img.width as usize, img.height as usize);
    let (y_stride, uv_stride) = (img.yuvRowBytes[0] as usize, img.yuvRowBytes[1] as usize);
    let chroma_rows = (h + (1 << chroma_shift.1) - 1) >> chroma_shift.1;
    let chroma_cols = (w + (1 << chroma_shift.0) - 1) >> chroma_shift.0;
    if y_stride < w || uv_stride < chroma_cols || img.yuvRowBytes[2] as usize != uv_stride {
        return None;
    }
    // SAFETY: libavif allocated each plane as its row bytes × its rows (luma: height rows;
    // chroma: height rounded up by the subsampling); the image outlives these slices,
    // which are only read.
    let (y, u, v) = unsafe {
        (
            std::slice::from_raw_parts(img.yuvPlanes[0], y_stride * h),
            std::slice::from_raw_parts(img.yuvPlanes[1], uv_stride * chroma_rows),
            std::slice::from_raw_parts(img.yuvPlanes[2], uv_stride * chroma_rows),
        )
    };
    let alpha = if img.alphaPlane.is_null() {
        None
    } else {
        let stride = img.alphaRowBytes as usize;
        if stride < w {
            return None;
        }
        // SAFETY: the alpha plane is alphaRowBytes × height bytes, same lifetime as above.
        Some((
            unsafe { std::slice::from_raw_parts(img.alphaPlane, stride * h) },
            stride,
        ))
    };
    let planes = yuv::Planes {
        width: w,
        height: h,
        y,
        y_stride,
        u,
        v,
        uv_stride,
        chroma_shift,
        limited: img.yuvRange == sys::AVIF_RANGE_LIMITED,
        matrix,
    };
    if half && chroma_shift == (1, 1) && alpha.is_none() {
        let (hw, hh, pixels) = yuv::to_rgb_half(&planes);
        return Some(Decoded {
            width: hw as u32,
            height: hh as u32,
            has_alpha: false,
            pixels,
        });
    }
    Some(Decoded {
        width: img.width,
        height: img.height,
        has_alpha: alpha.is_some(),
        pixels: yuv::to_rgb(&planes, alpha),
    })
}

/// Pixels to encode: 8-bit, tightly packed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pixels<'a> {
    /// One grey channel (encoded as 4:0:0).
    Gray(&'a [u8]),
    /// RGB (4:2:0).
    Rgb(&'a [u8]),
    /// RGB with straight alpha (4:2:0 plus an alpha plane).
    Rgba(&'a [u8]),
}

/// Metadata written into the file: an EXIF (TIFF) block and an ICC profile.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Metadata<'a> {
    /// EXIF, without the `Exif\0\0` prefix.
    pub(crate) exif: Option<&'a [u8]>,
    /// ICC profile of the pixels.
    pub(crate) icc: Option<&'a [u8]>,
}

/// Encodes one still image with libaom: `quality` 0–100, `speed` 0–10, one thread.
pub(crate) fn encode(
    width: u32,
    height: u32,
    pixels: Pixels<'_>,
    (quality, speed): (u8, u8),
    metadata: Metadata<'_>,
) -> Result<Vec<u8>, AvifError> {
    let (data, channels, format, rgb_format, planes) = match pixels {
        Pixels::Gray(d) => (
            d,
            1,
            sys::AVIF_PIXEL_FORMAT_YUV400,
            sys::AVIF_RGB_FORMAT_RGB,
            sys::AVIF_PLANES_YUV,
        ),
        Pixels::Rgb(d) => (
            d,
            3,
            sys::AVIF_PIXEL_FORMAT_YUV420,
            sys::AVIF_RGB_FORMAT_RGB,
            sys::AVIF_PLANES_YUV,
        ),
        Pixels::Rgba(d) => (
            d,
            4,
            sys::AVIF_PIXEL_FORMAT_YUV420,
            sys::AVIF_RGB_FORMAT_RGBA,
            sys::AVIF_PLANES_ALL,
        ),
    };
    let expected = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(channels))
        .ok_or_else(|| AvifError("image too large".into()))?;
    if width == 0 || height == 0 || data.len() != expected {
        return Err(AvifError("pixel buffer does not match its size".into()));
    }
    // SAFETY: returns an owned image or null.
    let image = Image(unsafe { sys::avifImageCreate(width, height, 8, format) });
    if image.0.is_null() {
        return Err(AvifError("out of memory".into()));
    }
    // SAFETY: image.0 is valid; full range keeps 0/255 exact for grey and bitonal output.
    unsafe { (*image.0).yuvRange = sys::AVIF_RANGE_FULL };
    // SAFETY: image.0 is valid.
    check(
        unsafe { sys::avifImageAllocatePlanes(image.0, planes as _) },
        "allocate",
    )?;
    if let Pixels::Gray(gray) = pixels {
        // With full range and identity-free 4:0:0, Y is the grey value: copy the rows.
        // SAFETY: the Y plane holds `height` rows of `yRowBytes >= width` bytes.
        unsafe {
            let img = &*image.0;
            let stride = img.yuvRowBytes[0] as usize;
            let plane = std::slice::from_raw_parts_mut(img.yuvPlanes[0], stride * height as usize);
            for (dst, src) in plane
                .chunks_exact_mut(stride)
                .zip(gray.chunks_exact(width as usize))
            {
                dst[..width as usize].copy_from_slice(src);
            }
        }
    } else {
        let mut rgb = sys::avifRGBImage::default();
        // SAFETY: plain struct filled from a valid image.
        unsafe { sys::avifRGBImageSetDefaults(&mut rgb, image.0) };
        rgb.format = rgb_format;
        rgb.depth = 8;
        rgb.maxThreads = 1;
        rgb.rowBytes = width * channels as u32;
        // libavif only reads through this pointer (RGBToYUV takes a const image).
        rgb.pixels = data.as_ptr() as *mut u8;
        // SAFETY: `data` holds rowBytes × height bytes and outlives the call.
        check(unsafe { sys::avifImageRGBToYUV(image.0, &rgb) }, "convert")?;
    }
    if let Some(exif) = metadata.exif {
        // SAFETY: image.0 is valid; libavif copies `exif.len()` bytes from the slice.
        check(
            unsafe { sys::avifImageSetMetadataExif(image.0, exif.as_ptr(), exif.len()) },
            "exif",
        )?;
    }
    if let Some(icc) = metadata.icc {
        // SAFETY: image.0 is valid; libavif copies `icc.len()` bytes from the slice.
        check(
            unsafe { sys::avifImageSetProfileICC(image.0, icc.as_ptr(), icc.len()) },
            "icc",
        )?;
    }
    // SAFETY: returns an owned encoder or null.
    let encoder = Encoder(unsafe { sys::avifEncoderCreate() });
    if encoder.0.is_null() {
        return Err(AvifError("out of memory".into()));
    }
    // SAFETY: plain field writes on a valid encoder.
    unsafe {
        let e = &mut *encoder.0;
        e.maxThreads = 1;
        e.speed = speed.min(10) as i32;
        e.quality = quality.min(100) as i32;
        // Alpha edges matter more than chroma: keep them a little sharper.
        e.qualityAlpha = (quality as i32 + 15).min(100);
    }
    let mut out = RwData(sys::avifRWData::default());
    // SAFETY: encoder and image are valid; out receives an allocation freed by RwData.
    check(
        unsafe { sys::avifEncoderWrite(encoder.0, image.0, &mut out.0) },
        "encode",
    )?;
    if out.0.data.is_null() || out.0.size == 0 {
        return Err(AvifError("encoder wrote nothing".into()));
    }
    // SAFETY: libavif wrote `size` bytes at `data`, owned by `out` until it drops.
    Ok(unsafe { std::slice::from_raw_parts(out.0.data, out.0.size) }.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgba_round_trip_keeps_alpha() {
        let (w, h) = (32u32, 16u32);
        let mut px = Vec::new();
        for _y in 0..h {
            for x in 0..w {
                px.extend_from_slice(if x < 16 {
                    &[200, 30, 30, 255]
                } else {
                    &[0, 0, 0, 0]
                });
            }
        }
        let bytes = encode(w, h, Pixels::Rgba(&px), (80, 10), Metadata::default()).unwrap();
        let back = decode(&bytes, 1 << 20, 1 << 14, false).unwrap();
        assert_eq!((back.width, back.height, back.has_alpha), (w, h, true));
        let at = |x: usize, y: usize| &back.pixels[(y * w as usize + x) * 4..][..4];
        assert_eq!(at(4, 8)[3], 255);
        assert_eq!(at(28, 8)[3], 0);
        assert!((at(4, 8)[0] as i32 - 200).abs() < 12, "{:?}", at(4, 8));
    }

    #[test]
    fn gray_stays_gray_and_exact_at_the_extremes() {
        let px: Vec<u8> = (0..64 * 8)
            .map(|i| if i % 64 < 32 { 0 } else { 255 })
            .collect();
        let bytes = encode(64, 8, Pixels::Gray(&px), (90, 10), Metadata::default()).unwrap();
        let back = decode(&bytes, 1 << 20, 1 << 14, false).unwrap();
        assert!(!back.has_alpha);
        let p = &back.pixels[(4 * 64 + 2) * 3..][..3];
        assert!(p[0] < 8 && p[0] == p[1] && p[1] == p[2], "{p:?}");
        let p = &back.pixels[(4 * 64 + 60) * 3..][..3];
        assert!(p[0] > 247 && p[0] == p[1] && p[1] == p[2], "{p:?}");
    }

    #[test]
    fn our_conversion_matches_libavifs() {
        // A colourful gradient with alpha, in every matrix and range we convert.
        let (w, h) = (61u32, 37u32);
        let mut px = Vec::new();
        for y in 0..h {
            for x in 0..w {
                px.extend_from_slice(&[(x * 4) as u8, (y * 6) as u8, ((x + y) * 3) as u8]);
                px.push((255 - x * 2) as u8);
            }
        }
        let bytes = encode(w, h, Pixels::Rgba(&px), (90, 10), Metadata::default()).unwrap();
        let image = decode_planes(&bytes, 1 << 20, 1 << 14).unwrap();
        for (matrix, range) in [
            (6, sys::AVIF_RANGE_FULL),
            (1, sys::AVIF_RANGE_LIMITED),
            (9, sys::AVIF_RANGE_FULL),
        ] {
            // SAFETY: image.0 is a valid decoded image; plain field writes that only
            // change how its planes are read.
            unsafe {
                (*image.0).matrixCoefficients = matrix;
                (*image.0).yuvRange = range;
            }
            let ours = convert_here(&image, false).expect("converted here");
            let theirs = convert_libavif(&image).unwrap();
            assert_eq!((ours.width, ours.height, ours.has_alpha), (w, h, true));
            assert_eq!(ours.pixels.len(), theirs.pixels.len());
            let worst = ours
                .pixels
                .iter()
                .zip(&theirs.pixels)
                .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
                .max();
            assert!(
                worst <= Some(1),
                "matrix {matrix} range {range}: off by {worst:?}"
            );
        }
    }

    #[test]
    fn half_size_decodes_only_opaque_420() {
        let (w, h) = (65u32, 33u32);
        let px: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        let bytes = encode(w, h, Pixels::Rgb(&px), (80, 10), Metadata::default()).unwrap();
        let half = decode(&bytes, 1 << 20, 1 << 14, true).unwrap();
        assert_eq!((half.width, half.height, half.has_alpha), (33, 17, false));
        assert_eq!(half.pixels.len(), 33 * 17 * 3);
        let rgba: Vec<u8> = px.chunks(3).flat_map(|p| [p[0], p[1], p[2], 128]).collect();
        let bytes = encode(w, h, Pixels::Rgba(&rgba), (80, 10), Metadata::default()).unwrap();
        let full = decode(&bytes, 1 << 20, 1 << 14, true).unwrap();
        assert_eq!((full.width, full.height, full.has_alpha), (w, h, true));
    }

    #[test]
    fn limits_refuse_before_decoding() {
        let px = vec![128u8; 64 * 64 * 3];
        let bytes = encode(64, 64, Pixels::Rgb(&px), (50, 10), Metadata::default()).unwrap();
        assert!(decode(&bytes, 64 * 64 - 1, 1 << 14, false).is_err());
        assert!(decode(&bytes, 1 << 20, 63, false).is_err());
        assert!(decode(&bytes[..bytes.len() / 2], 1 << 20, 1 << 14, false).is_err());
        assert!(decode(b"not an avif", 1 << 20, 1 << 14, false).is_err());
    }

    #[test]
    fn mismatched_buffers_are_refused() {
        assert!(encode(4, 4, Pixels::Rgb(&[0; 47]), (50, 10), Metadata::default()).is_err());
        assert!(encode(0, 4, Pixels::Gray(&[]), (50, 10), Metadata::default()).is_err());
    }
}
