//! The fixtures of `tests/animation.rs`, generated: 6-frame GIF (the `gif` crate), WebP
//! (the container written chunk by chunk around libwebp's lossless still bitstreams, so
//! that every duration, offset and flag is the test's own) and APNG (the `png` crate), a
//! GIF whose disposal matters, and a long GIF for the bounds.

use super::{COLOURS, DELAYS_MS, H, PLAYS, W};
use std::path::Path;

pub(crate) fn six_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette: Vec<u8> = COLOURS.concat();
        let mut e = gif::Encoder::new(&mut out, W as u16, H as u16, &palette).unwrap();
        e.set_repeat(gif::Repeat::Finite((PLAYS - 1) as u16))
            .unwrap();
        for (i, ms) in DELAYS_MS.iter().enumerate() {
            let px = vec![i as u8; (W * H) as usize];
            let mut f = gif::Frame::from_indexed_pixels(W as u16, H as u16, px, None);
            f.delay = (ms / 10) as u16;
            e.write_frame(&f).unwrap();
        }
    }
    out
}

/// A RIFF chunk, padded to an even size.
fn chunk(fourcc: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut c = fourcc.to_vec();
    c.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    c.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        c.push(0);
    }
    c
}

fn u24(v: u32) -> [u8; 3] {
    let b = v.to_le_bytes();
    [b[0], b[1], b[2]]
}

/// An animated WebP whose frames are lossless stills of `frames` (x, y, w, h, RGBA,
/// duration, dispose to background, blend), on a `w`×`h` canvas.
type WebpFrame = (u32, u32, u32, u32, Vec<u8>, u32, bool, bool);
fn animated_webp(w: u32, h: u32, plays: u16, frames: &[WebpFrame]) -> Vec<u8> {
    let mut body = b"WEBP".to_vec();
    let mut vp8x = vec![0x02 | 0x10, 0, 0, 0];
    vp8x.extend_from_slice(&u24(w - 1));
    vp8x.extend_from_slice(&u24(h - 1));
    body.extend(chunk(b"VP8X", &vp8x));
    let mut anim = vec![0, 0, 0, 0];
    anim.extend_from_slice(&plays.to_le_bytes());
    body.extend(chunk(b"ANIM", &anim));
    for (x, y, fw, fh, rgba, ms, dispose, blend) in frames {
        let still = webp::Encoder::from_rgba(rgba, *fw, *fh)
            .encode_lossless()
            .to_vec();
        let mut p = Vec::new();
        for v in [x / 2, y / 2, fw - 1, fh - 1, *ms] {
            p.extend_from_slice(&u24(v));
        }
        p.push(u8::from(!blend) << 1 | u8::from(*dispose));
        p.extend_from_slice(&still[12..]); // the VP8L chunk
        body.extend(chunk(b"ANMF", &p));
    }
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend(body);
    file
}

fn six_webp() -> Vec<u8> {
    let frames: Vec<WebpFrame> = COLOURS
        .iter()
        .zip(DELAYS_MS)
        .map(|(c, ms)| {
            let rgba = [c[0], c[1], c[2], 255].repeat((W * H) as usize);
            (0, 0, W, H, rgba, ms, false, false)
        })
        .collect();
    animated_webp(W, H, PLAYS as u16, &frames)
}

fn six_apng() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, W, H);
        e.set_color(png::ColorType::Rgb);
        e.set_animated(6, PLAYS).unwrap();
        let mut w = e.write_header().unwrap();
        for (c, ms) in COLOURS.iter().zip(DELAYS_MS) {
            w.set_frame_delay(ms as u16, 1000).unwrap();
            w.write_image_data(&c.repeat((W * H) as usize)).unwrap();
        }
        w.finish().unwrap();
    }
    out
}

/// A GIF where disposal matters: a red screen, then a blue 10×10 square at (0, 0)
/// disposed to background, then a green 8×8 square at (52, 32) kept.
fn disposal_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [255, 0, 0, 0, 0, 255, 0, 255, 0];
        let mut e = gif::Encoder::new(&mut out, W as u16, H as u16, &palette).unwrap();
        e.set_repeat(gif::Repeat::Infinite).unwrap();
        let mut frame = |x: u16, y: u16, w: u16, h: u16, index: u8, dispose| {
            let px = vec![index; w as usize * h as usize];
            let mut f = gif::Frame::from_indexed_pixels(w, h, px, None);
            (f.left, f.top, f.dispose, f.delay) = (x, y, dispose, 10);
            e.write_frame(&f).unwrap();
        };
        frame(0, 0, W as u16, H as u16, 0, gif::DisposalMethod::Keep);
        frame(0, 0, 10, 10, 1, gif::DisposalMethod::Background);
        frame(52, 32, 8, 8, 2, gif::DisposalMethod::Keep);
    }
    out
}

/// `frames` frames of 100×100, one colour each: 1 MB of GIF whose full decode is
/// 100 megapixels.
pub(crate) fn long_gif(frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = gif::Encoder::new(&mut out, 100, 100, &[255, 0, 0, 0, 0, 255]).unwrap();
        e.set_repeat(gif::Repeat::Infinite).unwrap();
        for i in 0..frames {
            let f = gif::Frame::from_indexed_pixels(100, 100, vec![(i % 2) as u8; 10_000], None);
            e.write_frame(&f).unwrap();
        }
    }
    out
}

pub(crate) fn write_fixtures(dir: &Path) {
    std::fs::write(dir.join("six.gif"), six_gif()).unwrap();
    std::fs::write(dir.join("six.webp"), six_webp()).unwrap();
    std::fs::write(dir.join("six.png"), six_apng()).unwrap();
    std::fs::write(dir.join("disposal.gif"), disposal_gif()).unwrap();
    let mut still = Vec::new();
    {
        let mut e = png::Encoder::new(&mut still, W, H);
        e.set_color(png::ColorType::Rgb);
        let mut w = e.write_header().unwrap();
        w.write_image_data(&[9; (W * H * 3) as usize]).unwrap();
        w.finish().unwrap();
    }
    std::fs::write(dir.join("still.png"), still).unwrap();
}
