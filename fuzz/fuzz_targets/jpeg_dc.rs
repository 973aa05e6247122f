//! The DC-only JPEG decoder against libjpeg-turbo's 1/8-scale decode, pixel for pixel; the
//! check itself is `vignette::testing::fuzzing::jpeg_dc`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vignette::testing::fuzzing::jpeg_dc;

fuzz_target!(|data: &[u8]| jpeg_dc(data));
