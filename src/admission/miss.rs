//! A miss being admitted: the variant, the source version it is keyed on, its shape (for
//! other sizes), and what admission knows of it before any render: its estimated output
//! size and cost, from the source's header when a render or `info.json` has read it.

use super::facts::Facts;
use super::siblings::{Shape, Sibling};
use crate::flight::job::{Remember, RenderJob};
use crate::pool::{Cost, CostClass};
use crate::render::{self, Estimate, Probe, Rendered};
use crate::state::AppState;
use crate::variant::key::VariantKey;
use crate::variant::{OutputFormat, SourceRef, Variant};
use std::sync::Arc;

/// One variant of one source version, not in the cache.
#[derive(Debug, Clone)]
pub(super) struct Miss {
    pub(super) source: SourceRef,
    /// The source reference's canonical text (facts are keyed on it).
    source_text: String,
    pub(super) variant: Variant,
    pub(super) version: String,
    pub(super) key: VariantKey,
    pub(super) shape: Shape,
    /// The request's `Accept` when the format was negotiated from it.
    pub(super) negotiated: Option<Option<String>>,
}

impl Miss {
    pub(super) fn new(
        state: &AppState,
        source: SourceRef,
        variant: Variant,
        version: String,
        negotiated: Option<Option<String>>,
    ) -> Self {
        let fp = &state.fingerprint;
        Miss {
            key: VariantKey::new(&source, &version, &variant, fp),
            shape: Shape::of(&source, &version, &variant, fp),
            source_text: source.to_string(),
            source,
            variant,
            version,
            negotiated,
        }
    }

    /// The variant's ETag (quoted).
    pub(super) fn etag(&self) -> String {
        format!("\"{}\"", self.key.to_hex())
    }

    /// Keys the miss on another version of its source.
    pub(super) fn set_version(&mut self, state: &AppState, version: String) {
        *self = Miss::new(
            state,
            self.source.clone(),
            self.variant.clone(),
            version,
            self.negotiated.clone(),
        );
    }

    /// The same miss in another output format.
    pub(super) fn in_format(&self, state: &AppState, format: OutputFormat) -> Miss {
        let mut variant = self.variant.clone();
        variant.set_format(format);
        Miss::new(
            state,
            self.source.clone(),
            variant,
            self.version.clone(),
            self.negotiated.clone(),
        )
    }

    /// Remembers the header of the source's bytes, fetched before the render.
    pub(super) fn learn_header(&self, state: &AppState, bytes: &[u8]) {
        if let Ok(probe) = render::probe(bytes) {
            let facts = Facts {
                probe: Some(probe),
                colour: None,
            };
            state.facts.learn(&self.source_text, &self.version, facts);
        }
    }

    /// What is known of the source version.
    pub(super) fn facts(&self, state: &AppState) -> Facts {
        state.facts.get(&self.source_text, &self.version)
    }

    /// The render foreseen from the source's known header.
    pub(super) fn estimate(&self, state: &AppState) -> Option<Estimate> {
        let probe = self.facts(state).probe?;
        render::estimate(&probe, &self.variant, &state.settings.limits)
    }

    /// The job's expected cost: its encoder, and the megapixels decoded and encoded.
    fn cost(&self, state: &AppState) -> Cost {
        let estimate = self.estimate(state);
        let class = match (estimate, self.variant.format) {
            (Some(e), _) => Some(e.format.into()),
            (None, OutputFormat::Is(f)) => Some(CostClass::from(f)),
            (None, OutputFormat::AsSource) => None,
        };
        // Every frame of an animation is decoded and encoded.
        let megapixels = estimate.map(|e| {
            let encoded = e.width as u64 * e.height as u64 * e.frames as u64;
            (e.decoded_pixels + encoded) as f64 / 1e6
        });
        Cost { class, megapixels }
    }

    /// Completes a job of this miss: its source version, cost, and what it will teach.
    pub(super) fn prepare(&self, state: &AppState, job: RenderJob) -> RenderJob {
        job.with_source_version(self.version.clone())
            .with_cost(self.cost(state))
            .remembering(Box::new(Memo {
                facts: state.facts.clone(),
                siblings: state.siblings.clone(),
                source: self.source_text.clone(),
                version: self.version.clone(),
                shape: self.shape,
                key: self.key,
            }))
    }

    /// Queues the miss for rendering into the cache when the workers are idle. Not for
    /// remote sources: a hydration job would have to fetch on a worker, or keep the
    /// bytes for hours.
    pub(super) fn hydrate(&self, state: &AppState) {
        if crate::source::Source::is_remote(&self.source) {
            return;
        }
        let job = RenderJob::hydration(
            state.render.clone(),
            self.source.clone(),
            self.variant.clone(),
            self.key,
        );
        state
            .pool
            .submit_hydration(Box::new(self.prepare(state, job)));
    }
}

/// What one render teaches: the source's header and colour, and one more size of its
/// shape.
#[derive(Debug)]
struct Memo {
    facts: Arc<super::SourceFacts>,
    siblings: Arc<super::Siblings>,
    source: String,
    version: String,
    shape: Shape,
    key: VariantKey,
}

impl Remember for Memo {
    fn rendered(&self, probe: Option<Probe>, rendered: &Rendered) {
        let facts = Facts {
            probe,
            colour: rendered.average,
        };
        self.facts.learn(&self.source, &self.version, facts);
        let sibling = Sibling {
            key: self.key,
            width: rendered.width,
            height: rendered.height,
        };
        self.siblings.record(self.shape, sibling);
    }
}
