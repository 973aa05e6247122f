//! Not an API: the internals that the integration tests (`tests/`), benches, examples
//! and fuzz targets (`fuzz/`) reach, re-exported in one place so that every module can
//! stay `pub(crate)`. Hidden from the docs; names and signatures change with the code.
//! Grouped like the modules they come from.

/// The slot cache, its stores and its simulations.
pub mod cache {
    pub use crate::cache::{
        CacheMetrics, CacheSettings, Fetched, INDEX_NAME, LocalDirStore, Put, S3Store, Share,
        SlotCache, SlotStore, StoreError, sim, sim_shared, slot_name,
    };
}

/// Flags and settings beyond the public [`crate::Settings`].
pub mod config {
    pub use crate::config::{
        AdminToken, CacheStoreChoice, InSourceBuckets, OverloadAnswer, SourceChoice,
    };
}

/// The URL grammars.
pub mod dialect {
    pub use crate::dialect::iiif::parse_params;
    pub use crate::dialect::imgproxy::{Config, Presets, Signing, parse};
}

/// The fuzz targets' checks (`src/fuzzing/`).
pub mod fuzzing {
    pub use crate::fuzzing::{Reader, TARGETS, exif, header, iiif_url, imgproxy_url, jpeg_dc};
}

/// The worker pool and its clocks.
pub mod pool {
    pub use crate::pool::{Clock, Job, JobKind, ManualClock, Rejection, SystemClock, WorkerPool};
}

/// The rendering pipeline, whole and by stage.
pub mod render {
    pub use crate::render::{
        Deadline, EncodeSettings, IntermediateCache, Limits, RenderError, Rendered, SourceFormat,
        SourceKey, probe, render, render_cached, render_keeping,
    };

    /// The pipeline's stages one by one, for the benches.
    pub mod stages {
        pub use crate::render::stages::{
            StageImage, box_shrink, decode, decode_dc, encode, resize,
        };
    }
}

/// The S3 client.
pub mod s3 {
    pub use crate::s3::{S3Client, S3Credentials, S3Metrics, S3Settings};
}

/// The image sources.
pub mod source {
    pub use crate::source::http::{AllowedSources, Fetched, HttpSource, HttpSourceSettings};
    pub use crate::source::{
        Buckets, LocalSource, S3Source, S3SourceSettings, SourceError, SourceMeta,
    };
}

/// The request model, its plan and its key.
pub mod variant {
    pub use crate::variant::key::VariantKey;
    pub use crate::variant::plan::resolve;
    pub use crate::variant::{Format, PlanLimits, SourceId, Variant};
}
