//! HTTP(S) origins through the whole request path: imgproxy URLs naming `http://` sources
//! on a real origin started by the test on loopback (it counts what it receives). Widths
//! of one source share one download, refused addresses are never contacted, the origin's
//! failures map to short, fixed answers that hold none of the origin's text.

mod common;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use common::fixtures::{self, decode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use vignette::testing::source::AllowedSources;

#[derive(Clone, Default)]
struct Origin {
    hits: Arc<Mutex<HashMap<String, usize>>>,
    jpeg: Arc<Vec<u8>>,
}

impl Origin {
    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.hits.lock().unwrap().values().sum()
    }
}

async fn serve(
    axum::extract::State(origin): axum::extract::State<Origin>,
    uri: axum::http::Uri,
) -> Response {
    let path = uri.path().to_owned();
    *origin.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    match path.as_str() {
        "/grid.jpg" => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::ETAG, "\"g1\""),
            ],
            origin.jpeg.to_vec(),
        )
            .into_response(),
        "/page.html" => (
            [(header::CONTENT_TYPE, "text/html")],
            "<html>secret internal page</html>",
        )
            .into_response(),
        "/boom" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "stack trace: db at 10.0.0.7",
        )
            .into_response(),
        "/slow.jpg" => {
            // A slow origin: headers come after 3 s, long past vignette's fetch timeout.
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            ([(header::CONTENT_TYPE, "image/jpeg")], origin.jpeg.to_vec()).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn origin() -> (Origin, SocketAddr) {
    let dir = tempfile::tempdir().unwrap();
    fixtures::write_all(dir.path());
    let origin = Origin {
        jpeg: Arc::new(std::fs::read(dir.path().join("grid.jpg")).unwrap()),
        ..Origin::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .fallback(serve)
        .with_state(origin.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, addr)
}

async fn vignette(addr: SocketAddr, allow_loopback: bool) -> common::Server {
    common::start_with(fixtures::write_all, |s| {
        s.http_source.timeout = std::time::Duration::from_millis(400);
        s.http_source.allowed_sources =
            AllowedSources::parse(&format!("http://{addr}/,http://localhost:{}/", addr.port()))
                .unwrap();
        s.http_source.allow_loopback = allow_loopback;
    })
    .await
}

#[tokio::test]
async fn widths_of_one_origin_image_share_one_download() {
    let (origin, addr) = origin().await;
    let server = vignette(addr, true).await;
    let widths = [100u32, 200, 300, 400, 500, 600, 700, 800];
    let requests = widths.map(|w| {
        let url = format!(
            "{}/insecure/w:{w}/f:jpg/plain/http://{addr}/grid.jpg",
            server.base
        );
        let client = server.client.clone();
        tokio::spawn(async move {
            let resp = client.get(url).send().await.unwrap();
            (resp.status().as_u16(), resp.bytes().await.unwrap())
        })
    });
    for (w, req) in widths.iter().zip(requests) {
        let (status, body) = req.await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(decode(&body).width, *w);
    }
    assert_eq!(origin.hits("/grid.jpg"), 1, "one GET for eight widths");
    // Negotiated, and in both source encodings: still no new download.
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("http://{addr}/grid.jpg"))
    };
    let resp = server
        .client
        .get(format!("{}/insecure/w:50/{b64}", server.base))
        .header("accept", "image/webp")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["vary"], "Accept");
    assert_eq!(fixtures::magic(&resp.bytes().await.unwrap()), "webp");
    assert_eq!(origin.hits("/grid.jpg"), 1);
    server.stop().await;
}

#[tokio::test]
async fn origin_failures_are_short_fixed_answers() {
    let (origin, addr) = origin().await;
    let server = vignette(addr, true).await;
    // The bodies are the fixed texts: neither the origin's words (its 500 body names a
    // secret and an address) nor the URL, nor vignette's own detail (that is logged).
    let fixed = |body: &str| {
        for internal in ["secret", "10.0.0.7", "127.0.0.1", "origin answered", "html"] {
            assert!(!body.contains(internal), "{body:?}");
        }
    };
    for (path, status, text) in [
        ("/missing.jpg", 404, "no such image\n"),
        ("/page.html", 415, "not a supported image\n"),
        ("/boom", 502, "origin failed\n"),
    ] {
        let resp = server
            .get(&format!("/insecure/w:10/plain/http://{addr}{path}"))
            .await;
        assert_eq!(resp.status().as_u16(), status, "{path}");
        let body = resp.text().await.unwrap();
        fixed(&body);
        assert_eq!(body, text, "{path}");
    }
    // A slow origin is a 504 within the fetch timeout (400 ms here).
    let started = std::time::Instant::now();
    let resp = server
        .get(&format!("/insecure/w:10/plain/http://{addr}/slow.jpg"))
        .await;
    assert_eq!(resp.status(), 504);
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(resp.text().await.unwrap(), "origin timed out\n");
    // Outside the allowlist: refused before any connection.
    let resp = server
        .get("/insecure/w:10/plain/http://127.0.0.1:9/grid.jpg")
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.text().await.unwrap(), "forbidden source\n");
    assert_eq!(origin.total(), 4);
    server.stop().await;
}

#[tokio::test]
async fn the_defaults_never_contact_a_loopback_origin() {
    let (origin, addr) = origin().await;
    // The origin is allowlisted, but loopback addresses are not allowed.
    let server = vignette(addr, false).await;
    let port = addr.port();
    for host in [
        "127.0.0.1".to_owned(),
        "localhost".into(),
        "[::1]".into(),
        "127.1".into(),
        "2130706433".into(),
        "0x7f000001".into(),
        "0177.0.0.1".into(),
        "[::ffff:127.0.0.1]".into(),
        "127.0.0.2".into(),
    ] {
        let resp = server
            .get(&format!(
                "/insecure/w:10/plain/http://{host}:{port}/grid.jpg"
            ))
            .await;
        assert_eq!(resp.status(), 403, "{host}");
    }
    assert_eq!(origin.total(), 0, "the origin saw no request");
    server.stop().await;
}

#[tokio::test]
async fn the_allowlist_restricts_local_sources_when_it_names_them() {
    let server = common::start_with(fixtures::write_all, |s| {
        s.http_source.allowed_sources = AllowedSources::parse("local:///sub/").unwrap();
    })
    .await;
    let nested = server
        .get("/_/w:10/f:png/plain/local:///sub/nested.png")
        .await;
    assert_eq!(nested.status(), 200);
    let grid = server.get("/_/w:10/f:png/plain/local:///grid.png").await;
    assert_eq!(grid.status(), 403);
    // IIIF identifiers are local references too.
    let (status, _, _) = server.iiif("grid.png/full/10,/0/default.png").await;
    assert_eq!(status, 403);
    let (status, _, _) = server.iiif("sub%2Fnested.png/full/10,/0/default.png").await;
    assert_eq!(status, 200);
    server.stop().await;
}
