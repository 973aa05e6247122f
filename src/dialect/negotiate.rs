//! Format negotiation: a URL that names no format is answered in the first format of the
//! configured order (`VIGNETTE_AUTO_FORMATS`, AVIF then WebP by default) that the request's
//! `Accept` names explicitly with a non-zero quality, else in the source's own format.
//! Wildcards do not count: `image/*` is sent by browsers that cannot decode AVIF.
//!
//! An animated source is never turned into a still by negotiation: when the format chosen
//! cannot animate (AVIF, JPEG), the variant also says what an animation becomes
//! ([`animation`]): the first format of the order that animates and is accepted (WebP),
//! else the source's own format (GIF stays GIF).

use crate::variant::{Animation, Format, OutputFormat};

/// Whether `accept` names `media_type` (case-insensitively) with a quality above zero.
fn accepts(accept: &str, media_type: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or_default().trim();
        if !name.eq_ignore_ascii_case(media_type) {
            return false;
        }
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .filter_map(|q| q.trim().parse::<f64>().ok())
            .next()
            .unwrap_or(1.0);
        q > 0.0
    })
}

/// The format to answer in, for a request whose `Accept` header is `accept`.
pub(crate) fn choose(accept: Option<&str>, order: &[Format]) -> OutputFormat {
    let accept = accept.unwrap_or_default();
    order
        .iter()
        .find(|f| accepts(accept, f.media_type()))
        .map(|&f| OutputFormat::Is(f))
        .unwrap_or(OutputFormat::AsSource)
}

/// What an animated source becomes when the format was negotiated as `chosen`.
pub(crate) fn animation(chosen: OutputFormat, accept: Option<&str>, order: &[Format]) -> Animation {
    let animates = |f: Format| matches!(f, Format::Webp | Format::Gif | Format::Png);
    match chosen {
        OutputFormat::Is(f) if !animates(f) => {
            let animated: Vec<Format> = order.iter().copied().filter(|&f| animates(f)).collect();
            Animation::As(choose(accept, &animated))
        }
        _ => Animation::InFormat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: [Format; 2] = [Format::Avif, Format::Webp];
    /// `<img>` requests' `Accept` as MDN lists them.
    const CHROMIUM: &str = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8";
    const FIREFOX: &str = "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";
    const SAFARI: &str = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5";

    #[test]
    fn browsers() {
        let is = OutputFormat::Is;
        assert_eq!(choose(Some(CHROMIUM), &DEFAULT), is(Format::Avif));
        assert_eq!(choose(Some(FIREFOX), &DEFAULT), is(Format::Avif));
        assert_eq!(choose(Some(SAFARI), &DEFAULT), is(Format::Webp));
        assert_eq!(choose(Some("*/*"), &DEFAULT), OutputFormat::AsSource);
        assert_eq!(choose(Some("image/*"), &DEFAULT), OutputFormat::AsSource);
        assert_eq!(choose(None, &DEFAULT), OutputFormat::AsSource);
    }

    #[test]
    fn order_quality_and_case() {
        let is = OutputFormat::Is;
        let webp_first = [Format::Webp, Format::Avif];
        assert_eq!(choose(Some(CHROMIUM), &webp_first), is(Format::Webp));
        assert_eq!(choose(Some(CHROMIUM), &[]), OutputFormat::AsSource);
        assert_eq!(
            choose(Some("image/avif;q=0, image/webp"), &DEFAULT),
            is(Format::Webp)
        );
        assert_eq!(
            choose(Some("IMAGE/AVIF ; q=0.5"), &DEFAULT),
            is(Format::Avif)
        );
        assert_eq!(
            choose(Some("image/avifx,image/webp2"), &DEFAULT),
            OutputFormat::AsSource
        );
    }

    #[test]
    fn animations_stay_animated() {
        let is = OutputFormat::Is;
        let avif = choose(Some(CHROMIUM), &DEFAULT);
        assert_eq!(
            animation(avif, Some(CHROMIUM), &DEFAULT),
            Animation::As(is(Format::Webp))
        );
        // AVIF alone accepted: the source's own format.
        assert_eq!(
            animation(is(Format::Avif), Some("image/avif"), &DEFAULT),
            Animation::As(OutputFormat::AsSource)
        );
        // WebP or the source's format already animate: nothing to say.
        assert_eq!(
            animation(is(Format::Webp), Some(SAFARI), &DEFAULT),
            Animation::InFormat
        );
        assert_eq!(
            animation(OutputFormat::AsSource, None, &DEFAULT),
            Animation::InFormat
        );
    }
}
