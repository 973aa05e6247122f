//! Configuration: command-line flags and `VIGNETTE_*` environment variables, parsed by
//! clap and validated once into typed [`Settings`]. Nothing downstream re-checks a value;
//! a bad value stops the start with a message that names the setting.

#[macro_use]
mod check;
mod admin;
mod browser;
mod cli;
mod dialect;
mod http_source;
mod listener;
mod overload;
mod share;
mod source_bucket_cache;
mod storage;
mod validate;

pub use admin::AdminToken;
use check::Check;
pub use cli::Cli;
pub use overload::OverloadAnswer;
pub(crate) use overload::OverloadSettings;

use crate::cache::CacheSettings;
use crate::pool::QueueParams;
use crate::render::{EncodeSettings, Limits};
use crate::s3::S3Settings;
use crate::source::http::HttpSourceSettings;
use crate::source::s3::S3SourceSettings;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A setting that failed validation.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {flag} ({env}) = '{value}': {reason}")]
pub struct ConfigError {
    /// The command-line flag.
    pub flag: &'static str,
    /// The environment variable.
    pub env: &'static str,
    /// The rejected value.
    pub value: String,
    /// Why.
    pub reason: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Public listener.
    pub listen: SocketAddr,
    /// Admin listener.
    pub admin_listen: SocketAddr,
    /// The admin API's bearer token; `None`: the admin API is off.
    pub admin_token: Option<AdminToken>,
    /// Local source directory.
    pub images_dir: PathBuf,
    /// Base for info.json ids, without a trailing slash.
    pub public_url: Option<String>,
    /// Queue and pool sizes.
    pub queue: QueueParams,
    /// Decode and output limits.
    pub limits: Limits,
    /// Encoder settings.
    pub encode: EncodeSettings,
    /// `Cache-Control: max-age` of images.
    pub cache_max_age: Duration,
    /// Per-render deadline.
    pub render_deadline: Duration,
    /// Grace period at shutdown.
    pub shutdown_grace: Duration,
    /// Bounds on the public listener's clients.
    pub http_limits: crate::http::HttpLimits,
    /// Log format.
    pub log_format: LogFormat,
    /// How to reach S3, when a bucket is configured.
    pub s3: Option<S3Settings>,
    /// Where images come from.
    pub source: SourceChoice,
    /// Where rendered variants are kept.
    pub cache: CacheChoice,
    /// The imgproxy dialect: signatures and presets.
    pub imgproxy: crate::dialect::imgproxy::Config,
    /// Formats negotiated from `Accept`, in order of preference.
    pub auto_formats: Vec<crate::variant::Format>,
    /// The failure mode's answers: degradations, then the refusal's body.
    pub overload: OverloadSettings,
    /// Whether `/` serves the gallery page (`--gallery`, `auto` resolved).
    pub gallery: bool,
    /// Whether client hints size imgproxy URLs (`--client-hints`).
    pub client_hints: bool,

    // Performance settings
    /// Bytes of decoded sources kept by the intermediate cache (0: off).
    pub intermediate_cache_bytes: usize,
    /// HTTP(S) origins: allowlist, address rules, bounds, source cache.
    pub http_source: HttpSourceSettings,
}

/// The configured image source.
#[derive(Debug, Clone)]
pub enum SourceChoice {
    /// The images directory (`images_dir`).
    Local,
    /// S3 bucket(s).
    S3(S3SourceSettings),
}

/// Where the slot cache lives.
#[derive(Debug, Clone)]
pub enum CacheStoreChoice {
    /// A local directory.
    Dir(PathBuf),
    /// A bucket and key prefix, with the cache's own call timeout.
    S3 {
        /// Bucket.
        bucket: String,
        /// Key prefix of the slot objects and the index.
        prefix: String,
        /// Bound on one S3 call of the cache.
        timeout: Duration,
    },
}

/// The slot cache's store and settings.
#[derive(Debug, Clone)]
pub struct CacheChoice {
    /// Where.
    pub store: CacheStoreChoice,
    /// Sizes and timings.
    pub settings: CacheSettings,
    /// `--cache-in-source-bucket`: a slot cache in each source bucket, for the variants
    /// of that bucket's images (`None`: off, every variant in `store`).
    pub in_source_buckets: Option<InSourceBuckets>,
}

/// The slot caches kept in the source buckets themselves, one per bucket, each with the
/// slot count and object bound of [`CacheChoice::settings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InSourceBuckets {
    /// Every bucket images may come from (the allowlist, or the single bucket): only
    /// these ever get a cache.
    pub buckets: Vec<String>,
    /// Key prefix of each cache's objects in its bucket (never empty: the bucket holds
    /// the images too).
    pub prefix: String,
    /// Bound on one S3 call of these caches.
    pub timeout: Duration,
}

/// Default worker count: one per core. The render threads run at a lower priority
/// (`--worker-nice`, 10 by default), so the threads that answer refusals and hits still get
/// a core at once; measured against `cores − 1` at nice 0 in `docs/overload.md`.
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(1)
}

impl Settings {
    /// Settings for tests and embedding: the defaults, with the local source in `dir`,
    /// the slot cache in `dir/.cache` and both listeners on ephemeral loopback ports.
    pub fn for_dir(dir: impl Into<PathBuf>) -> Settings {
        let cli = Cli::parse_from([
            "vignette",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ]);
        let mut s = cli.validate().expect("defaults are valid");
        s.images_dir = dir.into();
        // A hidden directory: the local source never serves it.
        s.cache.store = CacheStoreChoice::Dir(s.images_dir.join(".cache"));
        s
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Settings from these flags (and the environment), as `main` validates them.
    pub(crate) fn parse(args: &[&str]) -> Result<Settings, ConfigError> {
        let mut all = vec!["vignette"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("clap accepts").validate()
    }

    #[test]
    fn defaults_are_valid() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(s.admin_listen, "127.0.0.1:9090".parse().unwrap());
        assert_eq!(s.limits.max_source_pixels, 50_000_000);
        assert_eq!(s.limits.max_source_bytes, 64 << 20);
        assert!(s.queue.workers >= 1);
        assert_eq!(s.queue.codel.target, Duration::from_millis(500));
        assert_eq!(s.queue.codel.interval, Duration::from_secs(5));
    }

    #[test]
    fn jpeg_optimize_is_a_switch_that_changes_cache_keys() {
        let on = parse(&[]).unwrap().encode;
        let off = parse(&["--jpeg-optimize", "false"]).unwrap().encode;
        assert!(on.jpeg_optimize && !off.jpeg_optimize);
        assert!(
            parse(&["--jpeg-optimize", "ON"])
                .unwrap()
                .encode
                .jpeg_optimize
        );
        // Optimize on, the default, adds nothing to the fingerprint: turning it on is no new
        // key. (WebP method 2 and AVIF speed 9 are the defaults since docs/performance.md's
        // speed work; caches filled before re-render once.)
        assert_eq!(on.fingerprint(), "j80w80m2a60s9");
        assert_ne!(on.fingerprint(), off.fingerprint());
    }

    #[test]
    fn byte_sizes_accept_units() {
        assert_eq!(
            parse(&["--max-source-bytes", "5MB"])
                .unwrap()
                .limits
                .max_source_bytes,
            5_000_000
        );
        assert_eq!(
            parse(&["--max-source-bytes", "2KiB"])
                .unwrap()
                .limits
                .max_source_bytes,
            2048
        );
        assert_eq!(
            parse(&["--max-source-bytes", "1_000"])
                .unwrap()
                .limits
                .max_source_bytes,
            1000
        );
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (args, flag, env) in [
            (&["--workers", "0"][..], "--workers", "VIGNETTE_WORKERS"),
            (&["--workers", "many"][..], "--workers", "VIGNETTE_WORKERS"),
            (&["--listen", "nowhere"][..], "--listen", "VIGNETTE_LISTEN"),
            (
                &["--max-source-bytes", "12XB"][..],
                "--max-source-bytes",
                "VIGNETTE_MAX_SOURCE_BYTES",
            ),
            (
                &["--jpeg-quality", "101"][..],
                "--jpeg-quality",
                "VIGNETTE_JPEG_QUALITY",
            ),
            (
                &["--jpeg-optimize", "maybe"][..],
                "--jpeg-optimize",
                "VIGNETTE_JPEG_OPTIMIZE",
            ),
            (
                &["--public-url", "img.example.org"][..],
                "--public-url",
                "VIGNETTE_PUBLIC_URL",
            ),
            (
                &["--log-format", "xml"][..],
                "--log-format",
                "VIGNETTE_LOG_FORMAT",
            ),
            (
                &["--codel-target-ms", "0"][..],
                "--codel-target-ms",
                "VIGNETTE_CODEL_TARGET_MS",
            ),
        ] {
            let err = parse(args).expect_err("refused");
            assert_eq!((err.flag, err.env), (flag, env));
            let msg = err.to_string();
            assert!(msg.contains(flag) && msg.contains(env), "{msg}");
        }
    }
}
