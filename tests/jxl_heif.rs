//! JPEG XL and HEIC sources through the HTTP server. The fixtures are made here by Debian's
//! encoders (`cjxl` from libjxl-tools, `heif-enc` from libheif-examples; a missing tool
//! fails the test, naming the package) and checked against the reference decoders (`djxl`,
//! `heif-convert`): the right size, upright (the codestream's orientation for JPEG XL,
//! `irot` for HEIF), the same colours (mean absolute difference), ICC profiles converted to
//! sRGB, "as source" answered as JPEG, and hostile files answered 413/422 at once.

mod common;

#[path = "jxl_heif/tools.rs"]
mod tools;

use common::fixtures::{decode, magic};
use common::start_with;
use std::path::Path;
use std::time::{Duration, Instant};
use tools::{heic_with_irot, mean_abs_diff, pattern_png, run, tool_png, turned_jpeg};

/// Renders `path` (an imgproxy URL) and decodes the answer; asserts a 200.
async fn render(s: &common::Server, path: &str) -> (String, common::fixtures::Decoded) {
    let resp = s.get(path).await;
    assert_eq!(resp.status(), 200, "{path}");
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    let body = resp.bytes().await.unwrap();
    (ct, decode(&body))
}

async fn status_within(s: &common::Server, path: &str, limit: Duration) -> u16 {
    let start = Instant::now();
    let status = s.get(path).await.status().as_u16();
    assert!(start.elapsed() < limit, "{path} took {:?}", start.elapsed());
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_xl_renders_at_size_upright_with_the_reference_colours() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    pattern_png(&w.join("src.png"), 256, 192);
    run("cjxl", &["src.png", "a.jxl", "-d", "1"], w);
    run("djxl", &["a.jxl", "a-ref.png"], w);
    // Stored 160×96 with EXIF orientation 6: cjxl moves it into the codestream.
    turned_jpeg(&w.join("turned.jpg"), 160, 96, 6);
    run("cjxl", &["turned.jpg", "turned.jxl"], w);
    run("djxl", &["turned.jxl", "turned-ref.png"], w);
    let s = start_with(
        |dir| {
            for f in ["a.jxl", "turned.jxl"] {
                std::fs::copy(w.join(f), dir.join(f)).unwrap();
            }
        },
        |_| {},
    )
    .await;

    let reference = tool_png(&w.join("a-ref.png"));
    let (ct, full) = render(&s, "/insecure/f:png/plain/local:///a.jxl").await;
    assert_eq!(ct, "image/png");
    assert_eq!((full.width, full.height), (256, 192));
    let mad = mean_abs_diff(&full, &reference);
    assert!(mad < 1.5, "jxl-oxide vs djxl: {mad}");

    let (_, small) = render(&s, "/insecure/w:128/f:png/plain/local:///a.jxl").await;
    assert_eq!((small.width, small.height), (128, 96));
    // "As source" (no format, no Accept): JPEG, a format every browser shows.
    let resp = s.get("/insecure/w:64/plain/local:///a.jxl").await;
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(magic(&resp.bytes().await.unwrap()), "jpg");
    let (status, _, body) = s.iiif("a.jxl/full/100,/0/default.webp").await;
    assert_eq!((status, magic(&body)), (200, "webp"));
    assert_eq!(decode(&body).width, 100);

    let turned_ref = tool_png(&w.join("turned-ref.png"));
    assert_eq!((turned_ref.width, turned_ref.height), (96, 160));
    let (_, turned) = render(&s, "/insecure/f:png/plain/local:///turned.jxl").await;
    assert_eq!((turned.width, turned.height), (96, 160));
    let mad = mean_abs_diff(&turned, &turned_ref);
    assert!(mad < 1.5, "turned jxl vs djxl: {mad}");
    assert_eq!(s.info_size("turned.jxl").await, (96, 160));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heic_renders_at_size_upright_with_the_reference_colours() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    pattern_png(&w.join("src.png"), 256, 192);
    run("heif-enc", &["-q", "90", "src.png", "-o", "a.heic"], w);
    run("heif-convert", &["a.heic", "a-ref.png"], w);
    // The same picture stored on its side with `irot` 3 (270° anticlockwise).
    pattern_png(&w.join("side.png"), 160, 96);
    run("heif-enc", &["-q", "90", "side.png", "-o", "side.heic"], w);
    heic_with_irot(&w.join("side.heic"), &w.join("turned.heic"), 3);
    run("heif-convert", &["turned.heic", "turned-ref.png"], w);
    let s = start_with(
        |dir| {
            for f in ["a.heic", "turned.heic"] {
                std::fs::copy(w.join(f), dir.join(f)).unwrap();
            }
        },
        |_| {},
    )
    .await;

    let reference = tool_png(&w.join("a-ref.png"));
    let (_, full) = render(&s, "/insecure/f:png/plain/local:///a.heic").await;
    assert_eq!((full.width, full.height), (256, 192));
    let mad = mean_abs_diff(&full, &reference);
    assert!(mad < 1.0, "vignette vs heif-convert: {mad}");
    let (_, small) = render(&s, "/insecure/rs:fit:64:64/f:png/plain/local:///a.heic").await;
    assert_eq!((small.width, small.height), (64, 48));
    let resp = s.get("/insecure/w:64/plain/local:///a.heic").await;
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    let (status, _, body) = s.iiif("a.heic/full/100,/0/default.avif").await;
    assert_eq!((status, magic(&body)), (200, "avif"));

    let turned_ref = tool_png(&w.join("turned-ref.png"));
    assert_eq!((turned_ref.width, turned_ref.height), (96, 160));
    let (_, turned) = render(&s, "/insecure/f:png/plain/local:///turned.heic").await;
    assert_eq!((turned.width, turned.height), (96, 160));
    let mad = mean_abs_diff(&turned, &turned_ref);
    assert!(mad < 1.0, "turned heic vs heif-convert: {mad}");
    let info: serde_json::Value = s
        .get("/info/insecure/plain/local:///turned.heic")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &info["format"],
            &info["width"],
            &info["height"],
            &info["orientation"]
        ),
        (&"heic".into(), &96.into(), &160.into(), &6.into())
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icc_profiles_of_both_are_converted_to_srgb() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    // A flat Adobe RGB colour whose sRGB value is far from its Adobe RGB numbers.
    let icc = tools::adobe_rgb_icc();
    let colour = [70u8, 170, 90];
    let want = tools::to_srgb(&icc, colour);
    let gap = (0..3)
        .map(|c| (want[c] as i32 - colour[c] as i32).abs())
        .max();
    assert!(gap.unwrap() >= 12, "{colour:?} → {want:?} is no test");
    tools::tagged_png(&w.join("rgb98.png"), 96, 64, colour, &icc);
    run("cjxl", &["rgb98.png", "rgb98.jxl", "-d", "0"], w);
    run(
        "heif-enc",
        &["-q", "95", "rgb98.png", "-o", "rgb98.heic"],
        w,
    );
    let s = start_with(
        |dir| {
            for f in ["rgb98.jxl", "rgb98.heic"] {
                std::fs::copy(w.join(f), dir.join(f)).unwrap();
            }
        },
        |_| {},
    )
    .await;
    for (file, tol) in [("rgb98.jxl", 2.0), ("rgb98.heic", 4.0)] {
        let (_, img) = render(&s, &format!("/insecure/f:png/plain/local:///{file}")).await;
        common::fixtures::assert_close(img.mean(48, 32, 16), want, tol);
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_jpeg_xl_and_heic_files_are_answered_at_once() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    // 256 × 192 = 49 152 pixels is over this server's 40 000; 128 × 96 is within.
    pattern_png(&w.join("big.png"), 256, 192);
    pattern_png(&w.join("src.png"), 128, 96);
    run("cjxl", &["big.png", "big.jxl", "-d", "1"], w);
    run("heif-enc", &["-q", "50", "big.png", "-o", "big.heic"], w);
    run("cjxl", &["src.png", "a.jxl", "-d", "1"], w);
    run("heif-enc", &["-q", "50", "src.png", "-o", "a.heic"], w);
    let jxl = std::fs::read(w.join("a.jxl")).unwrap();
    let heic = std::fs::read(w.join("a.heic")).unwrap();
    let write =
        |dir: &Path, name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    let s = start_with(
        |dir| {
            for f in ["a.jxl", "a.heic", "big.jxl", "big.heic"] {
                std::fs::copy(w.join(f), dir.join(f)).unwrap();
            }
            write(dir, "cut.jxl", &jxl[..jxl.len() * 6 / 10]);
            write(dir, "cut.heic", &heic[..heic.len() * 6 / 10]);
            // A bare codestream declaring 2^30 × 2^30 pixels, then nothing.
            write(
                dir,
                "huge.jxl",
                &[0xff, 0x0a, 0xfe, 0xff, 0xff, 0xff, 0x13, 0, 0, 0],
            );
            write(dir, "huge.heic", &tools::with_ispe(&heic, 60000, 60000));
            // A header smaller than the coded picture: libheif's size is checked again.
            write(dir, "small.heic", &tools::with_ispe(&heic, 16, 16));
        },
        |settings| settings.limits.max_source_pixels = 40_000,
    )
    .await;
    let limit = Duration::from_secs(2);
    let url = |f: &str| format!("/insecure/w:100/f:png/plain/local:///{f}");
    assert_eq!(status_within(&s, &url("huge.jxl"), limit).await, 413);
    assert_eq!(status_within(&s, &url("huge.heic"), limit).await, 413);
    assert_eq!(status_within(&s, &url("big.jxl"), limit).await, 413);
    assert_eq!(status_within(&s, &url("big.heic"), limit).await, 413);
    assert_eq!(status_within(&s, &url("cut.jxl"), limit).await, 422);
    assert_eq!(status_within(&s, &url("cut.heic"), limit).await, 422);
    assert_eq!(status_within(&s, &url("small.heic"), limit).await, 422);
    let resp = s.get(&url("cut.heic")).await;
    assert_eq!(resp.text().await.unwrap().trim(), "corrupt image");
    // The service keeps serving.
    assert_eq!(status_within(&s, &url("a.jxl"), limit).await, 200);
    assert_eq!(status_within(&s, &url("a.heic"), limit).await, 200);
    s.stop().await;
}
