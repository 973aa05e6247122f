//! Where source images come from: an identifier resolves to a version (for cache keys)
//! and to bytes, through the configured source. No identifier may escape its source.

pub mod http;
pub mod local;
pub mod s3;
mod versions;

use bytes::Bytes;

pub use local::LocalSource;
pub use s3::{Buckets, S3Source, S3SourceSettings};

/// Errors of the source layer. `Clone`: one download's outcome is shared by every
/// request that waited on it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    /// No image under that identifier (HTTP 404).
    #[error("no image with identifier '{0}'")]
    NotFound(String),
    /// The identifier names something vignette may not read (HTTP 403).
    #[error("access to '{0}' is forbidden")]
    Forbidden(String),
    /// The source is larger than `max_source_bytes` (HTTP 413).
    #[error("source is {size} bytes, above the limit of {limit}")]
    TooLarge {
        /// Size of the object.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The origin did not answer in time (HTTP 504).
    #[error("source did not answer in time")]
    Timeout,
    /// The origin failed (HTTP 502). The text is short and fixed by vignette, never the
    /// origin's.
    #[error("source failed: {0}")]
    Unavailable(String),
    /// The origin declared a web page, not an image (HTTP 415); the body is not read.
    #[error("source is {0}, not an image")]
    NotAnImage(String),
    /// The memory budget for source bytes in flight stayed spent for the whole fetch
    /// timeout (HTTP 503).
    #[error("too many sources in flight; try again later")]
    Overloaded,
}

/// What identifies a source's content without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMeta {
    /// Changes whenever the content changes (S3 ETag; file size and mtime).
    pub version: String,
    /// Size in bytes.
    pub size: u64,
}

/// The configured source. An enum rather than a trait object: the set is closed and
/// known at start.
#[derive(Debug, Clone)]
pub enum Source {
    /// A local directory (the embedded default).
    Local(LocalSource),
    /// S3 bucket(s).
    S3(S3Source),
}

impl Source {
    /// The version and size of `identifier`.
    pub async fn stat(&self, identifier: &str) -> Result<SourceMeta, SourceError> {
        match self {
            Source::Local(s) => s.stat(identifier).await,
            Source::S3(s) => s.stat(identifier).await,
        }
    }

    /// At most the first `len` bytes of `identifier`, to read its header.
    pub async fn read_prefix(&self, identifier: &str, len: usize) -> Result<Bytes, SourceError> {
        match self {
            Source::Local(s) => s.read_prefix(identifier, len).await,
            Source::S3(s) => s.read_prefix(identifier, len).await,
        }
    }

    /// All of `identifier`, refused above `max_bytes`.
    pub async fn read(&self, identifier: &str, max_bytes: u64) -> Result<Bytes, SourceError> {
        self.read_into(identifier, max_bytes, None).await
    }

    /// [`Source::read`], into `buf` when given and suitable (a local file reuses it; its
    /// contents are overwritten).
    pub async fn read_into(
        &self,
        identifier: &str,
        max_bytes: u64,
        buf: Option<Vec<u8>>,
    ) -> Result<Bytes, SourceError> {
        match self {
            Source::Local(s) => s.read_into(identifier, max_bytes, buf).await,
            Source::S3(s) => s.read(identifier, max_bytes).await,
        }
    }
}
