//! End-to-end tests of the renderer through its public API only. Inputs are either generated
//! here with ordinary encoders or small files committed under `tests/fixtures/` (see the
//! README there for their provenance); outputs are decoded back with independent decoders
//! and checked by size, pixel colour and bytes. This file holds the shared helpers; the
//! tests are grouped by concern in `tests/render/`.

#[path = "render/alpha.rs"]
mod alpha;
#[path = "render/colour.rs"]
mod colour;
#[path = "render/dc.rs"]
mod dc;
#[path = "render/formats.rs"]
mod formats;
#[path = "render/hostile.rs"]
mod hostile;
#[path = "render/iiif.rs"]
mod iiif;
#[path = "render/intermediate.rs"]
mod intermediate;
#[path = "render/metadata.rs"]
mod metadata;
#[path = "render/orientation.rs"]
mod orientation;

use std::time::{Duration, Instant};
use vignette::testing::dialect::parse_params;
use vignette::testing::render::{
    Deadline, EncodeSettings, Limits, RenderError, Rendered, SourceFormat, probe, render,
};
use vignette::testing::variant::{Format, PlanLimits};

const LIMITS: Limits = Limits {
    max_source_bytes: 50 << 20,
    max_source_pixels: 50_000_000,
    max_animation_frames: 500,
    max_animation_pixels: 100_000_000,
    plan: PlanLimits {
        max_width: 20_000,
        max_height: 20_000,
        max_area: 25_000_000,
    },
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn try_render(bytes: &[u8], params: &str) -> Result<Rendered, RenderError> {
    let spec = parse_params(params).expect("valid IIIF parameters");
    render(
        bytes,
        &spec,
        &LIMITS,
        &EncodeSettings::default(),
        &Deadline::NONE,
    )
}

fn ok(bytes: &[u8], params: &str) -> Rendered {
    try_render(bytes, params).unwrap_or_else(|e| panic!("{params}: {e}"))
}

/// Decoded pixels of any output, as 8-bit RGBA.
struct Pixels {
    w: u32,
    h: u32,
    rgba: Vec<u8>,
}

impl Pixels {
    fn at(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.w + x) * 4) as usize;
        [
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        ]
    }

    /// Mean RGB over a square patch.
    fn mean(&self, x: u32, y: u32, size: u32) -> [f64; 3] {
        let mut s = [0f64; 3];
        for yy in y..y + size {
            for xx in x..x + size {
                let p = self.at(xx, yy);
                for k in 0..3 {
                    s[k] += p[k] as f64;
                }
            }
        }
        s.map(|v| v / (size * size) as f64)
    }
}

fn rgba_from(channels: usize, w: u32, h: u32, data: &[u8]) -> Pixels {
    let rgba = data
        .chunks_exact(channels)
        .flat_map(|p| match channels {
            1 => [p[0], p[0], p[0], 255],
            2 => [p[0], p[0], p[0], p[1]],
            3 => [p[0], p[1], p[2], 255],
            _ => [p[0], p[1], p[2], p[3]],
        })
        .collect();
    Pixels { w, h, rgba }
}

/// Decodes an output with a decoder independent of the renderer's code paths.
fn decode(out: &Rendered) -> Pixels {
    let b = &out.bytes;
    let px = match out.format {
        Format::Png => {
            let mut r = png::Decoder::new(std::io::Cursor::new(&b[..]))
                .read_info()
                .unwrap();
            let mut buf = vec![0; r.output_buffer_size().unwrap()];
            let info = r.next_frame(&mut buf).unwrap();
            assert_eq!(info.bit_depth, png::BitDepth::Eight);
            rgba_from(info.color_type.samples(), info.width, info.height, &buf)
        }
        Format::Jpeg => {
            let img = turbojpeg::decompress(b, turbojpeg::PixelFormat::RGBA).unwrap();
            rgba_from(4, img.width as u32, img.height as u32, &img.pixels)
        }
        Format::Webp => {
            let img = webp::Decoder::new(b).decode().unwrap();
            let c = if img.is_alpha() { 4 } else { 3 };
            rgba_from(c, img.width(), img.height(), &img)
        }
        Format::Avif => {
            let img = libavif::decode_rgb(b).unwrap();
            rgba_from(4, img.width(), img.height(), &img)
        }
        Format::Gif => {
            let mut o = gif::DecodeOptions::new();
            o.set_color_output(gif::ColorOutput::RGBA);
            let mut d = o.read_info(&b[..]).unwrap();
            let (w, h) = (d.width() as u32, d.height() as u32);
            let f = d.read_next_frame().unwrap().unwrap();
            assert_eq!((f.width as u32, f.height as u32), (w, h));
            rgba_from(4, w, h, &f.buffer)
        }
    };
    assert_eq!((px.w, px.h), (out.width, out.height), "decoded size");
    px
}

fn close(a: [u8; 4], b: [u8; 4], tol: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tol)
}

fn mean_abs_diff(a: &Pixels, b: &Pixels) -> f64 {
    assert_eq!((a.w, a.h), (b.w, b.h));
    let sum: u64 = a
        .rgba
        .iter()
        .zip(&b.rgba)
        .map(|(x, y)| x.abs_diff(*y) as u64)
        .sum();
    sum as f64 / a.rgba.len() as f64
}

const RED: [u8; 4] = [255, 0, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];

/// A 64x48 RGBA PNG: left half opaque red, right half fully transparent blue.
fn half_transparent_png() -> Vec<u8> {
    let mut px = Vec::new();
    for _ in 0..48 {
        for x in 0..64 {
            px.extend_from_slice(if x < 32 { &RED } else { &[0, 0, 255, 0] });
        }
    }
    encode_png(64, 48, png::ColorType::Rgba, &px)
}

fn encode_png(w: u32, h: u32, color: png::ColorType, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, w, h);
    e.set_color(color);
    e.set_depth(png::BitDepth::Eight);
    let mut wr = e.write_header().unwrap();
    wr.write_image_data(data).unwrap();
    wr.finish().unwrap();
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

const IIIF: &str = "iiif/67352ccc-d1b0-11e1-89ae-279075081939.png";

/// The colour of square (`col`, `row`) of the 10x10 grid, read from the source file.
fn square(col: u32, row: u32) -> [u8; 4] {
    let src = fixture(IIIF);
    let mut r = png::Decoder::new(std::io::Cursor::new(&src[..]))
        .read_info()
        .unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    let px = rgba_from(info.color_type.samples(), info.width, info.height, &buf);
    assert_eq!((px.w, px.h), (1000, 1000));
    px.at(col * 100 + 50, row * 100 + 50)
}
