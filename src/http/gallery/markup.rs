//! The markup a page needs to show one image responsively, in both dialects: the
//! candidate widths, the URLs, the `srcset`/`sizes` pair that matches the gallery's
//! layout, and the placeholder style. The gallery shows this markup and offers it for
//! copying, so it is written once here for both.

use crate::lqip::Lqip;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Widths offered in `srcset`, in CSS-independent pixels: steps of about 1.5× from
/// a phone's thumbnail to a 2× desktop column, capped at the source's width.
const WIDTHS: [u32; 8] = [160, 320, 480, 640, 960, 1280, 1920, 2560];

/// The image column of the gallery's layout (`gallery.css`): 560 CSS px from a
/// 1000 px viewport on, else the viewport less the page's margins.
pub(super) const SIZES: &str = "(min-width: 1000px) 560px, calc(100vw - 32px)";

/// Characters kept as they are in a file name inside a URL: RFC 3986 unreserved.
const KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One image of the gallery: its identifier (a file name) and displayed size.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) width: u32,
    pub(super) height: u32,
}

/// How URLs are written: the base (`http://host`) and, when URLs must be signed, the
/// signer.
pub(super) struct Urls<'a> {
    pub(super) base: String,
    pub(super) signing: &'a crate::dialect::imgproxy::Signing,
}

impl Urls<'_> {
    /// An imgproxy URL of `options` (`w:640`, …) on the local file `name`.
    pub(super) fn imgproxy(&self, options: &str, name: &str) -> String {
        let path = format!(
            "/{options}/plain/local:///{}",
            utf8_percent_encode(name, KEEP)
        );
        format!("{}/{}{path}", self.base, self.sign(&path))
    }

    /// The imgproxy info URL of `name`, every field on.
    pub(super) fn info(&self, name: &str) -> String {
        let path = format!("/plain/local:///{}", utf8_percent_encode(name, KEEP));
        format!("{}/info/{}{path}", self.base, self.sign(&path))
    }

    /// The signature of `path`, or `insecure` when URLs are not checked.
    fn sign(&self, path: &str) -> String {
        self.signing
            .sign(path)
            .unwrap_or_else(|| "insecure".to_owned())
    }

    /// A IIIF URL of `name` at width `w` in `ext`.
    fn iiif(&self, name: &str, w: u32, ext: &str) -> String {
        format!(
            "{}/iiif/3/{}/full/{w},/0/default.{ext}",
            self.base,
            utf8_percent_encode(name, KEEP)
        )
    }
}

/// The widths offered for a source `width` wide: every step below it, then its own.
pub(super) fn widths(width: u32) -> Vec<u32> {
    let mut out: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w < width).collect();
    out.push(width.min(WIDTHS[WIDTHS.len() - 1]));
    out
}

/// `&`, `<`, `>`, `"` and `'` escaped, for text and attribute values.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The placeholder attributes: the dominant colour and the tiny image under the real
/// one, cleared once it has loaded (transparent images would show it through).
fn placeholder(info: Option<&Lqip>) -> String {
    match info {
        Some(i) => format!(
            " style=\"background:{} url({}) center/cover no-repeat\" onload=\"this.style.background='none'\"",
            i.dominant.hex(),
            i.placeholder
        ),
        None => String::new(),
    }
}

/// The `<img>` in imgproxy's dialect: the format is negotiated (AVIF, WebP, else the
/// source's), so one `srcset` serves every browser.
pub(super) fn imgproxy_img(urls: &Urls<'_>, e: &Entry, info: Option<&Lqip>) -> String {
    let ws = widths(e.width);
    let srcset: Vec<String> = ws
        .iter()
        .map(|w| format!("{} {w}w", urls.imgproxy(&format!("w:{w}"), &e.name)))
        .collect();
    let fallback = ws.iter().copied().find(|w| *w >= 640).unwrap_or(e.width);
    format!(
        "<img src=\"{}\"\n     srcset=\"{}\"\n     sizes=\"{SIZES}\"\n     width=\"{}\" height=\"{}\" alt=\"{}\" loading=\"lazy\" decoding=\"async\"{}>",
        escape(&urls.imgproxy(&format!("w:{fallback}"), &e.name)),
        escape(&srcset.join(",\n             ")),
        e.width,
        e.height,
        escape(&e.name),
        placeholder(info),
    )
}

/// The same image in IIIF's dialect, where every URL names its format: a `<picture>`
/// offering AVIF, then WebP, then PNG (alpha) or JPEG.
pub(super) fn iiif_picture(urls: &Urls<'_>, e: &Entry, info: Option<&Lqip>) -> String {
    let ws = widths(e.width);
    let set = |ext: &str| {
        ws.iter()
            .map(|w| format!("{} {w}w", urls.iiif(&e.name, *w, ext)))
            .collect::<Vec<_>>()
            .join(",\n                  ")
    };
    let last = if info.is_some_and(|i| i.alpha.transparent) {
        "png"
    } else {
        "jpg"
    };
    let fallback = ws.iter().copied().find(|w| *w >= 640).unwrap_or(e.width);
    format!(
        "<picture>\n  <source type=\"image/avif\"\n          srcset=\"{}\"\n          sizes=\"{SIZES}\">\n  <source type=\"image/webp\"\n          srcset=\"{}\"\n          sizes=\"{SIZES}\">\n  <img src=\"{}\"\n       srcset=\"{}\"\n       sizes=\"{SIZES}\"\n       width=\"{}\" height=\"{}\" alt=\"{}\" loading=\"lazy\" decoding=\"async\"{}>\n</picture>",
        escape(&set("avif")),
        escape(&set("webp")),
        escape(&urls.iiif(&e.name, fallback, last)),
        escape(&set(last)),
        e.width,
        e.height,
        escape(&e.name),
        placeholder(info),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::imgproxy::Signing;

    #[test]
    fn widths_stop_at_the_source() {
        assert_eq!(widths(1000), vec![160, 320, 480, 640, 960, 1000]);
        assert_eq!(widths(640), vec![160, 320, 480, 640]);
        assert_eq!(widths(100), vec![100]);
        assert_eq!(widths(4000).last(), Some(&2560));
    }

    #[test]
    fn urls_are_encoded_signed_and_escaped() {
        let none = Signing::default();
        let urls = Urls {
            base: "http://h".into(),
            signing: &none,
        };
        assert_eq!(
            urls.imgproxy("w:320", "a b&.jpg"),
            "http://h/insecure/w:320/plain/local:///a%20b%26.jpg"
        );
        assert_eq!(
            urls.info("a.jpg"),
            "http://h/info/insecure/plain/local:///a.jpg"
        );
        let signing = Signing {
            pairs: vec![(b"k".to_vec(), b"s".to_vec())],
            size: 32,
        };
        let signed = Urls {
            base: String::new(),
            signing: &signing,
        };
        let sig = signing.sign("/w:1/plain/local:///a.jpg").unwrap();
        assert_eq!(
            signed.imgproxy("w:1", "a.jpg"),
            format!("/{sig}/w:1/plain/local:///a.jpg")
        );
        let e = Entry {
            name: "<x>\".png".into(),
            width: 300,
            height: 200,
        };
        let img = imgproxy_img(&urls, &e, None);
        assert!(img.contains("alt=\"&lt;x&gt;&quot;.png\"") && !img.contains("<x>"));
        assert!(img.contains("width=\"300\" height=\"200\""));
        let picture = iiif_picture(&urls, &e, None);
        assert!(picture.contains("/iiif/3/%3Cx%3E%22.png/full/300,/0/default.avif 300w"));
    }
}
