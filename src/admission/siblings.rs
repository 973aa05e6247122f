//! The other sizes of a variant that were rendered: under overload, one of them that is
//! close enough to the requested size is served instead of a refusal (a *degraded*
//! answer). Variants are grouped by their *shape*: the source version and every option
//! but the size, so that a sibling differs from the request in size only (same region,
//! rotation, filters, format). Bounded, in memory, per instance.

use crate::variant::key::VariantKey;
use crate::variant::{SourceRef, Variant};
use std::collections::HashMap;
use std::sync::Mutex;

/// A variant with its size left out, hashed with its source and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Shape(VariantKey);

impl Shape {
    /// The shape of `variant` of `source` at `version`.
    pub(crate) fn of(source: &SourceRef, version: &str, variant: &Variant, settings: &str) -> Self {
        let mut sizeless = variant.clone();
        let r = &mut sizeless.resize;
        (r.width, r.height, r.min_width, r.min_height) = (0, 0, 0, 0);
        r.zoom = (1.0, 1.0);
        r.dpr = 1.0;
        Shape(VariantKey::new(source, version, &sizeless, settings))
    }
}

/// One rendered size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sibling {
    /// Its cache key.
    pub(crate) key: VariantKey,
    /// Its size.
    pub(crate) width: u32,
    /// Its size.
    pub(crate) height: u32,
}

/// Rendered sizes by shape.
#[derive(Debug, Default)]
pub(crate) struct Siblings {
    map: Mutex<HashMap<Shape, Vec<Sibling>>>,
}

impl Siblings {
    /// Shapes kept before the map is cleared and refilled.
    const CAPACITY: usize = 16_384;
    /// Sizes kept per shape (the oldest goes).
    const PER_SHAPE: usize = 16;

    /// Remembers a render of that shape.
    pub(crate) fn record(&self, shape: Shape, sibling: Sibling) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::CAPACITY && !map.contains_key(&shape) {
            map.clear();
        }
        let sizes = map.entry(shape).or_default();
        sizes.retain(|s| s.key != sibling.key);
        if sizes.len() >= Self::PER_SHAPE {
            sizes.remove(0);
        }
        sizes.push(sibling);
    }

    /// The renders of that shape whose width and height are both within `ratio` of
    /// `width`×`height`, closest first (the request's own key excluded).
    pub(crate) fn near(
        &self,
        shape: &Shape,
        exclude: &VariantKey,
        (width, height): (u32, u32),
        ratio: f64,
    ) -> Vec<Sibling> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let Some(sizes) = map.get(shape) else {
            return Vec::new();
        };
        let off = |have: u32, want: u32| (have as f64 / want.max(1) as f64 - 1.0).abs();
        let mut near: Vec<(f64, Sibling)> = sizes
            .iter()
            .filter(|s| s.key != *exclude)
            .map(|s| (off(s.width, width).max(off(s.height, height)), *s))
            .filter(|(d, _)| *d <= ratio)
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        near.into_iter().map(|(_, s)| s).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::iiif::parse_params;

    fn shape(params: &str) -> Shape {
        let v = parse_params(params).unwrap();
        Shape::of(&SourceRef::Local("a.jpg".into()), "v1", &v, "")
    }

    fn key(n: u8) -> VariantKey {
        VariantKey([n; 32])
    }

    #[test]
    fn sizes_of_one_shape_differ_in_size_only() {
        assert_eq!(
            shape("full/400,/0/default.jpg"),
            shape("full/380,/0/default.jpg")
        );
        assert_eq!(
            shape("full/!400,400/0/default.jpg"),
            shape("full/!300,300/0/default.jpg")
        );
        assert_ne!(
            shape("full/400,/0/default.jpg"),
            shape("full/400,/0/default.webp")
        );
        assert_ne!(
            shape("full/400,/0/default.jpg"),
            shape("square/400,/0/default.jpg")
        );
        assert_ne!(
            shape("full/400,/0/default.jpg"),
            shape("full/400,/90/default.jpg")
        );
    }

    #[test]
    fn the_closest_size_within_the_ratio_comes_first() {
        let s = Siblings::default();
        let sh = shape("full/400,/0/default.jpg");
        for (n, w) in [(1u8, 300u32), (2, 420), (3, 520), (4, 390)] {
            s.record(
                sh,
                Sibling {
                    key: key(n),
                    width: w,
                    height: w * 3 / 4,
                },
            );
        }
        let near = s.near(&sh, &key(9), (400, 300), 0.25);
        let keys: Vec<u8> = near.iter().map(|s| s.key.0[0]).collect();
        assert_eq!(
            keys,
            vec![4, 2, 1],
            "390 (2.5 %), 420 (5 %), 300 (25 %); 520 is 30 % off"
        );
        assert!(
            s.near(&sh, &key(4), (390, 292), 0.0).is_empty(),
            "own key excluded"
        );
        assert!(
            s.near(&shape("full/400,/0/default.png"), &key(9), (400, 300), 1.0)
                .is_empty()
        );
    }

    #[test]
    fn each_shape_keeps_a_bounded_number_of_sizes() {
        let s = Siblings::default();
        let sh = shape("full/400,/0/default.jpg");
        for n in 0..40u8 {
            let sib = Sibling {
                key: key(n),
                width: 400,
                height: 300,
            };
            s.record(sh, sib);
        }
        let near = s.near(&sh, &key(255), (400, 300), 0.0);
        assert_eq!(near.len(), Siblings::PER_SHAPE);
        assert!(
            near.iter()
                .all(|s| s.key.0[0] >= 40 - Siblings::PER_SHAPE as u8)
        );
    }
}
