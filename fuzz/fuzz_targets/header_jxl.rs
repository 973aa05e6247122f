//! The JPEG XL header reader (container boxes, jxlp parts, the codestream's SizeHeader and
//! orientation); the check itself is `vignette::testing::fuzzing::header`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vignette::testing::fuzzing::{Reader, header};

fuzz_target!(|data: &[u8]| header(Reader::Jxl, data));
