//! Alpha: kept where the output format allows it, flattened onto white elsewhere; AVIF orientation.

use super::*;

#[test]
fn alpha_is_kept_where_the_format_allows_it() {
    let src = half_transparent_png();
    for fmt in ["png", "webp", "avif", "gif"] {
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
