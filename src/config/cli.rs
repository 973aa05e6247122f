//! The command line: every flag, its `VIGNETTE_*` variable, its default and its help
//! text, as clap parses them (still unvalidated text).

use clap::Parser;
use std::path::PathBuf;

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

    /// Bearer token of the admin API (`DELETE /cache/sources`), at least 16 visible
    /// ASCII characters; without one the admin API is off. Also read from
    /// VIGNETTE_ADMIN_TOKEN_FILE.
    #[arg(long, env = "VIGNETTE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Directory of source images (the local source).
    #[arg(long, env = "VIGNETTE_IMAGES_DIR", default_value = "./images")]
    pub images_dir: PathBuf,

    /// Public base URL used for `id` in info.json (e.g. https://img.example.org);
    /// default: built from the request's Host header.
    #[arg(long, env = "VIGNETTE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Render worker threads [default: CPU cores, at nice `--worker-nice`].
    #[arg(long, env = "VIGNETTE_WORKERS")]
    pub workers: Option<String>,

    /// Scheduling priority of the render threads, as a nice value (0 = the process's,
    /// 19 = lowest): lowered, the threads that answer refusals and hits get a core at once
    /// when they wake, even with as many workers as cores.
    #[arg(long, env = "VIGNETTE_WORKER_NICE", default_value = "10")]
    pub worker_nice: String,

    /// Hard bound of the render queue, in jobs; a full queue answers 503 at once.
    #[arg(long, env = "VIGNETTE_QUEUE_CAPACITY", default_value = "64")]
    pub queue_capacity: String,

    /// Largest source accepted, in bytes (suffixes K, M, G, KiB, MiB, GiB allowed).
    #[arg(long, env = "VIGNETTE_MAX_SOURCE_BYTES", default_value = "64MiB")]
    pub max_source_bytes: String,

    /// Largest source accepted, in pixels as its header declares them.
    #[arg(long, env = "VIGNETTE_MAX_SOURCE_PIXELS", default_value = "50000000")]
    pub max_source_pixels: String,

    /// Most frames of an animation rendered as an animation (GIF, WebP, APNG sources);
    /// a longer one is answered with its first frame. Counted from the header.
    #[arg(long, env = "VIGNETTE_MAX_ANIMATION_FRAMES", default_value = "500")]
    pub max_animation_frames: String,

    /// Most pixels over all frames of an animation (width x height x frames); a larger
    /// one is answered with its first frame.
    #[arg(
        long,
        env = "VIGNETTE_MAX_ANIMATION_PIXELS",
        default_value = "100000000"
    )]
    pub max_animation_pixels: String,

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

    /// JPEG Huffman tables optimised per image (true/false): 1-4 % smaller files, 2-3.5x
    /// the encode time.
    #[arg(long, env = "VIGNETTE_JPEG_OPTIMIZE", default_value = "true")]
    pub jpeg_optimize: String,

    /// WebP quality (0-100).
    #[arg(long, env = "VIGNETTE_WEBP_QUALITY", default_value = "80")]
    pub webp_quality: String,

    /// WebP effort (method), 0 = fastest, 6 = smallest. 2 encodes 2.4× faster than 4 for
    /// 3.6 % more bytes on 2 MP photos (docs/performance.md).
    #[arg(long, env = "VIGNETTE_WEBP_EFFORT", default_value = "2")]
    pub webp_effort: String,

    /// AVIF quality (1-100).
    #[arg(long, env = "VIGNETTE_AVIF_QUALITY", default_value = "60")]
    pub avif_quality: String,

    /// AVIF encoder speed, 0 = slowest/smallest, 10 = fastest. 9 (imgproxy's benchmark sets it)
    /// encodes 3.8× faster than 8 for 10 % more bytes (docs/performance.md).
    #[arg(long, env = "VIGNETTE_AVIF_SPEED", default_value = "9")]
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

    /// The answer to a miss refused under overload: `status` (a 503 with a short text) or
    /// `placeholder` (a 503 whose body is a uniform image of the requested format and,
    /// when known, size).
    #[arg(long, env = "VIGNETTE_OVERLOAD_ANSWER", default_value = "status")]
    pub overload_answer: String,

    /// Under overload, serve another cached variant of the same source and format whose
    /// size is within this fraction of the requested one (0 turns it off).
    #[arg(long, env = "VIGNETTE_DEGRADE_MAX_SIZE_RATIO", default_value = "0.25")]
    pub degrade_max_size_ratio: String,

    /// Under overload, serve a negotiated AVIF as WebP, or WebP as JPEG, when that is
    /// cached or fits the queue (true/false).
    #[arg(long, env = "VIGNETTE_DEGRADE_FORMAT", default_value = "true")]
    pub degrade_format: String,

    /// Capacity of the hydration queue (refused misses rendered later into the cache).
    #[arg(long, env = "VIGNETTE_HYDRATION_CAPACITY", default_value = "10000")]
    pub hydration_capacity: String,

    /// Hydration entries older than this many seconds are dropped.
    #[arg(long, env = "VIGNETTE_HYDRATION_HORIZON_SECS", default_value = "7200")]
    pub hydration_horizon_secs: String,

    /// Seconds given to in-flight requests after SIGTERM before exiting.
    #[arg(long, env = "VIGNETTE_SHUTDOWN_GRACE_SECS", default_value = "20")]
    pub shutdown_grace_secs: String,

    /// Seconds a client may take to send a request's head (request line and headers),
    /// counted from when the connection waits for it: slow clients are cut off.
    #[arg(
        long,
        env = "VIGNETTE_HTTP_HEADER_READ_TIMEOUT_SECS",
        default_value = "10"
    )]
    pub http_header_read_timeout_secs: String,

    /// Largest request head (request line and headers), in bytes; above it, 431.
    #[arg(long, env = "VIGNETTE_HTTP_MAX_HEADER_BYTES", default_value = "16KiB")]
    pub http_max_header_bytes: String,

    /// Most headers in a request; above it, 431.
    #[arg(long, env = "VIGNETTE_HTTP_MAX_HEADERS", default_value = "100")]
    pub http_max_headers: String,

    /// Longest request target (path and query), in bytes; above it, 414.
    #[arg(long, env = "VIGNETTE_HTTP_MAX_URL_BYTES", default_value = "8KiB")]
    pub http_max_url_bytes: String,

    /// Most connections open at once on the public listener; more wait to be accepted.
    #[arg(long, env = "VIGNETTE_HTTP_MAX_CONNECTIONS", default_value = "1024")]
    pub http_max_connections: String,

    /// Seconds a connection may stay without a byte read or written before it is closed.
    #[arg(long, env = "VIGNETTE_HTTP_IDLE_TIMEOUT_SECS", default_value = "60")]
    pub http_idle_timeout_secs: String,

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

    /// Keep the variants of images from each source bucket in that bucket, under
    /// VIGNETTE_CACHE_PREFIX, with the slots and the object bound applied per bucket
    /// (true/false); other sources use the cache bucket or directory.
    #[arg(long, env = "VIGNETTE_CACHE_IN_SOURCE_BUCKET", default_value = "false")]
    pub cache_in_source_bucket: String,

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

    /// This instance's number (0 … VIGNETTE_CACHE_INSTANCES-1) among the instances
    /// sharing one slot cache (same bucket and prefix): it writes the slots n with
    /// n % instances = this number, and reads all of them (Nomad: the alloc index).
    #[arg(long, env = "VIGNETTE_CACHE_INSTANCE", default_value = "0")]
    pub cache_instance: String,

    /// How many instances share the slot cache (same bucket and prefix).
    #[arg(long, env = "VIGNETTE_CACHE_INSTANCES", default_value = "1")]
    pub cache_instances: String,

    /// When the cache is shared: ms between reads of the other instances' indexes (and
    /// flushes of this one when it changed); a variant cached by one instance is a hit
    /// on the others within about twice this.
    #[arg(long, env = "VIGNETTE_CACHE_PEER_SYNC_MS", default_value = "2000")]
    pub cache_peer_sync_ms: String,

    // URL dialects
    /// imgproxy URL signature keys, hex, comma-separated for key rotation (paired with
    /// the salts in order); without any, URLs are not checked. Also read from
    /// VIGNETTE_SIGNATURE_KEY_FILE.
    #[arg(long, env = "VIGNETTE_SIGNATURE_KEY", hide_env_values = true)]
    pub signature_key: Option<String>,

    /// imgproxy URL signature salts, hex, comma-separated (one per key). Also read from
    /// VIGNETTE_SIGNATURE_SALT_FILE.
    #[arg(long, env = "VIGNETTE_SIGNATURE_SALT", hide_env_values = true)]
    pub signature_salt: Option<String>,

    /// Bytes of the HMAC kept in signatures (1-32), as imgproxy's IMGPROXY_SIGNATURE_SIZE.
    #[arg(long, env = "VIGNETTE_SIGNATURE_SIZE", default_value = "32")]
    pub signature_size: String,

    /// imgproxy presets: `name=option:arg/option:arg,name2=...`; `default` applies to every
    /// imgproxy URL.
    #[arg(long, env = "VIGNETTE_PRESETS", default_value = "")]
    pub presets: String,

    /// imgproxy URLs name presets only (`/{signature}/{preset:preset}/{source}`).
    #[arg(long, env = "VIGNETTE_ONLY_PRESETS", default_value = "false")]
    pub only_presets: String,

    /// Formats a URL without a format is negotiated into, in order of preference, when
    /// the request's Accept names them (avif, webp); empty: the source's format.
    #[arg(long, env = "VIGNETTE_AUTO_FORMATS", default_value = "avif,webp")]
    pub auto_formats: String,

    // Browsers
    /// The gallery at `/` (the local directory's images, with the markup that shows them):
    /// `auto` turns it on only on the embedded default (the local directory, served on a
    /// loopback address, without signature keys), since the page lists files; `true` or
    /// `false` decide.
    #[arg(long, env = "VIGNETTE_GALLERY", default_value = "auto")]
    pub gallery: String,

    /// Client hints (true/false): Sec-CH-DPR/DPR (capped at 8) and Sec-CH-Width/Width size
    /// imgproxy URLs that leave the DPR or the width unset, as imgproxy does, and answers
    /// vary on them. Only Chromium-based browsers send them.
    #[arg(long, env = "VIGNETTE_CLIENT_HINTS", default_value = "false")]
    pub client_hints: String,

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

    // HTTP(S) origins (src/source/http/)
    /// Sources that may be fetched: comma-separated URL prefixes, `*` matching any run of
    /// characters but `/` (e.g. `https://img.example.org/,https://*.cdn.example.net/`);
    /// empty refuses every HTTP source.
    #[arg(long, env = "VIGNETTE_ALLOWED_SOURCES", default_value = "")]
    pub allowed_sources: String,

    /// Allow HTTP origins on loopback addresses (127.0.0.0/8, ::1, localhost).
    #[arg(long, env = "VIGNETTE_ALLOW_LOOPBACK_SOURCES", default_value = "false")]
    pub allow_loopback_sources: String,

    /// Allow HTTP origins on private addresses (RFC 1918, CGNAT 100.64/10, IPv6 ULA).
    #[arg(long, env = "VIGNETTE_ALLOW_PRIVATE_SOURCES", default_value = "false")]
    pub allow_private_sources: String,

    /// Bound on one whole fetch from an HTTP origin (redirects and body included), in ms.
    #[arg(long, env = "VIGNETTE_HTTP_SOURCE_TIMEOUT_MS", default_value = "5000")]
    pub http_source_timeout_ms: String,

    /// Bound on opening a connection to an HTTP origin, in ms.
    #[arg(
        long,
        env = "VIGNETTE_HTTP_SOURCE_CONNECT_TIMEOUT_MS",
        default_value = "1000"
    )]
    pub http_source_connect_timeout_ms: String,

    /// Redirects followed from an HTTP origin, each checked like the first URL.
    #[arg(long, env = "VIGNETTE_HTTP_SOURCE_MAX_REDIRECTS", default_value = "3")]
    pub http_source_max_redirects: String,

    /// Memory for recent originals from HTTP origins (0 turns it off).
    #[arg(long, env = "VIGNETTE_SOURCE_CACHE_BYTES", default_value = "32MiB")]
    pub source_cache_bytes: String,

    /// Memory for source bytes being downloaded at once; more downloads wait.
    #[arg(
        long,
        env = "VIGNETTE_SOURCE_FETCH_BUDGET_BYTES",
        default_value = "256MiB"
    )]
    pub source_fetch_budget_bytes: String,
}
