//! URL dialects: IIIF Image API 3.0 under `/iiif/3/` and imgproxy's grammar at the root.
//! Each parses a path into an [`ImageRequest`] (a typed source, a [`Variant`], whether the
//! format is left to negotiation, how the answer is delivered); nothing after them knows
//! which dialect was used.

pub(crate) mod hints;
pub(crate) mod iiif;
pub(crate) mod imgproxy;
pub(crate) mod negotiate;

use crate::variant::{SourceRef, Variant, VariantError};
use axum::http::StatusCode;

/// What a dialect asks the image layer for.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRequest {
    /// The source image.
    pub source: SourceRef,
    /// The variant wanted. When `negotiate` is set its format is a placeholder.
    pub variant: Variant,
    /// The URL named no format: pick one from `Accept` (and say `Vary: Accept`).
    pub negotiate: bool,
    /// How the bytes are handed over.
    pub delivery: Delivery,
    /// Whether client hints may size the variant where the URL leaves the DPR or the
    /// width unset (imgproxy's grammar; IIIF sizes are exact).
    pub client_hints: bool,
}

/// `Content-Disposition` of the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// File name without extension (the format's is added); `None`: the source's.
    pub filename: Option<String>,
    /// `attachment` rather than `inline`.
    pub attachment: bool,
    /// Whether to send `Content-Disposition` at all (imgproxy does, IIIF does not).
    pub disposition: bool,
}

/// Why a URL was refused before anything was looked up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DialectError {
    /// Malformed, unsupported or impossible request.
    #[error(transparent)]
    Variant(#[from] VariantError),
    /// The signature is missing, malformed or does not match (imgproxy, with a key set).
    #[error("invalid signature")]
    Signature,
    /// The URL's `expires` time has passed.
    #[error("this URL has expired")]
    Expired,
    /// Not a URL of any dialect.
    #[error("not found")]
    NoRoute,
}

impl VariantError {
    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            VariantError::Malformed(_) | VariantError::Invalid(_) => StatusCode::BAD_REQUEST,
            VariantError::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
        }
    }

    /// What the client is told: the message itself. Every one is written by vignette's
    /// parsers and planner and names the request's mistake (it may quote the request,
    /// never a file, an address or a library's words).
    pub fn public_message(&self) -> &str {
        match self {
            VariantError::Malformed(m)
            | VariantError::Invalid(m)
            | VariantError::Unsupported(m) => m,
        }
    }
}

impl DialectError {
    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            DialectError::Variant(e) => e.status(),
            DialectError::Signature => StatusCode::FORBIDDEN,
            DialectError::Expired | DialectError::NoRoute => StatusCode::NOT_FOUND,
        }
    }

    /// What the client is told: the parser's message, or a fixed text.
    pub fn public_message(&self) -> &str {
        match self {
            DialectError::Variant(e) => e.public_message(),
            DialectError::Signature => "invalid signature",
            DialectError::Expired => "this URL has expired",
            DialectError::NoRoute => "not found",
        }
    }
}
