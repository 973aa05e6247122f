//! Fixtures generated in code (so a fresh clone needs nothing else), and decoders that
//! turn any output back into RGBA pixels for assertions.

use std::path::Path;

/// Width and height of the grid fixtures.
pub const GRID_W: u32 = 1000;
pub const GRID_H: u32 = 600;
/// Side of one grid square.
pub const SQ: u32 = 100;

/// The colour of grid square (`col`, `row`): distinct, far apart, never grey.
pub fn grid_colour(col: u32, row: u32) -> [u8; 3] {
    [
        (20 + col * 23) as u8,
        (230 - row * 37) as u8,
        if (col + row).is_multiple_of(2) {
            40
        } else {
            210
        },
    ]
}

/// A `GRID_W`×`GRID_H` RGB grid of 100-px squares.
pub fn grid_rgb() -> Vec<u8> {
    let mut px = Vec::with_capacity((GRID_W * GRID_H * 3) as usize);
    for y in 0..GRID_H {
        for x in 0..GRID_W {
            px.extend_from_slice(&grid_colour(x / SQ, y / SQ));
        }
    }
    px
}

fn png(path: &Path, w: u32, h: u32, color: png::ColorType, data: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().unwrap();
    writer.write_image_data(data).unwrap();
}

/// Writes every standard fixture into `dir`:
/// * `grid.png`: the RGB grid;
/// * `grid.jpg`: the same grid as a 4:4:4 q95 JPEG;
/// * `alpha.png`: 200×100 RGBA, left half opaque red, right half fully transparent;
/// * `pixel.png`: 1×1 orange;
/// * `sub/nested.png`: a 20×10 blue image in a subdirectory.
pub fn write_all(dir: &Path) {
    let rgb = grid_rgb();
    png(
        &dir.join("grid.png"),
        GRID_W,
        GRID_H,
        png::ColorType::Rgb,
        &rgb,
    );
    let image = turbojpeg::Image {
        pixels: rgb.as_slice(),
        width: GRID_W as usize,
        pitch: GRID_W as usize * 3,
        height: GRID_H as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    let jpeg = turbojpeg::compress(image, 95, turbojpeg::Subsamp::None).unwrap();
    std::fs::write(dir.join("grid.jpg"), &*jpeg).unwrap();
    let mut rgba = Vec::new();
    for _y in 0..100 {
        for x in 0..200 {
            rgba.extend_from_slice(if x < 100 {
                &[255, 0, 0, 255]
            } else {
                &[0, 0, 0, 0]
            });
        }
    }
    png(
        &dir.join("alpha.png"),
        200,
        100,
        png::ColorType::Rgba,
        &rgba,
    );
    png(
        &dir.join("pixel.png"),
        1,
        1,
        png::ColorType::Rgb,
        &[255, 128, 0],
    );
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    png(
        &dir.join("sub/nested.png"),
        20,
        10,
        png::ColorType::Rgb,
        &[0, 0, 255].repeat(200),
    );
}

/// Copies committed fixture files (from `tests/fixtures/<sub>`) into `dir`.
pub fn copy_committed(sub: &str, dir: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(sub);
    for entry in std::fs::read_dir(&from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
    }
}

/// A decoded output image.
#[derive(Debug)]
pub struct Decoded {
    pub width: u32,
    pub height: u32,
    /// RGBA, 4 bytes per pixel.
    pub rgba: Vec<u8>,
}

impl Decoded {
    /// The RGBA pixel at (x, y).
    pub fn px(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        [
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        ]
    }

    /// Mean RGB of the `side`×`side` box centred on (cx, cy).
    pub fn mean(&self, cx: u32, cy: u32, side: u32) -> [f64; 3] {
        let mut sum = [0f64; 3];
        let mut n = 0f64;
        for y in cy.saturating_sub(side / 2)..(cy + side / 2).min(self.height) {
            for x in cx.saturating_sub(side / 2)..(cx + side / 2).min(self.width) {
                let p = self.px(x, y);
                for c in 0..3 {
                    sum[c] += p[c] as f64;
                }
                n += 1.0;
            }
        }
        sum.map(|s| s / n)
    }
}

/// Asserts that two colours are within `tol` per channel.
#[track_caller]
pub fn assert_close(got: [f64; 3], want: [u8; 3], tol: f64) {
    for c in 0..3 {
        assert!(
            (got[c] - want[c] as f64).abs() <= tol,
            "colour {got:?} is not within {tol} of {want:?}"
        );
    }
}

/// Identifies an output by its magic bytes.
pub fn magic(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "jpg"
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "png"
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "webp"
    } else if bytes.len() > 12
        && &bytes[4..8] == b"ftyp"
        && (&bytes[8..12] == b"avif" || &bytes[8..12] == b"avis")
    {
        "avif"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "gif"
    } else {
        "unknown"
    }
}

/// Decodes any output format with a decoder independent of vignette's pipeline.
pub fn decode(bytes: &[u8]) -> Decoded {
    match magic(bytes) {
        "jpg" => {
            let img = turbojpeg::decompress(bytes, turbojpeg::PixelFormat::RGBA).expect("jpeg");
            Decoded {
                width: img.width as u32,
                height: img.height as u32,
                rgba: img.pixels,
            }
        }
        "png" | "gif" => {
            let img = image::load_from_memory(bytes)
                .expect("png/gif")
                .into_rgba8();
            Decoded {
                width: img.width(),
                height: img.height(),
                rgba: img.into_raw(),
            }
        }
        "webp" => {
            let img = webp::Decoder::new(bytes).decode().expect("webp");
            let rgba = if img.is_alpha() {
                img.to_vec()
            } else {
                img.chunks(3)
                    .flat_map(|p| [p[0], p[1], p[2], 255])
                    .collect()
            };
            Decoded {
                width: img.width(),
                height: img.height(),
                rgba,
            }
        }
        "avif" => {
            let img = libavif::decode_rgb(bytes).expect("avif");
            let (w, h) = (img.width(), img.height());
            let mut rgba = Vec::with_capacity((w * h * 4) as usize);
            for y in 0..h {
                for x in 0..w {
                    let (r, g, b, a) = img.pixel(x, y);
                    rgba.extend_from_slice(&[r, g, b, a]);
                }
            }
            Decoded {
                width: w,
                height: h,
                rgba,
            }
        }
        other => panic!("cannot decode {other} output ({} bytes)", bytes.len()),
    }
}
