//! Table tests of the imgproxy grammar: URL → request, URL → error.

use super::*;
use crate::variant::{
    Format, Gravity, GravityKind, OutputFormat, Padding, Region, ResizeMode, Rgb, Upscale,
};

const NOW: i64 = 1_800_000_000;

fn cfg() -> Config {
    Config::default()
}

fn ok(path: &str) -> ImageRequest {
    parse(path, &cfg(), NOW).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn err(path: &str) -> DialectError {
    match parse(path, &cfg(), NOW) {
        Ok(r) => panic!("{path} parsed: {r:?}"),
        Err(e) => e,
    }
}

#[test]
fn sources_plain_and_base64() {
    let r = ok("/insecure/rs:fit:300:200/plain/local:///photos/a%20b.jpg@webp");
    assert_eq!(r.source, SourceRef::Local("photos/a b.jpg".into()));
    assert_eq!(r.variant.format, OutputFormat::Is(Format::Webp));
    assert!(!r.negotiate);
    // base64url of "local:///photos/a.jpg", split by '/', with an extension.
    let r = ok("/sig/w:10/bG9jYWw6Ly8v/cGhvdG9zL2EuanBn.png");
    assert_eq!(r.source, SourceRef::Local("photos/a.jpg".into()));
    assert_eq!(r.variant.format, OutputFormat::Is(Format::Png));
    // Padding is optional; no extension negotiates.
    let r = ok("/_/czM6Ly9idWNrZXQva2V5L3guanBn");
    assert_eq!(
        r.source,
        SourceRef::S3 {
            bucket: "bucket".into(),
            key: "key/x.jpg".into()
        }
    );
    assert!(r.negotiate);
    let r = ok("/unsafe/plain/https://example.org/i.png?x=1");
    assert_eq!(
        r.source,
        SourceRef::Http("https://example.org/i.png?x=1".into())
    );
}

#[test]
fn resize_family() {
    let v = ok("/x/rs:fill:300:400:1/plain/local:///a.jpg").variant;
    assert_eq!(v.resize.mode, ResizeMode::Fill);
    assert_eq!((v.resize.width, v.resize.height), (300, 400));
    assert_eq!(v.resize.upscale, Upscale::Allow);
    let v =
        ok("/x/s:300/rt:force/h:50/mw:10/mh:20/z:1.5:2/dpr:2/el:0/plain/local:///a.jpg").variant;
    assert_eq!(v.resize.mode, ResizeMode::Force);
    assert_eq!((v.resize.width, v.resize.height), (300, 50));
    assert_eq!((v.resize.min_width, v.resize.min_height), (10, 20));
    assert_eq!(v.resize.zoom, (1.5, 2.0));
    assert_eq!(v.resize.dpr, 2.0);
    assert_eq!(v.resize.upscale, Upscale::Clamp);
    // One side free: every mode but force is fit.
    let v = ok("/x/rs:fill:300/plain/local:///a.jpg").variant;
    assert_eq!(v.resize.mode, ResizeMode::Fit);
    // Extend inside resize, with its gravity.
    let v = ok("/x/rs:fit:300:300:0:1:so:5/plain/local:///a.jpg").variant;
    assert_eq!(
        v.extend.to_size,
        Some(Gravity {
            kind: GravityKind::South,
            x: 5.0,
            y: 0.0
        })
    );
}

#[test]
fn geometry_and_effects() {
    let v = ok("/x/g:fp:0.25:0.75/c:100:50/pd:1:2/ar:0/rot:270/fl:1:0/bg:ff8000/bl:2/sh:0.5/pix:4/plain/local:///a.jpg").variant;
    assert_eq!(v.gravity.kind, GravityKind::FocusPoint);
    assert_eq!(
        v.region,
        Region::Gravity {
            w: 100.0,
            h: 50.0,
            gravity: v.gravity
        }
    );
    assert_eq!(
        v.padding,
        Padding {
            top: 1,
            right: 2,
            bottom: 1,
            left: 2
        }
    );
    assert!(!v.orient.auto);
    assert_eq!(v.orient.quarter_turns, 3);
    assert!(v.orient.flip_horizontal && !v.orient.flip_vertical);
    assert_eq!(v.background, Some(Rgb(255, 128, 0)));
    assert_eq!(
        (v.filters.blur, v.filters.sharpen, v.filters.pixelate),
        (2.0, 0.5, 4)
    );
    let v = ok("/x/bg:1:2:3/c:0.5:0:sm/plain/local:///a.jpg").variant;
    assert_eq!(v.background, Some(Rgb(1, 2, 3)));
    assert!(
        matches!(v.region, Region::Gravity { w, h: 0.0, gravity } if w == 0.5 && gravity.kind == GravityKind::Smart)
    );
}

#[test]
fn quality_and_format() {
    let v = ok("/x/q:70/fq:webp:50:avif:40/f:webp/plain/local:///a.jpg").variant;
    // The per-format quality of the chosen format wins.
    assert_eq!(v.quality, Some(50));
    assert!(v.format_quality.is_empty());
    let r = ok("/x/q:70/fq:webp:50/plain/local:///a.jpg");
    assert!(r.negotiate);
    assert_eq!(r.variant.quality_for(Format::Webp), Some(50));
    assert_eq!(r.variant.quality_for(Format::Jpeg), Some(70));
    // `@ext` overrides `f:`, `ext:` is an alias.
    let v = ok("/x/ext:png/plain/local:///a.jpg@jpg").variant;
    assert_eq!(v.format, OutputFormat::Is(Format::Jpeg));
    let v = ok("/x/mb:1000/skp:jpg:png/cb:v2/plain/local:///a.jpg").variant;
    assert_eq!(v.max_bytes, Some(1000));
    assert_eq!(v.passthrough, vec![Format::Jpeg, Format::Png]);
    assert_eq!(v.cachebuster.as_deref(), Some("v2"));
}

#[test]
fn metadata_options() {
    let v = ok("/x/sm:0/kcr:1/scp:0/plain/local:///a.jpg").variant;
    assert!(!v.metadata.strip && v.metadata.keep_copyright && !v.metadata.strip_colour_profile);
    // vignette's default keeps nothing (imgproxy keeps the copyright by default).
    let v = ok("/x/plain/local:///a.jpg").variant;
    assert!(v.metadata.strip && !v.metadata.keep_copyright && v.metadata.strip_colour_profile);
    assert_ne!(
        ok("/x/kcr:1/plain/local:///a.jpg").variant.canonical(),
        ok("/x/plain/local:///a.jpg").variant.canonical()
    );
}

#[test]
fn delivery_and_expiry() {
    let r = ok("/x/fn:bXkgZmlsZQ:1/att:1/exp:1900000000/plain/local:///a.jpg");
    assert_eq!(r.delivery.filename.as_deref(), Some("my file"));
    assert!(r.delivery.attachment);
    assert_eq!(
        err("/x/exp:1700000000/plain/local:///a.jpg"),
        DialectError::Expired
    );
    assert_eq!(err("/x/exp:1700000000/plain/local:///a.jpg").status(), 404);
}

#[test]
fn long_and_short_names_are_one_variant() {
    let long = ok("/s/resize:fill:300:200/gravity:nowe/quality:80/format:png/plain/local:///a.jpg");
    let short = ok("/s/rs:fill:300:200/g:nowe/q:80/f:png/plain/local:///a.jpg");
    assert_eq!(long.variant.canonical(), short.variant.canonical());
}

#[test]
fn refusals_name_the_problem() {
    for (path, needle) in [
        (
            "/x/nope:1/plain/local:///a.jpg",
            "unknown processing option: nope",
        ),
        ("/x/wm:0.5/plain/local:///a.jpg", "wm is not supported"),
        ("/x/raw:1/plain/local:///a.jpg", "raw is not supported"),
        ("/x/rs:zoom:1:1/plain/local:///a.jpg", "zoom"),
        ("/x/w:-1/plain/local:///a.jpg", "w"),
        ("/x/rot:45/plain/local:///a.jpg", "multiple of 90"),
        ("/x/g:fp:2:0/plain/local:///a.jpg", "g"),
        ("/x/g:sm:1/plain/local:///a.jpg", "g"),
        ("/x/ex:1:sm/plain/local:///a.jpg", "ex"),
        ("/x/q:101/plain/local:///a.jpg", "quality"),
        ("/x/bg:zzz/plain/local:///a.jpg", "hex colour"),
        ("/x/f:bmp/plain/local:///a.jpg", "bmp"),
        ("/x/el:maybe/plain/local:///a.jpg", "boolean"),
        ("/x/pr:nothere/plain/local:///a.jpg", "unknown preset"),
        ("/x/sm:2/plain/local:///a.jpg", "boolean"),
        ("/x/w:10/plain/local:///a.jpg@png@jpg", "several formats"),
        ("/x/w:10/plain/%zz", "percent-escape"),
        ("/x/w:10/!!!notbase64", "base64"),
        ("/x/w:10/plain/ftp://host/a.jpg", "local:///"),
        ("/x/w:10/plain/s3://bucket", "bucket and a key"),
        ("/x/w:10/", "missing"),
    ] {
        let e = err(path);
        assert_eq!(e.status(), 400, "{path}: {e}");
        assert!(e.to_string().contains(needle), "{path}: {e}");
    }
    assert_eq!(err("/favicon.ico"), DialectError::NoRoute);
}

#[test]
fn signatures_are_checked_when_a_key_is_set() {
    let mut config = cfg();
    config.signing = Signing {
        pairs: vec![(b"secret".to_vec(), b"hello".to_vec())],
        size: 32,
    };
    let path = "/rs:fit:300:300/plain/local:///a.jpg";
    let sig = config.signing.sign(path).unwrap();
    assert!(parse(&format!("/{sig}{path}"), &config, NOW).is_ok());
    for bad in ["insecure", "unsafe", "_", ""] {
        assert_eq!(
            parse(&format!("/{bad}{path}"), &config, NOW),
            Err(DialectError::Signature)
        );
    }
    let tampered = format!("/{sig}{}", path.replace("300:300", "300:301"));
    assert_eq!(parse(&tampered, &config, NOW), Err(DialectError::Signature));
    assert_eq!(DialectError::Signature.status(), 403);
}

#[test]
fn presets() {
    let mut config = cfg();
    config.presets =
        Presets::parse("default=q:60,thumb=rs:fill:100:100/g:sm,big=pr:thumb/w:800").unwrap();
    let r = parse("/x/pr:thumb/plain/local:///a.jpg", &config, NOW).unwrap();
    assert_eq!(r.variant.quality, Some(60));
    assert_eq!(r.variant.resize.mode, ResizeMode::Fill);
    assert_eq!(r.variant.gravity.kind, GravityKind::Smart);
    let r = parse("/x/pr:big/plain/local:///a.jpg", &config, NOW).unwrap();
    assert_eq!(r.variant.resize.width, 800);
    // Presets-only URLs.
    config.only_presets = true;
    let r = parse("/x/thumb/plain/local:///a.jpg@png", &config, NOW).unwrap();
    assert_eq!(r.variant.resize.width, 100);
    assert_eq!(r.variant.format, OutputFormat::Is(Format::Png));
    // A preset that names itself stops, with an error, not a stack overflow.
    assert!(Presets::parse("loop=pr:loop").is_err());
    assert!(Presets::parse("bad=nope:1").is_err());
    assert!(Presets::parse("noequals").is_err());
}

#[test]
fn never_panics_on_odd_paths() {
    for path in [
        "",
        "/",
        "//",
        "///",
        "/a",
        "/a/",
        "/a/b",
        "/a/:",
        "/a/:/b",
        "/a/rs:",
        "/a/rs:::::::::::/x",
        "/a/plain",
        "/a/plain/",
        "/a/plain/@",
        "/a/plain/@@",
        "/a/.",
        "/a/..",
        "/a/%",
        "/a/c:",
        "/a/pd:1:2:3:4:5/x",
        "/a/fq:/x",
        "/a/fq:webp/x",
        "/a/z:0/x",
        "/a/dpr:NaN/x",
        "/a/dpr:inf/x",
        "/a/bg:/x",
        "/a/bg:1:2/x",
        "/a/t:/x",
        "/a/fn:%%%:1/x",
        "/a/exp:99999999999999999999/x",
    ] {
        let _ = parse(path, &cfg(), NOW);
    }
}
