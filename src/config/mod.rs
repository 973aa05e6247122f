//! Configuration: command-line flags and `VIGNETTE_*` environment variables, parsed by
//! clap and validated once into typed [`Settings`]. Nothing downstream re-checks a value;
//! a bad value stops the start with a message that names the setting.

use crate::cache::CacheSettings;
use crate::pool::{CodelParams, QueueParams};
use crate::render::{EncodeSettings, Limits};
use crate::s3::S3Settings;
use crate::source::s3::S3SourceSettings;
use crate::spec::PlanLimits;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// vignette: an on-the-fly image CDN (IIIF Image API 3.0) that fails fast under overload.
///
/// Every flag can also be set through the environment variable shown next to it.
#[derive(Debug, Clone, Parser)]
#[command(name = "vignette", version, about, long_about = None)]
pub struct Cli {
    /// Address of the public image listener.
    #[arg(long, env = "VIGNETTE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// Address of the admin listener (/metrics, /health/live, /health/ready).
    #[arg(long, env = "VIGNETTE_ADMIN_LISTEN", default_value = "127.0.0.1:9090")]
    pub admin_listen: String,

    /// Directory of source images (the local source).
    #[arg(long, env = "VIGNETTE_IMAGES_DIR", default_value = "./images")]
    pub images_dir: PathBuf,

    /// Public base URL used for `id` in info.json (e.g. https://img.example.org);
    /// default: built from the request's Host header.
    #[arg(long, env = "VIGNETTE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Render worker threads [default: CPU cores - 1, at least 1].
    #[arg(long, env = "VIGNETTE_WORKERS")]
    pub workers: Option<String>,

    /// Hard bound of the render queue, in jobs; a full queue answers 503 at once.
    #[arg(long, env = "VIGNETTE_QUEUE_CAPACITY", default_value = "64")]
    pub queue_capacity: String,

    /// Largest source accepted, in bytes (suffixes K, M, G, KiB, MiB, GiB allowed).
    #[arg(long, env = "VIGNETTE_MAX_SOURCE_BYTES", default_value = "64MiB")]
    pub max_source_bytes: String,

    /// Largest source accepted, in pixels as its header declares them.
    #[arg(long, env = "VIGNETTE_MAX_SOURCE_PIXELS", default_value = "50000000")]
    pub max_source_pixels: String,

    /// Largest output, in pixels (advertised as maxArea in info.json).
    #[arg(long, env = "VIGNETTE_MAX_OUTPUT_PIXELS", default_value = "16777216")]
    pub max_output_pixels: String,

    /// Largest output width or height (advertised as maxWidth/maxHeight).
    #[arg(long, env = "VIGNETTE_MAX_OUTPUT_DIMENSION", default_value = "16383")]
    pub max_output_dimension: String,

    /// max-age of successful image responses, in seconds.
    #[arg(long, env = "VIGNETTE_CACHE_MAX_AGE", default_value = "31536000")]
    pub cache_max_age: String,

    /// JPEG quality (1-100).
    #[arg(long, env = "VIGNETTE_JPEG_QUALITY", default_value = "80")]
    pub jpeg_quality: String,

    /// WebP quality (0-100).
    #[arg(long, env = "VIGNETTE_WEBP_QUALITY", default_value = "80")]
    pub webp_quality: String,

    /// WebP effort (method), 0 = fastest, 6 = smallest.
    #[arg(long, env = "VIGNETTE_WEBP_EFFORT", default_value = "4")]
    pub webp_effort: String,

    /// AVIF quality (1-100).
    #[arg(long, env = "VIGNETTE_AVIF_QUALITY", default_value = "60")]
    pub avif_quality: String,

    /// AVIF encoder speed, 0 = slowest/smallest, 10 = fastest.
    #[arg(long, env = "VIGNETTE_AVIF_SPEED", default_value = "8")]
    pub avif_speed: String,

    /// CoDel target: the queue wait considered acceptable, in milliseconds.
    #[arg(long, env = "VIGNETTE_CODEL_TARGET_MS", default_value = "500")]
    pub codel_target_ms: String,

    /// CoDel interval: how long the queue may stand above the target before the
    /// instance sheds load, in milliseconds.
    #[arg(long, env = "VIGNETTE_CODEL_INTERVAL_MS", default_value = "5000")]
    pub codel_interval_ms: String,

    /// Largest estimated queue wait admitted, in milliseconds: the queue never holds
    /// more work than this, whatever its capacity in jobs.
    #[arg(long, env = "VIGNETTE_QUEUE_MAX_WAIT_MS", default_value = "2000")]
    pub queue_max_wait_ms: String,

    /// Per-render deadline in milliseconds, checked between pipeline stages.
    #[arg(long, env = "VIGNETTE_RENDER_DEADLINE_MS", default_value = "5000")]
    pub render_deadline_ms: String,

    /// Capacity of the hydration queue (refused misses rendered later into the cache).
    #[arg(long, env = "VIGNETTE_HYDRATION_CAPACITY", default_value = "10000")]
    pub hydration_capacity: String,

    /// Hydration entries older than this many seconds are dropped.
    #[arg(long, env = "VIGNETTE_HYDRATION_HORIZON_SECS", default_value = "7200")]
    pub hydration_horizon_secs: String,

    /// Seconds given to in-flight requests after SIGTERM before exiting.
    #[arg(long, env = "VIGNETTE_SHUTDOWN_GRACE_SECS", default_value = "20")]
    pub shutdown_grace_secs: String,

    /// S3 endpoint (e.g. http://127.0.0.1:3900 for Garage). Credentials come from
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or their *_FILE variants.
    #[arg(long, env = "VIGNETTE_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// S3 region.
    #[arg(long, env = "VIGNETTE_S3_REGION", default_value = "garage")]
    pub s3_region: String,

    /// Bound on one whole S3 call of the source (retries and body included), in ms.
    #[arg(long, env = "VIGNETTE_S3_TIMEOUT_MS", default_value = "5000")]
    pub s3_timeout_ms: String,

    /// Bound on opening a connection to S3, in ms.
    #[arg(long, env = "VIGNETTE_S3_CONNECT_TIMEOUT_MS", default_value = "1000")]
    pub s3_connect_timeout_ms: String,

    /// Attempts per S3 call, the first one included.
    #[arg(long, env = "VIGNETTE_S3_MAX_ATTEMPTS", default_value = "2")]
    pub s3_max_attempts: String,

    /// Serve images from this bucket (identifiers are object keys) instead of the
    /// images directory.
    #[arg(long, env = "VIGNETTE_SOURCE_BUCKET")]
    pub source_bucket: Option<String>,

    /// Serve images from these buckets (comma-separated allowlist; an identifier's
    /// first path segment names the bucket).
    #[arg(long, env = "VIGNETTE_SOURCE_BUCKETS")]
    pub source_buckets: Option<String>,

    /// Seconds a source's version (S3 ETag) is trusted before it is checked again.
    #[arg(long, env = "VIGNETTE_SOURCE_REVALIDATE_SECS", default_value = "60")]
    pub source_revalidate_secs: String,

    /// Keep rendered variants in this bucket (the slot cache) instead of a local
    /// directory.
    #[arg(long, env = "VIGNETTE_CACHE_BUCKET")]
    pub cache_bucket: Option<String>,

    /// Key prefix of the slot cache's objects in its bucket (one prefix per instance).
    #[arg(long, env = "VIGNETTE_CACHE_PREFIX", default_value = "")]
    pub cache_prefix: String,

    /// Directory of the slot cache when no cache bucket is set.
    #[arg(long, env = "VIGNETTE_CACHE_DIR", default_value = "./cache")]
    pub cache_dir: PathBuf,

    /// Number of slots of the cache: it never holds more than slots × max object bytes.
    #[arg(long, env = "VIGNETTE_CACHE_SLOTS", default_value = "1000")]
    pub cache_slots: String,

    /// Largest variant stored in the cache (larger ones are served, not cached).
    #[arg(long, env = "VIGNETTE_CACHE_MAX_OBJECT_BYTES", default_value = "5MB")]
    pub cache_max_object_bytes: String,

    /// Seconds between flushes of the cache index (also flushed at shutdown).
    #[arg(long, env = "VIGNETTE_CACHE_INDEX_FLUSH_SECS", default_value = "30")]
    pub cache_index_flush_secs: String,

    /// Bound on one S3 call of the cache, in ms: a slow cache must not slow hits down
    /// more than a render would.
    #[arg(long, env = "VIGNETTE_CACHE_S3_TIMEOUT_MS", default_value = "2000")]
    pub cache_s3_timeout_ms: String,

    /// Cache writes in flight at once; more are dropped (and counted).
    #[arg(long, env = "VIGNETTE_CACHE_MAX_PENDING_WRITES", default_value = "16")]
    pub cache_max_pending_writes: String,

    /// Consecutive cache-store failures after which the store is left alone for
    /// VIGNETTE_CACHE_BREAKER_SECS (lookups miss, writes are dropped).
    #[arg(long, env = "VIGNETTE_CACHE_BREAKER_FAILURES", default_value = "3")]
    pub cache_breaker_failures: String,

    /// Seconds the cache store is left alone after VIGNETTE_CACHE_BREAKER_FAILURES.
    #[arg(long, env = "VIGNETTE_CACHE_BREAKER_SECS", default_value = "5")]
    pub cache_breaker_secs: String,

    /// Log format: `text` or `json`. Filter with RUST_LOG (default info).
    #[arg(long, env = "VIGNETTE_LOG_FORMAT", default_value = "text")]
    pub log_format: String,

    // Performance settings
    /// Memory for decoded sources kept for later sizes of the same source ("decode once,
    /// serve many"; suffixes as for --max-source-bytes); 0 turns it off.
    #[arg(
        long,
        env = "VIGNETTE_INTERMEDIATE_CACHE_BYTES",
        default_value = "32MiB"
    )]
    pub intermediate_cache_bytes: String,
}

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
    /// Log format.
    pub log_format: LogFormat,
    /// How to reach S3, when a bucket is configured.
    pub s3: Option<S3Settings>,
    /// Where images come from.
    pub source: SourceChoice,
    /// Where rendered variants are kept.
    pub cache: CacheChoice,

    // Performance settings
    /// Bytes of decoded sources kept by the intermediate cache (0: off).
    pub intermediate_cache_bytes: usize,
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
}

/// Parses `value` for the setting `flag`/`env`, mapping failures to a [`ConfigError`].
pub(super) struct Check<'a> {
    pub(super) flag: &'static str,
    pub(super) env: &'static str,
    pub(super) value: &'a str,
}

impl Check<'_> {
    pub(super) fn fail(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            flag: self.flag,
            env: self.env,
            value: self.value.to_owned(),
            reason: reason.into(),
        }
    }

    pub(super) fn int(&self, min: u64, max: u64) -> Result<u64, ConfigError> {
        let v: u64 = self
            .value
            .trim()
            .replace('_', "")
            .parse()
            .map_err(|_| self.fail("not a whole number"))?;
        if v < min || v > max {
            return Err(self.fail(format!("must be between {min} and {max}")));
        }
        Ok(v)
    }

    fn float(&self, min: f64, max: f64) -> Result<f64, ConfigError> {
        let v: f64 = self
            .value
            .trim()
            .parse()
            .map_err(|_| self.fail("not a number"))?;
        if !(min..=max).contains(&v) {
            return Err(self.fail(format!("must be between {min} and {max}")));
        }
        Ok(v)
    }

    pub(super) fn bytes(&self, min: u64, max: u64) -> Result<u64, ConfigError> {
        let s = self.value.trim();
        let split = s
            .find(|c: char| !c.is_ascii_digit() && c != '_')
            .unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num
            .replace('_', "")
            .parse()
            .map_err(|_| self.fail("not a byte size (e.g. 64MiB, 5000000)"))?;
        let mult: u64 = match unit.trim() {
            "" | "B" => 1,
            "K" | "KB" => 1_000,
            "M" | "MB" => 1_000_000,
            "G" | "GB" => 1_000_000_000,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            other => return Err(self.fail(format!("unknown unit '{other}'"))),
        };
        let v = n.checked_mul(mult).ok_or_else(|| self.fail("too large"))?;
        if v < min || v > max {
            return Err(self.fail(format!("must be between {min} and {max} bytes")));
        }
        Ok(v)
    }

    fn addr(&self) -> Result<SocketAddr, ConfigError> {
        self.value
            .parse()
            .map_err(|_| self.fail("not an address like 127.0.0.1:8080"))
    }
}

macro_rules! check {
    ($cli:expr, $field:ident, $flag:literal, $env:literal) => {
        Check {
            flag: $flag,
            env: $env,
            value: &$cli.$field,
        }
    };
}

// After the macro, which it uses.
mod storage;

/// Default worker count: one core is left to the HTTP side, at least one worker.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .saturating_sub(1)
        .max(1)
}

impl Cli {
    /// Validates every value into [`Settings`].
    pub fn validate(&self) -> Result<Settings, ConfigError> {
        let workers = match &self.workers {
            Some(w) => Check {
                flag: "--workers",
                env: "VIGNETTE_WORKERS",
                value: w,
            }
            .int(1, 256)? as usize,
            None => default_workers(),
        };
        let public_url = match &self.public_url {
            Some(u) => {
                let u = u.trim_end_matches('/');
                if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < 9 {
                    return Err(ConfigError {
                        flag: "--public-url",
                        env: "VIGNETTE_PUBLIC_URL",
                        value: u.to_owned(),
                        reason: "must be an absolute http(s) URL".into(),
                    });
                }
                Some(u.to_owned())
            }
            None => None,
        };
        let ms = |c: Check<'_>, min: u64, max: u64| c.int(min, max).map(Duration::from_millis);
        let codel = CodelParams {
            target: ms(
                check!(
                    self,
                    codel_target_ms,
                    "--codel-target-ms",
                    "VIGNETTE_CODEL_TARGET_MS"
                ),
                1,
                600_000,
            )?,
            interval: ms(
                check!(
                    self,
                    codel_interval_ms,
                    "--codel-interval-ms",
                    "VIGNETTE_CODEL_INTERVAL_MS"
                ),
                1,
                3_600_000,
            )?,
            max_wait: ms(
                check!(
                    self,
                    queue_max_wait_ms,
                    "--queue-max-wait-ms",
                    "VIGNETTE_QUEUE_MAX_WAIT_MS"
                ),
                1,
                3_600_000,
            )?,
        };
        let dimension = check!(
            self,
            max_output_dimension,
            "--max-output-dimension",
            "VIGNETTE_MAX_OUTPUT_DIMENSION"
        )
        .int(1, 65_535)? as u32;
        let log_format = match self.log_format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError {
                    flag: "--log-format",
                    env: "VIGNETTE_LOG_FORMAT",
                    value: other.to_owned(),
                    reason: "must be text or json".into(),
                });
            }
        };
        let (s3, source, cache) = self.validate_storage()?;
        Ok(Settings {
            s3,
            source,
            cache,
            listen: check!(self, listen, "--listen", "VIGNETTE_LISTEN").addr()?,
            admin_listen: check!(
                self,
                admin_listen,
                "--admin-listen",
                "VIGNETTE_ADMIN_LISTEN"
            )
            .addr()?,
            images_dir: self.images_dir.clone(),
            public_url,
            queue: QueueParams {
                capacity: check!(
                    self,
                    queue_capacity,
                    "--queue-capacity",
                    "VIGNETTE_QUEUE_CAPACITY"
                )
                .int(1, 1_000_000)? as usize,
                workers,
                codel,
                hydration_capacity: check!(
                    self,
                    hydration_capacity,
                    "--hydration-capacity",
                    "VIGNETTE_HYDRATION_CAPACITY"
                )
                .int(0, 10_000_000)? as usize,
                hydration_horizon: Duration::from_secs(
                    check!(
                        self,
                        hydration_horizon_secs,
                        "--hydration-horizon-secs",
                        "VIGNETTE_HYDRATION_HORIZON_SECS"
                    )
                    .int(1, 30 * 86_400)?,
                ),
            },
            limits: Limits {
                max_source_bytes: check!(
                    self,
                    max_source_bytes,
                    "--max-source-bytes",
                    "VIGNETTE_MAX_SOURCE_BYTES"
                )
                .bytes(1, 1 << 40)?,
                max_source_pixels: check!(
                    self,
                    max_source_pixels,
                    "--max-source-pixels",
                    "VIGNETTE_MAX_SOURCE_PIXELS"
                )
                .int(1, 1 << 40)?,
                plan: PlanLimits {
                    max_width: dimension,
                    max_height: dimension,
                    max_area: check!(
                        self,
                        max_output_pixels,
                        "--max-output-pixels",
                        "VIGNETTE_MAX_OUTPUT_PIXELS"
                    )
                    .int(1, 1 << 32)?,
                },
            },
            encode: EncodeSettings {
                jpeg_quality: check!(
                    self,
                    jpeg_quality,
                    "--jpeg-quality",
                    "VIGNETTE_JPEG_QUALITY"
                )
                .int(1, 100)? as u8,
                webp_quality: check!(
                    self,
                    webp_quality,
                    "--webp-quality",
                    "VIGNETTE_WEBP_QUALITY"
                )
                .float(0.0, 100.0)? as f32,
                webp_method: check!(self, webp_effort, "--webp-effort", "VIGNETTE_WEBP_EFFORT")
                    .int(0, 6)? as u8,
                avif_quality: check!(
                    self,
                    avif_quality,
                    "--avif-quality",
                    "VIGNETTE_AVIF_QUALITY"
                )
                .int(1, 100)? as u8,
                avif_speed: check!(self, avif_speed, "--avif-speed", "VIGNETTE_AVIF_SPEED")
                    .int(0, 10)? as u8,
            },
            cache_max_age: Duration::from_secs(
                check!(
                    self,
                    cache_max_age,
                    "--cache-max-age",
                    "VIGNETTE_CACHE_MAX_AGE"
                )
                .int(0, 10 * 365 * 86_400)?,
            ),
            render_deadline: ms(
                check!(
                    self,
                    render_deadline_ms,
                    "--render-deadline-ms",
                    "VIGNETTE_RENDER_DEADLINE_MS"
                ),
                1,
                3_600_000,
            )?,
            shutdown_grace: Duration::from_secs(
                check!(
                    self,
                    shutdown_grace_secs,
                    "--shutdown-grace-secs",
                    "VIGNETTE_SHUTDOWN_GRACE_SECS"
                )
                .int(0, 3600)?,
            ),
            log_format,
            intermediate_cache_bytes: check!(
                self,
                intermediate_cache_bytes,
                "--intermediate-cache-bytes",
                "VIGNETTE_INTERMEDIATE_CACHE_BYTES"
            )
            .bytes(0, 1 << 40)? as usize,
        })
    }
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
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, ConfigError> {
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
