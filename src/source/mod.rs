//! Where source images come from: a typed reference resolves to a version (for cache keys)
//! and to bytes, through the configured source; a reference another source would serve is
//! forbidden. No reference may escape its source.

pub mod local;
pub mod s3;
mod versions;

use crate::variant::SourceRef;
use bytes::Bytes;

pub use local::LocalSource;
pub use s3::{Buckets, S3Source, S3SourceSettings};

/// Errors of the source layer.
#[derive(Debug, thiserror::Error)]
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
    /// The origin failed (HTTP 502).
    #[error("source failed: {0}")]
    Unavailable(String),
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
    /// The reference an IIIF identifier names in this source: a path under the images
    /// directory, or an object of the configured bucket(s).
    pub fn reference(&self, identifier: &str) -> Result<SourceRef, SourceError> {
        match self {
            Source::Local(_) => Ok(SourceRef::Local(identifier.to_owned())),
            Source::S3(s) => s.reference(identifier),
        }
    }

    /// The local path of a reference, when this is the local source; anything else is
    /// forbidden here.
    fn local<'a>(&self, source: &'a SourceRef) -> Result<&'a str, SourceError> {
        match source {
            SourceRef::Local(path) => Ok(path),
            other => Err(SourceError::Forbidden(other.to_string())),
        }
    }

    /// The version and size of `source`.
    pub async fn stat(&self, source: &SourceRef) -> Result<SourceMeta, SourceError> {
        match self {
            Source::Local(s) => s.stat(self.local(source)?).await,
            Source::S3(s) => s.stat(source).await,
        }
    }

    /// At most the first `len` bytes of `source`, to read its header.
    pub async fn read_prefix(&self, source: &SourceRef, len: usize) -> Result<Bytes, SourceError> {
        match self {
            Source::Local(s) => s.read_prefix(self.local(source)?, len).await,
            Source::S3(s) => s.read_prefix(source, len).await,
        }
    }

    /// All of `source`, refused above `max_bytes`.
    pub async fn read(&self, source: &SourceRef, max_bytes: u64) -> Result<Bytes, SourceError> {
        self.read_into(source, max_bytes, None).await
    }

    /// [`Source::read`], into `buf` when given and suitable (a local file reuses it; its
    /// contents are overwritten).
    pub async fn read_into(
        &self,
        source: &SourceRef,
        max_bytes: u64,
        buf: Option<Vec<u8>>,
    ) -> Result<Bytes, SourceError> {
        match self {
            Source::Local(s) => s.read_into(self.local(source)?, max_bytes, buf).await,
            Source::S3(s) => s.read(source, max_bytes).await,
        }
    }
}
