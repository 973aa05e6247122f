//! S3 credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, or from files
//! named by `AWS_ACCESS_KEY_ID_FILE` / `AWS_SECRET_ACCESS_KEY_FILE` (Nomad templates,
//! container secrets). The secret never appears in `Debug` output.

use std::fmt;
use std::path::PathBuf;

/// The access key pair vignette signs S3 requests with.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    /// The access key id (Garage: `GK` + 24 hex digits).
    pub access_key_id: String,
    /// The secret access key (Garage: 64 hex digits).
    pub secret_access_key: String,
}

/// Why credentials could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// Neither the variable nor its `_FILE` variant is set.
    #[error("{0} is not set (nor {0}_FILE)")]
    Missing(&'static str),
    /// Both the variable and its `_FILE` variant are set.
    #[error("both {0} and {0}_FILE are set: keep one")]
    Ambiguous(&'static str),
    /// The `_FILE` variant names a file that cannot be read.
    #[error("cannot read {var}_FILE ({path}): {source}")]
    File {
        /// The variable.
        var: &'static str,
        /// The file it names.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The value is empty.
    #[error("{0} is empty")]
    Empty(&'static str),
}

impl S3Credentials {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, CredentialsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, CredentialsError> {
        Ok(S3Credentials {
            access_key_id: read_secret(&lookup, "AWS_ACCESS_KEY_ID")?,
            secret_access_key: read_secret(&lookup, "AWS_SECRET_ACCESS_KEY")?,
        })
    }
}

/// The value of `var`, or the content of the file named by `{var}_FILE`, trimmed of
/// surrounding whitespace (files usually end with a newline).
pub(crate) fn read_secret(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<String, CredentialsError> {
    let value = match (lookup(var), lookup(&format!("{var}_FILE"))) {
        (Some(_), Some(_)) => return Err(CredentialsError::Ambiguous(var)),
        (None, None) => return Err(CredentialsError::Missing(var)),
        (Some(value), None) => value,
        (None, Some(path)) => {
            let path = PathBuf::from(path);
            std::fs::read_to_string(&path).map_err(|source| CredentialsError::File {
                var,
                path,
                source,
            })?
        }
    };
    let value = value.trim();
    if value.is_empty() {
        return Err(CredentialsError::Empty(var));
    }
    Ok(value.to_owned())
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn reads_values_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "s3cr3t-s3cr3t-s3cr3t\n").unwrap();
        let creds = S3Credentials::from_lookup(lookup(&[
            ("AWS_ACCESS_KEY_ID", "GK0123"),
            ("AWS_SECRET_ACCESS_KEY_FILE", secret.to_str().unwrap()),
        ]))
        .unwrap();
        assert_eq!(creds.access_key_id, "GK0123");
        assert_eq!(creds.secret_access_key, "s3cr3t-s3cr3t-s3cr3t");
        assert!(!format!("{creds:?}").contains("s3cr3t"));
    }

    #[test]
    fn names_the_bad_variable() {
        let err = S3Credentials::from_lookup(lookup(&[("AWS_SECRET_ACCESS_KEY", "x")]));
        assert!(matches!(
            err,
            Err(CredentialsError::Missing("AWS_ACCESS_KEY_ID"))
        ));
        let err = S3Credentials::from_lookup(lookup(&[
            ("AWS_ACCESS_KEY_ID", "a"),
            ("AWS_ACCESS_KEY_ID_FILE", "/x"),
        ]));
        assert!(matches!(
            err,
            Err(CredentialsError::Ambiguous("AWS_ACCESS_KEY_ID"))
        ));
        let err = S3Credentials::from_lookup(lookup(&[
            ("AWS_ACCESS_KEY_ID", "a"),
            ("AWS_SECRET_ACCESS_KEY_FILE", "/nonexistent/secret"),
        ]));
        assert!(matches!(err, Err(CredentialsError::File { .. })));
        let err = S3Credentials::from_lookup(lookup(&[
            ("AWS_ACCESS_KEY_ID", " \n"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ]));
        assert!(matches!(
            err,
            Err(CredentialsError::Empty("AWS_ACCESS_KEY_ID"))
        ));
    }
}
