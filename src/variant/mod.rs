//! The dialect-free description of a variant. URL dialects (`crate::dialect`) parse into a
//! [`Variant`] and a [`SourceRef`]; nothing after them knows which dialect was used: the
//! plan resolves a variant against an image, the key hashes its canonical encoding.

pub(crate) mod canonical;
pub(crate) mod geometry;
pub(crate) mod key;
mod model;
mod output;
pub(crate) mod plan;
mod sizing;
mod source_ref;

pub use model::Variant;
pub(crate) use model::{
    Extend, Filters, Gravity, GravityKind, Orient, Padding, Region, Resize, ResizeMode, Rgb,
    Rotation, Trim, Upscale,
};
pub use output::Format;
pub(crate) use output::{Animation, Colour, Metadata, OutputFormat};
pub use plan::PlanLimits;
pub(crate) use plan::Rect;
pub use source_ref::SourceId;
pub(crate) use source_ref::SourceRef;

/// Errors of a URL dialect and of resolving a variant against an image.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VariantError {
    /// The request does not follow the grammar (HTTP 400).
    #[error("{0}")]
    Malformed(String),
    /// The request is valid but asks for something vignette does not implement (HTTP 501).
    #[error("{0}")]
    Unsupported(String),
    /// The request is well formed but impossible for this image (HTTP 400), e.g. a region
    /// outside the image or a size above the region without `^`.
    #[error("{0}")]
    Invalid(String),
}
