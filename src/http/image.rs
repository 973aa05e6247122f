//! An image request: source version → variant key → `304` if the client has it →
//! coalesce on a render in flight, or submit a new job (refused at once when the pool
//! is overloaded) → answer with exact headers.

use super::iiif::image_id;
use crate::error::AppError;
use crate::flight::Joined;
use crate::flight::job::RenderJob;
use crate::render::Rendered;
use crate::spec::Spec;
use crate::spec::key::VariantKey;
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::sync::Arc;

/// The IIIF compliance profile, advertised in a `Link` header.
const PROFILE_LINK: &str = "<http://iiif.io/api/image/3/level2.json>;rel=\"profile\"";

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
    let waiter = match state.flights.join(key) {
        Joined::Follower(waiter) => {
            state.metrics.coalesced.inc();
            waiter
        }
        Joined::Leader(flight, waiter) => {
            let job = RenderJob::interactive(state.render.clone(), identifier, spec, flight)
                .with_source_version(meta.version);
            if let Err((job, rejection)) = state.pool.try_submit(Box::new(job)) {
                job.reject(rejection);
            }
            waiter
        }
    };
    match waiter.outcome().await {
        Ok(rendered) => {
            let mut resp = Response::new(body_of(rendered.clone()));
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(rendered.format.media_type()),
            );
            success_headers(state, h, &etag, &canonical);
            resp
        }
        Err(e) => e.as_ref().into_response(),
    }
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

/// The rendered bytes as a body, without copying them.
fn body_of(rendered: Arc<Rendered>) -> Body {
    struct Owner(Arc<Rendered>);
    impl AsRef<[u8]> for Owner {
        fn as_ref(&self) -> &[u8] {
            &self.0.bytes
        }
    }
    Body::from(Bytes::from_owner(Owner(rendered)))
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
