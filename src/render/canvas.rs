//! Placing the image on a larger canvas of the background colour: imgproxy's `extend`,
//! `extend_aspect_ratio` and `padding`, merged by the plan into one canvas.

use super::raster::{Layout, Raster};
use super::rotate::Background;
use crate::variant::plan::Canvas;

/// `src` at (`canvas.x`, `canvas.y`) on a `canvas.width`×`canvas.height` canvas. A
/// transparent background gives the result an alpha channel; a coloured one turns grey
/// images into RGB when the colour is not grey.
pub(crate) fn place(src: &Raster, canvas: Canvas, background: Background) -> Raster {
    let layout = match (background, src.layout()) {
        (Background::Transparent, Layout::Gray) => Layout::GrayAlpha,
        (Background::Transparent, Layout::Rgb) => Layout::Rgba,
        (Background::Opaque(_), Layout::Gray) if !background.is_grey() => Layout::Rgb,
        (Background::Opaque(_), Layout::GrayAlpha) if !background.is_grey() => Layout::Rgba,
        (_, other) => other,
    };
    let converted;
    let src = if src.layout() == layout {
        src
    } else {
        let mut c = src.clone();
        if layout.has_alpha() {
            c = c.with_alpha();
        }
        if matches!(layout, Layout::Rgb | Layout::Rgba) {
            c = c.into_rgb_family();
        }
        converted = c;
        &converted
    };
    let mut out = Raster::filled(
        canvas.width,
        canvas.height,
        layout,
        &background.pixel(layout),
    );
    let c = layout.channels();
    let row = src.width() as usize * c;
    let (x, y) = (canvas.x as usize, canvas.y as usize);
    let width = canvas.width as usize;
    let data = src.data();
    let dst = out.data_mut();
    for r in 0..src.height() as usize {
        let at = ((y + r) * width + x) * c;
        dst[at..at + row].copy_from_slice(&data[r * row..(r + 1) * row]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variant::Rgb;

    #[test]
    fn places_on_colour_and_transparency() {
        let src = Raster::filled(2, 1, Layout::Rgb, &[10, 20, 30]);
        let c = Canvas {
            width: 4,
            height: 3,
            x: 1,
            y: 1,
        };
        let out = place(&src, c, Background::Opaque(Rgb(255, 0, 0)));
        assert_eq!(
            (out.width(), out.height(), out.layout()),
            (4, 3, Layout::Rgb)
        );
        assert_eq!(out.pixel(0, 0), &[255, 0, 0]);
        assert_eq!(out.pixel(1, 1), &[10, 20, 30]);
        assert_eq!(out.pixel(2, 1), &[10, 20, 30]);
        assert_eq!(out.pixel(3, 1), &[255, 0, 0]);
        let out = place(&src, c, Background::Transparent);
        assert_eq!(out.layout(), Layout::Rgba);
        assert_eq!(out.pixel(0, 2), &[0, 0, 0, 0]);
        assert_eq!(out.pixel(1, 1), &[10, 20, 30, 255]);
        // Grey stays grey on a grey background, becomes RGB on a colour.
        let grey = Raster::filled(1, 1, Layout::Gray, &[7]);
        let one = Canvas {
            width: 2,
            height: 1,
            x: 1,
            y: 0,
        };
        let out = place(&grey, one, Background::Opaque(Rgb(9, 9, 9)));
        assert_eq!(out.data(), &[9, 7]);
        let out = place(&grey, one, Background::Opaque(Rgb(0, 0, 255)));
        assert_eq!(out.data(), &[0, 0, 255, 7, 7, 7]);
    }
}
