//! Colour to sRGB. Embedded ICC profiles (RGB, and CMYK such as SWOP) are converted with
//! `moxcms` (perceptual intent, as browsers use); CMYK without a usable profile gets the
//! naive conversion. The pipeline calls this on the smallest raster it has (after the resize
//! when downscaling), since the cost is per pixel. A profile that cannot be parsed or
//! applied is ignored, like browsers do: the pixels are then taken as sRGB.
//!
//! Building a transform costs far more than applying it to a thumbnail (≈ 25 ms for the
//! SWOP CMYK profile, against ≈ 1 ms to convert 500×333 pixels), so built transforms are
//! kept in a small process-wide map keyed by the profile's hash.

use super::raster::{Layout, Raster};
use moxcms::{ColorProfile, DataColorSpace, Transform8BitExecutor, TransformOptions};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

/// What a cached transform converts from (always to sRGB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Rgb,
    Rgba,
    Cmyk,
}

/// Longest ICC profile read from any source (a JPEG's APP2 chunks could claim 16 MB, a PNG's
/// `iCCP` inflate without end; real profiles are small, the largest CMYK ones a few MB).
/// A longer one is ignored, never an error.
pub(crate) const MAX_ICC_BYTES: usize = 4 << 20;

type Transform = Arc<Transform8BitExecutor>;
type TransformMap = HashMap<([u8; 32], Kind), Option<Transform>>;

/// Transforms built so far; `None` remembers a profile that cannot be used. Cleared when
/// full: profiles in the wild are few (sRGB variants, Adobe RGB, Display P3, SWOP…).
static TRANSFORMS: LazyLock<Mutex<TransformMap>> = LazyLock::new(Mutex::default);
const MAX_TRANSFORMS: usize = 64;

/// The transform from `icc` to sRGB for `kind` pixels, built once per profile.
fn transform(icc: &[u8], kind: Kind) -> Option<Transform> {
    let key = (*blake3::hash(icc).as_bytes(), kind);
    let lock = || TRANSFORMS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(t) = lock().get(&key) {
        return t.clone();
    }
    // Built outside the lock: other workers are not held up by a slow profile.
    let built = build(icc, kind);
    let mut map = lock();
    if map.len() >= MAX_TRANSFORMS {
        map.clear();
    }
    map.insert(key, built.clone());
    built
}

fn build(icc: &[u8], kind: Kind) -> Option<Transform> {
    let profile = ColorProfile::new_from_slice(icc).ok()?;
    let srgb = ColorProfile::new_srgb();
    let options = TransformOptions::default();
    match kind {
        // moxcms reads 8-bit CMYK with the four-channel (RGBA) layout.
        Kind::Cmyk if profile.color_space == DataColorSpace::Cmyk => profile
            .create_transform_8bit(moxcms::Layout::Rgba, &srgb, moxcms::Layout::Rgb, options)
            .ok(),
        Kind::Rgb if profile.color_space == DataColorSpace::Rgb => profile
            .create_transform_8bit(moxcms::Layout::Rgb, &srgb, moxcms::Layout::Rgb, options)
            .ok(),
        Kind::Rgba if profile.color_space == DataColorSpace::Rgb => profile
            .create_transform_8bit(moxcms::Layout::Rgba, &srgb, moxcms::Layout::Rgba, options)
            .ok(),
        _ => None,
    }
}

/// Converts `raster` to sRGB. CMYK rasters become RGB; other layouts keep their layout.
/// `cmyk_inverted` says CMYK samples are stored as 255 − ink (Adobe's convention).
pub(crate) fn to_srgb(raster: Raster, icc: Option<&[u8]>, cmyk_inverted: bool) -> Raster {
    match raster.layout() {
        Layout::Cmyk => match icc.and_then(|p| cmyk_with_profile(&raster, p, cmyk_inverted)) {
            Some(rgb) => rgb,
            None => cmyk_naive(&raster, cmyk_inverted),
        },
        Layout::Rgb | Layout::Rgba => match icc {
            Some(p) => rgb_with_profile(&raster, p).unwrap_or(raster),
            None => raster,
        },
        // Grey profiles only change the tone curve slightly; they are ignored.
        Layout::Gray | Layout::GrayAlpha => raster,
    }
}

fn rgb_with_profile(raster: &Raster, icc: &[u8]) -> Option<Raster> {
    let kind = match raster.layout() {
        Layout::Rgba => Kind::Rgba,
        _ => Kind::Rgb,
    };
    let transform = transform(icc, kind)?;
    let mut out = vec![0u8; raster.data().len()];
    transform.transform(raster.data(), &mut out).ok()?;
    Raster::new(raster.width(), raster.height(), raster.layout(), out).ok()
}

fn cmyk_with_profile(raster: &Raster, icc: &[u8], inverted: bool) -> Option<Raster> {
    let transform = transform(icc, Kind::Cmyk)?;
    let ink: Vec<u8> = if inverted {
        raster.data().iter().map(|v| 255 - v).collect()
    } else {
        raster.data().to_vec()
    };
    let n = raster.width() as usize * raster.height() as usize;
    let mut out = vec![0u8; n * 3];
    transform.transform(&ink, &mut out).ok()?;
    Raster::new(raster.width(), raster.height(), Layout::Rgb, out).ok()
}

/// The device-independent-of-nothing conversion: R = (1 − C)(1 − K), and so on.
fn cmyk_naive(raster: &Raster, inverted: bool) -> Raster {
    let mut out = Vec::with_capacity(raster.width() as usize * raster.height() as usize * 3);
    let mul = |a: u8, b: u8| ((a as u32 * b as u32 + 127) / 255) as u8;
    for p in raster.data().chunks_exact(4) {
        // `a` = 255 − ink.
        let [c, m, y, k] = if inverted {
            [p[0], p[1], p[2], p[3]]
        } else {
            [255 - p[0], 255 - p[1], 255 - p[2], 255 - p[3]]
        };
        out.extend_from_slice(&[mul(c, k), mul(m, k), mul(y, k)]);
    }
    Raster::new(raster.width(), raster.height(), Layout::Rgb, out)
        .unwrap_or_else(|_| Raster::filled(raster.width(), raster.height(), Layout::Rgb, &[0; 3]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_cmyk_both_conventions() {
        // Pure cyan ink, no black: (0, 255, 255) in sRGB.
        let plain = Raster::new(1, 1, Layout::Cmyk, vec![255, 0, 0, 0]).unwrap();
        assert_eq!(to_srgb(plain, None, false).data(), &[0, 255, 255]);
        let adobe = Raster::new(1, 1, Layout::Cmyk, vec![0, 255, 255, 255]).unwrap();
        assert_eq!(to_srgb(adobe, None, true).data(), &[0, 255, 255]);
        // 50 % black only: mid grey.
        let grey = Raster::new(1, 1, Layout::Cmyk, vec![0, 0, 0, 128]).unwrap();
        assert_eq!(to_srgb(grey, None, false).data(), &[127, 127, 127]);
    }

    #[test]
    fn srgb_profile_is_identity_and_junk_is_ignored() {
        let px = vec![200, 100, 50, 10, 20, 30];
        let r = Raster::new(2, 1, Layout::Rgb, px.clone()).unwrap();
        let icc = ColorProfile::new_srgb().encode().unwrap();
        let out = to_srgb(r.clone(), Some(&icc), false);
        for (a, b) in out.data().iter().zip(&px) {
            assert!(a.abs_diff(*b) <= 1, "{a} vs {b}");
        }
        assert_eq!(to_srgb(r.clone(), Some(b"not a profile"), false), r);
    }

    #[test]
    fn transforms_are_built_once_per_profile() {
        let icc = ColorProfile::new_adobe_rgb().encode().unwrap();
        // The fuzz test fills (and so clears) the shared map concurrently: one of a few
        // tries sees both lookups between two clears.
        let same = (0..10).any(|_| {
            let a = transform(&icc, Kind::Rgb).unwrap();
            let b = transform(&icc, Kind::Rgb).unwrap();
            Arc::ptr_eq(&a, &b)
        });
        assert!(same);
        assert!(transform(b"not a profile", Kind::Cmyk).is_none());
    }

    #[test]
    fn adobe_rgb_green_is_clipped_into_srgb() {
        // Adobe RGB's pure green lies outside sRGB: red goes to 0, blue stays low, and a
        // mid grey stays grey.
        let icc = ColorProfile::new_adobe_rgb().encode().unwrap();
        let r = Raster::new(2, 1, Layout::Rgb, vec![0, 255, 0, 128, 128, 128]).unwrap();
        let out = to_srgb(r, Some(&icc), false);
        let d = out.data();
        assert!(d[0] < 10 && d[1] > 250 && d[2] < 80, "{d:?}");
        assert!(
            d[3].abs_diff(d[4]) <= 2 && d[4].abs_diff(d[5]) <= 2,
            "{d:?}"
        );
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;

    /// Embedded profiles are attacker-controlled: randomly damaged ones (a deterministic
    /// xorshift drives the damage) must be ignored or applied, never crash the worker.
    #[test]
    fn mutated_profiles_never_panic() {
        let swop = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/edge/cmyk-swop-icc-1280x800.jpg"
        ))
        .unwrap();
        let h = crate::render::header::read(crate::render::SourceFormat::Jpeg, &swop).unwrap();
        let bases = [
            ColorProfile::new_adobe_rgb().encode().unwrap(),
            h.icc.unwrap(),
        ];
        let rgb = Raster::filled(8, 8, Layout::Rgb, &[10, 200, 30]);
        let cmyk = Raster::filled(8, 8, Layout::Cmyk, &[10, 200, 30, 40]);
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for i in 0..400 {
            let mut p = bases[i % 2].clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % p.len().min(if i % 3 == 0 { 256 } else { usize::MAX });
                p[at] = next() as u8;
            }
            if i % 7 == 0 {
                p.truncate((next() as usize) % p.len());
            }
            let r = std::panic::catch_unwind(|| {
                let _ = to_srgb(rgb.clone(), Some(&p), false);
                let _ = to_srgb(cmyk.clone(), Some(&p), true);
            });
            assert!(r.is_ok(), "iteration {i} panicked");
        }
    }
}
