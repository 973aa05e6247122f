//! The admin API on the admin listener: `DELETE /cache/sources?source=<reference>`
//! removes every variant of one source from every cache (see `state::purge`).
//!
//! Off (404) unless `--admin-token` is set; then `Authorization: Bearer <token>` is
//! required (401 with `WWW-Authenticate: Bearer` otherwise), compared in constant time.
//! The reference is a source as either dialect names it: `local:///…`, `s3://…`,
//! `http(s)://…` as in imgproxy URLs, anything else an IIIF identifier (decoded, as
//! `/iiif/3/{identifier}/…` names it once percent-decoded).

use crate::dialect::imgproxy::source_ref;
use crate::state::AppState;
use crate::variant::SourceRef;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

/// Longest reference accepted, in bytes.
const MAX_REFERENCE: usize = 8192;

/// Why a purge request is refused: each a status and a short message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Off,
    Unauthorized,
    BadRequest(&'static str),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Refusal::Off => (StatusCode::NOT_FOUND, "not found"),
            Refusal::Unauthorized => (StatusCode::UNAUTHORIZED, "a valid bearer token is required"),
            Refusal::BadRequest(why) => (StatusCode::BAD_REQUEST, why),
        };
        let mut resp = json_response(status, json!({ "error": message }).to_string());
        if self == Refusal::Unauthorized {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vignette-admin\""),
            );
        }
        resp
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `DELETE /cache/sources?source=…`: 200 with what was removed per cache, or 503 (same
/// body) when the purge could not be recorded for the other instances (retry: purging
/// again is harmless).
pub(super) async fn purge_source(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match purge(&state, &headers, query.as_deref()).await {
        Ok(resp) => resp,
        Err(refusal) => refusal.into_response(),
    }
}

async fn purge(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, Refusal> {
    let token = state.settings.admin_token.as_ref().ok_or(Refusal::Off)?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .ok_or(Refusal::Unauthorized)?;
    if !token.matches(given) {
        return Err(Refusal::Unauthorized);
    }
    let reference = reference(query)?;
    let source = resolve(state, &reference)?;
    let report = state.purge_source(&source).await;
    let status = if report.shared {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::to_string(&report).unwrap_or_else(|_| "{}".to_owned());
    Ok(json_response(status, body))
}

/// The token of an `Authorization: Bearer <token>` value (the scheme is
/// case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The one `source` parameter of the query, decoded.
fn reference(query: Option<&str>) -> Result<String, Refusal> {
    let mut found = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if name == "source" {
            if found.is_some() {
                return Err(Refusal::BadRequest("give one source parameter"));
            }
            found = Some(value.into_owned());
        }
    }
    let found = found
        .filter(|s| !s.is_empty())
        .ok_or(Refusal::BadRequest("the source parameter is missing"))?;
    if found.len() > MAX_REFERENCE {
        return Err(Refusal::BadRequest("the source reference is too long"));
    }
    if found.contains('\0') {
        return Err(Refusal::BadRequest("the source reference is malformed"));
    }
    Ok(found)
}

/// The typed source a reference names, with the dialects' own parsers.
fn resolve(state: &AppState, reference: &str) -> Result<SourceRef, Refusal> {
    let lower = reference.get(..8).unwrap_or(reference).to_ascii_lowercase();
    let url_like = ["local://", "s3://", "http://", "https://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme));
    if url_like {
        return source_ref(reference)
            .map_err(|_| Refusal::BadRequest("not a valid local://, s3:// or http(s):// source"));
    }
    state
        .source
        .reference(reference)
        .map_err(|_| Refusal::BadRequest("the identifier names no source of this instance"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header_value() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
    }

    #[test]
    fn exactly_one_source_parameter() {
        assert_eq!(
            reference(Some("source=local%3A%2F%2F%2Fa.jpg")).unwrap(),
            "local:///a.jpg"
        );
        assert_eq!(reference(Some("x=1&source=a%20b")).unwrap(), "a b");
        for bad in [None, Some(""), Some("source="), Some("source=a&source=b")] {
            assert!(reference(bad).is_err(), "{bad:?}");
        }
        let long = format!("source={}", "a".repeat(MAX_REFERENCE + 1));
        assert!(reference(Some(&long)).is_err());
    }
}
