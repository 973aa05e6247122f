//! An image request, whichever dialect parsed it: source version → negotiated format →
//! variant key → `304` if the client has it → coalesce on a render in flight, or submit a
//! new job (refused at once when the pool is overloaded) → answer with exact headers, plus
//! the ones the dialect adds.

use super::AnswerLabel;
use crate::dialect::{Delivery, ImageRequest, negotiate};
use crate::error::{AppError, SharedError};
use crate::flight::job::RenderJob;
use crate::flight::{Joined, Waiter};
use crate::pool::{RejectReason, Rejection};
use crate::render::Rendered;
use crate::source::Source;
use crate::state::AppState;
use crate::variant::key::VariantKey;
use crate::variant::{Format, SourceRef, Variant};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::sync::Arc;

/// Serves one image request; `extra` holds the dialect's own headers (IIIF `Link`). The
/// error, shared with every request coalesced on the same render, is the caller's to turn
/// into a response (through `AppError`'s one mapping).
pub(super) async fn serve(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    request: ImageRequest,
    extra: HeaderMap,
) -> Result<Response, SharedError> {
    let (request, extra) =
        crate::dialect::hints::apply(request, extra, headers, state.settings.client_hints);
    let ImageRequest {
        source,
        mut variant,
        negotiate,
        delivery,
        ..
    } = request;
    let meta = match state.source.stat(&source).await {
        Ok(meta) => meta,
        Err(e) => return Err(Arc::new(e.into())),
    };
    if negotiate {
        let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
        variant.set_format(negotiate::choose(accept, &state.settings.auto_formats));
    }
    let mut version = meta.version;
    let mut key = VariantKey::new(&source, &version, &variant, &state.fingerprint);
    let mut answer = Answer {
        etag: format!("\"{}\"", key.to_hex()),
        negotiated: negotiate,
        delivery,
        source: source.clone(),
        extra,
    };
    if if_none_match(headers, &answer.etag) {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        answer.headers(state, resp.headers_mut(), None);
        resp.extensions_mut().insert(AnswerLabel("not_modified"));
        return Ok(resp);
    }
    if let Some(hit) = state.cache.get(&key).await {
        return Ok(answer.image(state, hit.bytes, hit.format, "hit"));
    }
    let mut prefetched = None;
    let follower = if Source::is_remote(&source) {
        state.flights.follow(&key)
    } else {
        None
    };
    if Source::is_remote(&source) && follower.is_none() {
        // Remote bytes are fetched here, on the async side, before any job exists; not
        // while shedding (the refusal must stay cheap).
        if let Some(rejection) = state.pool.refuse_if_shedding() {
            return Err(Arc::new(AppError::Rejected(rejection)));
        }
        let max = state.settings.limits.max_source_bytes;
        match state.source.fetch(&source, max).await {
            Ok((bytes, fetched_version)) => {
                if let Some(v) = fetched_version.filter(|v| *v != version) {
                    // The origin changed since its version was asked: render what it has.
                    version = v;
                    key = VariantKey::new(&source, &version, &variant, &state.fingerprint);
                    answer.etag = format!("\"{}\"", key.to_hex());
                }
                prefetched = Some(bytes);
            }
            Err(e) => return Err(Arc::new(e.into())),
        }
    }
    let admitted = match follower {
        Some(waiter) => Ok(waiter),
        None => admit(state, source, variant, key, &version, prefetched),
    };
    let waiter = match admitted {
        Ok(waiter) => waiter,
        Err(rejection) => return Err(Arc::new(AppError::Rejected(rejection))),
    };
    let rendered = waiter.outcome().await?;
    Ok(answer.image(
        state,
        Rendered::shared_bytes(&rendered),
        rendered.format,
        "miss",
    ))
}

/// A miss: join the render in flight, or start one. While the instance sheds load, a
/// miss with no render in flight is refused at once, before any job is built; every
/// refused miss is queued for hydration, to be rendered into the cache later.
fn admit(
    state: &AppState,
    identifier: SourceRef,
    spec: Variant,
    key: VariantKey,
    version: &str,
    prefetched: Option<Bytes>,
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
            let mut job = RenderJob::interactive(
                state.render.clone(),
                identifier.clone(),
                spec.clone(),
                flight,
            )
            .with_source_version(version);
            if let Some(bytes) = prefetched {
                job = job.with_bytes(bytes);
            }
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

/// Queues a refused miss for rendering into the cache when the workers are idle. Not for
/// remote sources: a hydration job would have to fetch on a worker, or keep the bytes for
/// hours.
fn hydrate(state: &AppState, identifier: SourceRef, spec: Variant, key: VariantKey, version: &str) {
    let job = RenderJob::hydration(state.render.clone(), identifier, spec, key)
        .with_source_version(version);
    state.pool.submit_hydration(Box::new(job));
}

/// What every answer to one request carries.
struct Answer {
    etag: String,
    negotiated: bool,
    delivery: Delivery,
    source: SourceRef,
    extra: HeaderMap,
}

impl Answer {
    /// A `200` with the variant's bytes. `X-Cache` says whether the slot cache answered.
    fn image(
        &self,
        state: &AppState,
        bytes: Bytes,
        format: Format,
        cache: &'static str,
    ) -> Response {
        let mut resp = Response::new(Body::from(bytes));
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.media_type()),
        );
        h.insert("x-cache", HeaderValue::from_static(cache));
        self.headers(state, h, Some(format));
        let label = if cache == "hit" { "hit" } else { "rendered" };
        resp.extensions_mut().insert(AnswerLabel(label));
        resp
    }

    /// Headers of a successful image response (and of its `304`).
    fn headers(&self, state: &AppState, h: &mut HeaderMap, format: Option<Format>) {
        let max_age = state.settings.cache_max_age.as_secs();
        if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
            h.insert(header::CACHE_CONTROL, v);
        }
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            h.insert(header::ETAG, v);
        }
        if self.negotiated {
            h.insert(header::VARY, HeaderValue::from_static("Accept"));
        }
        if let Some(format) = format
            && self.delivery.disposition
            && let Some(v) = disposition(&self.delivery, &self.source, format)
        {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        for (name, value) in &self.extra {
            h.append(name, value.clone());
        }
    }
}

/// `inline` or `attachment`, with the file name the URL asked for or the source's own,
/// and the extension of the format served (imgproxy's behaviour).
fn disposition(delivery: &Delivery, source: &SourceRef, format: Format) -> Option<HeaderValue> {
    let name = match &delivery.filename {
        Some(name) => name.clone(),
        None => {
            let text = source.to_string();
            let path = text.split(['?', '#']).next().unwrap_or_default();
            let last = path.rsplit('/').next().unwrap_or_default();
            let stem = last.rsplit_once('.').map_or(last, |(stem, _)| stem);
            if stem.is_empty() {
                "image".to_owned()
            } else {
                stem.to_owned()
            }
        }
    };
    // Quotes, backslashes and control characters could break out of the parameter.
    let name: String = name
        .chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let kind = if delivery.attachment {
        "attachment"
    } else {
        "inline"
    };
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let ext = format.extension();
    let mut value = format!("{kind}; filename=\"{ascii}.{ext}\"");
    if ascii != name {
        let encoded =
            percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
        value.push_str(&format!("; filename*=UTF-8''{encoded}.{ext}"));
    }
    HeaderValue::from_str(&value).ok()
}

/// Whether `If-None-Match` lists `etag` (weak comparison, as RFC 9110 asks for it).
pub(super) fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
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
