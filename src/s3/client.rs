//! The S3 client: `aws-sdk-s3` configured for Garage (custom endpoint, path-style
//! addressing, static credentials, rustls), wrapped so that every call has a timeout
//! covering retries and body transfer, is counted, and fails as an [`S3Error`].

use super::{S3Error, S3Metrics, S3Settings};
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use bytes::{Bytes, BytesMut};
use std::future::Future;
use std::time::{Duration, Instant};

/// What a HEAD tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    /// The ETag, quotes included, as S3 sends it.
    pub etag: String,
    /// Size in bytes.
    pub size: u64,
}

/// A GET's options.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GetOptions<'a> {
    /// Only the first `n` bytes (a ranged GET).
    pub(crate) prefix: Option<u64>,
    /// Only if the object's ETag is this one (`If-Match`), else `PreconditionFailed`.
    pub(crate) if_match: Option<&'a str>,
    /// Refuse a larger object, from its `Content-Length` before reading the body.
    pub(crate) max_bytes: Option<u64>,
}

/// A shared S3 client with timeouts and metrics. Cheap to clone.
#[derive(Clone, Debug)]
pub struct S3Client {
    sdk: aws_sdk_s3::Client,
    metrics: S3Metrics,
    timeout: Duration,
}

/// Whether connections to `endpoint` are kept for later calls.
///
/// Not over plain HTTP: Garage (2.5) answers without `TCP_NODELAY`, so on a reused
/// connection the body of its answer waits for our delayed ACK of the headers: every call
/// after the first took 40 ms more (measured: a cache hit 44 ms instead of 2 ms). A plain-HTTP
/// endpoint is a store on the same host or LAN, where a new TCP connection costs a fraction
/// of a millisecond; over HTTPS a handshake costs more than the delay risks, and TLS
/// terminators set `TCP_NODELAY`.
fn keep_alive(endpoint: &str) -> bool {
    !endpoint.starts_with("http://")
}

impl S3Client {
    /// Builds the client. No I/O happens until the first call.
    pub fn new(settings: &S3Settings, metrics: S3Metrics) -> Self {
        let creds = Credentials::new(
            &settings.credentials.access_key_id,
            &settings.credentials.secret_access_key,
            None,
            None,
            "vignette",
        );
        let mut http = aws_smithy_http_client::Builder::new();
        if !keep_alive(&settings.endpoint) {
            http = http.pool_max_idle_per_host(0);
        }
        let http = http
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http)
            .endpoint_url(&settings.endpoint)
            .region(Region::new(settings.region.clone()))
            .credentials_provider(creds)
            .force_path_style(true)
            // Garage and most S3 clones need no extra checksums; fewer headers, less CPU.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts.get()))
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(settings.timeout)
                    .connect_timeout(settings.connect_timeout)
                    .build(),
            )
            .build();
        S3Client {
            sdk: aws_sdk_s3::Client::from_conf(config),
            metrics,
            timeout: settings.timeout,
        }
    }

    /// The underlying SDK client, for operations this wrapper does not offer (tests
    /// use it to change objects behind vignette's back).
    pub fn sdk(&self) -> &aws_sdk_s3::Client {
        &self.sdk
    }

    /// Runs one call under the timeout and records it.
    async fn call<T>(
        &self,
        op: &'static str,
        fut: impl Future<Output = Result<T, S3Error>>,
    ) -> Result<T, S3Error> {
        let start = Instant::now();
        let result = tokio::time::timeout(self.timeout, fut)
            .await
            .unwrap_or(Err(S3Error::Timeout));
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.outcome(),
        };
        self.metrics.observe(op, outcome, start.elapsed());
        result
    }

    /// HEAD: the ETag and size of an object.
    pub async fn head(&self, bucket: &str, key: &str) -> Result<ObjectHead, S3Error> {
        self.call("head", async {
            let out = self
                .sdk
                .head_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| S3Error::from_sdk(&e))?;
            Ok(ObjectHead {
                etag: out.e_tag().unwrap_or_default().to_owned(),
                size: out.content_length().unwrap_or(0).max(0) as u64,
            })
        })
        .await
    }

    /// GET, whole or a prefix, optionally conditional and bounded.
    pub(crate) async fn get(
        &self,
        bucket: &str,
        key: &str,
        opts: GetOptions<'_>,
    ) -> Result<Bytes, S3Error> {
        if opts.prefix == Some(0) {
            return Ok(Bytes::new());
        }
        self.call("get", async {
            let mut req = self.sdk.get_object().bucket(bucket).key(key);
            if let Some(n) = opts.prefix {
                req = req.range(format!("bytes=0-{}", n - 1));
            }
            if let Some(etag) = opts.if_match {
                req = req.if_match(etag);
            }
            let out = match req.send().await.map_err(|e| S3Error::from_sdk(&e)) {
                // A range over an empty object.
                Err(S3Error::RangeNotSatisfiable) if opts.prefix.is_some() => {
                    return Ok(Bytes::new());
                }
                other => other?,
            };
            let limit = opts.max_bytes.unwrap_or(u64::MAX);
            let announced = out.content_length().unwrap_or(0).max(0) as u64;
            if announced > limit && opts.prefix.is_none() {
                return Err(S3Error::TooLarge {
                    size: announced,
                    limit,
                });
            }
            // A server that ignores the range must not make us read the whole object.
            let take = opts.prefix.unwrap_or(u64::MAX);
            collect(out.body, announced.min(take), take, limit).await
        })
        .await
    }

    /// PUT a whole object; returns its new ETag.
    pub(crate) async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
    ) -> Result<String, S3Error> {
        self.call("put", async {
            let out = self
                .sdk
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| S3Error::from_sdk(&e))?;
            out.e_tag()
                .map(str::to_owned)
                .ok_or_else(|| S3Error::Unavailable("PUT answered without an ETag".into()))
        })
        .await
    }

    /// DELETE; deleting a missing object succeeds.
    pub(crate) async fn delete(&self, bucket: &str, key: &str) -> Result<(), S3Error> {
        self.call("delete", async {
            match self
                .sdk
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => match S3Error::from_sdk(&e) {
                    S3Error::NotFound => Ok(()),
                    other => Err(other),
                },
            }
        })
        .await
    }

    /// The keys under `prefix`, all pages.
    pub(crate) async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, S3Error> {
        self.call("list", async {
            let mut keys = Vec::new();
            let mut token = None;
            loop {
                let out = self
                    .sdk
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .set_continuation_token(token)
                    .send()
                    .await
                    .map_err(|e| S3Error::from_sdk(&e))?;
                keys.extend(
                    out.contents()
                        .iter()
                        .filter_map(|o| o.key().map(str::to_owned)),
                );
                token = out.next_continuation_token().map(str::to_owned);
                if token.is_none() {
                    return Ok(keys);
                }
            }
        })
        .await
    }
}

/// Reads a body: its first `take` bytes, refusing more than `limit` (the announced
/// length may lie). Dropping the rest of the stream closes the connection.
async fn collect(
    mut body: ByteStream,
    announced: u64,
    take: u64,
    limit: u64,
) -> Result<Bytes, S3Error> {
    let mut buf = BytesMut::with_capacity(announced.min(limit).min(16 << 20) as usize);
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| S3Error::Unavailable(format!("reading body: {e}")))?
    {
        let size = (buf.len() + chunk.len()) as u64;
        if size > limit {
            return Err(S3Error::TooLarge { size, limit });
        }
        buf.extend_from_slice(&chunk);
        if buf.len() as u64 >= take {
            buf.truncate(take as usize);
            break;
        }
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::keep_alive;

    #[test]
    fn connections_are_kept_over_https_only() {
        assert!(!keep_alive("http://127.0.0.1:3900"));
        assert!(keep_alive("https://s3.example.org"));
    }
}
