//! The fixture side of `tests/jxl_heif.rs`: Debian's encoders and reference decoders run as
//! subprocesses, the pictures given to them, and byte patches of their HEIF output.

use crate::common::fixtures::{Decoded, decode};
use std::borrow::Cow;
use std::path::Path;
use std::process::Command;

/// Runs `tool` in `dir`; a missing tool or a failure fails the test, naming the package.
#[track_caller]
pub(crate) fn run(tool: &str, args: &[&str], dir: &Path) {
    let package = match tool {
        "cjxl" | "djxl" => "libjxl-tools",
        _ => "libheif-examples",
    };
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{tool} cannot run ({e}): install {package} (scripts/bootstrap --test)")
        });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `w`×`h` RGB test picture: four flat colour blocks above, smooth gradients below.
pub(crate) fn pattern(w: u32, h: u32) -> Vec<u8> {
    let blocks = [[200, 40, 40], [40, 160, 60], [50, 70, 210], [230, 200, 60]];
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let c = if y < h / 2 {
                blocks[(x * 4 / w) as usize]
            } else {
                [
                    (x * 255 / w) as u8,
                    ((y - h / 2) * 255 / (h - h / 2)) as u8,
                    128,
                ]
            };
            px.extend_from_slice(&c);
        }
    }
    px
}

fn write_png(path: &Path, w: u32, h: u32, rgb: &[u8], icc: Option<Vec<u8>>) {
    let mut info = png::Info::with_size(w, h);
    info.color_type = png::ColorType::Rgb;
    info.bit_depth = png::BitDepth::Eight;
    info.icc_profile = icc.map(Cow::Owned);
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut writer = png::Encoder::with_info(file, info)
        .unwrap()
        .write_header()
        .unwrap();
    writer.write_image_data(rgb).unwrap();
}

/// The test picture as a PNG.
pub(crate) fn pattern_png(path: &Path, w: u32, h: u32) {
    write_png(path, w, h, &pattern(w, h), None);
}

/// The Adobe RGB (1998) ICC profile of a committed fixture (its APP2 chunks, in order).
pub(crate) fn adobe_rgb_icc() -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/edge/adobergb-1280x800.jpg");
    let jpeg = std::fs::read(path).unwrap();
    let mut icc = Vec::new();
    let mut at = 2;
    while jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
        let len = u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]) as usize;
        let payload = &jpeg[at + 4..at + 2 + len];
        if jpeg[at + 1] == 0xE2 && payload.starts_with(b"ICC_PROFILE\0") {
            icc.extend_from_slice(&payload[14..]);
        }
        at += 2 + len;
    }
    assert_eq!(&icc[36..40], b"acsp", "an ICC profile");
    icc
}

/// A flat `rgb` PNG tagged with the ICC profile `icc`.
pub(crate) fn tagged_png(path: &Path, w: u32, h: u32, rgb: [u8; 3], icc: &[u8]) {
    write_png(
        path,
        w,
        h,
        &rgb.repeat((w * h) as usize),
        Some(icc.to_vec()),
    );
}

/// `rgb` in the space of `icc`, converted to sRGB (relative colorimetric) by moxcms.
pub(crate) fn to_srgb(icc: &[u8], rgb: [u8; 3]) -> [u8; 3] {
    let from = moxcms::ColorProfile::new_from_slice(icc).unwrap();
    let srgb = moxcms::ColorProfile::new_srgb();
    let t = from
        .create_transform_8bit(
            moxcms::Layout::Rgb,
            &srgb,
            moxcms::Layout::Rgb,
            moxcms::TransformOptions::default(),
        )
        .unwrap();
    let mut out = [0u8; 3];
    t.transform(&rgb, &mut out).unwrap();
    out
}

/// The test picture as a JPEG stored `w`×`h` with an EXIF orientation tag.
pub(crate) fn turned_jpeg(path: &Path, w: u32, h: u32, orientation: u16) {
    let rgb = pattern(w, h);
    let image = turbojpeg::Image {
        pixels: rgb.as_slice(),
        width: w as usize,
        pitch: w as usize * 3,
        height: h as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    let jpeg = turbojpeg::compress(image, 95, turbojpeg::Subsamp::None).unwrap();
    // APP1: "Exif\0\0", a big-endian TIFF header, one IFD with the orientation alone.
    let mut tiff = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let payload = [&b"Exif\0\0"[..], &tiff].concat();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    std::fs::write(path, out).unwrap();
}

/// Decodes a reference decoder's PNG.
pub(crate) fn tool_png(path: &Path) -> Decoded {
    decode(&std::fs::read(path).unwrap())
}

/// The mean absolute difference of the RGB channels of two images of one size.
#[track_caller]
pub(crate) fn mean_abs_diff(a: &Decoded, b: &Decoded) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let sum: u64 = a
        .rgba
        .chunks_exact(4)
        .zip(b.rgba.chunks_exact(4))
        .map(|(p, q)| (0..3).map(|c| p[c].abs_diff(q[c]) as u64).sum::<u64>())
        .sum();
    sum as f64 / (a.width as f64 * a.height as f64 * 3.0)
}

/// The position of the only `kind` box of `bytes` (its type field).
#[track_caller]
fn only_box(bytes: &[u8], kind: &[u8; 4]) -> usize {
    let at: Vec<usize> = (0..bytes.len() - 4)
        .filter(|&i| &bytes[i..i + 4] == kind)
        .collect();
    assert_eq!(at.len(), 1, "{} boxes", String::from_utf8_lossy(kind));
    at[0]
}

/// `heif-enc`'s output with its `pixi` property (a 16-byte box) rewritten in place as an
/// `irot` of `quarters` anticlockwise quarter turns: libheif 1.15's encoder writes no
/// rotation, and the same size keeps every offset of the file valid.
pub(crate) fn heic_with_irot(from: &Path, to: &Path, quarters: u8) {
    let mut b = std::fs::read(from).unwrap();
    let at = only_box(&b, b"pixi");
    assert_eq!(&b[at - 4..at], &[0, 0, 0, 16], "pixi box size");
    b[at..at + 4].copy_from_slice(b"irot");
    b[at + 4] = quarters;
    std::fs::write(to, b).unwrap();
}

/// A HEIF file with its only `ispe` property claiming `w`×`h`.
pub(crate) fn with_ispe(heic: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut b = heic.to_vec();
    let at = only_box(&b, b"ispe") + 8;
    b[at..at + 4].copy_from_slice(&w.to_be_bytes());
    b[at + 4..at + 8].copy_from_slice(&h.to_be_bytes());
    b
}
