//! A small binding over libwebp's advanced decoding API, for scaled decoding straight
//! into a Rust buffer.
//!
//! Why not the safe `webp` crate: its `Decoder` always decodes at full size into
//! libwebp's own memory and then copies the pixels out. libwebp can instead rescale while
//! decoding (`WebPDecoderConfig.options.use_scaling`, what libvips and sharp use) and
//! write into caller-owned memory (`is_external_memory`). Measured on a 5640x3172 WebP
//! decoded for a 400 px thumbnail: 61 MB → 9 MB peak RSS, and the full-size copy is gone
//! (docs/performance.md).
//!
//! Every call's result is checked; the output buffer is a Rust `Vec` that outlives the
//! call and whose length libwebp is told exactly; the decoder's own allocations (none with
//! external memory, but the API asks for it) are released by a guard.
#![allow(unsafe_code)]

use libwebp_sys as sys;

/// A libwebp failure.
#[derive(Debug)]
pub(crate) struct WebpError(pub(crate) String);

impl std::fmt::Display for WebpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the bitstream header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Features {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) has_alpha: bool,
    pub(crate) has_animation: bool,
}

/// Reads the bitstream features of a still (or the container of an animated) WebP.
pub(crate) fn features(bytes: &[u8]) -> Result<Features, WebpError> {
    let mut f = std::mem::MaybeUninit::<sys::WebPBitstreamFeatures>::zeroed();
    // SAFETY: `bytes` is valid for `bytes.len()` reads during the call; `f` is a plain
    // struct libwebp fills in.
    let status = unsafe { sys::WebPGetFeatures(bytes.as_ptr(), bytes.len(), f.as_mut_ptr()) };
    check(status, "features")?;
    // SAFETY: zero-initialised plain data, filled by a successful call.
    let f = unsafe { f.assume_init() };
    let (width, height) = (
        u32::try_from(f.width).map_err(|_| WebpError("negative width".into()))?,
        u32::try_from(f.height).map_err(|_| WebpError("negative height".into()))?,
    );
    Ok(Features {
        width,
        height,
        has_alpha: f.has_alpha != 0,
        has_animation: f.has_animation != 0,
    })
}

fn check(status: sys::VP8StatusCode, what: &str) -> Result<(), WebpError> {
    match status {
        sys::VP8StatusCode::VP8_STATUS_OK => Ok(()),
        other => Err(WebpError(format!("{what}: {other:?}"))),
    }
}

/// Frees whatever libwebp attached to the output buffer (nothing for external memory).
struct Config(sys::WebPDecoderConfig);
impl Drop for Config {
    fn drop(&mut self) {
        // SAFETY: the buffer was initialised by WebPInitDecoderConfig; with external memory
        // WebPFreeDecBuffer only resets it, and it is never freed twice.
        unsafe { sys::WebPFreeDecBuffer(&mut self.0.output) }
    }
}

/// Decodes a still WebP to `width`×`height` (the bitstream's own size, or smaller: libwebp
/// rescales while decoding). `alpha` chooses RGBA (4 bytes per pixel) or RGB (3).
pub(crate) fn decode_scaled(
    bytes: &[u8],
    width: u32,
    height: u32,
    alpha: bool,
) -> Result<Vec<u8>, WebpError> {
    let channels = if alpha { 4usize } else { 3 };
    let stride = (width as usize)
        .checked_mul(channels)
        .ok_or_else(|| WebpError("image too large".into()))?;
    let len = stride
        .checked_mul(height as usize)
        .ok_or_else(|| WebpError("image too large".into()))?;
    let (w, h, s) = (
        i32::try_from(width).map_err(|_| WebpError("image too large".into()))?,
        i32::try_from(height).map_err(|_| WebpError("image too large".into()))?,
        i32::try_from(stride).map_err(|_| WebpError("image too large".into()))?,
    );
    if w == 0 || h == 0 {
        return Err(WebpError("empty output".into()));
    }
    let mut config =
        Config(sys::WebPDecoderConfig::new().map_err(|()| WebpError("version mismatch".into()))?);
    let mut pixels = vec![0u8; len];
    let c = &mut config.0;
    c.options.use_threads = 0;
    c.options.use_scaling = 1;
    c.options.scaled_width = w;
    c.options.scaled_height = h;
    c.output.colorspace = if alpha {
        sys::WEBP_CSP_MODE::MODE_RGBA
    } else {
        sys::WEBP_CSP_MODE::MODE_RGB
    };
    c.output.is_external_memory = 1;
    c.output.u.RGBA = sys::WebPRGBABuffer {
        rgba: pixels.as_mut_ptr(),
        stride: s,
        size: len,
    };
    // SAFETY: `bytes` is valid for reads of its length; the output points at `pixels`,
    // which holds exactly `size` = stride × height bytes and is not touched until the call
    // returns. libwebp checks that the scaled size fits the buffer before writing.
    let status = unsafe { sys::WebPDecode(bytes.as_ptr(), bytes.len(), &mut config.0) };
    check(status, "decode")?;
    if (config.0.output.width, config.0.output.height) != (w, h) {
        return Err(WebpError("decoder returned another size".into()));
    }
    Ok(pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lossy(w: u32, h: u32) -> Vec<u8> {
        let mut px = Vec::new();
        for y in 0..h {
            for x in 0..w {
                px.extend_from_slice(&[(x * 255 / w) as u8, (y * 255 / h) as u8, 90]);
            }
        }
        webp::Encoder::from_rgb(&px, w, h).encode(90.0).to_vec()
    }

    #[test]
    fn scaled_decode_gives_the_asked_size() {
        let b = lossy(64, 48);
        let f = features(&b).unwrap();
        assert_eq!((f.width, f.height, f.has_alpha), (64, 48, false));
        let px = decode_scaled(&b, 16, 12, false).unwrap();
        assert_eq!(px.len(), 16 * 12 * 3);
        // The ramp survives: left is dark red, right is bright red.
        assert!(px[0] < 40 && px[15 * 3] > 200, "{} {}", px[0], px[15 * 3]);
        assert_eq!(decode_scaled(&b, 64, 48, true).unwrap().len(), 64 * 48 * 4);
    }

    #[test]
    fn garbage_and_truncation_fail() {
        let b = lossy(64, 48);
        assert!(features(b"RIFF\0\0\0\0WEBPjunk").is_err());
        assert!(decode_scaled(&b[..b.len() / 2], 16, 12, false).is_err());
        assert!(decode_scaled(&b, 0, 12, false).is_err());
    }
}
