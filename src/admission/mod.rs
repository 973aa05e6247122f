//! One image request below HTTP, whatever dialect parsed it: the source's version → the
//! negotiated format → the variant key → `304` → a cache hit → a render in flight to join
//! → admission of a new render, refused at once when the pool is overloaded. Under
//! overload, before the refusal, come the degraded answers (`overloaded`). The HTTP
//! handler only turns the outcome into a response.

mod facts;
mod miss;
mod overloaded;
mod siblings;

pub(crate) use facts::Facts;
pub(crate) use facts::SourceFacts;
pub(crate) use siblings::Siblings;

use crate::dialect::{Delivery, ImageRequest, negotiate};
use crate::error::{AppError, SharedError};
use crate::flight::Waiter;
use crate::flight::job::RenderJob;
use crate::pool::{RejectReason, Rejection};
use crate::render::Rendered;
use crate::source::Source;
use crate::state::AppState;
use crate::variant::{Format, SourceRef};
use axum::http::{HeaderMap, header};
use bytes::Bytes;
use miss::Miss;
use std::sync::Arc;

/// What a request gets, and what its response needs to say about it.
#[derive(Debug)]
pub(crate) struct Served {
    /// The ETag of the variant asked for (quoted).
    pub(crate) etag: String,
    /// Whether the format came from `Accept` (the response varies on it).
    pub(crate) negotiated: bool,
    /// Download name and disposition, as the URL asked.
    pub(crate) delivery: Delivery,
    /// The source, for the download name.
    pub(crate) source: SourceRef,
    /// The answer.
    pub(crate) answer: Answer,
}

/// The answers to an image request, besides errors and the plain refusal.
#[derive(Debug)]
pub(crate) enum Answer {
    /// The client's copy is current.
    NotModified,
    /// The variant asked for, from the cache or a render.
    Image {
        /// Its bytes.
        bytes: Bytes,
        /// Its format.
        format: Format,
        /// Whether the slot cache answered.
        hit: bool,
    },
    /// Under overload: something close to the variant asked for, not to be kept.
    Degraded {
        /// Its bytes.
        bytes: Bytes,
        /// Its format.
        format: Format,
        /// How it differs.
        reason: Degradation,
    },
    /// The refusal, with an image body.
    Placeholder {
        /// A uniform image.
        bytes: Bytes,
        /// Its format.
        format: Format,
        /// When to come back.
        rejection: Rejection,
    },
}

/// How a degraded answer differs from the variant asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Degradation {
    /// Another size of the same variant (same format).
    Size,
    /// A cheaper format than the negotiated one.
    Format,
}

impl Degradation {
    /// The value of `X-Vignette-Degraded` and of the metric's label.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Degradation::Size => "size",
            Degradation::Format => "format",
        }
    }
}

fn shared(e: impl Into<AppError>) -> SharedError {
    Arc::new(e.into())
}

/// Serves one image request. `headers` are the request's: `Accept` and
/// `If-None-Match` are read here.
pub(crate) async fn serve(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    request: ImageRequest,
) -> Result<Served, SharedError> {
    let ImageRequest {
        source,
        mut variant,
        negotiate,
        delivery,
        ..
    } = request;
    let meta = state.source.stat(&source).await.map_err(shared)?;
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if negotiate {
        let order = &state.settings.auto_formats;
        let chosen = negotiate::choose(accept.as_deref(), order);
        variant.set_format(chosen);
        variant.animation = negotiate::animation(chosen, accept.as_deref(), order);
    }
    let negotiated = negotiate.then_some(accept);
    let mut miss = Miss::new(state, source.clone(), variant, meta.version, negotiated);
    let mut served = Served {
        etag: miss.etag(),
        negotiated: negotiate,
        delivery,
        source,
        answer: Answer::NotModified,
    };
    if if_none_match(headers, &served.etag) {
        return Ok(served);
    }
    if let Some(hit) = state.caches.for_source(&miss.source).get(&miss.key).await {
        served.answer = Answer::Image {
            bytes: hit.bytes,
            format: hit.format,
            hit: true,
        };
        return Ok(served);
    }
    let admitted = match remote(state, &mut miss).await? {
        Remote::Follow(waiter) => Ok(waiter),
        Remote::Shedding(rejection) => Err(rejection),
        Remote::Fetched(bytes) => admit(state, &miss, bytes, true),
    };
    served.etag = miss.etag();
    served.answer = match admitted {
        Ok(waiter) => rendered(&waiter.outcome().await?, false),
        Err(rejection) => overloaded::answer(state, &miss, rejection).await?,
    };
    Ok(served)
}

/// A render's bytes as an answer.
fn rendered(rendered: &Arc<Rendered>, hit: bool) -> Answer {
    Answer::Image {
        bytes: Rendered::shared_bytes(rendered),
        format: rendered.format,
        hit,
    }
}

/// Where a miss stands once its remote bytes, if any, are in hand.
enum Remote {
    /// An identical render is in flight.
    Follow(Waiter),
    /// The failure mode is on: nothing was fetched.
    Shedding(Rejection),
    /// The source's bytes when it is remote (fetched on the async side, before any job
    /// exists: workers never wait on the network).
    Fetched(Option<Bytes>),
}

async fn remote(state: &AppState, miss: &mut Miss) -> Result<Remote, SharedError> {
    if !Source::is_remote(&miss.source) {
        return Ok(Remote::Fetched(None));
    }
    if let Some(waiter) = state.flights.follow(&miss.key) {
        state.metrics.coalesced.inc();
        return Ok(Remote::Follow(waiter));
    }
    // Not while shedding: the refusal must stay cheap.
    if let Some(rejection) = state.pool.refuse_if_shedding() {
        return Ok(Remote::Shedding(rejection));
    }
    let max = state.settings.limits.max_source_bytes;
    let (bytes, fetched_version) = state
        .source
        .fetch(&miss.source, max)
        .await
        .map_err(shared)?;
    if let Some(v) = fetched_version.filter(|v| *v != miss.version) {
        // The origin changed since its version was asked: render what it has.
        miss.set_version(state, v);
    }
    miss.learn_header(state, &bytes);
    Ok(Remote::Fetched(Some(bytes)))
}

/// A miss: join the render in flight, or start one. While the instance sheds load, a
/// miss with no render in flight is refused at once, before any job is built; a refused
/// miss is queued for hydration (rendered into the cache later) when `hydrate` says so.
fn admit(
    state: &AppState,
    miss: &Miss,
    prefetched: Option<Bytes>,
    hydrate: bool,
) -> Result<Waiter, Rejection> {
    if let Some(waiter) = state.flights.follow(&miss.key) {
        state.metrics.coalesced.inc();
        return Ok(waiter);
    }
    if let Some(rejection) = state.pool.refuse_if_shedding() {
        if hydrate {
            miss.hydrate(state);
        }
        return Err(rejection);
    }
    match state.flights.join(miss.key) {
        crate::flight::Joined::Follower(waiter) => {
            state.metrics.coalesced.inc();
            Ok(waiter)
        }
        crate::flight::Joined::Leader(flight, waiter) => {
            let job = RenderJob::interactive(
                state.render.clone(),
                miss.source.clone(),
                miss.variant.clone(),
                flight,
            );
            let mut job = miss.prepare(state, job);
            if let Some(bytes) = prefetched {
                job = job.with_bytes(bytes);
            }
            match state.pool.try_submit(Box::new(job)) {
                Ok(()) => Ok(waiter),
                Err((job, rejection)) => {
                    // Answers every waiter that joined meanwhile.
                    job.reject(rejection);
                    if hydrate && rejection.reason != RejectReason::Shutdown {
                        miss.hydrate(state);
                    }
                    Err(rejection)
                }
            }
        }
    }
}

/// Whether `If-None-Match` lists `etag` (weak comparison, as RFC 9110 asks for it).
pub(crate) fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn if_none_match_forms() {
        let mut h = HeaderMap::new();
        assert!(!if_none_match(&h, "\"abc\""));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(if_none_match(&h, "\"abc\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(if_none_match(&h, "\"abc\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abd\""));
        assert!(!if_none_match(&h, "\"abc\""));
    }
}
