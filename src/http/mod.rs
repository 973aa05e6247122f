//! The HTTP side: the public router (IIIF), the admin router (metrics, health), the
//! middleware every response goes through (request id, log line, metrics, CORS, nosniff,
//! size limits) and the public listener's accept loop. Handlers never render: they
//! parse, look up, and wait on the pool.

mod gallery;
mod iiif;
mod image;
mod imgproxy;
mod info;
mod listener;
mod lqip;
mod ops;

use crate::state::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument;

pub use listener::HttpLimits;
pub(crate) use listener::serve;
pub(crate) use ops::admin_router;

/// The route a response belongs to, for metrics labels; set by the handlers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RouteLabel(pub(crate) &'static str);

/// How an image request was answered (`hit`, `rendered`, `not_modified`, `refused`,
/// `error`), for the latency histogram; set by the image handler.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AnswerLabel(pub(crate) &'static str);

/// The public router: IIIF at `/iiif/3/...`, imgproxy's info at `/info/...`, the gallery
/// (or, with it off, a small index) at `/`, and imgproxy's grammar for every other path.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let routes = if state.settings.gallery {
        Router::new()
            .route("/", get(gallery::page))
            .route("/gallery/thumbs", get(gallery::thumbs))
            .route("/gallery/{asset}", get(gallery::asset))
    } else {
        Router::new().route("/", get(iiif::index))
    };
    routes
        .route("/iiif/3/{*rest}", get(iiif::dispatch))
        .route("/info/{*rest}", get(lqip::dispatch))
        .fallback(imgproxy::dispatch)
        .layer(middleware::from_fn_with_state(
            state.settings.http_limits,
            listener::refuse_oversized,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// A handler's outcome as a response: errors through `AppError`'s one status mapping.
fn respond(outcome: Result<Response, crate::error::SharedError>) -> Response {
    use axum::response::IntoResponse;
    outcome.unwrap_or_else(|e| {
        let answer = match e.as_ref() {
            crate::error::AppError::Rejected(_) => "refused",
            _ => "error",
        };
        let mut resp = e.as_ref().into_response();
        resp.extensions_mut().insert(AnswerLabel(answer));
        resp
    })
}

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request id: the client's if it sent a sane one, else a fresh one.
fn request_id(req: &Request) -> HeaderValue {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    if let Some(v) = req.headers().get(&X_REQUEST_ID)
        && v.len() <= 64
        && v.to_str()
            .is_ok_and(|s| s.bytes().all(|b| b.is_ascii_graphic()))
    {
        return v.clone();
    }
    let seed = *START_NANOS;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    HeaderValue::from_str(&format!("{:08x}{:08x}", seed as u32, n as u32))
        .unwrap_or(HeaderValue::from_static("0"))
}

static START_NANOS: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
});

/// Request id, tracing span and log line, metrics, and the headers every public
/// response carries.
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&req);
    let span = tracing::info_span!(
        "request",
        id = %id.to_str().unwrap_or(""),
        method = %req.method(),
        path = %req.uri().path(),
    );
    let mut resp = next.run(req).instrument(span.clone()).await;
    let route = resp
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0)
        .unwrap_or("other");
    let status = resp.status();
    let elapsed = started.elapsed();
    let m = &state.metrics;
    m.http_requests
        .with_label_values(&[route, status.as_str()])
        .inc();
    let class = match status.as_u16() / 100 {
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    };
    let answer = resp
        .extensions()
        .get::<AnswerLabel>()
        .map(|a| a.0)
        .unwrap_or("other");
    m.http_duration
        .with_label_values(&[route, class, answer])
        .observe(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            route,
            micros = elapsed.as_micros() as u64,
            "served"
        )
    });
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(X_REQUEST_ID.clone(), id);
    resp
}
