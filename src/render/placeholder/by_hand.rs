//! Not tests: timings and sample files, run by hand with `-- --ignored --nocapture`. Speed
//! is measured here, never asserted.

use super::Placeholders;
use crate::variant::Format;
use std::time::{Duration, Instant};

/// Microseconds per image of each format at 256², 2000² and 4096², and for the start.
#[test]
#[ignore = "timing, run by hand"]
fn timings() {
    let start = Instant::now();
    let p = Placeholders::new().unwrap();
    println!(
        "Placeholders::new: {:.2} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    for side in [256, 2000, 4096] {
        for format in Format::ALL {
            let mut runs = 0u32;
            let mut bytes = 0;
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(300) {
                for _ in 0..64 {
                    bytes = std::hint::black_box(p.image(format, side, side, [90, 60, 30])).len();
                }
                runs += 64;
            }
            let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(runs);
            println!("{side}x{side} {format:?}: {us:.2} µs, {bytes} bytes");
        }
    }
}

/// Writes `R-G-B_WxH.ext` files into `$PLACEHOLDER_SAMPLES` for scripts/placeholder-chromium.
#[test]
#[ignore = "sample files for scripts/placeholder-chromium"]
fn write_samples() {
    let Ok(dir) = std::env::var("PLACEHOLDER_SAMPLES") else {
        eprintln!("write_samples: PLACEHOLDER_SAMPLES is not set; nothing written");
        return;
    };
    let p = Placeholders::new().unwrap();
    let rgb = [200, 30, 30];
    for format in Format::ALL {
        for (w, h) in [(1, 1), (7, 3), (257, 129), (1920, 1080), (4096, 4096)] {
            let name = format!(
                "{}-{}-{}_{w}x{h}.{}",
                rgb[0],
                rgb[1],
                rgb[2],
                format.extension()
            );
            std::fs::write(
                std::path::Path::new(&dir).join(name),
                p.image(format, w, h, rgb),
            )
            .unwrap();
        }
    }
}
