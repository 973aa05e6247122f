//! Where source images come from: a typed reference resolves to a version (for cache keys)
//! and to bytes, through the configured source; a reference another source would serve is
//! forbidden. No reference may escape its source.

pub(crate) mod http;
pub(crate) mod local;
pub(crate) mod s3;
mod versions;

use crate::variant::{SourceId, SourceRef};
use axum::http::StatusCode;
use bytes::Bytes;

pub(crate) use http::HttpSource;
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
    /// The origin failed (HTTP 502). The text is for the log only: it may be an SDK's error
    /// chain, an OS error or an origin's status.
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

impl SourceError {
    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            SourceError::NotFound(_) => StatusCode::NOT_FOUND,
            SourceError::Forbidden(_) => StatusCode::FORBIDDEN,
            SourceError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            SourceError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            SourceError::Unavailable(_) => StatusCode::BAD_GATEWAY,
            SourceError::NotAnImage(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            SourceError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// What the client is told: a fixed text per kind. The identifier, the URL and the
    /// origin's, the SDK's or the OS's words stay in the log.
    pub fn public_message(&self) -> &'static str {
        match self {
            SourceError::NotFound(_) => "no such image",
            SourceError::Forbidden(_) => "forbidden source",
            SourceError::TooLarge { .. } => "source too large",
            SourceError::Timeout => "origin timed out",
            SourceError::Unavailable(_) => "origin failed",
            SourceError::NotAnImage(_) => "not a supported image",
            SourceError::Overloaded => "overloaded; try again later",
        }
    }
}

/// What identifies a source's content without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMeta {
    /// Changes whenever the content changes (S3 ETag; file size and mtime).
    pub version: String,
    /// Size in bytes.
    pub size: u64,
}

/// Where IIIF identifiers and `local://`/`s3://` references are read. An enum rather than a
/// trait object: the set is closed and known at start.
#[derive(Debug, Clone)]
pub enum Store {
    /// A local directory (the embedded default).
    Local(LocalSource),
    /// S3 bucket(s).
    S3(S3Source),
}

/// Every source of an instance: the configured store and HTTP(S) origins (refused unless
/// `--allowed-sources` names them). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Source {
    store: Store,
    http: HttpSource,
}

impl Source {
    /// The sources of an instance.
    pub fn new(store: Store, http: HttpSource) -> Source {
        Source { store, http }
    }

    /// The reference an IIIF identifier names in this source: a path under the images
    /// directory, or an object of the configured bucket(s).
    pub fn reference(&self, identifier: &str) -> Result<SourceRef, SourceError> {
        match &self.store {
            Store::Local(_) => Ok(SourceRef::Local(identifier.to_owned())),
            Store::S3(s) => s.reference(identifier),
        }
    }

    /// Whether the bytes of `source` come from the network: such sources are fetched on
    /// the async side, before a render job exists.
    pub fn is_remote(source: &SourceRef) -> bool {
        matches!(source, SourceRef::Http(_))
    }

    /// A reference the allowlist refuses (`--allowed-sources`, when it names local or S3
    /// prefixes too) is forbidden.
    fn allowed(&self, source: &SourceRef) -> Result<(), SourceError> {
        let list = self.http.allowed_sources();
        let scheme = source.scheme();
        let restricts = |prefix: &str| list.names_scheme(prefix);
        if matches!(source, SourceRef::Local(_) | SourceRef::S3 { .. })
            && restricts(scheme)
            && !list.allows(&source.to_string())
        {
            return Err(SourceError::Forbidden(source.to_string()));
        }
        Ok(())
    }

    /// The local path of a reference, when this is the local source; anything else is
    /// forbidden here.
    fn local<'a>(&self, source: &'a SourceRef) -> Result<&'a str, SourceError> {
        match source {
            SourceRef::Local(path) => Ok(path),
            other => Err(SourceError::Forbidden(other.to_string())),
        }
    }

    fn url(source: &SourceRef) -> Option<Result<url::Url, SourceError>> {
        match source {
            SourceRef::Http(u) => {
                Some(url::Url::parse(u).map_err(|_| SourceError::Forbidden("malformed URL".into())))
            }
            _ => None,
        }
    }

    /// The version and size of `source` (for an HTTP source, the size is unknown: 0).
    pub async fn stat(&self, source: &SourceRef) -> Result<SourceMeta, SourceError> {
        self.allowed(source)?;
        if let Some(url) = Self::url(source) {
            let version = self.http.version(&url?).await?;
            return Ok(SourceMeta { version, size: 0 });
        }
        match &self.store {
            Store::Local(s) => s.stat(self.local(source)?).await,
            Store::S3(s) => s.stat(source).await,
        }
    }

    /// At most the first `len` bytes of `source`, to read its header.
    pub async fn read_prefix(&self, source: &SourceRef, len: usize) -> Result<Bytes, SourceError> {
        self.allowed(source)?;
        if let Some(url) = Self::url(source) {
            let all = self.http.fetch(&url?).await?.bytes;
            return Ok(all.slice(..len.min(all.len())));
        }
        match &self.store {
            Store::Local(s) => s.read_prefix(self.local(source)?, len).await,
            Store::S3(s) => s.read_prefix(source, len).await,
        }
    }

    /// All of `source`, refused above `max_bytes`, with its version (an HTTP source may
    /// have changed since its version was asked).
    pub async fn fetch(
        &self,
        source: &SourceRef,
        max_bytes: u64,
    ) -> Result<(Bytes, Option<String>), SourceError> {
        self.allowed(source)?;
        if let Some(url) = Self::url(source) {
            let fetched = self.http.fetch(&url?).await?;
            if fetched.bytes.len() as u64 > max_bytes {
                return Err(SourceError::TooLarge {
                    size: fetched.bytes.len() as u64,
                    limit: max_bytes,
                });
            }
            return Ok((fetched.bytes, Some(fetched.version)));
        }
        Ok((self.read_store(source, max_bytes, None).await?, None))
    }

    /// Forgets what is remembered of the sources `ids` name (a purge): kept originals
    /// and versions. Returns the entries dropped. The local source remembers nothing.
    pub fn purge(&self, ids: &[SourceId]) -> usize {
        let store = match &self.store {
            Store::S3(s) => s.purge(ids),
            Store::Local(_) => 0,
        };
        store + self.http.purge(ids)
    }

    /// All of `source`, refused above `max_bytes`.
    pub async fn read(&self, source: &SourceRef, max_bytes: u64) -> Result<Bytes, SourceError> {
        self.read_into(source, max_bytes, None).await
    }

    /// [`Source::read`], into `buf` when given and suitable (a local file reuses it; its
    /// contents are overwritten). HTTP sources are read with [`Source::fetch`].
    pub async fn read_into(
        &self,
        source: &SourceRef,
        max_bytes: u64,
        buf: Option<Vec<u8>>,
    ) -> Result<Bytes, SourceError> {
        if Self::is_remote(source) {
            return self.fetch(source, max_bytes).await.map(|(b, _)| b);
        }
        self.allowed(source)?;
        self.read_store(source, max_bytes, buf).await
    }

    async fn read_store(
        &self,
        source: &SourceRef,
        max_bytes: u64,
        buf: Option<Vec<u8>>,
    ) -> Result<Bytes, SourceError> {
        match &self.store {
            Store::Local(s) => s.read_into(self.local(source)?, max_bytes, buf).await,
            Store::S3(s) => s.read(source, max_bytes).await,
        }
    }
}
