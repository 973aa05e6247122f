//! The info job: on a worker thread, like a render, it reads the source (or takes the bytes
//! fetched from an origin on the async side), renders the thumbnail through the decoded
//! intermediate when one is kept, and computes the [`Lqip`]; the handler waits on a
//! oneshot channel. A job whose requester went away is skipped.

use super::{Components, Lqip};
use crate::error::AppError;
use crate::flight::job::RenderContext;
use crate::pool::{Job, JobKind, Rejection};
use crate::render::{self, Deadline, RenderError, SourceKey};
use crate::variant::SourceRef;
use crate::variant::key::VariantKey;
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What the requester receives.
pub type Reply = Result<Lqip, AppError>;

/// One source's info to compute.
#[derive(Debug)]
pub struct InfoJob {
    ctx: Arc<RenderContext>,
    source: SourceRef,
    version: String,
    components: Components,
    key: VariantKey,
    prefetched: Option<Bytes>,
    reply: oneshot::Sender<Reply>,
}

impl InfoJob {
    /// A job for `source` at `version`, keyed `key` (for the pool's bookkeeping), and the
    /// receiver of its answer. `prefetched`: the bytes of a remote source, fetched on the
    /// async side (workers never wait on the network).
    pub fn new(
        ctx: Arc<RenderContext>,
        source: SourceRef,
        version: String,
        components: Components,
        key: VariantKey,
        prefetched: Option<Bytes>,
    ) -> (InfoJob, oneshot::Receiver<Reply>) {
        let (reply, rx) = oneshot::channel();
        let job = InfoJob {
            ctx,
            source,
            version,
            components,
            key,
            prefetched,
            reply,
        };
        (job, rx)
    }

    fn compute(&self, deadline: Deadline) -> Reply {
        let ctx = &self.ctx;
        let bytes = match &self.prefetched {
            Some(bytes) => bytes.clone(),
            None => {
                let remaining = deadline.0.map_or(Duration::MAX, |at| {
                    at.saturating_duration_since(Instant::now())
                });
                let read = ctx.source.read(&self.source, ctx.limits.max_source_bytes);
                ctx.runtime
                    .block_on(async { tokio::time::timeout(remaining, read).await })
                    .map_err(|_| RenderError::DeadlineExceeded { stage: "fetch" })??
            }
        };
        let _held = ctx.sources.hold();
        let cache = &ctx.intermediates;
        let key = cache
            .enabled()
            .then(|| SourceKey::new(&self.source.to_string(), &self.version));
        let (limits, encode) = (&ctx.limits, &ctx.encode);
        let lqip = super::compute(&bytes, limits, self.components, |variant| match &key {
            Some(key) => render::render_cached(cache, key, variant, limits, encode, &deadline)
                .unwrap_or_else(|| {
                    render::render_keeping(&bytes, variant, limits, encode, &deadline, cache, key)
                }),
            None => render::render(&bytes, variant, limits, encode, &deadline),
        })?;
        Ok(lqip)
    }
}

impl Job for InfoJob {
    fn run(self: Box<Self>, _kind: JobKind) {
        let deadline = Deadline(Some(Instant::now() + self.ctx.deadline));
        let reply = self.compute(deadline);
        let _ = self.reply.send(reply);
    }

    fn reject(self: Box<Self>, rejection: Rejection) {
        let _ = self.reply.send(Err(AppError::Rejected(rejection)));
    }

    fn wanted(&self) -> bool {
        !self.reply.is_closed()
    }

    fn key(&self) -> VariantKey {
        self.key
    }
}
