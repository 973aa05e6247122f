//! The WebP header reader (VP8X, VP8, VP8L); the check itself is `vignette::testing::fuzzing::header`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vignette::testing::fuzzing::{Reader, header};

fuzz_target!(|data: &[u8]| header(Reader::Webp, data));
