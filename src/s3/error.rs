//! One classification of S3 failures, from the SDK's error shapes to what vignette
//! acts on: absent, forbidden, changed (a failed `If-Match`), too slow, or broken.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};

/// A failed S3 call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3Error {
    /// 404: no such key (or no such bucket).
    #[error("not found")]
    NotFound,
    /// 403: the credentials may not do this.
    #[error("access denied")]
    Forbidden,
    /// 412: a conditional request's `If-Match` did not match.
    #[error("precondition failed")]
    PreconditionFailed,
    /// 416: a range beyond the object (an empty object).
    #[error("range not satisfiable")]
    RangeNotSatisfiable,
    /// The object is larger than the caller's bound; its body was not read.
    #[error("object is {size} bytes, above {limit}")]
    TooLarge {
        /// The size announced or read so far.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// The call did not finish within the configured timeout.
    #[error("timed out")]
    Timeout,
    /// Anything else: connection refused, 5xx, malformed answer.
    #[error("S3 unavailable: {0}")]
    Unavailable(String),
}

impl S3Error {
    /// The `outcome` label of `vignette_s3_requests_total`.
    pub(crate) fn outcome(&self) -> &'static str {
        match self {
            S3Error::NotFound => "not_found",
            S3Error::Forbidden => "forbidden",
            S3Error::PreconditionFailed => "precondition_failed",
            S3Error::RangeNotSatisfiable => "range_not_satisfiable",
            S3Error::TooLarge { .. } => "too_large",
            S3Error::Timeout => "timeout",
            S3Error::Unavailable(_) => "error",
        }
    }

    /// Classifies an SDK error by its HTTP status or failure kind.
    pub(crate) fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> Self
    where
        E: std::error::Error + 'static,
    {
        match err {
            SdkError::TimeoutError(_) => return S3Error::Timeout,
            SdkError::DispatchFailure(d) if d.is_timeout() => return S3Error::Timeout,
            _ => {}
        }
        match err.raw_response().map(|r| r.status().as_u16()) {
            Some(404) => S3Error::NotFound,
            Some(403) => S3Error::Forbidden,
            Some(412) => S3Error::PreconditionFailed,
            Some(416) => S3Error::RangeNotSatisfiable,
            _ => S3Error::Unavailable(DisplayErrorContext(err).to_string()),
        }
    }
}
