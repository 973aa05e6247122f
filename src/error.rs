//! The application error: each layer's error maps itself to an HTTP status and a short
//! public message (this only delegates); the detail goes to the log, never to the client.

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
pub(crate) enum AppError {
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
    /// A bug or a lost worker; details go to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The HTTP status of this error: each layer's error maps its own kinds, this only
    /// delegates.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            AppError::Spec(e) => e.status(),
            AppError::Dialect(e) => e.status(),
            AppError::Source(e) => e.status(),
            AppError::Render(e) => e.status(),
            AppError::Rejected(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message shown to the client: a fixed text per status and kind, except the
    /// URL's own mistakes, which vignette's parsers word. Anything else an error carries
    /// (paths, addresses, identifiers, an origin's or a library's words) is for the log.
    fn public_message(&self) -> &str {
        match self {
            AppError::Spec(e) => e.public_message(),
            AppError::Dialect(e) => e.public_message(),
            AppError::Source(e) => e.public_message(),
            AppError::Render(e) => e.public_message(),
            AppError::Rejected(r) => match r.reason {
                RejectReason::Deadline => "render took too long; try again later",
                RejectReason::Shutdown => "shutting down; try again",
                RejectReason::Full | RejectReason::Codel => "overloaded; try again later",
            },
            AppError::Internal(_) => "internal error",
        }
    }

    /// Seconds for `Retry-After`, for the errors that have one.
    fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::Rejected(r) => Some(r.retry_after_secs()),
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
        // The detail is logged here, inside the request's span (its `id` is the response's
        // `x-request-id`): the body only says what kind of failure it was. A refusal under
        // overload is expected and counted (`vignette_rejected_total`): a line for each
        // would be a log storm at the moment logs matter most.
        if matches!(self, AppError::Rejected(_)) {
            tracing::debug!(error = %self, %status, "request refused");
        } else if status.is_server_error() {
            tracing::warn!(error = %self, %status, "request failed");
        } else {
            tracing::info!(error = %self, %status, "request refused");
        }
        let body = format!("{}\n", self.public_message());
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
pub(crate) type SharedError = Arc<AppError>;

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

    /// What internal text looks like: paths, addresses, an SDK's error chain, a
    /// JoinError, a decoder's words, an origin's body.
    const HOSTILE: &[&str] = &[
        "/etc/secret",
        "10.0.0.7",
        "dispatch failure",
        "task 17 panicked with message",
        "src/render/x.rs:12",
        "os error 5",
        "0xdeadbeef",
        "hunter2",
    ];

    fn hostile() -> String {
        HOSTILE.join(" | ")
    }

    /// Every kind that carries text, each with every hostile string in it.
    fn every_internal_error() -> Vec<AppError> {
        let h = hostile;
        let s3 = crate::source::s3::source_error;
        let unavailable = crate::s3::S3Error::Unavailable(format!("dispatch failure: {}", h()));
        vec![
            SourceError::NotFound(h()).into(),
            SourceError::Forbidden(h()).into(),
            SourceError::TooLarge { size: 2, limit: 1 }.into(),
            SourceError::Timeout.into(),
            SourceError::Unavailable(h()).into(),
            SourceError::NotAnImage(h()).into(),
            SourceError::Overloaded.into(),
            // S3 down, forbidden, missing: through the S3 source's own mapping.
            s3(unavailable, &h()).into(),
            s3(crate::s3::S3Error::Forbidden, &h()).into(),
            s3(crate::s3::S3Error::NotFound, &h()).into(),
            RenderError::UnsupportedFormat(h()).into(),
            RenderError::Corrupt(h()).into(),
            RenderError::TooLarge(h()).into(),
            RenderError::NeedMoreData.into(),
            RenderError::DeadlineExceeded { stage: "decode" }.into(),
            RenderError::Encode(h()).into(),
            AppError::Internal(h()),
            AppError::Internal("render job lost".into()),
            DialectError::Signature.into(),
            DialectError::Expired.into(),
            DialectError::NoRoute.into(),
        ]
    }

    #[tokio::test]
    async fn bodies_hold_no_internal_text() {
        for err in every_internal_error() {
            let debug = format!("{err:?}");
            let status = err.status();
            let resp = err.into_response();
            assert_eq!(resp.status(), status);
            let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
            let body = std::str::from_utf8(&body).unwrap();
            for needle in HOSTILE {
                assert!(!body.contains(needle), "{debug} answered {body:?}");
            }
            assert!(body.len() < 40 && body.ends_with('\n'), "{debug}: {body:?}");
        }
    }

    #[test]
    fn one_fixed_text_per_status_and_kind() {
        let cases: Vec<(AppError, &str)> = vec![
            (SourceError::NotFound("x".into()).into(), "no such image"),
            (
                SourceError::Forbidden("x".into()).into(),
                "forbidden source",
            ),
            (SourceError::Unavailable("x".into()).into(), "origin failed"),
            (SourceError::Timeout.into(), "origin timed out"),
            (
                SourceError::TooLarge { size: 2, limit: 1 }.into(),
                "source too large",
            ),
            (RenderError::TooLarge("x".into()).into(), "source too large"),
            (
                SourceError::NotAnImage("x".into()).into(),
                "not a supported image",
            ),
            (
                RenderError::UnsupportedFormat("x".into()).into(),
                "not a supported image",
            ),
            (RenderError::Corrupt("x".into()).into(), "corrupt image"),
            (
                SourceError::Overloaded.into(),
                "overloaded; try again later",
            ),
            (RenderError::Encode("x".into()).into(), "internal error"),
            (AppError::Internal("x".into()), "internal error"),
        ];
        for (err, text) in cases {
            assert_eq!(err.public_message(), text, "{err:?}");
        }
    }

    #[test]
    fn url_mistakes_keep_the_parsers_words() {
        let msg = "unknown processing option: nope";
        let cases: Vec<AppError> = vec![
            VariantError::Malformed(msg.into()).into(),
            VariantError::Invalid(msg.into()).into(),
            VariantError::Unsupported(msg.into()).into(),
            DialectError::Variant(VariantError::Malformed(msg.into())).into(),
            RenderError::Spec(VariantError::Invalid(msg.into())).into(),
        ];
        for err in cases {
            assert_eq!(err.public_message(), msg, "{err:?}");
        }
    }
}
