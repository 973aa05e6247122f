//! A small binding over libwebp's animation API (libwebpdemux's `WebPAnimDecoder`,
//! libwebpmux's `WebPAnimEncoder`), which `libwebp-sys` compiles with the rest of libwebp
//! (its build globs every file under `vendor/src`, `demux/` and `mux/` included).
//!
//! Why libwebp and not our own compositor: `WebPAnimDecoder` hands out each frame already
//! composited onto the canvas (disposal and alpha blending as the container says), one at
//! a time, holding only the canvas and the previous one; `WebPAnimEncoder` takes full
//! canvases and finds the sub-rectangles and blend modes that keep the file small.
//!
//! Every call's result is checked; every handle is released by a guard's `Drop`; the
//! decoder borrows the source bytes for its whole life (it does not copy them), which the
//! lifetime on [`AnimDecoder`] enforces.
#![allow(unsafe_code)]

use super::libwebp::WebpError;
use libwebp_sys as sys;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// What the container says of an animation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AnimInfo {
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// 0 for ever.
    pub(crate) loop_count: u32,
    pub(crate) frame_count: u32,
}

/// An animated WebP being decoded, frame by frame, into RGBA canvases.
#[derive(Debug)]
pub(crate) struct AnimDecoder<'a> {
    dec: NonNull<sys::WebPAnimDecoder>,
    info: AnimInfo,
    /// The end of the previous frame, in milliseconds.
    last: i32,
    _bytes: PhantomData<&'a [u8]>,
}

impl<'a> AnimDecoder<'a> {
    /// Opens `bytes` (the complete file); fails on anything libwebp's demuxer refuses.
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Self, WebpError> {
        let mut options = std::mem::MaybeUninit::<sys::WebPAnimDecoderOptions>::zeroed();
        // SAFETY: `options` is a plain struct the call initialises.
        if unsafe { sys::WebPAnimDecoderOptionsInit(options.as_mut_ptr()) } == 0 {
            return Err(WebpError("demux version mismatch".into()));
        }
        // SAFETY: initialised by the successful call above.
        let mut options = unsafe { options.assume_init() };
        options.color_mode = sys::WEBP_CSP_MODE::MODE_RGBA;
        options.use_threads = 0;
        let data = sys::WebPData {
            bytes: bytes.as_ptr(),
            size: bytes.len(),
        };
        // SAFETY: `data` points at `bytes`, which outlive the decoder (lifetime 'a); the
        // options are initialised. A null result is an error, checked below.
        let dec = unsafe { sys::WebPAnimDecoderNew(&data, &options) };
        let dec = NonNull::new(dec).ok_or_else(|| WebpError("not a valid animation".into()))?;
        let mut guard = AnimDecoder {
            dec,
            info: AnimInfo {
                width: 0,
                height: 0,
                loop_count: 0,
                frame_count: 0,
            },
            last: 0,
            _bytes: PhantomData,
        };
        let mut info = sys::WebPAnimInfo::default();
        // SAFETY: `dec` is a live decoder; `info` is a plain struct it fills in.
        if unsafe { sys::WebPAnimDecoderGetInfo(guard.dec.as_ptr(), &mut info) } == 0 {
            return Err(WebpError("animation info".into()));
        }
        guard.info = AnimInfo {
            width: info.canvas_width,
            height: info.canvas_height,
            loop_count: info.loop_count,
            frame_count: info.frame_count,
        };
        Ok(guard)
    }

    pub(crate) fn info(&self) -> AnimInfo {
        self.info
    }

    /// The next frame, composited: `width`×`height`×4 RGBA bytes (copied out of the
    /// decoder's canvas), and its duration in milliseconds; `None` after the last.
    pub(crate) fn next_frame(&mut self) -> Result<Option<(Vec<u8>, u32)>, WebpError> {
        // SAFETY: `dec` is a live decoder.
        if unsafe { sys::WebPAnimDecoderHasMoreFrames(self.dec.as_ptr()) } == 0 {
            return Ok(None);
        }
        let mut buf: *mut u8 = std::ptr::null_mut();
        let mut timestamp: std::ffi::c_int = 0;
        // SAFETY: `dec` is live; `buf` and `timestamp` are out-parameters it sets.
        if unsafe { sys::WebPAnimDecoderGetNext(self.dec.as_ptr(), &mut buf, &mut timestamp) } == 0
        {
            return Err(WebpError("frame cannot be decoded".into()));
        }
        let len = (self.info.width as usize)
            .checked_mul(self.info.height as usize)
            .and_then(|n| n.checked_mul(4))
            .ok_or_else(|| WebpError("canvas too large".into()))?;
        if buf.is_null() {
            return Err(WebpError("no frame returned".into()));
        }
        // SAFETY: on success libwebp points `buf` at its canvas of canvas_width ×
        // canvas_height RGBA pixels (stride = width × 4), valid until the next call on
        // the decoder; it is copied before that.
        let pixels = unsafe { std::slice::from_raw_parts(buf, len) }.to_vec();
        let duration = timestamp.saturating_sub(self.last).max(0) as u32;
        self.last = timestamp;
        Ok(Some((pixels, duration)))
    }
}

impl Drop for AnimDecoder<'_> {
    fn drop(&mut self) {
        // SAFETY: `dec` came from WebPAnimDecoderNew and is deleted once, here.
        unsafe { sys::WebPAnimDecoderDelete(self.dec.as_ptr()) }
    }
}

/// An animated WebP being encoded from full RGBA canvases.
#[derive(Debug)]
pub(crate) struct AnimEncoder {
    enc: NonNull<sys::WebPAnimEncoder>,
    config: sys::WebPConfig,
    width: u32,
    height: u32,
    /// The start of the next frame, in milliseconds.
    timestamp: i32,
}

impl AnimEncoder {
    /// An encoder of `width`×`height` canvases, lossy at `quality` with `method`, playing
    /// `loop_count` times (0 for ever).
    pub(crate) fn new(
        width: u32,
        height: u32,
        loop_count: u32,
        quality: f32,
        method: u8,
    ) -> Result<Self, WebpError> {
        let too_large = || WebpError("canvas too large".into());
        let (w, h) = (
            i32::try_from(width).map_err(|_| too_large())?,
            i32::try_from(height).map_err(|_| too_large())?,
        );
        let mut options = std::mem::MaybeUninit::<sys::WebPAnimEncoderOptions>::zeroed();
        // SAFETY: `options` is a plain struct the call initialises.
        let ok = unsafe {
            sys::WebPAnimEncoderOptionsInitInternal(
                options.as_mut_ptr(),
                sys::WEBP_MUX_ABI_VERSION as _,
            )
        };
        if ok == 0 {
            return Err(WebpError("mux version mismatch".into()));
        }
        // SAFETY: initialised by the successful call above.
        let mut options = unsafe { options.assume_init() };
        options.anim_params.loop_count = i32::try_from(loop_count.min(65_535)).unwrap_or(0);
        // A transparent background: what browsers show anyway.
        options.anim_params.bgcolor = 0;
        let mut config =
            sys::WebPConfig::new().map_err(|()| WebpError("version mismatch".into()))?;
        config.quality = quality.clamp(0.0, 100.0);
        config.method = i32::from(method.min(6));
        // SAFETY: `options` is initialised; a null result is an error, checked below.
        let enc = unsafe {
            sys::WebPAnimEncoderNewInternal(w, h, &options, sys::WEBP_MUX_ABI_VERSION as _)
        };
        let enc = NonNull::new(enc).ok_or_else(|| WebpError("encoder refused".into()))?;
        Ok(AnimEncoder {
            enc,
            config,
            width,
            height,
            timestamp: 0,
        })
    }

    /// Adds one canvas (`width`×`height`×4 RGBA bytes) shown for `duration_ms`.
    pub(crate) fn add(&mut self, rgba: &[u8], duration_ms: u32) -> Result<(), WebpError> {
        let stride = self.width as usize * 4;
        if rgba.len() != stride * self.height as usize {
            return Err(WebpError("frame of another size".into()));
        }
        let mut picture =
            Picture(sys::WebPPicture::new().map_err(|()| WebpError("version mismatch".into()))?);
        picture.0.use_argb = 1;
        picture.0.width = self.width as i32;
        picture.0.height = self.height as i32;
        // SAFETY: `rgba` holds height rows of `stride` bytes (checked above); libwebp copies
        // them into the picture's own buffer, which the guard frees.
        if unsafe { sys::WebPPictureImportRGBA(&mut picture.0, rgba.as_ptr(), stride as i32) } == 0
        {
            return Err(WebpError("out of memory importing a frame".into()));
        }
        // SAFETY: `enc` is live, the picture initialised and filled, the config valid.
        let ok = unsafe {
            sys::WebPAnimEncoderAdd(
                self.enc.as_ptr(),
                &mut picture.0,
                self.timestamp,
                &self.config,
            )
        };
        if ok == 0 {
            return Err(self.error());
        }
        self.timestamp = self
            .timestamp
            .saturating_add(i32::try_from(duration_ms).unwrap_or(i32::MAX));
        Ok(())
    }

    /// Closes the animation (the last frame lasts until the end of its duration) and
    /// returns the file.
    pub(crate) fn finish(self) -> Result<Vec<u8>, WebpError> {
        // SAFETY: `enc` is live; a null frame marks the end at `timestamp`.
        let ok = unsafe {
            sys::WebPAnimEncoderAdd(
                self.enc.as_ptr(),
                std::ptr::null_mut(),
                self.timestamp,
                std::ptr::null(),
            )
        };
        if ok == 0 {
            return Err(self.error());
        }
        let mut data = sys::WebPData::default();
        // SAFETY: `enc` is live; `data` receives a buffer libwebp allocated, freed below.
        if unsafe { sys::WebPAnimEncoderAssemble(self.enc.as_ptr(), &mut data) } == 0 {
            return Err(self.error());
        }
        // SAFETY: on success `data` holds `size` bytes at `bytes`.
        let out = unsafe { std::slice::from_raw_parts(data.bytes, data.size) }.to_vec();
        // SAFETY: `data` was allocated by libwebp and is cleared once.
        unsafe { sys::WebPDataClear(&mut data) };
        Ok(out)
    }

    fn error(&self) -> WebpError {
        // SAFETY: `enc` is live; the result is a NUL-terminated string owned by the
        // encoder (or null), read before the encoder is touched again.
        let message = unsafe { sys::WebPAnimEncoderGetError(self.enc.as_ptr()) };
        if message.is_null() {
            return WebpError("animation encoder failed".into());
        }
        // SAFETY: non-null and NUL-terminated, per libwebp's contract.
        let text = unsafe { std::ffi::CStr::from_ptr(message) };
        WebpError(text.to_string_lossy().into_owned())
    }
}

impl Drop for AnimEncoder {
    fn drop(&mut self) {
        // SAFETY: `enc` came from WebPAnimEncoderNew and is deleted once, here.
        unsafe { sys::WebPAnimEncoderDelete(self.enc.as_ptr()) }
    }
}

/// Frees a picture's pixel buffer.
struct Picture(sys::WebPPicture);
impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: the picture was initialised by WebPPictureInit; freeing an empty or
        // imported picture is valid, and happens once.
        unsafe { sys::WebPPictureFree(&mut self.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_frames_timing_and_loops() {
        let (w, h) = (8u32, 6u32);
        let mut enc = AnimEncoder::new(w, h, 3, 90.0, 4).unwrap();
        let colours = [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 128]];
        for (i, c) in colours.iter().enumerate() {
            enc.add(&c.repeat((w * h) as usize), 40 + 10 * i as u32)
                .unwrap();
        }
        assert!(enc.add(&[0; 4], 10).is_err(), "a frame of another size");
        let file = enc.finish().unwrap();
        let mut dec = AnimDecoder::new(&file).unwrap();
        let info = dec.info();
        assert_eq!((info.width, info.height, info.loop_count), (8, 6, 3));
        assert_eq!(info.frame_count, 3);
        for (i, c) in colours.iter().enumerate() {
            let (px, duration) = dec.next_frame().unwrap().unwrap();
            assert_eq!(duration, 40 + 10 * i as u32);
            for (got, want) in px[..4].iter().zip(c) {
                assert!(got.abs_diff(*want) < 8, "frame {i}: {:?}", &px[..4]);
            }
        }
        assert!(dec.next_frame().unwrap().is_none());
        assert!(AnimDecoder::new(b"RIFF\0\0\0\0WEBPjunk").is_err());
    }
}
