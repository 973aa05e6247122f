use super::*;
use crate::render::{self, Deadline, EncodeSettings};

/// Probes, renders the thumbnail and computes, all on the calling thread, from the
/// complete source `bytes` (the server goes through [`super::job`]).
fn compute_from(
    bytes: &[u8],
    limits: &Limits,
    encode: &EncodeSettings,
    deadline: &Deadline,
    components: Components,
) -> Result<Lqip, RenderError> {
    let probe = render::probe(bytes)?;
    within(&probe, limits)?;
    let thumbnail = render::render(bytes, &thumbnail_variant(), limits, encode, deadline)?;
    from_thumbnail(&probe, bytes.len() as u64, &thumbnail.bytes, components)
}

/// A `w`×`h` PNG, opaque, left half black, right half white.
fn halves(w: u32, h: u32) -> Vec<u8> {
    let mut px = Vec::new();
    for _ in 0..h {
        for x in 0..w {
            px.push(if x < w / 2 { 0 } else { 255 });
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(&px).unwrap();
    out
}

fn limits() -> Limits {
    crate::config::Settings::for_dir(".").limits
}

#[test]
fn a_grey_source_gives_rgba_hashes_and_a_small_placeholder() {
    let bytes = halves(300, 150);
    let info = compute_from(
        &bytes,
        &limits(),
        &EncodeSettings::default(),
        &Deadline::NONE,
        Components::DEFAULT,
    )
    .unwrap();
    assert_eq!((info.width, info.height, info.format), (300, 150, "png"));
    assert_eq!(info.size, bytes.len() as u64);
    assert!(!info.alpha.alpha && !info.alpha.transparent);
    // Half black, half white: the mean is mid-grey, the dominant one of the two.
    assert!(
        (info.average.R as i32 - 128).abs() <= 3,
        "{:?}",
        info.average
    );
    assert!(matches!(info.dominant.R, 0 | 255), "{:?}", info.dominant);
    let th = base64::engine::general_purpose::STANDARD
        .decode(&info.thumbhash)
        .unwrap();
    let (w, h, _) = thumbhash::thumb_hash_to_rgba(&th).unwrap();
    assert!(w > h, "{w}×{h}");
    assert!(info.placeholder.starts_with("data:image/webp;base64,"));
}

#[test]
fn sources_above_the_pixel_limit_are_refused_before_decoding() {
    let mut limits = limits();
    limits.max_source_pixels = 100;
    let err = compute_from(
        &halves(20, 10),
        &limits,
        &EncodeSettings::default(),
        &Deadline::NONE,
        Components::DEFAULT,
    )
    .unwrap_err();
    assert!(matches!(err, RenderError::TooLarge(_)), "{err}");
}
