//! The IIIF Image API 3.0 URL grammar: `{identifier}/{region}/{size}/{rotation}/{quality}.{format}`
//! and `{identifier}/info.json`, parsed from the raw (still percent-encoded) path into the
//! IIIF parameters (whose canonical form the `Link` header carries) and a [`Variant`].

use crate::variant::canonical::num;
use crate::variant::{
    Colour as Quality, Format, OutputFormat, Region, Resize, ResizeMode, Rotation, Upscale,
    Variant, VariantError,
};
use percent_encoding::percent_decode_str;
use std::fmt;

/// How the extracted region is scaled. `upscale` is the IIIF `^` prefix: without it a
/// size larger than the region is an error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Size {
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

/// The parameters of an image request, normalised (`360` is `0`, `90.0` is `90`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Params {
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

impl Params {
    /// The dialect-free variant these parameters ask for.
    pub(crate) fn to_variant(&self) -> Variant {
        let mut v = Variant::new(OutputFormat::Is(self.format));
        v.region = self.region;
        let fit = |w: u32, h: u32, mode: ResizeMode, upscale: bool| Resize {
            mode,
            width: w,
            height: h,
            upscale: if upscale {
                Upscale::Allow
            } else {
                Upscale::Refuse
            },
            ..Resize::NONE
        };
        v.resize = match self.size {
            Size::Max { upscale: false } => Resize::NONE,
            Size::Max { upscale: true } => fit(0, 0, ResizeMode::Max, true),
            Size::Width { w, upscale } => fit(w, 0, ResizeMode::Fit, upscale),
            Size::Height { h, upscale } => fit(0, h, ResizeMode::Fit, upscale),
            Size::Exact { w, h, upscale } => fit(w, h, ResizeMode::Force, upscale),
            Size::Fit { w, h, upscale } => fit(w, h, ResizeMode::Fit, upscale),
            Size::Percent { pct, upscale } => Resize {
                zoom: (pct / 100.0, pct / 100.0),
                ..fit(0, 0, ResizeMode::Fit, upscale)
            },
        };
        v.rotation = self.rotation;
        v.colour = self.quality;
        // An animated source stays animated in gif and webp; `png`, like `jpg`, names a
        // picture: the first frame.
        v.animation = crate::variant::Animation::NotPng;
        v
    }
}

/// What a path under `/iiif/3/` asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IiifRequest {
    /// `{identifier}`: redirect to the info document.
    Base { identifier: String },
    /// `{identifier}/info.json`.
    Info { identifier: String },
    /// `{identifier}/{region}/{size}/{rotation}/{quality}.{format}`.
    Image { identifier: String, params: Params },
}

fn malformed(msg: impl Into<String>) -> VariantError {
    VariantError::Malformed(msg.into())
}

/// Percent-decodes one path segment. Invalid UTF-8 is malformed.
fn decode(segment: &str) -> Result<String, VariantError> {
    percent_decode_str(segment)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| malformed("path segment is not valid UTF-8 once percent-decoded"))
}

/// Parses the raw path that follows `/iiif/3/`. The specification asks clients to encode
/// slashes inside identifiers (`%2F`); unencoded ones are accepted too (the identifier is
/// then everything before the last four segments, or before `info.json`), so that
/// `photos/2024/a.jpg` works either way. The decoded identifier is returned as is; the
/// source decides whether it names anything.
pub(crate) fn parse_path(raw: &str) -> Result<IiifRequest, VariantError> {
    let segments: Vec<&str> = raw.split('/').collect();
    let n = segments.len();
    let identifier = |segs: &[&str]| -> Result<String, VariantError> {
        let parts = segs
            .iter()
            .map(|s| decode(s))
            .collect::<Result<Vec<_>, _>>()?;
        let id = parts.join("/");
        if id.is_empty() {
            return Err(malformed("empty identifier"));
        }
        Ok(id)
    };
    if n >= 2 && segments[n - 1] == "info.json" {
        return Ok(IiifRequest::Info {
            identifier: identifier(&segments[..n - 1])?,
        });
    }
    match n {
        1 => Ok(IiifRequest::Base {
            identifier: identifier(&segments)?,
        }),
        5.. => {
            let identifier = identifier(&segments[..n - 4])?;
            let params = parse_segments(&segments[n - 4..])?;
            Ok(IiifRequest::Image { identifier, params })
        }
        _ => Err(malformed(
            "expected {identifier}/info.json or {identifier}/{region}/{size}/{rotation}/{quality}.{format}",
        )),
    }
}

/// Parses `{region}/{size}/{rotation}/{quality}.{format}` into the variant it asks for.
pub fn parse_params(tail: &str) -> Result<Variant, VariantError> {
    parse_iiif_params(tail).map(|p| p.to_variant())
}

/// Parses `{region}/{size}/{rotation}/{quality}.{format}`.
pub(crate) fn parse_iiif_params(tail: &str) -> Result<Params, VariantError> {
    let segments: Vec<&str> = tail.split('/').collect();
    if segments.len() != 4 {
        return Err(malformed(
            "expected {region}/{size}/{rotation}/{quality}.{format}",
        ));
    }
    parse_segments(&segments)
}

fn parse_segments(segments: &[&str]) -> Result<Params, VariantError> {
    let region = parse_region(&decode(segments[0])?)?;
    let size = parse_size(&decode(segments[1])?)?;
    let rotation = parse_rotation(&decode(segments[2])?)?;
    let last = decode(segments[3])?;
    let (quality, format) = last
        .rsplit_once('.')
        .ok_or_else(|| malformed("expected {quality}.{format}"))?;
    Ok(Params {
        region,
        size,
        rotation,
        quality: parse_quality(quality)?,
        format: parse_format(format)?,
    })
}

/// An unsigned integer made only of decimal digits.
fn int(s: &str, what: &str) -> Result<u32, VariantError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(format!("{what}: '{s}' is not an integer")));
    }
    s.parse()
        .map_err(|_| malformed(format!("{what}: '{s}' is too large")))
}

/// A non-negative decimal number made only of digits and at most one '.'.
fn float(s: &str, what: &str) -> Result<f64, VariantError> {
    let dots = s.bytes().filter(|&b| b == b'.').count();
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    if digits == 0 || dots > 1 || digits + dots != s.len() {
        return Err(malformed(format!("{what}: '{s}' is not a decimal number")));
    }
    let v: f64 = s
        .parse()
        .map_err(|_| malformed(format!("{what}: '{s}' is not a decimal number")))?;
    if !v.is_finite() {
        return Err(malformed(format!("{what}: '{s}' is out of range")));
    }
    // Kept at the precision of the canonical form (six decimals), so that a request is
    // the variant its cache key names: `0.0000001` degrees was a rotation whose key said
    // `rot:0`, and its canonical URL another variant (found by fuzzing).
    num(v)
        .parse()
        .map_err(|_| malformed(format!("{what}: '{s}' is out of range")))
}

fn four<T>(
    s: &str,
    what: &str,
    f: impl Fn(&str, &str) -> Result<T, VariantError>,
) -> Result<[T; 4], VariantError> {
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() != 4 {
        return Err(malformed(format!(
            "{what}: expected four comma-separated values"
        )));
    }
    Ok([
        f(parts[0], what)?,
        f(parts[1], what)?,
        f(parts[2], what)?,
        f(parts[3], what)?,
    ])
}

fn parse_region(s: &str) -> Result<Region, VariantError> {
    match s {
        "full" => Ok(Region::Full),
        "square" => Ok(Region::Square),
        _ => {
            if let Some(rest) = s.strip_prefix("pct:") {
                let [x, y, w, h] = four(rest, "region", float)?;
                if x > 100.0 || y > 100.0 {
                    return Err(VariantError::Invalid(
                        "region starts outside the image".into(),
                    ));
                }
                Ok(Region::Percent { x, y, w, h })
            } else {
                let [x, y, w, h] = four(s, "region", int)?;
                Ok(Region::Pixels { x, y, w, h })
            }
        }
    }
}

fn parse_size(s: &str) -> Result<Size, VariantError> {
    let (upscale, s) = match s.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if s == "max" {
        return Ok(Size::Max { upscale });
    }
    if let Some(rest) = s.strip_prefix("pct:") {
        let pct = float(rest, "size")?;
        if pct <= 0.0 {
            return Err(VariantError::Invalid(
                "size: pct must be greater than zero".into(),
            ));
        }
        return Ok(Size::Percent { pct, upscale });
    }
    let (fit, s) = match s.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (w, h) = s
        .split_once(',')
        .ok_or_else(|| malformed(format!("size: '{s}' is not max, pct:n, w, ,h, w,h or !w,h")))?;
    match (w.is_empty(), h.is_empty(), fit) {
        (false, true, false) => Ok(Size::Width {
            w: int(w, "size")?,
            upscale,
        }),
        (true, false, false) => Ok(Size::Height {
            h: int(h, "size")?,
            upscale,
        }),
        (false, false, false) => Ok(Size::Exact {
            w: int(w, "size")?,
            h: int(h, "size")?,
            upscale,
        }),
        (false, false, true) => Ok(Size::Fit {
            w: int(w, "size")?,
            h: int(h, "size")?,
            upscale,
        }),
        _ => Err(malformed(format!("size: '{s}' is incomplete"))),
    }
}

fn parse_rotation(s: &str) -> Result<Rotation, VariantError> {
    let (mirror, s) = match s.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let degrees = float(s, "rotation")?;
    if degrees > 360.0 {
        return Err(malformed("rotation: degrees must be between 0 and 360"));
    }
    Ok(Rotation {
        mirror,
        degrees: if degrees == 360.0 { 0.0 } else { degrees },
    })
}

fn parse_quality(s: &str) -> Result<Quality, VariantError> {
    match s {
        "default" => Ok(Quality::Default),
        "color" => Ok(Quality::Color),
        "gray" => Ok(Quality::Gray),
        "bitonal" => Ok(Quality::Bitonal),
        _ => Err(malformed(format!(
            "quality: '{s}' is not default, color, gray or bitonal"
        ))),
    }
}

fn parse_format(s: &str) -> Result<Format, VariantError> {
    match s {
        "jpg" => Ok(Format::Jpeg),
        "png" => Ok(Format::Png),
        "webp" => Ok(Format::Webp),
        "avif" => Ok(Format::Avif),
        "gif" => Ok(Format::Gif),
        "tif" | "jp2" | "pdf" => Err(VariantError::Unsupported(format!(
            "format '{s}' is not implemented; use jpg, png, webp, avif or gif"
        ))),
        _ => Err(malformed(format!(
            "format: '{s}' is not jpg, png, webp, avif or gif"
        ))),
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (up, body) = match *self {
            Size::Max { upscale } => (upscale, "max".to_owned()),
            Size::Width { w, upscale } => (upscale, format!("{w},")),
            Size::Height { h, upscale } => (upscale, format!(",{h}")),
            Size::Percent { pct, upscale } => (upscale, format!("pct:{}", num(pct))),
            Size::Exact { w, h, upscale } => (upscale, format!("{w},{h}")),
            Size::Fit { w, h, upscale } => (upscale, format!("!{w},{h}")),
        };
        write!(f, "{}{body}", if up { "^" } else { "" })
    }
}

fn region_str(region: &Region) -> String {
    match *region {
        Region::Full | Region::Gravity { .. } => "full".to_owned(),
        Region::Square => "square".to_owned(),
        Region::Pixels { x, y, w, h } => format!("{x},{y},{w},{h}"),
        Region::Percent { x, y, w, h } => {
            format!("pct:{},{},{},{}", num(x), num(y), num(w), num(h))
        }
    }
}

impl fmt::Display for Params {
    /// The canonical IIIF path tail: `{region}/{size}/{rotation}/{quality}.{format}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mirror = if self.rotation.mirror { "!" } else { "" };
        write!(
            f,
            "{}/{}/{mirror}{}/{}.{}",
            region_str(&self.region),
            self.size,
            num(self.rotation.degrees),
            self.quality.as_str(),
            self.format.extension()
        )
    }
}

#[cfg(test)]
#[path = "iiif_tests.rs"]
mod tests;
