//! The URL dialects' settings: imgproxy signature keys and salts (hex, paired in order,
//! also from `_FILE` variables), the signature size, presets, and the formats negotiated
//! from `Accept`.

use super::{Check, Cli, ConfigError};
use crate::dialect::imgproxy::{Config, Presets, Signing};
use crate::variant::Format;

/// A secret from its variable, or from the file named by `file_env` (trimmed).
pub(super) fn secret(
    value: &Option<String>,
    file_env: &'static str,
) -> Result<Option<String>, ConfigError> {
    secret_with(value, file_env, |name| std::env::var(name).ok())
}

/// [`secret`] with the environment read through `env` (tests pass their own).
pub(super) fn secret_with(
    value: &Option<String>,
    file_env: &'static str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, ConfigError> {
    if let Some(v) = value {
        return Ok(Some(v.clone()));
    }
    match env(file_env) {
        Some(path) => std::fs::read_to_string(&path)
            .map(|s| Some(s.trim().to_owned()))
            .map_err(|e| ConfigError {
                flag: "(file)",
                env: file_env,
                value: path,
                reason: format!("cannot be read: {}", e.kind()),
            }),
        None => Ok(None),
    }
}

fn hex_list(c: &Check<'_>) -> Result<Vec<Vec<u8>>, ConfigError> {
    c.value
        .split(',')
        .map(|h| {
            let h = h.trim();
            if h.is_empty() || h.len() % 2 != 0 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(c.fail("not a comma-separated list of hex strings"));
            }
            Ok((0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap_or(0))
                .collect())
        })
        .collect()
}

impl Cli {
    /// The imgproxy dialect's settings.
    pub(super) fn imgproxy(&self) -> Result<Config, ConfigError> {
        let key = secret(&self.signature_key, "VIGNETTE_SIGNATURE_KEY_FILE")?;
        let salt = secret(&self.signature_salt, "VIGNETTE_SIGNATURE_SALT_FILE")?;
        let size = check!(
            self,
            signature_size,
            "--signature-size",
            "VIGNETTE_SIGNATURE_SIZE"
        )
        .int(1, 32)? as usize;
        let pairs = match (key, salt) {
            (None, None) => Vec::new(),
            (Some(key), Some(salt)) => {
                let keys = hex_list(&Check {
                    flag: "--signature-key",
                    env: "VIGNETTE_SIGNATURE_KEY",
                    value: &key,
                })?;
                let salts_check = Check {
                    flag: "--signature-salt",
                    env: "VIGNETTE_SIGNATURE_SALT",
                    value: &salt,
                };
                let salts = hex_list(&salts_check)?;
                if salts.len() != keys.len() {
                    return Err(salts_check.fail("needs as many salts as keys"));
                }
                keys.into_iter().zip(salts).collect()
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError {
                    flag: "--signature-key",
                    env: "VIGNETTE_SIGNATURE_KEY",
                    value: "(hidden)".into(),
                    reason: "a key needs a salt (VIGNETTE_SIGNATURE_SALT) and a salt a key".into(),
                });
            }
        };
        let presets_check = check!(self, presets, "--presets", "VIGNETTE_PRESETS");
        let presets = Presets::parse(&self.presets).map_err(|e| presets_check.fail(e))?;
        Ok(Config {
            signing: Signing { pairs, size },
            presets,
            only_presets: check!(
                self,
                only_presets,
                "--only-presets",
                "VIGNETTE_ONLY_PRESETS"
            )
            .boolean()?,
        })
    }

    /// The formats negotiated from `Accept`, in order.
    pub(super) fn auto_formats(&self) -> Result<Vec<Format>, ConfigError> {
        let c = check!(
            self,
            auto_formats,
            "--auto-formats",
            "VIGNETTE_AUTO_FORMATS"
        );
        let mut out = Vec::new();
        for name in self
            .auto_formats
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match Format::from_extension(name) {
                Some(f @ (Format::Avif | Format::Webp)) if !out.contains(&f) => out.push(f),
                _ => return Err(c.fail("a list of avif and webp, or empty")),
            }
        }
        Ok(out)
    }
}
