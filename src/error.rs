//! The application error and the one place that maps every error of every layer to an
//! HTTP status and a short message that never leaks internals.

use crate::dialect::DialectError;
use crate::pool::{RejectReason, Rejection};
use crate::render::RenderError;
use crate::source::SourceError;
use crate::variant::VariantError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Any failure of a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The URL does not parse or does not fit the image.
    #[error(transparent)]
    Spec(#[from] VariantError),
    /// The URL was refused by its dialect (signature, expiry, no such route).
    #[error(transparent)]
    Dialect(#[from] DialectError),
    /// The source could not be found or read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The source could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Overload: the job was refused, dropped or abandoned.
    #[error("overloaded")]
    Rejected(Rejection),
    /// No route matches.
    #[error("not found")]
    NoRoute,
    /// A bug or a lost worker; details go to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The HTTP status of this error. The only such mapping in vignette.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Spec(e) => e.status(),
            AppError::Dialect(e) => e.status(),
            AppError::Source(e) => match e {
                SourceError::NotFound(_) => StatusCode::NOT_FOUND,
                SourceError::Forbidden(_) => StatusCode::FORBIDDEN,
                SourceError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                SourceError::Timeout => StatusCode::GATEWAY_TIMEOUT,
                SourceError::Unavailable(_) => StatusCode::BAD_GATEWAY,
                SourceError::NotAnImage(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                SourceError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            },
            AppError::Render(e) => match e {
                RenderError::UnsupportedFormat(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                RenderError::Corrupt(_) | RenderError::NeedMoreData => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                RenderError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                RenderError::Spec(e) => e.status(),
                RenderError::DeadlineExceeded { .. } => StatusCode::SERVICE_UNAVAILABLE,
                RenderError::Encode(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            AppError::Rejected(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::NoRoute => StatusCode::NOT_FOUND,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message shown to the client.
    fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) | AppError::Render(RenderError::Encode(_)) => {
                "internal error".to_owned()
            }
            AppError::Rejected(r) => match r.reason {
                RejectReason::Deadline => "render took too long; try again later".to_owned(),
                RejectReason::Shutdown => "shutting down; try again".to_owned(),
                RejectReason::Full | RejectReason::Codel => {
                    "overloaded; try again later".to_owned()
                }
            },
            AppError::Render(RenderError::DeadlineExceeded { .. }) => {
                "render took too long; try again later".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// Seconds for `Retry-After`, for the errors that have one.
    fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::Rejected(r) => {
                Some(r.retry_after.as_secs_f64().ceil().clamp(1.0, 120.0) as u64)
            }
            AppError::Render(RenderError::DeadlineExceeded { .. }) => Some(1),
            AppError::Source(SourceError::Timeout | SourceError::Unavailable(_)) => Some(5),
            AppError::Source(SourceError::Overloaded) => Some(1),
            _ => None,
        }
    }
}

/// Errors shared by every request coalesced on one render.
impl IntoResponse for &AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        // A refusal under overload is expected and counted (`vignette_rejected_total`): a
        // warning for each would be a log storm at the moment logs matter most.
        if status.is_server_error() && !matches!(self, AppError::Rejected(_)) {
            tracing::warn!(error = %self, %status, "request failed");
        } else {
            tracing::debug!(error = %self, %status, "request refused");
        }
        let mut body = self.public_message();
        body.push('\n');
        let mut resp = (status, body).into_response();
        let h = resp.headers_mut();
        // Errors are never cached: the same URL may work a moment later.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if let Some(secs) = self.retry_after() {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (&self).into_response()
    }
}

/// A failure shared by every waiter of one render.
pub type SharedError = Arc<AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn statuses() {
        let cases: Vec<(AppError, u16)> = vec![
            (VariantError::Malformed("x".into()).into(), 400),
            (VariantError::Invalid("x".into()).into(), 400),
            (VariantError::Unsupported("x".into()).into(), 501),
            (SourceError::NotFound("x".into()).into(), 404),
            (SourceError::Forbidden("x".into()).into(), 403),
            (SourceError::TooLarge { size: 2, limit: 1 }.into(), 413),
            (SourceError::Timeout.into(), 504),
            (
                SourceError::Unavailable("origin answered 500".into()).into(),
                502,
            ),
            (SourceError::NotAnImage("text/html".into()).into(), 415),
            (SourceError::Overloaded.into(), 503),
            (RenderError::UnsupportedFormat("svg".into()).into(), 415),
            (RenderError::Corrupt("x".into()).into(), 422),
            (RenderError::TooLarge("x".into()).into(), 413),
            (
                RenderError::Spec(VariantError::Invalid("x".into())).into(),
                400,
            ),
            (
                RenderError::DeadlineExceeded { stage: "decode" }.into(),
                503,
            ),
            (
                AppError::Rejected(Rejection {
                    reason: RejectReason::Codel,
                    retry_after: Duration::from_millis(2500),
                }),
                503,
            ),
            (AppError::NoRoute, 404),
        ];
        for (err, status) in cases {
            assert_eq!(err.status().as_u16(), status, "{err:?}");
        }
    }

    #[test]
    fn refusals_carry_retry_after_and_no_store() {
        let err = AppError::Rejected(Rejection {
            reason: RejectReason::Full,
            retry_after: Duration::from_millis(2500),
        });
        let resp = err.into_response();
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "3");
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn internals_are_not_leaked() {
        let resp = AppError::Internal("panic at src/render/x.rs:12".into()).into_response();
        assert_eq!(resp.status(), 500);
        let err = AppError::Render(RenderError::Encode("libaom said 0xdeadbeef".into()));
        assert_eq!(err.public_message(), "internal error");
    }
}
