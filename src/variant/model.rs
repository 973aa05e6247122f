//! The parts of a [`Variant`], in the order the pipeline applies them: orientation, trim,
//! region, resize, result crop (gravity), filters, extend and padding, background, a final
//! rotation, colour mode, then the encoding (`output.rs`). Plain data, validated by the
//! dialects.

use super::output::{Animation, Colour, Format, Metadata, OutputFormat};

/// A validated, normalised variant request. Two URLs that mean the same thing, in either
/// dialect, produce equal variants, hence the same cache key.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// EXIF auto-orientation, then quarter turns and flips, before anything else.
    pub orient: Orient,
    /// Borders of a uniform colour cut before the region is taken.
    pub trim: Option<Trim>,
    /// The part of the (oriented, trimmed) source that is wanted.
    pub region: Region,
    /// How the region is scaled.
    pub resize: Resize,
    /// Where `fill` crops and `extend` places the image.
    pub gravity: Gravity,
    /// Blur, sharpen, pixelate, applied to the scaled image.
    pub filters: Filters,
    /// Extending the canvas to the requested size or aspect ratio.
    pub extend: Extend,
    /// Margins added around the result, in output pixels before the DPR.
    pub padding: Padding,
    /// What fills extended areas, padding, rotated corners and, for formats without alpha,
    /// transparency. `None` is white for opaque formats and transparent otherwise.
    pub background: Option<Rgb>,
    /// A last rotation of the result (IIIF), any angle, after an optional mirror.
    pub rotation: Rotation,
    /// Colour treatment.
    pub colour: Colour,
    /// Output encoding.
    pub format: OutputFormat,
    /// What an animated source becomes.
    pub animation: Animation,
    /// Encoder quality for this request (1–100), else the instance's setting.
    pub quality: Option<u8>,
    /// Per-format qualities, used when the format is decided at render time.
    pub format_quality: Vec<(Format, u8)>,
    /// Re-encode at lower qualities until the result fits (lossy formats).
    pub max_bytes: Option<u64>,
    /// What of the source's metadata survives.
    pub metadata: Metadata,
    /// Source formats answered with the source's bytes as they are (imgproxy
    /// `skip_processing`).
    pub passthrough: Vec<Format>,
    /// An opaque value that only changes the cache key (imgproxy `cachebuster`).
    pub cachebuster: Option<String>,
}

impl Variant {
    /// The whole source, as it displays, in `format`.
    pub fn new(format: OutputFormat) -> Variant {
        Variant {
            orient: Orient::AUTO,
            trim: None,
            region: Region::Full,
            resize: Resize::NONE,
            gravity: Gravity::CENTER,
            filters: Filters::NONE,
            extend: Extend::NONE,
            padding: Padding::NONE,
            background: None,
            rotation: Rotation::NONE,
            colour: Colour::Default,
            format,
            animation: Animation::InFormat,
            quality: None,
            format_quality: Vec::new(),
            max_bytes: None,
            metadata: Metadata::STRIP,
            passthrough: Vec::new(),
            cachebuster: None,
        }
    }

    /// Decides the output format; once it is a known format, its per-format quality
    /// becomes the quality (one canonical form for one render). What an animation becomes
    /// instead of a negotiated still format ([`Animation::As`]) goes with the format it
    /// replaced: the caller that negotiates sets it again.
    pub fn set_format(&mut self, format: OutputFormat) {
        self.format = format;
        if let Animation::As(_) = self.animation {
            self.animation = Animation::InFormat;
        }
        if let OutputFormat::Is(f) = format {
            self.quality = self.quality_for(f);
            self.format_quality.clear();
        }
    }

    /// The quality asked for `format`, if any: a per-format quality wins over the
    /// general one.
    pub fn quality_for(&self, format: Format) -> Option<u8> {
        self.format_quality
            .iter()
            .find(|(f, _)| *f == format)
            .map(|&(_, q)| q)
            .or(self.quality)
    }
}

/// Orientation before anything else: EXIF auto-rotation (on unless a dialect turns it
/// off), then clockwise quarter turns, then flips (imgproxy `auto_rotate`, `rotate`,
/// `flip`). Regions, crops and sizes refer to the image once oriented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Orient {
    /// Apply the source's EXIF orientation.
    pub auto: bool,
    /// Clockwise quarter turns, 0–3.
    pub quarter_turns: u8,
    /// Mirror left-right, after the turns.
    pub flip_horizontal: bool,
    /// Mirror top-bottom, after the turns.
    pub flip_vertical: bool,
}

impl Orient {
    /// EXIF orientation applied, nothing else.
    pub const AUTO: Orient = Orient {
        auto: true,
        quarter_turns: 0,
        flip_horizontal: false,
        flip_vertical: false,
    };
}

/// Cutting borders of one colour (imgproxy `trim`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trim {
    /// How far a colour may be from the background and still count as background.
    pub threshold: f64,
    /// The border colour; `None` takes the top-left pixel's.
    pub colour: Option<Rgb>,
    /// Cut as much on the left as on the right.
    pub equal_horizontal: bool,
    /// Cut as much on top as at the bottom.
    pub equal_vertical: bool,
}

/// The part of the source that is wanted, in the oriented image.
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
    /// A `w`×`h` window placed by `gravity` (imgproxy `crop`). A side below 1 is a
    /// fraction of the image's; 0 is the whole side.
    Gravity { w: f64, h: f64, gravity: Gravity },
}

/// How the resize target is reached (imgproxy's `resizing_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeMode {
    /// Keep the aspect ratio, fit inside the target.
    Fit,
    /// Keep the aspect ratio, cover the target, crop the overflow.
    Fill,
    /// `Fill`, but never enlarged: a small image is cropped to the target's ratio.
    FillDown,
    /// Exactly the target, the aspect ratio may change.
    Force,
    /// `Fill` when source and target have the same orientation, else `Fit`.
    Auto,
    /// As large as the output limits allow (IIIF `^max`).
    Max,
}

/// Whether a result larger than the region is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upscale {
    /// Enlarge to the target (IIIF `^`, imgproxy `enlarge:1`).
    Allow,
    /// Stop at the region's size (imgproxy's default).
    Clamp,
    /// A target larger than the region is a `400` (IIIF without `^`). Never part of the
    /// cache key: where it does not refuse, it renders what `Clamp` renders.
    Refuse,
}

/// The scaling of the region: a target box and how to reach it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resize {
    /// How the box is reached.
    pub mode: ResizeMode,
    /// Target width; 0 = from the height and the aspect ratio.
    pub width: u32,
    /// Target height; 0 = from the width and the aspect ratio.
    pub height: u32,
    /// The result is at least this wide (aspect ratio kept).
    pub min_width: u32,
    /// The result is at least this tall (aspect ratio kept).
    pub min_height: u32,
    /// Multiplies the scale (IIIF `pct:`, imgproxy `zoom`), per axis.
    pub zoom: (f64, f64),
    /// Device pixel ratio: multiplies target sizes, offsets and padding.
    pub dpr: f64,
    /// Whether the result may be larger than the region.
    pub upscale: Upscale,
}

impl Resize {
    /// No resize: the region as it is, within the output limits.
    pub const NONE: Resize = Resize {
        mode: ResizeMode::Fit,
        width: 0,
        height: 0,
        min_width: 0,
        min_height: 0,
        zoom: (1.0, 1.0),
        dpr: 1.0,
        upscale: Upscale::Clamp,
    };

    /// Whether the request names no size at all (the region as it is).
    pub fn is_none(&self) -> bool {
        self.mode != ResizeMode::Max
            && self.width == 0
            && self.height == 0
            && self.min_width == 0
            && self.min_height == 0
            && self.zoom == (1.0, 1.0)
            && self.dpr == 1.0
    }
}

/// Compass points, the centre, a focus point or the most interesting part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GravityKind {
    /// The middle (`ce`).
    Center,
    /// `no`.
    North,
    /// `so`.
    South,
    /// `ea`.
    East,
    /// `we`.
    West,
    /// `noea`.
    NorthEast,
    /// `nowe`.
    NorthWest,
    /// `soea`.
    SouthEast,
    /// `sowe`.
    SouthWest,
    /// `fp:x:y`: centre on a point given in fractions of the image (0–1).
    FocusPoint,
    /// `sm`: the window with the most detail, colour and skin (see `render::effects`).
    Smart,
}

/// Where a crop or an extension is placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gravity {
    /// The anchor.
    pub kind: GravityKind,
    /// Offset (compass points: pixels when ≥ 1, else a fraction) or focus point x.
    pub x: f64,
    /// Offset or focus point y.
    pub y: f64,
}

impl Gravity {
    /// The centre, no offset.
    pub const CENTER: Gravity = Gravity {
        kind: GravityKind::Center,
        x: 0.0,
        y: 0.0,
    };
}

/// Filters on the scaled image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Filters {
    /// Gaussian blur sigma; 0 = none.
    pub blur: f64,
    /// Sharpening sigma; 0 = none.
    pub sharpen: f64,
    /// Pixelation block size; 0 = none.
    pub pixelate: u32,
}

impl Filters {
    /// No filter.
    pub const NONE: Filters = Filters {
        blur: 0.0,
        sharpen: 0.0,
        pixelate: 0,
    };
}

/// Growing the canvas (with the background) rather than the image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extend {
    /// Extend to the requested size when the image is smaller (imgproxy `extend`).
    pub to_size: Option<Gravity>,
    /// Extend to the requested aspect ratio (imgproxy `extend_aspect_ratio`).
    pub to_aspect: Option<Gravity>,
}

impl Extend {
    /// No extension.
    pub const NONE: Extend = Extend {
        to_size: None,
        to_aspect: None,
    };
}

/// Margins around the result, in CSS order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Padding {
    /// Top margin.
    pub top: u32,
    /// Right margin.
    pub right: u32,
    /// Bottom margin.
    pub bottom: u32,
    /// Left margin.
    pub left: u32,
}

impl Padding {
    /// No margins.
    pub const NONE: Padding = Padding {
        top: 0,
        right: 0,
        bottom: 0,
        left: 0,
    };
}

/// An opaque colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

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
