//! The failure mode's answers: what a refused miss gets, and which degraded answers come
//! before the refusal.

use super::{Check, Cli, ConfigError};

/// The body of a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverloadAnswer {
    /// `503` with a short text.
    Status,
    /// `503` with a uniform image of the requested format (and size, when known).
    Placeholder,
}

/// What the instance answers before and when it refuses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverloadSettings {
    /// The refusal's body.
    pub answer: OverloadAnswer,
    /// How far (as a fraction of the requested width and height) another cached size of
    /// the same source may be from the request to be served instead; 0: never.
    pub degrade_max_size_ratio: f64,
    /// Whether a negotiated format may fall back to a cheaper one (AVIF → WebP → JPEG).
    pub degrade_format: bool,
}

impl Default for OverloadSettings {
    fn default() -> Self {
        OverloadSettings {
            answer: OverloadAnswer::Status,
            degrade_max_size_ratio: 0.25,
            degrade_format: true,
        }
    }
}

impl Cli {
    pub(super) fn validate_overload(&self) -> Result<OverloadSettings, ConfigError> {
        let answer = check!(
            self,
            overload_answer,
            "--overload-answer",
            "VIGNETTE_OVERLOAD_ANSWER"
        );
        let answer = match answer.value.trim() {
            "status" => OverloadAnswer::Status,
            "placeholder" => OverloadAnswer::Placeholder,
            _ => return Err(answer.fail("status or placeholder")),
        };
        Ok(OverloadSettings {
            answer,
            degrade_max_size_ratio: check!(
                self,
                degrade_max_size_ratio,
                "--degrade-max-size-ratio",
                "VIGNETTE_DEGRADE_MAX_SIZE_RATIO"
            )
            .float(0.0, 1.0)?,
            degrade_format: check!(
                self,
                degrade_format,
                "--degrade-format",
                "VIGNETTE_DEGRADE_FORMAT"
            )
            .boolean()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::parse;

    #[test]
    fn defaults_and_bad_values_name_the_setting() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.overload, OverloadSettings::default());
        let s = parse(&[
            "--overload-answer",
            "placeholder",
            "--degrade-format",
            "false",
        ])
        .unwrap();
        assert_eq!(s.overload.answer, OverloadAnswer::Placeholder);
        assert!(!s.overload.degrade_format);
        let e = parse(&["--overload-answer", "image"]).unwrap_err();
        assert!(e.to_string().contains("--overload-answer"), "{e}");
        let e = parse(&["--degrade-max-size-ratio", "2"]).unwrap_err();
        assert!(
            e.to_string().contains("VIGNETTE_DEGRADE_MAX_SIZE_RATIO"),
            "{e}"
        );
    }
}
