//! The render job: what a worker does for one variant. It reads the source once dequeued,
//! or ahead while it is next in line and the running job has decoded its own ([`Job::warm`],
//! [`super::sources`]): at most one source per worker is ever in memory, so waiting
//! requests hold none. It renders within its deadline, answers the flight's waiters and
//! hands the bytes to the cache. When the job knows the source's version, a decoded
//! intermediate kept from an earlier render of the same source is used instead of reading
//! and decoding it again.

use super::sources::{Held, SourceBudget};
use super::{Flight, Hold, Outcome};
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::pool::{Cost, Job, JobKind, RejectReason, Rejection};
use crate::render::{
    self, Deadline, EncodeSettings, IntermediateCache, Limits, Probe, RenderError, Rendered,
    SourceKey,
};
use crate::source::{Source, SourceError};
use crate::variant::key::VariantKey;
use crate::variant::{SourceRef, Variant};
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Receives every successful render, e.g. to store it in the slot cache. Called on the
/// worker thread: implementations must not block (spawn the write).
pub(crate) trait RenderSink: Send + Sync + std::fmt::Debug {
    /// The sink's purge generation now; a job records it when it is made, so that a
    /// render begun before a purge of its source is not kept.
    fn generation(&self) -> u64;

    /// A variant of `source` was rendered by a job made in purge `generation` (the
    /// source, not only its id: its bucket chooses the cache). `hold`
    /// keeps the render answering identical requests: drop it once the variant is
    /// readable from the cache (or will not be cached).
    fn rendered(
        &self,
        key: VariantKey,
        source: &SourceRef,
        generation: u64,
        rendered: &Arc<Rendered>,
        hold: Option<Hold>,
    );
}

/// Told of a job's successful render, with its source's header when the job read it:
/// what later requests may use without reading the source (sizes for degraded answers,
/// facts for estimates and placeholders). Called on the worker thread: must not block.
pub(crate) trait Remember: Send + Sync + std::fmt::Debug {
    /// A render succeeded.
    fn rendered(&self, probe: Option<Probe>, rendered: &Rendered);
}

/// What every job of an instance shares.
#[derive(Debug)]
pub(crate) struct RenderContext {
    /// Where sources come from.
    pub(crate) source: Source,
    /// Decode and output limits.
    pub(crate) limits: Limits,
    /// Encoder settings.
    pub(crate) encode: EncodeSettings,
    /// Per-render budget, from dequeue to encoded bytes.
    pub(crate) deadline: Duration,
    /// Metrics.
    pub(crate) metrics: Metrics,
    /// The async runtime, to fetch sources from a worker thread.
    pub(crate) runtime: tokio::runtime::Handle,
    /// Where renders go besides the waiters.
    pub(crate) sink: Option<Arc<dyn RenderSink>>,
    /// Decoded sources kept for later sizes of the same source (decode once, serve many).
    pub(crate) intermediates: Arc<IntermediateCache>,
    /// Sources in memory: one per worker.
    pub(crate) sources: Arc<SourceBudget>,
}

/// The purge generation of `ctx`'s sink now (0 without a sink).
fn generation(ctx: &RenderContext) -> u64 {
    ctx.sink.as_ref().map_or(0, |sink| sink.generation())
}

/// A source read ahead: its bytes, counted in the budget until dropped.
type ReadAhead = JoinHandle<Result<(Bytes, Held), SourceError>>;

/// One variant to render.
#[derive(Debug)]
pub(crate) struct RenderJob {
    ctx: Arc<RenderContext>,
    source_ref: SourceRef,
    variant: Variant,
    key: VariantKey,
    /// The waiters' flight; `None` for hydration jobs, which only fill the cache.
    flight: Option<Flight>,
    /// The source's version, when known: keys the intermediate cache.
    version: Option<String>,
    /// The source, being read ahead of the job's turn ([`Job::warm`]).
    ahead: Mutex<Option<ReadAhead>>,
    /// The source's bytes, fetched before the job was queued (HTTP origins: workers never
    /// wait on the network).
    prefetched: Option<Bytes>,
    /// What admission expects the job to cost.
    cost: Cost,
    /// Who learns from the render.
    remember: Option<Box<dyn Remember>>,
    /// The sink's purge generation when the job was made.
    generation: u64,
}

impl RenderJob {
    /// A job that answers the waiters of `flight`.
    pub(crate) fn interactive(
        ctx: Arc<RenderContext>,
        source_ref: SourceRef,
        variant: Variant,
        flight: Flight,
    ) -> Self {
        RenderJob {
            generation: generation(&ctx),
            ctx,
            source_ref,
            key: flight.key(),
            variant,
            flight: Some(flight),
            version: None,
            ahead: Mutex::default(),
            prefetched: None,
            cost: Cost::default(),
            remember: None,
        }
    }

    /// A job that renders into the cache only.
    pub(crate) fn hydration(
        ctx: Arc<RenderContext>,
        source_ref: SourceRef,
        variant: Variant,
        key: VariantKey,
    ) -> Self {
        RenderJob {
            generation: generation(&ctx),
            ctx,
            source_ref,
            variant,
            key,
            flight: None,
            version: None,
            ahead: Mutex::default(),
            prefetched: None,
            cost: Cost::default(),
            remember: None,
        }
    }

    /// Names the source's version (as the variant key does), which lets the job use and
    /// fill the intermediate cache. Without it every render reads and decodes the source.
    pub(crate) fn with_source_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Hands the job its source's bytes, fetched on the async side.
    pub(crate) fn with_bytes(mut self, bytes: Bytes) -> Self {
        self.prefetched = Some(bytes);
        self
    }

    /// What admission expects the job to cost (its wait estimate weighs it).
    pub(crate) fn with_cost(mut self, cost: Cost) -> Self {
        self.cost = cost;
        self
    }

    /// Tells `remember` of the render when it succeeds.
    pub(crate) fn remembering(mut self, remember: Box<dyn Remember>) -> Self {
        self.remember = Some(remember);
        self
    }

    /// The key of the source in the intermediate cache, when it is used.
    fn source_key(&self) -> Option<SourceKey> {
        self.version
            .as_deref()
            .filter(|_| self.ctx.intermediates.enabled())
            .map(|v| SourceKey::new(&self.source_ref.to_string(), v))
    }

    /// The handle of the source's read ahead, if one was started.
    fn take_ahead(&self) -> Option<ReadAhead> {
        self.ahead.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Renders; the header is returned when the source's bytes were read.
    fn render(&self, deadline: Deadline) -> Result<(Rendered, Option<Probe>), AppError> {
        let ctx = &self.ctx;
        let cache = &ctx.intermediates;
        let source = self.source_key();
        if let Some(source) = &source {
            let started = Instant::now();
            let (variant, limits, encode) = (&self.variant, &ctx.limits, &ctx.encode);
            if let Some(r) =
                render::render_cached(cache, source, variant, limits, encode, &deadline)
            {
                return Ok((self.observe(r?, started), None));
            }
        }
        let remaining = deadline
            .0
            .map(|at| at.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::MAX);
        let (bytes, held) = match (&self.prefetched, self.take_ahead()) {
            (Some(bytes), _) => Ok(Ok((bytes.clone(), ctx.sources.hold()))),
            (None, Some(ahead)) => {
                ctx.metrics.source_reads_ahead.inc();
                // A read task that panicked or was cancelled is vignette's failure, not
                // the origin's: a 500, its text for the log only.
                let read = async {
                    let read = ahead.await.map_err(|e| {
                        AppError::Internal(format!("source read ahead failed: {e}"))
                    })?;
                    read.map_err(AppError::from)
                };
                ctx.runtime
                    .block_on(async { tokio::time::timeout(remaining, read).await })
            }
            (None, None) => {
                let held = ctx.sources.hold();
                let read = ctx
                    .source
                    .read(&self.source_ref, ctx.limits.max_source_bytes);
                ctx.runtime
                    .block_on(async { tokio::time::timeout(remaining, read).await })
                    .map(|r| r.map(|bytes| (bytes, held)).map_err(AppError::from))
            }
        }
        .map_err(|_| RenderError::DeadlineExceeded { stage: "fetch" })??;
        let started = Instant::now();
        let probe = render::probe(&bytes).ok();
        let keep = source.as_ref().map(|source| (&**cache, source));
        let prepared = render::prepare(&bytes, &self.variant, &ctx.limits, &deadline, keep)?;
        // The decode holds everything the rest needs: free the source before resizing and
        // encoding, so that a render's peak is not the source plus the encoder's buffers;
        // the next job's read ahead may start, in this buffer.
        match bytes.try_into_mut() {
            Ok(buf) => held.pass_on(buf.into()),
            Err(shared) => drop((shared, held)),
        }
        let rendered = render::finish(prepared, &ctx.encode, &deadline)?;
        Ok((self.observe(rendered, started), probe))
    }

    /// Records a successful render's duration (from the end of the fetch) and count.
    fn observe(&self, rendered: Rendered, started: Instant) -> Rendered {
        let m = &self.ctx.metrics;
        let format = rendered.format.extension();
        m.render_duration
            .with_label_values(&[format])
            .observe(started.elapsed().as_secs_f64());
        m.renders.with_label_values(&[format]).inc();
        rendered
    }
}

impl Job for RenderJob {
    fn run(self: Box<Self>, kind: JobKind) {
        let deadline = Deadline(Some(Instant::now() + self.ctx.deadline));
        let result = self.render(deadline);
        let m = &self.ctx.metrics;
        let outcome: Outcome = match result {
            Ok((rendered, probe)) => {
                if kind == JobKind::Hydration {
                    m.hydrated.inc();
                }
                if let Some(remember) = &self.remember {
                    remember.rendered(probe, &rendered);
                }
                Ok(Arc::new(rendered))
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
        match (&outcome, &self.ctx.sink) {
            (Ok(rendered), Some(sink)) => {
                let rendered = rendered.clone();
                // The waiters are answered first; the render keeps answering newcomers
                // until the cache write lands.
                let hold = self.flight.map(|f| f.complete_and_hold(outcome));
                sink.rendered(self.key, &self.source_ref, self.generation, &rendered, hold);
            }
            _ => {
                if let Some(flight) = self.flight {
                    flight.complete(outcome);
                }
            }
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

    fn cost(&self) -> Cost {
        self.cost
    }

    /// Reads the source ahead, as soon as fewer sources than workers are in memory (when
    /// the running job has decoded its own), unless nobody waits or the source is kept
    /// decoded (the render will then not read it).
    fn warm(&self) {
        let ctx = &self.ctx;
        if !self.wanted()
            || self.prefetched.is_some()
            || self
                .source_key()
                .is_some_and(|k| ctx.intermediates.contains(&k))
        {
            return;
        }
        let mut ahead = self.ahead.lock().unwrap_or_else(|p| p.into_inner());
        if ahead.is_none() {
            let (source, id) = (ctx.source.clone(), self.source_ref.clone());
            let (budget, max) = (ctx.sources.clone(), ctx.limits.max_source_bytes);
            *ahead = Some(ctx.runtime.spawn(async move {
                let (held, buf) = budget.hold_when_free().await;
                Ok((source.read_into(&id, max, buf).await?, held))
            }));
        }
    }
}
