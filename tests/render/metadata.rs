//! Metadata stripping: nothing from the source bytes reaches the output.

use super::*;

/// The JPEG marker codes of `jpeg`'s header segments.
fn jpeg_markers(jpeg: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let m = jpeg[pos + 1];
        markers.push(m);
        if m == 0xDA {
            break;
        }
        pos += 2 + u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
    }
    markers
}

#[test]
fn outputs_carry_no_metadata() {
    let sources = [
        "hostile/polyglot-html.jpg",
        "edge/orient-6.jpg",
        "edge/adobergb-1280x800.jpg",
        "edge/cmyk-swop-icc-1280x800.jpg",
    ];
    for name in sources {
        let src = fixture(name);
        for fmt in ["jpg", "png", "webp", "avif", "gif"] {
            let out = ok(&src, &format!("full/200,/0/default.{fmt}"));
            for needle in [
                &b"<script"[..],
                b"<html",
                b"Exif",
                b"ICC_PROFILE",
                b"acsp",
                b"iCCP",
                b"eXIf",
                b"tEXt",
            ] {
                assert!(
                    !contains(&out.bytes, needle),
                    "{name} → {fmt} contains {:?}",
                    String::from_utf8_lossy(needle)
                );
            }
            if fmt == "jpg" {
                // Only JFIF (APP0), tables, frame and scan: no APP1/APP2/COM.
                for m in jpeg_markers(&out.bytes) {
                    assert!(!matches!(m, 0xE1..=0xEF | 0xFE), "{name}: marker {m:#x}");
                }
            }
        }
    }
}
