//! The imgproxy dialect end to end, with URLs written by imgproxy's own client library
//! (`@imgproxy/imgproxy-node`, installed by `scripts/bootstrap --test` in
//! `tests/imgproxy_node`): every option gives the dimensions, formats and statuses imgproxy
//! documents, signed and unsigned, and `Accept` negotiation answers each browser.

mod common;

use common::fixtures::{self, GRID_H, GRID_W, decode, grid_colour, magic};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use vignette::testing::dialect::{Presets, Signing};

const KEY: &str = "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881";
const SALT: &str = "520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The URLs imgproxy-node builds for `cases` (`{url, displayAs, options, signed}`).
fn build_urls(endpoint: &str, cases: &[Value]) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/imgproxy_node");
    assert!(
        dir.join("node_modules/@imgproxy/imgproxy-node").is_dir(),
        "@imgproxy/imgproxy-node is not installed: run scripts/bootstrap --test"
    );
    let mut child = Command::new("node")
        .arg("urls.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs (it is on every machine of this project)");
    let input = json!({"endpoint": endpoint, "key": KEY, "salt": SALT, "cases": cases});
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.to_string().as_bytes()).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "urls.mjs failed");
    serde_json::from_slice(&out.stdout).expect("a JSON array of URLs")
}

/// A white 200×100 PNG with a red 50×30 box at (70, 40): something to trim.
fn write_bordered(dir: &Path) {
    let mut px = Vec::new();
    for y in 0..100 {
        for x in 0..200 {
            let inside = (70..120).contains(&x) && (40..70).contains(&y);
            px.extend_from_slice(if inside {
                &[220, 0, 0]
            } else {
                &[255, 255, 255]
            });
        }
    }
    let file = std::fs::File::create(dir.join("bordered.png")).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), 200, 100);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(&px).unwrap();
}

async fn server() -> common::Server {
    common::start_with(
        |dir| {
            fixtures::write_all(dir);
            fixtures::copy_committed("edge", dir);
            write_bordered(dir);
        },
        |s| {
            s.imgproxy.signing = Signing {
                pairs: vec![(hex(KEY), hex(SALT))],
                size: 32,
            };
            s.imgproxy.presets = Presets::parse("thumb=rs:fill:64:64/f:png").unwrap();
        },
    )
    .await
}

/// One expectation: status, then (for 200) format and size.
#[derive(Debug, Clone)]
struct Want {
    status: u16,
    format: &'static str,
    size: (u32, u32),
}

fn ok(format: &'static str, w: u32, h: u32) -> Want {
    Want {
        status: 200,
        format,
        size: (w, h),
    }
}

fn status(status: u16) -> Want {
    Want {
        status,
        format: "",
        size: (0, 0),
    }
}

/// A case: source, options as imgproxy-node takes them, what imgproxy documents.
fn case(url: &str, options: Value, want: Want) -> (Value, Want) {
    let mut input = json!({"url": url, "signed": true});
    input["options"] = options;
    (input, want)
}

#[tokio::test]
async fn urls_from_imgproxy_node_render_as_imgproxy_documents() {
    let server = server().await;
    let grid = "local:///grid.jpg";
    let (gw, gh) = (GRID_W, GRID_H);
    let cases = vec![
        case(
            grid,
            json!({"resize": {"resizing_type": "fit", "width": 300, "height": 300}, "format": "png"}),
            ok("png", 300, 180),
        ),
        case(
            grid,
            json!({"rs": {"resizing_type": "fill", "width": 300, "height": 300}, "f": "jpg"}),
            ok("jpg", 300, 300),
        ),
        case(
            grid,
            json!({"rs": {"resizing_type": "fill-down", "width": 2000, "height": 1000}, "f": "jpg"}),
            ok("jpg", 1000, 500),
        ),
        case(
            grid,
            json!({"rs": {"resizing_type": "force", "width": 300, "height": 100}, "f": "jpg"}),
            ok("jpg", 300, 100),
        ),
        case(
            grid,
            json!({"rs": {"resizing_type": "auto", "width": 300, "height": 500}, "f": "jpg"}),
            ok("jpg", 300, 180),
        ),
        case(
            grid,
            json!({"size": {"height": 150}, "f": "webp"}),
            ok("webp", 250, 150),
        ),
        case(grid, json!({"width": 500, "f": "jpg"}), ok("jpg", 500, 300)),
        case(grid, json!({"height": 60, "f": "jpg"}), ok("jpg", 100, 60)),
        case(
            grid,
            json!({"width": 100, "min_width": 800, "f": "jpg"}),
            // "the final image will be cropped according to width" (processing.mdx)
            ok("jpg", 100, 480),
        ),
        case(
            grid,
            json!({"height": 60, "min_height": 300, "f": "jpg"}),
            ok("jpg", 500, 60),
        ),
        case(grid, json!({"zoom": 0.5, "f": "jpg"}), ok("jpg", 500, 300)),
        case(
            grid,
            json!({"width": 200, "zoom": {"zoom_x": 2, "zoom_y": 1}, "f": "jpg"}),
            ok("jpg", 400, 120),
        ),
        case(
            grid,
            json!({"width": 200, "dpr": 2, "f": "jpg"}),
            ok("jpg", 400, 240),
        ),
        case(
            grid,
            json!({"width": 500, "dpr": 3, "f": "jpg"}),
            ok("jpg", gw, gh),
        ),
        case(
            grid,
            json!({"width": 2000, "enlarge": 1, "f": "jpg"}),
            ok("jpg", 2000, 1200),
        ),
        case(
            grid,
            json!({"width": 2000, "enlarge": 0, "f": "jpg"}),
            ok("jpg", gw, gh),
        ),
        case(
            grid,
            json!({"rs": {"width": 1200, "height": 1200, "extend": {"extend": 1}}, "f": "png"}),
            ok("png", 1200, 1200),
        ),
        case(
            grid,
            json!({"rs": {"width": 100, "height": 100}, "extend_aspect_ratio": {"extend": 1, "gravity": {"type": "no"}}, "f": "png"}),
            ok("png", 100, 100),
        ),
        case(
            grid,
            json!({"rs": {"resizing_type": "fill", "width": 100, "height": 100}, "gravity": {"type": "we"}, "f": "png"}),
            ok("png", 100, 100),
        ),
        case(
            grid,
            json!({"rs": {"resizing_type": "fill", "width": 100, "height": 100}, "gravity": {"type": "fp", "x": 0.9, "y": 0.5}, "f": "png"}),
            ok("png", 100, 100),
        ),
        case(
            grid,
            json!({"rs": {"resizing_type": "fill", "width": 100, "height": 100}, "gravity": {"type": "sm"}, "f": "png"}),
            ok("png", 100, 100),
        ),
        case(
            grid,
            json!({"crop": {"width": 500, "height": 300}, "f": "png"}),
            ok("png", 500, 300),
        ),
        case(
            grid,
            json!({"crop": {"width": 0.5, "height": 0.5, "gravity": {"type": "soea"}}, "f": "png"}),
            ok("png", 500, 300),
        ),
        case(
            grid,
            json!({"crop": {"width": 300, "height": 300, "gravity": {"type": "sm"}}, "width": 100, "f": "png"}),
            ok("png", 100, 100),
        ),
        case(
            "local:///bordered.png",
            json!({"trim": {"threshold": 10}, "f": "png"}),
            ok("png", 50, 30),
        ),
        case(
            grid,
            json!({"width": 100, "padding": {"top": 10, "right": 20}, "f": "png"}),
            ok("png", 140, 80),
        ),
        case(
            "local:///orient-6.jpg",
            json!({"auto_rotate": 0, "f": "jpg"}),
            Want {
                status: 200,
                format: "jpg",
                size: (0, 0),
            },
        ),
        case(
            grid,
            json!({"width": 300, "rotate": 90, "f": "jpg"}),
            ok("jpg", 300, 500),
        ),
        case(
            grid,
            json!({"flip": {"horizontal": 1}, "width": 500, "f": "png"}),
            ok("png", 500, 300),
        ),
        case(
            "local:///alpha.png",
            json!({"background": "0000ff", "f": "png"}),
            ok("png", 200, 100),
        ),
        case(
            grid,
            json!({"blur": 5, "sharpen": 1, "pixelate": 10, "width": 500, "f": "png"}),
            ok("png", 500, 300),
        ),
        case(
            grid,
            json!({"strip_metadata": 1, "keep_copyright": 0, "strip_color_profile": 1, "width": 50, "f": "jpg"}),
            ok("jpg", 50, 30),
        ),
        case(
            grid,
            json!({"strip_metadata": 0, "keep_copyright": 1, "strip_color_profile": 0, "width": 50, "f": "jpg"}),
            ok("jpg", 50, 30),
        ),
        case(
            grid,
            json!({"quality": 10, "width": 500, "f": "jpg"}),
            ok("jpg", 500, 300),
        ),
        case(
            grid,
            json!({"format_quality": [{"format": "jpg", "quality": 10}], "width": 500, "f": "jpg"}),
            ok("jpg", 500, 300),
        ),
        case(
            grid,
            json!({"max_bytes": 6000, "width": 500, "f": "jpg"}),
            ok("jpg", 500, 300),
        ),
        case(grid, json!({"width": 64, "f": "avif"}), ok("avif", 64, 38)),
        case(grid, json!({"width": 64, "f": "gif"}), ok("gif", 64, 38)),
        case(
            "local:///grid.png",
            json!({"skip_processing": ["png"], "width": 10, "f": "png"}),
            ok("png", gw, gh),
        ),
        case(
            grid,
            json!({"cachebuster": "v2", "width": 100, "f": "jpg"}),
            ok("jpg", 100, 60),
        ),
        case(
            grid,
            json!({"expires": 4_000_000_000u64, "width": 100, "f": "jpg"}),
            ok("jpg", 100, 60),
        ),
        case(
            grid,
            json!({"expires": 1_000_000_000, "width": 100, "f": "jpg"}),
            status(404),
        ),
        case(
            grid,
            json!({"filename": {"name": "holiday"}, "return_attachment": 1, "f": "jpg"}),
            ok("jpg", gw, gh),
        ),
        case(grid, json!({"preset": ["thumb"]}), ok("png", 64, 64)),
        case(grid, json!({"watermark": {"opacity": 0.5}}), status(400)),
        case(grid, json!({"raw": 1}), status(400)),
        // Over --max-output-pixels (16.7 MP by default).
        case(
            grid,
            json!({"width": 20000, "height": 20000, "enlarge": 1, "f": "jpg"}),
            status(400),
        ),
        case("local:///missing.jpg", json!({"width": 100}), status(404)),
        // In the plain form the HTTP client folds `/../` before sending, which breaks the
        // signature: a 403 there.
        case("local:///../etc/passwd", json!({"width": 100}), status(404)),
        case(
            "s3://other-bucket/a.jpg",
            json!({"width": 100}),
            status(403),
        ),
        case(
            "http://127.0.0.1:1/a.jpg",
            json!({"width": 100}),
            status(403),
        ),
    ];
    let mut inputs: Vec<Value> = cases.iter().map(|(c, _)| c.clone()).collect();
    // The same URLs with the source in plain form, and unsigned (refused with a key set).
    let plain: Vec<Value> = inputs
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c["displayAs"] = json!("plain");
            c
        })
        .collect();
    let unsigned: Vec<Value> = inputs
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c["signed"] = json!(false);
            c
        })
        .collect();
    let n = inputs.len();
    inputs.extend(plain);
    inputs.extend(unsigned);
    let urls = build_urls(&server.base, &inputs);
    for (i, url) in urls.iter().enumerate() {
        let (input, want) = &cases[i % n];
        let want = if i >= 2 * n {
            status(403)
        } else {
            want.clone()
        };
        let resp = server.client.get(url).send().await.unwrap();
        let code = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.unwrap();
        let folded = url.contains("/plain/local:///../") && code == 403;
        assert!(code == want.status || folded, "{url} ({input}): {code}");
        if want.status != 200 {
            assert!(body.len() < 200, "short error body for {url}");
            continue;
        }
        assert_eq!(magic(&body), want.format, "{url}");
        if want.size != (0, 0) {
            let d = decode(&body);
            assert_eq!((d.width, d.height), want.size, "{url}");
        }
        assert_eq!(
            headers["content-type"].to_str().unwrap(),
            format!(
                "image/{}",
                if want.format == "jpg" {
                    "jpeg"
                } else {
                    want.format
                }
            ),
        );
        assert!(headers.contains_key("content-disposition"), "{url}");
    }
    server.stop().await;
}

/// Fetches an imgproxy-node URL for `options` on `source`.
async fn fetch(
    server: &common::Server,
    source: &str,
    options: Value,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let url = build_urls(
        &server.base,
        &[json!({"url": source, "options": options, "signed": true})],
    )
    .remove(0);
    let resp = server.client.get(&url).send().await.unwrap();
    let code = resp.status().as_u16();
    let headers = resp.headers().clone();
    (code, headers, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn options_change_the_pixels_as_documented() {
    let server = server().await;
    let grid = "local:///grid.jpg";
    let near =
        |got: [u8; 4], want: [u8; 3]| (0..3).all(|c| (got[c] as i32 - want[c] as i32).abs() <= 24);
    // fill 100×100 of a 1000×600 grid: 167×100 scaled, cut on the west or around x=0.9
    // (pixels probed away from the squares' edges).
    let (_, _, west) = fetch(&server, grid, json!({"rs": {"resizing_type": "fill", "width": 100, "height": 100}, "g": {"type": "we"}, "f": "png"})).await;
    let west = decode(&west);
    assert!(
        near(west.px(58, 58), grid_colour(3, 3)),
        "{:?}",
        west.px(58, 58)
    );
    let (_, _, fp) = fetch(&server, grid, json!({"rs": {"resizing_type": "fill", "width": 100, "height": 100}, "g": {"type": "fp", "x": 0.9, "y": 0.5}, "f": "png"})).await;
    let fp = decode(&fp);
    assert!(
        near(fp.px(80, 58), grid_colour(8, 3)),
        "{:?}",
        fp.px(80, 58)
    );
    // A centred 500×300 crop keeps the middle squares at full size.
    let (_, _, crop) = fetch(
        &server,
        grid,
        json!({"crop": {"width": 500, "height": 300}, "f": "png"}),
    )
    .await;
    let crop = decode(&crop);
    assert!(
        near(crop.px(10, 10), grid_colour(2, 1)),
        "{:?}",
        crop.px(10, 10)
    );
    // A left-right flip puts the last column first.
    let (_, _, flip) = fetch(
        &server,
        grid,
        json!({"flip": {"horizontal": 1}, "f": "png"}),
    )
    .await;
    assert!(near(decode(&flip).px(50, 50), grid_colour(9, 0)));
    // Extending with no background is transparent in PNG; padding takes the background.
    let (_, _, ext) = fetch(
        &server,
        grid,
        json!({"rs": {"width": 1200, "height": 1200, "extend": {"extend": 1}}, "f": "png"}),
    )
    .await;
    let ext = decode(&ext);
    assert_eq!(ext.px(0, 0)[3], 0);
    assert!(
        near(ext.px(650, 650), grid_colour(5, 3)),
        "{:?}",
        ext.px(650, 650)
    );
    let (_, _, pad) = fetch(
        &server,
        grid,
        json!({"width": 100, "padding": 10, "background": "ff0000", "f": "jpg"}),
    )
    .await;
    let pad = decode(&pad);
    assert_eq!((pad.width, pad.height), (120, 80));
    assert!(near(pad.px(2, 2), [255, 0, 0]), "{:?}", pad.px(2, 2));
    // A background flattens alpha: the transparent half of alpha.png becomes blue.
    let (_, _, bg) = fetch(
        &server,
        "local:///alpha.png",
        json!({"background": "0000ff", "f": "png"}),
    )
    .await;
    let bg = decode(&bg);
    assert_eq!(bg.px(150, 50), [0, 0, 255, 255]);
    assert_eq!(bg.px(50, 50), [255, 0, 0, 255]);
    // Trim keeps the red box only.
    let (_, _, trim) = fetch(
        &server,
        "local:///bordered.png",
        json!({"trim": {"threshold": 10}, "f": "png"}),
    )
    .await;
    assert!(near(decode(&trim).px(25, 15), [220, 0, 0]));
    // Pixelate by a square's size keeps squares uniform; blur mixes neighbours.
    let (_, _, pix) = fetch(
        &server,
        "local:///grid.png",
        json!({"pixelate": 100, "f": "png"}),
    )
    .await;
    let pix = decode(&pix);
    assert_eq!(pix.px(101, 101), pix.px(198, 198));
    let (_, _, blur) = fetch(&server, "local:///grid.png", json!({"blur": 8, "f": "png"})).await;
    let blur = decode(&blur);
    let edge = blur.px(100, 50);
    assert!(
        !near(edge, grid_colour(1, 0)) && !near(edge, grid_colour(0, 0)),
        "{edge:?}"
    );
    // Quality: q10 is smaller than the default, fq of the same format is the same variant.
    let (_, h10, q10) = fetch(
        &server,
        grid,
        json!({"quality": 10, "width": 500, "f": "jpg"}),
    )
    .await;
    let (_, hfq, fq) = fetch(
        &server,
        grid,
        json!({"format_quality": [{"format": "jpg", "quality": 10}], "width": 500, "f": "jpg"}),
    )
    .await;
    let (_, _, q80) = fetch(&server, grid, json!({"width": 500, "f": "jpg"})).await;
    assert!(q10.len() < q80.len() / 2, "{} vs {}", q10.len(), q80.len());
    assert_eq!((q10.len(), &h10["etag"]), (fq.len(), &hfq["etag"]));
    let (_, _, mb) = fetch(
        &server,
        grid,
        json!({"max_bytes": 6000, "width": 500, "f": "jpg"}),
    )
    .await;
    assert!(mb.len() <= 6000 && mb.len() < q80.len(), "{}", mb.len());
    // skip_processing answers the source's bytes.
    let (_, _, skp) = fetch(
        &server,
        "local:///grid.png",
        json!({"skip_processing": ["png"], "width": 10}),
    )
    .await;
    let source = std::fs::read(server.dir.as_ref().unwrap().path().join("grid.png")).unwrap();
    assert!(
        skp == source,
        "skip_processing changed the bytes ({} vs {})",
        skp.len(),
        source.len()
    );
    // Cache busters change the key, not the pixels.
    let (_, a, _) = fetch(&server, grid, json!({"width": 100, "f": "jpg"})).await;
    let (_, b, _) = fetch(
        &server,
        grid,
        json!({"width": 100, "f": "jpg", "cachebuster": "2"}),
    )
    .await;
    assert_ne!(a["etag"], b["etag"]);
    // File names.
    let (_, h, _) = fetch(
        &server,
        grid,
        json!({"filename": {"name": "holiday"}, "return_attachment": 1, "f": "jpg", "width": 10}),
    )
    .await;
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"holiday.jpg\""
    );
    let (_, h, _) = fetch(&server, grid, json!({"f": "webp", "width": 10})).await;
    assert_eq!(h["content-disposition"], "inline; filename=\"grid.webp\"");
    server.stop().await;
}

#[tokio::test]
async fn the_same_variant_in_both_dialects_is_one_cache_entry() {
    let server = server().await;
    let (code, iiif_headers, iiif) = server.iiif("grid.jpg/full/400,/0/default.jpg").await;
    assert_eq!(code, 200);
    let (code, h, body) = fetch(
        &server,
        "local:///grid.jpg",
        json!({"width": 400, "f": "jpg"}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(h["etag"], iiif_headers["etag"]);
    assert_eq!(body, iiif);
    server.stop().await;
}

#[tokio::test]
async fn format_negotiation_answers_each_browser() {
    let server = server().await;
    let url = build_urls(
        &server.base,
        &[json!({"url": "local:///grid.jpg", "options": {"width": 120}, "signed": true})],
    )
    .remove(0);
    for (accept, format) in [
        ("image/avif,image/webp,image/apng,image/*,*/*;q=0.8", "avif"),
        (
            "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
            "avif",
        ),
        (
            "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5",
            "webp",
        ),
        ("*/*", "jpg"),
    ] {
        let resp = server
            .client
            .get(&url)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["vary"], "Accept", "{accept}");
        let body = resp.bytes().await.unwrap();
        assert_eq!(magic(&body), format, "{accept}");
        assert_eq!(decode(&body).width, 120);
    }
    // A PNG source stays PNG when nothing better is accepted; an explicit format wins and
    // does not vary.
    let png = build_urls(
        &server.base,
        &[json!({"url": "local:///alpha.png", "options": {"width": 20}, "signed": true})],
    )
    .remove(0);
    let resp = server
        .client
        .get(&png)
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(magic(&resp.bytes().await.unwrap()), "png");
    let (_, h, body) = fetch(
        &server,
        "local:///grid.jpg",
        json!({"width": 120, "f": "png"}),
    )
    .await;
    assert_eq!(magic(&body), "png");
    assert!(h.get("vary").is_none());
    server.stop().await;
}

/// A TIFF block (big-endian) with an orientation of 6 and ASCII artist and copyright.
fn tiff_with_notices() -> Vec<u8> {
    let artist = b"Ann Example\0";
    let copyright = b"(c) 2026 Ann Example\0";
    let mut t = b"MM\0*".to_vec();
    t.extend_from_slice(&8u32.to_be_bytes());
    t.extend_from_slice(&3u16.to_be_bytes());
    let data_at = 8 + 2 + 3 * 12 + 4;
    // Orientation (SHORT 6), Artist, Copyright (ASCII, stored after the IFD).
    t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    t.extend_from_slice(&[0x01, 0x3B, 0, 2]);
    t.extend_from_slice(&(artist.len() as u32).to_be_bytes());
    t.extend_from_slice(&(data_at as u32).to_be_bytes());
    t.extend_from_slice(&[0x82, 0x98, 0, 2]);
    t.extend_from_slice(&(copyright.len() as u32).to_be_bytes());
    t.extend_from_slice(&((data_at + artist.len()) as u32).to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(artist);
    t.extend_from_slice(copyright);
    t
}

/// `jpeg` with an APP1 EXIF segment holding `tiff` right after SOI.
fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn metadata_is_stripped_unless_asked_and_kept_where_asked() {
    let server = server().await;
    let dir = server.dir.as_ref().unwrap().path().to_owned();
    let grid = std::fs::read(dir.join("grid.jpg")).unwrap();
    std::fs::write(
        dir.join("signed.jpg"),
        with_exif(&grid, &tiff_with_notices()),
    )
    .unwrap();
    let src = "local:///signed.jpg";
    // Default: nothing survives, the orientation is applied.
    let (_, _, plain) = fetch(&server, src, json!({"width": 120, "f": "jpg"})).await;
    assert!(!contains(&plain, b"Exif\0\0") && !contains(&plain, b"Ann Example"));
    assert_eq!((decode(&plain).width, decode(&plain).height), (120, 200));
    // strip_metadata:0 keeps the EXIF, made upright: orientation 1 (big-endian SHORT).
    for format in ["jpg", "png", "webp", "avif"] {
        let (code, _, kept) = fetch(
            &server,
            src,
            json!({"width": 120, "f": format, "strip_metadata": 0}),
        )
        .await;
        assert_eq!(code, 200, "{format}");
        assert!(contains(&kept, b"(c) 2026 Ann Example"), "{format}");
        assert!(
            contains(&kept, &[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1]),
            "{format}"
        );
        assert_eq!(decode(&kept).width, 120, "{format}");
    }
    // keep_copyright:1 keeps the notices only.
    let (_, _, notices) = fetch(
        &server,
        src,
        json!({"width": 120, "f": "jpg", "keep_copyright": 1}),
    )
    .await;
    assert!(contains(&notices, b"(c) 2026 Ann Example") && contains(&notices, b"Ann Example\0"));
    assert!(!contains(&notices, &[0x01, 0x12, 0, 3]));
    // strip_color_profile:0 keeps an Adobe RGB profile and leaves the pixels in its space.
    let adobe = "local:///adobergb-1280x800.jpg";
    let (_, _, converted) = fetch(&server, adobe, json!({"width": 64, "f": "png"})).await;
    let (_, _, profiled) = fetch(
        &server,
        adobe,
        json!({"width": 64, "f": "png", "strip_color_profile": 0}),
    )
    .await;
    assert!(!contains(&converted, b"iCCP"));
    assert!(contains(&profiled, b"iCCP"));
    assert_ne!(decode(&converted).rgba, decode(&profiled).rgba);
    for format in ["jpg", "webp"] {
        let (_, _, body) = fetch(&server, adobe, json!({"width": 64, "f": format, "scp": 0})).await;
        let marker: &[u8] = if format == "jpg" {
            b"ICC_PROFILE\0"
        } else {
            b"ICCP"
        };
        assert!(contains(&body, marker), "{format}");
        assert_eq!(decode(&body).width, 64);
    }
    server.stop().await;
}
