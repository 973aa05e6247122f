//! From the parsed command line to typed [`Settings`]: every value is checked once here
//! (the storage part in `storage.rs`).

use super::{Check, Cli, ConfigError, LogFormat, Settings, default_workers};
use crate::pool::{CodelParams, QueueParams};
use crate::render::{EncodeSettings, Limits};
use crate::variant::PlanLimits;
use std::time::Duration;

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
        let listen = check!(self, listen, "--listen", "VIGNETTE_LISTEN").addr()?;
        let imgproxy = self.imgproxy()?;
        let gallery = self.gallery(&source, listen, &imgproxy)?;
        let max_source_bytes = check!(
            self,
            max_source_bytes,
            "--max-source-bytes",
            "VIGNETTE_MAX_SOURCE_BYTES"
        )
        .bytes(1, 1 << 40)?;
        Ok(Settings {
            s3,
            source,
            cache,
            listen,
            admin_listen: check!(
                self,
                admin_listen,
                "--admin-listen",
                "VIGNETTE_ADMIN_LISTEN"
            )
            .addr()?,
            admin_token: self.admin_token()?,
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
                worker_nice: check!(self, worker_nice, "--worker-nice", "VIGNETTE_WORKER_NICE")
                    .int(0, 19)? as u8,
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
                max_source_bytes,
                max_source_pixels: check!(
                    self,
                    max_source_pixels,
                    "--max-source-pixels",
                    "VIGNETTE_MAX_SOURCE_PIXELS"
                )
                .int(1, 1 << 40)?,
                max_animation_frames: check!(
                    self,
                    max_animation_frames,
                    "--max-animation-frames",
                    "VIGNETTE_MAX_ANIMATION_FRAMES"
                )
                .int(1, 1_000_000)? as u32,
                max_animation_pixels: check!(
                    self,
                    max_animation_pixels,
                    "--max-animation-pixels",
                    "VIGNETTE_MAX_ANIMATION_PIXELS"
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
                jpeg_optimize: check!(
                    self,
                    jpeg_optimize,
                    "--jpeg-optimize",
                    "VIGNETTE_JPEG_OPTIMIZE"
                )
                .boolean()?,
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
            http_limits: self.validate_http_limits()?,
            log_format,
            imgproxy,
            gallery,
            client_hints: check!(
                self,
                client_hints,
                "--client-hints",
                "VIGNETTE_CLIENT_HINTS"
            )
            .boolean()?,
            auto_formats: self.auto_formats()?,
            overload: self.validate_overload()?,
            intermediate_cache_bytes: check!(
                self,
                intermediate_cache_bytes,
                "--intermediate-cache-bytes",
                "VIGNETTE_INTERMEDIATE_CACHE_BYTES"
            )
            .bytes(0, 1 << 40)? as usize,
            http_source: self.validate_http_source(max_source_bytes, self.source_revalidate()?)?,
        })
    }
}
