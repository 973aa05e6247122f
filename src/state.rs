//! The state every handler shares: settings, the source, the worker pool, the flights in
//! progress, the probe cache and the metrics. Built once at start.

use crate::config::Settings;
use crate::flight::Flights;
use crate::flight::job::{RenderContext, RenderSink};
use crate::metrics::Metrics;
use crate::pool::WorkerPool;
use crate::render::{IntermediateCache, Probe};
use crate::source::{LocalSource, Source};
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Shared application state, behind an `Arc` in axum's state.
#[derive(Debug)]
pub struct AppState {
    /// Validated settings.
    pub settings: Settings,
    /// Where images come from.
    pub source: Source,
    /// The render workers.
    pub pool: Arc<WorkerPool>,
    /// Renders in flight, for coalescing.
    pub flights: Arc<Flights>,
    /// What render jobs share.
    pub render: Arc<RenderContext>,
    /// Metrics.
    pub metrics: Metrics,
    /// Headers already read, by identifier and source version.
    pub probes: ProbeCache,
    /// Encoder settings fingerprint, part of every cache key.
    pub fingerprint: String,
    /// Set at shutdown: readiness fails so that the scheduler drains the instance.
    pub draining: AtomicBool,
}

impl AppState {
    /// Builds the state for `settings` with the local source; must be called inside the
    /// tokio runtime (render jobs fetch through it).
    pub fn new(settings: Settings, metrics: Metrics) -> std::io::Result<Arc<AppState>> {
        let source = Source::Local(LocalSource::new(&settings.images_dir).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("images directory {}: {e}", settings.images_dir.display()),
            )
        })?);
        Self::with_source(settings, metrics, source, None)
    }

    /// Builds the state around an already opened source and an optional render sink.
    pub fn with_source(
        settings: Settings,
        metrics: Metrics,
        source: Source,
        sink: Option<Arc<dyn RenderSink>>,
    ) -> std::io::Result<Arc<AppState>> {
        let pool = Arc::new(WorkerPool::start(settings.queue, metrics.clone())?);
        let render = Arc::new(RenderContext {
            source: source.clone(),
            limits: settings.limits,
            encode: settings.encode,
            deadline: settings.render_deadline,
            metrics: metrics.clone(),
            runtime: tokio::runtime::Handle::current(),
            sink,
            intermediates: Arc::new(IntermediateCache::new(settings.intermediate_cache_bytes)),
        });
        Ok(Arc::new(AppState {
            fingerprint: settings.encode.fingerprint(),
            settings,
            source,
            pool,
            flights: Flights::new(),
            render,
            metrics,
            probes: ProbeCache::default(),
            draining: AtomicBool::new(false),
        }))
    }
}

/// A small bounded map of probed headers, so that `info.json` does not re-read sources.
#[derive(Debug, Default)]
pub struct ProbeCache {
    map: Mutex<HashMap<(String, String), Probe>>,
}

impl ProbeCache {
    /// Entries kept before the map is cleared and refilled.
    const CAPACITY: usize = 4096;

    /// The probe of `identifier` at `version`, if known.
    pub fn get(&self, identifier: &str, version: &str) -> Option<Probe> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(identifier.to_owned(), version.to_owned()))
            .copied()
    }

    /// Remembers a probe.
    pub fn insert(&self, identifier: &str, version: &str, probe: Probe) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert((identifier.to_owned(), version.to_owned()), probe);
    }
}
