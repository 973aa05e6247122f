//! The IIIF grammar: canonical forms, normalisation, refusals, identifiers.

use super::*;

fn ok(p: &str) -> Params {
    parse_iiif_params(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

#[test]
fn round_trips_canonical_forms() {
    for p in [
        "full/max/0/default.jpg",
        "square/^max/90/color.png",
        "10,20,30,40/100,/180/gray.webp",
        "pct:1.5,2,50,50/,200/270/bitonal.avif",
        "full/pct:50/!0/default.gif",
        "full/^pct:150/22.5/default.png",
        "full/300,200/!45.25/default.jpg",
        "full/!300,200/0/default.jpg",
        "full/^!300,200/0/default.jpg",
        "full/^300,/0/default.jpg",
        "full/^,300/0/default.jpg",
    ] {
        assert_eq!(ok(p).to_string(), p);
    }
}

#[test]
fn normalises_equivalent_forms() {
    assert_eq!(
        ok("full/max/360/default.jpg").to_string(),
        "full/max/0/default.jpg"
    );
    assert_eq!(
        ok("full/max/90.0/default.jpg").to_string(),
        "full/max/90/default.jpg"
    );
    assert_eq!(
        ok("pct%3A10,10,10,10/max/0/default.jpg").region,
        Region::Percent {
            x: 10.0,
            y: 10.0,
            w: 10.0,
            h: 10.0
        }
    );
}

#[test]
fn rejects_malformed() {
    for p in [
        "ful/max/0/default.jpg",
        "1,2,3/max/0/default.jpg",
        "-1,2,3,4/max/0/default.jpg",
        "1,2,3,4.5/max/0/default.jpg",
        "pct:1,2,3,x/max/0/default.jpg",
        "full/maxx/0/default.jpg",
        "full/,/0/default.jpg",
        "full/!100,/0/default.jpg",
        "full/1e3,/0/default.jpg",
        "full/max/361/default.jpg",
        "full/max/-90/default.jpg",
        "full/max/1.2.3/default.jpg",
        "full/max/0/grey.jpg",
        "full/max/0/default.bmp",
        "full/max/0/default",
        "full/max/0",
    ] {
        assert!(
            matches!(parse_params(p), Err(VariantError::Malformed(_))),
            "{p}"
        );
    }
}

#[test]
fn known_but_unimplemented_formats_are_501() {
    for f in ["tif", "jp2", "pdf"] {
        let p = format!("full/max/0/default.{f}");
        assert!(
            matches!(parse_params(&p), Err(VariantError::Unsupported(_))),
            "{p}"
        );
    }
}

#[test]
fn paths() {
    assert_eq!(
        parse_path("abc").unwrap(),
        IiifRequest::Base {
            identifier: "abc".into()
        }
    );
    assert_eq!(
        parse_path("a%2Fb/info.json").unwrap(),
        IiifRequest::Info {
            identifier: "a/b".into()
        }
    );
    match parse_path("a%20b/full/max/0/default.jpg").unwrap() {
        IiifRequest::Image { identifier, params } => {
            assert_eq!(identifier, "a b");
            assert_eq!(params.format, Format::Jpeg);
        }
        other => panic!("{other:?}"),
    }
    match parse_path("a/b%20c/full/max/0/default.jpg").unwrap() {
        IiifRequest::Image { identifier, .. } => assert_eq!(identifier, "a/b c"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        parse_path("a/b/info.json").unwrap(),
        IiifRequest::Info {
            identifier: "a/b".into()
        }
    );
    assert!(parse_path("a/full/max").is_err());
    assert!(parse_path("/info.json").is_err());
    assert!(parse_path("%FF/info.json").is_err());
}

#[test]
fn decimals_keep_the_precision_of_the_canonical_form() {
    // Found by fuzzing (`tests/fixtures/fuzz/iiif_url/`): a rotation below a millionth of
    // a degree was kept, while the cache key and the canonical URL said 0.
    let tiny = ok("full/max/0.0000001/default.jpg");
    assert_eq!(tiny.to_variant(), ok("full/max/0/default.jpg").to_variant());
    let p = ok("pct:10.1234564,0,50.0000004,50/pct:33.3333333/359.9999999/default.jpg");
    assert_eq!(
        p.to_string(),
        "pct:10.123456,0,50,50/pct:33.333333/0/default.jpg"
    );
    assert_eq!(ok(&p.to_string()), p);
    assert!(parse_iiif_params("full/pct:0.0000001/0/default.jpg").is_err());
}
