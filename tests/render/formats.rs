//! Output formats, extreme sizes and the deadline.

use super::*;

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

/// Optimised Huffman tables only change how the same coefficients are written: the same
/// pixels in fewer bytes.
#[test]
fn plain_huffman_jpeg_has_the_same_pixels_in_more_bytes() {
    let src = fixture(IIIF);
    let spec = parse_params("full/300,/0/default.jpg").unwrap();
    let (on, off) = (
        EncodeSettings::default(),
        EncodeSettings {
            jpeg_optimize: false,
            ..EncodeSettings::default()
        },
    );
    let optimised = render(&src, &spec, &LIMITS, &on, &Deadline::NONE).unwrap();
    let plain = render(&src, &spec, &LIMITS, &off, &Deadline::NONE).unwrap();
    assert!(
        optimised.bytes.len() < plain.bytes.len(),
        "{} vs {}",
        optimised.bytes.len(),
        plain.bytes.len()
    );
    assert_eq!(decode(&optimised).rgba, decode(&plain).rgba);
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
