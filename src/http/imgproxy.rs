//! The imgproxy dialect at the root: every path that no other route takes is parsed as an
//! imgproxy URL (signature checked on the raw, still percent-encoded path) and served by
//! the dialect-neutral image handler.

use super::iiif::with_route;
use crate::dialect::imgproxy;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `GET /{signature}/{options…}/{source}`.
pub(super) async fn dispatch(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match imgproxy::parse(uri.path(), &state.settings.imgproxy, unix_now()) {
        Ok(request) => with_route(
            super::respond(super::image::serve(&state, &headers, request, HeaderMap::new()).await),
            "imgproxy_image",
        ),
        Err(e) => with_route(AppError::from(e).into_response(), "imgproxy_image"),
    }
}

/// Seconds since the Unix epoch, for imgproxy's `expires` option.
pub(super) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
