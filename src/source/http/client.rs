//! The connection layer of the HTTP source: a resolver that drops refused addresses (the
//! connector connects to what it returns, with no second lookup), rustls on ring with the
//! system's roots, and one pooled HTTP/1.1 client.

use super::address::{AddressClass, allowed, classify, classify_name};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::Empty;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{HttpConnector, dns::Name};
use hyper_util::rt::TokioExecutor;
use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// The client every fetch goes through.
pub(crate) type OriginClient = Client<HttpsConnector<HttpConnector<GuardedResolver>>, Empty<Bytes>>;

/// A client whose every connection goes to an address `rules` allow. No proxy: one from
/// the environment would connect on our behalf to addresses we never checked.
pub(crate) fn build(rules: Rules, connect_timeout: Duration) -> OriginClient {
    let mut http = HttpConnector::new_with_resolver(GuardedResolver(rules));
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(8)
        .build(https)
}

/// The address rules, shared by the pre-checks and the resolver.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) allow_loopback: bool,
    pub(crate) allow_private: bool,
}

impl Rules {
    pub(crate) fn allows(self, class: AddressClass) -> bool {
        allowed(class, self.allow_loopback, self.allow_private)
    }
}

/// The resolver's refusal: every address of the name is refused. Found again in the
/// client's error chain to answer 403 rather than 502.
#[derive(Debug)]
pub(crate) struct RefusedAddress;

impl std::fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("every address of the host is refused")
    }
}

impl StdError for RefusedAddress {}

type BoxError = Box<dyn StdError + Send + Sync>;

/// Resolves with the system resolver and keeps only the addresses the rules allow: the
/// connector connects to what this returns, with no second lookup, so a name that
/// resolves differently the second time (DNS rebinding) cannot slip through.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver(Rules);

impl tower::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let rules = self.0;
        Box::pin(async move {
            if classify_name(name.as_str()).is_some_and(|c| !rules.allows(c)) {
                return Err(RefusedAddress.into());
            }
            let all: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let kept = keep_allowed(rules, &all);
            if kept.is_empty() {
                tracing::debug!(host = %name, addresses = ?all, "every address refused");
                return Err(RefusedAddress.into());
            }
            Ok(kept.into_iter())
        })
    }
}

/// The resolved addresses that may be connected to: a name that resolves to a public and
/// an internal address keeps the public one only.
fn keep_allowed(rules: Rules, all: &[SocketAddr]) -> Vec<SocketAddr> {
    all.iter()
        .copied()
        .filter(|a| rules.allows(classify(a.ip())))
        .collect()
}

/// rustls on ring with the system's roots. No roots (a bare container) leaves HTTPS
/// origins failing with 502 and a warning, HTTP ones working.
fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let errors = found.errors;
        tracing::warn!(
            ?errors,
            "no system root certificates: HTTPS origins will fail"
        );
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolved_addresses_are_filtered() {
        let addrs = |list: &[&str]| -> Vec<SocketAddr> {
            list.iter().map(|a| a.parse().unwrap()).collect()
        };
        let defaults = Rules {
            allow_loopback: false,
            allow_private: false,
        };
        let rebinding = addrs(&["127.0.0.1:0", "[::1]:0", "169.254.169.254:0", "10.0.0.1:0"]);
        assert!(keep_allowed(defaults, &rebinding).is_empty());
        let mixed = addrs(&["10.0.0.1:0", "93.184.215.14:0", "[::ffff:127.0.0.1]:0"]);
        assert_eq!(keep_allowed(defaults, &mixed), addrs(&["93.184.215.14:0"]));
        let private = Rules {
            allow_private: true,
            ..defaults
        };
        assert_eq!(
            keep_allowed(private, &rebinding),
            addrs(&["10.0.0.1:0"]),
            "the metadata service stays refused"
        );
    }
}
