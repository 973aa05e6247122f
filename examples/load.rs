//! A small closed-loop HTTP load generator for local measurements when k6 is not at hand:
//! `CLIENTS` clients each send requests one after another for `SECONDS`, then it prints
//! throughput, latency percentiles and status counts. Only for servers on this machine.
//!
//! ```text
//! cargo run --release --example load -- URL_TEMPLATE CLIENTS SECONDS
//! ```
//!
//! In the template, `{n}` is replaced by a request counter and `{w}` by 480 + n mod 40, so
//! that requests differ (no coalescing, no slot-cache hits), e.g.
//! `http://127.0.0.1:8080/iiif/3/photo/full/!{w},{w}/0/default.jpg`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [template, clients, seconds] = args.as_slice() else {
        eprintln!("usage: load URL_TEMPLATE CLIENTS SECONDS");
        std::process::exit(2);
    };
    let host_ok = ["http://127.0.0.1", "http://localhost", "http://[::1]"];
    assert!(
        host_ok.iter().any(|h| template.starts_with(h)),
        "local servers only"
    );
    let clients: usize = clients.parse().expect("CLIENTS");
    let duration = Duration::from_secs_f64(seconds.parse().expect("SECONDS"));
    let counter = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::new();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, counter, template) = (client.clone(), counter.clone(), template.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            while start.elapsed() < duration {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let url = template
                    .replace("{n}", &n.to_string())
                    .replace("{w}", &(480 + n % 40).to_string());
                let t = Instant::now();
                let status = match client.get(&url).send().await {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                out.push((status, t.elapsed().as_secs_f64() * 1000.0));
                if status != 200 {
                    // A refused request waits a little before the next, as a browser would.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client task"));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut ok: Vec<f64> = all.iter().filter(|r| r.0 == 200).map(|r| r.1).collect();
    ok.sort_by(f64::total_cmp);
    let pct = |p: f64| ok.get(((ok.len() as f64 * p) as usize).min(ok.len().saturating_sub(1)));
    let mut statuses = std::collections::BTreeMap::new();
    for (s, _) in &all {
        *statuses.entry(*s).or_insert(0u64) += 1;
    }
    println!("requests={}", all.len());
    println!("ok_per_second={:.2}", ok.len() as f64 / elapsed);
    println!("ok={}", ok.len());
    println!("p50_ms={:.1}", pct(0.5).copied().unwrap_or(0.0));
    println!("p95_ms={:.1}", pct(0.95).copied().unwrap_or(0.0));
    println!("statuses={statuses:?}");
}
