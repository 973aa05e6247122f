//! Metadata attacks, generated here: zlib bombs in PNG `iCCP` and `zTXt`, EXIF IFD loops
//! and overflowing counts, frame-count claims, a long animation (streamed), thousands of
//! ICC chunks and progressive JPEG scan bombs. Each must end in a 4xx or a clean re-encode, with the memory it took and,
//! for the scan bomb, the work it did bounded: peak memory is read from the kernel
//! (`VmHWM`, reset before each attack), scans are counted by libjpeg-turbo's own limit.
//! The tests of this binary take turns (one lock), so that each peak is its own.

#[path = "attacks/build.rs"]
mod build;

use build::{deflate_bomb, jpeg_with_segments, png_with_chunks, progressive_bomb, segment};
use std::sync::Mutex;
use vignette::testing::dialect::{Config, parse};
use vignette::testing::render::{Deadline, EncodeSettings, Limits, RenderError, Rendered, render};
use vignette::testing::variant::{PlanLimits, Variant};

/// The defaults of `vignette --help`.
const LIMITS: Limits = Limits {
    max_source_bytes: 64 << 20,
    max_source_pixels: 50_000_000,
    max_animation_frames: 500,
    max_animation_pixels: 100_000_000,
    plan: PlanLimits {
        max_width: 16_383,
        max_height: 16_383,
        max_area: 16_777_216,
    },
};

/// One attack at a time: the peak memory of the process is the attack's.
static TURN: Mutex<()> = Mutex::new(());

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .expect("field");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Renders `bytes` as imgproxy's `options` ask, and reports the result with how far the
/// resident memory rose above where it stood when the render started, in MiB.
fn attack(bytes: &[u8], options: &str) -> (Result<Rendered, RenderError>, u64) {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let variant = variant(options);
    // Writing 5 to clear_refs resets the high-water mark to the current resident size.
    std::fs::write("/proc/self/clear_refs", "5").expect("resettable peak");
    let before = status_kib("VmRSS:");
    let result = render(
        bytes,
        &variant,
        &LIMITS,
        &EncodeSettings::default(),
        &Deadline::NONE,
    );
    let rise = status_kib("VmHWM:").saturating_sub(before);
    (result, rise >> 10)
}

fn variant(options: &str) -> Variant {
    parse(
        &format!("/x/{options}/plain/local:///a"),
        &Config::default(),
        0,
    )
    .expect("valid options")
    .variant
}

/// A 64x48 RGB PNG.
fn small_png() -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, 64, 48);
    e.set_color(png::ColorType::Rgb);
    let mut w = e.write_header().unwrap();
    w.write_image_data(&[200; 64 * 48 * 3]).unwrap();
    w.finish().unwrap();
    out
}

#[test]
fn png_icc_bomb_is_dropped_before_it_inflates() {
    // 512 MiB of zeros in 0.5 MB: an ICC profile no image needs.
    let mut iccp = b"icc\0\0".to_vec();
    iccp.extend(deflate_bomb(512 << 20));
    let png = png_with_chunks(&small_png(), &[(*b"iCCP", iccp)]);
    let (result, mib) = attack(&png, "w:32/f:png");
    let out = result.expect("rendered as sRGB");
    assert_eq!((out.width, out.height), (32, 24));
    assert!(mib < 32, "{mib} MiB");
}

#[test]
fn png_text_bomb_is_never_inflated() {
    let mut ztxt = b"Comment\0\0".to_vec();
    ztxt.extend(deflate_bomb(1 << 30));
    let png = png_with_chunks(&small_png(), &[(*b"zTXt", ztxt)]);
    let (result, mib) = attack(&png, "w:32/f:png/sm:0");
    assert_eq!(result.expect("rendered").width, 32);
    assert!(mib < 32, "{mib} MiB");
}

#[test]
fn thousands_of_icc_chunks() {
    // PNG: 5000 iCCP chunks (the format allows one).
    let profile = moxcms::ColorProfile::new_srgb().encode().unwrap();
    let mut iccp = b"icc\0\0".to_vec();
    iccp.extend(miniz_oxide::deflate::compress_to_vec_zlib(&profile, 6));
    let chunks = vec![(*b"iCCP", iccp); 5000];
    let png = png_with_chunks(&small_png(), &chunks);
    let (result, mib) = attack(&png, "w:32/f:png/scp:0");
    assert_eq!(result.expect("rendered").width, 32);
    assert!(mib < 32, "{mib} MiB");

    // JPEG: 20 000 APP2 chunks all claiming to be part 1 of 255, then 255 chunks of 64 KB
    // (16 MB: above the 4 MiB a profile may have). Both are dropped: sRGB is assumed.
    let mut tiny = b"ICC_PROFILE\0\x01\xff".to_vec();
    tiny.extend_from_slice(&profile[..64]);
    let mut segments = vec![segment(0xE2, &tiny); 20_000];
    for seq in 1..=255u8 {
        let mut big = b"ICC_PROFILE\0".to_vec();
        big.extend_from_slice(&[seq, 255]);
        big.resize(0xFFFF - 2, seq);
        segments.push(segment(0xE2, &big));
    }
    let jpeg = jpeg_with_segments(&segments);
    let (result, mib) = attack(&jpeg, "w:32/f:jpg/scp:0");
    assert_eq!(result.expect("rendered").width, 32);
    // libjpeg-turbo keeps the APP2 segments it reads (17 MB here), bounded by the
    // source's size; nothing else may add to them.
    assert!(mib < 17 + 32, "{mib} MiB");
}

/// A little-endian TIFF block whose IFD0 is given by its entries and next-IFD offset.
fn tiff(entries: &[(u16, u16, u32, u32)], next: u32, tail: &[u8]) -> Vec<u8> {
    let mut t = b"II*\0".to_vec();
    t.extend(8u32.to_le_bytes());
    t.extend((entries.len() as u16).to_le_bytes());
    for &(tag, kind, count, value) in entries {
        t.extend(tag.to_le_bytes());
        t.extend(kind.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(value.to_le_bytes());
    }
    t.extend(next.to_le_bytes());
    t.extend_from_slice(tail);
    t
}

#[test]
fn exif_loops_and_overflowing_counts() {
    let (ascii, short, long) = (2, 3, 4);
    let blocks = [
        // IFD0 is its own next IFD, and its EXIF sub-IFD (0x8769) points back at it.
        tiff(&[(0x0112, short, 1, 6), (0x8769, long, 1, 8)], 8, &[]),
        // Counts that overflow: an artist of 4 G characters, a copyright past the end.
        tiff(
            &[
                (0x0112, short, u32::MAX, 6),
                (0x013B, ascii, u32::MAX, 26),
                (0x8298, ascii, 64, u32::MAX - 8),
            ],
            u32::MAX,
            &[],
        ),
        // 65 535 entries claimed, three present.
        {
            let mut t = tiff(&[(0x0112, short, 1, 6), (0x013B, ascii, 3, 0x6D65)], 0, &[]);
            t[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
            t
        },
    ];
    for (i, block) in blocks.iter().enumerate() {
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(block);
        let jpeg = jpeg_with_segments(&[segment(0xE1, &app1)]);
        for options in ["w:32/f:jpg/sm:0", "w:32/f:png/kcr:1", "w:32/f:webp"] {
            let (result, mib) = attack(&jpeg, options);
            let out = result.unwrap_or_else(|e| panic!("block {i}, {options}: {e}"));
            // Orientation 6 turns the 64x48 source: 32 wide means it was read.
            assert_eq!((out.width, out.height), (32, 43), "block {i}, {options}");
            assert!(mib < 32, "{mib} MiB");
        }
    }
}

#[test]
fn exif_entry_cut_after_its_type() {
    // Found by fuzzing (`tests/fixtures/fuzz/exif/`): keeping this block made the render
    // panic while resetting an orientation whose value lay past the end.
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(b"MM\0*\0\0\0\x08\0\x03\x01\x12\0\x03\0");
    let jpeg = jpeg_with_segments(&[segment(0xE1, &app1)]);
    for options in ["w:32/f:jpg/sm:0", "w:32/f:png/sm:0"] {
        let (result, _) = attack(&jpeg, options);
        assert_eq!(result.expect("rendered").height, 24, "{options}");
    }
}

#[test]
fn frame_count_claims_cost_one_frame() {
    // An APNG claiming 2^31 - 1 frames, with one.
    let mut actl = (u32::MAX >> 1).to_be_bytes().to_vec();
    actl.extend(0u32.to_be_bytes());
    let png = png_with_chunks(&small_png(), &[(*b"acTL", actl)]);
    let (result, _) = attack(&png, "w:32/f:png");
    assert_eq!(result.expect("first frame").width, 32);

    // An animated WebP of 100 000 frames: the first is real, the others empty shells.
    let webp = build::webp_animation(100_000);
    let (result, mib) = attack(&webp, "w:32/f:png");
    assert_eq!(result.expect("first frame").width, 32);
    assert!(mib < 32, "{mib} MiB");
}

#[test]
fn an_animation_is_streamed_not_decoded_whole() {
    // 120 frames of 480x480: 110 MB if every frame were decoded at once. Rendered into an
    // animated WebP, one frame (and the encoder's few canvases) is alive at a time.
    let (side, frames) = (480u16, 120usize);
    let mut gif = Vec::new();
    {
        let palette: Vec<u8> = (0..=255u8).flat_map(|v| [v, 255 - v, v / 2]).collect();
        let mut e = ::gif::Encoder::new(&mut gif, side, side, &palette).unwrap();
        for i in 0..frames {
            let px: Vec<u8> = (0..side as usize * side as usize)
                .map(|p| ((p / 97 + i * 7) % 256) as u8)
                .collect();
            e.write_frame(&::gif::Frame::from_indexed_pixels(side, side, px, None))
                .unwrap();
        }
    }
    let (result, mib) = attack(&gif, "w:100/f:webp");
    let out = result.expect("animated");
    assert_eq!((out.width, out.height), (100, 100));
    let frames_out = out.bytes.windows(4).filter(|w| w == b"ANMF").count();
    assert_eq!(frames_out, frames);
    assert!(mib < 40, "{mib} MiB");
}

#[test]
fn progressive_scan_bombs_stop_at_a_scan_limit_set_by_the_frame_size() {
    // Every scan is a pass over the blocks of its components, empty or not: the scans
    // allowed shrink as the frame grows (32 million block visits, between 32 and 500
    // scans), so that no bomb holds a worker for seconds.
    for (w, h, components, allowed) in [
        (2048, 2048, 1, 488),
        (7000, 7000, 1, 41),
        (3000, 3000, 4, 56),
    ] {
        let bomb = progressive_bomb(w, h, components, 10_000);
        let (result, _) = attack(&bomb, "w:400/f:jpg");
        let what = format!("{w}x{h}x{components}");
        match result {
            Err(e @ RenderError::Corrupt(_)) => {
                let cut = format!("more than {allowed} scans");
                assert!(e.to_string().contains(&cut), "{what}: {e}");
                assert_eq!(e.status(), 422, "{what}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}
