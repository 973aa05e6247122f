//! The info endpoint (`/info/{signature}/{options}/{source}`) against a real server: the
//! fields, and hashes that decode, with the crates' own decoders, to an image close to the
//! source's thumbnail (computed here from the pixels the fixture was made of, not by
//! vignette); ETags and `304`; clear 4xx for bad input.

mod common;

use common::fixtures;
use serde_json::Value;
use std::path::Path;

/// 400×300, red rising left to right, green top to bottom, blue constant: smooth, as the
/// photos placeholders stand in for.
fn smooth(x: f64, y: f64) -> [f64; 3] {
    [255.0 * x, 255.0 * y, 128.0]
}

fn write_smooth(dir: &Path) {
    let (w, h) = (400u32, 300u32);
    let mut px = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let c = smooth((x as f64 + 0.5) / w as f64, (y as f64 + 0.5) / h as f64);
            px.extend(c.iter().map(|v| v.round() as u8));
        }
    }
    let file = std::fs::File::create(dir.join("smooth.png")).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(&px).unwrap();
}

/// Mean absolute difference per channel, 0–255, between a decoded `w`×`h` RGBA image and
/// the smooth source sampled at the same pixel centres.
fn error_against_smooth(rgba: &[u8], w: usize, h: usize) -> f64 {
    let mut sum = 0.0;
    for y in 0..h {
        for x in 0..w {
            let want = smooth((x as f64 + 0.5) / w as f64, (y as f64 + 0.5) / h as f64);
            let i = (y * w + x) * 4;
            for c in 0..3 {
                sum += (rgba[i + c] as f64 - want[c]).abs();
            }
        }
    }
    sum / (w * h * 3) as f64
}

async fn info(
    server: &common::Server,
    path: &str,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
    let resp = server
        .client
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap())
}

#[tokio::test]
async fn hashes_decode_to_the_sources_thumbnail() {
    let server = common::start_with(write_smooth, |_| {}).await;
    let (status, headers, body) = info(&server, "/info/insecure/plain/local:///smooth.png").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["width"], 400);
    assert_eq!(v["height"], 300);
    assert_eq!(v["format"], "png");
    assert_eq!(v["mime_type"], "image/png");
    assert_eq!(v["orientation"], 1);
    assert_eq!(v["alpha"]["alpha"], false);
    // The mean of the gradient is (127.5, 127.5, 128).
    for (c, want) in [("R", 128.0), ("G", 128.0), ("B", 128.0)] {
        let got = v["average"][c].as_f64().unwrap();
        assert!((got - want).abs() <= 4.0, "average {c} = {got}");
    }

    use base64::Engine;
    let th = base64::engine::general_purpose::STANDARD
        .decode(v["thumbhash"].as_str().unwrap())
        .unwrap();
    assert!(
        th.len() <= 25,
        "a ThumbHash is about 20 bytes: {}",
        th.len()
    );
    let (w, h, rgba) = thumbhash::thumb_hash_to_rgba(&th).unwrap();
    let ratio = w as f64 / h as f64;
    assert!((ratio - 4.0 / 3.0).abs() < 0.15, "aspect ratio {w}×{h}");
    let err = error_against_smooth(&rgba, w, h);
    eprintln!("ThumbHash {w}×{h}: {err:.1} levels from the source");
    assert!(
        err < 16.0,
        "ThumbHash decodes {err:.1} levels away from the source"
    );

    let bh = v["blurhash"].as_str().unwrap();
    assert_eq!(bh.len(), 4 + 2 * 4 * 3, "4×3 components: {bh}");
    let rgba = blurhash::decode(bh, 40, 30, 1.0).unwrap();
    let err = error_against_smooth(&rgba, 40, 30);
    eprintln!("BlurHash 40×30: {err:.1} levels from the source");
    assert!(
        err < 16.0,
        "BlurHash decodes {err:.1} levels away from the source"
    );

    // The placeholder is a real WebP of at most 16 px a side, close to the source too.
    let uri = v["placeholder"].as_str().unwrap();
    let b64 = uri.strip_prefix("data:image/webp;base64,").expect(uri);
    let webp = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let img = fixtures::decode(&webp);
    assert_eq!((img.width, img.height), (16, 12));
    let err = error_against_smooth(&img.rgba, 16, 12);
    eprintln!("placeholder 16×12: {err:.1} levels from the source");
    assert!(
        err < 16.0,
        "placeholder is {err:.1} levels away from the source"
    );
    assert!(uri.len() < 1000, "{} bytes", uri.len());

    // The thumbnail the hashes come from is a variant like any other, now in the slot
    // cache: the same variant asked for by URL is a hit.
    server.state.cache.settle().await;
    let thumb = server
        .client
        .get(format!(
            "{}/_/rs:fit:100:100/f:png/plain/local:///smooth.png",
            server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.headers()["x-cache"], "hit");
    let thumb = fixtures::decode(&thumb.bytes().await.unwrap());
    assert_eq!((thumb.width, thumb.height), (100, 75));

    // Same answer from memory; the ETag gives a 304; fewer fields, another ETag.
    let (_, again, body2) = info(&server, "/info/insecure/plain/local:///smooth.png").await;
    assert_eq!((body2, &again["etag"]), (body, &headers["etag"]));
    let resp = server
        .client
        .get(format!("{}/info/_/plain/local:///smooth.png", server.base))
        .header("if-none-match", headers["etag"].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);
    let (status, small, body) = info(
        &server,
        "/info/_/th:0/bh:0:0/placeholder:0/plain/local:///smooth.png",
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(small["etag"], headers["etag"]);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(
        v.get("thumbhash").is_none() && v.get("blurhash").is_none() && v.get("width").is_some()
    );
}

#[tokio::test]
async fn alpha_and_orientation_are_reported() {
    let server = common::start_with(
        |dir| {
            fixtures::write_all(dir);
            let orient = Path::new(env!("CARGO_MANIFEST_DIR")).join("images/orient-6.jpg");
            std::fs::copy(orient, dir.join("orient-6.jpg")).unwrap();
        },
        |_| {},
    )
    .await;
    let (status, _, body) = info(&server, "/info/_/plain/local:///alpha.png").await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["alpha"]["alpha"], true);
    assert_eq!(v["alpha"]["transparent"], true);
    // Left half opaque red, right half transparent: so the hash's pixels.
    use base64::Engine;
    let th = base64::engine::general_purpose::STANDARD
        .decode(v["thumbhash"].as_str().unwrap())
        .unwrap();
    let (w, h, rgba) = thumbhash::thumb_hash_to_rgba(&th).unwrap();
    let px = |x: usize, y: usize| &rgba[(y * w + x) * 4..(y * w + x) * 4 + 4];
    let (left, right) = (px(w / 8, h / 2), px(w - 1 - w / 8, h / 2));
    assert!(left[3] > 200 && left[0] > 180, "left {left:?}");
    assert!(right[3] < 60, "right {right:?}");
    assert_eq!(v["dominant"]["R"], 255);

    // EXIF orientation 6: stored 320×480, displayed 480×320.
    let (status, _, body) = info(&server, "/info/_/plain/local:///orient-6.jpg").await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(480), Some(320))
    );
    assert_eq!(v["orientation"], 6);
    assert_eq!(v["format"], "jpeg");
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx() {
    let server = common::start_with(
        |dir| {
            fixtures::write_all(dir);
            std::fs::write(dir.join("text.png"), b"not an image at all").unwrap();
        },
        |_| {},
    )
    .await;
    for (path, status, words) in [
        ("/info/_/plain/local:///missing.png", 404, "no such image"),
        (
            "/info/_/plain/local:///text.png",
            415,
            "not a supported image",
        ),
        (
            "/info/_/bh:12:3/plain/local:///grid.png",
            400,
            "invalid arguments for bh",
        ),
        (
            "/info/_/exif:1/plain/local:///grid.png",
            400,
            "not supported by vignette",
        ),
        (
            "/info/_/plain/local:///grid.png@avif",
            400,
            "names no output format",
        ),
        ("/info/_/plain/local:///../etc/passwd", 404, "no such image"),
        ("/info/_", 400, "an info URL is"),
    ] {
        let (got, headers, body) = info(&server, path).await;
        assert_eq!(got.as_u16(), status, "{path}: {body}");
        assert!(body.contains(words), "{path}: {body}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
    }
}
