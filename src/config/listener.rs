//! The public listener's part of the settings: how long, how large and how many.

use super::{Check, Cli, ConfigError};
use crate::http::HttpLimits;
use std::time::Duration;

impl Cli {
    /// Validates the `--http-*` limits of the public listener.
    pub(super) fn validate_http_limits(&self) -> Result<HttpLimits, ConfigError> {
        let secs = |c: Check<'_>| c.int(1, 3600).map(Duration::from_secs);
        Ok(HttpLimits {
            header_read_timeout: secs(check!(
                self,
                http_header_read_timeout_secs,
                "--http-header-read-timeout-secs",
                "VIGNETTE_HTTP_HEADER_READ_TIMEOUT_SECS"
            ))?,
            // hyper's read buffer cannot be below 8 KiB, and it is twice this.
            max_header_bytes: check!(
                self,
                http_max_header_bytes,
                "--http-max-header-bytes",
                "VIGNETTE_HTTP_MAX_HEADER_BYTES"
            )
            .bytes(4096, 1 << 20)? as usize,
            max_headers: check!(
                self,
                http_max_headers,
                "--http-max-headers",
                "VIGNETTE_HTTP_MAX_HEADERS"
            )
            .int(8, 1000)? as usize,
            max_url_bytes: check!(
                self,
                http_max_url_bytes,
                "--http-max-url-bytes",
                "VIGNETTE_HTTP_MAX_URL_BYTES"
            )
            .bytes(256, 1 << 20)? as usize,
            max_connections: check!(
                self,
                http_max_connections,
                "--http-max-connections",
                "VIGNETTE_HTTP_MAX_CONNECTIONS"
            )
            .int(1, 1_000_000)? as usize,
            idle_timeout: secs(check!(
                self,
                http_idle_timeout_secs,
                "--http-idle-timeout-secs",
                "VIGNETTE_HTTP_IDLE_TIMEOUT_SECS"
            ))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn limits(args: &[&str]) -> Result<HttpLimits, ConfigError> {
        let mut all = vec!["vignette"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap().validate_http_limits()
    }

    #[test]
    fn defaults_and_bounds() {
        let d = limits(&[]).unwrap();
        assert_eq!(d.header_read_timeout, Duration::from_secs(10));
        assert_eq!((d.max_header_bytes, d.max_headers), (16 << 10, 100));
        assert_eq!((d.max_url_bytes, d.max_connections), (8 << 10, 1024));
        assert_eq!(d.idle_timeout, Duration::from_secs(60));
        for bad in [
            ["--http-header-read-timeout-secs", "0"],
            ["--http-max-header-bytes", "1K"],
            ["--http-max-headers", "2"],
            ["--http-max-url-bytes", "lots"],
            ["--http-max-connections", "0"],
            ["--http-idle-timeout-secs", "4000"],
        ] {
            let err = limits(&bad).unwrap_err();
            assert_eq!(err.flag, bad[0], "{err}");
        }
    }
}
