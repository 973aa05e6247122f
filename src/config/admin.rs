//! The admin API's bearer token: `--admin-token` / `VIGNETTE_ADMIN_TOKEN`, or the file
//! named by `VIGNETTE_ADMIN_TOKEN_FILE`. Without one the admin API (purges) is off.

use super::dialect::secret_with;
use super::{Check, Cli, ConfigError};
use std::fmt;

/// Shortest token accepted: a guessable token would be worse than none.
const MIN_LEN: usize = 16;
/// Longest token accepted (it travels in a header).
const MAX_LEN: usize = 4096;

/// A bearer token. Its `Debug` never shows it; comparing takes the same time whatever
/// the guess.
#[derive(Clone)]
pub struct AdminToken(blake3::Hash);

impl AdminToken {
    /// A token from its text: 16 to 4096 visible ASCII characters (what a header can
    /// carry without quoting), else why not.
    pub fn new(token: &str) -> Result<AdminToken, &'static str> {
        if token.len() < MIN_LEN {
            return Err("shorter than 16 characters");
        }
        if token.len() > MAX_LEN {
            return Err("longer than 4096 characters");
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("not visible ASCII (no spaces or control characters)");
        }
        Ok(AdminToken(blake3::hash(token.as_bytes())))
    }

    /// Whether `given` is the token. Both sides are hashed and the hashes compared in
    /// constant time (`blake3::Hash`'s equality), so neither the length nor the first
    /// differing byte of a guess shows in the timing.
    pub fn matches(&self, given: &str) -> bool {
        blake3::hash(given.as_bytes()) == self.0
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(hidden)")
    }
}

impl Cli {
    /// The admin token, if one is configured.
    pub(super) fn admin_token(&self) -> Result<Option<AdminToken>, ConfigError> {
        self.admin_token_with(|name| std::env::var(name).ok())
    }

    /// [`Cli::admin_token`] with the environment read through `env`.
    fn admin_token_with(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<AdminToken>, ConfigError> {
        let from_file = self.admin_token.is_none();
        let file_env = "VIGNETTE_ADMIN_TOKEN_FILE";
        let Some(token) = secret_with(&self.admin_token, file_env, env)? else {
            return Ok(None);
        };
        let check = Check {
            flag: if from_file { "(file)" } else { "--admin-token" },
            env: if from_file {
                "VIGNETTE_ADMIN_TOKEN_FILE"
            } else {
                "VIGNETTE_ADMIN_TOKEN"
            },
            value: "(hidden)",
        };
        AdminToken::new(&token)
            .map(Some)
            .map_err(|reason| check.fail(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::parse;

    #[test]
    fn tokens_are_checked_and_never_printed() {
        let token = AdminToken::new("correct-horse-battery-staple").unwrap();
        assert!(token.matches("correct-horse-battery-staple"));
        assert!(!token.matches("correct-horse-battery-stapl"));
        assert!(!token.matches(""));
        assert_eq!(format!("{token:?}"), "AdminToken(hidden)");
        assert!(AdminToken::new("short").is_err());
        assert!(AdminToken::new("sixteen chars ok").is_err(), "a space");
        assert!(AdminToken::new(&"x".repeat(4097)).is_err());
    }

    #[test]
    fn the_flag_sets_the_token_and_a_bad_one_names_the_setting() {
        let s = parse(&["--admin-token", "0123456789abcdef"]).unwrap();
        assert!(s.admin_token.unwrap().matches("0123456789abcdef"));
        let e = parse(&["--admin-token", "short"]).unwrap_err();
        assert_eq!((e.flag, e.env), ("--admin-token", "VIGNETTE_ADMIN_TOKEN"));
        assert!(
            !e.to_string().contains("short'"),
            "the value is hidden: {e}"
        );
    }

    #[test]
    fn the_token_file_is_read_trimmed_and_checked() {
        use clap::Parser;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "from-a-file-0123456789\n").unwrap();
        let cli = Cli::try_parse_from(["vignette"]).unwrap();
        let file = path.to_string_lossy().into_owned();
        let env = |name: &str| (name == "VIGNETTE_ADMIN_TOKEN_FILE").then(|| file.clone());
        let token = cli.admin_token_with(env).unwrap().unwrap();
        assert!(token.matches("from-a-file-0123456789"));
        assert!(cli.admin_token_with(|_| None).unwrap().is_none(), "off");

        std::fs::write(&path, "short").unwrap();
        let e = cli.admin_token_with(env).unwrap_err();
        assert_eq!(e.env, "VIGNETTE_ADMIN_TOKEN_FILE");
        let missing = dir.path().join("absent").to_string_lossy().into_owned();
        let e = cli.admin_token_with(|_| Some(missing.clone())).unwrap_err();
        assert!(e.reason.contains("cannot be read"), "{e}");
    }
}
