//! Prometheus metrics of the request path, registered on one registry that the admin
//! listener exposes at `/metrics`. Other layers (cache, S3) register theirs on the same
//! registry.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

/// Buckets for request and render latencies: from 100 µs (a refusal, a cache hit) to
/// 30 s (far past any deadline).
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    30.0,
];

/// Every metric of the HTTP, pool and render layers.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// The registry all layers register on.
    pub registry: Registry,
    /// Requests by route and status.
    pub http_requests: IntCounterVec,
    /// Request latency by route, status class (`2xx`…) and answer (`hit`, `rendered`,
    /// `not_modified`, `refused`, `error`, `other`): refusal latency is visible server-side.
    pub http_duration: HistogramVec,
    /// Successful renders by output format.
    pub renders: IntCounterVec,
    /// Render time (fetch excluded) by output format.
    pub render_duration: HistogramVec,
    /// Jobs waiting in the interactive queue.
    pub queue_depth: IntGauge,
    /// Workers currently rendering.
    pub workers_busy: IntGauge,
    /// Refused work by reason (`full`, `codel`, `deadline`, `shutdown`).
    pub rejected: IntCounterVec,
    /// Time jobs spent waiting in the queue.
    pub queue_sojourn: Histogram,
    /// Jobs skipped because every waiter went away.
    pub skipped: IntCounter,
    /// 1 while the instance sheds load.
    pub overloaded: IntGauge,
    /// Entries waiting in the hydration queue.
    pub hydration_depth: IntGauge,
    /// Variants rendered by the hydration queue into the cache.
    pub hydrated: IntCounter,
    /// Hydration entries dropped unrendered past their horizon.
    pub hydration_expired: IntCounter,
    /// Renders abandoned past their deadline.
    pub render_abandoned: IntCounter,
    /// Requests that joined a render already in flight.
    pub coalesced: IntCounter,
    /// Renders whose source was read while they were next in line.
    pub source_reads_ahead: IntCounter,
    /// Answers of the failure mode besides the plain refusal, by kind: `size` (another
    /// cached size), `format` (a cheaper format), `placeholder` (a refusal with an image).
    pub overload_answers: IntCounterVec,
}

impl Metrics {
    /// Creates and registers every metric on a fresh registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "vignette_http_requests_total",
                "HTTP requests by route and status",
            ),
            &["route", "status"],
        )
        .expect("valid metric");
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "vignette_http_request_duration_seconds",
                "HTTP request latency by route, status class and answer",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "class", "answer"],
        )
        .expect("valid metric");
        let renders = IntCounterVec::new(
            Opts::new(
                "vignette_renders_total",
                "Completed renders by output format",
            ),
            &["format"],
        )
        .expect("valid metric");
        let render_duration = HistogramVec::new(
            HistogramOpts::new(
                "vignette_render_duration_seconds",
                "CPU time of one render (decode to encode) by output format",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["format"],
        )
        .expect("valid metric");
        let queue_depth = IntGauge::new("vignette_queue_depth", "Jobs waiting for a worker")
            .expect("valid metric");
        let workers_busy = IntGauge::new("vignette_workers_busy", "Workers currently rendering")
            .expect("valid metric");
        let rejected = IntCounterVec::new(
            Opts::new("vignette_rejected_total", "Misses refused (503) by reason"),
            &["reason"],
        )
        .expect("valid metric");
        let queue_sojourn = Histogram::with_opts(
            HistogramOpts::new(
                "vignette_queue_sojourn_seconds",
                "Time a job waited in the queue before a worker took it",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        let skipped = IntCounter::new(
            "vignette_jobs_skipped_total",
            "Queued jobs skipped because every waiter disconnected",
        )
        .expect("valid metric");
        let overloaded = IntGauge::new(
            "vignette_overloaded",
            "1 while the instance is in the failure mode (shedding misses)",
        )
        .expect("valid metric");
        let hydration_depth = IntGauge::new(
            "vignette_hydration_queue_depth",
            "Refused misses waiting to be rendered into the cache",
        )
        .expect("valid metric");
        let hydrated = IntCounter::new(
            "vignette_hydrated_total",
            "Variants rendered into the cache by the hydration queue",
        )
        .expect("valid metric");
        let hydration_expired = IntCounter::new(
            "vignette_hydration_expired_total",
            "Hydration entries dropped unrendered because they outlived the horizon",
        )
        .expect("valid metric");
        let render_abandoned = IntCounter::new(
            "vignette_render_abandoned_total",
            "Renders abandoned because they ran past their deadline",
        )
        .expect("valid metric");
        let coalesced = IntCounter::new(
            "vignette_coalesced_total",
            "Requests that waited on an identical render already in flight",
        )
        .expect("valid metric");
        let source_reads_ahead = IntCounter::new(
            "vignette_source_reads_ahead_total",
            "Renders whose source was read while the job was next in line",
        )
        .expect("valid metric");
        let overload_answers = IntCounterVec::new(
            Opts::new(
                "vignette_overload_answers_total",
                "Misses answered under overload with another size, a cheaper format or a placeholder",
            ),
            &["answer"],
        )
        .expect("valid metric");
        for c in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_duration.clone()),
            Box::new(renders.clone()),
            Box::new(render_duration.clone()),
            Box::new(queue_depth.clone()),
            Box::new(workers_busy.clone()),
            Box::new(rejected.clone()),
            Box::new(queue_sojourn.clone()),
            Box::new(skipped.clone()),
            Box::new(overloaded.clone()),
            Box::new(hydration_depth.clone()),
            Box::new(hydrated.clone()),
            Box::new(hydration_expired.clone()),
            Box::new(render_abandoned.clone()),
            Box::new(coalesced.clone()),
            Box::new(source_reads_ahead.clone()),
            Box::new(overload_answers.clone()),
        ] {
            registry.register(c).expect("metric registered once");
        }
        // Show every rejection reason from the start, so dashboards see zeros.
        for reason in ["full", "codel", "deadline", "shutdown"] {
            rejected.with_label_values(&[reason]);
        }
        for answer in ["size", "format", "placeholder"] {
            overload_answers.with_label_values(&[answer]);
        }
        Metrics {
            registry,
            http_requests,
            http_duration,
            renders,
            render_duration,
            queue_depth,
            workers_busy,
            rejected,
            queue_sojourn,
            skipped,
            overloaded,
            hydration_depth,
            hydrated,
            hydration_expired,
            render_abandoned,
            coalesced,
            source_reads_ahead,
            overload_answers,
        }
    }

    /// The Prometheus text exposition of every registered metric.
    pub fn render_text(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metrics.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
