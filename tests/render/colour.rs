//! Colour management: Adobe RGB and CMYK (with and without a profile) to sRGB.

use super::*;

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
