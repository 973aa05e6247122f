//! The HTTP(S) origin part of the settings: the allowlist, the address rules, the bounds
//! of a fetch and the memory of the source cache and of downloads in flight.

use super::{Check, Cli, ConfigError};
use crate::source::http::{AllowedSources, HttpSourceSettings};
use std::time::Duration;

impl Cli {
    /// Validates the HTTP source's settings; `max_bytes` and `revalidate` are the already
    /// validated `--max-source-bytes` and `--source-revalidate-secs`, which bound remote
    /// sources too.
    pub(super) fn validate_http_source(
        &self,
        max_bytes: u64,
        revalidate: Duration,
    ) -> Result<HttpSourceSettings, ConfigError> {
        let ms = |c: Check<'_>, max: u64| c.int(1, max).map(Duration::from_millis);
        let allowed_sources = AllowedSources::parse(&self.allowed_sources).map_err(|reason| {
            check!(
                self,
                allowed_sources,
                "--allowed-sources",
                "VIGNETTE_ALLOWED_SOURCES"
            )
            .fail(reason)
        })?;
        Ok(HttpSourceSettings {
            allowed_sources,
            allow_loopback: check!(
                self,
                allow_loopback_sources,
                "--allow-loopback-sources",
                "VIGNETTE_ALLOW_LOOPBACK_SOURCES"
            )
            .boolean()?,
            allow_private: check!(
                self,
                allow_private_sources,
                "--allow-private-sources",
                "VIGNETTE_ALLOW_PRIVATE_SOURCES"
            )
            .boolean()?,
            timeout: ms(
                check!(
                    self,
                    http_source_timeout_ms,
                    "--http-source-timeout-ms",
                    "VIGNETTE_HTTP_SOURCE_TIMEOUT_MS"
                ),
                600_000,
            )?,
            connect_timeout: ms(
                check!(
                    self,
                    http_source_connect_timeout_ms,
                    "--http-source-connect-timeout-ms",
                    "VIGNETTE_HTTP_SOURCE_CONNECT_TIMEOUT_MS"
                ),
                600_000,
            )?,
            max_redirects: check!(
                self,
                http_source_max_redirects,
                "--http-source-max-redirects",
                "VIGNETTE_HTTP_SOURCE_MAX_REDIRECTS"
            )
            .int(0, 20)? as u32,
            max_bytes,
            cache_bytes: check!(
                self,
                source_cache_bytes,
                "--source-cache-bytes",
                "VIGNETTE_SOURCE_CACHE_BYTES"
            )
            .bytes(0, 1 << 40)?,
            fetch_budget_bytes: check!(
                self,
                source_fetch_budget_bytes,
                "--source-fetch-budget-bytes",
                "VIGNETTE_SOURCE_FETCH_BUDGET_BYTES"
            )
            .bytes(1 << 20, 1 << 40)?,
            revalidate,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::parse;
    use std::time::Duration;

    #[test]
    fn defaults_refuse_every_origin() {
        let h = parse(&[]).unwrap().http_source;
        assert!(h.allowed_sources.is_empty());
        assert!(!h.allow_loopback && !h.allow_private);
        assert_eq!(h.timeout, Duration::from_secs(5));
        assert_eq!(h.connect_timeout, Duration::from_secs(1));
        assert_eq!(h.max_redirects, 3);
        assert_eq!(h.max_bytes, 64 << 20);
        assert_eq!(h.cache_bytes, 32 << 20);
        assert_eq!(h.fetch_budget_bytes, 256 << 20);
        assert_eq!(h.revalidate, Duration::from_secs(60));
    }

    #[test]
    fn values_are_read() {
        let h = parse(&[
            "--allowed-sources",
            "https://img.example.org/,local://",
            "--allow-loopback-sources",
            "true",
            "--http-source-max-redirects",
            "0",
            "--source-cache-bytes",
            "0",
            "--source-revalidate-secs",
            "5",
        ])
        .unwrap()
        .http_source;
        assert!(h.allowed_sources.allows("https://img.example.org/a.jpg"));
        assert!(h.allowed_sources.allows("local:///a.jpg"));
        assert!(h.allow_loopback && !h.allow_private);
        assert_eq!((h.max_redirects, h.cache_bytes), (0, 0));
        assert_eq!(h.revalidate, Duration::from_secs(5));
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (args, env) in [
            (
                &["--allowed-sources", "img.example.org"][..],
                "VIGNETTE_ALLOWED_SOURCES",
            ),
            (
                &["--allow-private-sources", "maybe"][..],
                "VIGNETTE_ALLOW_PRIVATE_SOURCES",
            ),
            (
                &["--http-source-timeout-ms", "0"][..],
                "VIGNETTE_HTTP_SOURCE_TIMEOUT_MS",
            ),
            (
                &["--http-source-max-redirects", "50"][..],
                "VIGNETTE_HTTP_SOURCE_MAX_REDIRECTS",
            ),
            (
                &["--source-fetch-budget-bytes", "1KiB"][..],
                "VIGNETTE_SOURCE_FETCH_BUDGET_BYTES",
            ),
        ] {
            let err = parse(args).expect_err("refused");
            assert_eq!(err.env, env);
        }
    }
}
