//! The failure mode's answers before and at the refusal, through the real HTTP path: a
//! close cached size, a cheaper cached format, and the placeholder image of the requested
//! format and size. Overload is made with gate jobs holding the one worker and the one
//! queue slot: no timing.

mod common;

use common::fixtures::{GRID_H, GRID_W, decode, magic};
use common::gate::{Gate, occupy_worker, queue_gate};
use common::{Server, eventually, start_with};
use vignette::Settings;
use vignette::testing::config::OverloadAnswer;

const CHROME_ACCEPT: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

/// One worker and one queue slot: two gates make every new miss a refusal (`full`).
fn tight(s: &mut Settings) {
    s.queue.workers = 1;
    s.queue.capacity = 1;
}

/// Fills the worker and the queue.
async fn overload(s: &Server) -> (Gate, Gate) {
    let busy = occupy_worker(&s.state.pool).await;
    let (queued, _) = queue_gate(&s.state.pool, 9);
    (busy, queued)
}

async fn cache_writes(s: &Server, n: f64) {
    eventually(20, "the cache writes", || async {
        s.metric("vignette_cache_writes_total{outcome=\"ok\"}")
            .await
            == n
    })
    .await;
}

async fn get_accepting(s: &Server, path: &str, accept: &str) -> reqwest::Response {
    s.client
        .get(format!("{}{path}", s.base))
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_miss_gets_a_close_cached_size_marked_degraded() {
    let s = start_with(common::fixtures::write_all, tight).await;
    let (status, _, sixty) = s.iiif("grid.png/full/60,/0/default.png").await;
    assert_eq!(status, 200);
    cache_writes(&s, 1.0).await;
    let gates = overload(&s).await;

    // 64 wide: the cached 60 is 6 % off, within the default 25 %.
    let (status, h, body) = s.iiif("grid.png/full/64,/0/default.png").await;
    assert_eq!(status, 200);
    assert_eq!(h["x-vignette-degraded"], "size");
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.get("etag").is_none(), "not the variant asked for");
    assert_eq!(body, sixty);
    assert_eq!(decode(&body).width, 60);
    // 100 wide: 40 % off, refused; another format is never served for a size.
    let (status, _, _) = s.iiif("grid.png/full/100,/0/default.png").await;
    assert_eq!(status, 503);
    let (status, _, _) = s.iiif("grid.png/full/64,/0/default.jpg").await;
    assert_eq!(status, 503);
    assert_eq!(
        s.metric("vignette_overload_answers_total{answer=\"size\"}")
            .await,
        1.0
    );
    let degraded = "vignette_http_request_duration_seconds_count{answer=\"degraded\",class=\"2xx\",route=\"iiif_image\"}";
    assert_eq!(s.metric(degraded).await, 1.0);
    drop(gates); // frees the worker, or the shutdown would wait for it
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negotiated_avif_falls_back_to_the_cached_webp() {
    let s = start_with(common::fixtures::write_all, tight).await;
    let url = "/_/rs:fit:80:80/plain/local:///grid.png";
    let webp = get_accepting(&s, url, "image/webp,*/*").await;
    assert_eq!(webp.status(), 200);
    assert_eq!(webp.headers()["content-type"], "image/webp");
    let webp = webp.bytes().await.unwrap();
    cache_writes(&s, 1.0).await;
    let gates = overload(&s).await;

    let resp = get_accepting(&s, url, CHROME_ACCEPT).await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "image/webp");
    assert_eq!(h["x-vignette-degraded"], "format");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["vary"], "Accept");
    assert_eq!(resp.bytes().await.unwrap(), webp);
    assert_eq!(
        s.metric("vignette_overload_answers_total{answer=\"format\"}")
            .await,
        1.0
    );
    // A format the URL names is never swapped.
    let resp = get_accepting(
        &s,
        "/_/rs:fit:80:80/f:avif/plain/local:///grid.png",
        CHROME_ACCEPT,
    )
    .await;
    assert_eq!(resp.status(), 503);
    drop(gates); // frees the worker, or the shutdown would wait for it
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_degradations_off_the_refusal_is_plain() {
    let s = start_with(common::fixtures::write_all, |st| {
        tight(st);
        st.overload.degrade_max_size_ratio = 0.0;
        st.overload.degrade_format = false;
    })
    .await;
    let (status, _, _) = s.iiif("grid.png/full/60,/0/default.png").await;
    assert_eq!(status, 200);
    cache_writes(&s, 1.0).await;
    let gates = overload(&s).await;
    let (status, h, body) = s.iiif("grid.png/full/64,/0/default.png").await;
    assert_eq!(status, 503);
    assert_eq!(h["content-type"], "text/plain; charset=utf-8");
    assert!(body.len() < 100);
    drop(gates); // frees the worker, or the shutdown would wait for it
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_placeholder_refusal_is_an_image_of_the_requested_format_and_size() {
    let s = start_with(common::fixtures::write_all, |st| {
        tight(st);
        st.overload.answer = OverloadAnswer::Placeholder;
        st.overload.degrade_max_size_ratio = 0.0;
    })
    .await;
    // A render teaches the source's size and mean colour.
    let (status, _, seen) = s.iiif("grid.png/full/40,/0/default.png").await;
    assert_eq!(status, 200);
    let seen = decode(&seen);
    let mut mean = [0f64; 3];
    for p in seen.rgba.chunks_exact(4) {
        for c in 0..3 {
            mean[c] += p[c] as f64 / (seen.width * seen.height) as f64;
        }
    }
    let gates = overload(&s).await;

    for (ext, mime) in [
        ("jpg", "image/jpeg"),
        ("png", "image/png"),
        ("webp", "image/webp"),
        ("avif", "image/avif"),
        ("gif", "image/gif"),
    ] {
        let (status, h, body) = s.iiif(&format!("grid.png/full/250,/0/default.{ext}")).await;
        assert_eq!(status, 503, "{ext}");
        assert_eq!(h["content-type"], mime);
        assert_eq!(h["cache-control"], "no-store");
        assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        assert_eq!(magic(&body), ext);
        let img = decode(&body);
        // Exactly the size the render would have had: 250 × 600/1000.
        assert_eq!(
            (img.width, img.height),
            (250, 250 * GRID_H / GRID_W),
            "{ext}"
        );
        // Uniform, of the source's mean colour (within the lossy codecs' error); AVIF's
        // placeholder is always grey (its one tile is encoded at start).
        let want = if ext == "avif" { [128.0; 3] } else { mean };
        for (x, y) in [(0, 0), (125, 75), (249, 149)] {
            let px = img.px(x, y);
            for c in 0..3 {
                let d = (px[c] as f64 - want[c]).abs();
                assert!(d < 4.0, "{ext} at ({x},{y}): {px:?} vs {want:?}");
            }
        }
    }
    // A source never rendered: the size the URL names, neutral grey.
    let (status, _, body) = s.iiif("grid.jpg/full/!90,70/0/default.png").await;
    assert_eq!(status, 503);
    let img = decode(&body);
    assert_eq!((img.width, img.height), (90, 70));
    assert_eq!(&img.px(45, 35)[..3], &[128, 128, 128]);
    assert_eq!(
        s.metric("vignette_overload_answers_total{answer=\"placeholder\"}")
            .await,
        6.0
    );
    let placeholder = "vignette_http_request_duration_seconds_count{answer=\"placeholder\",class=\"5xx\",route=\"iiif_image\"}";
    assert_eq!(s.metric(placeholder).await, 6.0);
    drop(gates); // frees the worker, or the shutdown would wait for it
    s.stop().await;
}

/// What browsers do with an image body on a 503: Chromium shows it. The placeholders of
/// a real overloaded instance go through `scripts/placeholder-chromium`, which serves
/// them with status 503 on loopback to headless Chromium and checks the size and colour
/// it decoded. Needs Debian's chromium (`scripts/bootstrap --test` installs it): fails,
/// never skips, without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_shows_the_placeholder_of_a_503() {
    let s = start_with(common::fixtures::write_all, |st| {
        tight(st);
        st.overload.answer = OverloadAnswer::Placeholder;
    })
    .await;
    let gates = overload(&s).await;
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for ext in ["jpg", "png", "webp", "avif", "gif"] {
        // Never rendered: the size the URL names, in neutral grey.
        let (status, _, body) = s
            .iiif(&format!("grid.jpg/full/!90,70/0/default.{ext}"))
            .await;
        assert_eq!(status, 503);
        let path = out.path().join(format!("128-128-128_90x70.{ext}"));
        std::fs::write(&path, body).unwrap();
        files.push(path);
    }
    drop(gates);
    s.stop().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/placeholder-chromium");
    let run = std::process::Command::new("python3")
        .arg(script)
        .args(["--status", "503"])
        .args(&files)
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "Chromium did not show every placeholder (exit {:?}; exit 2 = no chromium):\n{report}{}",
        run.status.code(),
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(report.matches("ok   ").count(), 5, "{report}");
}
