//! S3 request metrics, shared by the source and the slot store:
//! `vignette_s3_requests_total{op, outcome}` and
//! `vignette_s3_request_duration_seconds{op}`.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use std::time::Duration;

/// Counters and latency of S3 calls. Cheap to clone (shared handles).
#[derive(Clone, Debug)]
pub struct S3Metrics {
    requests: IntCounterVec,
    duration: HistogramVec,
}

impl S3Metrics {
    /// Creates the metrics and registers them on `registry`.
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new(
                "vignette_s3_requests_total",
                "S3 calls by operation and outcome.",
            ),
            &["op", "outcome"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "vignette_s3_request_duration_seconds",
                "Duration of S3 calls, body transfer included.",
            )
            .buckets(vec![
                0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["op"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(S3Metrics { requests, duration })
    }

    /// Records one call.
    pub(crate) fn observe(&self, op: &str, outcome: &str, elapsed: Duration) {
        self.requests.with_label_values(&[op, outcome]).inc();
        self.duration
            .with_label_values(&[op])
            .observe(elapsed.as_secs_f64());
    }

    /// Calls of `op` that ended with `outcome` so far.
    pub fn count(&self, op: &str, outcome: &str) -> u64 {
        self.requests.with_label_values(&[op, outcome]).get()
    }
}
