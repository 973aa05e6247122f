//! End-to-end tests of the renderer through its public API only. Inputs are either generated
//! here with ordinary encoders or small files committed under `tests/fixtures/` (see the
//! README there for their provenance); outputs are decoded back with independent decoders
//! and checked by size, pixel colour and bytes.

use std::time::{Duration, Instant};
use vignette::render::{
    Deadline, EncodeSettings, Limits, RenderError, Rendered, SourceFormat, probe, render,
};
use vignette::spec::iiif::parse_params;
use vignette::spec::{Format, PlanLimits};

const LIMITS: Limits = Limits {
    max_source_bytes: 50 << 20,
    max_source_pixels: 50_000_000,
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

// ------------------------------------------------------------------ orientation

#[test]
fn every_exif_orientation_displays_like_orientation_1() {
    let reference = decode(&ok(&fixture("edge/orient-1.jpg"), "full/max/0/default.png"));
    assert_eq!((reference.w, reference.h), (480, 320));
    for n in 1..=8 {
        let bytes = fixture(&format!("edge/orient-{n}.jpg"));
        let p = probe(&bytes).unwrap();
        assert_eq!(
            (p.width, p.height, p.orientation),
            (480, 320, n),
            "probe {n}"
        );
        let out = decode(&ok(&bytes, "full/max/0/default.png"));
        let diff = mean_abs_diff(&out, &reference);
        assert!(diff < 0.5, "orientation {n}: mean abs diff {diff}");
        // Red 'F' at the top left (stem, top bar, middle bar), blue square bottom right.
        for (x, y) in [(60, 60), (60, 250), (200, 60), (150, 160)] {
            assert!(
                close(out.at(x, y), RED, 12),
                "{n}: ({x},{y}) {:?}",
                out.at(x, y)
            );
        }
        assert!(
            close(out.at(430, 270), BLUE, 12),
            "{n}: {:?}",
            out.at(430, 270)
        );
        // The F's top bar does not reach the right side.
        assert!(!close(out.at(420, 60), RED, 40), "{n}: mirrored?");
    }
}

#[test]
fn orientation_applies_to_regions_and_shrunk_decodes() {
    // Region in displayed coordinates, and a 1/4 decode: still the top-left of the 'F'.
    for n in [1, 3, 6, 8] {
        let bytes = fixture(&format!("edge/orient-{n}.jpg"));
        let out = decode(&ok(&bytes, "0,0,240,160/60,/0/default.png"));
        assert_eq!((out.w, out.h), (60, 40));
        assert!(close(out.at(15, 15), RED, 30), "{n}: {:?}", out.at(15, 15));
        let small = decode(&ok(&bytes, "full/120,/0/default.png"));
        assert!(
            close(small.at(107, 67), BLUE, 40),
            "{n}: {:?}",
            small.at(107, 67)
        );
    }
}

// ------------------------------------------------------------------ colour

/// Mean sRGB colour of four 40x40 patches of the 320x200 rendering of a 1280x800 file.
fn patch_means(name: &str) -> Vec<[f64; 3]> {
    let out = decode(&ok(&fixture(name), "full/320,/0/default.png"));
    assert_eq!((out.w, out.h), (320, 200));
    [(40, 40), (200, 40), (40, 120), (200, 120)]
        .iter()
        .map(|&(x, y)| out.mean(x, y, 40))
        .collect()
}

fn assert_means(name: &str, expected: [[f64; 3]; 4], tol: f64) {
    let got = patch_means(name);
    for (g, e) in got.iter().zip(expected) {
        for k in 0..3 {
            assert!(
                (g[k] - e[k]).abs() <= tol,
                "{name}: got {got:?}, expected {expected:?}"
            );
        }
    }
}

// Expected values: the same patches (160x160 at full size) averaged from the full-size file
// converted once by libvips 8.14 (lcms2), at test-writing time:
//   vips icc_transform FILE out.v srgb --embedded --intent perceptual
// and, for the CMYK file without a profile, the naive formula applied per pixel to the
// CMYK values libvips reads (R = (255 − C)(255 − K)/255, …). When written, every channel
// of every patch was within 1 of these values; the tolerance of 2 covers averaging before
// versus after the resize and lcms2 versus moxcms. Ignoring the profiles would miss by
// 15–40 (e.g. Adobe RGB patch 2 reads (190, 146, 36) unconverted).

#[test]
fn adobe_rgb_is_converted_to_srgb() {
    assert_means(
        "edge/adobergb-1280x800.jpg",
        [
            [14., 10., 4.],
            [205., 147., 6.],
            [25., 27., 5.],
            [237., 152., 3.],
        ],
        2.0,
    );
}

#[test]
fn cmyk_with_swop_profile_is_converted_to_srgb() {
    assert_means(
        "edge/cmyk-swop-icc-1280x800.jpg",
        [
            [247., 172., 62.],
            [212., 140., 67.],
            [162., 172., 89.],
            [163., 59., 55.],
        ],
        2.0,
    );
}

#[test]
fn cmyk_without_profile_uses_the_naive_formula() {
    assert_means(
        "edge/cmyk-1280x800.jpg",
        [
            [249., 171., 46.],
            [211., 135., 45.],
            [157., 169., 78.],
            [159., 17., 6.],
        ],
        2.0,
    );
}

// ------------------------------------------------------------------ alpha

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

#[test]
fn alpha_is_kept_where_the_format_allows_it() {
    let src = half_transparent_png();
    for fmt in ["png", "webp", "gif"] {
        let out = decode(&ok(&src, &format!("full/max/0/default.{fmt}")));
        assert_eq!(out.at(8, 24)[3], 255, "{fmt}");
        assert!(close(out.at(8, 24), RED, 8), "{fmt}: {:?}", out.at(8, 24));
        assert_eq!(out.at(56, 24)[3], 0, "{fmt}: transparent side");
    }
    // JPEG has no alpha: flattened onto white.
    let out = decode(&ok(&src, "full/max/0/default.jpg"));
    assert!(
        close(out.at(56, 24), [255, 255, 255, 255], 3),
        "{:?}",
        out.at(56, 24)
    );
    assert!(close(out.at(8, 24), RED, 12));
    // Known limitation: the safe libavif binding cannot write alpha, so AVIF output is
    // flattened onto white as well.
    let out = decode(&ok(&src, "full/max/0/default.avif"));
    assert!(
        close(out.at(56, 24), [255, 255, 255, 255], 8),
        "{:?}",
        out.at(56, 24)
    );
}

#[test]
fn alpha_sources_in_webp_and_avif_keep_their_alpha() {
    // A WebP with alpha made by the renderer itself, read back.
    let webp = ok(&half_transparent_png(), "full/max/0/default.webp").bytes;
    assert_eq!(probe(&webp).unwrap().format, SourceFormat::Webp);
    let out = decode(&ok(&webp, "full/max/0/default.png"));
    assert_eq!(out.at(56, 24)[3], 0);
    assert_eq!(out.at(8, 24)[3], 255);
    // An AVIF with an alpha plane, made with avifenc (see fixtures/README.md).
    let avif = fixture("alpha-64x48.avif");
    let out = decode(&ok(&avif, "full/max/0/default.png"));
    assert_eq!((out.w, out.h), (64, 48));
    assert_eq!(out.at(56, 24)[3], 0);
    assert!(close(out.at(8, 24), RED, 8), "{:?}", out.at(8, 24));
}

#[test]
fn avif_rotation_property_is_applied() {
    // Stored 64x48, red left half, blue right half, `irot` = 90° anticlockwise.
    let avif = fixture("irot1-64x48.avif");
    let p = probe(&avif).unwrap();
    assert_eq!((p.format, p.width, p.height), (SourceFormat::Avif, 48, 64));
    let out = decode(&ok(&avif, "full/max/0/default.png"));
    assert_eq!((out.w, out.h), (48, 64));
    assert!(close(out.at(24, 8), BLUE, 12), "{:?}", out.at(24, 8));
    assert!(close(out.at(24, 56), RED, 12), "{:?}", out.at(24, 56));
}

// ------------------------------------------------------------------ metadata

/// The JPEG marker codes of `jpeg`'s header segments.
fn jpeg_markers(jpeg: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let m = jpeg[pos + 1];
        markers.push(m);
        if m == 0xDA {
            break;
        }
        pos += 2 + u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
    }
    markers
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn outputs_carry_no_metadata() {
    let sources = [
        "hostile/polyglot-html.jpg",
        "edge/orient-6.jpg",
        "edge/adobergb-1280x800.jpg",
        "edge/cmyk-swop-icc-1280x800.jpg",
    ];
    for name in sources {
        let src = fixture(name);
        for fmt in ["jpg", "png", "webp", "avif", "gif"] {
            let out = ok(&src, &format!("full/200,/0/default.{fmt}"));
            for needle in [
                &b"<script"[..],
                b"<html",
                b"Exif",
                b"ICC_PROFILE",
                b"acsp",
                b"iCCP",
                b"eXIf",
                b"tEXt",
            ] {
                assert!(
                    !contains(&out.bytes, needle),
                    "{name} → {fmt} contains {:?}",
                    String::from_utf8_lossy(needle)
                );
            }
            if fmt == "jpg" {
                // Only JFIF (APP0), tables, frame and scan: no APP1/APP2/COM.
                for m in jpeg_markers(&out.bytes) {
                    assert!(!matches!(m, 0xE1..=0xEF | 0xFE), "{name}: marker {m:#x}");
                }
            }
        }
    }
}

// ------------------------------------------------------------------ hostile files

#[test]
fn hostile_files_get_the_right_answer() {
    let spec = "full/200,/0/default.jpg";
    let err = |name: &str| try_render(&fixture(name), spec).err();
    assert!(matches!(
        err("hostile/empty.jpg"),
        Some(RenderError::UnsupportedFormat(_))
    ));
    assert!(matches!(
        err("hostile/random-bytes.jpg"),
        Some(RenderError::UnsupportedFormat(_))
    ));
    assert!(matches!(
        err("hostile/script.svg"),
        Some(RenderError::UnsupportedFormat(_))
    ));
    assert!(matches!(
        err("hostile/huge-dims-65500x65500.jpg"),
        Some(RenderError::TooLarge(_))
    ));
    assert!(matches!(
        err("hostile/png-bomb-40000x40000.png"),
        Some(RenderError::TooLarge(_))
    ));
    assert!(matches!(
        err("hostile/gif-screen-65535x65535.gif"),
        Some(RenderError::TooLarge(_))
    ));
    assert!(matches!(
        err("hostile/truncated-60pct.jpg"),
        Some(RenderError::Corrupt(_))
    ));

    // A JPEG named .png is a JPEG: same picture as orient-1.
    let named = decode(&ok(
        &fixture("hostile/jpeg-named.png"),
        "full/max/0/default.png",
    ));
    let reference = decode(&ok(&fixture("edge/orient-1.jpg"), "full/max/0/default.png"));
    assert!(mean_abs_diff(&named, &reference) < 0.01);

    // The polyglot decodes as the picture it is; the HTML does not survive.
    let out = ok(
        &fixture("hostile/polyglot-html.jpg"),
        "full/max/0/default.jpg",
    );
    assert_eq!((out.width, out.height), (480, 320));
    assert!(out.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert!(!contains(&out.bytes, b"script") && !contains(&out.bytes, b"html"));

    // 10 000 frames: only the first is decoded, onto the 2000x2000 screen.
    let out = ok(
        &fixture("hostile/gif-10000-frames-2000x2000.gif"),
        "full/100,/0/default.png",
    );
    assert_eq!((out.width, out.height), (100, 100));
}

#[test]
fn header_limits_apply_before_decoding() {
    let src = fixture("edge/orient-1.jpg"); // 480x320
    let spec = parse_params("full/max/0/default.jpg").unwrap();
    let mut limits = LIMITS;
    limits.max_source_pixels = 480 * 320 - 1;
    let r = render(
        &src,
        &spec,
        &limits,
        &EncodeSettings::default(),
        &Deadline::NONE,
    );
    assert!(matches!(r, Err(RenderError::TooLarge(_))));
    let mut limits = LIMITS;
    limits.max_source_bytes = src.len() as u64 - 1;
    let r = render(
        &src,
        &spec,
        &limits,
        &EncodeSettings::default(),
        &Deadline::NONE,
    );
    assert!(matches!(r, Err(RenderError::TooLarge(_))));
}

#[test]
fn truncations_never_panic() {
    let sources = [
        fixture("edge/orient-6.jpg"),
        half_transparent_png(),
        fixture("alpha-64x48.avif"),
        ok(&half_transparent_png(), "full/max/0/default.webp").bytes,
        ok(&half_transparent_png(), "full/max/0/default.gif").bytes,
    ];
    for src in sources {
        for cut in [
            0,
            1,
            3,
            8,
            12,
            20,
            40,
            100,
            300,
            src.len() / 2,
            src.len() - 1,
        ] {
            let prefix = &src[..cut.min(src.len())];
            let _ = try_render(prefix, "full/max/0/default.png");
            let _ = probe(prefix);
        }
    }
}

#[test]
fn probe_reads_headers_from_prefixes() {
    let src = fixture("edge/orient-6.jpg");
    assert!(matches!(probe(&src[..100]), Err(RenderError::NeedMoreData)));
    assert!(matches!(probe(&src[..2]), Err(RenderError::NeedMoreData)));
    let p = probe(&src[..4096]).unwrap();
    assert_eq!(
        (p.format, p.width, p.height, p.orientation),
        (SourceFormat::Jpeg, 480, 320, 6)
    );
    let p = probe(&fixture("hostile/png-bomb-40000x40000.png")[..64]).unwrap();
    assert_eq!(
        (p.format, p.width, p.height),
        (SourceFormat::Png, 40000, 40000)
    );
    let p = probe(&fixture("hostile/gif-screen-65535x65535.gif")).unwrap();
    assert_eq!((p.width, p.height), (65535, 65535));
    assert!(matches!(
        probe(&fixture("hostile/script.svg")),
        Err(RenderError::UnsupportedFormat(_))
    ));
}

// ------------------------------------------------------------------ IIIF test image

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

/// Checks that `out` shows square `src` of the grid at output square (`col`, `row`), the
/// output being a 10x10 grid of `cell`-pixel squares.
fn assert_square(out: &Pixels, cell: u32, (col, row): (u32, u32), src: (u32, u32)) {
    let got = out.at(col * cell + cell / 2, row * cell + cell / 2);
    let want = square(src.0, src.1);
    assert!(
        close(got, want, 5),
        "out {col},{row} = {got:?}, want square {src:?} = {want:?}"
    );
}

#[test]
fn iiif_region_and_size() {
    let src = fixture(IIIF);
    let out = decode(&ok(&src, "100,200,300,300/max/0/default.png"));
    assert_eq!((out.w, out.h), (300, 300));
    let want = square(1, 2);
    assert!(close(out.at(50, 50), want, 5));
    assert!(close(out.at(250, 250), square(3, 4), 5));

    let out = decode(&ok(&src, "full/200,/0/default.png"));
    assert_eq!((out.w, out.h), (200, 200));
    for (c, r) in [(0, 0), (9, 0), (0, 9), (4, 7)] {
        assert_square(&out, 20, (c, r), (c, r));
    }
    let out = decode(&ok(&src, "pct:50,50,50,50/,100/0/default.png"));
    assert_eq!((out.w, out.h), (100, 100));
    assert_square(&out, 20, (0, 0), (5, 5));
    let out = decode(&ok(&src, "square/!50,50/0/default.png"));
    assert_eq!((out.w, out.h), (50, 50));
}

#[test]
fn iiif_upscaling_needs_the_caret() {
    let src = fixture(IIIF);
    let out = decode(&ok(&src, "0,0,100,100/^300,/0/default.png"));
    assert_eq!((out.w, out.h), (300, 300));
    assert!(close(out.at(150, 150), square(0, 0), 5));
    assert!(matches!(
        try_render(&src, "0,0,100,100/300,/0/default.png"),
        Err(RenderError::Spec(_))
    ));
    let out = ok(&src, "full/^pct:120/0/default.jpg");
    assert_eq!((out.width, out.height), (1200, 1200));
}

#[test]
fn iiif_mirror_and_quarter_turns() {
    let src = fixture(IIIF);
    // 90° clockwise: output square (c, r) shows source square (r, 9 − c).
    let out = decode(&ok(&src, "full/200,/90/default.png"));
    for (c, r) in [(0, 0), (9, 0), (3, 6)] {
        assert_square(&out, 20, (c, r), (r, 9 - c));
    }
    let out = decode(&ok(&src, "full/200,/180/default.png"));
    assert_square(&out, 20, (2, 7), (7, 2));
    let out = decode(&ok(&src, "full/200,/270/default.png"));
    assert_square(&out, 20, (2, 7), (9 - 7, 2));
    // Mirror: output square (c, r) shows source square (9 − c, r).
    let out = decode(&ok(&src, "full/200,/!0/default.png"));
    assert_square(&out, 20, (1, 4), (8, 4));
    // Mirror then 90°: (c, r) ← mirrored (r, 9 − c) ← source (9 − r, 9 − c).
    let out = decode(&ok(&src, "full/200,/!90/default.png"));
    assert_square(&out, 20, (1, 4), (5, 8));
    // Non-square region: the output is turned too.
    let out = ok(&src, "0,0,500,200/250,/90/default.png");
    assert_eq!((out.width, out.height), (100, 250));
}

#[test]
fn iiif_arbitrary_rotation_fills_the_bounding_box() {
    let src = fixture(IIIF);
    let out = ok(&src, "full/100,/45/default.png");
    assert_eq!((out.width, out.height), (142, 142));
    let px = decode(&out);
    assert_eq!(px.at(0, 0)[3], 0, "transparent corner");
    assert_eq!(px.at(71, 71)[3], 255);
    let px = decode(&ok(&src, "full/100,/45/default.jpg"));
    assert!(
        close(px.at(1, 1), [255, 255, 255, 255], 6),
        "{:?}",
        px.at(1, 1)
    );
    let out = ok(&src, "full/100,50/30/default.webp");
    let spec = parse_params("full/100,50/30/default.webp").unwrap();
    let plan = vignette::spec::plan::resolve(&spec, 1000, 1000, &LIMITS.plan).unwrap();
    assert_eq!((out.width, out.height), plan.output_size());
}

#[test]
fn iiif_gray_and_bitonal() {
    let src = fixture(IIIF);
    let out = ok(&src, "full/100,/0/gray.png");
    let px = decode(&out);
    for (c, r) in [(0, 0), (5, 5), (9, 3)] {
        let p = px.at(c * 10 + 5, r * 10 + 5);
        let s = square(c, r);
        let luma = 0.299 * s[0] as f64 + 0.587 * s[1] as f64 + 0.114 * s[2] as f64;
        assert!(p[0] == p[1] && p[1] == p[2], "grey");
        assert!((p[0] as f64 - luma).abs() <= 3.0, "{p:?} vs {luma}");
    }
    let px = decode(&ok(&src, "full/100,/0/bitonal.png"));
    assert!(
        px.rgba
            .chunks(4)
            .all(|p| (p[0] == 0 || p[0] == 255) && p[0] == p[2])
    );
    assert!(px.rgba.chunks(4).any(|p| p[0] == 0) && px.rgba.chunks(4).any(|p| p[0] == 255));
    // color and default are the image as it is.
    let a = decode(&ok(&src, "full/100,/0/color.png"));
    let b = decode(&ok(&src, "full/100,/0/default.png"));
    assert_eq!(a.rgba, b.rgba);
}

// ------------------------------------------------------------------ output formats

#[test]
fn every_output_format_has_its_magic_and_size() {
    let src = fixture(IIIF);
    let magic: [(&str, Format, &[u8], usize); 5] = [
        ("jpg", Format::Jpeg, b"\xFF\xD8\xFF", 0),
        ("png", Format::Png, b"\x89PNG\r\n\x1a\n", 0),
        ("webp", Format::Webp, b"WEBP", 8),
        ("avif", Format::Avif, b"ftypavif", 4),
        ("gif", Format::Gif, b"GIF89a", 0),
    ];
    for (ext, format, m, at) in magic {
        let out = ok(&src, &format!("full/120,80/0/default.{ext}"));
        assert_eq!(out.format, format);
        assert_eq!(&out.bytes[at..at + m.len()], m, "{ext}");
        assert_eq!((out.width, out.height), (120, 80));
        let px = decode(&out);
        // Square (0, 0) survives every codec.
        assert!(
            close(px.at(5, 4), square(0, 0), 24),
            "{ext}: {:?}",
            px.at(5, 4)
        );
        // And the output reads back as a source.
        let p = probe(&out.bytes).unwrap();
        assert_eq!((p.width, p.height), (120, 80), "{ext}");
    }
}

#[test]
fn grey_jpeg_output_is_single_component() {
    let out = ok(&fixture(IIIF), "full/100,/0/gray.jpg");
    let h = turbojpeg::read_header(&out.bytes).unwrap();
    assert_eq!(h.colorspace, turbojpeg::Colorspace::Gray);
}

#[test]
fn format_size_limits_are_spec_errors() {
    // 1x8000 source, upscaled past WebP's 16383-pixel side.
    let tall = encode_png(1, 8000, png::ColorType::Grayscale, &vec![128; 8000]);
    assert!(matches!(
        try_render(&tall, "full/^,17000/0/default.webp"),
        Err(RenderError::Spec(_))
    ));
}

// ------------------------------------------------------------------ edge sizes

#[test]
fn extreme_sizes_do_not_panic() {
    let one = encode_png(1, 1, png::ColorType::Rgb, &[255, 128, 0]);
    let tall: Vec<u8> = (0..8000u32).map(|y| (y * 255 / 7999) as u8).collect();
    let tall = encode_png(1, 8000, png::ColorType::Grayscale, &tall);
    let wide: Vec<u8> = (0..16000u32)
        .flat_map(|x| [(255 - x * 255 / 15999) as u8, 0, (x * 255 / 15999) as u8])
        .collect();
    let wide = turbojpeg::compress(
        turbojpeg::Image {
            pixels: &wide[..],
            width: 16000,
            pitch: 16000 * 3,
            height: 1,
            format: turbojpeg::PixelFormat::RGB,
        },
        90,
        turbojpeg::Subsamp::Sub2x2,
    )
    .unwrap()
    .to_vec();

    let out = decode(&ok(&one, "full/^100,/0/default.png"));
    assert_eq!((out.w, out.h), (100, 100));
    assert!(close(out.at(50, 50), [255, 128, 0, 255], 2));
    assert_eq!(ok(&one, "full/max/45/default.jpg").width, 2);

    let out = ok(&tall, "full/,100/0/default.png");
    assert_eq!((out.width, out.height), (1, 100));
    let out = ok(&wide, "full/100,/0/default.png");
    assert_eq!((out.width, out.height), (100, 1));
    let px = decode(&out);
    assert!(
        px.at(0, 0)[0] > 200 && px.at(99, 0)[2] > 200,
        "red → blue gradient"
    );

    for src in [&one, &tall, &wide] {
        for params in [
            "full/max/0/default.jpg",
            "full/max/0/default.webp",
            "full/pct:1/0/default.png",
            "square/max/90/gray.gif",
            "full/!10,10/33/bitonal.avif",
            "pct:0,0,0.01,0.01/max/0/default.png",
        ] {
            match try_render(src, params) {
                Ok(out) => assert_eq!(decode(&out).w, out.width),
                Err(RenderError::Spec(_)) => {}
                Err(e) => panic!("{params}: unexpected {e}"),
            }
        }
    }
}

// ------------------------------------------------------------------ deadline

#[test]
fn a_past_deadline_abandons_the_render() {
    let src = fixture(IIIF);
    let spec = parse_params("full/max/0/default.jpg").unwrap();
    let past = Deadline(Some(Instant::now() - Duration::from_millis(1)));
    let r = render(&src, &spec, &LIMITS, &EncodeSettings::default(), &past);
    assert!(matches!(
        r,
        Err(RenderError::DeadlineExceeded { stage: "header" })
    ));
    let future = Deadline(Some(Instant::now() + Duration::from_secs(600)));
    assert!(render(&src, &spec, &LIMITS, &EncodeSettings::default(), &future).is_ok());
}
