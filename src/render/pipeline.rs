//! The render pipeline, stage by stage: sniff → header → limits → plan → decode (shrink on
//! load) → crop + resize → colour to sRGB → orientation → alpha policy → mirror/rotate →
//! quality → encode. Everything up to the resize works in the source's stored orientation,
//! so no stage ever rotates or colour-converts a large image. The decode's result (an
//! [`Intermediate`]) can be kept, and later requests start from it instead of the bytes.

use super::animation;
use super::decode::{self, Decoded};
use super::effects::trim;
use super::encode;
use super::header::{self, Header, HeaderError};
use super::intermediate::{Intermediate, IntermediateCache, SourceKey};
use super::metadata::{self, Kept};
use super::orientation::Orientation;
use super::raster::Layout;
use super::resize;
use super::scale::shrink_on_load;
use super::sniff::{self, Sniffed};
use super::transform;
use super::{Deadline, EncodeSettings, Limits, Probe, RenderError, Rendered, SourceFormat};
use crate::variant::plan::{self, Plan};
use crate::variant::{Format, OutputFormat, Rect, Variant};
use std::sync::Arc;

/// Sniffs the format; `prefix` says whether more bytes could follow.
fn format_of(bytes: &[u8], prefix: bool) -> Result<SourceFormat, RenderError> {
    match sniff::sniff(bytes) {
        Sniffed::Known(f) => Ok(f),
        Sniffed::TooShort if prefix => Err(RenderError::NeedMoreData),
        Sniffed::TooShort if bytes.is_empty() => {
            Err(RenderError::UnsupportedFormat("empty source".into()))
        }
        Sniffed::Refused(name) => Err(RenderError::UnsupportedFormat(format!(
            "{name} is not accepted"
        ))),
        Sniffed::TooShort | Sniffed::Unknown => Err(RenderError::UnsupportedFormat(
            "not a JPEG, PNG, GIF, WebP, AVIF, JPEG XL or HEIF image".into(),
        )),
    }
}

fn header_of(format: SourceFormat, bytes: &[u8], prefix: bool) -> Result<Header, RenderError> {
    header::read(format, bytes).map_err(|e| match e {
        HeaderError::NeedMoreData if prefix => RenderError::NeedMoreData,
        HeaderError::NeedMoreData => RenderError::Corrupt("truncated header".into()),
        HeaderError::Corrupt(msg) => RenderError::Corrupt(msg.into()),
    })
}

/// See [`super::probe`].
pub(crate) fn probe(bytes: &[u8]) -> Result<Probe, RenderError> {
    let format = format_of(bytes, true)?;
    let h = header_of(format, bytes, true)?;
    let (width, height) = h.orientation.displayed_size(h.width, h.height);
    Ok(Probe {
        format,
        width,
        height,
        orientation: h.orientation.value(),
        frames: h.frames,
    })
}

/// What a request needs, resolved against a header: the plan, the orientation that takes
/// stored pixels to the oriented image, the region and target size in stored orientation,
/// the scale a fresh decode would use, and the encoding.
#[derive(Debug)]
pub(super) struct Target {
    pub(super) plan: Plan,
    pub(super) orientation: Orientation,
    pub(super) region: Rect,
    pub(super) tw: u32,
    pub(super) th: u32,
    pub(super) shrink: u32,
    /// The output format as asked: the source's is only known for sure once decoded
    /// (WebP and AVIF sources become PNG with alpha, JPEG without).
    output: OutputFormat,
    pub(super) quality: Option<u8>,
    max_bytes: Option<u64>,
    /// The region's place is chosen from the pixels (a crop with smart gravity).
    pub(super) smart_region: bool,
    /// Where the (trimmed) image the plan refers to starts in the stored image.
    pub(super) offset: (u32, u32),
    pub(super) filters: crate::variant::Filters,
    metadata: crate::variant::Metadata,
    /// Frames rendered: the header's count when the render animates, else 1.
    pub(super) frames: u32,
}

/// The format of `source` as an output format, when vignette writes it (JPEG XL and HEIF
/// are read, never written: browsers other than Safari do not show them).
pub(super) fn same_format(source: SourceFormat) -> Option<Format> {
    match source {
        SourceFormat::Jpeg => Some(Format::Jpeg),
        SourceFormat::Png => Some(Format::Png),
        SourceFormat::Gif => Some(Format::Gif),
        SourceFormat::Webp => Some(Format::Webp),
        SourceFormat::Avif => Some(Format::Avif),
        SourceFormat::Jxl | SourceFormat::Heif => None,
    }
}

/// Sources whose "as source" output is decided from the decoded pixels: PNG when they
/// have transparency, JPEG otherwise (imgproxy's answer for formats it does not write).
/// WebP and AVIF are among them because they are the formats `Accept` negotiation is for.
fn as_source_by_alpha(source: SourceFormat) -> bool {
    matches!(
        source,
        SourceFormat::Webp | SourceFormat::Avif | SourceFormat::Jxl | SourceFormat::Heif
    )
}

pub(super) fn target(
    header: &Header,
    variant: &Variant,
    limits: &Limits,
) -> Result<Target, RenderError> {
    let exif = if variant.orient.auto {
        header.orientation
    } else {
        Orientation::NORMAL
    };
    let o = exif.then(Orientation::from_turns_and_flips(
        variant.orient.quarter_turns,
        variant.orient.flip_horizontal,
        variant.orient.flip_vertical,
    ));
    let (dw, dh) = o.displayed_size(header.width, header.height);
    let animated = animation::animated_format(header, variant, limits);
    let format = match (animated, variant.format) {
        (Some(f), _) => f,
        (None, OutputFormat::Is(f)) => f,
        // Decided after the decode; PNG is the larger of the two candidates' limits.
        (None, OutputFormat::AsSource) => match same_format(header.format) {
            Some(f) if !as_source_by_alpha(header.format) => f,
            _ => Format::Png,
        },
    };
    let plan = plan::resolve(variant, dw, dh, format, &limits.plan)?;
    let (ow, oh) = plan.output_size();
    encode::check_dimensions(plan.format, ow, oh)?;
    let region = o.rect_to_stored(plan.region, header.width, header.height);
    let (tw, th) = o.displayed_size(plan.width, plan.height);
    Ok(Target {
        shrink: shrink_on_load(region, tw, th),
        quality: variant.quality_for(format),
        max_bytes: variant.max_bytes,
        output: match animated {
            Some(f) => OutputFormat::Is(f),
            None => variant.format,
        },
        frames: if animated.is_some() { header.frames } else { 1 },
        orientation: o,
        smart_region: matches!(
            variant.region,
            crate::variant::Region::Gravity { gravity, .. } if gravity.kind == crate::variant::GravityKind::Smart
        ),
        offset: (0, 0),
        filters: variant.filters,
        metadata: variant.metadata,
        plan,
        region,
        tw,
        th,
    })
}

/// A source decoded for one request; see [`super::prepare`].
#[derive(Debug)]
pub(crate) struct Prepared(Stage);

#[derive(Debug)]
enum Stage {
    /// Decoded, to be finished.
    Decoded {
        intermediate: Arc<Intermediate>,
        target: Target,
    },
    /// The source's bytes are the answer (imgproxy `skip_processing`).
    AsIs(Rendered),
    /// An animation, decoded frame by frame while it is encoded: it keeps its bytes.
    Animated {
        bytes: Vec<u8>,
        header: Header,
        target: Target,
        /// Bounds a GIF frame larger than its screen, as for a still.
        max_pixels: u64,
    },
}

/// See [`super::render`] and [`super::render_keeping`].
pub(crate) fn render(
    bytes: &[u8],
    variant: &Variant,
    limits: &Limits,
    settings: &EncodeSettings,
    deadline: &Deadline,
    keep: Option<(&IntermediateCache, &SourceKey)>,
) -> Result<Rendered, RenderError> {
    finish_prepared(
        prepare(bytes, variant, limits, deadline, keep)?,
        settings,
        deadline,
    )
}

/// The second half of [`super::render`]: resize, colour, orientation, quality and
/// encoding.
pub(crate) fn finish_prepared(
    prepared: Prepared,
    settings: &EncodeSettings,
    deadline: &Deadline,
) -> Result<Rendered, RenderError> {
    match prepared.0 {
        Stage::Decoded {
            intermediate,
            target,
        } => finish(intermediate, &target, settings, deadline),
        Stage::AsIs(rendered) => Ok(rendered),
        Stage::Animated {
            bytes,
            header,
            target,
            max_pixels,
        } => animation::render(&bytes, &header, &target, max_pixels, (settings, deadline)),
    }
}

/// The first half of [`super::render`]: checks the limits, plans `variant` and decodes
/// `bytes` (keeping the decode in `keep`'s cache, as [`super::render_keeping`] does, when
/// given). The result no longer needs the source: dropping the bytes before
/// [`finish_prepared`] lowers the render's peak memory by the size of the source.
pub(crate) fn prepare(
    bytes: &[u8],
    variant: &Variant,
    limits: &Limits,
    deadline: &Deadline,
    keep: Option<(&IntermediateCache, &SourceKey)>,
) -> Result<Prepared, RenderError> {
    if bytes.len() as u64 > limits.max_source_bytes {
        return Err(RenderError::TooLarge(format!(
            "source is larger than {} bytes",
            limits.max_source_bytes
        )));
    }
    let format = format_of(bytes, false)?;
    let header = header_of(format, bytes, false)?;
    if header.pixels() > limits.max_source_pixels {
        return Err(RenderError::TooLarge(format!(
            "{}x{} exceeds the limit of {} pixels",
            header.width, header.height, limits.max_source_pixels
        )));
    }
    deadline.check("header")?;

    if let Some(format) = same_format(header.format)
        && variant.passthrough.contains(&format)
    {
        let (width, height) = header
            .orientation
            .displayed_size(header.width, header.height);
        return Ok(Prepared(Stage::AsIs(Rendered {
            bytes: bytes.to_vec(),
            format,
            width,
            height,
            average: None,
        })));
    }
    if let Some(trim) = &variant.trim {
        return prepare_trimmed(bytes, header, variant, trim, limits, deadline);
    }
    let t = target(&header, variant, limits)?;
    if t.frames > 1 {
        // Not kept as an intermediate: a decode is one frame, not the source.
        return Ok(Prepared(Stage::Animated {
            bytes: bytes.to_vec(),
            header,
            target: t,
            max_pixels: limits.max_source_pixels,
        }));
    }
    let shrink = match keep {
        Some((cache, key)) => cache.decode_shrink(key, &header, t.shrink),
        None => t.shrink,
    };
    if let Some((cache, _)) = keep {
        cache.make_room(&header, shrink);
    }
    let decoded = decode::decode(bytes, &header, shrink, limits.max_source_pixels)?;
    deadline.check("decode")?;
    let exif = metadata::exif_of(bytes, header.format);
    let intermediate = Arc::new(Intermediate::new(header, decoded, shrink, exif));
    if let Some((cache, key)) = keep {
        cache.insert(key, intermediate.clone());
    }
    Ok(Prepared(Stage::Decoded {
        intermediate,
        target: t,
    }))
}

/// A trimmed render: the whole source is decoded (the borders are found in its pixels),
/// then the plan refers to the part inside them. Not kept as an intermediate.
fn prepare_trimmed(
    bytes: &[u8],
    header: Header,
    variant: &Variant,
    trim: &crate::variant::Trim,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<Prepared, RenderError> {
    let decoded = decode::decode(bytes, &header, 1, limits.max_source_pixels)?;
    deadline.check("decode")?;
    let colour = trim.colour.map(|c| [c.0, c.1, c.2]);
    let found = trim::find_trim(
        &decoded.raster,
        trim.threshold,
        colour,
        trim.equal_horizontal,
        trim.equal_vertical,
    );
    let mut inner = header.clone();
    let offset = match found {
        Some(r) => {
            (inner.width, inner.height) = (r.w, r.h);
            (r.x, r.y)
        }
        None => (0, 0),
    };
    let mut t = target(&inner, variant, limits)?;
    t.offset = offset;
    let exif = metadata::exif_of(bytes, header.format);
    let intermediate = Arc::new(Intermediate::new(header, decoded, 1, exif));
    Ok(Prepared(Stage::Decoded {
        intermediate,
        target: t,
    }))
}

/// See [`super::render_cached`].
pub(crate) fn render_cached(
    cache: &IntermediateCache,
    key: &SourceKey,
    variant: &Variant,
    limits: &Limits,
    settings: &EncodeSettings,
    deadline: &Deadline,
) -> Option<Result<Rendered, RenderError>> {
    if variant.trim.is_some() {
        return None;
    }
    let intermediate = cache.get(key)?;
    let t = match target(&intermediate.header, variant, limits) {
        Ok(t) => t,
        Err(e) => return Some(Err(e)),
    };
    if t.frames > 1 {
        // The intermediate is one frame; an animation is rendered from its bytes.
        return None;
    }
    if same_format(intermediate.header.format).is_some_and(|f| variant.passthrough.contains(&f)) {
        return None;
    }
    if intermediate.shrink > t.shrink {
        cache.too_coarse();
        return None;
    }
    cache.hit();
    Some(finish(intermediate, &t, settings, deadline))
}

/// Everything after the decode: brings the intermediate to the scale a fresh decode would
/// have (box reduction), then the pixel stages ([`transform`]) and the encoding.
fn finish(
    intermediate: Arc<Intermediate>,
    t: &Target,
    settings: &EncodeSettings,
    deadline: &Deadline,
) -> Result<Rendered, RenderError> {
    let Intermediate {
        header,
        decoded,
        exif,
        ..
    } = &*intermediate;
    let kept = kept(t, decoded, exif.as_deref());
    let finer = t.shrink / intermediate.shrink;
    let reduced;
    let raster = if finer > 1 {
        reduced = resize::box_shrink(&decoded.raster, finer)?;
        &reduced
    } else {
        &decoded.raster
    };
    let mut fixed = transform::Fixed::default();
    let convert = kept.icc.is_none();
    let raster = transform::scale(raster, decoded, header, t, convert, &mut fixed)?;
    let source_format = header.format;
    drop(intermediate);
    deadline.check("resize")?;

    let format = match (t.output, source_format) {
        (OutputFormat::AsSource, source) if as_source_by_alpha(source) => {
            if raster.layout().has_alpha() && !raster.is_opaque() {
                Format::Png
            } else {
                Format::Jpeg
            }
        }
        _ => t.plan.format,
    };
    let raster = transform::compose(raster, t, format);
    deadline.check("transform")?;

    let (width, height) = (raster.width(), raster.height());
    let average = Some(raster.average_rgb());
    let bytes = encode::encode_within(raster, format, settings, (t.quality, t.max_bytes), &kept)?;
    Ok(Rendered {
        bytes,
        format,
        width,
        height,
        average,
    })
}

/// The metadata the request keeps: the EXIF block (upright) or its copyright alone, and
/// the ICC profile of an RGB image (pixels then stay in its space; CMYK and grey are
/// converted to sRGB whatever the request says).
fn kept(t: &Target, decoded: &Decoded, exif: Option<&[u8]>) -> Kept {
    let m = &t.metadata;
    let exif = match exif {
        Some(tiff) if !m.strip => Some(metadata::upright(tiff.to_vec())),
        Some(tiff) if m.keep_copyright => metadata::copyright_only(tiff),
        _ => None,
    };
    let rgb_profile = |icc: &&Vec<u8>| icc.get(16..20) == Some(b"RGB ");
    let icc = match &decoded.icc {
        Some(icc) if !m.strip_colour_profile && rgb_profile(&icc) => {
            let rgb = matches!(decoded.raster.layout(), Layout::Rgb | Layout::Rgba);
            rgb.then(|| icc.clone())
        }
        _ => None,
    };
    Kept { exif, icc }
}
