//! The 8-bit raster that flows between pipeline stages: width, height, a channel layout and
//! one tightly packed buffer (no row padding).

use super::RenderError;

/// What the channels of a [`Raster`] mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One grey channel.
    Gray,
    /// Grey and straight (not premultiplied) alpha.
    GrayAlpha,
    /// Red, green, blue.
    Rgb,
    /// Red, green, blue and straight alpha.
    Rgba,
    /// Cyan, magenta, yellow, black as the JPEG stores them (possibly inverted, see
    /// [`crate::render::colour`]). Only the colour stage knows how to read it.
    Cmyk,
}

impl Layout {
    /// Bytes per pixel.
    pub(crate) fn channels(self) -> usize {
        match self {
            Layout::Gray => 1,
            Layout::GrayAlpha => 2,
            Layout::Rgb => 3,
            Layout::Rgba | Layout::Cmyk => 4,
        }
    }

    /// Whether the last channel is alpha.
    pub(crate) fn has_alpha(self) -> bool {
        matches!(self, Layout::GrayAlpha | Layout::Rgba)
    }
}

/// An image in memory. The invariant `data.len() == width * height * channels` is checked
/// by every constructor, so stages can index rows without re-checking.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Raster {
    width: u32,
    height: u32,
    layout: Layout,
    data: Vec<u8>,
}

impl std::fmt::Debug for Raster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Raster")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

/// Number of bytes a `width`×`height` raster needs, or `None` on overflow.
pub(crate) fn byte_len(width: u32, height: u32, layout: Layout) -> Option<usize> {
    (width as usize)
        .checked_mul(height as usize)?
        .checked_mul(layout.channels())
}

impl Raster {
    /// Wraps decoded pixels; fails if the buffer does not match the dimensions.
    pub(crate) fn new(
        width: u32,
        height: u32,
        layout: Layout,
        data: Vec<u8>,
    ) -> Result<Raster, RenderError> {
        if width == 0 || height == 0 || byte_len(width, height, layout) != Some(data.len()) {
            return Err(RenderError::Corrupt(format!(
                "decoder returned an inconsistent {width}x{height} image"
            )));
        }
        Ok(Raster {
            width,
            height,
            layout,
            data,
        })
    }

    /// A raster filled with one pixel value (`pixel.len()` must equal the channel count).
    pub(crate) fn filled(width: u32, height: u32, layout: Layout, pixel: &[u8]) -> Raster {
        debug_assert_eq!(pixel.len(), layout.channels());
        let n = width as usize * height as usize;
        let data = if pixel.iter().all(|&v| v == pixel[0]) {
            vec![pixel[0]; n * layout.channels()]
        } else {
            pixel.repeat(n)
        };
        Raster {
            width,
            height,
            layout,
            data,
        }
    }

    pub(crate) fn width(&self) -> u32 {
        self.width
    }

    pub(crate) fn height(&self) -> u32 {
        self.height
    }

    pub(crate) fn layout(&self) -> Layout {
        self.layout
    }

    pub(crate) fn channels(&self) -> usize {
        self.layout.channels()
    }

    /// Bytes per row.
    pub(crate) fn stride(&self) -> usize {
        self.width as usize * self.channels()
    }

    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }

    pub(crate) fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    pub(crate) fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// The pixel at (`x`, `y`); callers pass in-bounds coordinates.
    #[cfg(test)]
    pub(crate) fn pixel(&self, x: u32, y: u32) -> &[u8] {
        let c = self.channels();
        let i = (y as usize * self.width as usize + x as usize) * c;
        &self.data[i..i + c]
    }

    /// The mean colour, from at most about 4096 evenly spread pixels: the overload
    /// placeholder of this source's later refusals. Alpha is ignored; CMYK is never seen
    /// here (the colour stage has converted it).
    pub(crate) fn average_rgb(&self) -> [u8; 3] {
        let c = self.channels();
        let pixels = self.data.len() / c.max(1);
        let step = (pixels / 4096).max(1);
        let (mut sum, mut n) = ([0u64; 3], 0u64);
        for p in self.data.chunks_exact(c).step_by(step) {
            let rgb = match self.layout {
                Layout::Gray | Layout::GrayAlpha => [p[0]; 3],
                _ => [p[0], p[1], p[2]],
            };
            for (s, v) in sum.iter_mut().zip(rgb) {
                *s += v as u64;
            }
            n += 1;
        }
        let n = n.max(1);
        sum.map(|s| ((s + n / 2) / n) as u8)
    }

    /// Whether every alpha value is 255 (always true without an alpha channel).
    pub(crate) fn is_opaque(&self) -> bool {
        if !self.layout.has_alpha() {
            return true;
        }
        let c = self.channels();
        self.data.chunks_exact(c).all(|p| p[c - 1] == 255)
    }

    /// Drops a fully opaque alpha channel so that later stages and encoders do less work.
    pub(crate) fn without_opaque_alpha(self) -> Raster {
        if !self.layout.has_alpha() || !self.is_opaque() {
            return self;
        }
        let (layout, keep) = match self.layout {
            Layout::GrayAlpha => (Layout::Gray, 1),
            _ => (Layout::Rgb, 3),
        };
        let c = self.channels();
        let mut data = self.data;
        let mut w = 0;
        for r in (0..data.len()).step_by(c) {
            data.copy_within(r..r + keep, w);
            w += keep;
        }
        data.truncate(w);
        Raster {
            width: self.width,
            height: self.height,
            layout,
            data,
        }
    }

    /// Adds an opaque alpha channel (grey → grey+alpha, RGB → RGBA).
    pub(crate) fn with_alpha(self) -> Raster {
        let (layout, keep) = match self.layout {
            Layout::Gray => (Layout::GrayAlpha, 1),
            Layout::Rgb => (Layout::Rgba, 3),
            _ => return self,
        };
        let mut data = Vec::with_capacity(self.data.len() / keep * (keep + 1));
        for p in self.data.chunks_exact(keep) {
            data.extend_from_slice(p);
            data.push(255);
        }
        Raster {
            width: self.width,
            height: self.height,
            layout,
            data,
        }
    }

    /// Converts grey layouts to their RGB counterparts (for encoders that only take RGB).
    pub(crate) fn into_rgb_family(self) -> Raster {
        let (layout, alpha) = match self.layout {
            Layout::Gray => (Layout::Rgb, false),
            Layout::GrayAlpha => (Layout::Rgba, true),
            _ => return self,
        };
        let c = if alpha { 4 } else { 3 };
        let mut data = Vec::with_capacity(self.width as usize * self.height as usize * c);
        for p in self.data.chunks_exact(self.layout.channels()) {
            data.extend_from_slice(&[p[0], p[0], p[0]]);
            if alpha {
                data.push(p[1]);
            }
        }
        Raster {
            width: self.width,
            height: self.height,
            layout,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_checks_length() {
        assert!(Raster::new(2, 2, Layout::Rgb, vec![0; 12]).is_ok());
        assert!(Raster::new(2, 2, Layout::Rgb, vec![0; 11]).is_err());
        assert!(Raster::new(0, 2, Layout::Rgb, vec![]).is_err());
    }

    #[test]
    fn alpha_round_trip() {
        let r = Raster::new(2, 1, Layout::Rgb, vec![1, 2, 3, 4, 5, 6]).unwrap();
        let a = r.clone().with_alpha();
        assert_eq!(a.layout(), Layout::Rgba);
        assert_eq!(a.data(), &[1, 2, 3, 255, 4, 5, 6, 255]);
        assert_eq!(a.without_opaque_alpha(), r);
    }

    #[test]
    fn translucent_alpha_is_kept() {
        let r = Raster::new(1, 1, Layout::GrayAlpha, vec![9, 10]).unwrap();
        assert_eq!(r.clone().without_opaque_alpha(), r);
        let rgb = r.into_rgb_family();
        assert_eq!(rgb.data(), &[9, 9, 9, 10]);
    }

    #[test]
    fn filled_repeats_pixel() {
        let r = Raster::filled(2, 1, Layout::Rgba, &[1, 2, 3, 4]);
        assert_eq!(r.data(), &[1, 2, 3, 4, 1, 2, 3, 4]);
        assert_eq!(r.pixel(1, 0), &[1, 2, 3, 4]);
    }
}
