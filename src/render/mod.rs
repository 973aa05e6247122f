//! The CPU pipeline: source bytes → sniff → header and limits → decode (shrinking on load)
//! → region + resize → sRGB → auto-orient → mirror/rotate → quality → encode. Synchronous
//! and pure; it runs only on the worker pool's threads, never on the async runtime.
//! Orientation and colour are applied to the resized image, never to a full-size one.
//!
//! # Layout
//! * `sniff`, `header`: what the bytes are and what their header declares (no pixels).
//! * `decode`: one decoder per format, producing a `Raster` in stored orientation
//!   (JPEG shrinks on load).
//! * `resize`, `colour`, `orientation`, `rotate`, `quality`: the pixel stages.
//! * `encode`: one encoder per output format; nothing from the source is copied.
//! * `pipeline`: the order of the stages, the limits and the deadline checks.
//! * `transform`: the pixel stages after the decode, for a still or for each frame.
//! * `animation`: animated GIF, WebP and APNG sources rendered frame by frame.
//! * `intermediate`: decode once, serve many: decoded sources kept for later widths.
//! * `libavif`, `libheif`, `libwebp`, `libwebp_anim`, `malloc`: FFI modules (with
//!   `pool::priority`, the only
//!   `unsafe` code).
//! * `estimate`: a render's output size and decode cost, foreseen from a header.
//! * `placeholder`: uniform images of any size for the overload answer, without encoder.

mod animation;
mod canvas;
mod colour;
pub(crate) mod decode;
mod effects;
mod encode;
mod estimate;
pub(crate) mod exif;
pub(crate) mod header;
mod intermediate;
mod libavif;
mod libheif;
mod libwebp;
mod libwebp_anim;
mod malloc;
pub(crate) mod metadata;
mod orientation;
mod pipeline;
pub(crate) mod placeholder;
mod quality;
mod raster;
mod resize;
mod rotate;
mod scale;
mod sniff;
#[doc(hidden)]
pub(crate) mod stages;
mod transform;
mod webp_container;
mod yuv;

use crate::variant::{Format, PlanLimits, Variant, VariantError};
use axum::http::StatusCode;
use std::time::Instant;

pub(crate) use estimate::{Estimate, estimate};
pub(crate) use intermediate::IntermediateStats;
pub use intermediate::{IntermediateCache, SourceKey};
pub use malloc::release_large_buffers;
pub(crate) use pipeline::{finish_prepared as finish, prepare};

/// Limits checked from the header, before any large allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted source, in bytes.
    pub max_source_bytes: u64,
    /// Largest accepted source, in pixels (width × height as the header declares).
    pub max_source_pixels: u64,
    /// Most frames of an animation rendered as one; over it, the first frame only.
    pub max_animation_frames: u32,
    /// Most pixels over all frames (width × height × frames); over it, the first frame.
    pub max_animation_pixels: u64,
    /// Output limits (also advertised in `info.json`).
    pub plan: PlanLimits,
}

/// Encoder settings, identical for every request of one instance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncodeSettings {
    /// JPEG quality, 1–100.
    pub jpeg_quality: u8,
    /// Optimised Huffman tables: 1–4 % fewer bytes for a JPEG encode 2–3.5× as long
    /// (libjpeg-turbo gathers statistics in plain C before its SIMD encoding pass).
    pub jpeg_optimize: bool,
    /// WebP quality, 0–100.
    pub webp_quality: f32,
    /// WebP method (effort), 0 (fast) – 6 (slow).
    pub webp_method: u8,
    /// AVIF quality, 1–100.
    pub avif_quality: u8,
    /// AVIF encoder speed, 0 (slow) – 10 (fast).
    pub avif_speed: u8,
}

impl Default for EncodeSettings {
    fn default() -> Self {
        EncodeSettings {
            jpeg_quality: 80,
            jpeg_optimize: true,
            webp_quality: 80.0,
            webp_method: 2,
            avif_quality: 60,
            avif_speed: 9,
        }
    }
}

impl EncodeSettings {
    /// The same settings with every lossy quality set to `quality` (1–100).
    pub fn with_quality(&self, quality: u8) -> EncodeSettings {
        EncodeSettings {
            jpeg_quality: quality,
            webp_quality: quality as f32,
            avif_quality: quality,
            ..*self
        }
    }

    /// A short fingerprint that goes into cache keys: changing a setting changes keys.
    /// (Plain Huffman tables add a suffix rather than a field, so that the keys of caches
    /// filled before the setting existed, with optimised tables, stay valid.)
    pub fn fingerprint(&self) -> String {
        format!(
            "j{}w{}m{}a{}s{}{}",
            self.jpeg_quality,
            self.webp_quality,
            self.webp_method,
            self.avif_quality,
            self.avif_speed,
            if self.jpeg_optimize { "" } else { "h" }
        )
    }
}

/// The point in time after which a render is abandoned. It is checked between pipeline
/// stages, so a render overshoots it by at most one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(pub Option<Instant>);

impl Deadline {
    /// A deadline that never passes.
    pub const NONE: Deadline = Deadline(None);

    /// Fails with [`RenderError::DeadlineExceeded`] once the deadline has passed.
    pub fn check(&self, stage: &'static str) -> Result<(), RenderError> {
        match self.0 {
            Some(at) if Instant::now() >= at => Err(RenderError::DeadlineExceeded { stage }),
            _ => Ok(()),
        }
    }
}

/// A rendered variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The encoded image, with no metadata.
    pub bytes: Vec<u8>,
    /// Its encoding.
    pub format: Format,
    /// Final width.
    pub width: u32,
    /// Final height.
    pub height: u32,
    /// The mean colour of the pixels (none when the source's bytes were passed through).
    pub average: Option<[u8; 3]>,
}

impl Rendered {
    /// The encoded bytes as [`bytes::Bytes`] that share the allocation: no copy for the
    /// response body or the cache write.
    pub fn shared_bytes(this: &std::sync::Arc<Rendered>) -> bytes::Bytes {
        struct Owner(std::sync::Arc<Rendered>);
        impl AsRef<[u8]> for Owner {
            fn as_ref(&self) -> &[u8] {
                &self.0.bytes
            }
        }
        bytes::Bytes::from_owner(Owner(this.clone()))
    }
}

/// Formats vignette can read, as sniffed from the bytes (never from a name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// GIF (animated or not).
    Gif,
    /// WebP.
    Webp,
    /// AVIF.
    Avif,
    /// JPEG XL (first frame), decoded by jxl-oxide; never an output format.
    Jxl,
    /// HEIF: HEIC (HEVC) and the other codecs libheif reads; never an output format.
    Heif,
}

/// What the header says, without decoding pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Sniffed format.
    pub format: SourceFormat,
    /// Width as displayed, after EXIF orientation.
    pub width: u32,
    /// Height as displayed, after EXIF orientation.
    pub height: u32,
    /// EXIF orientation, 1–8 (1 when absent).
    pub orientation: u8,
    /// Frames of an animation, 1 for a still image (from a prefix: a lower bound).
    pub frames: u32,
}

/// Why a render failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The bytes are not a format vignette reads (HTTP 415).
    #[error("unsupported source format: {0}")]
    UnsupportedFormat(String),
    /// The source is corrupt or truncated (HTTP 422).
    #[error("source image cannot be decoded: {0}")]
    Corrupt(String),
    /// The source exceeds a limit (HTTP 413).
    #[error("source image too large: {0}")]
    TooLarge(String),
    /// The header was read from a prefix that was too short; read more and retry.
    #[error("need more bytes to read the header")]
    NeedMoreData,
    /// The variant does not fit this image (HTTP 400).
    #[error(transparent)]
    Spec(#[from] VariantError),
    /// The render ran past its deadline and was abandoned (HTTP 503).
    #[error("render abandoned after the {stage} stage: deadline exceeded")]
    DeadlineExceeded {
        /// The last stage that completed.
        stage: &'static str,
    },
    /// An encoder failed on valid pixels: a bug, not bad input (HTTP 500).
    #[error("encoder failed: {0}")]
    Encode(String),
}

impl RenderError {
    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            RenderError::UnsupportedFormat(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RenderError::Corrupt(_) | RenderError::NeedMoreData => StatusCode::UNPROCESSABLE_ENTITY,
            RenderError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            RenderError::Spec(e) => e.status(),
            RenderError::DeadlineExceeded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            RenderError::Encode(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told: a fixed text per kind (the decoder's and encoder's words
    /// stay in the log), except a variant that does not fit the image, which names the
    /// request's mistake in vignette's own words.
    pub fn public_message(&self) -> &str {
        match self {
            RenderError::UnsupportedFormat(_) => "not a supported image",
            RenderError::Corrupt(_) | RenderError::NeedMoreData => "corrupt image",
            RenderError::TooLarge(_) => "source too large",
            RenderError::Spec(e) => e.public_message(),
            RenderError::DeadlineExceeded { .. } => "render took too long; try again later",
            RenderError::Encode(_) => "internal error",
        }
    }
}

/// Reads the header of `bytes` (a prefix is enough): format, displayed size and
/// orientation. Returns [`RenderError::NeedMoreData`] when the prefix is too short; when
/// `bytes` is already the whole file, that means the file is truncated.
///
/// No limit is applied here: the caller decides what to advertise.
pub fn probe(bytes: &[u8]) -> Result<Probe, RenderError> {
    pipeline::probe(bytes)
}

/// Renders `variant` from the complete source `bytes`.
///
/// The source size and the header's pixel count are checked against `limits` before any
/// pixel buffer is allocated; `deadline` is checked between stages. The output carries no
/// metadata from the source.
pub fn render(
    bytes: &[u8],
    variant: &Variant,
    limits: &Limits,
    encode: &EncodeSettings,
    deadline: &Deadline,
) -> Result<Rendered, RenderError> {
    pipeline::render(bytes, variant, limits, encode, deadline, None)
}

/// Renders `variant` from the source `source` without its bytes, when `cache` keeps a
/// decoded intermediate of it fine enough for the request; `None` otherwise (then call
/// [`render_keeping`] with the bytes). The pixels match a fresh render within rounding.
pub fn render_cached(
    cache: &IntermediateCache,
    source: &SourceKey,
    variant: &Variant,
    limits: &Limits,
    encode: &EncodeSettings,
    deadline: &Deadline,
) -> Option<Result<Rendered, RenderError>> {
    pipeline::render_cached(cache, source, variant, limits, encode, deadline)
}

/// [`render`], keeping the decoded intermediate of `source` in `cache` for later requests
/// of other sizes. When the source was decoded before, it may be decoded at a finer scale
/// than this request needs, so that the next widths are covered (see
/// [`IntermediateCache`]).
pub fn render_keeping(
    bytes: &[u8],
    variant: &Variant,
    limits: &Limits,
    encode: &EncodeSettings,
    deadline: &Deadline,
    cache: &IntermediateCache,
    source: &SourceKey,
) -> Result<Rendered, RenderError> {
    pipeline::render(
        bytes,
        variant,
        limits,
        encode,
        deadline,
        Some((cache, source)),
    )
}
