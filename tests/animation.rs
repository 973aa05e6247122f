//! Animated sources end to end, through the HTTP server: 6-frame GIF, WebP and APNG
//! fixtures (generated here: the GIF and APNG with their crates, the WebP container
//! written chunk by chunk around libwebp still bitstreams) come out as 6-frame animations
//! at the asked size with their timing and loop count; disposal is applied; negotiation
//! keeps animations animated; the bounds answer a 10 000-frame GIF with its first frame,
//! without decoding the rest.

mod common;
#[path = "animation/fixtures.rs"]
mod fixtures;

use common::start_with;
use fixtures::{long_gif, six_gif, write_fixtures};
use std::time::{Duration, Instant};

const W: u32 = 60;
const H: u32 = 40;
const COLOURS: [[u8; 3]; 6] = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 0],
    [0, 255, 255],
    [255, 0, 255],
];
/// Frame durations in milliseconds (GIF keeps hundredths of a second).
const DELAYS_MS: [u32; 6] = [100, 200, 300, 400, 500, 600];
/// Plays of every fixture (GIF: a NETSCAPE loop count of 2).
const PLAYS: u32 = 3;

/// A decoded animation: size, frames (RGBA), durations in ms, plays (0 for ever).
#[derive(Debug)]
struct Anim {
    width: u32,
    height: u32,
    frames: Vec<Vec<u8>>,
    durations: Vec<u32>,
    plays: u32,
}

fn decode_webp(bytes: &[u8]) -> Anim {
    assert_eq!(&bytes[8..12], b"WEBP");
    let anim = webp::AnimDecoder::new(bytes)
        .decode()
        .expect("an animated WebP");
    assert!(anim.has_animation(), "not an animation");
    let mut last = 0;
    let (mut frames, mut durations, mut size) = (Vec::new(), Vec::new(), (0, 0));
    for f in anim.get_frames(0..anim.len()).unwrap() {
        size = (f.width(), f.height());
        frames.push(f.get_image().to_vec());
        durations.push((f.get_time_ms() - last) as u32);
        last = f.get_time_ms();
    }
    Anim {
        width: size.0,
        height: size.1,
        frames,
        durations,
        plays: anim.loop_count,
    }
}

fn decode_gif(bytes: &[u8]) -> Anim {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut d = options.read_info(bytes).expect("a GIF");
    let (width, height) = (d.width() as u32, d.height() as u32);
    let (mut frames, mut durations) = (Vec::new(), Vec::new());
    while let Some(f) = d.read_next_frame().unwrap() {
        assert_eq!(
            (f.width as u32, f.height as u32),
            (width, height),
            "whole frames"
        );
        frames.push(f.buffer.to_vec());
        durations.push(f.delay as u32 * 10);
    }
    let plays = match d.repeat() {
        gif::Repeat::Infinite => 0,
        gif::Repeat::Finite(0) => 1,
        gif::Repeat::Finite(n) => n as u32 + 1,
    };
    Anim {
        width,
        height,
        frames,
        durations,
        plays,
    }
}

fn decode_apng(bytes: &[u8]) -> Anim {
    let mut d = png::Decoder::new(std::io::Cursor::new(bytes));
    d.set_transformations(png::Transformations::ALPHA);
    let mut r = d.read_info().expect("a PNG");
    let actl = *r.info().animation_control().expect("an APNG (acTL)");
    let (width, height) = r.info().size();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let (mut frames, mut durations) = (Vec::new(), Vec::new());
    for _ in 0..actl.num_frames {
        let out = r.next_frame(&mut buf).unwrap();
        assert_eq!((out.width, out.height), (width, height), "whole frames");
        let fc = *r.info().frame_control().unwrap();
        frames.push(buf[..out.buffer_size()].to_vec());
        durations.push(fc.delay_num as u32 * 1000 / fc.delay_den.max(1) as u32);
    }
    Anim {
        width,
        height,
        frames,
        durations,
        plays: actl.num_plays,
    }
}

/// Asserts the six frames of the fixtures at `w`×`h`: colours (roughly, lossy and
/// palette encoders allowed), timing and loop count.
fn assert_six(anim: &Anim, (w, h): (u32, u32)) {
    assert_eq!((anim.width, anim.height), (w, h));
    assert_eq!(anim.frames.len(), 6);
    assert_eq!(anim.durations, DELAYS_MS);
    assert_eq!(anim.plays, PLAYS);
    for (frame, c) in anim.frames.iter().zip(COLOURS) {
        let mid = ((h / 2 * w + w / 2) * 4) as usize;
        let px = &frame[mid..mid + 4];
        for k in 0..3 {
            assert!(px[k].abs_diff(c[k]) <= 12, "{px:?} is not {c:?}");
        }
        assert_eq!(px[3], 255);
    }
}

async fn get(s: &common::Server, path: &str, accept: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut req = s.client.get(format!("{}{path}", s.base));
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_frames_in_every_animated_format() {
    let s = start_with(write_fixtures, |_| {}).await;
    for source in ["six.gif", "six.webp", "six.png"] {
        let path = |f: &str| format!("/_/w:30/f:{f}/plain/local:///{source}");
        let (status, ct, body) = get(&s, &path("webp"), None).await;
        assert_eq!((status, ct.as_str()), (200, "image/webp"), "{source}");
        assert_six(&decode_webp(&body), (30, 20));
        let (status, ct, body) = get(&s, &path("gif"), None).await;
        assert_eq!((status, ct.as_str()), (200, "image/gif"), "{source}");
        assert_six(&decode_gif(&body), (30, 20));
        let (status, ct, body) = get(&s, &path("png"), None).await;
        assert_eq!((status, ct.as_str()), (200, "image/png"), "{source}");
        assert_six(&decode_apng(&body), (30, 20));
    }
    // The request's quality applies to every frame.
    let (_, _, low) = get(&s, "/_/w:30/q:5/f:webp/plain/local:///six.png", None).await;
    let (_, _, high) = get(&s, "/_/w:30/q:100/f:webp/plain/local:///six.png", None).await;
    assert_eq!(decode_webp(&low).frames.len(), 6);
    assert!(low.len() < high.len(), "{} vs {}", low.len(), high.len());
    // Geometry applies to every frame as to a still: a crop, a rotation.
    let (_, _, still) = get(&s, "/_/c:20:10/rot:90/f:png/plain/local:///still.png", None).await;
    let (_, _, body) = get(&s, "/_/c:20:10/rot:90/f:webp/plain/local:///six.gif", None).await;
    let anim = decode_webp(&body);
    let still = png::Decoder::new(std::io::Cursor::new(still))
        .read_info()
        .unwrap();
    assert_eq!((anim.width, anim.height), still.info().size());
    assert_eq!((anim.width, anim.height, anim.frames.len()), (20, 10, 6));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disposal_is_applied_before_the_frames_are_scaled() {
    let s = start_with(write_fixtures, |_| {}).await;
    let (status, _, body) = get(&s, "/_/f:webp/plain/local:///disposal.gif", None).await;
    assert_eq!(status, 200);
    let anim = decode_webp(&body);
    assert_eq!((anim.width, anim.height, anim.frames.len()), (W, H, 3));
    assert_eq!(anim.plays, 0);
    let at = |f: usize, x: u32, y: u32| {
        let i = ((y * W + x) * 4) as usize;
        anim.frames[f][i..i + 4].to_vec()
    };
    assert!(
        at(1, 5, 5)[2] > 200 && at(1, 5, 5)[0] < 50,
        "blue square shown"
    );
    // Disposed to background: the square is transparent in frame 3, the rest red, and the
    // new green square drawn.
    assert_eq!(at(2, 5, 5)[3], 0, "{:?}", at(2, 5, 5));
    assert!(at(2, 30, 20)[0] > 200 && at(2, 30, 20)[3] == 255);
    assert!(
        at(2, 56, 36)[1] > 200 && at(2, 56, 36)[0] < 60,
        "{:?}",
        at(2, 56, 36)
    );
    s.stop().await;
}

/// Whether `bytes` is an animation (WebP `ANIM`, GIF with two image blocks, APNG `acTL`).
fn animated(bytes: &[u8]) -> bool {
    match &bytes[..4] {
        b"RIFF" => bytes.windows(4).any(|w| w == b"ANIM"),
        b"GIF8" => decode_gif(bytes).frames.len() > 1,
        b"\x89PNG" => bytes.windows(4).any(|w| w == b"acTL"),
        _ => false,
    }
}

const CHROMIUM: &str = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiation_never_turns_an_animation_into_a_still() {
    let s = start_with(write_fixtures, |_| {}).await;
    // AVIF accepted and preferred, but the source is animated: animated WebP.
    let (status, ct, body) = get(&s, "/_/w:30/plain/local:///six.gif", Some(CHROMIUM)).await;
    assert_eq!((status, ct.as_str()), (200, "image/webp"));
    assert_six(&decode_webp(&body), (30, 20));
    // Only AVIF accepted: the source's own format, animated.
    let (_, ct, body) = get(&s, "/_/w:30/plain/local:///six.gif", Some("image/avif")).await;
    assert_eq!(ct, "image/gif");
    assert_six(&decode_gif(&body), (30, 20));
    // A still source negotiates as before.
    let (_, ct, _) = get(&s, "/_/w:30/plain/local:///disposal.gif", Some(CHROMIUM)).await;
    assert_eq!(ct, "image/webp", "disposal.gif is animated too");
    // Asked explicitly, a still format is the first frame.
    for (f, ct) in [("avif", "image/avif"), ("jpg", "image/jpeg")] {
        let path = format!("/_/w:30/f:{f}/plain/local:///six.gif");
        let (status, got, body) = get(&s, &path, Some(CHROMIUM)).await;
        assert_eq!((status, got.as_str()), (200, ct));
        assert!(!animated(&body));
    }
    // IIIF: gif and webp animate, png (like jpg) is the first frame.
    let (_, _, body) = get(&s, "/iiif/3/six.gif/full/30,/0/default.gif", None).await;
    assert_six(&decode_gif(&body), (30, 20));
    let (_, _, body) = get(&s, "/iiif/3/six.webp/full/30,/0/default.webp", None).await;
    assert_six(&decode_webp(&body), (30, 20));
    let (status, ct, body) = get(&s, "/iiif/3/six.gif/full/30,/0/default.png", None).await;
    assert_eq!((status, ct.as_str()), (200, "image/png"));
    assert!(!animated(&body));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_bounds_the_first_frame_fast() {
    let long = long_gif(10_000);
    // The render deadline is far below what decoding and encoding 10 000 frames takes
    // (100 megapixels): a 200 proves that only the first frame was decoded.
    let s = start_with(
        |dir| {
            std::fs::write(dir.join("long.gif"), &long).unwrap();
            write_fixtures(dir);
        },
        |settings| {
            settings.render_deadline = Duration::from_millis(1500);
            settings.limits.max_animation_pixels = 6 * 60 * 40 - 1;
        },
    )
    .await;
    let started = Instant::now();
    let (status, ct, body) = get(&s, "/_/w:50/f:webp/plain/local:///long.gif", None).await;
    assert_eq!((status, ct.as_str()), (200, "image/webp"));
    assert!(!animated(&body), "over 500 frames: the first frame");
    assert!(started.elapsed() < Duration::from_millis(1500));
    let (w, h) = image_size(&body);
    assert_eq!((w, h), (50, 50));
    // Over the pixel bound (6 × 60 × 40 > the limit): the first frame too.
    let (status, _, body) = get(&s, "/_/w:30/f:gif/plain/local:///six.gif", None).await;
    assert_eq!(status, 200);
    let still = decode_gif(&body);
    assert_eq!((still.width, still.height, still.frames.len()), (30, 20, 1));
    assert!(
        still.frames[0][..3]
            .iter()
            .zip(COLOURS[0])
            .all(|(a, b)| a.abs_diff(b) < 12)
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_animation_is_a_clear_422() {
    let gif = six_gif();
    let cut = gif[..gif.len() * 2 / 3].to_vec();
    let s = start_with(
        |dir| std::fs::write(dir.join("cut.gif"), &cut).unwrap(),
        |_| {},
    )
    .await;
    let resp = s.get("/_/w:30/f:webp/plain/local:///cut.gif").await;
    assert_eq!(resp.status().as_u16(), 422);
    assert_eq!(resp.text().await.unwrap().trim(), "corrupt image");
    s.stop().await;
}

/// The size of a still WebP.
fn image_size(bytes: &[u8]) -> (u32, u32) {
    let f = webp::BitstreamFeatures::new(bytes).expect("a WebP");
    (f.width(), f.height())
}
