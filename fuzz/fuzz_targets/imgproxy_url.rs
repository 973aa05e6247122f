//! The imgproxy URL parser (options, presets, sources) on arbitrary paths, with and
//! without a signature key: never a panic, and with a key an unsigned URL never gets through.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vignette::dialect::DialectError;
use vignette::dialect::imgproxy::{Config, Presets, Signing, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let mut config = Config {
        presets: Presets::parse("default=q:70,thumb=rs:fill:64:64/g:sm").expect("presets"),
        ..Config::default()
    };
    if let Ok(request) = parse(path, &config, 1_800_000_000) {
        let _ = request.variant.canonical();
    }
    config.signing = Signing {
        pairs: vec![(b"key".to_vec(), b"salt".to_vec())],
        size: 32,
    };
    // Whatever passes with the key fails once its signature is replaced.
    if parse(path, &config, 1_800_000_000).is_ok() {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let tail = &rest[rest.find('/').expect("a signature segment")..];
        assert_eq!(
            parse(&format!("/insecure{tail}"), &config, 1_800_000_000),
            Err(DialectError::Signature)
        );
    }
});
