//! Client hints, applied to any dialect's request in one place: `Sec-CH-DPR` (or the
//! legacy `DPR`) sets the device pixel ratio and `Sec-CH-Width` (or `Width`, in physical
//! pixels) the width, where the URL leaves them unset, as imgproxy's
//! `IMGPROXY_ENABLE_CLIENT_HINTS` does. Answers that may depend on them say so in `Vary`.
//! Only Chromium-based browsers send these headers, and only to pages that asked for them
//! with `Accept-CH`.

use super::ImageRequest;
use axum::http::{HeaderMap, HeaderValue, header};

/// imgproxy's cap on a DPR taken from a header: above it, 8 is used.
const MAX_DPR: f64 = 8.0;

/// The headers a hinted answer varies on.
const VARY: &str = "Sec-CH-DPR, DPR, Sec-CH-Width, Width";

/// Applies the hints of `headers` to `request` when `enabled` and the request's grammar
/// allows them, adding the matching `Vary` to `extra` (the headers every answer to the
/// request carries, its `304` included). Unparseable or non-positive hints are ignored,
/// as a browser's hints are advice, not part of the URL.
pub(crate) fn apply(
    mut request: ImageRequest,
    mut extra: HeaderMap,
    headers: &HeaderMap,
    enabled: bool,
) -> (ImageRequest, HeaderMap) {
    if !enabled || !request.client_hints {
        return (request, extra);
    }
    extra.append(header::VARY, HeaderValue::from_static(VARY));
    let resize = &mut request.variant.resize;
    if resize.dpr == 1.0
        && let Some(dpr) = hint(headers, &["sec-ch-dpr", "dpr"]).filter(|d| *d > 0.0)
    {
        resize.dpr = dpr.min(MAX_DPR);
    }
    if resize.width == 0
        && let Some(width) = hint(headers, &["sec-ch-width", "width"]).filter(|w| *w >= 1.0)
    {
        // The hint counts physical pixels; the URL's width counts CSS pixels.
        resize.width = (width / resize.dpr).round().clamp(1.0, u32::MAX as f64) as u32;
    }
    (request, extra)
}

/// The first of `names` present, as a finite number.
fn hint(headers: &HeaderMap, names: &[&str]) -> Option<f64> {
    let value = names.iter().find_map(|n| headers.get(*n))?;
    value
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::imgproxy;

    fn request(path: &str) -> ImageRequest {
        imgproxy::parse(path, &imgproxy::Config::default(), 0).unwrap()
    }

    fn hinted(path: &str, pairs: &[(&'static str, &'static str)]) -> (ImageRequest, HeaderMap) {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        apply(request(path), HeaderMap::new(), &headers, true)
    }

    #[test]
    fn dpr_and_width_fill_what_the_url_leaves_unset() {
        let (r, extra) = hinted(
            "/_/plain/local:///a.jpg",
            &[("sec-ch-dpr", "2"), ("sec-ch-width", "640")],
        );
        assert_eq!((r.variant.resize.dpr, r.variant.resize.width), (2.0, 320));
        assert_eq!(extra[header::VARY], VARY);
        let (r, _) = hinted("/_/w:100/dpr:3/plain/local:///a.jpg", &[("dpr", "2")]);
        assert_eq!((r.variant.resize.dpr, r.variant.resize.width), (3.0, 100));
        let (r, _) = hinted("/_/plain/local:///a.jpg", &[("width", "500")]);
        assert_eq!((r.variant.resize.dpr, r.variant.resize.width), (1.0, 500));
    }

    #[test]
    fn dpr_is_capped_and_nonsense_ignored() {
        let (r, _) = hinted("/_/w:10/plain/local:///a.jpg", &[("sec-ch-dpr", "20")]);
        assert_eq!(r.variant.resize.dpr, 8.0);
        for bad in ["0", "-1", "NaN", "inf", "two", ""] {
            let mut headers = HeaderMap::new();
            headers.insert("dpr", HeaderValue::from_str(bad).unwrap());
            headers.insert("width", HeaderValue::from_str(bad).unwrap());
            let (r, _) = apply(
                request("/_/plain/local:///a.jpg"),
                HeaderMap::new(),
                &headers,
                true,
            );
            assert_eq!(
                (r.variant.resize.dpr, r.variant.resize.width),
                (1.0, 0),
                "{bad}"
            );
        }
    }

    #[test]
    fn off_or_not_allowed_changes_nothing() {
        let mut headers = HeaderMap::new();
        headers.insert("dpr", HeaderValue::from_static("2"));
        let plain = request("/_/plain/local:///a.jpg");
        let (r, extra) = apply(plain.clone(), HeaderMap::new(), &headers, false);
        assert!(r == plain && extra.is_empty());
        let mut exact = plain.clone();
        exact.client_hints = false;
        let (r, extra) = apply(exact.clone(), HeaderMap::new(), &headers, true);
        assert!(r == exact && extra.is_empty());
    }
}
