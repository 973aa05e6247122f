//! The IIIF URL parser on arbitrary paths; the check itself is `vignette::testing::fuzzing::iiif_url`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vignette::testing::fuzzing::iiif_url;

fuzz_target!(|data: &[u8]| iiif_url(data));
