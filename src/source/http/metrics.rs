//! Metrics of the HTTP source: `vignette_http_source_fetches_total{outcome}`,
//! `vignette_http_source_bytes_total`, `vignette_http_source_fetch_duration_seconds`,
//! `vignette_http_source_coalesced_total`, `vignette_http_source_budget_waits_total`,
//! `vignette_source_cache_hits_total`, `vignette_source_cache_misses_total` and
//! `vignette_source_cache_bytes`.

use crate::source::SourceError;
use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry, core::Collector,
};
use std::time::Duration;

/// Every outcome label, shown from the start so that dashboards see zeros.
const OUTCOMES: &[&str] = &[
    "ok",
    "not_modified",
    "not_found",
    "forbidden",
    "too_large",
    "timeout",
    "unavailable",
    "not_an_image",
    "overloaded",
];

/// Counters of the HTTP source. Cheap to clone (shared handles).
#[derive(Debug, Clone)]
pub(crate) struct HttpSourceMetrics {
    fetches: IntCounterVec,
    pub(crate) bytes: IntCounter,
    duration: Histogram,
    pub(crate) coalesced: IntCounter,
    pub(crate) budget_waits: IntCounter,
    pub(crate) cache_hits: IntCounter,
    pub(crate) cache_misses: IntCounter,
    pub(crate) cache_bytes: IntGauge,
}

impl HttpSourceMetrics {
    /// Creates the metrics and registers them on `registry`.
    pub(crate) fn new(registry: &Registry) -> prometheus::Result<Self> {
        let fetches = IntCounterVec::new(
            Opts::new(
                "vignette_http_source_fetches_total",
                "Requests to HTTP origins (and refusals before any) by outcome",
            ),
            &["outcome"],
        )?;
        let duration = Histogram::with_opts(
            HistogramOpts::new(
                "vignette_http_source_fetch_duration_seconds",
                "Duration of one origin fetch, redirects and body included",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
        )?;
        let counter = |name: &str, help: &str| IntCounter::new(name, help);
        let m = HttpSourceMetrics {
            bytes: counter(
                "vignette_http_source_bytes_total",
                "Body bytes received from HTTP origins",
            )?,
            coalesced: counter(
                "vignette_http_source_coalesced_total",
                "Fetches that joined a download of the same URL already in flight",
            )?,
            budget_waits: counter(
                "vignette_http_source_budget_waits_total",
                "Downloads that waited for the bytes-in-flight budget",
            )?,
            cache_hits: counter(
                "vignette_source_cache_hits_total",
                "Remote sources served from the source cache without a request",
            )?,
            cache_misses: counter(
                "vignette_source_cache_misses_total",
                "Remote sources absent or due for revalidation in the source cache",
            )?,
            cache_bytes: IntGauge::new(
                "vignette_source_cache_bytes",
                "Bytes of remote sources held by the source cache",
            )?,
            fetches,
            duration,
        };
        let all: [Box<dyn Collector>; 8] = [
            Box::new(m.fetches.clone()),
            Box::new(m.bytes.clone()),
            Box::new(m.duration.clone()),
            Box::new(m.coalesced.clone()),
            Box::new(m.budget_waits.clone()),
            Box::new(m.cache_hits.clone()),
            Box::new(m.cache_misses.clone()),
            Box::new(m.cache_bytes.clone()),
        ];
        for c in all {
            registry.register(c)?;
        }
        for outcome in OUTCOMES {
            m.fetches.with_label_values(&[outcome]);
        }
        Ok(m)
    }

    /// Records one fetch that reached the network.
    pub(crate) fn observe(&self, outcome: &str, elapsed: Duration) {
        self.fetches.with_label_values(&[outcome]).inc();
        self.duration.observe(elapsed.as_secs_f64());
    }

    /// Records a refusal decided before any request.
    pub(crate) fn refused(&self, outcome: &str) {
        self.fetches.with_label_values(&[outcome]).inc();
    }
}

/// The outcome label of an error.
pub(crate) fn outcome(e: &SourceError) -> &'static str {
    match e {
        SourceError::NotFound(_) => "not_found",
        SourceError::Forbidden(_) => "forbidden",
        SourceError::TooLarge { .. } => "too_large",
        SourceError::Timeout => "timeout",
        SourceError::Unavailable(_) => "unavailable",
        SourceError::NotAnImage(_) => "not_an_image",
        SourceError::Overloaded => "overloaded",
    }
}
