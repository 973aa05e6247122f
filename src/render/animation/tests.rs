//! Compositing of GIF and APNG frames (disposal, blending) and the decision to animate.

use super::gif::GifFrames;
use super::png::PngFrames;
use super::*;
use crate::render::header;
use crate::render::raster::Layout;

fn frames_of(bytes: &[u8], format: SourceFormat) -> Vec<Frame> {
    let h = header::read(format, bytes).unwrap();
    let mut f = open(bytes, &h, u64::MAX).unwrap();
    let mut out = Vec::new();
    while let Some(frame) = f.next_frame().unwrap() {
        out.push(frame);
    }
    out
}

const RED: [u8; 4] = [255, 0, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];
const CLEAR: [u8; 4] = [0, 0, 0, 0];

/// A 4x1 screen: frame 1 paints it red (kept), frame 2 puts blue at x=1 and is disposed
/// to background, frame 3 puts blue at x=2 and is restored to previous, frame 4 is an
/// empty 1x1 at x=3 (transparent).
fn disposal_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [255, 0, 0, 0, 0, 255, 0, 0, 0];
        let mut e = ::gif::Encoder::new(&mut out, 4, 1, &palette).unwrap();
        let mut frame = |x: u16, w: u16, px: Vec<u8>, dispose, transparent| {
            let mut f = ::gif::Frame::from_indexed_pixels(w, 1, px, transparent);
            f.left = x;
            f.dispose = dispose;
            f.delay = 5;
            e.write_frame(&f).unwrap();
        };
        frame(0, 4, vec![0; 4], DisposalMethod::Keep, None);
        frame(1, 1, vec![1], DisposalMethod::Background, None);
        frame(2, 1, vec![1], DisposalMethod::Previous, None);
        frame(3, 1, vec![2], DisposalMethod::Keep, Some(2));
    }
    out
}

use ::gif::DisposalMethod;

fn pixels(r: &Raster) -> Vec<[u8; 4]> {
    r.data()
        .chunks_exact(4)
        .map(|p| [p[0], p[1], p[2], p[3]])
        .collect()
}

#[test]
fn gif_disposal_keep_background_previous() {
    let bytes = disposal_gif();
    let f = frames_of(&bytes, SourceFormat::Gif);
    assert_eq!(f.len(), 4);
    assert!(f.iter().all(|f| f.duration_ms == 50));
    assert_eq!(pixels(&f[0].raster), [RED, RED, RED, RED]);
    assert_eq!(pixels(&f[1].raster), [RED, BLUE, RED, RED]);
    // Frame 2 was cleared to transparent where it was drawn.
    assert_eq!(pixels(&f[2].raster), [RED, CLEAR, BLUE, RED]);
    // Frame 3 restored to the canvas before it; frame 4's pixel is transparent: nothing drawn.
    assert_eq!(pixels(&f[3].raster), [RED, CLEAR, RED, RED]);
    // A frame over the pixel limit is refused before its buffer exists.
    let h = header::read(SourceFormat::Gif, &bytes).unwrap();
    let mut tight = GifFrames::new(&bytes, &h, 3).unwrap();
    assert!(matches!(tight.next_frame(), Err(RenderError::TooLarge(_))));
}

/// A 2x1 APNG: frame 1 red everywhere (dispose none), frame 2 half-transparent blue at
/// x=1 blended over (dispose previous), frame 3 transparent at x=0 with source blend.
fn blend_apng() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = ::png::Encoder::new(&mut out, 2, 1);
        e.set_color(::png::ColorType::Rgba);
        e.set_animated(3, 0).unwrap();
        let mut w = e.write_header().unwrap();
        w.set_frame_delay(1, 20).unwrap();
        w.write_image_data(&[RED, RED].concat()).unwrap();
        w.set_frame_dimension(1, 1).unwrap();
        w.set_frame_position(1, 0).unwrap();
        w.set_blend_op(::png::BlendOp::Over).unwrap();
        w.set_dispose_op(::png::DisposeOp::Previous).unwrap();
        w.write_image_data(&[0, 0, 255, 128]).unwrap();
        w.set_frame_position(0, 0).unwrap();
        w.set_blend_op(::png::BlendOp::Source).unwrap();
        w.set_dispose_op(::png::DisposeOp::None).unwrap();
        w.write_image_data(&CLEAR).unwrap();
        w.finish().unwrap();
    }
    out
}

#[test]
fn apng_blend_and_disposal() {
    let bytes = blend_apng();
    let h = header::read(SourceFormat::Png, &bytes).unwrap();
    assert_eq!((h.frames, h.plays), (3, 0));
    let f = frames_of(&bytes, SourceFormat::Png);
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].duration_ms, 50);
    assert_eq!(pixels(&f[0].raster), [RED, RED]);
    // Blue at alpha 128 over red: a purple, opaque.
    let p = pixels(&f[1].raster)[1];
    assert_eq!(p[3], 255);
    assert!(p[0].abs_diff(127) <= 2 && p[2].abs_diff(128) <= 2, "{p:?}");
    // Frame 2 restored to red; frame 3 replaces x=0 with transparency.
    assert_eq!(pixels(&f[2].raster), [CLEAR, RED]);
    let _ = PngFrames::new(&bytes, &h).unwrap();
}

#[test]
fn which_renders_animate() {
    let limits = crate::config::Settings::for_dir("unused").limits;
    let bytes = disposal_gif();
    let h = header::read(SourceFormat::Gif, &bytes).unwrap();
    let v = |f: OutputFormat, a: Animation| {
        let mut v = Variant::new(f);
        v.animation = a;
        animated_format(&h, &v, &limits)
    };
    use Animation::*;
    use OutputFormat::*;
    assert_eq!(v(AsSource, InFormat), Some(Format::Gif));
    assert_eq!(v(Is(Format::Webp), InFormat), Some(Format::Webp));
    assert_eq!(v(Is(Format::Png), InFormat), Some(Format::Png));
    assert_eq!(v(Is(Format::Png), NotPng), None);
    assert_eq!(v(Is(Format::Gif), NotPng), Some(Format::Gif));
    assert_eq!(v(Is(Format::Jpeg), InFormat), None);
    assert_eq!(
        v(Is(Format::Avif), As(Is(Format::Webp))),
        Some(Format::Webp)
    );
    assert_eq!(v(Is(Format::Avif), As(AsSource)), Some(Format::Gif));
    // Over a bound: the first frame.
    let tight = Limits {
        max_animation_frames: 3,
        ..limits
    };
    let mut webp = Variant::new(Is(Format::Webp));
    assert_eq!(animated_format(&h, &webp, &tight), None);
    let tight = Limits {
        max_animation_pixels: 15,
        ..limits
    };
    assert_eq!(animated_format(&h, &webp, &tight), None);
    webp.trim = Some(crate::variant::Trim {
        threshold: 10.0,
        colour: None,
        equal_horizontal: false,
        equal_vertical: false,
    });
    assert_eq!(
        animated_format(&h, &webp, &limits),
        None,
        "trim: first frame"
    );
}

#[test]
fn over_blends_straight_alpha() {
    let mut d = [0, 0, 0, 0];
    over(&mut d, &[200, 100, 50, 128], 128);
    assert_eq!(
        d,
        [200, 100, 50, 128],
        "over transparent: the source itself"
    );
    let mut d = [0, 0, 0, 255];
    over(&mut d, &[255, 255, 255, 51], 51);
    assert_eq!(d[3], 255);
    assert!(d[0].abs_diff(51) <= 1, "{d:?}");
}

#[test]
fn frames_off_the_canvas_are_clipped() {
    // GIF frames may hang over the screen's edge or lie wholly outside it.
    let image = Raster::filled(3, 2, Layout::Rgba, &BLUE);
    for (x, y) in [
        (0, 0),
        (3, 1),
        (4, 0),
        (0, 5),
        (9, 9),
        (u32::from(u16::MAX), 0),
    ] {
        let mut canvas = Raster::filled(4, 2, Layout::Rgba, &RED);
        paint(&mut canvas, &image, (x, y), true);
        clear(&mut canvas, (x, y, 3, 2));
        if x >= 4 || y >= 2 {
            assert!(pixels(&canvas).iter().all(|p| *p == RED), "({x}, {y})");
        }
    }
    let mut canvas = Raster::filled(4, 2, Layout::Rgba, &RED);
    paint(&mut canvas, &image, (3, 1), false);
    assert_eq!(pixels(&canvas)[7], BLUE);
    assert_eq!(pixels(&canvas)[3], RED);
}
