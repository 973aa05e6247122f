//! The IIIF URL parser on arbitrary paths: never a panic; a variant it accepts has a
//! canonical encoding and an IIIF canonical form that parses back to the same variant.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vignette::dialect::iiif::{IiifRequest, parse_iiif_params, parse_path};

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(IiifRequest::Image { params, .. }) = parse_path(path) {
        let variant = params.to_variant();
        let _ = variant.canonical();
        let again = parse_iiif_params(&params.to_string()).expect("canonical form parses");
        assert_eq!(again.to_variant().canonical(), variant.canonical());
    }
});
