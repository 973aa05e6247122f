//! Where slot objects and the index live: the one trait both stores implement (an S3
//! bucket under a prefix, a local directory), so the slot cache and its test suite do
//! not know which one runs. Object-safe (boxed futures) so the cache holds an
//! `Arc<dyn SlotStore>`.

use bytes::Bytes;
use futures_util::future::BoxFuture;
use std::fmt;

/// The name of slot `n`'s object.
pub fn slot_name(n: u32) -> String {
    format!("slot-{n}")
}

/// The name of the index object, beside the slots.
pub const INDEX_NAME: &str = "index";

/// The result of a conditional read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The object has the expected ETag: its bytes.
    Match(Bytes),
    /// The object exists with another ETag.
    Mismatch,
    /// There is no such object.
    Missing,
}

/// The result of a read conditional on a change ([`SlotStore::get_if_changed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// The object still has the ETag the caller knew.
    Unchanged,
    /// There is no such object.
    Missing,
    /// The object's current bytes and ETag.
    New {
        /// Its ETag.
        etag: String,
        /// Its bytes.
        bytes: Bytes,
    },
}

/// Why a store call failed. Every failure is a miss or a dropped write for the cache.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The call did not finish in time.
    #[error("store timed out")]
    Timeout,
    /// The object is larger than the caller accepts.
    #[error("object is {size} bytes, above {limit}")]
    TooLarge {
        /// Size of the object.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// The store failed (S3 down, disk error, denied).
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// A flat namespace of objects with ETags: slot objects (`slot-{n}`) and the index.
pub trait SlotStore: Send + Sync + fmt::Debug + 'static {
    /// Replaces `name` whole and atomically (readers see the old or the new bytes,
    /// never a mix); returns the new ETag.
    fn put<'a>(&'a self, name: &'a str, bytes: Bytes) -> BoxFuture<'a, Result<String, StoreError>>;

    /// Reads `name` only if its ETag is `etag`.
    fn get_if_match<'a>(
        &'a self,
        name: &'a str,
        etag: &'a str,
    ) -> BoxFuture<'a, Result<Fetched, StoreError>>;

    /// Reads `name` whatever its ETag; `None` when absent; `TooLarge` above `max_bytes`.
    fn get<'a>(
        &'a self,
        name: &'a str,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Option<Bytes>, StoreError>>;

    /// Reads `name` unless its ETag is still `known` (another instance's index, read
    /// every sync period: an unchanged one should cost little). This default reads the
    /// object whole and takes the blake3 hash of its bytes as its ETag; stores that can
    /// ask for the ETag alone override it.
    fn get_if_changed<'a>(
        &'a self,
        name: &'a str,
        known: Option<&'a str>,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Changed, StoreError>> {
        Box::pin(async move {
            let Some(bytes) = self.get(name, max_bytes).await? else {
                return Ok(Changed::Missing);
            };
            let etag = blake3::hash(&bytes).to_hex().to_string();
            if known == Some(etag.as_str()) {
                return Ok(Changed::Unchanged);
            }
            Ok(Changed::New { etag, bytes })
        })
    }

    /// Removes `name`; removing an absent object succeeds.
    fn delete<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The names of all objects of this store.
    fn list(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>>;

    /// The names that start with `start` (purge records). Stores that can list by
    /// prefix server-side override it, so that a sync does not list every slot.
    fn list_starting<'a>(
        &'a self,
        start: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let mut names = self.list().await?;
            names.retain(|n| n.starts_with(start));
            Ok(names)
        })
    }
}
