//! Parsing one setting's text (numbers, byte sizes, addresses) into a value, or a
//! [`ConfigError`] that names the flag and the variable.

use super::ConfigError;
use std::net::SocketAddr;

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

    pub(super) fn float(&self, min: f64, max: f64) -> Result<f64, ConfigError> {
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

    pub(super) fn boolean(&self) -> Result<bool, ConfigError> {
        match self.value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(self.fail("not true or false")),
        }
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

    pub(super) fn addr(&self) -> Result<SocketAddr, ConfigError> {
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
