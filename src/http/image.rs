//! An image request: source version → variant key → `304` if the client has it →
//! coalesce on a render in flight, or submit a new job (refused at once when the pool
//! is overloaded) → answer with exact headers.

use super::iiif::{PROFILE_LINK, image_id};
use crate::error::AppError;
use crate::flight::job::RenderJob;
use crate::flight::{Joined, Waiter};
use crate::pool::{RejectReason, Rejection};
use crate::render::Rendered;
use crate::spec::key::VariantKey;
use crate::spec::{Format, Spec};
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::sync::Arc;

/// Serves one image request.
pub(super) async fn serve(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    identifier: String,
    spec: Spec,
) -> Response {
    let meta = match state.source.stat(&identifier).await {
        Ok(meta) => meta,
        Err(e) => return AppError::from(e).into_response(),
    };
    let key = VariantKey::new(&identifier, &meta.version, &spec, &state.fingerprint);
    let etag = format!("\"{}\"", key.to_hex());
    let canonical = format!("{}/{}", image_id(state, headers, &identifier), spec);
    if if_none_match(headers, &etag) {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        success_headers(state, resp.headers_mut(), &etag, &canonical);
        return resp;
    }
    if let Some(hit) = state.cache.get(&key).await {
        return image_response(state, hit.bytes, hit.format, &etag, &canonical, "hit");
    }
    let waiter = match admit(state, identifier, spec, key, &meta.version) {
        Ok(waiter) => waiter,
        Err(rejection) => return AppError::Rejected(rejection).into_response(),
    };
    match waiter.outcome().await {
        Ok(rendered) => image_response(
            state,
            Rendered::shared_bytes(&rendered),
            rendered.format,
            &etag,
            &canonical,
            "miss",
        ),
        Err(e) => e.as_ref().into_response(),
    }
}

/// A miss: join the render in flight, or start one. While the instance sheds load, a
/// miss with no render in flight is refused at once, before any job is built; every
/// refused miss is queued for hydration, to be rendered into the cache later.
fn admit(
    state: &AppState,
    identifier: String,
    spec: Spec,
    key: VariantKey,
    version: &str,
) -> Result<Waiter, Rejection> {
    if let Some(waiter) = state.flights.follow(&key) {
        state.metrics.coalesced.inc();
        return Ok(waiter);
    }
    if let Some(rejection) = state.pool.refuse_if_shedding() {
        hydrate(state, identifier, spec, key, version);
        return Err(rejection);
    }
    match state.flights.join(key) {
        Joined::Follower(waiter) => {
            state.metrics.coalesced.inc();
            Ok(waiter)
        }
        Joined::Leader(flight, waiter) => {
            let job = RenderJob::interactive(
                state.render.clone(),
                identifier.clone(),
                spec.clone(),
                flight,
            )
            .with_source_version(version);
            match state.pool.try_submit(Box::new(job)) {
                Ok(()) => Ok(waiter),
                Err((job, rejection)) => {
                    // Answers every waiter that joined meanwhile.
                    job.reject(rejection);
                    if rejection.reason != RejectReason::Shutdown {
                        hydrate(state, identifier, spec, key, version);
                    }
                    Err(rejection)
                }
            }
        }
    }
}

/// Queues a refused miss for rendering into the cache when the workers are idle.
fn hydrate(state: &AppState, identifier: String, spec: Spec, key: VariantKey, version: &str) {
    let job = RenderJob::hydration(state.render.clone(), identifier, spec, key)
        .with_source_version(version);
    state.pool.submit_hydration(Box::new(job));
}

/// A `200` with the variant's bytes. `X-Cache` says whether the slot cache answered.
fn image_response(
    state: &AppState,
    bytes: Bytes,
    format: Format,
    etag: &str,
    canonical: &str,
    cache: &'static str,
) -> Response {
    let mut resp = Response::new(Body::from(bytes));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    h.insert("x-cache", HeaderValue::from_static(cache));
    success_headers(state, h, etag, canonical);
    resp
}

/// Headers of a successful image response (and of its `304`).
fn success_headers(state: &AppState, h: &mut HeaderMap, etag: &str, canonical: &str) {
    let max_age = state.settings.cache_max_age.as_secs();
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.append(header::LINK, HeaderValue::from_static(PROFILE_LINK));
    if let Ok(v) = HeaderValue::from_str(&format!("<{canonical}>;rel=\"canonical\"")) {
        h.append(header::LINK, v);
    }
}

/// Whether `If-None-Match` lists `etag` (weak comparison, as RFC 9110 asks for it).
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_forms() {
        let mut h = HeaderMap::new();
        assert!(!if_none_match(&h, "\"abc\""));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(if_none_match(&h, "\"abc\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(if_none_match(&h, "\"abc\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abd\""));
        assert!(!if_none_match(&h, "\"abc\""));
    }
}
