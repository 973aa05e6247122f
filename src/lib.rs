//! vignette: an on-the-fly image CDN that fails fast under overload.
//!
//! # Layout
//! The modules follow the request path:
//! * `spec`: URL dialects (IIIF Image API 3.0) parsed into one normalised `Spec`, the
//!   plan that resolves it against an image, and the cache key.
//! * `source`: where source bytes come from (a local directory, S3).
//! * `render`: the synchronous CPU pipeline, run only on the worker pool.

pub mod render;
pub mod source;
pub mod spec;
