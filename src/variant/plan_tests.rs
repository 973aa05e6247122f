//! Plans of IIIF requests: regions, sizes, upscaling, limits, rotation.

use super::*;
use crate::dialect::iiif::parse_params;

const LIMITS: PlanLimits = PlanLimits {
    max_width: 4000,
    max_height: 4000,
    max_area: 4_000_000,
};

fn plan(params: &str, w: u32, h: u32) -> Result<Plan, VariantError> {
    let spec = parse_params(params).expect("parses");
    resolve(&spec, w, h, Format::Jpeg, &LIMITS)
}

fn size_of(params: &str, w: u32, h: u32) -> (u32, u32) {
    let p = plan(params, w, h).expect("resolves");
    (p.width, p.height)
}

#[test]
fn regions() {
    let r = |p: &str| plan(p, 1000, 600).unwrap().region;
    assert_eq!(
        r("full/max/0/default.jpg"),
        Rect {
            x: 0,
            y: 0,
            w: 1000,
            h: 600
        }
    );
    assert_eq!(
        r("square/max/0/default.jpg"),
        Rect {
            x: 200,
            y: 0,
            w: 600,
            h: 600
        }
    );
    assert_eq!(
        r("10,20,30,40/max/0/default.jpg"),
        Rect {
            x: 10,
            y: 20,
            w: 30,
            h: 40
        }
    );
    // Clipped at the right and bottom edges.
    assert_eq!(
        r("900,500,300,300/max/0/default.jpg"),
        Rect {
            x: 900,
            y: 500,
            w: 100,
            h: 100
        }
    );
    assert_eq!(
        r("pct:10,50,20,50/max/0/default.jpg"),
        Rect {
            x: 100,
            y: 300,
            w: 200,
            h: 300
        }
    );
    assert_eq!(
        r("pct:0,0,0.01,100/max/0/default.jpg"),
        Rect {
            x: 0,
            y: 0,
            w: 1,
            h: 600
        }
    );
}

#[test]
fn region_errors() {
    assert!(matches!(
        plan("1000,0,10,10/max/0/default.jpg", 1000, 600),
        Err(VariantError::Invalid(_))
    ));
    assert!(matches!(
        plan("0,0,0,10/max/0/default.jpg", 1000, 600),
        Err(VariantError::Invalid(_))
    ));
    assert!(matches!(
        plan("pct:100,0,10,10/max/0/default.jpg", 1000, 600),
        Err(VariantError::Invalid(_))
    ));
}

#[test]
fn sizes() {
    assert_eq!(size_of("full/max/0/default.jpg", 1000, 600), (1000, 600));
    assert_eq!(size_of("full/500,/0/default.jpg", 1000, 600), (500, 300));
    assert_eq!(size_of("full/,300/0/default.jpg", 1000, 600), (500, 300));
    assert_eq!(size_of("full/pct:50/0/default.jpg", 1000, 600), (500, 300));
    assert_eq!(size_of("full/200,200/0/default.jpg", 1000, 600), (200, 200));
    assert_eq!(
        size_of("full/!500,500/0/default.jpg", 1000, 600),
        (500, 300)
    );
    // One side of the box smaller than the region: no upscaling needed.
    assert_eq!(
        size_of("full/!2000,300/0/default.jpg", 1000, 600),
        (500, 300)
    );
    assert_eq!(
        size_of("full/^!2000,2000/0/default.jpg", 1000, 600),
        (2000, 1200)
    );
    assert_eq!(size_of("full/^1500,/0/default.jpg", 1000, 600), (1500, 900));
    assert_eq!(
        size_of("full/^pct:150/0/default.jpg", 1000, 600),
        (1500, 900)
    );
    // Extreme aspect ratios never round to zero pixels.
    assert_eq!(size_of("full/100,/0/default.jpg", 1000, 1), (100, 1));
    assert_eq!(size_of("full/pct:10/0/default.jpg", 1, 8000), (1, 800));
}

#[test]
fn upscaling_needs_caret() {
    for p in [
        "full/!2000,2000/0/default.jpg",
        "full/1001,/0/default.jpg",
        "full/,601/0/default.jpg",
        "full/pct:101/0/default.jpg",
        "full/1000,601/0/default.jpg",
    ] {
        assert!(
            matches!(plan(p, 1000, 600), Err(VariantError::Invalid(_))),
            "{p}"
        );
    }
}

#[test]
fn max_respects_limits() {
    // 36 MP source, 4 MP limit: max scales down to fit the area.
    let (w, h) = size_of("full/max/0/default.jpg", 7360, 4912);
    assert!((w as u64) * (h as u64) <= LIMITS.max_area);
    assert!((2440..=2450).contains(&w), "{w}x{h}");
    // ^max scales a small image up to the limits.
    let (w, h) = size_of("full/^max/0/default.jpg", 100, 100);
    assert_eq!((w, h), (2000, 2000));
    // An explicit size over the limits is refused.
    assert!(matches!(
        plan("full/^5000,/0/default.jpg", 1000, 600),
        Err(VariantError::Invalid(_))
    ));
}

#[test]
fn rotated_output_size() {
    let p = plan("full/100,50/90/default.png", 1000, 600).unwrap();
    assert_eq!(p.output_size(), (50, 100));
    let p = plan("full/100,50/45/default.png", 1000, 600).unwrap();
    assert_eq!(p.output_size(), (107, 107));
    let p = plan("full/100,50/!180/default.png", 1000, 600).unwrap();
    assert_eq!(p.output_size(), (100, 50));
}
