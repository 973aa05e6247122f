//! The IIIF Image API 3.0 against a real server: every parameter, the info document, the
//! headers and the error statuses.

mod common;

use common::fixtures::{GRID_H, GRID_W, SQ, assert_close, decode, grid_colour, magic};
use common::{Server, start};

/// Asserts the centre colour of grid square (col, row) as it appears at (x, y) of `img`.
#[track_caller]
fn square_at(img: &common::fixtures::Decoded, x: u32, y: u32, col: u32, row: u32) {
    assert_close(img.mean(x, y, 6), grid_colour(col, row), 12.0);
}

async fn image(server: &Server, tail: &str) -> common::fixtures::Decoded {
    let (status, headers, body) = server.iiif(tail).await;
    assert_eq!(status, 200, "{tail}: {}", String::from_utf8_lossy(&body));
    let ct = headers["content-type"].to_str().unwrap().to_owned();
    assert_eq!(
        format!(
            "image/{}",
            if magic(&body) == "jpg" {
                "jpeg"
            } else {
                magic(&body)
            }
        ),
        ct
    );
    decode(&body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_json_describes_the_image_and_the_limits() {
    let s = start().await;
    let resp = s.get("/iiif/3/grid.png/info.json").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let host = s.base.trim_start_matches("http://").to_owned();
    let info: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(info["@context"], "http://iiif.io/api/image/3/context.json");
    assert_eq!(info["id"], format!("http://{host}/iiif/3/grid.png"));
    assert_eq!(info["type"], "ImageService3");
    assert_eq!(info["protocol"], "http://iiif.io/api/image");
    assert_eq!(info["profile"], "level2");
    assert_eq!(info["width"], GRID_W);
    assert_eq!(info["height"], GRID_H);
    assert_eq!(info["maxArea"], 16_777_216);
    assert_eq!(info["maxWidth"], 16383);
    let formats: Vec<&str> = info["extraFormats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(formats.contains(&"webp") && formats.contains(&"avif"));

    // JSON-LD when asked for it.
    let resp = s
        .client
        .get(format!("{}/iiif/3/grid.png/info.json", s.base))
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "application/ld+json;profile=\"http://iiif.io/api/image/3/context.json\""
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_id_uses_the_public_url_when_set() {
    let s = common::start_with(common::fixtures::write_all, |st| {
        st.public_url = Some("https://img.example.org".into());
    })
    .await;
    let info: serde_json::Value = s
        .get("/iiif/3/sub%2Fnested.png/info.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        info["id"],
        "https://img.example.org/iiif/3/sub%2Fnested.png"
    );
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(20), Some(10))
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_uri_redirects_to_info_json() {
    let s = start().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .get(format!("{}/iiif/3/grid.png", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        format!("{}/iiif/3/grid.png/info.json", s.base)
    );
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let resp = client
        .get(format!("{}/iiif/3/nope.png", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regions() {
    let s = start().await;
    let img = image(&s, "grid.png/full/max/0/default.png").await;
    assert_eq!((img.width, img.height), (GRID_W, GRID_H));
    square_at(&img, 50, 50, 0, 0);
    square_at(&img, 950, 550, 9, 5);

    let img = image(&s, "grid.png/square/max/0/default.png").await;
    assert_eq!((img.width, img.height), (600, 600));
    square_at(&img, 50, 50, 2, 0); // centred: starts at x = 200

    let img = image(&s, "grid.png/300,100,200,100/max/0/default.png").await;
    assert_eq!((img.width, img.height), (200, 100));
    square_at(&img, 50, 50, 3, 1);
    square_at(&img, 150, 50, 4, 1);

    // Clipped at the image's edge.
    let img = image(&s, "grid.png/900,500,500,500/max/0/default.png").await;
    assert_eq!((img.width, img.height), (100, 100));
    square_at(&img, 50, 50, 9, 5);

    let img = image(&s, "grid.png/pct:50,50,20,50/max/0/default.png").await;
    assert_eq!((img.width, img.height), (200, 300));
    square_at(&img, 50, 50, 5, 3);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sizes() {
    let s = start().await;
    for (size, w, h) in [
        ("max", 1000, 600),
        ("500,", 500, 300),
        (",300", 500, 300),
        ("pct:25", 250, 150),
        ("200,200", 200, 200),
        ("!400,400", 400, 240),
        ("^2000,", 2000, 1200),
        ("^,1200", 2000, 1200),
        ("^pct:150", 1500, 900),
        ("^!3000,1500", 2500, 1500),
        ("^1500,700", 1500, 700),
    ] {
        let img = image(&s, &format!("grid.png/full/{size}/0/default.png")).await;
        assert_eq!((img.width, img.height), (w, h), "size {size}");
        // The top-left and bottom-right squares are where they should be, scaled.
        let (sx, sy) = (w as f64 / GRID_W as f64, h as f64 / GRID_H as f64);
        square_at(&img, (50.0 * sx) as u32, (50.0 * sy) as u32, 0, 0);
        square_at(&img, (950.0 * sx) as u32, (550.0 * sy) as u32, 9, 5);
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_and_mirroring() {
    let s = start().await;
    let img = image(&s, "grid.png/full/500,/90/default.png").await;
    assert_eq!((img.width, img.height), (300, 500));
    square_at(&img, 275, 25, 0, 0); // top-left moved to the top-right
    square_at(&img, 25, 475, 9, 5);

    let img = image(&s, "grid.png/full/500,/180/default.png").await;
    assert_eq!((img.width, img.height), (500, 300));
    square_at(&img, 475, 275, 0, 0);

    let img = image(&s, "grid.png/full/500,/270/default.png").await;
    assert_eq!((img.width, img.height), (300, 500));
    square_at(&img, 25, 475, 0, 0);

    let img = image(&s, "grid.png/full/500,/!0/default.png").await;
    assert_eq!((img.width, img.height), (500, 300));
    square_at(&img, 475, 25, 0, 0); // mirrored left-right

    let img = image(&s, "grid.png/full/500,/!90/default.png").await;
    assert_eq!((img.width, img.height), (300, 500));
    square_at(&img, 275, 475, 0, 0); // mirror, then rotate clockwise

    // Arbitrary angle: the bounding box grows, corners are transparent in PNG.
    let img = image(&s, "grid.png/full/200,200/45/default.png").await;
    assert!(
        (282..=284).contains(&img.width) && img.width == img.height,
        "{}x{}",
        img.width,
        img.height
    );
    assert_eq!(img.px(1, 1)[3], 0, "corner is transparent");
    assert_eq!(
        img.px(img.width / 2, img.height / 2)[3],
        255,
        "centre is opaque"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qualities() {
    let s = start().await;
    let img = image(&s, "grid.png/full/200,/0/gray.png").await;
    for y in (0..img.height).step_by(7) {
        for x in (0..img.width).step_by(7) {
            let p = img.px(x, y);
            assert!(p[0] == p[1] && p[1] == p[2], "grey pixel {p:?}");
        }
    }
    let img = image(&s, "grid.png/full/200,/0/bitonal.png").await;
    for p in img.rgba.chunks(4) {
        assert!(
            p[0] == p[1] && p[1] == p[2] && (p[0] == 0 || p[0] == 255),
            "bitonal pixel {p:?}"
        );
    }
    let colour = image(&s, "grid.png/full/200,/0/color.png").await;
    let default = image(&s, "grid.png/full/200,/0/default.png").await;
    assert_eq!(colour.rgba, default.rgba);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_has_its_magic_and_dimensions() {
    let s = start().await;
    for (ext, ct) in [
        ("jpg", "image/jpeg"),
        ("png", "image/png"),
        ("webp", "image/webp"),
        ("avif", "image/avif"),
        ("gif", "image/gif"),
    ] {
        for src in ["grid.png", "grid.jpg"] {
            let (status, headers, body) = s.iiif(&format!("{src}/full/300,/0/default.{ext}")).await;
            assert_eq!(status, 200, "{src} → {ext}");
            assert_eq!(headers["content-type"], ct);
            assert_eq!(magic(&body), ext);
            let img = decode(&body);
            assert_eq!((img.width, img.height), (300, 180), "{src} → {ext}");
            let tol = if ext == "gif" { 30.0 } else { 20.0 };
            assert_close(img.mean(15, 15, 6), grid_colour(0, 0), tol);
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alpha_is_kept_or_flattened() {
    let s = start().await;
    for ext in ["png", "webp", "avif", "gif"] {
        let img = image(&s, &format!("alpha.png/full/max/0/default.{ext}")).await;
        assert_eq!(img.px(50, 50)[3], 255, "{ext}: opaque half");
        assert_eq!(img.px(150, 50)[3], 0, "{ext}: transparent half");
    }
    let img = image(&s, "alpha.png/full/max/0/default.jpg").await;
    assert_close(img.mean(50, 50, 10), [255, 0, 0], 8.0);
    assert_close(img.mean(150, 50, 10), [255, 255, 255], 8.0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_headers_etag_and_304() {
    let s = common::start_with(common::fixtures::write_all, |st| {
        st.cache_max_age = std::time::Duration::from_secs(600);
    })
    .await;
    let (status, h, body) = s.iiif("grid.png/full/100,/0/default.webp").await;
    assert_eq!(status, 200);
    assert_eq!(h["content-type"], "image/webp");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "public, max-age=600");
    assert_eq!(h["access-control-allow-origin"], "*");
    let etag = h["etag"].to_str().unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"),
        "{etag}"
    );
    let links: Vec<_> = h
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.contains("level2.json") && l.contains("profile")),
        "{links:?}"
    );
    assert!(
        links
            .iter()
            .any(|l| l.contains("/iiif/3/grid.png/full/100,/0/default.webp")
                && l.contains("canonical")),
        "{links:?}"
    );

    // Same request: same bytes, same ETag.
    let (_, h2, body2) = s.iiif("grid.png/full/100,/0/default.webp").await;
    assert_eq!(h2["etag"], etag.as_str());
    assert_eq!(body, body2);

    let resp = s
        .client
        .get(format!(
            "{}/iiif/3/grid.png/full/100,/0/default.webp",
            s.base
        ))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);
    assert_eq!(resp.headers()["etag"], etag.as_str());
    assert!(resp.bytes().await.unwrap().is_empty());

    // Another variant has another ETag.
    let (_, h3, _) = s.iiif("grid.png/full/101,/0/default.webp").await;
    assert_ne!(h3["etag"], etag.as_str());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses() {
    let s = start().await;
    for (tail, status) in [
        ("nope.png/full/max/0/default.jpg", 404),
        ("nope.png/info.json", 404),
        ("a%2Fb/full/max/0/default.jpg", 404),
        ("a/b/full/max/0/default.jpg", 404),
        ("..%2F..%2Fetc%2Fpasswd/full/max/0/default.jpg", 404),
        ("%2Fetc%2Fpasswd/info.json", 404),
        ("sub%2F..%2Fgrid.png/info.json", 404),
        ("grid.png/foo/max/0/default.jpg", 400),
        ("grid.png/0,0,0,10/max/0/default.jpg", 400),
        ("grid.png/2000,0,10,10/max/0/default.jpg", 400),
        ("grid.png/full/foo/0/default.jpg", 400),
        ("grid.png/full/1001,/0/default.jpg", 400),
        ("grid.png/full/pct:101/0/default.jpg", 400),
        ("grid.png/full/^20000,/0/default.jpg", 400),
        ("grid.png/full/max/foo/default.jpg", 400),
        ("grid.png/full/max/400/default.jpg", 400),
        ("grid.png/full/max/0/foo.jpg", 400),
        ("grid.png/full/max/0/default.foo", 400),
        ("grid.png/full/max/0/default.tif", 501),
        ("grid.png/full/max/0/default.jp2", 501),
        ("grid.png/full/max/0", 400),
    ] {
        let (got, headers, body) = s.iiif(tail).await;
        assert_eq!(got, status, "{tail}: {}", String::from_utf8_lossy(&body));
        assert_eq!(headers["cache-control"], "no-store", "{tail}");
        assert_eq!(headers["access-control-allow-origin"], "*", "{tail}");
        assert!(body.len() < 300, "short message for {tail}");
    }
    assert_eq!(s.get("/elsewhere").await.status(), 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_may_name_nested_files_and_encoded_characters() {
    let s = start().await;
    let img = image(&s, "sub%2Fnested.png/full/max/0/default.png").await;
    assert_eq!((img.width, img.height), (20, 10));
    let img = image(&s, "grid%2Epng/full/10,/0/default.png").await;
    assert_eq!(img.width, 10);
    // Unencoded slashes work too, and extensions may be left out.
    let img = image(&s, "sub/nested/full/max/0/default.png").await;
    assert_eq!((img.width, img.height), (20, 10));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiny_images_upscale_and_never_shrink_to_zero() {
    let s = start().await;
    let img = image(&s, "pixel.png/full/^50,/0/default.png").await;
    assert_eq!((img.width, img.height), (50, 50));
    assert_close(img.mean(25, 25, 4), [255, 128, 0], 3.0);
    let img = image(&s, "grid.png/full/3,/0/default.jpg").await;
    assert_eq!((img.width, img.height), (3, 2));
    let _ = SQ;
    s.stop().await;
}
