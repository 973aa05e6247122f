//! Real Garage nodes for the tests: `scripts/garage start` in a temporary directory on free
//! loopback ports. A test that stops or restarts Garage starts its own node, stopped by
//! process id when dropped; the others share one node per test binary ([`Garage::shared`]),
//! each under buckets, prefixes and keys of its own. A test that needs Garage fails loudly
//! when Garage is missing; it never silently passes.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use vignette::testing::s3::{S3Client, S3Credentials, S3Metrics, S3Settings};

/// A running (or stopped) single-node Garage.
#[derive(Debug)]
pub struct Garage {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
    running: bool,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/garage")
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("cannot run scripts/garage");
    assert!(
        out.status.success(),
        "{cmd:?} failed.\nGarage is required by this test: install it with \
         `scripts/garage install`.\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Garage {
    /// Starts a node with the buckets `vignette-cache` and `vignette-images`.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("vignette-garage-")
            .tempdir()
            .expect("temporary directory");
        let mut garage = Garage {
            dir,
            env: HashMap::new(),
            running: false,
        };
        garage.boot();
        garage
    }

    /// The node this test binary's tests share, started by the first of them. A static is
    /// never dropped, so a watchdog stops it: a shell blocked reading a pipe whose only
    /// writer is this process, which the kernel closes however the process ends (success,
    /// failed assertions, a kill), then stops the node and removes its directory.
    pub fn shared() -> &'static Garage {
        static NODE: OnceLock<(Garage, Child)> = OnceLock::new();
        &NODE
            .get_or_init(|| {
                let node = Garage::start();
                // Never waited for: it outlives this process by design, and holding it
                // keeps its stdin, the pipe's only writer, open until the exit.
                let watchdog = Command::new("sh")
                    .arg("-c")
                    .arg(r#"read _ ; "$0" stop "$1" ; rm -rf "$1""#)
                    .arg(script())
                    .arg(node.dir.path())
                    .env("VIGNETTE_GARAGE_STOP_SECS", "0")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("cannot start the Garage watchdog (sh)");
                (node, watchdog)
            })
            .0
    }

    fn boot(&mut self) {
        let out = run(Command::new(script())
            .arg("start")
            .arg(self.dir.path())
            .env("GARAGE_NO_INSTALL", "1"));
        self.env = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        self.running = true;
    }

    /// Stops the node (by its pid: SIGTERM, SIGKILL a second later, as Garage waits
    /// for the clients' idle connections); its data stays for `restart`.
    pub fn stop(&mut self) {
        if self.running {
            run(Command::new(script())
                .arg("stop")
                .arg(self.dir.path())
                .env("VIGNETTE_GARAGE_STOP_SECS", "1"));
            self.running = false;
        }
    }

    /// Starts the stopped node again, same ports, same data.
    pub fn restart(&mut self) {
        assert!(!self.running, "restart of a running node");
        self.boot();
    }

    /// A variable of the node's env file (`VIGNETTE_S3_ENDPOINT`, …).
    pub fn var(&self, name: &str) -> &str {
        self.env
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing from the env file"))
    }

    /// Runs the `garage` CLI against this node.
    pub fn cli(&self, args: &[&str]) -> Output {
        run(Command::new(script())
            .arg("cli")
            .arg(self.dir.path())
            .args(args))
    }

    /// S3 settings for this node, with short timeouts so that outages are quick.
    pub fn settings(&self) -> S3Settings {
        let credentials = S3Credentials::from_lookup(|name| self.env.get(name).cloned())
            .expect("credentials in the env file");
        S3Settings {
            timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_millis(500),
            max_attempts: NonZeroU32::new(2).unwrap(),
            ..S3Settings::new(self.var("VIGNETTE_S3_ENDPOINT"), credentials)
        }
    }

    /// A client with its own metrics registry.
    pub fn client(&self) -> (S3Client, S3Metrics) {
        let metrics = S3Metrics::new(&prometheus::Registry::new()).unwrap();
        (S3Client::new(&self.settings(), metrics.clone()), metrics)
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        if self.running {
            let _ = Command::new(script())
                .arg("stop")
                .arg(self.dir.path())
                .env("VIGNETTE_GARAGE_STOP_SECS", "0")
                .output();
        }
    }
}
