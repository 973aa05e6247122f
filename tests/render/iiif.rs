//! The IIIF validator's test image: regions, sizes, rotations, mirroring, qualities.

use super::*;

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
    let plan = vignette::testing::variant::resolve(
        &spec,
        1000,
        1000,
        vignette::testing::variant::Format::Png,
        &LIMITS.plan,
    )
    .unwrap();
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
