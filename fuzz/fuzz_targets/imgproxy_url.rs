//! The imgproxy URL parser (options, presets, sources, signatures) on arbitrary paths; the
//! check itself is `vignette::fuzzing::imgproxy_url`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vignette::fuzzing::imgproxy_url;

fuzz_target!(|data: &[u8]| imgproxy_url(data));
