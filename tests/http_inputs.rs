//! Real-world inputs through the HTTP path: every hostile file of the corpus gets its
//! precise answer and the service keeps serving; EXIF orientations render upright;
//! metrics and health endpoints answer; local read failures answer fixed texts.

mod common;

use common::fixtures::{Decoded, copy_committed, decode, magic};
use common::start_with;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_get_precise_answers_and_the_service_keeps_serving() {
    let s = start_with(
        |dir| {
            common::fixtures::write_all(dir);
            copy_committed("hostile", dir);
        },
        |_| {},
    )
    .await;
    for (file, status) in [
        ("empty.jpg", 415),
        ("random-bytes.jpg", 415),
        ("script.svg", 415),
        ("huge-dims-65500x65500.jpg", 413),
        ("png-bomb-40000x40000.png", 413),
        ("gif-screen-65535x65535.gif", 413),
        ("truncated-60pct.jpg", 422),
        ("jpeg-named.png", 200),
        ("polyglot-html.jpg", 200),
        ("gif-10000-frames-2000x2000.gif", 200),
    ] {
        for tail in ["full/max/0/default.jpg", "full/100,/0/default.png"] {
            let (got, h, body) = s.iiif(&format!("{file}/{tail}")).await;
            assert_eq!(
                got,
                status,
                "{file} {tail}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            );
            if status == 200 {
                assert_eq!(h["x-content-type-options"], "nosniff");
                let fmt = magic(&body);
                assert_eq!(
                    h["content-type"].to_str().unwrap(),
                    if fmt == "jpg" {
                        "image/jpeg".to_owned()
                    } else {
                        format!("image/{fmt}")
                    }
                );
                // A fresh encode: none of the source's extra bytes.
                let text = String::from_utf8_lossy(&body).to_lowercase();
                assert!(
                    !text.contains("<script") && !text.contains("<html"),
                    "{file}"
                );
            } else {
                assert_eq!(h["content-type"], "text/plain; charset=utf-8");
                assert!(body.len() < 200, "{file}: short message");
            }
            // The next ordinary request is served.
            let (ok, _, _) = s.iiif("grid.png/full/20,/0/default.png").await;
            assert_eq!(ok, 200, "after {file}");
        }
    }
    // info.json refuses what cannot be rendered, from the header alone.
    assert_eq!(
        s.get("/iiif/3/png-bomb-40000x40000.png/info.json")
            .await
            .status(),
        413
    );
    assert_eq!(s.get("/iiif/3/script.svg/info.json").await.status(), 415);
    // The same answer as the image request: an empty file is no image format.
    assert_eq!(s.get("/iiif/3/empty.jpg/info.json").await.status(), 415);
    assert_eq!(s.info_size("jpeg-named.png").await, (480, 320));
    assert_eq!(
        s.metric("vignette_http_requests_total{route=\"iiif_image\",status=\"500\"}")
            .await,
        0.0
    );
    s.stop().await;
}

fn mean_abs_diff(a: &Decoded, b: &Decoded) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let sum: u64 = a
        .rgba
        .iter()
        .zip(&b.rgba)
        .map(|(x, y)| (*x as i64 - *y as i64).unsigned_abs())
        .sum();
    sum as f64 / a.rgba.len() as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exif_orientations_render_upright() {
    let s = start_with(|dir| copy_committed("edge", dir), |_| {}).await;
    let reference = decode(&s.iiif("orient-1.jpg/full/max/0/default.png").await.2);
    assert_eq!((reference.width, reference.height), (480, 320));
    for n in 2..=8 {
        let (status, _, body) = s
            .iiif(&format!("orient-{n}.jpg/full/max/0/default.png"))
            .await;
        assert_eq!(status, 200);
        let img = decode(&body);
        assert!(mean_abs_diff(&img, &reference) < 1.0, "orient-{n}");
        let info: serde_json::Value = s
            .get(&format!("/iiif/3/orient-{n}.jpg/info.json"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            (info["width"].as_u64(), info["height"].as_u64()),
            (Some(480), Some(320)),
            "orient-{n}"
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health() {
    let s = common::start().await;
    let resp = s.get("/iiif/3/grid.png/full/10,/0/default.jpg").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-request-id"));
    let resp = s
        .client
        .get(format!("{}/iiif/3/grid.png/info.json", s.base))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let _ = s.get("/iiif/3/nope.png/info.json").await;
    let text = s.metrics_text().await;
    for name in [
        "vignette_http_requests_total{route=\"iiif_image\",status=\"200\"} 1",
        "vignette_http_requests_total{route=\"iiif_info\",status=\"404\"} 1",
        "vignette_http_request_duration_seconds_bucket{answer=\"rendered\",class=\"2xx\",route=\"iiif_image\"",
        "vignette_renders_total{format=\"jpg\"} 1",
        "vignette_render_duration_seconds_bucket{format=\"jpg\"",
        "vignette_queue_depth 0",
        "vignette_rejected_total{reason=\"full\"} 0",
        "vignette_rejected_total{reason=\"codel\"} 0",
        "vignette_rejected_total{reason=\"deadline\"} 0",
        "vignette_queue_sojourn_seconds_bucket",
        "vignette_overloaded 0",
        "vignette_hydration_queue_depth 0",
        "vignette_hydrated_total 0",
        "vignette_render_abandoned_total 0",
        "vignette_coalesced_total 0",
        "vignette_cache_misses_total 1",
        "vignette_cache_slots_used",
        "vignette_cache_bytes",
    ] {
        assert!(text.contains(name), "missing {name}");
    }
    let live = s
        .client
        .get(format!("{}/health/live", s.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let ready = s
        .client
        .get(format!("{}/health/ready", s.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["overloaded"], false);
    // Metrics are not on the public listener.
    assert_eq!(s.get("/metrics").await.status(), 404);
    s.stop().await;
}

/// A local read that fails with an I/O error (`/proc/self/mem` at offset 0 is unmapped:
/// EIO even for root) is a 502 with the fixed text, and a directory named like an image a
/// 404: neither names a path nor the OS's words.
#[tokio::test]
async fn local_read_failures_answer_fixed_texts() {
    let s = start_with(|_| {}, |s| s.images_dir = "/proc/self".into()).await;
    for (path, status, text) in [
        ("/iiif/3/mem/full/10,/0/default.jpg", 502, "origin failed\n"),
        ("/iiif/3/mem/info.json", 502, "origin failed\n"),
        (
            "/iiif/3/nothing.jpg/full/10,/0/default.jpg",
            404,
            "no such image\n",
        ),
        ("/insecure/w:10/plain/local:///mem", 502, "origin failed\n"),
    ] {
        let resp = s.get(path).await;
        assert_eq!(resp.status().as_u16(), status, "{path}");
        assert!(resp.headers().contains_key("x-request-id"), "{path}");
        let body = resp.text().await.unwrap();
        assert_eq!(body, text, "{path}");
    }
    s.stop().await;
    // A directory where a file is expected, in an ordinary images directory.
    let s = start_with(
        |dir| std::fs::create_dir(dir.join("folder.jpg")).unwrap(),
        |_| {},
    )
    .await;
    let resp = s.get("/iiif/3/folder.jpg/full/10,/0/default.jpg").await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.text().await.unwrap(), "no such image\n");
    s.stop().await;
}
