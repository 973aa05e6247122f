//! Test harness: a real vignette server on 127.0.0.1:0 (public and admin listeners),
//! serving a temporary directory of generated fixtures.
#![allow(dead_code, unreachable_pub)]

pub mod fixtures;
pub mod garage;
pub mod gate;
pub mod process;

use std::path::Path;
use std::sync::Arc;
use vignette::AppState;
use vignette::Metrics;
use vignette::Settings;

/// A running server.
pub struct Server {
    pub base: String,
    pub admin: String,
    pub state: Arc<AppState>,
    /// The images directory when the server owns it.
    pub dir: Option<tempfile::TempDir>,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Starts a server on the fixtures written by `fill`, with settings adjusted by `tweak`.
pub async fn start_with(fill: impl FnOnce(&Path), tweak: impl FnOnce(&mut Settings)) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    fill(dir.path());
    let mut server = start_in(dir.path(), tweak).await;
    server.dir = Some(dir);
    server
}

/// Starts a server on an existing images directory (e.g. to restart on the same files).
pub async fn start_in(dir: &Path, tweak: impl FnOnce(&mut Settings)) -> Server {
    start_full(dir, tweak, Arc::new(vignette::testing::pool::SystemClock)).await
}

/// Starts a server on the standard fixtures whose queue runs on `clock`.
pub async fn start_with_clock(
    tweak: impl FnOnce(&mut Settings),
    clock: Arc<dyn vignette::testing::pool::Clock>,
) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    fixtures::write_all(dir.path());
    let mut server = start_full(dir.path(), tweak, clock).await;
    server.dir = Some(dir);
    server
}

async fn start_full(
    dir: &Path,
    tweak: impl FnOnce(&mut Settings),
    clock: Arc<dyn vignette::testing::pool::Clock>,
) -> Server {
    let mut settings = Settings::for_dir(dir);
    tweak(&mut settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let admin_base = format!("http://{}", admin.local_addr().unwrap());
    let state = AppState::build_with_clock(settings, Metrics::new(), clock)
        .await
        .expect("state");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(vignette::run(listener, admin, state.clone(), async move {
        let _ = rx.await;
    }));
    Server {
        base,
        admin: admin_base,
        state,
        dir: None,
        client: reqwest::Client::new(),
        stop: Some(tx),
        task: Some(task),
    }
}

/// Starts a server on the standard fixtures with default settings.
pub async fn start() -> Server {
    start_with(fixtures::write_all, |_| {}).await
}

impl Server {
    /// GET `path` (absolute path, still percent-encoded) on the public listener.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("request sent")
    }

    /// GETs `path` as the cache tests read it: see [`cached`].
    pub async fn get_cached(&self, path: &str) -> (u16, String, Vec<u8>) {
        cached(self.get(path).await).await
    }

    /// GET an image under `/iiif/3/`; returns status, headers and body.
    pub async fn iiif(&self, tail: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let resp = self.get(&format!("/iiif/3/{tail}")).await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.expect("body").to_vec();
        (status, headers, body)
    }

    /// Width and height from an image's info.json.
    pub async fn info_size(&self, identifier: &str) -> (u64, u64) {
        let info: serde_json::Value = self
            .get(&format!("/iiif/3/{identifier}/info.json"))
            .await
            .json()
            .await
            .expect("info.json is JSON");
        (
            info["width"].as_u64().expect("width"),
            info["height"].as_u64().expect("height"),
        )
    }

    /// The Prometheus text of the admin listener.
    pub async fn metrics_text(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.admin))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The value of one sample, e.g. `vignette_renders_total{format="jpg"}`; 0 if absent.
    pub async fn metric(&self, sample: &str) -> f64 {
        metric_in(&self.metrics_text().await, sample)
    }

    /// Renders so far, every format.
    pub async fn renders(&self) -> f64 {
        let text = self.metrics_text().await;
        text.lines()
            .filter(|l| l.starts_with("vignette_renders_total{"))
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum()
    }

    /// Waits until `n` slot-cache writes have landed.
    pub async fn writes_landed(&self, n: f64) {
        eventually(20, "cache writes", || async {
            self.metric("vignette_cache_writes_total{outcome=\"ok\"}")
                .await
                >= n
        })
        .await;
    }

    /// Stops the server and waits for the drain to end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran");
        }
    }
}

/// Polls `check` until it holds, failing after `secs` seconds: a wait for a background
/// effect (a cache write landing) with a deadline, never a fixed sleep.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut poll = tokio::time::interval(std::time::Duration::from_millis(20));
    loop {
        poll.tick().await;
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
    }
}

/// The value of `sample` in a Prometheus text exposition; 0 if absent.
pub fn metric_in(text: &str, sample: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            (name == sample).then(|| value.parse().ok()).flatten()
        })
        .unwrap_or(0.0)
}

/// A response as the cache tests read it: status, `X-Cache` (empty when absent), body.
pub async fn cached(resp: reqwest::Response) -> (u16, String, Vec<u8>) {
    let status = resp.status().as_u16();
    let cache = resp
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, cache, resp.bytes().await.unwrap().to_vec())
}
