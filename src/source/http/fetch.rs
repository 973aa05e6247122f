//! One fetch from an HTTP(S) origin, bounded and checked: the allowlist and the address
//! rules before the request, after DNS resolution (the connection goes to the address
//! that was checked: the resolver itself drops refused addresses) and at every redirect
//! hop; a whole-fetch timeout; the body streamed under the byte limit and the memory
//! budget; conditional GETs for revalidation. Errors become the source layer's, with
//! short fixed messages: the origin's text and the client's error chain go to the debug
//! log only.

use super::address::{classify, classify_name};
use super::budget::Budget;
use super::client::{self, OriginClient, RefusedAddress, Rules};
use super::{AllowedSources, HttpSourceSettings};
use crate::source::SourceError;
use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpInfo;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use url::{Host, Url};

/// What the origin's validators were, sent back on revalidation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Validators {
    pub(crate) etag: Option<String>,
    pub(crate) last_modified: Option<String>,
}

/// A complete body and its validators.
#[derive(Debug)]
pub(crate) struct Body {
    pub(crate) bytes: Bytes,
    pub(crate) validators: Validators,
}

/// The result of a (conditional) GET.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// 200: the body.
    Fresh(Body),
    /// 304: the copy the validators came from is still current.
    NotModified,
}

/// The origin client and its bounds. Cheap to clone (shared pool).
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: OriginClient,
    allowed_sources: Arc<AllowedSources>,
    rules: Rules,
    timeout: Duration,
    max_redirects: u32,
    max_bytes: u64,
    budget: Budget,
    user_agent: HeaderValue,
}

impl Fetcher {
    /// A client for `settings`, trusting the system's root certificates.
    pub(crate) fn new(settings: &HttpSourceSettings) -> Self {
        let rules = Rules {
            allow_loopback: settings.allow_loopback,
            allow_private: settings.allow_private,
        };
        let client = client::build(rules, settings.connect_timeout);
        Fetcher {
            client,
            allowed_sources: Arc::new(settings.allowed_sources.clone()),
            rules,
            timeout: settings.timeout,
            max_redirects: settings.max_redirects,
            max_bytes: settings.max_bytes,
            budget: Budget::new(settings.fetch_budget_bytes),
            user_agent: HeaderValue::from_static(concat!("vignette/", env!("CARGO_PKG_VERSION"))),
        }
    }

    /// The URL to request for `url`, or `Forbidden`: only `http`/`https`, no
    /// credentials, allowlisted, and an IP-literal or `localhost` host allowed by the
    /// address rules (those never reach the resolver). The fragment is dropped.
    pub(crate) fn admit(&self, url: &Url) -> Result<Url, SourceError> {
        let refuse = |why: &str| {
            tracing::debug!(%url, why, "source refused");
            Err(SourceError::Forbidden(url.as_str().to_owned()))
        };
        if !matches!(url.scheme(), "http" | "https") {
            return refuse("scheme");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return refuse("credentials in the URL");
        }
        let class = match url.host() {
            Some(Host::Ipv4(ip)) => Some(classify(ip.into())),
            Some(Host::Ipv6(ip)) => Some(classify(ip.into())),
            Some(Host::Domain(name)) => classify_name(name),
            None => return refuse("no host"),
        };
        if class.is_some_and(|c| !self.rules.allows(c)) {
            return refuse("address");
        }
        let mut url = url.clone();
        url.set_fragment(None);
        if !self.allowed_sources.allows(url.as_str()) {
            return refuse("not in --allowed-sources");
        }
        Ok(url)
    }

    /// GETs `url` (conditionally when `validators` are given), following at most
    /// `max_redirects` admitted redirects, all within the whole-fetch timeout.
    pub(crate) async fn get(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        on_budget_wait: impl FnOnce(),
    ) -> Result<Outcome, SourceError> {
        let deadline = Instant::now() + self.timeout;
        let fetch = self.get_until(url, validators, deadline, on_budget_wait);
        tokio::time::timeout_at(deadline, fetch)
            .await
            .unwrap_or(Err(SourceError::Timeout))
    }

    async fn get_until(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        deadline: Instant,
        on_budget_wait: impl FnOnce(),
    ) -> Result<Outcome, SourceError> {
        let mut url = self.admit(url)?;
        let mut hops = 0;
        let response = loop {
            let response = self.send(&url, validators).await?;
            let status = response.status();
            if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                break response;
            }
            hops += 1;
            let next = response
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok());
            let Some(next) = next else {
                return Err(unavailable(
                    "origin sent a redirect without a usable Location",
                ));
            };
            if hops > self.max_redirects {
                tracing::debug!(%url, %next, "too many redirects");
                return Err(SourceError::Forbidden(next.as_str().to_owned()));
            }
            url = self.admit(&next)?;
        };
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_MODIFIED if validators.is_some() => return Ok(Outcome::NotModified),
            StatusCode::NOT_FOUND | StatusCode::GONE => {
                return Err(SourceError::NotFound(url.as_str().to_owned()));
            }
            status => {
                tracing::debug!(%url, %status, "origin refused the fetch");
                return Err(SourceError::Unavailable(format!(
                    "origin answered {}",
                    status.as_u16()
                )));
            }
        }
        let headers = response.headers();
        if let Some(kind) = not_an_image(headers) {
            return Err(SourceError::NotAnImage(kind.to_owned()));
        }
        let validators = Validators {
            etag: text(headers, header::ETAG),
            last_modified: text(headers, header::LAST_MODIFIED),
        };
        let declared = text(headers, header::CONTENT_LENGTH).and_then(|l| l.parse::<u64>().ok());
        if let Some(size) = declared.filter(|&s| s > self.max_bytes) {
            return Err(SourceError::TooLarge {
                size,
                limit: self.max_bytes,
            });
        }
        // Waiting for the budget is our overload, not the origin's slowness: running out
        // of time here is a 503, not a 504.
        let reserve = self.budget.reserve(declared.unwrap_or(self.max_bytes));
        let (_reservation, waited) = tokio::time::timeout_at(deadline, reserve)
            .await
            .map_err(|_| SourceError::Overloaded)?;
        if waited {
            on_budget_wait();
        }
        let mut body = response.into_body();
        let mut bytes = BytesMut::with_capacity(declared.unwrap_or(0) as usize);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                tracing::debug!(%url, error = ?e, "origin body failed");
                unavailable("origin connection failed")
            })?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let size = (bytes.len() + data.len()) as u64;
            if size > self.max_bytes {
                // Dropping the body closes the connection: nothing more is read.
                return Err(SourceError::TooLarge {
                    size,
                    limit: self.max_bytes,
                });
            }
            bytes.extend_from_slice(&data);
        }
        Ok(Outcome::Fresh(Body {
            bytes: bytes.freeze(),
            validators,
        }))
    }

    /// Sends one GET and checks the peer it went to.
    async fn send(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<http::Response<hyper::body::Incoming>, SourceError> {
        let forbidden = || SourceError::Forbidden(url.as_str().to_owned());
        let uri: http::Uri = url.as_str().parse().map_err(|_| forbidden())?;
        let mut request = Request::get(uri)
            .header(header::USER_AGENT, self.user_agent.clone())
            .header(header::ACCEPT, "image/*,*/*;q=0.8")
            // Compressed bodies would need decoding, and could hide a bomb.
            .header(header::ACCEPT_ENCODING, "identity");
        for (name, value) in [
            (
                header::IF_NONE_MATCH,
                validators.and_then(|v| v.etag.as_deref()),
            ),
            (
                header::IF_MODIFIED_SINCE,
                validators.and_then(|v| v.last_modified.as_deref()),
            ),
        ] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
                request = request.header(name, value);
            }
        }
        let request = request.body(Empty::new()).map_err(|_| forbidden())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| transport_error(&e, url))?;
        // Belt and braces: the connection's peer, whatever path it came by.
        if let Some(info) = response.extensions().get::<HttpInfo>()
            && !self.rules.allows(classify(info.remote_addr().ip()))
        {
            tracing::warn!(%url, peer = %info.remote_addr(), "connected to a refused address");
            return Err(forbidden());
        }
        Ok(response)
    }
}

/// A failure before the response, classified by what is in the error chain.
fn transport_error(e: &hyper_util::client::legacy::Error, url: &Url) -> SourceError {
    tracing::debug!(%url, error = ?e, "origin request failed");
    let mut cause: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<RefusedAddress>() {
            return SourceError::Forbidden(url.as_str().to_owned());
        }
        if c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return SourceError::Timeout;
        }
        if c.is::<rustls::Error>() {
            return unavailable("TLS handshake with the origin failed");
        }
        cause = c.source();
    }
    unavailable("origin unreachable")
}

fn unavailable(message: &str) -> SourceError {
    SourceError::Unavailable(message.to_owned())
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The declared type when it is a web page rather than an image (an error page served
/// with 200, a login wall): refused before the body is read. Other types, or none, are
/// left to the renderer's sniffing, since many origins mislabel images.
fn not_an_image(headers: &HeaderMap) -> Option<&'static str> {
    let kind = text(headers, header::CONTENT_TYPE)?.to_ascii_lowercase();
    let essence = kind.split(';').next().unwrap_or("").trim();
    ["text/html", "application/xhtml+xml"]
        .into_iter()
        .find(|&k| k == essence)
}
