//! One of vignette's FFI modules: the dozen libheif calls that decode a HEIF file's primary
//! image to 8-bit RGB(A), with libde265 as libheif's HEVC decoder (both LGPL-3.0, linked
//! dynamically from Debian's `libheif-dev`; `scripts/bootstrap` installs it).
//!
//! Why declared by hand rather than through the `libheif-sys` crate: its current versions
//! require libheif ≥ 1.17 and Debian 12 ships 1.15, and the older ones generate bindings
//! with bindgen (libclang) at build time. These declarations are the stable C API of
//! `heif.h` (unchanged since 1.x for the calls used), linked with `-lheif`, with no build
//! script and nothing compiled.
//!
//! Every libheif object lives in a guard that frees it on drop; every `heif_error` is
//! checked; the input is borrowed by libheif only while the context lives, which this
//! module's single function outlives.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int, c_void};

#[repr(C)]
struct HeifError {
    code: c_int,
    subcode: c_int,
    message: *const c_char,
}

/// The start of `struct heif_decoding_options` (versions 1 and 2); only ever accessed
/// through a pointer from `heif_decoding_options_alloc`, which allocates the whole struct.
#[repr(C)]
struct DecodingOptions {
    version: u8,
    ignore_transformations: u8,
    start_progress: *mut c_void,
    on_progress: *mut c_void,
    end_progress: *mut c_void,
    progress_user_data: *mut c_void,
    convert_hdr_to_8bit: u8,
}

enum Context {}
enum Handle {}
enum Image {}

#[link(name = "heif")]
unsafe extern "C" {
    fn heif_init(params: *const c_void) -> HeifError;
    fn heif_context_alloc() -> *mut Context;
    fn heif_context_free(ctx: *mut Context);
    fn heif_context_read_from_memory_without_copy(
        ctx: *mut Context,
        mem: *const c_void,
        size: usize,
        options: *const c_void,
    ) -> HeifError;
    fn heif_context_set_maximum_image_size_limit(ctx: *mut Context, maximum_width: c_int);
    fn heif_context_get_primary_image_handle(
        ctx: *mut Context,
        handle: *mut *mut Handle,
    ) -> HeifError;
    fn heif_image_handle_release(handle: *const Handle);
    fn heif_image_handle_get_width(handle: *const Handle) -> c_int;
    fn heif_image_handle_get_height(handle: *const Handle) -> c_int;
    fn heif_image_handle_has_alpha_channel(handle: *const Handle) -> c_int;
    fn heif_image_handle_get_color_profile_type(handle: *const Handle) -> u32;
    fn heif_image_handle_get_raw_color_profile_size(handle: *const Handle) -> usize;
    fn heif_image_handle_get_raw_color_profile(
        handle: *const Handle,
        out_data: *mut c_void,
    ) -> HeifError;
    fn heif_decoding_options_alloc() -> *mut DecodingOptions;
    fn heif_decoding_options_free(options: *mut DecodingOptions);
    fn heif_decode_image(
        handle: *const Handle,
        out_img: *mut *mut Image,
        colorspace: c_int,
        chroma: c_int,
        options: *const DecodingOptions,
    ) -> HeifError;
    fn heif_image_get_width(img: *const Image, channel: c_int) -> c_int;
    fn heif_image_get_height(img: *const Image, channel: c_int) -> c_int;
    fn heif_image_get_plane_readonly(
        img: *const Image,
        channel: c_int,
        out_stride: *mut c_int,
    ) -> *const u8;
    fn heif_image_release(img: *const Image);
}

const COLORSPACE_RGB: c_int = 1;
const CHROMA_INTERLEAVED_RGB: c_int = 10;
const CHROMA_INTERLEAVED_RGBA: c_int = 11;
const CHANNEL_INTERLEAVED: c_int = 10;
const ERROR_UNSUPPORTED_FILETYPE: c_int = 3;
const ERROR_UNSUPPORTED_FEATURE: c_int = 4;
const ERROR_MEMORY: c_int = 6;
const PROFILE_PROF: u32 = u32::from_be_bytes(*b"prof");
const PROFILE_RICC: u32 = u32::from_be_bytes(*b"rICC");

/// Why libheif refused a file.
#[derive(Debug)]
pub(crate) enum HeifFailure {
    /// A codec or feature libheif was built without (e.g. a JPEG 2000 item): HTTP 415.
    Unsupported(String),
    /// The pixels would exceed the limit: HTTP 413.
    TooLarge(String),
    /// Anything else: malformed or truncated data, HTTP 422.
    Corrupt(String),
}

fn check(e: &HeifError, what: &str) -> Result<(), HeifFailure> {
    if e.code == 0 {
        return Ok(());
    }
    let msg = if e.message.is_null() {
        String::new()
    } else {
        // SAFETY: libheif's messages are static or context-owned NUL-terminated strings,
        // valid at least until the context is freed, which happens after this copy.
        unsafe { CStr::from_ptr(e.message) }
            .to_string_lossy()
            .into_owned()
    };
    let text = format!("{what}: {msg}");
    Err(match e.code {
        ERROR_UNSUPPORTED_FILETYPE | ERROR_UNSUPPORTED_FEATURE => HeifFailure::Unsupported(text),
        ERROR_MEMORY => HeifFailure::TooLarge(text),
        _ => HeifFailure::Corrupt(text),
    })
}

struct Ctx(*mut Context);
impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: allocated by heif_context_alloc, freed once, after every handle and image.
        unsafe { heif_context_free(self.0) }
    }
}

struct HandleGuard(*mut Handle);
impl Drop for HandleGuard {
    fn drop(&mut self) {
        // SAFETY: obtained from heif_context_get_primary_image_handle, released once.
        unsafe { heif_image_handle_release(self.0) }
    }
}

struct ImageGuard(*mut Image);
impl Drop for ImageGuard {
    fn drop(&mut self) {
        // SAFETY: obtained from heif_decode_image, released once.
        unsafe { heif_image_release(self.0) }
    }
}

struct Options(*mut DecodingOptions);
impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: allocated by heif_decoding_options_alloc, freed once.
        unsafe { heif_decoding_options_free(self.0) }
    }
}

/// A decoded primary image: 8-bit RGB or RGBA, tightly packed, in stored orientation.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) has_alpha: bool,
    pub(crate) pixels: Vec<u8>,
    /// The ICC profile of the primary image, if it has one (`prof` or `rICC`).
    pub(crate) icc: Option<Vec<u8>>,
}

/// Decodes the primary image of `bytes` without its geometric transformations (the
/// pipeline applies `irot`/`imir` after resizing, like AVIF's). Refuses images of more
/// than `max_pixels` as libheif sees them, before it decodes, and tells libheif not to
/// accept any item larger than `max_side` on a side squared (its own limit, which also
/// bounds the tiles of a grid).
pub(crate) fn decode(bytes: &[u8], max_pixels: u64, max_side: u32) -> Result<Decoded, HeifFailure> {
    // libheif registers its decoder plugins in heif_init; once, before any worker thread
    // allocates a context, rather than implicitly from several threads at once. Never
    // matched by heif_deinit: the plugins stay for the life of the process.
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        // SAFETY: no parameters; the returned error holds a static message only.
        let e = unsafe { heif_init(std::ptr::null()) };
        if e.code != 0 {
            tracing::error!(code = e.code, "heif_init failed");
        }
    });
    // SAFETY: plain allocation; null is checked.
    let ctx = Ctx(unsafe { heif_context_alloc() });
    if ctx.0.is_null() {
        return Err(HeifFailure::TooLarge("heif_context_alloc failed".into()));
    }
    let side = c_int::try_from(max_side).unwrap_or(c_int::MAX);
    // SAFETY: a live context; the limit is a plain int.
    unsafe { heif_context_set_maximum_image_size_limit(ctx.0, side) };
    // SAFETY: `bytes` is borrowed for the whole call and `ctx` (which reads it without a
    // copy) is freed before the call returns; null reading options are allowed.
    check(
        &unsafe {
            heif_context_read_from_memory_without_copy(
                ctx.0,
                bytes.as_ptr().cast(),
                bytes.len(),
                std::ptr::null(),
            )
        },
        "reading the HEIF structure",
    )?;
    let mut handle = std::ptr::null_mut();
    // SAFETY: a live context and a valid out-pointer.
    check(
        &unsafe { heif_context_get_primary_image_handle(ctx.0, &mut handle) },
        "finding the primary image",
    )?;
    let handle = HandleGuard(handle);
    // SAFETY: a live handle for each query below.
    let (w, h, has_alpha) = unsafe {
        (
            heif_image_handle_get_width(handle.0),
            heif_image_handle_get_height(handle.0),
            heif_image_handle_has_alpha_channel(handle.0) != 0,
        )
    };
    if w <= 0 || h <= 0 {
        return Err(HeifFailure::Corrupt("primary image has no pixels".into()));
    }
    if w as u64 * h as u64 > max_pixels {
        return Err(HeifFailure::TooLarge(format!(
            "libheif sees {w}x{h}, over {max_pixels} pixels"
        )));
    }
    let icc = icc_profile(&handle)?;
    // SAFETY: plain allocation; null is checked; fields written only within the version
    // the library reports.
    let options = Options(unsafe { heif_decoding_options_alloc() });
    if options.0.is_null() {
        return Err(HeifFailure::TooLarge(
            "heif_decoding_options_alloc failed".into(),
        ));
    }
    // SAFETY: `options.0` points to a full heif_decoding_options of at least `version`.
    unsafe {
        let o = &mut *options.0;
        if o.version >= 1 {
            o.ignore_transformations = 1;
        }
        if o.version >= 2 {
            o.convert_hdr_to_8bit = 1;
        }
    }
    let chroma = if has_alpha {
        CHROMA_INTERLEAVED_RGBA
    } else {
        CHROMA_INTERLEAVED_RGB
    };
    let mut image = std::ptr::null_mut();
    // SAFETY: a live handle, a valid out-pointer and live options.
    check(
        &unsafe { heif_decode_image(handle.0, &mut image, COLORSPACE_RGB, chroma, options.0) },
        "decoding",
    )?;
    let image = ImageGuard(image);
    let mut stride: c_int = 0;
    // SAFETY: a live decoded image; the plane is read below within `stride * height`.
    let (iw, ih, plane) = unsafe {
        (
            heif_image_get_width(image.0, CHANNEL_INTERLEAVED),
            heif_image_get_height(image.0, CHANNEL_INTERLEAVED),
            heif_image_get_plane_readonly(image.0, CHANNEL_INTERLEAVED, &mut stride),
        )
    };
    let channels = if has_alpha { 4 } else { 3 };
    if plane.is_null() || iw <= 0 || ih <= 0 || (stride as i64) < iw as i64 * channels {
        return Err(HeifFailure::Corrupt("libheif returned no RGB plane".into()));
    }
    let (iw, ih, stride) = (iw as usize, ih as usize, stride as usize);
    let row = iw * channels as usize;
    let mut pixels = Vec::with_capacity(row * ih);
    for y in 0..ih {
        // SAFETY: libheif's plane holds `ih` rows of `stride` bytes, each with at least
        // `row` bytes of pixels (checked above); the image outlives this copy.
        let line = unsafe { std::slice::from_raw_parts(plane.add(y * stride), row) };
        pixels.extend_from_slice(line);
    }
    Ok(Decoded {
        width: iw as u32,
        height: ih as u32,
        has_alpha,
        pixels,
        icc,
    })
}

/// The primary image's ICC profile; `nclx` (code points, no profile) reads as none.
fn icc_profile(handle: &HandleGuard) -> Result<Option<Vec<u8>>, HeifFailure> {
    // SAFETY: a live handle.
    let kind = unsafe { heif_image_handle_get_color_profile_type(handle.0) };
    if kind != PROFILE_PROF && kind != PROFILE_RICC {
        return Ok(None);
    }
    // SAFETY: a live handle.
    let size = unsafe { heif_image_handle_get_raw_color_profile_size(handle.0) };
    if size == 0 || size > 4 << 20 {
        return Ok(None);
    }
    let mut icc = vec![0u8; size];
    // SAFETY: `icc` holds exactly the size libheif reported for this profile.
    check(
        &unsafe { heif_image_handle_get_raw_color_profile(handle.0, icc.as_mut_ptr().cast()) },
        "reading the ICC profile",
    )?;
    Ok(Some(icc))
}
