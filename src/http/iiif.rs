//! Routing inside `/iiif/3/`: the raw (still percent-encoded) path is parsed by the IIIF
//! grammar, then handed to the image, info or base-redirect handler.

use super::RouteLabel;
use crate::dialect::iiif::{self, IiifRequest, Params};
use crate::dialect::{Delivery, ImageRequest};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::sync::Arc;

/// The IIIF compliance profile, advertised in a `Link` header.
pub(super) const PROFILE_LINK: &str = "<http://iiif.io/api/image/3/level2.json>;rel=\"profile\"";

/// The IIIF Image API prefix.
pub(super) const PREFIX: &str = "/iiif/3/";

/// Characters left as they are in an identifier inside a URL: RFC 3986 unreserved.
const IDENTIFIER: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The identifier as it appears in URLs.
pub(super) fn encode_identifier(identifier: &str) -> String {
    utf8_percent_encode(identifier, IDENTIFIER).to_string()
}

/// `{scheme}://{host}` of the service: `VIGNETTE_PUBLIC_URL` when set, else the
/// request's `Host` (and `X-Forwarded-Proto`).
pub(super) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// The IIIF id (base URI) of an image.
pub(super) fn image_id(state: &AppState, headers: &HeaderMap, identifier: &str) -> String {
    format!(
        "{}{}{}",
        base_url(state, headers),
        PREFIX,
        encode_identifier(identifier)
    )
}

pub(super) fn with_route(mut resp: Response, route: &'static str) -> Response {
    resp.extensions_mut().insert(RouteLabel(route));
    resp
}

/// `GET /iiif/3/{*rest}`.
pub(super) async fn dispatch(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let raw = uri.path().strip_prefix(PREFIX).unwrap_or_default();
    match iiif::parse_path(raw) {
        Ok(IiifRequest::Image { identifier, params }) => with_route(
            image(&state, &headers, &identifier, &params).await,
            "iiif_image",
        ),
        Ok(IiifRequest::Info { identifier }) => with_route(
            super::info::serve(&state, &headers, &identifier).await,
            "iiif_info",
        ),
        Ok(IiifRequest::Base { identifier }) => {
            with_route(redirect(&state, &headers, &identifier).await, "iiif_base")
        }
        Err(e) => with_route(AppError::from(e).into_response(), "iiif_image"),
    }
}

/// An image request: the identifier names a source, the parameters a variant; the
/// response carries the compliance profile and the canonical URL in `Link` headers.
async fn image(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    identifier: &str,
    params: &Params,
) -> Response {
    let source = match state.source.reference(identifier) {
        Ok(source) => source,
        Err(e) => return AppError::from(e).into_response(),
    };
    let canonical = format!("{}/{params}", image_id(state, headers, identifier));
    let mut extra = HeaderMap::new();
    extra.append(header::LINK, HeaderValue::from_static(PROFILE_LINK));
    if let Ok(v) = HeaderValue::from_str(&format!("<{canonical}>;rel=\"canonical\"")) {
        extra.append(header::LINK, v);
    }
    let request = ImageRequest {
        source,
        variant: params.to_variant(),
        negotiate: false,
        delivery: Delivery::default(),
        client_hints: false,
    };
    super::respond(super::image::serve(state, headers, request, extra).await)
}

/// `{identifier}` alone: 303 to its info document, once the image is known to exist.
async fn redirect(state: &AppState, headers: &HeaderMap, identifier: &str) -> Response {
    let found = match state.source.reference(identifier) {
        Ok(source) => state.source.stat(&source).await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = found {
        return AppError::from(e).into_response();
    }
    let location = format!("{}/info.json", image_id(state, headers, identifier));
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// `GET /`: what this is and where to look.
pub(super) async fn index() -> Response {
    let body = "vignette: IIIF Image API 3.0 at /iiif/3/{identifier}/{region}/{size}/{rotation}/{quality}.{format}\n\
                image information at /iiif/3/{identifier}/info.json\n";
    with_route(
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response(),
        "index",
    )
}
