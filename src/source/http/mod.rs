//! Images from HTTP(S) origins, fetched safely and once: [`HttpSource`] checks every URL
//! against the allowlist and the address rules (`address`, `allow`), connects only to
//! checked addresses (`client`), fetches with bounds (`fetch`), shares one download
//! between concurrent requests of the same URL, keeps recent originals in a bounded
//! memory (`cache`) revalidated with conditional GETs, and bounds the bytes in flight
//! (`budget`).
//!
//! The request path calls it on the async side, before a job enters the render queue:
//! a slow origin holds a task, never a render worker.

mod address;
mod allow;
mod budget;
mod cache;
mod client;
mod fetch;
mod metrics;
#[cfg(test)]
mod tests;

pub use allow::AllowedSources;

use super::versions::Versions;
use super::{SourceError, SourceMeta};
use crate::variant::SourceId;
use bytes::Bytes;
use cache::{Cached, Lookup, SourceCache};
use fetch::{Body, Fetcher, Outcome, Validators};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use metrics::{HttpSourceMetrics, outcome};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use url::Url;

/// URLs whose version is remembered at once (the S3 source has the same bound).
const MAX_VERSIONS: usize = 10_000;

/// How the HTTP source behaves. Filled by the configuration layer.
#[derive(Debug, Clone)]
pub struct HttpSourceSettings {
    /// `--allowed-sources`: URL prefixes that may be fetched; empty refuses every URL.
    pub allowed_sources: AllowedSources,
    /// `--allow-loopback-sources`: origins on 127.0.0.0/8, ::1 and `localhost`.
    pub allow_loopback: bool,
    /// `--allow-private-sources`: origins on RFC 1918, CGNAT and ULA addresses.
    pub allow_private: bool,
    /// `--http-source-timeout-ms`: one whole fetch, redirects and body included.
    pub timeout: Duration,
    /// `--http-source-connect-timeout-ms`: opening one connection.
    pub connect_timeout: Duration,
    /// `--http-source-max-redirects`: hops followed, each one checked again.
    pub max_redirects: u32,
    /// `--max-source-bytes`: larger bodies are refused (413) while streaming.
    pub max_bytes: u64,
    /// `--source-cache-bytes`: memory of the source cache (0: off).
    pub cache_bytes: u64,
    /// `--source-fetch-budget-bytes`: body bytes that downloads may hold at once.
    pub fetch_budget_bytes: u64,
    /// `--source-revalidate-secs`: how long a fetched version is trusted.
    pub revalidate: Duration,
}

impl HttpSourceSettings {
    /// Settings with the documented defaults.
    pub fn new(allowed_sources: AllowedSources) -> Self {
        HttpSourceSettings {
            allowed_sources,
            allow_loopback: false,
            allow_private: false,
            timeout: Duration::from_millis(5000),
            connect_timeout: Duration::from_millis(1000),
            max_redirects: 3,
            max_bytes: 64 << 20,
            cache_bytes: 64 << 20,
            fetch_budget_bytes: 256 << 20,
            revalidate: Duration::from_secs(60),
        }
    }
}

/// A source's bytes and the version that goes into cache keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The whole original.
    pub bytes: Bytes,
    /// The origin's strong ETag, else its Last-Modified, else a hash of the bytes.
    pub version: String,
}

type SharedFetch = Shared<BoxFuture<'static, Result<Fetched, SourceError>>>;

/// The HTTP(S) source. Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct HttpSource {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    fetcher: Fetcher,
    allowed_sources: AllowedSources,
    cache: Mutex<SourceCache>,
    versions: Mutex<Versions>,
    in_flight: Mutex<HashMap<String, SharedFetch>>,
    metrics: HttpSourceMetrics,
}

impl HttpSource {
    /// A source for `settings`, its metrics registered on `registry`.
    pub fn new(
        settings: HttpSourceSettings,
        registry: &prometheus::Registry,
    ) -> prometheus::Result<Self> {
        Ok(HttpSource {
            inner: Arc::new(Inner {
                fetcher: Fetcher::new(&settings),
                cache: Mutex::new(SourceCache::new(settings.cache_bytes, settings.revalidate)),
                versions: Mutex::new(Versions::new(settings.revalidate, MAX_VERSIONS)),
                in_flight: Mutex::new(HashMap::new()),
                metrics: HttpSourceMetrics::new(registry)?,
                allowed_sources: settings.allowed_sources,
            }),
        })
    }

    /// The whole source at `url`: from the source cache while fresh, revalidated by a
    /// conditional GET once older than the revalidation period, else downloaded, one
    /// download for every concurrent caller of the same URL. Refused URLs never reach
    /// the cache or the network.
    ///
    /// The download runs in its own task: a caller that goes away does not cancel it for
    /// the others, and what it brings is kept for the next request.
    pub async fn fetch(&self, url: &Url) -> Result<Fetched, SourceError> {
        let url = self
            .inner
            .fetcher
            .admit(url)
            .inspect_err(|e| self.inner.metrics.refused(outcome(e)))?;
        let key = url.as_str().to_owned();
        let stale = match lock(&self.inner.cache).get(&key, Instant::now()) {
            Lookup::Fresh(fetched) => {
                self.inner.metrics.cache_hits.inc();
                return Ok(fetched);
            }
            Lookup::Stale(cached) => Some(cached),
            Lookup::Miss => None,
        };
        self.inner.metrics.cache_misses.inc();
        let shared = {
            let mut in_flight = lock(&self.inner.in_flight);
            if let Some(shared) = in_flight.get(&key) {
                self.inner.metrics.coalesced.inc();
                shared.clone()
            } else {
                // Spawned under the lock, so that the task's own removal of its entry
                // cannot come before the insertion.
                let inner = self.inner.clone();
                let task_key = key.clone();
                let task = tokio::spawn(async move {
                    let result = inner.download(&url, &task_key, stale).await;
                    lock(&inner.in_flight).remove(&task_key);
                    result
                });
                let shared = async move {
                    task.await
                        .unwrap_or_else(|_| Err(SourceError::Unavailable("fetch failed".into())))
                }
                .boxed()
                .shared();
                in_flight.insert(key, shared.clone());
                shared
            }
        };
        shared.await
    }

    /// The version of the source at `url`, for cache keys: from memory when checked
    /// within the revalidation period (no request), else by [`HttpSource::fetch`], whose
    /// bytes stay in the source cache for the render that usually follows.
    pub async fn version(&self, url: &Url) -> Result<String, SourceError> {
        let checked = self
            .inner
            .fetcher
            .admit(url)
            .inspect_err(|e| self.inner.metrics.refused(outcome(e)))?;
        if let Some(meta) = lock(&self.inner.versions).fresh(checked.as_str(), Instant::now()) {
            return Ok(meta.version);
        }
        self.fetch(url).await.map(|f| f.version)
    }

    /// Forgets the originals and versions of the sources `ids` name (a purge): kept
    /// under the URL the fetch admitted, their identity is that URL's. Returns the
    /// entries dropped (source cache and versions). A download in flight is not
    /// stopped: the slot cache's purge generation keeps its renders out of the cache.
    pub(crate) fn purge(&self, ids: &[SourceId]) -> usize {
        let purged = |key: &str| ids.contains(&SourceId::of_text(key));
        let mut cache = lock(&self.inner.cache);
        let dropped = cache.remove_where(purged) + lock(&self.inner.versions).forget_where(purged);
        self.inner.metrics.cache_bytes.set(cache.bytes() as i64);
        dropped
    }

    /// The allowlist, also for `local://` and `s3://` references.
    pub(crate) fn allowed_sources(&self) -> &AllowedSources {
        &self.inner.allowed_sources
    }
}

impl Inner {
    /// One (conditional) GET and its effect on the cache and the versions. A stale copy
    /// is served when the origin fails or is slow (stale-if-error), and stays due for
    /// revalidation; a 404 forgets it.
    async fn download(
        &self,
        url: &Url,
        key: &str,
        stale: Option<Cached>,
    ) -> Result<Fetched, SourceError> {
        let started = Instant::now();
        let validators = stale.as_ref().map(|c| &c.validators);
        let waits = &self.metrics.budget_waits;
        let result = self.fetcher.get(url, validators, || waits.inc()).await;
        let label = match &result {
            Ok(Outcome::Fresh(_)) => "ok",
            Ok(Outcome::NotModified) => "not_modified",
            Err(e) => outcome(e),
        };
        self.metrics.observe(label, started.elapsed());
        let now = Instant::now();
        let (fetched, validators) = match (result, stale) {
            (Ok(Outcome::Fresh(Body { bytes, validators })), _) => {
                self.metrics.bytes.inc_by(bytes.len() as u64);
                let version = version_of(&bytes, &validators);
                (Fetched { bytes, version }, validators)
            }
            (Ok(Outcome::NotModified), Some(stale)) => (stale.fetched, stale.validators),
            (Ok(Outcome::NotModified), None) => {
                return Err(SourceError::Unavailable("origin answered 304".into()));
            }
            (Err(e @ (SourceError::Timeout | SourceError::Unavailable(_))), Some(stale)) => {
                tracing::debug!(%url, error = %e, "origin failed: serving the stale copy");
                return Ok(stale.fetched);
            }
            (Err(e), _) => {
                if matches!(e, SourceError::NotFound(_)) {
                    lock(&self.cache).remove(key);
                    lock(&self.versions).forget(key);
                }
                return Err(e);
            }
        };
        let meta = SourceMeta {
            version: fetched.version.clone(),
            size: fetched.bytes.len() as u64,
        };
        lock(&self.versions).insert(key, meta, now);
        let mut cache = lock(&self.cache);
        let cached = Cached {
            fetched: fetched.clone(),
            validators,
        };
        cache.insert(key, cached, now);
        self.metrics.cache_bytes.set(cache.bytes() as i64);
        Ok(fetched)
    }
}

/// The version of a body: a strong ETag names the content; a weak one only says
/// "equivalent", so Last-Modified or a hash of the bytes come before it.
fn version_of(bytes: &Bytes, validators: &Validators) -> String {
    match (&validators.etag, &validators.last_modified) {
        (Some(etag), _) if !etag.starts_with("W/") => etag.clone(),
        (_, Some(last_modified)) => last_modified.clone(),
        _ => blake3::hash(bytes).to_hex()[..32].to_owned(),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps hold no invariant that a panicking holder could break.
    m.lock().unwrap_or_else(|p| p.into_inner())
}
