//! `GET /info/{signature}/{options}/{source}`: imgproxy's info endpoint, in JSON, with the
//! placeholders a page shows while an image loads. The info is computed on the worker pool
//! from a 100×100 thumbnail that is a variant like any other (rendered once, then read from
//! the slot cache; refused like a render when the instance sheds load), kept in memory per
//! source version, and answered with an ETag and the images' `Cache-Control`.

use super::iiif::with_route;
use crate::admission::if_none_match;
use crate::dialect::imgproxy::{self, Fields, InfoRequest};
use crate::error::AppError;
use crate::lqip::job::{InfoJob, Input, Subject};
use crate::lqip::{self, Components, Lqip};
use crate::source::{Source, SourceMeta};
use crate::state::AppState;
use crate::variant::SourceRef;
use crate::variant::key::VariantKey;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// `GET /info/{*rest}`.
pub(super) async fn dispatch(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().strip_prefix("/info").unwrap_or_default();
    let now = super::imgproxy::unix_now();
    let outcome = match imgproxy::parse_info(path, &state.settings.imgproxy, now) {
        Ok(request) => serve(&state, &headers, &request).await,
        Err(e) => Err(e.into()),
    };
    with_route(
        outcome.unwrap_or_else(|e| e.into_response()),
        "imgproxy_info",
    )
}

/// The info of one source, as JSON with the fields the URL asked for.
async fn serve(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    request: &InfoRequest,
) -> Result<Response, AppError> {
    let meta = state.source.stat(&request.source).await?;
    let key = info_key(state, &request.source, &meta.version, request.components);
    let etag = format!("\"{}-{:03x}\"", key.to_hex(), mask(&request.fields));
    let max_age = state.settings.cache_max_age.as_secs();
    let cache_control = HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or(HeaderValue::from_static("no-cache"));
    let mut resp = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let info = lookup(state, &request.source, meta, request.components, key).await?;
        let mut resp = body(&info, &request.fields).to_string().into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, cache_control);
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(resp)
}

/// The key of an info: the thumbnail's variant key, with the BlurHash components and a
/// version of the info's own computation in the settings part.
pub(super) fn info_key(
    state: &AppState,
    source: &SourceRef,
    version: &str,
    c: Components,
) -> VariantKey {
    let settings = format!("{}/info1/{}x{}", state.fingerprint, c.0, c.1);
    VariantKey::new(source, version, &lqip::thumbnail_variant(), &settings)
}

/// The fields as bits, for the ETag: one body per set of fields.
fn mask(f: &Fields) -> u16 {
    [
        f.size,
        f.format,
        f.dimensions,
        f.alpha,
        f.average,
        f.dominant,
        f.blurhash,
        f.thumbhash,
        f.placeholder,
    ]
    .iter()
    .enumerate()
    .fold(0, |m, (i, on)| m | ((*on as u16) << i))
}

/// The info from memory, or computed on the pool from the thumbnail variant (from the slot
/// cache, or rendered and then cached): refused at once while the instance sheds load and
/// the thumbnail must be rendered; a remote source is fetched here, never on a worker.
pub(super) async fn lookup(
    state: &Arc<AppState>,
    source: &SourceRef,
    meta: SourceMeta,
    components: Components,
    key: VariantKey,
) -> Result<Arc<Lqip>, AppError> {
    if let Some(info) = state.lqips.get(&key) {
        return Ok(info);
    }
    // An info computed across a purge may describe the purged source: not kept.
    let generation = state.caches.generation();
    let mut size = meta.size;
    let mut prefetched = None;
    if Source::is_remote(source) {
        if let Some(rejection) = state.pool.refuse_if_shedding() {
            return Err(AppError::Rejected(rejection));
        }
        let max = state.settings.limits.max_source_bytes;
        let bytes = state.source.fetch(source, max).await?.0;
        size = bytes.len() as u64;
        prefetched = Some(bytes);
    }
    let probe = super::info::probe(state, source, &meta.version).await?;
    lqip::within(&probe, &state.settings.limits)?;
    let thumbnail = lqip::thumbnail_variant();
    let thumbnail_key = VariantKey::new(source, &meta.version, &thumbnail, &state.fingerprint);
    let input = match state.caches.for_source(source).get(&thumbnail_key).await {
        Some(hit) => Input::Thumbnail(hit.bytes),
        None => match state.pool.refuse_if_shedding() {
            Some(rejection) => return Err(AppError::Rejected(rejection)),
            None => Input::Source(prefetched),
        },
    };
    let subject = Subject {
        source: source.clone(),
        version: meta.version,
        size,
        probe,
        thumbnail_key,
    };
    let (job, reply) = InfoJob::new(state.render.clone(), subject, input, components);
    if let Err((_, rejection)) = state.pool.try_submit(Box::new(job)) {
        return Err(AppError::Rejected(rejection));
    }
    let info = Arc::new(
        reply
            .await
            .map_err(|_| AppError::Internal("info job lost".into()))??,
    );
    if state.caches.generation() == generation {
        state.lqips.insert(key, source.id(), info.clone());
    }
    Ok(info)
}

/// The JSON answer: imgproxy's names where imgproxy has the field.
fn body(info: &Lqip, f: &Fields) -> Value {
    let mut out = Map::new();
    let mut put = |on: bool, name: &str, value: Value| {
        if on {
            out.insert(name.to_owned(), value);
        }
    };
    put(f.size, "size", json!(info.size));
    put(f.format, "format", json!(info.format));
    put(f.format, "mime_type", json!(info.mime_type));
    put(f.dimensions, "width", json!(info.width));
    put(f.dimensions, "height", json!(info.height));
    put(f.dimensions, "orientation", json!(info.orientation));
    put(f.alpha, "alpha", json!(info.alpha));
    put(f.average, "average", json!(info.average));
    put(f.dominant, "dominant", json!(info.dominant));
    put(f.blurhash, "blurhash", json!(info.blurhash));
    put(f.thumbhash, "thumbhash", json!(info.thumbhash));
    put(f.placeholder, "placeholder", json!(info.placeholder));
    Value::Object(out)
}
