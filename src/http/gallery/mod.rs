//! The gallery at `/`: the local directory's images, each as the responsive `<img>` a
//! page would write (vignette URLs, negotiated format, `srcset`/`sizes`, placeholder),
//! with that markup to copy in both dialects; and `/gallery/thumbs`, 60 crops of the
//! largest image at once, to watch refusals under load and the hydration queue filling
//! the cache. Plain HTML, CSS and a little JavaScript, embedded in the binary. On only
//! when `--gallery` says so (by default on the embedded default alone: it lists files).

mod listing;
mod markup;

use super::iiif::{base_url, with_route};
use super::lqip::{info_key, lookup};
use crate::lqip::{Components, Lqip};
use crate::state::AppState;
use crate::variant::SourceRef;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use listing::list;
use markup::{Entry, Urls, escape};
use std::sync::Arc;

const PAGE: &str = include_str!("page.html");
const THUMBS: &str = include_str!("thumbs.html");
const CSS: &str = include_str!("gallery.css");
const JS: &str = include_str!("gallery.js");

/// Tiles of the thumbnails view: 10 columns by 6 rows of one photo.
const COLUMNS: u32 = 10;
const ROWS: u32 = 6;

/// `GET /`: the gallery.
pub(super) async fn page(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let entries = list(&state).await;
    let urls = Urls {
        base: base_url(&state, &headers),
        signing: &state.settings.imgproxy.signing,
    };
    // Placeholders are computed before the page is sent, so that they are in the markup
    // from the first byte, one per worker at a time (a page of many images must not fill
    // the queue in one burst); one that cannot be had now (overload) is left out. Later
    // views find them in memory, or their thumbnails in the slot cache.
    use futures_util::StreamExt;
    let pending = entries.iter().cloned().map(|e| {
        let state = state.clone();
        async move { info(&state, &e).await }
    });
    let infos: Vec<_> = futures_util::stream::iter(pending)
        .buffered(state.settings.queue.workers)
        .collect()
        .await;
    let mut items = String::new();
    for (e, info) in entries.iter().zip(&infos) {
        let info = info.as_deref();
        let img = markup::imgproxy_img(&urls, e, info);
        let picture = markup::iiif_picture(&urls, e, info);
        let caption = match info {
            Some(i) => format!(
                "{} × {} {}, {} bytes · average <span class=\"swatch\" style=\"background:{}\"></span> dominant <span class=\"swatch\" style=\"background:{}\"></span> · <a href=\"{}\">info</a>",
                e.width,
                e.height,
                i.format,
                i.size,
                i.average.hex(),
                i.dominant.hex(),
                escape(&urls.info(&e.name)),
            ),
            None => format!("{} × {}", e.width, e.height),
        };
        items.push_str(&format!(
            "<section class=\"item\">\n<figure>{img}<figcaption><b>{}</b> {caption}</figcaption></figure>\n<div class=\"snippets\">\n<h3>imgproxy URLs <button type=\"button\" class=\"copy\">copy</button></h3>\n<pre><code>{}</code></pre>\n<h3>IIIF URLs <button type=\"button\" class=\"copy\">copy</button></h3>\n<pre><code>{}</code></pre>\n</div>\n</section>\n",
            escape(&e.name),
            escape(&img),
            escape(&picture),
        ));
    }
    if entries.is_empty() {
        items.push_str("<p class=\"empty\">No image in the images directory yet: add JPEG, PNG, WebP, AVIF or GIF files and reload.</p>");
    }
    let html = PAGE
        .replace("{{count}}", &entries.len().to_string())
        .replace(
            "{{dir}}",
            &escape(&state.settings.images_dir.display().to_string()),
        )
        .replace("{{items}}", &items);
    html_response(html)
}

/// The info of a gallery entry, with every field, or `None` when it cannot be had now.
async fn info(state: &Arc<AppState>, e: &Entry) -> Option<Arc<Lqip>> {
    let source = SourceRef::Local(e.name.clone());
    let meta = state.source.stat(&source).await.ok()?;
    let key = info_key(state, &source, &meta.version, Components::DEFAULT);
    lookup(state, &source, meta, Components::DEFAULT, key)
        .await
        .ok()
}

/// `GET /gallery/thumbs`: 60 crops of the largest image, each a distinct variant.
pub(super) async fn thumbs(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let entries = list(&state).await;
    let Some(photo) = entries
        .iter()
        .max_by_key(|e| e.width as u64 * e.height as u64)
    else {
        return html_response(
            PAGE.replace("{{count}}", "0")
                .replace("{{dir}}", "")
                .replace(
                    "{{items}}",
                    "<p class=\"empty\">No image in the images directory.</p>",
                ),
        );
    };
    let urls = Urls {
        base: base_url(&state, &headers),
        signing: &state.settings.imgproxy.signing,
    };
    // Each tile is one cell of a 10×6 grid over the photo, cropped around its centre and
    // rendered at twice its displayed width: 60 distinct renders of one large source.
    let (fw, fh) = (1.0 / COLUMNS as f64, 1.0 / ROWS as f64);
    let tile_w = 2 * 1200 / COLUMNS;
    let mut tiles = String::new();
    for row in 0..ROWS {
        for col in 0..COLUMNS {
            let (x, y) = ((col as f64 + 0.5) * fw, (row as f64 + 0.5) * fh);
            let options = format!("c:{fw:.4}:{fh:.4}:fp:{x:.4}:{y:.4}/w:{tile_w}");
            tiles.push_str(&format!(
                "<img src=\"{}\" alt=\"\" decoding=\"async\">",
                escape(&urls.imgproxy(&options, &photo.name))
            ));
        }
    }
    let html = THUMBS
        .replace("{{name}}", &escape(&photo.name))
        .replace("{{size}}", &format!("{} × {}", photo.width, photo.height))
        .replace(
            "{{ratio}}",
            &format!("{} / {}", photo.width / COLUMNS, photo.height / ROWS),
        )
        .replace("{{tiles}}", &tiles);
    html_response(html)
}

/// `GET /gallery/{asset}`: the stylesheet and the script.
pub(super) async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "gallery.css" => (CSS, "text/css; charset=utf-8"),
        "gallery.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return with_route(StatusCode::NOT_FOUND.into_response(), "gallery"),
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    with_route(resp, "gallery")
}

/// An HTML page that asks Chromium for client hints, and is never cached (it lists the
/// directory as it is now).
fn html_response(html: String) -> Response {
    let mut resp = html.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "accept-ch",
        HeaderValue::from_static("Sec-CH-DPR, Sec-CH-Width"),
    );
    with_route(resp, "gallery")
}
