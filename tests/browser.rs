//! The gallery in a real browser: Debian's headless Chromium (`/usr/bin/chromium`, installed
//! by `scripts/bootstrap --test`), driven by `tests/browser/gallery.mjs` through
//! playwright-core, against a server on the repository's sample images. The script checks
//! what only a browser can tell (placeholders first, every image decoded, the `srcset`
//! width Chromium chose against the layout at DPR 2, AVIF with `Vary: Accept`, no console
//! error, the snippets working once pasted); this test checks the server side of the same
//! page and keeps the screenshot in `target/browser/gallery.png`. A missing browser fails
//! the test: it is never skipped.

mod common;

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The repository's sample images, copied so that the test writes nothing into them.
fn copy_samples(dir: &Path) {
    let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("images");
    for entry in std::fs::read_dir(images).unwrap() {
        let path = entry.unwrap().path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if ["jpg", "png", "webp"].contains(&ext) {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gallery_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        Path::new("/usr/bin/chromium").is_file(),
        "/usr/bin/chromium is missing: run scripts/bootstrap --test (apt-get install chromium)"
    );
    let driver = root.join("tests/browser");
    assert!(
        driver.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run scripts/bootstrap --test"
    );
    // The page asks for every image at once: on a 2-core CI machine (one worker) the
    // renders of five 1280-px AVIFs would be shed by the default admission bounds, which
    // this test is not about (tests/overload.rs is).
    let server = common::start_with(copy_samples, |s| {
        s.queue.codel.max_wait = Duration::from_secs(600);
        s.queue.codel.target = Duration::from_secs(300);
        s.render_deadline = Duration::from_secs(120);
    })
    .await;
    assert!(
        server.state.settings.gallery,
        "the gallery is on by default here"
    );

    let out_dir = root.join("target/browser");
    std::fs::create_dir_all(&out_dir).unwrap();
    let screenshot = out_dir.join("gallery.png");
    let _ = std::fs::remove_file(&screenshot);
    let base = server.base.clone();
    let shot = screenshot.clone();
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("gallery.mjs")
            .arg(&base)
            .arg(&shot)
            .current_dir(driver)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser found problems:\n{stderr}\nreport: {stdout}"
    );
    eprintln!(
        "browser check took {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
    let images = report["images"].as_array().unwrap();
    assert_eq!(
        images.len(),
        5,
        "every sample image is on the page: {report}"
    );
    for image in images {
        assert_eq!(image["response"]["type"], "image/avif", "{image}");
        // Sharp on a 2× screen: at least 70 % of the laid-out width × 2 (Chromium may take
        // the candidate just below), or the largest there is (the source's own width).
        let chosen = image["chosenWidth"].as_f64().unwrap();
        let target = image["target"].as_f64().unwrap();
        let largest = image["largestWidth"].as_f64().unwrap();
        assert!(chosen >= 0.7 * target || chosen == largest, "{image}");
    }
    let png = std::fs::read(&screenshot).expect("a screenshot");
    assert_eq!(&png[1..4], b"PNG");

    // The server side of the same page: Accept-CH, the snippets' URLs, the second view.
    let resp = server.client.get(&server.base).send().await.unwrap();
    assert_eq!(resp.headers()["accept-ch"], "Sec-CH-DPR, Sec-CH-Width");
    let html = resp.text().await.unwrap();
    assert!(html.contains("sizes=\"(min-width: 1000px) 560px, calc(100vw - 32px)\""));
    assert!(html.contains("/iiif/3/raindrops-1920x1200-q85.jpg/full/1280,/0/default.avif 1280w"));
    let thumbs = server
        .client
        .get(format!("{}/gallery/thumbs", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(thumbs.status(), 200);
    let thumbs = thumbs.text().await.unwrap();
    assert_eq!(thumbs.matches("<img ").count(), 60);
    assert!(
        thumbs.contains("garden-2560x1600-lossy.webp"),
        "the largest sample"
    );
}
