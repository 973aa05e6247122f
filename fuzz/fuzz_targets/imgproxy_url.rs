//! The imgproxy URL parser (options, presets, sources, signatures) on arbitrary paths; the
//! check itself is `vignette::testing::fuzzing::imgproxy_url`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vignette::testing::fuzzing::imgproxy_url;

fuzz_target!(|data: &[u8]| imgproxy_url(data));
