//! The cache key of a variant: a hash of the typed source reference and its version, the
//! variant's canonical encoding and everything else that changes the output bytes
//! (encoder settings, renderer version). Equal keys mean byte-identical variants, and a
//! variant asked for in either dialect has one key.

use super::{SourceRef, Variant};
use std::fmt;

/// Bumped whenever a change to the renderer changes output bytes, so that old cached
/// variants are never served for new code.
pub(crate) const RENDER_VERSION: u32 = 2;

/// A 256-bit variant key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VariantKey(pub [u8; 32]);

impl VariantKey {
    /// Derives the key. `source_version` is whatever identifies the source's content
    /// (an S3 ETag, a file's size and modification time); `settings` fingerprints the
    /// encoder settings.
    pub fn new(
        source: &SourceRef,
        source_version: &str,
        variant: &Variant,
        settings: &str,
    ) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(&RENDER_VERSION.to_le_bytes());
        // Length-prefix each field so that no two field lists hash alike.
        let source = source.to_string();
        for field in [&*source, source_version, &variant.canonical(), settings] {
            h.update(&(field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
        VariantKey(*h.finalize().as_bytes())
    }

    /// Lower-case hex, as used in ETags and logs.
    pub fn to_hex(&self) -> String {
        use fmt::Write;
        let mut s = String::with_capacity(64);
        for b in self.0 {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

impl fmt::Debug for VariantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VariantKey({})", &self.to_hex()[..16])
    }
}

impl fmt::Display for VariantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::iiif::parse_params;

    fn local(id: &str) -> SourceRef {
        SourceRef::Local(id.into())
    }

    #[test]
    fn equivalent_urls_share_a_key_and_others_do_not() {
        let a = parse_params("full/max/360/default.jpg").unwrap();
        let b = parse_params("full/max/0/default.jpg").unwrap();
        let c = parse_params("full/max/0/default.png").unwrap();
        let k = |v: &Variant, ver: &str| VariantKey::new(&local("id"), ver, v, "q80");
        assert_eq!(k(&a, "v1"), k(&b, "v1"));
        assert_ne!(k(&b, "v1"), k(&c, "v1"));
        assert_ne!(k(&b, "v1"), k(&b, "v2"));
        assert_ne!(
            VariantKey::new(&local("ab"), "c", &b, ""),
            VariantKey::new(&local("a"), "bc", &b, "")
        );
        let s3 = SourceRef::S3 {
            bucket: "id".into(),
            key: "x".into(),
        };
        assert_ne!(k(&b, "v1"), VariantKey::new(&s3, "v1", &b, "q80"));
    }

    #[test]
    fn refusing_and_clamping_upscales_share_a_key() {
        // IIIF `400,` refuses a larger size where imgproxy clamps; where both render,
        // they render the same pixels.
        let iiif = parse_params("full/400,/0/default.jpg").unwrap();
        let mut clamp = iiif.clone();
        clamp.resize.upscale = crate::variant::Upscale::Clamp;
        let k = |v: &Variant| VariantKey::new(&local("id"), "v", v, "");
        assert_eq!(k(&iiif), k(&clamp));
        clamp.resize.upscale = crate::variant::Upscale::Allow;
        assert_ne!(k(&iiif), k(&clamp));
    }
}
