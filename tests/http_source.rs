//! The HTTP source against real origins on loopback, started by the tests: each origin
//! counts the requests it receives. No test resolves or connects to anything but
//! 127.0.0.0/8 (0.0.0.0 is refused before any connection).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;
use vignette::testing::source::SourceError;
use vignette::testing::source::{AllowedSources, Fetched, HttpSource, HttpSourceSettings};

/// Size of the endless-looking bodies: far above the 1 MiB limit of the tests.
const HUGE: u64 = 128 << 20;
const CHUNK: usize = 64 << 10;
static ZEROS: [u8; CHUNK] = [0; CHUNK];

#[derive(Clone)]
struct Origin {
    addr: SocketAddr,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    etag: Arc<Mutex<String>>,
    written: Arc<AtomicU64>,
    body_dropped: Arc<tokio::sync::Notify>,
    png: Bytes,
    /// Where `/to-other` points: an origin outside the allowlist.
    other: Option<SocketAddr>,
}

impl Origin {
    async fn start(other: Option<SocketAddr>) -> Origin {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = Origin {
            addr: listener.local_addr().unwrap(),
            hits: Arc::default(),
            etag: Arc::new(Mutex::new("\"v1\"".into())),
            written: Arc::default(),
            body_dropped: Arc::default(),
            png: tiny_png(),
            other,
        };
        let app = axum::Router::new()
            .fallback(serve)
            .with_state(origin.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        origin
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.addr)).unwrap()
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    fn total_hits(&self) -> usize {
        self.hits.lock().unwrap().values().sum()
    }
}

/// A 4×4 RGB PNG.
fn tiny_png() -> Bytes {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, 4, 4);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(&[200; 4 * 4 * 3]).unwrap();
    w.finish().unwrap();
    out.into()
}

/// Counts what the origin hands to its connection, and says when the connection let
/// go of the body.
struct Counted {
    sent: u64,
    written: Arc<AtomicU64>,
    dropped: Arc<tokio::sync::Notify>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.dropped.notify_one();
    }
}

fn huge_body(o: &Origin) -> Body {
    let state = Counted {
        sent: 0,
        written: o.written.clone(),
        dropped: o.body_dropped.clone(),
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        if s.sent >= HUGE {
            return None;
        }
        s.sent += CHUNK as u64;
        s.written.fetch_add(CHUNK as u64, Ordering::SeqCst);
        Some((
            Ok::<_, std::convert::Infallible>(Bytes::from_static(&ZEROS)),
            s,
        ))
    });
    Body::from_stream(stream)
}

fn redirect(to: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

async fn serve(State(o): State<Origin>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    *o.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let png = || ([(header::CONTENT_TYPE, "image/png")], o.png.clone()).into_response();
    match path.as_str() {
        "/img.png" | "/zero-target.png" | "/userinfo-target.png" => {
            let etag = o.etag.lock().unwrap().clone();
            let matches = req
                .headers()
                .get(header::IF_NONE_MATCH)
                .is_some_and(|v| *v == *etag);
            if matches {
                return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
            }
            let mut r = png();
            r.headers_mut().insert(header::ETAG, etag.parse().unwrap());
            r
        }
        "/burst.png" => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            png()
        }
        "/big" => huge_body(&o).into_response(),
        "/big-declared" => {
            ([(header::CONTENT_LENGTH, HUGE.to_string())], huge_body(&o)).into_response()
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            png()
        }
        "/trickle" => {
            let stream = futures_util::stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Some((
                    Ok::<_, std::convert::Infallible>(Bytes::from_static(b"x")),
                    (),
                ))
            });
            Body::from_stream(stream).into_response()
        }
        "/to-img" => redirect("/img.png".into()),
        "/to-other" => redirect(format!("http://{}/img.png", o.other.unwrap())),
        "/to-zero" => redirect(format!("http://0.0.0.0:{}/zero-target.png", o.addr.port())),
        "/to-userinfo" => redirect(format!("http://user:pw@{}/userinfo-target.png", o.addr)),
        "/loop" => redirect("/loop".into()),
        "/gone" => StatusCode::GONE.into_response(),
        "/error" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "stack trace: db password hunter2 at /srv/app.py:12",
        )
            .into_response(),
        "/teapot" => StatusCode::IM_A_TEAPOT.into_response(),
        "/page.html" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<html>please log in</html>",
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

const TIMEOUT: Duration = Duration::from_millis(800);

fn settings(allowed: &str) -> HttpSourceSettings {
    HttpSourceSettings {
        allow_loopback: true,
        timeout: TIMEOUT,
        max_bytes: 1 << 20,
        revalidate: Duration::from_secs(3600),
        ..HttpSourceSettings::new(AllowedSources::parse(allowed).unwrap())
    }
}

fn source(settings: HttpSourceSettings) -> (HttpSource, prometheus::Registry) {
    let registry = prometheus::Registry::new();
    (HttpSource::new(settings, &registry).unwrap(), registry)
}

/// The value of a counter in the registry's exposition.
fn counter(registry: &prometheus::Registry, name: &str, label: Option<&str>) -> u64 {
    let mut text = Vec::new();
    prometheus::Encoder::encode(
        &prometheus::TextEncoder::new(),
        &registry.gather(),
        &mut text,
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    let wanted = match label {
        Some(l) => format!("{name}{{outcome=\"{l}\"}} "),
        None => format!("{name} "),
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&wanted))
        .map_or(0, |v| v.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_an_image_once_and_keeps_it() {
    let o = Origin::start(None).await;
    let (src, registry) = source(settings(&format!("http://{}/", o.addr)));
    let Fetched { bytes, version } = src.fetch(&o.url("/img.png")).await.unwrap();
    assert_eq!(bytes, o.png);
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(version, "\"v1\"");
    // Within the revalidation period: no request for the bytes or the version.
    assert_eq!(
        src.fetch(&o.url("/img.png#x")).await.unwrap().version,
        version
    );
    assert_eq!(src.version(&o.url("/img.png")).await.unwrap(), version);
    assert_eq!(o.hits("/img.png"), 1);
    // The second fetch is a source-cache hit; the version comes from the versions memory.
    assert_eq!(
        counter(&registry, "vignette_source_cache_hits_total", None),
        1
    );
    assert_eq!(
        counter(&registry, "vignette_http_source_bytes_total", None),
        o.png.len() as u64
    );
    // `localhost`, allowed with the loopback, goes through the guarded resolver.
    let (src, _) = source(settings(&format!("http://localhost:{}/", o.addr.port())));
    let url = Url::parse(&format!("http://localhost:{}/img.png", o.addr.port())).unwrap();
    assert_eq!(src.fetch(&url).await.unwrap().bytes, o.png);
    assert_eq!(o.hits("/img.png"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_simultaneous_fetches_are_one_request() {
    let o = Origin::start(None).await;
    let (src, registry) = source(settings(&format!("http://{}/", o.addr)));
    let url = o.url("/burst.png");
    let all = futures_util::future::join_all((0..8).map(|_| src.fetch(&url))).await;
    for fetched in all {
        assert_eq!(fetched.unwrap().bytes, o.png);
    }
    assert_eq!(o.hits("/burst.png"), 1);
    assert_eq!(
        counter(&registry, "vignette_http_source_coalesced_total", None),
        7
    );
    // Without an ETag or Last-Modified, the version is a hash of the bytes.
    assert_eq!(src.fetch(&url).await.unwrap().version.len(), 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_aborted_early() {
    let o = Origin::start(None).await;
    let (src, _) = source(settings(&format!("http://{}/", o.addr)));
    let started = Instant::now();
    let err = src.fetch(&o.url("/big")).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, SourceError::TooLarge { limit, .. } if limit == 1 << 20),
        "{err:?}"
    );
    // The origin's body is dropped once the connection is gone.
    tokio::time::timeout(Duration::from_secs(10), o.body_dropped.notified())
        .await
        .expect("the origin saw the connection close");
    let written = o.written.load(Ordering::SeqCst);
    eprintln!("chunked: aborted after {elapsed:?}; origin wrote {written} of {HUGE} bytes");
    assert!(written < HUGE / 8, "origin wrote {written} of {HUGE} bytes");

    // A declared Content-Length above the limit is refused before the body is read.
    o.written.store(0, Ordering::SeqCst);
    let err = src.fetch(&o.url("/big-declared")).await.unwrap_err();
    assert!(
        matches!(err, SourceError::TooLarge { size, .. } if size == HUGE),
        "{err:?}"
    );
    tokio::time::timeout(Duration::from_secs(10), o.body_dropped.notified())
        .await
        .expect("the origin saw the connection close");
    let written = o.written.load(Ordering::SeqCst);
    eprintln!("declared: origin wrote {written} of {HUGE} bytes");
    assert!(written < HUGE / 8, "origin wrote {written} of {HUGE} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_origin_times_out_within_the_timeout() {
    let o = Origin::start(None).await;
    let (src, registry) = source(settings(&format!("http://{}/", o.addr)));
    for path in ["/slow", "/trickle"] {
        let started = Instant::now();
        let err = src.fetch(&o.url(path)).await.unwrap_err();
        let elapsed = started.elapsed();
        eprintln!("{path}: {err:?} after {elapsed:?} (timeout {TIMEOUT:?})");
        assert!(matches!(err, SourceError::Timeout), "{path}: {err:?}");
        assert!(
            elapsed >= TIMEOUT - Duration::from_millis(50),
            "{path}: {elapsed:?}"
        );
        assert!(
            elapsed < TIMEOUT + Duration::from_millis(400),
            "{path}: {elapsed:?}"
        );
    }
    assert_eq!(
        counter(
            &registry,
            "vignette_http_source_fetches_total",
            Some("timeout")
        ),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_inside_the_bounds_only() {
    let other = Origin::start(None).await;
    let o = Origin::start(Some(other.addr)).await;
    let (src, _) = source(settings(&format!("http://{}/", o.addr)));
    assert_eq!(src.fetch(&o.url("/to-img")).await.unwrap().bytes, o.png);
    assert_eq!((o.hits("/to-img"), o.hits("/img.png")), (1, 1));
    for path in ["/to-other", "/to-zero", "/to-userinfo", "/loop"] {
        let err = src.fetch(&o.url(path)).await.unwrap_err();
        assert!(matches!(err, SourceError::Forbidden(_)), "{path}: {err:?}");
    }
    assert_eq!(other.total_hits(), 0, "outside the allowlist");
    assert_eq!(
        o.hits("/zero-target.png"),
        0,
        "0.0.0.0 reaches the loopback: refused"
    );
    assert_eq!(
        o.hits("/userinfo-target.png"),
        0,
        "credentials are never forwarded"
    );
    assert_eq!(o.hits("/loop"), 4, "the first request and 3 redirects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_errors_map_to_short_fixed_errors() {
    let o = Origin::start(None).await;
    let (src, _) = source(settings(&format!("http://{}/", o.addr)));
    for path in ["/missing", "/gone"] {
        let err = src.fetch(&o.url(path)).await.unwrap_err();
        assert!(matches!(err, SourceError::NotFound(_)), "{path}: {err:?}");
    }
    for path in ["/error", "/teapot"] {
        let err = src.fetch(&o.url(path)).await.unwrap_err();
        let SourceError::Unavailable(msg) = &err else {
            panic!("{path}: {err:?}");
        };
        assert!(
            !msg.contains("hunter2") && !msg.contains("app.py") && msg.len() < 40,
            "{msg}"
        );
    }
    let err = src.fetch(&o.url("/page.html")).await.unwrap_err();
    assert!(
        matches!(err, SourceError::NotAnImage(ref t) if t == "text/html"),
        "{err:?}"
    );
    // Nothing listens here: the connection is refused.
    let closed = Url::parse("http://127.0.0.1:9/img.png").unwrap();
    let (src, _) = source(settings("http://127.0.0.1:9/"));
    let err = src.fetch(&closed).await.unwrap_err();
    assert!(
        matches!(err, SourceError::Unavailable(ref m) if m == "origin unreachable"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revalidation_sees_a_new_etag() {
    let o = Origin::start(None).await;
    let url = o.url("/img.png");
    // With an hour's period, a changed origin is not asked.
    let (src, _) = source(settings(&format!("http://{}/", o.addr)));
    assert_eq!(src.fetch(&url).await.unwrap().version, "\"v1\"");
    *o.etag.lock().unwrap() = "\"v2\"".into();
    assert_eq!(src.version(&url).await.unwrap(), "\"v1\"");
    assert_eq!(o.hits("/img.png"), 1);
    *o.etag.lock().unwrap() = "\"v1\"".into();
    // With a period of 0, every fetch revalidates: 304 keeps the copy, a new ETag
    // replaces it.
    let (src, registry) = source(HttpSourceSettings {
        revalidate: Duration::ZERO,
        ..settings(&format!("http://{}/", o.addr))
    });
    assert_eq!(src.fetch(&url).await.unwrap().version, "\"v1\"");
    assert_eq!(src.fetch(&url).await.unwrap().version, "\"v1\"");
    assert_eq!(
        counter(
            &registry,
            "vignette_http_source_fetches_total",
            Some("not_modified")
        ),
        1
    );
    *o.etag.lock().unwrap() = "\"v2\"".into();
    let fetched = src.fetch(&url).await.unwrap();
    assert_eq!(
        (fetched.version.as_str(), fetched.bytes),
        ("\"v2\"", o.png.clone())
    );
    assert_eq!(src.version(&url).await.unwrap(), "\"v2\"");
    assert_eq!(o.hits("/img.png"), 1 + 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_defaults_refuse_every_loopback_spelling_without_a_request() {
    let o = Origin::start(None).await;
    let port = o.addr.port();
    // The allowlist lets every host through: only the address rules stand.
    let (src, registry) = source(HttpSourceSettings {
        allow_loopback: false,
        ..settings("http://*/")
    });
    let spellings = [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "[::ffff:127.0.0.1]",
        "127.0.0.2",
        "0.0.0.0",
        "0",
    ];
    for host in spellings {
        let url = Url::parse(&format!("http://{host}:{port}/img.png")).unwrap();
        let started = Instant::now();
        let err = src.fetch(&url).await.unwrap_err();
        assert!(matches!(err, SourceError::Forbidden(_)), "{host}: {err:?}");
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "{host}: refused at once"
        );
    }
    assert_eq!(o.total_hits(), 0);
    assert_eq!(
        counter(
            &registry,
            "vignette_http_source_fetches_total",
            Some("forbidden")
        ),
        spellings.len() as u64
    );
}
