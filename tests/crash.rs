//! The real binary killed with SIGKILL mid-run: at most the cache entries since the
//! last index flush are lost, and nothing wrong is ever served after the restart.

mod common;

use common::garage::Garage;
use common::{eventually, fixtures, metric_in};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A vignette process and the addresses it printed.
struct Vignette {
    child: Child,
    base: String,
    admin: String,
}

fn spawn(garage: &Garage, images: &Path) -> Vignette {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vignette"));
    for var in [
        "VIGNETTE_S3_ENDPOINT",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "VIGNETTE_CACHE_BUCKET",
    ] {
        cmd.env(var, garage.var(var));
    }
    let mut child = cmd
        .env("VIGNETTE_LISTEN", "127.0.0.1:0")
        .env("VIGNETTE_ADMIN_LISTEN", "127.0.0.1:0")
        .env("VIGNETTE_IMAGES_DIR", images)
        .env("VIGNETTE_CACHE_PREFIX", "crash/")
        .env("VIGNETTE_CACHE_INDEX_FLUSH_SECS", "1")
        .env("RUST_LOG", "warn")
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
        child,
        base: base.expect("public address"),
        admin: admin.expect("admin address"),
    }
}

impl Vignette {
    async fn get(&self, tail: &str) -> (String, Vec<u8>) {
        let resp = reqwest::get(format!("{}/iiif/3/{tail}", self.base))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{tail}");
        let cache = resp.headers()["x-cache"].to_str().unwrap().to_owned();
        (cache, resp.bytes().await.unwrap().to_vec())
    }

    async fn metric(&self, sample: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.admin))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        metric_in(&text, sample)
    }

    fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

async fn index_etag(garage: &Garage) -> Option<String> {
    let (client, _) = garage.client();
    client
        .sdk()
        .head_object()
        .bucket(garage.var("VIGNETTE_CACHE_BUCKET"))
        .key("crash/index")
        .send()
        .await
        .ok()
        .and_then(|h| h.e_tag().map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_at_most_the_unflushed_entries_and_never_serves_wrong_bytes() {
    let garage = Garage::start();
    let images = tempfile::tempdir().unwrap();
    fixtures::write_all(images.path());

    let v = spawn(&garage, images.path());
    let (_, a) = v.get("grid.jpg/full/210,/0/default.png").await;
    eventually(20, "the write of A", || async {
        v.metric("vignette_cache_writes_total{outcome=\"ok\"}")
            .await
            >= 1.0
    })
    .await;
    // The index flushed after A landed holds A.
    eventually(20, "an index flush", || async {
        index_etag(&garage).await.is_some()
    })
    .await;
    let (_, b) = v.get("grid.jpg/full/220,/0/default.png").await;
    eventually(20, "the write of B", || async {
        v.metric("vignette_cache_writes_total{outcome=\"ok\"}")
            .await
            >= 2.0
    })
    .await;
    v.kill9();

    let v = spawn(&garage, images.path());
    let (cache_a, a2) = v.get("grid.jpg/full/210,/0/default.png").await;
    assert_eq!(cache_a, "hit", "A was flushed before the crash");
    assert_eq!(a, a2);
    // B may or may not have been flushed; either way its bytes are right.
    let (_, b2) = v.get("grid.jpg/full/220,/0/default.png").await;
    assert_eq!(b, b2);
    assert_eq!(v.metric("vignette_cache_etag_mismatches_total").await, 0.0);
    v.kill9();
}
