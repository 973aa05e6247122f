//! vignette: an on-the-fly image CDN that fails fast under overload.
//!
//! # Public API
//! What the `vignette` binary (`src/main.rs`) needs to run the server, and nothing more;
//! every module is `pub(crate)`.
//! * [`Cli`] parses the flags and `VIGNETTE_*` variables; [`Cli::validate`] turns them into
//!   [`Settings`] or a [`ConfigError`] that names the setting. `Settings`' fields are
//!   public so that a caller can read them (listeners, [`LogFormat`], [`HttpLimits`]) and
//!   adjust them before the start.
//! * [`init_telemetry`] installs the log subscriber; [`release_large_buffers`] makes freed
//!   large buffers go back to the system (call both once, early in `main`).
//! * [`AppState::build`] builds the shared state (sources, cache, worker pool) with a
//!   [`Metrics`] registry.
//! * [`run`] serves the public and admin routers until a shutdown future (such as
//!   [`shutdown_signal`]) resolves, then drains; [`app`] is the public router alone.
//!
//! The integration tests, benches, examples and the fuzz crate reach further in through
//! `testing`, which is hidden from the docs and not an API.
//!
//! # Layout
//! The modules follow the request path:
//! * `config`: flags and `VIGNETTE_*` variables, validated once into `Settings`.
//! * `http`: the public router (IIIF under `/iiif/3/`, imgproxy at the root), its
//!   listener with the client limits, and the admin router (metrics, health, purges);
//!   handlers never render.
//! * `dialect`: the URL grammars (IIIF Image API 3.0, imgproxy with its signatures and
//!   presets) and format negotiation, each parsing into one dialect-free request.
//! * `variant`: that request's model (`Variant`, `SourceRef`), the plan that resolves a
//!   variant against an image, and the variant (cache) key.
//! * `admission`: one image request below HTTP: cache, coalescing, admission, and the
//!   failure mode's degraded answers and placeholders.
//! * `flight`: coalescing of identical requests and the render job.
//! * `pool`: the fixed worker threads, the bounded queue, the CoDel-style admission
//!   controller and the hydration queue.
//! * `render`: the synchronous CPU pipeline, run only on the pool's threads.
//! * `lqip`: placeholders and colours of an image (the imgproxy-style info endpoint),
//!   computed on the pool's threads from a thumbnail the pipeline renders.
//! * `cache`: the slot cache of rendered variants (a bucket or a directory), its index
//!   and eviction policy.
//! * `source`: where source bytes come from (a local directory, S3 buckets).
//! * `s3`: the S3 client (Garage), credentials and S3 metrics shared by both.
//! * `error`: the one place that maps errors to HTTP statuses.
//! * `fuzzing`: the checks of the fuzz targets (`fuzz/`), reached through `testing`.
//! * `testing`: re-exports for the tests, benches, examples and fuzz targets.

pub(crate) mod admission;
pub(crate) mod cache;
pub(crate) mod config;
pub(crate) mod dialect;
pub(crate) mod error;
pub(crate) mod flight;
pub(crate) mod fuzzing;
pub(crate) mod http;
pub(crate) mod lqip;
pub(crate) mod metrics;
pub(crate) mod pool;
pub(crate) mod render;
pub(crate) mod s3;
pub(crate) mod source;
pub(crate) mod state;
pub(crate) mod telemetry;
#[doc(hidden)]
pub mod testing;
pub(crate) mod variant;

pub use config::{Cli, ConfigError, LogFormat, Settings};
pub use http::HttpLimits;
pub use metrics::Metrics;
pub use render::release_large_buffers;
pub use state::AppState;
pub use telemetry::init as init_telemetry;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::TcpListener;

/// The public application: every image route, with its middleware.
pub fn app(state: Arc<AppState>) -> axum::Router {
    http::router(state)
}

/// Serves the public and admin routers until `shutdown` resolves, then drains: readiness
/// fails, in-flight requests get up to the configured grace period, the worker pool
/// finishes its queue and stops, pending cache writes land and the cache index is
/// flushed.
pub async fn run(
    listener: TcpListener,
    admin_listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_public, public_rx) = tokio::sync::watch::channel(false);
    let (stop_admin, admin_rx) = tokio::sync::watch::channel(false);
    let wait_stop = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stopped| *stopped).await;
    };
    let public = http::serve(
        listener,
        app(state.clone()),
        state.settings.http_limits,
        wait_stop(public_rx),
    );
    let admin = axum::serve(admin_listener, http::admin_router(state.clone()))
        .with_graceful_shutdown(wait_stop(admin_rx));
    let public = tokio::spawn(public);
    let admin = tokio::spawn(async move { admin.await });
    shutdown.await;
    tracing::info!("shutting down: draining requests");
    // Readiness fails from now on, and the admin listener keeps answering it until the
    // end, so that the scheduler sees the drain.
    state.draining.store(true, Ordering::Release);
    let _ = stop_public.send(true);
    let grace = state.settings.shutdown_grace;
    if tokio::time::timeout(grace, public).await.is_err() {
        tracing::warn!(?grace, "requests still running after the grace period");
    }
    let pool = state.pool.clone();
    let _ = tokio::task::spawn_blocking(move || pool.shutdown()).await;
    state.close_cache().await;
    let _ = stop_admin.send(true);
    let _ = admin.await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
