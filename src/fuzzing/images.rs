//! The readers of image bytes that run before any limit is known to hold: the format
//! headers, the EXIF reader with the container walkers around it, and the DC-only JPEG
//! decoder against libjpeg-turbo.

use crate::render::decode;
use crate::render::exif::{self as tiff, ARTIST, COPYRIGHT, Tiff};
use crate::render::header::{self, HeaderError};
use crate::render::metadata::{self, Kept};
use crate::variant::Format;
use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat, ScalingFactor};

/// The format header readers are chosen by the format they read: the sniffed source
/// format, as a render would choose.
pub use crate::render::SourceFormat as Reader;

/// A header reader on arbitrary bytes: never a panic, an accepted header has pixels, and
/// every prefix either needs more data or already reads as the whole does. That last
/// property is what lets `info.json` answer from a prefix while renders read the whole
/// file: both must see the same image.
pub fn header(format: Reader, data: &[u8]) {
    let whole = header::read(format, data);
    if let Ok(h) = &whole {
        assert!(h.width > 0 && h.height > 0, "a header without pixels");
    }
    // Eight cuts spread over the input: enough for the fuzzer to steer any of them.
    for n in (1..8)
        .map(|k| data.len() * k / 8)
        .chain([data.len().saturating_sub(1)])
    {
        let part = header::read(format, &data[..n]);
        // An animation's frames are counted in the bytes there are: from a prefix, at
        // most the whole file's count (the render reads them from the whole file).
        let part = match (part, &whole) {
            (Ok(p), Ok(w)) if p.frames <= w.frames => Ok(header::Header {
                frames: w.frames,
                plays: w.plays,
                ..p
            }),
            (other, _) => other,
        };
        assert!(
            part == Err(HeaderError::NeedMoreData) || part == whole,
            "the first {n} bytes read as {part:?}, the whole as {whole:?}"
        );
    }
}

/// The EXIF (TIFF) reader and what is built on it, with `data` taken both as a TIFF block
/// and as a whole JPEG, PNG or WebP file: never a panic; resetting the orientation keeps
/// the block's size and reads back as 1; the copyright-only block keeps exactly the
/// artist and copyright; a block written into a JPEG or PNG is found there again.
pub fn exif(data: &[u8]) {
    for format in [Reader::Jpeg, Reader::Png, Reader::Webp] {
        if let Some(block) = metadata::exif_of(data, format) {
            assert!(
                Tiff::parse(&block).is_some(),
                "{format:?}: not a TIFF block"
            );
        }
    }
    let orientation = tiff::orientation(data);
    let Some(t) = Tiff::parse(data) else {
        assert_eq!(orientation, None);
        return;
    };
    let upright = metadata::upright(data.to_vec());
    assert_eq!(upright.len(), data.len());
    if t.orientation_value_at().is_some() {
        assert_eq!(tiff::orientation(&upright), Some(1));
    } else {
        assert!(
            upright == data,
            "a block without a SHORT orientation was changed"
        );
    }
    let fields = [ARTIST, COPYRIGHT].map(|tag| t.ascii(tag));
    match metadata::copyright_only(data) {
        Some(kept) => {
            let k = Tiff::parse(&kept).expect("the copyright-only block parses");
            assert_eq!([ARTIST, COPYRIGHT].map(|tag| k.ascii(tag)), fields);
        }
        None => assert_eq!(fields, [None, None]),
    }
    let kept = Kept {
        exif: Some(data.to_vec()),
        icc: None,
    };
    // One APP1 segment holds at most 65 533 bytes, `Exif\0\0` included.
    if data.len() + 8 <= 0xFFFF {
        let jpeg = metadata::embed(JPEG_SKELETON.to_vec(), Format::Jpeg, &kept, (1, 1));
        assert_eq!(
            metadata::exif_of(&jpeg, Reader::Jpeg).as_deref(),
            Some(data)
        );
    }
    let png = metadata::embed(png_skeleton(), Format::Png, &kept, (1, 1));
    assert_eq!(metadata::exif_of(&png, Reader::Png).as_deref(), Some(data));
}

/// SOI, a JFIF APP0 of no content, SOS, EOI: what the JPEG writer inserts segments into.
const JPEG_SKELETON: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 2, 0xFF, 0xDA, 0, 2, 0xFF, 0xD9];

/// Signature, IHDR of a 1x1 grey image, IEND.
fn png_skeleton() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(metadata::png_chunk(
        b"IHDR",
        &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0],
    ));
    png.extend(metadata::png_chunk(b"IEND", &[]));
    png
}

/// Frames the differential target decodes: 4 Mpx keeps every run short, and the code
/// paths do not depend on the size.
const DC_MAX_PIXELS: u64 = 1 << 22;

/// The DC-only JPEG decoder against libjpeg-turbo's 1/8-scale decode: whatever the DC-only
/// decoder accepts, libjpeg-turbo accepts too and decodes to the same pixels, to the bit.
/// (Files it leaves to libjpeg-turbo need no check: libjpeg-turbo then decodes them.)
pub fn jpeg_dc(data: &[u8]) {
    let Ok(ours) = decode::jpeg_dc(data, DC_MAX_PIXELS) else {
        return;
    };
    let (w, h, theirs) = libjpeg_eighth(data)
        .unwrap_or_else(|e| panic!("accepted a file libjpeg-turbo refuses: {e}"));
    assert_eq!((ours.width() as usize, ours.height() as usize), (w, h));
    assert!(
        ours.data() == &theirs[..],
        "pixels differ from libjpeg-turbo's"
    );
}

/// libjpeg-turbo's 1/8-scale decode (grey stays grey), with vignette's rule for warnings.
fn libjpeg_eighth(bytes: &[u8]) -> Result<(usize, usize, Vec<u8>), turbojpeg::Error> {
    let mut d = Decompressor::new()?;
    let factor = ScalingFactor::ONE_EIGHTH;
    d.set_scaling_factor(factor)?;
    let (header, bytes) = decode::libjpeg_header(&mut d, bytes)?;
    let (format, channels) = match header.colorspace {
        Colorspace::Gray => (PixelFormat::GRAY, 1),
        _ => (PixelFormat::RGB, 3),
    };
    let s = header.scaled(factor);
    let mut pixels = vec![0; s.width * s.height * channels];
    let image = Image {
        pixels: &mut pixels[..],
        width: s.width,
        pitch: s.width * channels,
        height: s.height,
        format,
    };
    match d.decompress(&bytes, image) {
        Err(e) if !decode::is_benign_warning(&e) => Err(e),
        _ => Ok((s.width, s.height, pixels)),
    }
}
