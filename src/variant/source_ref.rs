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
}
