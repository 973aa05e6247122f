//! Hostile and broken sources: the right error, never a panic; limits before decoding; probing prefixes.

use super::*;

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
