//! The EXIF reader, the orientation reset, the copyright-only block and the container walkers;
//! the check itself is `vignette::testing::fuzzing::exif`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vignette::testing::fuzzing::exif;

fuzz_target!(|data: &[u8]| exif(data));
