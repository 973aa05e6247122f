//! The typed name of a source image, as every dialect resolves it: a file under the images
//! directory, an object in an S3 bucket, or an HTTP(S) URL. Its canonical text is part of
//! the cache key, so one image named by two dialects shares its cached variants.

use std::fmt;

/// Which image a request is about, independent of the URL that named it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceRef {
    /// A path relative to the images directory (`local:///{path}`); the local source
    /// refuses anything that escapes the directory.
    Local(String),
    /// An object (`s3://{bucket}/{key}`); the S3 source refuses buckets outside its list.
    S3 {
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
    },
    /// An absolute `http://` or `https://` URL.
    Http(String),
}

impl SourceRef {
    /// The scheme of the reference, for allowlists and messages.
    pub fn scheme(&self) -> &'static str {
        match self {
            SourceRef::Local(_) => "local",
            SourceRef::S3 { .. } => "s3",
            SourceRef::Http(url) if url.starts_with("https:") => "https",
            SourceRef::Http(_) => "http",
        }
    }
}

impl SourceRef {
    /// The bounded identity of this source, as the caches that must forget it on a purge
    /// record it.
    pub fn id(&self) -> SourceId {
        SourceId::of_text(&self.to_string())
    }
}

/// A source's identity in 128 bits: a blake3 hash of its canonical text. What caches
/// remember to find a source's entries on a purge: bounded (16 bytes per entry however
/// long the URL) and free of the URL itself (a purge for legal reasons leaves no trace of
/// the name in the persisted index).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub [u8; 16]);

impl SourceId {
    /// The identity of a source given by its canonical text (`SourceRef`'s `Display`).
    pub fn of_text(canonical: &str) -> SourceId {
        let hash = blake3::hash(canonical.as_bytes());
        let mut id = [0; 16];
        id.copy_from_slice(&hash.as_bytes()[..16]);
        SourceId(id)
    }

    /// Lower-case hex (32 characters), as purge records name it.
    pub fn to_hex(&self) -> String {
        use fmt::Write;
        let mut s = String::with_capacity(32);
        for b in self.0 {
            let _ = write!(s, "{b:02x}");
        }
        s
    }

    /// Parses [`SourceId::to_hex`]'s form; `None` for anything else.
    pub fn from_hex(hex: &str) -> Option<SourceId> {
        if hex.len() != 32 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let mut id = [0; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(SourceId(id))
    }
}

impl fmt::Debug for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceId({})", &self.to_hex()[..12])
    }
}

impl fmt::Display for SourceRef {
    /// The canonical URL form: `local:///path`, `s3://bucket/key`, or the URL itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceRef::Local(path) => write!(f, "local:///{path}"),
            SourceRef::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            SourceRef::Http(url) => f.write_str(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(
            SourceRef::Local("a/b.jpg".into()).to_string(),
            "local:///a/b.jpg"
        );
        let s3 = SourceRef::S3 {
            bucket: "b".into(),
            key: "k/x.png".into(),
        };
        assert_eq!(s3.to_string(), "s3://b/k/x.png");
        assert_eq!(s3.scheme(), "s3");
        assert_eq!(SourceRef::Http("https://e.org/a".into()).scheme(), "https");
    }

    #[test]
    fn source_ids_follow_the_canonical_text_and_round_trip_as_hex() {
        let a = SourceRef::Local("a.jpg".into());
        assert_eq!(a.id(), SourceId::of_text("local:///a.jpg"));
        assert_ne!(a.id(), SourceRef::Local("a.jpeg".into()).id());
        let hex = a.id().to_hex();
        assert_eq!(hex.len(), 32);
        assert_eq!(SourceId::from_hex(&hex), Some(a.id()));
        for bad in ["", "xyz", &hex[..31], &hex.to_uppercase()] {
            assert_eq!(SourceId::from_hex(bad), None, "{bad}");
        }
    }
}
