//! The IIIF quality (`default`/`color` unchanged, `gray` = luma, `bitonal` = black or white)
//! and flattening alpha onto white for encoders without alpha.

use super::raster::{Layout, Raster};
use crate::variant::{Colour as Quality, Rgb};

/// Applies the IIIF quality; alpha, when present, is kept.
pub(crate) fn apply(src: Raster, quality: Quality) -> Raster {
    match quality {
        Quality::Default | Quality::Color => src,
        Quality::Gray => gray(src),
        Quality::Bitonal => {
            let mut g = gray(src);
            let c = g.channels();
            for p in g.data_mut().chunks_exact_mut(c) {
                p[0] = if p[0] >= 128 { 255 } else { 0 };
            }
            g
        }
    }
}

/// Rec. 601 luma in 8.8 fixed point (the weights sum to 256).
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((77 * r as u32 + 150 * g as u32 + 29 * b as u32 + 128) >> 8) as u8
}

/// Converts colour to grey, keeping alpha.
fn gray(src: Raster) -> Raster {
    let (layout, alpha) = match src.layout() {
        Layout::Rgb => (Layout::Gray, false),
        Layout::Rgba => (Layout::GrayAlpha, true),
        _ => return src, // already grey (CMYK never reaches this stage)
    };
    let c = src.channels();
    let mut out = Vec::with_capacity(src.data().len() / c * layout.channels());
    for p in src.data().chunks_exact(c) {
        out.push(luma(p[0], p[1], p[2]));
        if alpha {
            out.push(p[3]);
        }
    }
    Raster::new(src.width(), src.height(), layout, out).unwrap_or(src)
}

/// Composites straight alpha onto opaque white and drops the alpha channel.
pub(crate) fn flatten_on_white(src: Raster) -> Raster {
    flatten_on(src, Rgb(255, 255, 255))
}

/// Composites straight alpha onto an opaque colour and drops the alpha channel; a grey
/// image on a coloured background becomes RGB.
pub(crate) fn flatten_on(src: Raster, colour: Rgb) -> Raster {
    let grey = colour.0 == colour.1 && colour.1 == colour.2;
    let src = if !grey && src.layout() == Layout::GrayAlpha {
        src.into_rgb_family()
    } else {
        src
    };
    let bg = [colour.0 as u32, colour.1 as u32, colour.2 as u32];
    let layout = match src.layout() {
        Layout::Rgba => Layout::Rgb,
        Layout::GrayAlpha => Layout::Gray,
        _ => return src,
    };
    let c = src.channels();
    let mut out = Vec::with_capacity(src.data().len() / c * (c - 1));
    for p in src.data().chunks_exact(c) {
        let a = p[c - 1] as u32;
        for (k, &v) in p[..c - 1].iter().enumerate() {
            out.push(((v as u32 * a + bg[k] * (255 - a) + 127) / 255) as u8);
        }
    }
    Raster::new(src.width(), src.height(), layout, out).unwrap_or(src)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_and_bitonal() {
        let src =
            Raster::new(3, 1, Layout::Rgb, vec![255, 0, 0, 0, 255, 0, 200, 200, 200]).unwrap();
        let g = apply(src.clone(), Quality::Gray);
        assert_eq!(g.layout(), Layout::Gray);
        assert_eq!(g.data(), &[77, 149, 200]);
        let b = apply(src, Quality::Bitonal);
        assert_eq!(b.data(), &[0, 255, 255]);
    }

    #[test]
    fn alpha_survives_quality_and_flattens_to_white() {
        let src = Raster::new(2, 1, Layout::Rgba, vec![0, 0, 0, 0, 0, 0, 0, 255]).unwrap();
        let g = apply(src.clone(), Quality::Gray);
        assert_eq!(g.data(), &[0, 0, 0, 255]);
        let f = flatten_on_white(src);
        assert_eq!(f.layout(), Layout::Rgb);
        assert_eq!(f.data(), &[255, 255, 255, 0, 0, 0]);
        let half = Raster::new(1, 1, Layout::GrayAlpha, vec![0, 128]).unwrap();
        assert_eq!(flatten_on_white(half).data(), &[127]);
    }
}
