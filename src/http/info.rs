//! `{identifier}/info.json`: the image's size from its header (read from a prefix of the
//! source, never a full decode), the compliance level and the server's limits.

use super::iiif::{PROFILE_LINK, image_id};
use crate::error::AppError;
use crate::render::{self, Probe, RenderError};
use crate::state::AppState;
use crate::variant::SourceRef;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The JSON-LD context of the Image API 3.
const CONTEXT: &str = "http://iiif.io/api/image/3/context.json";

/// Prefix sizes tried in turn to read a header: most headers fit in the first; large
/// EXIF or ICC segments need the second; only odd files need the whole source.
const PREFIXES: [usize; 2] = [64 << 10, 1 << 20];

/// Serves the info document.
pub(super) async fn serve(state: &AppState, headers: &HeaderMap, identifier: &str) -> Response {
    match info(state, headers, identifier).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

pub(super) async fn probe(
    state: &AppState,
    source: &SourceRef,
    version: &str,
) -> Result<Probe, AppError> {
    let identifier = &*source.to_string();
    if let Some(p) = state.facts.probe(identifier, version) {
        return Ok(p);
    }
    let mut result = Err(RenderError::NeedMoreData);
    for len in PREFIXES {
        let prefix = state.source.read_prefix(source, len).await?;
        result = render::probe(&prefix);
        if !matches!(result, Err(RenderError::NeedMoreData)) || prefix.len() < len {
            break;
        }
    }
    let mut empty = false;
    if matches!(result, Err(RenderError::NeedMoreData)) {
        let all = state
            .source
            .read(source, state.settings.limits.max_source_bytes)
            .await?;
        empty = all.is_empty();
        result = render::probe(&all);
    }
    let probe = match result {
        // The same answer as an image request on that file.
        Err(RenderError::NeedMoreData) if empty => {
            return Err(RenderError::UnsupportedFormat("empty source".into()).into());
        }
        // A prefix that ends the whole file and still lacks a header: truncated.
        Err(RenderError::NeedMoreData) => {
            return Err(RenderError::Corrupt("no complete image header".into()).into());
        }
        other => other?,
    };
    let facts = crate::admission::Facts {
        probe: Some(probe),
        colour: None,
    };
    state.facts.learn(identifier, version, facts);
    Ok(probe)
}

async fn info(
    state: &AppState,
    headers: &HeaderMap,
    identifier: &str,
) -> Result<Response, AppError> {
    let source = state.source.reference(identifier)?;
    let meta = state.source.stat(&source).await?;
    let p = probe(state, &source, &meta.version).await?;
    let limits = &state.settings.limits;
    let pixels = p.width as u64 * p.height as u64;
    if pixels > limits.max_source_pixels {
        return Err(RenderError::TooLarge(format!(
            "{}x{} is {pixels} pixels, above the limit of {}",
            p.width, p.height, limits.max_source_pixels
        ))
        .into());
    }
    let doc = json!({
        "@context": CONTEXT,
        "id": image_id(state, headers, identifier),
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level2",
        "width": p.width,
        "height": p.height,
        "maxWidth": limits.plan.max_width,
        "maxHeight": limits.plan.max_height,
        "maxArea": limits.plan.max_area,
        "extraQualities": ["color", "gray", "bitonal"],
        "extraFormats": ["webp", "avif", "gif"],
        "preferredFormats": ["webp", "jpg"],
        "extraFeatures": [
            "mirroring",
            "rotationArbitrary",
            "sizeUpscaling",
            "profileLinkHeader",
            "canonicalLinkHeader",
        ],
    });
    let json_ld = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/ld+json"));
    let content_type = if json_ld {
        "application/ld+json;profile=\"http://iiif.io/api/image/3/context.json\""
    } else {
        "application/json"
    };
    let mut resp = doc.to_string().into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    h.insert(header::LINK, HeaderValue::from_static(PROFILE_LINK));
    Ok(resp)
}
