//! What a miss gets when admission refuses it, best first, each a setting: another cached
//! size of the same variant (within `--degrade-max-size-ratio`), a cheaper format than
//! the negotiated one (cached, or rendered when it fits the queue where the asked one did
//! not), then the refusal, as a bare status or with a placeholder image
//! (`--overload-answer`). Everything here is cheap: cache reads and arithmetic, never a
//! render on this side.

use super::miss::Miss;
use super::{Answer, Degradation, admit, rendered};
use crate::config::OverloadAnswer;
use crate::dialect::negotiate;
use crate::error::{AppError, SharedError};
use crate::pool::{RejectReason, Rejection};
use crate::render::placeholder::NEUTRAL_GREY;
use crate::state::AppState;
use crate::variant::{Format, OutputFormat, Resize};
use std::sync::Arc;

/// Cached sizes tried before giving up on that degradation (each is a cache read).
const SIZES_TRIED: usize = 2;

/// The failure mode's answer to `miss`, refused with `rejection`.
pub(super) async fn answer(
    state: &Arc<AppState>,
    miss: &Miss,
    rejection: Rejection,
) -> Result<Answer, SharedError> {
    let settings = &state.settings.overload;
    let refusal = || Arc::new(AppError::Rejected(rejection));
    if rejection.reason == RejectReason::Shutdown {
        return Err(refusal());
    }
    let count = |answer: &str| {
        state
            .metrics
            .overload_answers
            .with_label_values(&[answer])
            .inc()
    };
    if settings.degrade_max_size_ratio > 0.0
        && let Some(answer) = other_size(state, miss, settings.degrade_max_size_ratio).await
    {
        count(Degradation::Size.as_str());
        return Ok(answer);
    }
    if settings.degrade_format
        && let Some(answer) = cheaper_format(state, miss, rejection).await?
    {
        count(Degradation::Format.as_str());
        return Ok(answer);
    }
    match settings.answer {
        OverloadAnswer::Status => Err(refusal()),
        OverloadAnswer::Placeholder => {
            count("placeholder");
            Ok(placeholder(state, miss, rejection))
        }
    }
}

/// Another cached size of the same variant, close enough to the size asked.
async fn other_size(state: &AppState, miss: &Miss, ratio: f64) -> Option<Answer> {
    let e = miss.estimate(state)?;
    let near = state
        .siblings
        .near(&miss.shape, &miss.key, (e.width, e.height), ratio);
    for sibling in near.into_iter().take(SIZES_TRIED) {
        if let Some(hit) = state
            .caches
            .for_source(&miss.source)
            .get(&sibling.key)
            .await
        {
            return Some(Answer::Degraded {
                bytes: hit.bytes,
                format: hit.format,
                reason: Degradation::Size,
            });
        }
    }
    None
}

/// The formats to fall back on from a negotiated one, cheapest last: AVIF → WebP (when
/// `Accept` names it) → the source's own format.
fn cheaper(format: OutputFormat, accept: Option<&str>) -> Vec<OutputFormat> {
    let webp = negotiate::choose(accept, &[Format::Webp]);
    match format {
        OutputFormat::Is(Format::Avif) if webp != OutputFormat::AsSource => {
            vec![webp, OutputFormat::AsSource]
        }
        OutputFormat::Is(Format::Avif | Format::Webp) => vec![OutputFormat::AsSource],
        _ => Vec::new(),
    }
}

/// A cheaper format of the same variant: cached, or rendered when the queue had room
/// for it (a refusal for a full queue, not the failure mode: a cheaper job may fit).
async fn cheaper_format(
    state: &Arc<AppState>,
    miss: &Miss,
    rejection: Rejection,
) -> Result<Option<Answer>, SharedError> {
    let Some(accept) = &miss.negotiated else {
        return Ok(None);
    };
    let fallbacks: Vec<Miss> = cheaper(miss.variant.format, accept.as_deref())
        .into_iter()
        .map(|f| miss.in_format(state, f))
        .collect();
    let degraded = |answer| match answer {
        Answer::Image { bytes, format, .. } => Answer::Degraded {
            bytes,
            format,
            reason: Degradation::Format,
        },
        other => other,
    };
    for fallback in &fallbacks {
        if let Some(hit) = state
            .caches
            .for_source(&fallback.source)
            .get(&fallback.key)
            .await
        {
            return Ok(Some(Answer::Degraded {
                bytes: hit.bytes,
                format: hit.format,
                reason: Degradation::Format,
            }));
        }
    }
    if rejection.reason != RejectReason::Full || crate::source::Source::is_remote(&miss.source) {
        return Ok(None);
    }
    for fallback in &fallbacks {
        if let Ok(waiter) = admit(state, fallback, None, false) {
            let outcome = waiter.outcome().await?;
            return Ok(Some(degraded(rendered(&outcome, false))));
        }
    }
    Ok(None)
}

/// The refusal with a uniform image: of the format asked (the source's for "as source"
/// when its header is known, else JPEG), of the exact output size when the source's
/// header is known, else of the size the URL names; the source's mean colour when a
/// render has seen it, else grey (AVIF is always grey: its tile is encoded once).
fn placeholder(state: &AppState, miss: &Miss, rejection: Rejection) -> Answer {
    let estimate = miss.estimate(state);
    let format = match (miss.variant.format, estimate) {
        (OutputFormat::Is(f), _) => f,
        (OutputFormat::AsSource, Some(e)) => e.format,
        (OutputFormat::AsSource, None) => Format::Jpeg,
    };
    let (width, height) = match estimate {
        Some(e) => (e.width, e.height),
        None => named_size(&miss.variant.resize),
    };
    let colour = miss.facts(state).colour.unwrap_or(NEUTRAL_GREY);
    Answer::Placeholder {
        bytes: state.placeholders.image(format, width, height, colour),
        format,
        rejection,
    }
}

/// The size a URL names without the source's: its box, square when one side is named,
/// one pixel when none is.
fn named_size(resize: &Resize) -> (u32, u32) {
    let scale = |v: u32| (v as f64 * resize.dpr).round().clamp(1.0, 4096.0) as u32;
    match (resize.width, resize.height) {
        (0, 0) => (1, 1),
        (w, 0) => (scale(w), scale(w)),
        (0, h) => (scale(h), scale(h)),
        (w, h) => (scale(w), scale(h)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

    #[test]
    fn avif_falls_back_to_webp_when_accepted_then_to_the_source_format() {
        let avif = OutputFormat::Is(Format::Avif);
        let webp = OutputFormat::Is(Format::Webp);
        assert_eq!(
            cheaper(avif, Some(CHROME)),
            vec![webp, OutputFormat::AsSource]
        );
        assert_eq!(
            cheaper(avif, Some("image/avif,*/*")),
            vec![OutputFormat::AsSource]
        );
        assert_eq!(cheaper(webp, Some(CHROME)), vec![OutputFormat::AsSource]);
        assert!(cheaper(OutputFormat::AsSource, Some(CHROME)).is_empty());
        assert!(cheaper(OutputFormat::Is(Format::Jpeg), Some(CHROME)).is_empty());
    }

    #[test]
    fn the_named_size_without_a_header() {
        let mut r = Resize::NONE;
        assert_eq!(named_size(&r), (1, 1));
        r.width = 300;
        assert_eq!(named_size(&r), (300, 300));
        r.height = 200;
        r.dpr = 2.0;
        assert_eq!(named_size(&r), (600, 400));
    }
}
