//! EXIF orientation: every orientation displays like orientation 1.

use super::*;

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
