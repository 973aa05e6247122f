//! The DC-only JPEG decoder (the 1/8-scale fast path) against libjpeg-turbo: the same
//! pixels, to the bit, for every file it accepts, and every other file left to
//! libjpeg-turbo. Inputs are generated here with libjpeg-turbo's encoder (sampling
//! factors, qualities, odd sizes) or are the small restart-marker files of
//! `tests/fixtures/jpeg/` (made with `cjpeg -restart`, see the README there).

use super::*;
use turbojpeg::{Colorspace, Compressor, Image, PixelFormat, Subsamp};
use vignette::testing::render::stages;

/// A deterministic pseudo-random generator (xorshift), for textures and corruptions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// An RGB image with gradients, edges and noise: every coefficient frequency is used.
fn texture(w: usize, h: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut px = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let edge = if (x / 5 + y / 3) % 2 == 0 { 60 } else { 0 };
            let noise = (rng.next() % 48) as usize;
            px.push(((x * 255 / w.max(1)) / 2 + edge + noise).min(255) as u8);
            px.push(((y * 255 / h.max(1)) / 2 + noise) as u8);
            px.push((((x + y) * 7) % 200 + edge / 2) as u8);
        }
    }
    px
}

fn jpeg(
    w: usize,
    h: usize,
    quality: i32,
    subsamp: Subsamp,
    setup: impl Fn(&mut Compressor),
) -> Vec<u8> {
    let px = texture(w, h, (w * 31 + h) as u64 | 1);
    let mut c = Compressor::new().unwrap();
    c.set_quality(quality).unwrap();
    c.set_subsamp(subsamp).unwrap();
    setup(&mut c);
    let image = Image {
        pixels: &px[..],
        width: w,
        pitch: w * 3,
        height: h,
        format: PixelFormat::RGB,
    };
    c.compress_to_vec(image).unwrap()
}

/// The warnings after which vignette keeps libjpeg-turbo's pixels (see its JPEG decoder).
fn benign(message: &str) -> bool {
    message.contains("extraneous bytes before marker") || message.contains("unknown JFIF revision")
}

/// libjpeg-turbo's own 1/8-scale decode (grey stays grey), or its error message.
fn libjpeg_eighth(bytes: &[u8]) -> Result<(usize, usize, Vec<u8>), String> {
    let mut d = turbojpeg::Decompressor::new().unwrap();
    let factor = turbojpeg::ScalingFactor::ONE_EIGHTH;
    d.set_scaling_factor(factor).unwrap();
    let header = d.read_header(bytes).map_err(|e| e.to_string())?;
    let (format, channels) = match header.colorspace {
        Colorspace::Gray => (PixelFormat::GRAY, 1),
        _ => (PixelFormat::RGB, 3),
    };
    let s = header.scaled(factor);
    let mut pixels = vec![0; s.width * s.height * channels];
    let image = Image {
        pixels: &mut pixels[..],
        width: s.width,
        pitch: s.width * channels,
        height: s.height,
        format,
    };
    match d.decompress(bytes, image) {
        Err(e) if !benign(&e.to_string()) => Err(e.to_string()),
        _ => Ok((s.width, s.height, pixels)),
    }
}

/// Decodes with both and requires identical output.
fn same_as_libjpeg(bytes: &[u8], what: &str) {
    let ours =
        stages::decode_dc(bytes).unwrap_or_else(|why| panic!("{what}: left to libjpeg: {why}"));
    let (w, h, theirs) = libjpeg_eighth(bytes).unwrap();
    assert_eq!(
        (ours.width() as usize, ours.height() as usize),
        (w, h),
        "{what}"
    );
    assert!(
        ours.pixels() == &theirs[..],
        "{what}: pixels differ from libjpeg-turbo's"
    );
}

#[test]
fn every_sampling_and_size_matches_libjpeg_turbo_to_the_bit() {
    let samplings = [
        Subsamp::None,
        Subsamp::Sub2x1,
        Subsamp::Sub2x2,
        Subsamp::Sub1x2,
        Subsamp::Gray,
    ];
    for subsamp in samplings {
        for (w, h) in [(1, 1), (7, 9), (17, 33), (64, 48), (333, 129)] {
            for quality in [30, 75, 98] {
                let j = jpeg(w, h, quality, subsamp, |_| {});
                same_as_libjpeg(&j, &format!("{subsamp:?} {w}x{h} q{quality}"));
            }
        }
    }
}

#[test]
fn optimised_huffman_tables_match_too() {
    // Per-image tables give long codes: the slow path of the table lookups.
    let j = jpeg(400, 300, 100, Subsamp::Sub2x2, |c| {
        c.set_optimize(true).unwrap()
    });
    same_as_libjpeg(&j, "optimised q100");
}

#[test]
fn restart_markers_match_libjpeg_turbo() {
    for name in [
        "restart-1mcu-420.jpg",
        "restart-5mcu-422.jpg",
        "restart-1row-gray.jpg",
    ] {
        let bytes = fixture(&format!("jpeg/{name}"));
        // Make sure the file really has restart markers (DRI, then RST0 in the data).
        assert!(
            bytes.windows(2).any(|w| w == [0xFF, 0xDD]),
            "{name}: no DRI"
        );
        assert!(
            bytes.windows(2).any(|w| w == [0xFF, 0xD0]),
            "{name}: no RST0"
        );
        same_as_libjpeg(&bytes, name);
    }
}

#[test]
fn other_jpegs_are_left_to_libjpeg_turbo() {
    let progressive = jpeg(64, 48, 80, Subsamp::Sub2x2, |c| {
        c.set_progressive(true).unwrap()
    });
    let arithmetic = jpeg(64, 48, 80, Subsamp::Sub2x2, |c| {
        c.set_arithmetic(true).unwrap()
    });
    let rgb = jpeg(64, 48, 80, Subsamp::None, |c| {
        c.set_colorspace(Colorspace::RGB).unwrap()
    });
    let lossless = jpeg(64, 48, 80, Subsamp::None, |c| c.set_lossless(true).unwrap());
    let cmyk = fixture("edge/cmyk-1280x800.jpg");
    for (what, bytes) in [
        ("progressive", progressive),
        ("arithmetic", arithmetic),
        ("RGB", rgb),
        ("lossless", lossless),
        ("CMYK", cmyk),
    ] {
        assert!(
            stages::decode_dc(&bytes).is_err(),
            "{what} was not left to libjpeg-turbo"
        );
        // …which renders it as before.
        assert_eq!(ok(&bytes, "full/8,/0/default.png").width, 8, "{what}");
    }
}

#[test]
fn damaged_files_are_refused_or_decoded_exactly_as_libjpeg_turbo_does() {
    let files = [
        jpeg(160, 120, 85, Subsamp::Sub2x2, |_| {}),
        jpeg(160, 120, 85, Subsamp::Sub2x1, |_| {}),
        fixture("jpeg/restart-1mcu-420.jpg"),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut accepted, mut refused) = (0, 0);
    for good in &files {
        // Every truncation loses at least the end marker: never accepted.
        for cut in (2..good.len()).step_by(97) {
            assert!(
                stages::decode_dc(&good[..cut]).is_err(),
                "accepted a file cut at {cut}"
            );
        }
        // Random bytes changed anywhere: no panic; anything accepted is decoded exactly
        // as libjpeg-turbo decodes it (which must accept it too).
        for _ in 0..1500 {
            let mut bad = good.clone();
            for _ in 0..1 + rng.next() % 3 {
                let at = (rng.next() as usize) % bad.len();
                bad[at] = rng.next() as u8;
            }
            match stages::decode_dc(&bad) {
                Ok(ours) => {
                    accepted += 1;
                    let (w, h, theirs) = libjpeg_eighth(&bad)
                        .unwrap_or_else(|e| panic!("accepted what libjpeg-turbo refuses: {e}"));
                    assert_eq!((ours.width() as usize, ours.height() as usize), (w, h));
                    if ours.pixels() != &theirs[..] {
                        std::fs::write("/tmp/bad.jpg", &bad).unwrap();
                        std::fs::write("/tmp/good.jpg", good).unwrap();
                    }
                    assert!(
                        ours.pixels() == &theirs[..],
                        "a damaged file decoded differently"
                    );
                }
                Err(_) => refused += 1,
            }
        }
    }
    // Both outcomes happened: the test exercised what it claims to.
    assert!(
        accepted > 500 && refused > 500,
        "accepted {accepted}, refused {refused}"
    );
}
