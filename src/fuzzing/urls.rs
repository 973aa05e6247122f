//! The two URL grammars on arbitrary paths.

use crate::dialect::DialectError;
use crate::dialect::iiif::{IiifRequest, parse_iiif_params, parse_path};
use crate::dialect::imgproxy::{Config, Presets, Signing, parse};

/// A fixed "now" for `expires`, so that a crash replays the same way any day.
const NOW: i64 = 1_800_000_000;

/// The IIIF parser: never a panic; a variant it accepts has a canonical encoding, and its
/// IIIF canonical form parses back to the same variant (the cache key of a URL and of its
/// canonical form must agree).
pub fn iiif_url(data: &[u8]) {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(IiifRequest::Image { params, .. }) = parse_path(path) {
        let variant = params.to_variant();
        let again = parse_iiif_params(&params.to_string()).expect("canonical form parses");
        assert_eq!(again.to_variant().canonical(), variant.canonical());
    }
}

/// The imgproxy parser (options, presets, sources), with and without a signature key:
/// never a panic, and with a key an unsigned URL never gets through.
pub fn imgproxy_url(data: &[u8]) {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let mut config = Config {
        presets: Presets::parse("default=q:70,thumb=rs:fill:64:64/g:sm").expect("presets"),
        ..Config::default()
    };
    if let Ok(request) = parse(path, &config, NOW) {
        let _ = request.variant.canonical();
    }
    config.signing = Signing {
        pairs: vec![(b"key".to_vec(), b"salt".to_vec())],
        size: 32,
    };
    // Whatever passes with the key fails once its signature is replaced.
    if parse(path, &config, NOW).is_ok() {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let tail = &rest[rest.find('/').expect("a signature segment")..];
        assert_eq!(
            parse(&format!("/insecure{tail}"), &config, NOW),
            Err(DialectError::Signature)
        );
    }
}
