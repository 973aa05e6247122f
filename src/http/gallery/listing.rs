//! The images the gallery shows: the files at the top of the images directory with an
//! image extension, not hidden, in name order, each with its displayed size read from
//! its header (files whose header cannot be read are left out).

use super::markup::Entry;
use crate::state::AppState;
use crate::variant::SourceRef;

/// Files listed at most: the page is a demonstration, not a file browser.
const MAX_ENTRIES: usize = 100;

/// Extensions of the files listed.
const EXTENSIONS: [&str; 9] = [
    "jpg", "jpeg", "png", "webp", "avif", "gif", "jxl", "heic", "heif",
];

/// The gallery's entries, read now.
pub(super) async fn list(state: &AppState) -> Vec<Entry> {
    let mut names = Vec::new();
    let Ok(mut dir) = tokio::fs::read_dir(&state.settings.images_dir).await else {
        return Vec::new();
    };
    while let Ok(Some(entry)) = dir.next_entry().await {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        if name.starts_with('.') || !ext.is_some_and(|e| EXTENSIONS.contains(&e.as_str())) {
            continue;
        }
        names.push(name);
    }
    names.sort();
    names.truncate(MAX_ENTRIES);
    let mut entries = Vec::with_capacity(names.len());
    for name in names {
        let source = SourceRef::Local(name.clone());
        // Through the source (which refuses what leaves the directory) and the probe
        // cache, as `info.json` reads headers.
        let Ok(meta) = state.source.stat(&source).await else {
            continue;
        };
        if let Ok(p) = super::super::info::probe(state, &source, &meta.version).await {
            entries.push(Entry {
                name,
                width: p.width,
                height: p.height,
            });
        }
    }
    entries
}
