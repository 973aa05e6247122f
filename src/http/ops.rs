//! The admin listener: Prometheus metrics and health. Kept off the public listener so that
//! metrics are not exposed and health answers even when the public side is busy.
//!
//! Readiness stays `200` while the instance sheds load: the failure mode already answers
//! misses in microseconds and keeps serving cache hits, whereas failing readiness would
//! make Consul pull the instance out of the service, moving its whole load (hits
//! included) onto its peers, which then shed too — the "every instance unhealthy at
//! once" outage. The body says `"overloaded": true` so that dashboards and operators see
//! it. Readiness fails (`503`) only while the instance drains at shutdown.

use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// `/metrics`, `/health/live`, `/health/ready`.
pub(crate) fn admin_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .with_state(state)
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut resp = state.metrics.render_text().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

async fn live() -> &'static str {
    "live\n"
}

async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let status = state.pool.status();
    let draining = state.draining.load(Ordering::Acquire);
    let body = json!({
        "status": if draining { "draining" } else { "ready" },
        "overloaded": status.shedding,
        "queued": status.queued,
        "hydration_queued": status.hydration_queued,
        "drain_estimate_ms": status.drain_estimate.as_millis() as u64,
    });
    let code = if draining {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let mut resp = (code, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
