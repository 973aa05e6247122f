//! The fuzz targets' checks, one function per target: each takes the fuzzer's bytes,
//! drives one parser of hostile input and panics when a property the rest of vignette
//! relies on does not hold. `fuzz/` calls them under libFuzzer; `tests/fuzz_replay.rs`
//! replays the committed corpus and crash fixtures through them as ordinary tests, so
//! that CI runs every target without a nightly toolchain.
//!
//! These checks, re-exported as `vignette::testing::fuzzing` (hidden, not an API), are the
//! only door the fuzz crate uses into vignette: the parsers stay private to their modules,
//! and only these entry points have to remain public.

mod images;
mod urls;

pub use images::{Reader, exif, header, jpeg_dc};
pub use urls::{iiif_url, imgproxy_url};

/// A fuzz target: its name (the binary in `fuzz/`, the folder of its corpus) and its check.
pub(crate) type Target = (&'static str, fn(&[u8]));

/// Every target, in the order `scripts/fuzz` runs them.
pub const TARGETS: &[Target] = &[
    ("iiif_url", iiif_url),
    ("imgproxy_url", imgproxy_url),
    ("header_jpeg", |data| header(Reader::Jpeg, data)),
    ("header_png", |data| header(Reader::Png, data)),
    ("header_gif", |data| header(Reader::Gif, data)),
    ("header_webp", |data| header(Reader::Webp, data)),
    ("header_avif", |data| header(Reader::Avif, data)),
    ("header_jxl", |data| header(Reader::Jxl, data)),
    ("header_heif", |data| header(Reader::Heif, data)),
    ("exif", exif),
    ("jpeg_dc", jpeg_dc),
];
