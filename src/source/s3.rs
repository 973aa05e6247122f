//! Images in S3 buckets (Garage in production). Either one bucket, where identifiers
//! are object keys, or an allowlist of buckets, where an identifier's first path
//! segment names the bucket. A bucket outside the list is answered as not found.
//!
//! The version of an image is its ETag, revalidated with a HEAD at most once per
//! interval; meanwhile `stat` answers from a bounded memory of versions.

use super::versions::Versions;
use super::{SourceError, SourceMeta};
use crate::s3::{GetOptions, S3Client, S3Error};
use crate::variant::{SourceId, SourceRef};
use bytes::Bytes;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Which buckets identifiers may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Buckets {
    /// One bucket (`VIGNETTE_SOURCE_BUCKET`): the identifier is the object key.
    Single(String),
    /// Several buckets (`VIGNETTE_SOURCE_BUCKETS`, comma-separated): the identifier is
    /// `{bucket}/{key}` and the bucket must be listed.
    Allowlist(Vec<String>),
}

/// How the S3 source behaves. Filled by the configuration layer.
#[derive(Debug, Clone)]
pub struct S3SourceSettings {
    /// The buckets images are read from.
    pub buckets: Buckets,
    /// `VIGNETTE_SOURCE_REVALIDATE_SECS` (default 60): how long a version is trusted
    /// before the next HEAD.
    pub revalidate: Duration,
    /// A fixed bound (10 000 by default, not a setting): identifiers whose version is
    /// remembered at once.
    pub max_versions: NonZeroUsize,
}

impl S3SourceSettings {
    /// Settings with the documented defaults.
    pub fn new(buckets: Buckets) -> Self {
        S3SourceSettings {
            buckets,
            revalidate: Duration::from_secs(60),
            max_versions: NonZeroUsize::new(10_000).expect("10 000 > 0"),
        }
    }
}

/// Images in S3. Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct S3Source {
    client: S3Client,
    buckets: Arc<Buckets>,
    versions: Arc<Mutex<Versions>>,
}

impl S3Source {
    /// A source reading through `client`.
    pub fn new(client: S3Client, settings: S3SourceSettings) -> Self {
        S3Source {
            client,
            buckets: Arc::new(settings.buckets),
            versions: Arc::new(Mutex::new(Versions::new(
                settings.revalidate,
                settings.max_versions.get(),
            ))),
        }
    }

    /// The reference an IIIF identifier names: the key in the single bucket, or
    /// `{bucket}/{key}` with a listed bucket; anything else is not found.
    pub fn reference(&self, identifier: &str) -> Result<SourceRef, SourceError> {
        let not_found = || SourceError::NotFound(identifier.to_owned());
        let (bucket, key) = match &*self.buckets {
            Buckets::Single(bucket) => (bucket.as_str(), identifier),
            Buckets::Allowlist(list) => {
                let (bucket, key) = identifier.split_once('/').ok_or_else(not_found)?;
                if !list.iter().any(|b| b == bucket) {
                    return Err(not_found());
                }
                (bucket, key)
            }
        };
        if key.is_empty() || key.starts_with('/') || key.contains('\0') {
            return Err(not_found());
        }
        Ok(SourceRef::S3 {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    /// The (bucket, key) of a reference, if this source may read it: a bucket outside the
    /// configured ones is forbidden.
    fn locate<'a>(&self, source: &'a SourceRef) -> Result<(&'a str, &'a str), SourceError> {
        let SourceRef::S3 { bucket, key } = source else {
            return Err(SourceError::Forbidden(source.to_string()));
        };
        let allowed = match &*self.buckets {
            Buckets::Single(b) => b == bucket,
            Buckets::Allowlist(list) => list.iter().any(|b| b == bucket),
        };
        if !allowed {
            return Err(SourceError::Forbidden(source.to_string()));
        }
        if key.is_empty() || key.starts_with('/') || key.contains('\0') {
            return Err(SourceError::NotFound(source.to_string()));
        }
        Ok((bucket, key))
    }

    /// The ETag and size of `source`, from memory if checked recently.
    pub async fn stat(&self, source: &SourceRef) -> Result<SourceMeta, SourceError> {
        self.stat_at(source, Instant::now()).await
    }

    /// `stat` as if the time were `now`: the seam that tests revalidation.
    pub async fn stat_at(
        &self,
        source: &SourceRef,
        now: Instant,
    ) -> Result<SourceMeta, SourceError> {
        let (bucket, key) = self.locate(source)?;
        let identifier = &*source.to_string();
        if let Some(meta) = self.lock().fresh(identifier, now) {
            return Ok(meta);
        }
        match self.client.head(bucket, key).await {
            Ok(head) => {
                let meta = SourceMeta {
                    version: head.etag,
                    size: head.size,
                };
                self.lock().insert(identifier, meta.clone(), now);
                Ok(meta)
            }
            Err(e) => {
                if e == S3Error::NotFound {
                    self.lock().forget(identifier);
                }
                Err(source_error(e, identifier))
            }
        }
    }

    /// The first `len` bytes (fewer if the object is shorter), by a ranged GET.
    pub async fn read_prefix(&self, source: &SourceRef, len: usize) -> Result<Bytes, SourceError> {
        let (bucket, key) = self.locate(source)?;
        let identifier = &*source.to_string();
        let opts = GetOptions {
            prefix: Some(len as u64),
            ..GetOptions::default()
        };
        self.client
            .get(bucket, key, opts)
            .await
            .map_err(|e| source_error(e, identifier))
    }

    /// The whole object, refused from its `Content-Length` when above `max_bytes`.
    pub async fn read(&self, source: &SourceRef, max_bytes: u64) -> Result<Bytes, SourceError> {
        let (bucket, key) = self.locate(source)?;
        let identifier = &*source.to_string();
        let opts = GetOptions {
            max_bytes: Some(max_bytes),
            ..GetOptions::default()
        };
        self.client
            .get(bucket, key, opts)
            .await
            .map_err(|e| source_error(e, identifier))
    }

    /// Forgets the remembered versions of the sources `ids` name (a purge): the next
    /// request asks the bucket. Returns how many.
    pub(crate) fn purge(&self, ids: &[SourceId]) -> usize {
        self.lock()
            .forget_where(|identifier| ids.contains(&SourceId::of_text(identifier)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Versions> {
        // The map holds no invariant a panicking holder could break.
        self.versions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// S3 failures as the source layer's errors; never a 500 for a missing or forbidden
/// object.
pub(crate) fn source_error(e: S3Error, identifier: &str) -> SourceError {
    match e {
        S3Error::NotFound | S3Error::RangeNotSatisfiable => {
            SourceError::NotFound(identifier.to_owned())
        }
        S3Error::Forbidden => SourceError::Forbidden(identifier.to_owned()),
        S3Error::TooLarge { size, limit } => SourceError::TooLarge { size, limit },
        S3Error::Timeout => SourceError::Timeout,
        S3Error::PreconditionFailed => SourceError::Unavailable("source changed".into()),
        S3Error::Unavailable(msg) => SourceError::Unavailable(msg),
    }
}
