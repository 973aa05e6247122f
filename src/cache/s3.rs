//! The slot store on an S3 bucket (`VIGNETTE_CACHE_BUCKET`), objects under a prefix
//! (`VIGNETTE_CACHE_PREFIX`). ETags are S3's; reads are conditional GETs (`If-Match`),
//! so bytes written by anyone else are never returned.

use super::store::{Changed, Fetched, SlotStore, StoreError};
use crate::s3::{GetOptions, S3Client, S3Error};
use bytes::Bytes;
use futures_util::future::BoxFuture;

/// Slot objects in one bucket under one prefix.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: S3Client,
    bucket: String,
    prefix: String,
}

impl S3Store {
    /// A store of objects `{prefix}{name}` in `bucket`. The prefix is used as is: end it
    /// with `/` for a folder-like layout (`vignette/slot-0`).
    pub fn new(client: S3Client, bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        S3Store {
            client,
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

fn store_error(e: S3Error) -> StoreError {
    match e {
        S3Error::Timeout => StoreError::Timeout,
        S3Error::TooLarge { size, limit } => StoreError::TooLarge { size, limit },
        other => StoreError::Unavailable(other.to_string()),
    }
}

impl SlotStore for S3Store {
    fn put<'a>(&'a self, name: &'a str, bytes: Bytes) -> BoxFuture<'a, Result<String, StoreError>> {
        Box::pin(async move {
            let key = self.key(name);
            self.client
                .put(&self.bucket, &key, bytes)
                .await
                .map_err(store_error)
        })
    }

    fn get_if_match<'a>(
        &'a self,
        name: &'a str,
        etag: &'a str,
    ) -> BoxFuture<'a, Result<Fetched, StoreError>> {
        Box::pin(async move {
            let key = self.key(name);
            let opts = GetOptions {
                if_match: Some(etag),
                ..GetOptions::default()
            };
            match self.client.get(&self.bucket, &key, opts).await {
                Ok(bytes) => Ok(Fetched::Match(bytes)),
                Err(S3Error::PreconditionFailed) => Ok(Fetched::Mismatch),
                Err(S3Error::NotFound) => Ok(Fetched::Missing),
                Err(e) => Err(store_error(e)),
            }
        })
    }

    fn get<'a>(
        &'a self,
        name: &'a str,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Option<Bytes>, StoreError>> {
        Box::pin(async move {
            let key = self.key(name);
            let opts = GetOptions {
                max_bytes: Some(max_bytes),
                ..GetOptions::default()
            };
            match self.client.get(&self.bucket, &key, opts).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(S3Error::NotFound) => Ok(None),
                Err(e) => Err(store_error(e)),
            }
        })
    }

    /// A `HEAD` (one small request when the object did not change), then a `GET`
    /// conditional on the ETag the `HEAD` saw, so the bytes and the ETag returned belong
    /// together. Garage (2.5) honours `If-None-Match` on `GET` (a `304`), but the SDK
    /// reports a `304` as an unclassified error; a `HEAD` keeps this plain.
    fn get_if_changed<'a>(
        &'a self,
        name: &'a str,
        known: Option<&'a str>,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Changed, StoreError>> {
        Box::pin(async move {
            let key = self.key(name);
            let head = match self.client.head(&self.bucket, &key).await {
                Ok(head) => head,
                Err(S3Error::NotFound) => return Ok(Changed::Missing),
                Err(e) => return Err(store_error(e)),
            };
            if known == Some(head.etag.as_str()) {
                return Ok(Changed::Unchanged);
            }
            if head.size > max_bytes {
                return Err(StoreError::TooLarge {
                    size: head.size,
                    limit: max_bytes,
                });
            }
            let opts = GetOptions {
                if_match: Some(&head.etag),
                max_bytes: Some(max_bytes),
                ..GetOptions::default()
            };
            match self.client.get(&self.bucket, &key, opts).await {
                Ok(bytes) => Ok(Changed::New {
                    etag: head.etag,
                    bytes,
                }),
                // Replaced or removed between the two calls: the next sync reads it.
                Err(S3Error::PreconditionFailed) => Ok(Changed::Unchanged),
                Err(S3Error::NotFound) => Ok(Changed::Missing),
                Err(e) => Err(store_error(e)),
            }
        })
    }

    fn delete<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let key = self.key(name);
            self.client
                .delete(&self.bucket, &key)
                .await
                .map_err(store_error)
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        self.list_starting("")
    }

    fn list_starting<'a>(
        &'a self,
        start: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let keys = self
                .client
                .list(&self.bucket, &self.key(start))
                .await
                .map_err(store_error)?;
            Ok(keys
                .into_iter()
                .filter_map(|k| k.strip_prefix(&self.prefix).map(str::to_owned))
                // Objects in "sub-folders" of the prefix are not ours.
                .filter(|name| !name.contains('/'))
                .collect())
        })
    }
}
