//! The release binary as a process: started with its settings in the environment on
//! loopback ports it picks and prints, queried over HTTP, killed with SIGKILL. For the
//! tests that need real processes (a crash, several instances on one cache).

use super::garage::Garage;
use super::metric_in;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A vignette process and the addresses it printed. Killed when dropped.
pub struct Vignette {
    child: Option<Child>,
    pub base: String,
    pub admin: String,
    pub client: reqwest::Client,
}

impl Vignette {
    /// Starts the binary serving `images`, with the slot cache in `garage`'s cache
    /// bucket, and `env` on top.
    pub fn on_garage(garage: &Garage, images: &Path, env: &[(&str, &str)]) -> Self {
        let mut all: Vec<(&str, &str)> = [
            "VIGNETTE_S3_ENDPOINT",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "VIGNETTE_CACHE_BUCKET",
        ]
        .into_iter()
        .map(|var| (var, garage.var(var)))
        .collect();
        all.extend_from_slice(env);
        Self::spawn(images, &all)
    }

    /// Starts the binary serving `images` with `env`.
    pub fn spawn(images: &Path, env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vignette"));
        cmd.env("VIGNETTE_LISTEN", "127.0.0.1:0")
            .env("VIGNETTE_ADMIN_LISTEN", "127.0.0.1:0")
            .env("VIGNETTE_IMAGES_DIR", images)
            .env("RUST_LOG", "warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the vignette binary starts");
        // main prints "... on http://ADDR" then "  metrics and health on http://ADDR/metrics".
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut base = None;
        let mut admin = None;
        while admin.is_none() {
            let line = lines
                .next()
                .expect("vignette printed its addresses")
                .unwrap();
            if let Some(i) = line.find("http://") {
                let url: String = line[i..].split_whitespace().next().unwrap().to_owned();
                if line.contains("metrics") {
                    admin = Some(
                        url.trim_end_matches("/metrics,")
                            .trim_end_matches("/metrics")
                            .to_owned(),
                    );
                } else if base.is_none() && line.contains("serving") {
                    base = Some(url);
                }
            }
        }
        Vignette {
            child: Some(child),
            base: base.expect("public address"),
            admin: admin.expect("admin address"),
            client: reqwest::Client::new(),
        }
    }

    /// GETs `path` (absolute, e.g. `/iiif/3/…`): status, `X-Cache`, body.
    pub async fn get(&self, path: &str) -> (u16, String, Vec<u8>) {
        let resp = self.client.get(format!("{}{path}", self.base)).send();
        super::cached(resp.await.unwrap()).await
    }

    /// The value of one sample of the admin listener's metrics; 0 if absent.
    pub async fn metric(&self, sample: &str) -> f64 {
        metric_in(&self.metrics_text().await, sample)
    }

    /// The Prometheus text of the admin listener.
    async fn metrics_text(&self) -> String {
        let resp = self.client.get(format!("{}/metrics", self.admin)).send();
        resp.await.unwrap().text().await.unwrap()
    }

    /// Renders so far, every format.
    pub async fn renders(&self) -> f64 {
        let text = self.metrics_text().await;
        text.lines()
            .filter(|l| l.starts_with("vignette_renders_total{"))
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum()
    }

    /// SIGKILL: no drain, no final flush.
    pub fn kill9(mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        }
    }
}

impl Drop for Vignette {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
