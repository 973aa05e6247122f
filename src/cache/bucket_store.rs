//! The slot store of one source bucket's cache (`--cache-in-source-bucket`): an
//! [`S3Store`](super::S3Store) that says which bucket failed. The bucket belongs to a user whose key
//! grants may be wrong (read only, revoked): the slot cache already turns every failure
//! into a miss or a dropped write, and this adds the log line that names the bucket, at
//! most once a minute per bucket, so an operator can fix the grant.

use super::store::{Changed, Fetched, SlotStore, StoreError};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Least time between two warnings about one bucket.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// A source bucket's slot store.
#[derive(Debug)]
pub(crate) struct BucketStore {
    inner: Arc<dyn SlotStore>,
    bucket: String,
    /// Warnings logged so far.
    warnings: AtomicU64,
    /// When the last warning was logged, in ms since `epoch` (0: never).
    warned_ms: AtomicU64,
    epoch: Instant,
}

impl BucketStore {
    pub(crate) fn new(inner: Arc<dyn SlotStore>, bucket: String) -> Self {
        BucketStore {
            inner,
            bucket,
            warnings: AtomicU64::new(0),
            warned_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// Logs a store failure (not a too-large object: that is the bound at work), rate
    /// limited; returns `result` unchanged.
    fn watch<T>(&self, op: &str, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(e @ (StoreError::Timeout | StoreError::Unavailable(_))) = &result {
            // +1 so that a failure in the first millisecond still counts as "warned".
            let now = self.epoch.elapsed().as_millis() as u64 + 1;
            let last = self.warned_ms.load(Ordering::Relaxed);
            let due = last == 0 || now.saturating_sub(last) >= WARN_EVERY.as_millis() as u64;
            if due
                && self
                    .warned_ms
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                self.warnings.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    bucket = %self.bucket,
                    op,
                    error = %e,
                    "the cache in this source bucket fails: its variants are misses \
                     (check the key's read/write grant on the bucket)"
                );
            }
        }
        result
    }
}

impl SlotStore for BucketStore {
    fn put<'a>(&'a self, name: &'a str, bytes: Bytes) -> BoxFuture<'a, Result<String, StoreError>> {
        Box::pin(async move { self.watch("put", self.inner.put(name, bytes).await) })
    }

    fn get_if_match<'a>(
        &'a self,
        name: &'a str,
        etag: &'a str,
    ) -> BoxFuture<'a, Result<Fetched, StoreError>> {
        Box::pin(async move { self.watch("get", self.inner.get_if_match(name, etag).await) })
    }

    fn get<'a>(
        &'a self,
        name: &'a str,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Option<Bytes>, StoreError>> {
        Box::pin(async move { self.watch("get", self.inner.get(name, max_bytes).await) })
    }

    fn get_if_changed<'a>(
        &'a self,
        name: &'a str,
        known: Option<&'a str>,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Changed, StoreError>> {
        Box::pin(async move {
            let changed = self.inner.get_if_changed(name, known, max_bytes).await;
            self.watch("get", changed)
        })
    }

    fn delete<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.watch("delete", self.inner.delete(name).await) })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move { self.watch("list", self.inner.list().await) })
    }

    fn list_starting<'a>(
        &'a self,
        start: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        Box::pin(async move { self.watch("list", self.inner.list_starting(start).await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::tests::MemoryStore;

    #[tokio::test]
    async fn failures_are_passed_on_and_warned_about_once_a_minute() {
        let memory = MemoryStore::new();
        let store = BucketStore::new(memory.clone(), "site-a".to_owned());
        assert!(store.put("slot-0", Bytes::from_static(b"x")).await.is_ok());
        assert_eq!(store.warnings.load(Ordering::Relaxed), 0);
        memory.down.store(true, Ordering::Relaxed);
        for _ in 0..5 {
            let failed = store.put("slot-0", Bytes::from_static(b"x")).await;
            assert!(matches!(failed, Err(StoreError::Unavailable(_))));
            assert!(store.list().await.is_err());
        }
        assert_eq!(
            store.warnings.load(Ordering::Relaxed),
            1,
            "one line a minute"
        );
        memory.down.store(false, Ordering::Relaxed);
        let fetched = store.get_if_match("slot-0", "nope").await.unwrap();
        assert_eq!(fetched, Fetched::Mismatch);
    }
}
