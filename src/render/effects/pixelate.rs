//! Pixelation (imgproxy `pixelate:%size`): every `size`×`size` block, counted from the
//! top-left corner, becomes the average of its pixels.
//!
//! Blocks on the right and bottom edges may be partial; they average the pixels they have.
//! (libvips, for imgproxy, mirrors the image out to whole blocks first, which counts the edge
//! pixels of a partial block twice: a difference only partial blocks can show.) Alpha
//! images average premultiplied, so a transparent pixel lends its block no colour.

use crate::render::raster::{Layout, Raster};

/// Pixelates `src` into blocks of `size` pixels. Sizes of 0 and 1 return it unchanged; sizes
/// beyond the image's longer side act as that side (one block), as in imgproxy. Gray,
/// GrayAlpha, Rgb and Rgba; Cmyk is averaged channel by channel like Rgb.
pub(crate) fn pixelate(mut src: Raster, size: u32) -> Raster {
    let size = size.min(src.width().max(src.height())) as usize;
    if size <= 1 {
        return src;
    }
    let (w, c) = (src.width() as usize, src.channels());
    let alpha = src.layout().has_alpha() && src.layout() != Layout::Cmyk;
    let stride = w * c;
    let blocks = w.div_ceil(size);
    // Per block: channel sums (colour weighted by alpha when there is alpha).
    let mut sums = vec![0u64; blocks * c];
    let mut avg = vec![0u8; blocks * c];
    let data = src.data_mut();
    for band in data.chunks_mut(size * stride) {
        sums.fill(0);
        for row in band.chunks_exact(stride) {
            for (x, px) in row.chunks_exact(c).enumerate() {
                let s = &mut sums[(x / size) * c..(x / size + 1) * c];
                let a = if alpha { px[c - 1] as u64 } else { 1 };
                for (k, (acc, &v)) in s.iter_mut().zip(px).enumerate() {
                    *acc += if alpha && k < c - 1 {
                        v as u64 * a
                    } else {
                        v as u64
                    };
                }
            }
        }
        let rows = (band.len() / stride) as u64;
        for (b, (out, s)) in avg
            .chunks_exact_mut(c)
            .zip(sums.chunks_exact(c))
            .enumerate()
        {
            let n = rows * (size.min(w - b * size)) as u64;
            // Colour over the alpha sum (premultiplied average), alpha over the pixel count.
            let weight = if alpha { s[c - 1] } else { n };
            for k in 0..c {
                let d = if alpha && k == c - 1 { n } else { weight };
                out[k] = (s[k] + d / 2).checked_div(d).unwrap_or(0) as u8;
            }
        }
        for row in band.chunks_exact_mut(stride) {
            for (x, px) in row.chunks_exact_mut(c).enumerate() {
                px.copy_from_slice(&avg[(x / size) * c..(x / size + 1) * c]);
            }
        }
    }
    src
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_becomes_constant_blocks() {
        // 7×5 horizontal gradient 0, 10, …, 60; blocks of 3: columns 0–2, 3–5, 6.
        let data: Vec<u8> = (0..5).flat_map(|_| (0..7).map(|x| x * 10)).collect();
        let out = pixelate(Raster::new(7, 5, Layout::Gray, data).unwrap(), 3);
        for y in 0..5 {
            let row: Vec<u8> = (0..7).map(|x| out.pixel(x, y)[0]).collect();
            assert_eq!(row, [10, 10, 10, 40, 40, 40, 60], "row {y}");
        }
        // A vertical gradient in RGB: rows 0–1 and 2 (partial) of blocks of 2.
        let data: Vec<u8> = (0..3u8).flat_map(|y| [y * 100, 0, 255].repeat(2)).collect();
        let out = pixelate(Raster::new(2, 3, Layout::Rgb, data).unwrap(), 2);
        assert_eq!(out.pixel(1, 0), &[50, 0, 255]);
        assert_eq!(out.pixel(0, 1), &[50, 0, 255]);
        assert_eq!(out.pixel(1, 2), &[200, 0, 255]);
    }

    #[test]
    fn transparent_pixels_lend_no_colour() {
        let src = Raster::new(2, 1, Layout::Rgba, vec![255, 0, 0, 255, 0, 255, 0, 0]).unwrap();
        let out = pixelate(src, 2);
        assert_eq!(out.pixel(0, 0), &[255, 0, 0, 128]);
        assert_eq!(out.pixel(1, 0), &[255, 0, 0, 128]);
        let clear = Raster::new(2, 1, Layout::GrayAlpha, vec![9, 0, 50, 0]).unwrap();
        assert_eq!(pixelate(clear, 4).data(), &[0, 0, 0, 0]);
    }

    #[test]
    fn trivial_sizes_and_shapes() {
        let src = Raster::new(3, 1, Layout::Gray, vec![0, 30, 60]).unwrap();
        assert_eq!(pixelate(src.clone(), 0), src);
        assert_eq!(pixelate(src.clone(), 1), src);
        // Larger than the image: one block.
        assert_eq!(pixelate(src, 1000).data(), &[30, 30, 30]);
        let one = Raster::filled(1, 1, Layout::Rgba, &[1, 2, 3, 4]);
        assert_eq!(pixelate(one.clone(), 8), one);
        let tall = Raster::filled(1, 50, Layout::GrayAlpha, &[7, 255]);
        assert_eq!(pixelate(tall.clone(), 4), tall);
    }
}
