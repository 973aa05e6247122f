//! Criterion benches of the renderer, per stage and per output format, on inputs generated
//! here (deterministic, no RNG): a 24 MP "photo" JPEG with fine detail, the same picture as
//! lossy WebP, an RGBA PNG, and thumbnails for the encoders. Throughput is in pixels of
//! the stage's input.
//!
//! ```text
//! cargo bench --bench render                 # everything (a few minutes)
//! cargo bench --bench render -- decode/jpeg  # one group
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vignette::testing::dialect::parse_params;
use vignette::testing::render::stages::{self, StageImage};
use vignette::testing::render::{Deadline, EncodeSettings, Limits, render};
use vignette::testing::variant::{Format, PlanLimits};

/// RGB pixels with detail at every scale: rings, ramps and a fine checker.
fn picture(w: usize, h: usize) -> Vec<u8> {
    let mut px = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
            let ring = ((dx * dx + dy * dy).sqrt() / 7.0).sin() * 80.0 + 128.0;
            let fine = if (x / 2 + y / 2) % 2 == 0 { 12 } else { 0 };
            px.extend_from_slice(&[
                ring as u8 + fine,
                (x * 255 / w) as u8,
                (y * 255 / h) as u8 ^ fine,
            ]);
        }
    }
    px
}

fn jpeg(w: usize, h: usize) -> Vec<u8> {
    jpeg_sampled(w, h, turbojpeg::Subsamp::Sub2x1)
}

fn jpeg_sampled(w: usize, h: usize, subsamp: turbojpeg::Subsamp) -> Vec<u8> {
    let px = picture(w, h);
    let image = turbojpeg::Image {
        pixels: &px[..],
        width: w,
        pitch: w * 3,
        height: h,
        format: turbojpeg::PixelFormat::RGB,
    };
    turbojpeg::compress(image, 92, subsamp)
        .expect("jpeg")
        .to_vec()
}

/// libjpeg-turbo's own 1/8-scale decode to RGB: the reference of the DC-only path.
fn libjpeg_eighth(bytes: &[u8]) -> Vec<u8> {
    let mut d = turbojpeg::Decompressor::new().expect("decompressor");
    let factor = turbojpeg::ScalingFactor::ONE_EIGHTH;
    d.set_scaling_factor(factor).expect("1/8");
    let h = d.read_header(bytes).expect("header").scaled(factor);
    let mut image = turbojpeg::Image {
        pixels: vec![0u8; h.width * h.height * 3],
        width: h.width,
        pitch: h.width * 3,
        height: h.height,
        format: turbojpeg::PixelFormat::RGB,
    };
    d.decompress(bytes, image.as_deref_mut()).expect("decode");
    image.pixels
}

fn webp_lossy(w: usize, h: usize) -> Vec<u8> {
    let px = picture(w, h);
    webp::Encoder::from_rgb(&px, w as u32, h as u32)
        .encode(80.0)
        .to_vec()
}

fn png_rgba(w: u32, h: u32) -> Vec<u8> {
    let rgb = picture(w as usize, h as usize);
    let mut rgba = Vec::with_capacity(rgb.len() / 3 * 4);
    for (i, p) in rgb.chunks_exact(3).enumerate() {
        rgba.extend_from_slice(p);
        rgba.push((i % w as usize * 255 / w as usize) as u8);
    }
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, w, h);
    e.set_color(png::ColorType::Rgba);
    e.set_depth(png::BitDepth::Eight);
    let mut wr = e.write_header().expect("png");
    wr.write_image_data(&rgba).expect("png");
    wr.finish().expect("png");
    out
}

fn decode(c: &mut Criterion) {
    let big = jpeg(6000, 4000);
    let mut g = c.benchmark_group("decode/jpeg-24mp");
    g.sample_size(10)
        .throughput(Throughput::Elements(24_000_000));
    for shrink in [1, 2, 4, 8] {
        g.bench_with_input(BenchmarkId::from_parameter(shrink), &shrink, |b, &s| {
            b.iter(|| stages::decode(black_box(&big), s).expect("decode"))
        });
    }
    g.finish();
    // The 1/8 scale of a thumbnail: vignette's DC-only decoder against libjpeg-turbo.
    let mut g = c.benchmark_group("decode/jpeg-24mp-eighth");
    g.sample_size(10)
        .throughput(Throughput::Elements(24_000_000));
    for (name, sub) in [
        ("4:2:2", turbojpeg::Subsamp::Sub2x1),
        ("4:2:0", turbojpeg::Subsamp::Sub2x2),
    ] {
        let file = jpeg_sampled(6000, 4000, sub);
        g.bench_function(format!("dc-only/{name}"), |b| {
            b.iter(|| stages::decode_dc(black_box(&file)).expect("decode"))
        });
        g.bench_function(format!("libjpeg-turbo/{name}"), |b| {
            b.iter(|| libjpeg_eighth(black_box(&file)))
        });
    }
    g.finish();
    let web = webp_lossy(2560, 1600);
    let mut g = c.benchmark_group("decode/webp-4mp");
    g.sample_size(10)
        .throughput(Throughput::Elements(2560 * 1600));
    for shrink in [1, 4] {
        g.bench_with_input(BenchmarkId::from_parameter(shrink), &shrink, |b, &s| {
            b.iter(|| stages::decode(black_box(&web), s).expect("decode"))
        });
    }
    g.finish();
    let png = png_rgba(1920, 1200);
    let mut g = c.benchmark_group("decode/png-rgba");
    g.sample_size(10)
        .throughput(Throughput::Elements(1920 * 1200));
    g.bench_function("1920x1200", |b| {
        b.iter(|| stages::decode(black_box(&png), 1).expect("decode"))
    });
    g.finish();
}

fn resize(c: &mut Criterion) {
    let half = stages::decode(&jpeg(7360, 4912), 2).expect("decode");
    let eighth = stages::box_shrink(&half, 4).expect("box");
    let rgba = stages::decode(&png_rgba(1920, 1200), 1).expect("decode");
    let mut g = c.benchmark_group("resize");
    g.sample_size(20);
    let cases: [(&str, &StageImage, u32, u32); 4] = [
        ("lanczos3/920x614-to-500", &eighth, 500, 333),
        ("lanczos3/3680x2456-to-1920", &half, 1920, 1281),
        ("lanczos3/3680x2456-to-320", &half, 320, 214),
        ("lanczos3-rgba/1920x1200-to-400", &rgba, 400, 250),
    ];
    for (name, image, w, h) in cases {
        g.throughput(Throughput::Elements(u64::from(
            image.width() * image.height(),
        )));
        g.bench_function(name, |b| {
            b.iter(|| stages::resize(black_box(image), w, h).expect("resize"))
        });
    }
    g.throughput(Throughput::Elements(u64::from(
        half.width() * half.height(),
    )));
    g.bench_function("box/3680x2456-by-4", |b| {
        b.iter(|| stages::box_shrink(black_box(&half), 4).expect("box"))
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let thumb = stages::resize(
        &stages::decode(&jpeg(1000, 666), 1).expect("decode"),
        500,
        333,
    )
    .expect("resize");
    let mut g = c.benchmark_group("encode/500x333");
    g.sample_size(10)
        .throughput(Throughput::Elements(500 * 333));
    let d = EncodeSettings::default();
    let cases = [
        ("jpeg-q80", Format::Jpeg, d),
        (
            "jpeg-q80-plain-huffman",
            Format::Jpeg,
            EncodeSettings {
                jpeg_optimize: false,
                ..d
            },
        ),
        ("png", Format::Png, d),
        ("gif", Format::Gif, d),
        ("webp-q80-m4", Format::Webp, d),
        (
            "webp-q80-m2",
            Format::Webp,
            EncodeSettings {
                webp_method: 2,
                ..d
            },
        ),
        ("avif-q60-s8", Format::Avif, d),
        (
            "avif-q60-s10",
            Format::Avif,
            EncodeSettings {
                avif_speed: 10,
                ..d
            },
        ),
    ];
    for (name, format, settings) in cases {
        g.bench_function(name, |b| {
            b.iter(|| stages::encode(black_box(thumb.clone()), format, &settings).expect("encode"))
        });
    }
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let limits = Limits {
        max_source_bytes: 1 << 30,
        max_source_pixels: 100_000_000,
        max_animation_frames: 500,
        max_animation_pixels: 100_000_000,
        plan: PlanLimits {
            max_width: 16_383,
            max_height: 16_383,
            max_area: 100_000_000,
        },
    };
    let big = jpeg(6000, 4000);
    let mut g = c.benchmark_group("render/24mp-jpeg-to-500");
    g.sample_size(10);
    for ext in ["jpg", "webp", "avif"] {
        let spec = parse_params(&format!("full/!500,500/0/default.{ext}")).expect("spec");
        g.bench_function(ext, |b| {
            b.iter(|| {
                render(
                    &big,
                    &spec,
                    &limits,
                    &EncodeSettings::default(),
                    &Deadline::NONE,
                )
                .expect("render")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, decode, resize, encode, end_to_end);
criterion_main!(benches);
