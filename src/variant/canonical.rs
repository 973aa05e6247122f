//! The canonical text of a [`Variant`]: every field that changes the output, each written
//! only when it differs from its default, in one fixed order. It is what the cache key
//! hashes, so equal renders share a key whichever dialect asked for them, and adding a
//! field with a default leaves existing keys unchanged.

use super::model::{
    Extend, Filters, Gravity, GravityKind, Orient, Padding, Region, Resize, ResizeMode, Rgb,
    Rotation, Upscale, Variant,
};
use super::output::{Animation, Format, Metadata, OutputFormat};
use std::fmt::Write;

/// Writes a number without trailing zeros or exponent (at most 6 decimals).
pub(crate) fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn gravity(g: &Gravity) -> String {
    let kind = match g.kind {
        GravityKind::Center => "ce",
        GravityKind::North => "no",
        GravityKind::South => "so",
        GravityKind::East => "ea",
        GravityKind::West => "we",
        GravityKind::NorthEast => "noea",
        GravityKind::NorthWest => "nowe",
        GravityKind::SouthEast => "soea",
        GravityKind::SouthWest => "sowe",
        GravityKind::FocusPoint => "fp",
        GravityKind::Smart => "sm",
    };
    if g.x == 0.0 && g.y == 0.0 && g.kind != GravityKind::FocusPoint {
        kind.to_owned()
    } else {
        format!("{kind}:{}:{}", num(g.x), num(g.y))
    }
}

fn rgb(c: Rgb) -> String {
    format!("{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

impl Variant {
    /// The canonical encoding (see the module documentation).
    pub fn canonical(&self) -> String {
        let mut out = String::from("v2");
        let mut put = |name: &str, value: String| {
            let _ = write!(out, "/{name}:{value}");
        };
        let Orient {
            auto,
            quarter_turns,
            flip_horizontal,
            flip_vertical,
        } = self.orient;
        if !auto {
            put("ar", "0".into());
        }
        if quarter_turns != 0 || flip_horizontal || flip_vertical {
            put(
                "or",
                format!(
                    "{quarter_turns}:{}:{}",
                    flip_horizontal as u8, flip_vertical as u8
                ),
            );
        }
        if let Some(t) = &self.trim {
            let colour = t.colour.map(rgb).unwrap_or_default();
            put(
                "t",
                format!(
                    "{}:{colour}:{}:{}",
                    num(t.threshold),
                    t.equal_horizontal as u8,
                    t.equal_vertical as u8
                ),
            );
        }
        match self.region {
            Region::Full => {}
            Region::Square => put("r", "square".into()),
            Region::Pixels { x, y, w, h } => put("r", format!("{x},{y},{w},{h}")),
            Region::Percent { x, y, w, h } => put(
                "r",
                format!("pct:{},{},{},{}", num(x), num(y), num(w), num(h)),
            ),
            Region::Gravity { w, h, gravity: g } => {
                put("c", format!("{}:{}:{}", num(w), num(h), gravity(&g)))
            }
        }
        if !self.resize.is_none() {
            put("s", resize(&self.resize));
        }
        if self.gravity != Gravity::CENTER {
            put("g", gravity(&self.gravity));
        }
        let Filters {
            blur,
            sharpen,
            pixelate,
        } = self.filters;
        if blur > 0.0 {
            put("bl", num(blur));
        }
        if sharpen > 0.0 {
            put("sh", num(sharpen));
        }
        if pixelate > 1 {
            put("pix", pixelate.to_string());
        }
        let Extend { to_size, to_aspect } = self.extend;
        if let Some(g) = to_size {
            put("ex", gravity(&g));
        }
        if let Some(g) = to_aspect {
            put("exar", gravity(&g));
        }
        if self.padding != Padding::NONE {
            let Padding {
                top,
                right,
                bottom,
                left,
            } = self.padding;
            put("pd", format!("{top}:{right}:{bottom}:{left}"));
        }
        if let Some(c) = self.background {
            put("bg", rgb(c));
        }
        if self.rotation != Rotation::NONE {
            let Rotation { mirror, degrees } = self.rotation;
            put(
                "rot",
                format!("{}{}", if mirror { "!" } else { "" }, num(degrees)),
            );
        }
        if self.colour != super::Colour::Default {
            put("col", self.colour.as_str().into());
        }
        if let Some(q) = self.quality {
            put("q", q.to_string());
        }
        let mut fq = self.format_quality.clone();
        fq.sort();
        fq.dedup_by_key(|(f, _)| *f);
        for (f, q) in fq {
            put("fq", format!("{}:{q}", f.extension()));
        }
        if let Some(mb) = self.max_bytes {
            put("mb", mb.to_string());
        }
        if self.metadata != Metadata::STRIP {
            let Metadata {
                strip,
                keep_copyright,
                strip_colour_profile,
            } = self.metadata;
            put(
                "md",
                format!(
                    "{}:{}:{}",
                    strip as u8, keep_copyright as u8, strip_colour_profile as u8
                ),
            );
        }
        let mut skip: Vec<_> = self.passthrough.iter().map(|f| f.extension()).collect();
        skip.sort_unstable();
        if !skip.is_empty() {
            put("skp", skip.join(":"));
        }
        if let Some(cb) = &self.cachebuster {
            put("cb", cb.replace('/', "%2F"));
        }
        let name = |f: OutputFormat| match f {
            OutputFormat::Is(f) => f.extension(),
            OutputFormat::AsSource => "source",
        };
        match self.animation {
            Animation::InFormat => {}
            // Only PNG output differs; other formats keep their keys.
            Animation::NotPng if self.format == OutputFormat::Is(Format::Png) => {
                put("an", "still".into())
            }
            Animation::NotPng => {}
            Animation::As(f) => put("an", name(f).into()),
        }
        put("f", name(self.format).into());
        out
    }
}

fn resize(r: &Resize) -> String {
    let mode = match r.mode {
        ResizeMode::Fit => "fit",
        ResizeMode::Fill => "fill",
        ResizeMode::FillDown => "fill-down",
        ResizeMode::Force => "force",
        ResizeMode::Auto => "auto",
        ResizeMode::Max => "max",
    };
    // `Refuse` renders what `Clamp` renders whenever it renders at all.
    let enlarge = (r.upscale == Upscale::Allow) as u8;
    format!(
        "{mode}:{}:{}:{}:{}:{}:{}:{}:{enlarge}",
        r.width,
        r.height,
        r.min_width,
        r.min_height,
        num(r.zoom.0),
        num(r.zoom.1),
        num(r.dpr)
    )
}
