//! An image request, whatever dialect parsed it: `admission` decides the answer, this
//! turns it into a response with exact headers, plus the ones the dialect adds.

use super::AnswerLabel;
use crate::admission::{self, Answer, Served};
use crate::dialect::{Delivery, ImageRequest};
use crate::error::SharedError;
use crate::state::AppState;
use crate::variant::{Format, SourceRef};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
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
    let served = admission::serve(state, headers, request).await?;
    Ok(respond(state, &served, &extra))
}

/// The response to an answer.
fn respond(state: &AppState, served: &Served, extra: &HeaderMap) -> Response {
    let (status, body, format, label) = match &served.answer {
        Answer::NotModified => (StatusCode::NOT_MODIFIED, None, None, "not_modified"),
        Answer::Image { bytes, format, hit } => {
            let label = if *hit { "hit" } else { "rendered" };
            (StatusCode::OK, Some(bytes), Some(*format), label)
        }
        Answer::Degraded { bytes, format, .. } => {
            (StatusCode::OK, Some(bytes), Some(*format), "degraded")
        }
        Answer::Placeholder { bytes, format, .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(bytes),
            Some(*format),
            "placeholder",
        ),
    };
    let mut resp = Response::new(body.map_or_else(Body::empty, |b| Body::from(b.clone())));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    if let Some(format) = format {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.media_type()),
        );
    }
    match &served.answer {
        Answer::NotModified | Answer::Image { .. } => {
            let max_age = state.settings.cache_max_age.as_secs();
            if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
                h.insert(header::CACHE_CONTROL, v);
            }
            if let Ok(v) = HeaderValue::from_str(&served.etag) {
                h.insert(header::ETAG, v);
            }
        }
        // Not the variant asked for: not to be kept, and no ETag of the variant.
        Answer::Degraded { .. } | Answer::Placeholder { .. } => {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    match &served.answer {
        Answer::Image { hit, .. } => {
            let cache = if *hit { "hit" } else { "miss" };
            h.insert("x-cache", HeaderValue::from_static(cache));
        }
        Answer::Degraded { reason, .. } => {
            h.insert(
                "x-vignette-degraded",
                HeaderValue::from_static(reason.as_str()),
            );
        }
        Answer::Placeholder { rejection, .. } => {
            h.insert(
                header::RETRY_AFTER,
                HeaderValue::from(rejection.retry_after_secs()),
            );
        }
        Answer::NotModified => {}
    }
    if served.negotiated {
        h.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    if let Some(format) = format
        && served.delivery.disposition
        && let Some(v) = disposition(&served.delivery, &served.source, format)
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    for (name, value) in extra {
        h.append(name, value.clone());
    }
    resp.extensions_mut().insert(AnswerLabel(label));
    resp
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
