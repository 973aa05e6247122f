//! The info job: on a worker thread, like a render. Given the thumbnail from the slot
//! cache it only decodes those 100×100 pixels and hashes them; otherwise it reads the
//! source (or takes the bytes fetched from an origin on the async side), renders the
//! thumbnail through the decoded intermediate when one is kept, hands it to the slot cache
//! like any render, and hashes it. The handler waits on a oneshot channel; a job whose
//! requester went away is skipped.

use super::{Components, Lqip};
use crate::error::AppError;
use crate::flight::job::RenderContext;
use crate::pool::{Job, JobKind, Rejection};
use crate::render::{self, Deadline, Probe, RenderError, Rendered, SourceKey};
use crate::variant::SourceRef;
use crate::variant::key::VariantKey;
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What the requester receives.
pub(crate) type Reply = Result<Lqip, AppError>;

/// What the job starts from.
#[derive(Debug)]
pub(crate) enum Input {
    /// The thumbnail's PNG, from the slot cache.
    Thumbnail(Bytes),
    /// The source: read on the worker (`None`), or fetched from an origin already.
    Source(Option<Bytes>),
}

/// The source an info is about.
#[derive(Debug)]
pub(crate) struct Subject {
    /// Which image.
    pub(crate) source: SourceRef,
    /// Its version (keys the intermediate cache).
    pub(crate) version: String,
    /// Its size in bytes.
    pub(crate) size: u64,
    /// What its header says.
    pub(crate) probe: Probe,
    /// The slot-cache key of its thumbnail variant.
    pub(crate) thumbnail_key: VariantKey,
}

/// One source's info to compute.
#[derive(Debug)]
pub(crate) struct InfoJob {
    ctx: Arc<RenderContext>,
    subject: Subject,
    input: Input,
    components: Components,
    reply: oneshot::Sender<Reply>,
    /// The slot cache's purge generation when the job was made.
    generation: u64,
}

impl InfoJob {
    /// A job, and the receiver of its answer.
    pub(crate) fn new(
        ctx: Arc<RenderContext>,
        subject: Subject,
        input: Input,
        components: Components,
    ) -> (InfoJob, oneshot::Receiver<Reply>) {
        let (reply, rx) = oneshot::channel();
        let job = InfoJob {
            generation: ctx.sink.as_ref().map_or(0, |sink| sink.generation()),
            ctx,
            subject,
            input,
            components,
            reply,
        };
        (job, rx)
    }

    fn compute(&self, deadline: Deadline) -> Reply {
        let s = &self.subject;
        let thumbnail = match &self.input {
            Input::Thumbnail(png) => png.clone(),
            Input::Source(prefetched) => {
                let rendered = self.render_thumbnail(prefetched.as_ref(), deadline)?;
                Rendered::shared_bytes(&rendered)
            }
        };
        Ok(super::from_thumbnail(
            &s.probe,
            s.size,
            &thumbnail,
            self.components,
        )?)
    }

    /// Renders the thumbnail variant from the source, and gives it to the slot cache.
    fn render_thumbnail(
        &self,
        prefetched: Option<&Bytes>,
        deadline: Deadline,
    ) -> Result<Arc<Rendered>, AppError> {
        let (ctx, s) = (&self.ctx, &self.subject);
        let cache = &ctx.intermediates;
        let (limits, encode) = (&ctx.limits, &ctx.encode);
        let variant = super::thumbnail_variant();
        let key = cache
            .enabled()
            .then(|| SourceKey::new(&s.source.to_string(), &s.version));
        let kept = key
            .as_ref()
            .and_then(|key| render::render_cached(cache, key, &variant, limits, encode, &deadline));
        let rendered = match kept {
            Some(rendered) => rendered?,
            None => {
                let bytes = match prefetched {
                    Some(bytes) => bytes.clone(),
                    None => {
                        let remaining = deadline.0.map_or(Duration::MAX, |at| {
                            at.saturating_duration_since(Instant::now())
                        });
                        let read = ctx.source.read(&s.source, limits.max_source_bytes);
                        ctx.runtime
                            .block_on(async { tokio::time::timeout(remaining, read).await })
                            .map_err(|_| RenderError::DeadlineExceeded { stage: "fetch" })??
                    }
                };
                let _held = ctx.sources.hold();
                match &key {
                    Some(key) => render::render_keeping(
                        &bytes, &variant, limits, encode, &deadline, cache, key,
                    )?,
                    None => render::render(&bytes, &variant, limits, encode, &deadline)?,
                }
            }
        };
        let rendered = Arc::new(rendered);
        if let Some(sink) = &ctx.sink {
            sink.rendered(s.thumbnail_key, &s.source, self.generation, &rendered, None);
        }
        Ok(rendered)
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
        self.subject.thumbnail_key
    }
}
