//! The cache key of a variant: a hash of the source identity and version, the canonical
//! spec and everything else that changes the output bytes (encoder settings, renderer
//! version). Equal keys mean byte-identical variants.

use super::Spec;
use std::fmt;

/// Bumped whenever a change to the renderer changes output bytes, so that old cached
/// variants are never served for new code.
pub const RENDER_VERSION: u32 = 1;

/// A 256-bit variant key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VariantKey(pub [u8; 32]);

impl VariantKey {
    /// Derives the key. `source_version` is whatever identifies the source's content
    /// (an S3 ETag, a file's size and modification time); `settings` fingerprints the
    /// encoder settings.
    pub fn new(identifier: &str, source_version: &str, spec: &Spec, settings: &str) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(&RENDER_VERSION.to_le_bytes());
        // Length-prefix each field so that no two field lists hash alike.
        for field in [identifier, source_version, &spec.to_string(), settings] {
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

    /// Parses the hex form back.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hex = std::str::from_utf8(chunk).ok()?;
            out[i] = u8::from_str_radix(hex, 16).ok()?;
        }
        Some(VariantKey(out))
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
    use crate::spec::iiif::parse_params;

    #[test]
    fn equivalent_urls_share_a_key_and_others_do_not() {
        let a = parse_params("full/max/360/default.jpg").unwrap();
        let b = parse_params("full/max/0/default.jpg").unwrap();
        let c = parse_params("full/max/0/default.png").unwrap();
        let k = |s: &Spec, v: &str| VariantKey::new("id", v, s, "q80");
        assert_eq!(k(&a, "v1"), k(&b, "v1"));
        assert_ne!(k(&b, "v1"), k(&c, "v1"));
        assert_ne!(k(&b, "v1"), k(&b, "v2"));
        assert_ne!(
            VariantKey::new("ab", "c", &b, ""),
            VariantKey::new("a", "bc", &b, "")
        );
    }

    #[test]
    fn hex_round_trip() {
        let k = VariantKey::new(
            "id",
            "v",
            &parse_params("full/max/0/default.jpg").unwrap(),
            "",
        );
        assert_eq!(VariantKey::from_hex(&k.to_hex()), Some(k));
        assert_eq!(VariantKey::from_hex("zz"), None);
    }
}
