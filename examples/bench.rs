//! In-process measurements for `scripts/bench-vs-vips` (run pinned to one core). Every
//! mode prints `key=value` lines; times are milliseconds.
//!
//! ```text
//! bench floor  SOURCE PARAMS RUNS   render vs a libjpeg-turbo 1/8 decode, interleaved
//! bench render SOURCE PARAMS RUNS   render time and output size
//! bench srcset SOURCE RUNS          five widths in both orders vs the widest alone
//! bench decode SOURCE RUNS          vignette's decode stage at 1/8, 1/4, 1/2 and 1/1
//! bench read   SOURCE RUNS          reading the file as a job's fetch does (the local
//!                                   source: two threads) and with one plain read
//! bench once   SOURCE PARAMS [OUT]  one render, nothing else (for peak RSS)
//! bench idle                        nothing (the RSS baseline)
//! ```
//!
//! Encoder settings come from the same `VIGNETTE_*` variables as the server's.

use std::time::Instant;
use vignette::testing::dialect::parse_params;
use vignette::testing::render::stages;
use vignette::testing::render::{
    Deadline, EncodeSettings, IntermediateCache, Limits, SourceKey, render, render_cached,
    render_keeping,
};
use vignette::testing::variant::{PlanLimits, Variant};

const LIMITS: Limits = Limits {
    max_source_bytes: 100 << 20,
    max_source_pixels: 50_000_000,
    max_animation_frames: 500,
    max_animation_pixels: 100_000_000,
    plan: PlanLimits {
        max_width: 16_383,
        max_height: 16_383,
        max_area: 50_000_000,
    },
};

/// The server's encoder settings, from the same flags' `VIGNETTE_*` variables and with the
/// same validation (a bad value stops the bench with the server's message).
fn settings() -> EncodeSettings {
    use clap::Parser;
    match vignette::Cli::parse_from(["bench"]).validate() {
        Ok(s) => s.encode,
        Err(e) => panic!("{e}"),
    }
}

fn spec(params: &str) -> Variant {
    parse_params(params).expect("valid IIIF parameters")
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Median and minimum.
fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0])
}

fn render_once(bytes: &[u8], spec: &Variant, s: &EncodeSettings) -> (f64, usize) {
    let t = Instant::now();
    let r = render(bytes, spec, &LIMITS, s, &Deadline::NONE).expect("render");
    (ms(t), r.bytes.len())
}

/// libjpeg-turbo's 1/8-scale decode of the whole file into RGB: the floor.
fn floor_once(bytes: &[u8]) -> f64 {
    let t = Instant::now();
    let mut d = turbojpeg::Decompressor::new().expect("decompressor");
    let factor = turbojpeg::ScalingFactor::ONE_EIGHTH;
    d.set_scaling_factor(factor).expect("1/8");
    let header = d.read_header(bytes).expect("header").scaled(factor);
    let mut image = turbojpeg::Image {
        pixels: vec![0u8; header.width * header.height * 3],
        width: header.width,
        pitch: header.width * 3,
        height: header.height,
        format: turbojpeg::PixelFormat::RGB,
    };
    d.decompress(bytes, image.as_deref_mut()).expect("decode");
    std::hint::black_box(&image.pixels);
    ms(t)
}

fn srcset(bytes: &[u8], runs: usize, s: &EncodeSettings) {
    let widths = [320u32, 640, 960, 1280, 1920];
    let spec_of = |w: u32| spec(&format!("full/{w},/0/default.jpg"));
    let key = SourceKey::new("photo", "v1");
    let series = |order: &[u32]| -> (f64, u64) {
        let cache = IntermediateCache::new(64 << 20);
        let t = Instant::now();
        for &w in order {
            let sp = spec_of(w);
            match render_cached(&cache, &key, &sp, &LIMITS, s, &Deadline::NONE) {
                Some(r) => drop(r.expect("render")),
                None => drop(
                    render_keeping(bytes, &sp, &LIMITS, s, &Deadline::NONE, &cache, &key)
                        .expect("render"),
                ),
            }
        }
        (ms(t), cache.stats().decodes)
    };
    let (mut widest, mut asc, mut desc) = (vec![], vec![], vec![]);
    let (mut asc_ratio, mut desc_ratio) = (vec![], vec![]);
    let (mut asc_decodes, mut desc_decodes) = (0, 0);
    let mut descending = widths;
    descending.reverse();
    // Each iteration times the widest alone between the two series, and the ratios are
    // taken within the iteration, so that a change of load on the machine cancels out.
    for _ in 0..runs {
        let (d, dd) = series(&descending);
        let w = render_once(bytes, &spec_of(1920), s).0;
        let (a, ad) = series(&widths);
        (desc_decodes, asc_decodes) = (dd, ad);
        desc_ratio.push(d / w);
        asc_ratio.push(a / w);
        widest.push(w);
        desc.push(d);
        asc.push(a);
    }
    let (w_med, w_min) = stats(widest);
    let (d_med, d_min) = stats(desc);
    let (a_med, a_min) = stats(asc);
    println!("widest_median={w_med:.1}\nwidest_min={w_min:.1}");
    println!(
        "descending_median={d_med:.1}\ndescending_min={d_min:.1}\ndescending_decodes={desc_decodes}"
    );
    println!(
        "ascending_median={a_med:.1}\nascending_min={a_min:.1}\nascending_decodes={asc_decodes}"
    );
    println!("descending_ratio={:.3}", stats(desc_ratio).0);
    println!("ascending_ratio={:.3}", stats(asc_ratio).0);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let runs = |i: usize| arg(i).parse::<usize>().unwrap_or(9).max(1);
    let read = || std::fs::read(arg(1)).expect("readable source");
    let s = settings();
    match arg(0) {
        "floor" => {
            let (bytes, sp) = (read(), spec(arg(2)));
            let (mut r, mut f) = (vec![], vec![]);
            let (_, size) = render_once(&bytes, &sp, &s); // warm-up
            floor_once(&bytes);
            for _ in 0..runs(3) {
                r.push(render_once(&bytes, &sp, &s).0);
                f.push(floor_once(&bytes));
            }
            let ((rm, rn), (fm, fnn)) = (stats(r), stats(f));
            println!("render_median={rm:.1}\nrender_min={rn:.1}");
            println!(
                "floor_median={fm:.1}\nfloor_min={fnn:.1}\nratio={:.3}",
                rm / fm
            );
            println!("bytes={size}");
        }
        "render" => {
            let (bytes, sp) = (read(), spec(arg(2)));
            let (_, size) = render_once(&bytes, &sp, &s);
            let (m, n) = stats(
                (0..runs(3))
                    .map(|_| render_once(&bytes, &sp, &s).0)
                    .collect(),
            );
            println!("render_median={m:.2}\nrender_min={n:.2}\nbytes={size}");
        }
        "srcset" => srcset(&read(), runs(2), &s),
        "decode" => {
            let bytes = read();
            for shrink in [8, 4, 2, 1] {
                let t: Vec<f64> = (0..runs(2))
                    .map(|_| {
                        let t = Instant::now();
                        drop(stages::decode(&bytes, shrink).expect("decode"));
                        ms(t)
                    })
                    .collect();
                let (m, n) = stats(t);
                println!("decode_{shrink}_median={m:.1}\ndecode_{shrink}_min={n:.1}");
            }
        }
        "once" => {
            let r = render(&read(), &spec(arg(2)), &LIMITS, &s, &Deadline::NONE).expect("render");
            if !arg(3).is_empty() {
                std::fs::write(arg(3), &r.bytes).expect("writable output");
            }
            println!("bytes={}", r.bytes.len());
        }
        "read" => {
            // As the service runs: large buffers mapped afresh (render::malloc).
            vignette::release_large_buffers();
            let path = std::path::Path::new(arg(1));
            let dir = path.parent().expect("a file in a directory");
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("a file name");
            let local = vignette::testing::source::LocalSource::new(dir).expect("directory");
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            let time = |f: &dyn Fn()| {
                stats(
                    (0..runs(2))
                        .map(|_| {
                            let t = Instant::now();
                            f();
                            ms(t)
                        })
                        .collect(),
                )
            };
            let (fm, fnn) = time(&|| drop(std::hint::black_box(read())));
            let (pm, pn) = time(&|| {
                let bytes = rt.block_on(local.read(name, 100 << 20)).expect("readable");
                drop(std::hint::black_box(bytes));
            });
            println!("read_plain_median={fm:.2}\nread_plain_min={fnn:.2}");
            println!("read_source_median={pm:.2}\nread_source_min={pn:.2}");
        }
        "idle" => println!("idle=1"),
        _ => {
            eprintln!("usage: bench floor|render|srcset|once|idle … (see the source)");
            std::process::exit(2);
        }
    }
}
