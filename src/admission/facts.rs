//! What is known of a source version without reading it again: its header (size,
//! format, orientation), from `info.json` or from a render, and its mean colour, from a
//! render. Admission weighs jobs and sizes placeholders with it; `info.json` answers from
//! it. Bounded: past its capacity the map is cleared and refilled.

use crate::render::Probe;
use crate::variant::SourceId;
use std::collections::HashMap;
use std::sync::Mutex;

/// One source version's facts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// Its header.
    pub(crate) probe: Option<Probe>,
    /// The mean colour of its last render.
    pub(crate) colour: Option<[u8; 3]>,
}

/// Facts by source reference (canonical text) and version.
#[derive(Debug, Default)]
pub(crate) struct SourceFacts {
    map: Mutex<HashMap<(String, String), Facts>>,
}

impl SourceFacts {
    /// Entries kept before the map is cleared and refilled.
    const CAPACITY: usize = 4096;

    /// What is known of `source` at `version`.
    pub(crate) fn get(&self, source: &str, version: &str) -> Facts {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(source.to_owned(), version.to_owned()))
            .copied()
            .unwrap_or_default()
    }

    /// The header of `source` at `version`, if known.
    pub(crate) fn probe(&self, source: &str, version: &str) -> Option<Probe> {
        self.get(source, version).probe
    }

    /// Forgets every version of the source `id` names (a purge); returns the versions
    /// forgotten.
    pub(crate) fn purge(&self, id: SourceId) -> usize {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let before = map.len();
        map.retain(|(source, _), _| SourceId::of_text(source) != id);
        before - map.len()
    }

    /// Adds what was learned; `None` keeps what was known.
    pub(crate) fn learn(&self, source: &str, version: &str, learned: Facts) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        let known = map
            .entry((source.to_owned(), version.to_owned()))
            .or_default();
        known.probe = learned.probe.or(known.probe);
        known.colour = learned.colour.or(known.colour);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::SourceFormat;

    #[test]
    fn facts_accumulate_per_version() {
        let facts = SourceFacts::default();
        let probe = Probe {
            format: SourceFormat::Jpeg,
            width: 640,
            height: 480,
            orientation: 1,
            frames: 1,
        };
        facts.learn(
            "local:///a.jpg",
            "v1",
            Facts {
                probe: Some(probe),
                colour: None,
            },
        );
        facts.learn(
            "local:///a.jpg",
            "v1",
            Facts {
                probe: None,
                colour: Some([1, 2, 3]),
            },
        );
        let known = facts.get("local:///a.jpg", "v1");
        assert_eq!(known.probe, Some(probe));
        assert_eq!(known.colour, Some([1, 2, 3]));
        assert_eq!(facts.get("local:///a.jpg", "v2"), Facts::default());
        facts.learn("local:///a.jpg", "v2", known);
        facts.learn("local:///b.jpg", "v1", known);
        assert_eq!(facts.purge(SourceId::of_text("local:///a.jpg")), 2);
        assert_eq!(facts.get("local:///a.jpg", "v1"), Facts::default());
        assert_eq!(facts.get("local:///b.jpg", "v1"), known);
    }
}
