//! imgproxy's processing options (`name:arg:arg`, full and short names), applied in URL
//! order onto an [`Options`] record that starts from imgproxy's defaults, then turned into
//! a [`Variant`]. Semantics follow imgproxy's `processing.mdx`; where vignette departs,
//! the option's comment says so.

use super::Presets;
use super::args::{
    at_most, bad, boolean, extend, format, gravity, hex_colour, number, quality, uint,
};
use crate::variant::{
    Extend, Filters, Format, Gravity, Metadata, Orient, OutputFormat, Padding, Region, Resize,
    ResizeMode, Rgb, Trim, Upscale, Variant, VariantError,
};

/// Options as the URL set them, before they become a [`Variant`].
#[derive(Debug, Clone)]
pub(super) struct Options {
    /// `resizing_type`, sizes, minimums, zoom, DPR and `enlarge` (as `Clamp`/`Allow`).
    resize: Resize,
    extend: Option<Gravity>,
    extend_aspect: Option<Gravity>,
    gravity: Gravity,
    crop: Option<(f64, f64, Option<Gravity>)>,
    trim: Option<Trim>,
    padding: Padding,
    auto_rotate: bool,
    rotate: u8,
    flip: (bool, bool),
    background: Option<Rgb>,
    filters: Filters,
    metadata: Metadata,
    quality: u8,
    format_quality: Vec<(Format, u8)>,
    max_bytes: u64,
    pub(super) format: Option<Format>,
    skip_processing: Vec<Format>,
    cachebuster: Option<String>,
    pub(super) expires: Option<i64>,
    pub(super) filename: Option<String>,
    pub(super) attachment: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            resize: Resize::NONE,
            extend: None,
            extend_aspect: None,
            gravity: Gravity::CENTER,
            crop: None,
            trim: None,
            padding: Padding::NONE,
            auto_rotate: true,
            rotate: 0,
            flip: (false, false),
            background: None,
            filters: Filters::NONE,
            metadata: Metadata::STRIP,
            quality: 0,
            format_quality: Vec::new(),
            max_bytes: 0,
            format: None,
            skip_processing: Vec::new(),
            cachebuster: None,
            expires: None,
            filename: None,
            attachment: false,
        }
    }
}

/// imgproxy's `enlarge`.
fn upscale(enlarge: bool) -> Upscale {
    if enlarge {
        Upscale::Allow
    } else {
        Upscale::Clamp
    }
}

impl Options {
    /// Applies one option. `depth` guards presets that name themselves.
    pub(super) fn apply(
        &mut self,
        name: &str,
        args: &[&str],
        presets: &Presets,
        depth: usize,
    ) -> Result<(), VariantError> {
        let first = || args.first().copied().unwrap_or_default();
        match name {
            "resize" | "rs" => {
                if args.len() > 8 {
                    return Err(bad(name, args));
                }
                if !first().is_empty() {
                    self.apply("rt", &args[..1], presets, depth)?;
                }
                if args.len() > 1 {
                    self.apply("s", &args[1..], presets, depth)?;
                }
            }
            "size" | "s" => {
                if args.len() > 7 {
                    return Err(bad(name, args));
                }
                let set = |i: usize| args.get(i).filter(|a| !a.is_empty());
                if let Some(w) = set(0) {
                    self.resize.width = uint(name, w)?;
                }
                if let Some(h) = set(1) {
                    self.resize.height = uint(name, h)?;
                }
                if let Some(e) = set(2) {
                    self.resize.upscale = upscale(boolean(name, e)?);
                }
                if set(3).is_some() {
                    self.extend = extend(name, &args[3..])?;
                }
            }
            "resizing_type" | "rt" => {
                at_most(name, args, 1)?;
                self.resize.mode = match first() {
                    "fit" => ResizeMode::Fit,
                    "fill" => ResizeMode::Fill,
                    "fill-down" => ResizeMode::FillDown,
                    "force" => ResizeMode::Force,
                    "auto" => ResizeMode::Auto,
                    _ => return Err(bad(name, args)),
                };
            }
            "width" | "w" => {
                at_most(name, args, 1)?;
                self.resize.width = uint(name, first())?;
            }
            "height" | "h" => {
                at_most(name, args, 1)?;
                self.resize.height = uint(name, first())?;
            }
            "min-width" | "mw" => {
                at_most(name, args, 1)?;
                self.resize.min_width = uint(name, first())?;
            }
            "min-height" | "mh" => {
                at_most(name, args, 1)?;
                self.resize.min_height = uint(name, first())?;
            }
            "zoom" | "z" => {
                at_most(name, args, 2)?;
                let x = number(name, args[0], 0.0, true)?;
                let y = match args.get(1) {
                    Some(y) => number(name, y, 0.0, true)?,
                    None => x,
                };
                self.resize.zoom = (x, y);
            }
            "dpr" => {
                at_most(name, args, 1)?;
                self.resize.dpr = number(name, first(), 0.0, true)?;
            }
            "enlarge" | "el" => {
                at_most(name, args, 1)?;
                self.resize.upscale = upscale(boolean(name, first())?);
            }
            "extend" | "ex" => self.extend = extend(name, args)?,
            "extend_aspect_ratio" | "extend_ar" | "exar" => {
                self.extend_aspect = extend(name, args)?;
            }
            "gravity" | "g" => self.gravity = gravity(name, args, true)?,
            "crop" | "c" => {
                at_most(name, args, 5)?;
                let w = number(name, first(), 0.0, false)?;
                let h = match args.get(1) {
                    Some(h) => number(name, h, 0.0, false)?,
                    None => 0.0,
                };
                let g = match args.get(2) {
                    Some(_) => Some(gravity(name, &args[2..], true)?),
                    None => None,
                };
                self.crop = Some((w, h, g));
            }
            "trim" | "t" => {
                at_most(name, args, 4)?;
                let set = |i: usize| args.get(i).filter(|a| !a.is_empty());
                let threshold = match set(0) {
                    Some(t) => number(name, t, f64::MIN, false)?,
                    None => 10.0,
                };
                self.trim = Some(Trim {
                    threshold,
                    colour: set(1).map(|c| hex_colour(name, c)).transpose()?,
                    equal_horizontal: set(2)
                        .map(|b| boolean(name, b))
                        .transpose()?
                        .unwrap_or(false),
                    equal_vertical: set(3)
                        .map(|b| boolean(name, b))
                        .transpose()?
                        .unwrap_or(false),
                });
            }
            "padding" | "pd" => {
                at_most(name, args, 4)?;
                let set = |i: usize| args.get(i).filter(|a| !a.is_empty());
                let top = set(0).map(|v| uint(name, v)).transpose()?.unwrap_or(0);
                let right = set(1).map(|v| uint(name, v)).transpose()?.unwrap_or(top);
                let bottom = set(2).map(|v| uint(name, v)).transpose()?.unwrap_or(top);
                let left = set(3).map(|v| uint(name, v)).transpose()?.unwrap_or(right);
                self.padding = Padding {
                    top,
                    right,
                    bottom,
                    left,
                };
            }
            "auto_rotate" | "ar" => {
                at_most(name, args, 1)?;
                self.auto_rotate = boolean(name, first())?;
            }
            "rotate" | "rot" => {
                at_most(name, args, 1)?;
                let angle: i64 = first().parse().map_err(|_| bad(name, args))?;
                if angle % 90 != 0 {
                    return Err(VariantError::Malformed(
                        "rotate: the angle must be a multiple of 90".into(),
                    ));
                }
                self.rotate = (angle.rem_euclid(360) / 90) as u8;
            }
            "flip" | "fl" => {
                at_most(name, args, 2)?;
                if !first().is_empty() {
                    self.flip.0 = boolean(name, first())?;
                }
                if let Some(v) = args.get(1).filter(|a| !a.is_empty()) {
                    self.flip.1 = boolean(name, v)?;
                }
            }
            "background" | "bg" => {
                self.background = match args {
                    [""] => None,
                    [hex] => Some(hex_colour(name, hex)?),
                    [r, g, b] => {
                        let c = |v: &str| v.parse::<u8>().map_err(|_| bad(name, args));
                        Some(Rgb(c(r)?, c(g)?, c(b)?))
                    }
                    _ => return Err(bad(name, args)),
                };
            }
            "blur" | "bl" => {
                at_most(name, args, 1)?;
                self.filters.blur = number(name, first(), 0.0, false)?;
            }
            "sharpen" | "sh" => {
                at_most(name, args, 1)?;
                self.filters.sharpen = number(name, first(), 0.0, false)?;
            }
            "pixelate" | "pix" => {
                at_most(name, args, 1)?;
                self.filters.pixelate = uint(name, first())?;
            }
            "strip_metadata" | "sm" => {
                at_most(name, args, 1)?;
                self.metadata.strip = boolean(name, first())?;
            }
            "keep_copyright" | "kcr" => {
                at_most(name, args, 1)?;
                self.metadata.keep_copyright = boolean(name, first())?;
            }
            "strip_color_profile" | "scp" => {
                at_most(name, args, 1)?;
                self.metadata.strip_colour_profile = boolean(name, first())?;
            }
            "quality" | "q" => {
                at_most(name, args, 1)?;
                self.quality = quality(name, first())?;
            }
            "format_quality" | "fq" => {
                if args.is_empty() || !args.len().is_multiple_of(2) {
                    return Err(bad(name, args));
                }
                for pair in args.chunks(2) {
                    let f = format(name, pair[0])?;
                    let q = quality(name, pair[1])?;
                    self.format_quality.retain(|(g, _)| *g != f);
                    if q > 0 {
                        self.format_quality.push((f, q));
                    }
                }
            }
            "max_bytes" | "mb" => {
                at_most(name, args, 1)?;
                self.max_bytes = first().parse().map_err(|_| bad(name, args))?;
            }
            "format" | "f" | "ext" => {
                at_most(name, args, 1)?;
                self.format = Some(format(name, first())?);
            }
            // `sp` is what imgproxy-node writes.
            "skip_processing" | "skp" | "sp" => {
                for a in args {
                    let f = format(name, a)?;
                    if !self.skip_processing.contains(&f) {
                        self.skip_processing.push(f);
                    }
                }
            }
            "cachebuster" | "cb" => {
                at_most(name, args, 1)?;
                self.cachebuster = Some(first().to_owned()).filter(|s| !s.is_empty());
            }
            "expires" | "exp" => {
                at_most(name, args, 1)?;
                self.expires = Some(first().parse().map_err(|_| bad(name, args))?);
            }
            "filename" | "fn" => {
                at_most(name, args, 2)?;
                let encoded = match args.get(1).filter(|a| !a.is_empty()) {
                    Some(e) => boolean(name, e)?,
                    None => false,
                };
                let value = if encoded {
                    let bytes = super::base64url(first()).ok_or_else(|| bad(name, args))?;
                    String::from_utf8(bytes).map_err(|_| bad(name, args))?
                } else {
                    first().to_owned()
                };
                self.filename = Some(value).filter(|s| !s.is_empty());
            }
            "return_attachment" | "att" => {
                at_most(name, args, 1)?;
                self.attachment = boolean(name, first())?;
            }
            "preset" | "pr" => {
                for preset in args {
                    presets.apply(preset, self, depth)?;
                }
            }
            "watermark"
            | "wm"
            | "raw"
            | "preserve_hdr"
            | "ph"
            | "enforce_thumbnail"
            | "eth"
            | "max_src_resolution"
            | "msr"
            | "max_src_file_size"
            | "msfs"
            | "max_animation_frames"
            | "maf"
            | "max_animation_frame_resolution"
            | "mafr"
            | "max_result_dimension"
            | "mrd" => {
                return Err(VariantError::Malformed(format!(
                    "the option {name} is not supported by vignette"
                )));
            }
            _ => {
                return Err(VariantError::Malformed(format!(
                    "unknown processing option: {name}"
                )));
            }
        }
        Ok(())
    }

    /// The variant these options ask for; `format` is the format the URL names, if any
    /// (`None`: negotiated or the source's, decided by the caller).
    pub(super) fn into_variant(self, format: OutputFormat) -> Variant {
        let mut v = Variant::new(format);
        v.orient = Orient {
            auto: self.auto_rotate,
            quarter_turns: self.rotate,
            flip_horizontal: self.flip.0,
            flip_vertical: self.flip.1,
        };
        v.trim = self.trim;
        if let Some((w, h, g)) = self.crop
            && (w > 0.0 || h > 0.0)
        {
            v.region = Region::Gravity {
                w,
                h,
                gravity: g.unwrap_or(self.gravity),
            };
        }
        v.resize = self.resize;
        let r = &mut v.resize;
        if (r.width == 0 || r.height == 0) && r.mode != ResizeMode::Force {
            // With one side free every mode but `force` scales by the other side alone.
            r.mode = ResizeMode::Fit;
        }
        v.gravity = self.gravity;
        v.filters = self.filters;
        v.extend = Extend {
            to_size: self.extend,
            to_aspect: self.extend_aspect,
        };
        v.padding = self.padding;
        v.background = self.background;
        v.quality = Some(self.quality).filter(|&q| q > 0);
        v.format_quality = self.format_quality;
        v.set_format(format);
        v.max_bytes = Some(self.max_bytes).filter(|&b| b > 0);
        v.metadata = self.metadata;
        v.passthrough = self.skip_processing;
        v.cachebuster = self.cachebuster;
        v
    }
}
