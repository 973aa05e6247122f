//! WebP's RIFF container, for requests that keep metadata: a simple (`VP8 `, `VP8L`) file
//! becomes an extended one (`VP8X`) with `ICCP` before the image and `EXIF` after it, as
//! the container specification orders them.

use super::metadata::Kept;

const ICC: u8 = 0x20;
const ALPHA: u8 = 0x10;
const EXIF: u8 = 0x08;

fn chunk(out: &mut Vec<u8>, fourcc: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
}

/// A RIFF/WebP file made of `parts`, in order: what the encoders' output is rewritten into,
/// and the first frame of an animation is cut out as.
pub(crate) fn riff(parts: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut body = b"WEBP".to_vec();
    for (fourcc, data) in parts {
        chunk(&mut body, fourcc, data);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// The chunks of a WebP file: (fourcc, data), or `None` if it is not one.
fn chunks(file: &[u8]) -> Option<Vec<([u8; 4], &[u8])>> {
    if file.get(0..4)? != b"RIFF" || file.get(8..12)? != b"WEBP" {
        return None;
    }
    let mut out = Vec::new();
    let mut at = 12;
    while at + 8 <= file.len() {
        let fourcc: [u8; 4] = file[at..at + 4].try_into().ok()?;
        let len = u32::from_le_bytes(file[at + 4..at + 8].try_into().ok()?) as usize;
        out.push((fourcc, file.get(at + 8..at + 8 + len)?));
        at += 8 + len + (len & 1);
    }
    Some(out)
}

/// `encoded` (a file from vignette's WebP encoder, `width`×`height`) with `kept` written
/// into it; unchanged if it cannot be read as WebP.
pub(crate) fn with_metadata(encoded: Vec<u8>, kept: &Kept, width: u32, height: u32) -> Vec<u8> {
    let Some(parts) = chunks(&encoded) else {
        return encoded;
    };
    let mut flags = 0u8;
    let mut image = Vec::new();
    for (fourcc, data) in &parts {
        match fourcc {
            b"VP8X" => flags |= data.first().copied().unwrap_or(0) & ALPHA,
            b"VP8L" => {
                // Bit 28 after the signature byte: the image uses its alpha.
                if data.get(4).is_some_and(|b| b & 0x10 != 0) {
                    flags |= ALPHA;
                }
                image.push((fourcc, data));
            }
            b"ICCP" | b"EXIF" => {}
            _ => image.push((fourcc, data)),
        }
    }
    if kept.icc.is_some() {
        flags |= ICC;
    }
    if kept.exif.is_some() {
        flags |= EXIF;
    }
    let mut vp8x = vec![flags, 0, 0, 0];
    vp8x.extend_from_slice(&(width.saturating_sub(1)).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height.saturating_sub(1)).to_le_bytes()[..3]);
    let mut out: Vec<(&[u8; 4], &[u8])> = vec![(b"VP8X", &vp8x)];
    if let Some(icc) = &kept.icc {
        out.push((b"ICCP", icc));
    }
    out.extend(image.iter().map(|(fourcc, data)| (*fourcc, **data)));
    if let Some(tiff) = &kept.exif {
        out.push((b"EXIF", tiff));
    }
    riff(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simple_file_becomes_extended_with_its_metadata() {
        let mut simple = b"RIFF".to_vec();
        let mut body = b"WEBP".to_vec();
        chunk(&mut body, b"VP8 ", &[1, 2, 3]);
        simple.extend_from_slice(&(body.len() as u32).to_le_bytes());
        simple.extend(body);
        let kept = Kept {
            exif: Some(b"MM\0*tiff".to_vec()),
            icc: Some(vec![9; 5]),
        };
        let out = with_metadata(simple, &kept, 640, 480);
        let parts = chunks(&out).unwrap();
        let names: Vec<&[u8; 4]> = parts.iter().map(|(f, _)| f).collect();
        assert_eq!(names, [b"VP8X", b"ICCP", b"VP8 ", b"EXIF"]);
        assert_eq!(
            parts[0].1,
            &[ICC | EXIF, 0, 0, 0, 0x7f, 0x02, 0, 0xdf, 0x01, 0]
        );
        assert_eq!(parts[1].1, &[9; 5]);
        assert_eq!(parts[2].1, &[1, 2, 3]);
        assert_eq!(
            u32::from_le_bytes(out[4..8].try_into().unwrap()) as usize,
            out.len() - 8
        );
    }
}
