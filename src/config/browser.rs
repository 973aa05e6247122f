//! What vignette offers browsers beyond images: the gallery page at `/` (on by default
//! only on the embedded default, since it lists the images directory) and client hints.

use super::{Check, Cli, ConfigError, SourceChoice};
use crate::dialect::imgproxy::Config;
use std::net::SocketAddr;

impl Cli {
    /// `--gallery`: `true`, `false`, or `auto`, which is on only when vignette serves its
    /// local directory on a loopback address without signature keys: a page that lists
    /// files has no place on a public instance unless someone asked for it.
    pub(super) fn gallery(
        &self,
        source: &SourceChoice,
        listen: SocketAddr,
        imgproxy: &Config,
    ) -> Result<bool, ConfigError> {
        let c = check!(self, gallery, "--gallery", "VIGNETTE_GALLERY");
        if c.value.trim().eq_ignore_ascii_case("auto") {
            return Ok(matches!(source, SourceChoice::Local)
                && listen.ip().is_loopback()
                && !imgproxy.signing.enabled());
        }
        c.boolean()
            .map_err(|_| c.fail("must be auto, true or false"))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::parse;

    #[test]
    fn gallery_is_on_only_on_the_embedded_default() {
        let on = |args: &[&str]| parse(args).unwrap().gallery;
        assert!(on(&[]));
        assert!(!on(&["--listen", "0.0.0.0:8080"]));
        assert!(!on(&["--signature-key", "aa", "--signature-salt", "bb"]));
        assert!(on(&["--listen", "0.0.0.0:8080", "--gallery", "true"]));
        assert!(!on(&["--gallery", "false"]));
        let err = parse(&["--gallery", "sometimes"]).unwrap_err();
        assert_eq!((err.flag, err.env), ("--gallery", "VIGNETTE_GALLERY"));
    }

    #[test]
    fn client_hints_are_off_by_default() {
        assert!(!parse(&[]).unwrap().client_hints);
        assert!(parse(&["--client-hints", "true"]).unwrap().client_hints);
        let err = parse(&["--client-hints", "2"]).unwrap_err();
        assert_eq!(err.env, "VIGNETTE_CLIENT_HINTS");
    }
}
