//! The state every handler shares, and the one place that assembles it from the
//! settings: the source (directory or S3), the slot cache (directory or S3, its index
//! reloaded; with `--cache-in-source-bucket` one more in each source bucket), the worker pool, the flights in progress, what renders taught (source
//! facts, rendered sizes), the overload placeholders and the metrics. Purging a source
//! from all of them is in `purge`.

mod purge;

use crate::admission::{Siblings, SourceFacts};
use crate::cache::{
    BucketCaches, CacheMetrics, Caches, LocalDirStore, S3Store, SlotCache, SlotStore,
};
use crate::config::{CacheStoreChoice, Settings, SourceChoice};
use crate::flight::job::{RenderContext, RenderSink};
use crate::flight::sources::SourceBudget;
use crate::flight::{Flights, Hold};
use crate::metrics::Metrics;
use crate::pool::{Clock, SystemClock, WorkerPool};
use crate::render::placeholder::Placeholders;
use crate::render::{IntermediateCache, Rendered};
use crate::s3::{S3Client, S3Metrics, S3Settings};
use crate::source::s3::S3Source;
use crate::source::{HttpSource, LocalSource, Source, Store};
use crate::variant::SourceRef;
use crate::variant::key::VariantKey;
use std::io;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Shared application state, behind an `Arc` in axum's state.
#[derive(Debug)]
pub struct AppState {
    /// Validated settings.
    pub settings: Settings,
    /// Where images come from.
    pub source: Source,
    /// The ordinary slot cache: every rendered variant, or with
    /// `--cache-in-source-bucket` those of sources outside the source buckets.
    pub cache: SlotCache,
    /// Every slot cache, chosen by source ([`Caches::for_source`]): checked before any
    /// render.
    pub caches: Caches,
    /// The render workers.
    pub pool: Arc<WorkerPool>,
    /// Renders in flight, for coalescing.
    pub(crate) flights: Arc<Flights>,
    /// What render jobs share.
    pub(crate) render: Arc<RenderContext>,
    /// Metrics.
    pub metrics: Metrics,
    /// What is known of source versions (headers, mean colours), from renders and
    /// `info.json`.
    pub(crate) facts: Arc<SourceFacts>,
    /// The sizes rendered of each variant, for degraded answers under overload.
    pub(crate) siblings: Arc<Siblings>,
    /// Uniform images for refusals (`--overload-answer placeholder`).
    pub(crate) placeholders: Placeholders,
    /// Placeholders and colours computed for the info endpoint.
    pub(crate) lqips: crate::lqip::LqipCache,
    /// Encoder settings fingerprint, part of every cache key.
    pub fingerprint: String,
    /// Set at shutdown: readiness fails so that the scheduler drains the instance.
    pub draining: AtomicBool,
    /// Stops the cache's index flusher (which flushes once more on the way out).
    cache_stop: CancellationToken,
    flushers: Mutex<Vec<JoinHandle<()>>>,
    /// Applies the purges other instances record, every index flush period.
    purge_sync: Mutex<Option<JoinHandle<()>>>,
}

fn io_error(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

/// The slot caches receive every render, off the response path.
impl RenderSink for Caches {
    fn generation(&self) -> u64 {
        Caches::generation(self)
    }

    fn rendered(
        &self,
        key: VariantKey,
        source: &SourceRef,
        generation: u64,
        rendered: &Arc<Rendered>,
        hold: Option<Hold>,
    ) {
        let bytes = Rendered::shared_bytes(rendered);
        self.put_holding(key, source, generation, bytes, rendered.format, hold);
    }
}

impl AppState {
    /// Requests now waiting on a render in flight; one whose client went away is no
    /// longer counted (what the left-clients skip relies on).
    pub fn requests_waiting(&self) -> usize {
        self.flights.waiting()
    }

    /// The counters of the cache of decoded sources (decode once, serve many).
    pub fn intermediate_stats(&self) -> crate::render::IntermediateStats {
        self.render.intermediates.stats()
    }

    /// Builds everything the settings describe. Must run inside the tokio runtime
    /// (render jobs fetch through it, cache writes are spawned on it).
    pub async fn build(settings: Settings, metrics: Metrics) -> io::Result<Arc<AppState>> {
        Self::build_with_clock(settings, metrics, Arc::new(SystemClock)).await
    }

    /// [`AppState::build`] with the worker queue's time taken from `clock` (tests drive
    /// overload scenarios with a manual clock).
    pub async fn build_with_clock(
        settings: Settings,
        metrics: Metrics,
        clock: Arc<dyn Clock>,
    ) -> io::Result<Arc<AppState>> {
        let s3_metrics = match &settings.s3 {
            Some(_) => Some(S3Metrics::new(&metrics.registry).map_err(|e| io_error("metrics", e))?),
            None => None,
        };
        let client = |s3: &S3Settings, timeout: Option<std::time::Duration>| {
            let mut s3 = s3.clone();
            if let Some(t) = timeout {
                s3.timeout = t;
            }
            S3Client::new(
                &s3,
                s3_metrics
                    .clone()
                    .expect("S3 metrics exist with S3 settings"),
            )
        };
        let store = match (&settings.source, &settings.s3) {
            (SourceChoice::S3(src), Some(s3)) => {
                Store::S3(S3Source::new(client(s3, None), src.clone()))
            }
            _ => Store::Local(LocalSource::new(&settings.images_dir).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "images directory {} (--images-dir): {e}",
                        settings.images_dir.display()
                    ),
                )
            })?),
        };
        let http = HttpSource::new(settings.http_source.clone(), &metrics.registry)
            .map_err(|e| io_error("metrics", e))?;
        let source = Source::new(store, http);
        let store: Arc<dyn SlotStore> = match (&settings.cache.store, &settings.s3) {
            (
                CacheStoreChoice::S3 {
                    bucket,
                    prefix,
                    timeout,
                },
                Some(s3),
            ) => Arc::new(S3Store::new(
                client(s3, Some(*timeout)),
                bucket.clone(),
                prefix.clone(),
            )),
            (CacheStoreChoice::Dir(dir), _) => Arc::new(LocalDirStore::new(dir).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cache directory {} (--cache-dir): {e}", dir.display()),
                )
            })?),
            (CacheStoreChoice::S3 { .. }, None) => {
                return Err(io_error(
                    "cache",
                    "a cache bucket needs VIGNETTE_S3_ENDPOINT",
                ));
            }
        };
        let cache_metrics =
            CacheMetrics::new(&metrics.registry).map_err(|e| io_error("metrics", e))?;
        let cache = SlotCache::open(store, settings.cache.settings.clone(), cache_metrics).await;
        let buckets = match (&settings.cache.in_source_buckets, &settings.s3) {
            (Some(per), Some(s3)) => Some(
                BucketCaches::open(
                    client(s3, Some(per.timeout)),
                    &per.buckets,
                    &per.prefix,
                    &settings.cache.settings,
                    &metrics.registry,
                )
                .await
                .map_err(|e| io_error("metrics", e))?,
            ),
            (Some(_), None) => {
                return Err(io_error(
                    "cache",
                    "caches in the source buckets need VIGNETTE_S3_ENDPOINT",
                ));
            }
            (None, _) => None,
        };
        let caches = Caches::new(cache.clone(), buckets);
        let cache_stop = CancellationToken::new();
        let mut flushers = vec![cache.spawn_flusher(cache_stop.clone())];
        if let Some(buckets) = caches.buckets() {
            flushers.extend(buckets.spawn_flushers(&cache_stop));
        }
        let pool = Arc::new(WorkerPool::start_with_clock(
            settings.queue,
            metrics.clone(),
            clock,
        )?);
        let render = Arc::new(RenderContext {
            source: source.clone(),
            limits: settings.limits,
            encode: settings.encode,
            deadline: settings.render_deadline,
            metrics: metrics.clone(),
            runtime: tokio::runtime::Handle::current(),
            sink: Some(Arc::new(caches.clone())),
            intermediates: Arc::new(IntermediateCache::new(settings.intermediate_cache_bytes)),
            sources: SourceBudget::new(settings.queue.workers),
        });
        let state = Arc::new(AppState {
            fingerprint: settings.encode.fingerprint(),
            settings,
            source,
            cache,
            caches,
            pool,
            flights: Flights::new(),
            render,
            metrics,
            facts: Arc::default(),
            siblings: Arc::default(),
            placeholders: Placeholders::new().map_err(|e| io_error("placeholders", e))?,
            lqips: crate::lqip::LqipCache::default(),
            draining: AtomicBool::new(false),
            cache_stop,
            flushers: Mutex::new(flushers),
            purge_sync: Mutex::new(None),
        });
        let sync = purge::spawn_sync(
            Arc::downgrade(&state),
            state.settings.cache.settings.flush_interval,
            state.cache_stop.clone(),
        );
        *state.purge_sync.lock().unwrap_or_else(|p| p.into_inner()) = Some(sync);
        Ok(state)
    }

    /// Stops the purge sync and the index flushers, each of which waits for its cache's
    /// pending writes and flushes its index once more.
    pub async fn close_cache(&self) {
        self.cache_stop.cancel();
        let sync = self
            .purge_sync
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let flushers =
            std::mem::take(&mut *self.flushers.lock().unwrap_or_else(|p| p.into_inner()));
        for handle in sync.into_iter().chain(flushers) {
            let _ = handle.await;
        }
    }
}
