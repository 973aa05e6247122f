//! The dialect-free description of a variant: what region, size, rotation, quality and
//! format a request wants. URL dialects parse into a [`Spec`]; nothing after the parser
//! knows which dialect was used.

pub mod iiif;
pub mod key;
pub mod plan;

use std::fmt;

pub use plan::{Plan, PlanLimits, Rect};

/// Errors of the URL grammar and of resolving a spec against an image.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// The request does not follow the grammar (HTTP 400).
    #[error("{0}")]
    Malformed(String),
    /// The request is valid but asks for something vignette does not implement (HTTP 501).
    #[error("{0}")]
    Unsupported(String),
    /// The request is well formed but impossible for this image (HTTP 400), e.g. a region
    /// outside the image or a size above the region without `^`.
    #[error("{0}")]
    Invalid(String),
}

/// The part of the source image that is wanted, in the orientation the viewer sees
/// (after EXIF auto-orientation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Region {
    /// The whole image.
    Full,
    /// The largest centred square.
    Square,
    /// A rectangle in pixels; may extend past the image (it is then clipped).
    Pixels { x: u32, y: u32, w: u32, h: u32 },
    /// A rectangle in percent of the image's width and height.
    Percent { x: f64, y: f64, w: f64, h: f64 },
}

/// How the extracted region is scaled. `upscale` is the IIIF `^` prefix: without it a
/// size larger than the region is an error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Size {
    /// As large as the region, capped by the server limits (`max`, `^max`).
    Max { upscale: bool },
    /// Exact width, height from the aspect ratio (`w,`).
    Width { w: u32, upscale: bool },
    /// Exact height, width from the aspect ratio (`,h`).
    Height { h: u32, upscale: bool },
    /// Percentage of the region (`pct:n`).
    Percent { pct: f64, upscale: bool },
    /// Exact width and height, aspect ratio may change (`w,h`).
    Exact { w: u32, h: u32, upscale: bool },
    /// Largest size that fits in w×h, aspect ratio kept (`!w,h`).
    Fit { w: u32, h: u32, upscale: bool },
}

/// Mirroring (applied first) then clockwise rotation in degrees, `0 <= degrees < 360`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rotation {
    /// Mirror on the vertical axis before rotating (IIIF `!`).
    pub mirror: bool,
    /// Clockwise degrees, normalised into `[0, 360)`.
    pub degrees: f64,
}

impl Rotation {
    /// No mirroring, no rotation.
    pub const NONE: Rotation = Rotation {
        mirror: false,
        degrees: 0.0,
    };

    /// The rotation as a number of quarter turns, when it is a multiple of 90 degrees.
    pub fn quarter_turns(&self) -> Option<u8> {
        let q = self.degrees / 90.0;
        if q.fract() == 0.0 {
            Some(q as u8 % 4)
        } else {
            None
        }
    }
}

/// Colour treatment of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quality {
    /// The image as it is (colour, or grey for grey sources).
    Default,
    /// All colour information.
    Color,
    /// Shades of grey.
    Gray,
    /// Black and white only.
    Bitonal,
}

impl Quality {
    /// The IIIF name of the quality.
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Default => "default",
            Quality::Color => "color",
            Quality::Gray => "gray",
            Quality::Bitonal => "bitonal",
        }
    }
}

/// Output encodings vignette produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JPEG (`jpg`), never with alpha.
    Jpeg,
    /// PNG, lossless, alpha kept.
    Png,
    /// WebP (lossy), alpha kept.
    Webp,
    /// AVIF (lossy), alpha kept.
    Avif,
    /// GIF (palette), first frame only.
    Gif,
}

impl Format {
    /// The IIIF / file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Avif => "avif",
            Format::Gif => "gif",
        }
    }

    /// The exact media type for `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Avif => "image/avif",
            Format::Gif => "image/gif",
        }
    }

    /// Whether the encoding can carry an alpha channel.
    pub fn supports_alpha(self) -> bool {
        !matches!(self, Format::Jpeg)
    }
}

/// A validated, normalised variant request. Two URLs that mean the same thing produce
/// equal specs, hence the same cache key.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Region of the (auto-oriented) source.
    pub region: Region,
    /// Scaling of the region.
    pub size: Size,
    /// Mirroring and rotation of the scaled region.
    pub rotation: Rotation,
    /// Colour treatment.
    pub quality: Quality,
    /// Output encoding.
    pub format: Format,
}

/// Writes a float the IIIF way: no trailing zeros, no exponent.
fn fmt_num(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        write!(f, "{}", v as i64)
    } else {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        f.write_str(s)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Region::Full => f.write_str("full"),
            Region::Square => f.write_str("square"),
            Region::Pixels { x, y, w, h } => write!(f, "{x},{y},{w},{h}"),
            Region::Percent { x, y, w, h } => {
                f.write_str("pct:")?;
                for (i, v) in [x, y, w, h].into_iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    fmt_num(f, v)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let up = |f: &mut fmt::Formatter<'_>, upscale: bool| {
            if upscale { f.write_str("^") } else { Ok(()) }
        };
        match *self {
            Size::Max { upscale } => {
                up(f, upscale)?;
                f.write_str("max")
            }
            Size::Width { w, upscale } => {
                up(f, upscale)?;
                write!(f, "{w},")
            }
            Size::Height { h, upscale } => {
                up(f, upscale)?;
                write!(f, ",{h}")
            }
            Size::Percent { pct, upscale } => {
                up(f, upscale)?;
                f.write_str("pct:")?;
                fmt_num(f, pct)
            }
            Size::Exact { w, h, upscale } => {
                up(f, upscale)?;
                write!(f, "{w},{h}")
            }
            Size::Fit { w, h, upscale } => {
                up(f, upscale)?;
                write!(f, "!{w},{h}")
            }
        }
    }
}

impl fmt::Display for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mirror {
            f.write_str("!")?;
        }
        fmt_num(f, self.degrees)
    }
}

impl fmt::Display for Spec {
    /// The canonical IIIF path tail: `{region}/{size}/{rotation}/{quality}.{format}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}.{}",
            self.region,
            self.size,
            self.rotation,
            self.quality.as_str(),
            self.format.extension()
        )
    }
}
