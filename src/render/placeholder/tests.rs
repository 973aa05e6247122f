//! Every format decoded by a real decoder (libjpeg-turbo, png, libwebp, libavif with
//! libaom, gif) at several sizes and colours: exact size, every pixel near the colour.

use super::{MAX_SIDE, NEUTRAL_GREY, Placeholders};
use crate::variant::Format;

/// Sizes from one pixel to full HD, odd ones on both sides of tile and MCU boundaries.
const SIZES: [(u32, u32); 6] = [(1, 1), (7, 3), (16, 16), (257, 129), (513, 2), (1920, 1080)];
const COLOURS: [[u8; 3]; 6] = [
    NEUTRAL_GREY,
    [0, 0, 0],
    [255, 255, 255],
    [200, 30, 30],
    [12, 200, 240],
    [1, 254, 77],
];

/// Decodes `bytes` of `format` to (width, height, RGB pixels).
pub(super) fn decode(format: Format, bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    match format {
        Format::Jpeg => {
            let img = turbojpeg::decompress(bytes, turbojpeg::PixelFormat::RGB).unwrap();
            assert_eq!(img.pitch, img.width * 3);
            (img.width as u32, img.height as u32, img.pixels)
        }
        Format::Png => {
            let mut d = png::Decoder::new(std::io::Cursor::new(bytes));
            d.set_transformations(png::Transformations::EXPAND);
            let mut r = d.read_info().unwrap();
            let mut px = vec![0; r.output_buffer_size().unwrap()];
            let f = r.next_frame(&mut px).unwrap();
            assert_eq!(f.color_type, png::ColorType::Rgb);
            px.truncate(f.buffer_size());
            (f.width, f.height, px)
        }
        Format::Webp => {
            let img = webp::Decoder::new(bytes).decode().unwrap();
            assert!(!img.is_alpha());
            (img.width(), img.height(), img.to_vec())
        }
        Format::Avif => {
            let d = crate::render::libavif::decode(bytes, 1 << 28, MAX_SIDE, false).unwrap();
            assert!(!d.has_alpha);
            (d.width, d.height, d.pixels)
        }
        Format::Gif => {
            let mut o = gif::DecodeOptions::new();
            o.set_color_output(gif::ColorOutput::RGBA);
            o.set_memory_limit(gif::MemoryLimit::Unlimited);
            let mut d = o.read_info(bytes).unwrap();
            let (w, h) = (u32::from(d.width()), u32::from(d.height()));
            let f = d.read_next_frame().unwrap().unwrap();
            assert_eq!(
                (f.left, f.top, u32::from(f.width), u32::from(f.height)),
                (0, 0, w, h)
            );
            let rgb = f
                .buffer
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect();
            (w, h, rgb)
        }
    }
}

/// How far a decoded level may be from the requested one.
fn tolerance(format: Format) -> u8 {
    match format {
        // YCbCr at 8 bits cannot reach every RGB colour exactly.
        Format::Jpeg => 2,
        Format::Avif => 1,
        Format::Png | Format::Webp | Format::Gif => 0,
    }
}

fn check(p: &Placeholders, format: Format, (w, h): (u32, u32), rgb: [u8; 3]) {
    let bytes = p.image(format, w, h, rgb);
    let (dw, dh, px) = decode(format, &bytes);
    assert_eq!((dw, dh), (w, h), "{format:?} {w}x{h}");
    assert_eq!(px.len(), (w * h * 3) as usize);
    let want = if format == Format::Avif {
        NEUTRAL_GREY
    } else {
        rgb
    };
    let tol = tolerance(format);
    let far = px
        .chunks_exact(3)
        .position(|c| (0..3).any(|i| c[i].abs_diff(want[i]) > tol));
    if let Some(i) = far {
        panic!(
            "{format:?} {w}x{h} {rgb:?}: pixel {i} is {:?}",
            &px[i * 3..i * 3 + 3]
        );
    }
}

#[test]
fn every_format_decodes_to_the_size_and_colour() {
    let p = Placeholders::new().unwrap();
    for format in Format::ALL {
        for size in SIZES {
            for rgb in COLOURS {
                check(&p, format, size, rgb);
            }
        }
    }
}

#[test]
fn large_and_clamped_sizes_decode() {
    let p = Placeholders::new().unwrap();
    for format in Format::ALL {
        check(&p, format, (4096, 4096), [90, 60, 30]);
        check(&p, format, (MAX_SIDE, 17), [90, 60, 30]);
        let (w, h, _) = decode(format, &p.image(format, 40_000, 0, [9, 9, 9]));
        assert_eq!((w, h), (MAX_SIDE, 1), "{format:?}");
    }
}

#[test]
fn gif_clears_its_table_and_goes_on() {
    // 3000×3000 is past the ~8.4 Mpx one LZW table covers before its clear code.
    let p = Placeholders::new().unwrap();
    check(&p, Format::Gif, (3000, 3000), [3, 4, 5]);
}

#[test]
fn files_stay_small() {
    let p = Placeholders::new().unwrap();
    let len = |f, w, h| p.image(f, w, h, [10, 20, 30]).len();
    assert!(len(Format::Webp, 2000, 2000) < 40);
    for format in Format::ALL {
        assert!(len(format, 2000, 2000) < 32 * 1024, "{format:?}");
    }
}
