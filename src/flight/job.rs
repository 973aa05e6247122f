//! The render job: what a worker does for one variant. It reads the source only once
//! dequeued (so waiting requests never hold source bytes), renders within its deadline,
//! answers the flight's waiters and hands the bytes to the cache.

use super::{Flight, Outcome};
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::pool::{Job, JobKind, RejectReason, Rejection};
use crate::render::{self, Deadline, EncodeSettings, Limits, RenderError, Rendered};
use crate::source::Source;
use crate::spec::Spec;
use crate::spec::key::VariantKey;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Receives every successful render, e.g. to store it in the slot cache. Called on the
/// worker thread: implementations must not block (spawn the write).
pub trait RenderSink: Send + Sync + std::fmt::Debug {
    /// A variant was rendered.
    fn rendered(&self, key: VariantKey, rendered: &Arc<Rendered>);
}

/// What every job of an instance shares.
#[derive(Debug)]
pub struct RenderContext {
    /// Where sources come from.
    pub source: Source,
    /// Decode and output limits.
    pub limits: Limits,
    /// Encoder settings.
    pub encode: EncodeSettings,
    /// Per-render budget, from dequeue to encoded bytes.
    pub deadline: Duration,
    /// Metrics.
    pub metrics: Metrics,
    /// The async runtime, to fetch sources from a worker thread.
    pub runtime: tokio::runtime::Handle,
    /// Where renders go besides the waiters.
    pub sink: Option<Arc<dyn RenderSink>>,
}

/// One variant to render.
#[derive(Debug)]
pub struct RenderJob {
    ctx: Arc<RenderContext>,
    identifier: String,
    spec: Spec,
    key: VariantKey,
    /// The waiters' flight; `None` for hydration jobs, which only fill the cache.
    flight: Option<Flight>,
}

impl RenderJob {
    /// A job that answers the waiters of `flight`.
    pub fn interactive(
        ctx: Arc<RenderContext>,
        identifier: String,
        spec: Spec,
        flight: Flight,
    ) -> Self {
        RenderJob {
            ctx,
            identifier,
            key: flight.key(),
            spec,
            flight: Some(flight),
        }
    }

    /// A job that renders into the cache only.
    pub fn hydration(
        ctx: Arc<RenderContext>,
        identifier: String,
        spec: Spec,
        key: VariantKey,
    ) -> Self {
        RenderJob {
            ctx,
            identifier,
            spec,
            key,
            flight: None,
        }
    }

    fn render(&self, deadline: Deadline) -> Result<Rendered, AppError> {
        let ctx = &self.ctx;
        let remaining = deadline
            .0
            .map(|at| at.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::MAX);
        let read = ctx
            .source
            .read(&self.identifier, ctx.limits.max_source_bytes);
        let bytes = ctx
            .runtime
            .block_on(async { tokio::time::timeout(remaining, read).await })
            .map_err(|_| RenderError::DeadlineExceeded { stage: "fetch" })??;
        let started = Instant::now();
        let rendered = render::render(&bytes, &self.spec, &ctx.limits, &ctx.encode, &deadline)?;
        let format = rendered.format.extension();
        ctx.metrics
            .render_duration
            .with_label_values(&[format])
            .observe(started.elapsed().as_secs_f64());
        ctx.metrics.renders.with_label_values(&[format]).inc();
        Ok(rendered)
    }
}

impl Job for RenderJob {
    fn run(self: Box<Self>, kind: JobKind) {
        let deadline = Deadline(Some(Instant::now() + self.ctx.deadline));
        let result = self.render(deadline);
        let m = &self.ctx.metrics;
        let outcome: Outcome = match result {
            Ok(rendered) => {
                let rendered = Arc::new(rendered);
                if let Some(sink) = &self.ctx.sink {
                    sink.rendered(self.key, &rendered);
                }
                if kind == JobKind::Hydration {
                    m.hydrated.inc();
                }
                Ok(rendered)
            }
            Err(AppError::Render(RenderError::DeadlineExceeded { stage })) => {
                m.render_abandoned.inc();
                m.rejected.with_label_values(&["deadline"]).inc();
                tracing::warn!(key = %self.key, stage, "render abandoned past its deadline");
                Err(Arc::new(AppError::Rejected(Rejection {
                    reason: RejectReason::Deadline,
                    retry_after: self.ctx.deadline,
                })))
            }
            Err(e) => Err(Arc::new(e)),
        };
        if let Some(flight) = self.flight {
            flight.complete(outcome);
        }
    }

    fn reject(self: Box<Self>, rejection: Rejection) {
        if let Some(flight) = self.flight {
            flight.complete(Err(Arc::new(AppError::Rejected(rejection))));
        }
    }

    fn wanted(&self) -> bool {
        match &self.flight {
            Some(f) => f.has_waiters(),
            None => true,
        }
    }

    fn key(&self) -> VariantKey {
        self.key
    }
}
