//! Renders one file from the command line and reports the time per render, for checking
//! files by hand and for quick measurements:
//!
//! ```text
//! cargo run --release --example render -- SOURCE 'full/!500,500/0/default.jpg' [OUT] [RUNS]
//! ```

use std::time::Instant;
use vignette::testing::dialect::parse_params;
use vignette::testing::render::{Deadline, EncodeSettings, Limits, render};
use vignette::testing::variant::PlanLimits;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [source, params, rest @ ..] = args.as_slice() else {
        eprintln!("usage: render SOURCE PARAMS [OUT] [RUNS]");
        std::process::exit(2);
    };
    let out = rest.first().filter(|s| !s.is_empty());
    let runs: usize = rest.get(1).and_then(|r| r.parse().ok()).unwrap_or(1).max(1);
    let bytes = std::fs::read(source).expect("readable source");
    let spec = parse_params(params).expect("valid IIIF parameters");
    let limits = Limits {
        max_source_bytes: 100 << 20,
        max_source_pixels: 50_000_000,
        max_animation_frames: 500,
        max_animation_pixels: 100_000_000,
        plan: PlanLimits {
            max_width: 10_000,
            max_height: 10_000,
            max_area: 25_000_000,
        },
    };
    let settings = EncodeSettings::default();
    let mut times = Vec::with_capacity(runs);
    let mut result = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = render(&bytes, &spec, &limits, &settings, &Deadline::NONE);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        result = Some(r);
    }
    times.sort_by(f64::total_cmp);
    let (min, median) = (times[0], times[times.len() / 2]);
    match result.expect("at least one run") {
        Ok(r) => {
            println!(
                "ok {}x{} {} bytes  min {min:.1} ms  median {median:.1} ms  ({runs} runs)",
                r.width,
                r.height,
                r.bytes.len()
            );
            if let Some(path) = out {
                std::fs::write(path, &r.bytes).expect("writable output");
            }
        }
        Err(e) => println!("error {e:?}  ({min:.1} ms)"),
    }
}
