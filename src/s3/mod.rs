//! S3 plumbing shared by the S3 source and the S3 slot store: typed settings, the
//! credentials (from the environment or `*_FILE` secrets), one client configured for
//! Garage (custom endpoint, path-style addressing, timeouts on every call), one error
//! classification and the S3 metrics.

mod client;
mod credentials;
mod error;
mod metrics;

pub(crate) use client::GetOptions;
pub use client::S3Client;
pub use credentials::S3Credentials;
pub(crate) use error::S3Error;
pub use metrics::S3Metrics;

use std::num::NonZeroU32;
use std::time::Duration;

/// The default region: Garage's usual `s3_region`.
pub(crate) const DEFAULT_REGION: &str = "garage";

/// How to reach the S3 service. Filled by the configuration layer.
#[derive(Clone)]
pub struct S3Settings {
    /// `VIGNETTE_S3_ENDPOINT`, e.g. `http://127.0.0.1:3900`.
    pub endpoint: String,
    /// `VIGNETTE_S3_REGION`, default [`DEFAULT_REGION`].
    pub region: String,
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` or their `*_FILE` variants.
    pub credentials: S3Credentials,
    /// `VIGNETTE_S3_TIMEOUT_MS` (default 5 s): the bound on one whole call, retries and
    /// body included. A call that takes longer fails as a timeout.
    pub timeout: Duration,
    /// `VIGNETTE_S3_CONNECT_TIMEOUT_MS` (default 1 s): the bound on opening a connection.
    pub connect_timeout: Duration,
    /// `VIGNETTE_S3_MAX_ATTEMPTS` (default 2): attempts per call, first one included,
    /// within `timeout`.
    pub max_attempts: NonZeroU32,
}

impl S3Settings {
    /// Settings with the documented defaults for everything but the endpoint and the
    /// credentials.
    pub fn new(endpoint: impl Into<String>, credentials: S3Credentials) -> Self {
        S3Settings {
            endpoint: endpoint.into(),
            region: DEFAULT_REGION.to_owned(),
            credentials,
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
            max_attempts: NonZeroU32::new(2).expect("2 > 0"),
        }
    }
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}
