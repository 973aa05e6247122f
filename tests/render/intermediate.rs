//! Decode once, serve many: later widths of one source are rendered from the kept
//! intermediate, without decoding again (asserted through the cache's counters), and give
//! the same pixels as fresh renders within rounding.

use super::*;
use vignette::testing::render::{IntermediateCache, SourceKey, render_cached, render_keeping};

/// A 1600x1200 baseline JPEG with detail at every scale (rings and a ramp).
fn photo() -> Vec<u8> {
    let (w, h) = (1600usize, 1200usize);
    let mut px = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f64 - 800.0, y as f64 - 600.0);
            let ring = ((dx * dx + dy * dy).sqrt() / 25.0).sin() * 90.0 + 128.0;
            px.extend_from_slice(&[ring as u8, (x * 255 / w) as u8, (y * 255 / h) as u8]);
        }
    }
    let image = turbojpeg::Image {
        pixels: &px[..],
        width: w,
        pitch: w * 3,
        height: h,
        format: turbojpeg::PixelFormat::RGB,
    };
    turbojpeg::compress(image, 90, turbojpeg::Subsamp::Sub2x1)
        .unwrap()
        .to_vec()
}

/// Renders `params` through the cache: from the intermediate if it covers the request,
/// else from the bytes (keeping the decode).
fn through(cache: &IntermediateCache, key: &SourceKey, bytes: &[u8], params: &str) -> Rendered {
    let spec = parse_params(params).unwrap();
    let s = EncodeSettings::default();
    match render_cached(cache, key, &spec, &LIMITS, &s, &Deadline::NONE) {
        Some(r) => r.unwrap(),
        None => render_keeping(bytes, &spec, &LIMITS, &s, &Deadline::NONE, cache, key).unwrap(),
    }
}

#[test]
fn a_second_width_does_not_decode_again() {
    let src = photo();
    let cache = IntermediateCache::new(64 << 20);
    let key = SourceKey::new("photo", "v1");
    // 1600/8 = 200 covers both 150 and 200 px.
    let a = through(&cache, &key, &src, "full/150,/0/default.jpg");
    assert_eq!(cache.stats().decodes, 1);
    let b = through(&cache, &key, &src, "full/200,/0/default.webp");
    assert_eq!((a.width, b.width), (150, 200));
    let s = cache.stats();
    assert_eq!((s.decodes, s.hits, s.entries), (1, 1, 1), "{s:?}");
}

#[test]
fn srcset_in_ascending_order_decodes_at_most_twice() {
    let src = photo();
    let cache = IntermediateCache::new(64 << 20);
    let key = SourceKey::new("photo", "v1");
    for w in [100, 200, 300, 500, 800, 600, 400] {
        let out = through(&cache, &key, &src, &format!("full/{w},/0/default.jpg"));
        assert_eq!(out.width, w);
    }
    // 100 and 200 from a 1/8 decode; 300 needs more, so the second decode is at 1/2 and
    // covers everything after it.
    assert_eq!(cache.stats().decodes, 2, "{:?}", cache.stats());
}

#[test]
fn cached_renders_match_fresh_ones() {
    let src = photo();
    let cache = IntermediateCache::new(64 << 20);
    let key = SourceKey::new("photo", "v1");
    // Force a 1/2 intermediate (second decode), then ask sizes a fresh render decodes at
    // 1/2, 1/4 and 1/8, and a crop.
    through(&cache, &key, &src, "full/100,/0/default.png");
    through(&cache, &key, &src, "full/700,/0/default.png");
    for params in [
        "full/700,/0/default.png",
        "full/350,/0/default.png",
        "full/150,/0/default.png",
        "400,300,800,600/200,/0/default.png",
        "full/120,/90/gray.png",
    ] {
        let hits = cache.stats().hits;
        let cached = through(&cache, &key, &src, params);
        assert_eq!(cache.stats().hits, hits + 1, "{params}: not from the cache");
        let fresh = ok(&src, params);
        let d = mean_abs_diff(&decode(&cached), &decode(&fresh));
        assert!(d < 1.5, "{params}: mean difference {d}");
    }
}

#[test]
fn another_version_is_another_source() {
    let src = photo();
    let cache = IntermediateCache::new(64 << 20);
    through(
        &cache,
        &SourceKey::new("photo", "v1"),
        &src,
        "full/150,/0/default.jpg",
    );
    through(
        &cache,
        &SourceKey::new("photo", "v2"),
        &src,
        "full/150,/0/default.jpg",
    );
    assert_eq!(cache.stats().decodes, 2);
    let off = IntermediateCache::new(0);
    let key = SourceKey::new("photo", "v1");
    through(&off, &key, &src, "full/150,/0/default.jpg");
    through(&off, &key, &src, "full/150,/0/default.jpg");
    assert_eq!((off.stats().decodes, off.stats().hits), (2, 0));
}
