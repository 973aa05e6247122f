//! Low-quality image placeholders and what a page needs to lay an image out before it
//! loads: the source's displayed size, format and orientation from its header, then, from
//! a thumbnail of at most 100×100 rendered by the ordinary pipeline (a variant like any
//! other, kept in the slot cache), whether it has alpha, its average and dominant colours,
//! its ThumbHash and BlurHash, and a tiny WebP as a data URI. Synchronous and CPU-bound:
//! it runs on the worker pool ([`job`]), never on the async runtime.

mod cache;
mod colours;
pub(crate) mod job;

pub(crate) use cache::LqipCache;
pub(crate) use colours::Rgba;

use crate::render::{Limits, Probe, RenderError, SourceFormat};
use crate::variant::{Format, OutputFormat, Resize, ResizeMode, Variant};
use base64::Engine;
use serde::Serialize;

/// ThumbHash's limit on the side of the image it encodes.
const THUMB_SIDE: u32 = 100;

/// The longest side of the data-URI placeholder: enough for a blurred preview, small
/// enough (a few hundred bytes) to inline in every `<img>`.
const PLACEHOLDER_SIDE: u32 = 16;

/// BlurHash components along x and y (1–9 each); imgproxy's `blurhash:%x:%y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Components(pub u8, pub(crate) u8);

impl Components {
    /// 4×3, BlurHash's own default.
    pub(crate) const DEFAULT: Components = Components(4, 3);
}

/// Everything the info endpoint can tell about one source at one version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Lqip {
    /// The source's size in bytes.
    pub(crate) size: u64,
    /// imgproxy's name of the source's format (`jpeg`, `png`, `webp`, `avif`, `gif`).
    pub(crate) format: &'static str,
    /// The source's media type.
    pub(crate) mime_type: &'static str,
    /// Width as displayed, after EXIF orientation.
    pub(crate) width: u32,
    /// Height as displayed, after EXIF orientation.
    pub(crate) height: u32,
    /// EXIF orientation, 1–8 (1 when absent).
    pub(crate) orientation: u8,
    /// Whether the image has an alpha channel, and whether the thumbnail shows any pixel
    /// not fully opaque.
    pub(crate) alpha: Alpha,
    /// Mean colour, weighted by alpha, with the mean alpha.
    pub(crate) average: Rgba,
    /// The colour of the largest cluster of similar (mostly opaque) pixels.
    pub(crate) dominant: Rgba,
    /// BlurHash of the thumbnail.
    pub(crate) blurhash: String,
    /// ThumbHash of the thumbnail, standard base64 (as its JavaScript decoder takes it).
    pub(crate) thumbhash: String,
    /// A tiny WebP of the image as a `data:` URI.
    pub(crate) placeholder: String,
}

/// imgproxy's `alpha` object: `alpha` says the format carries the channel, `checked`
/// that the pixels were looked at (here, always); vignette adds whether any is see-through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Alpha {
    /// The decoded image has an alpha channel.
    pub(crate) alpha: bool,
    /// The pixels were checked.
    pub(crate) checked: bool,
    /// Some pixel of the thumbnail is not fully opaque.
    pub(crate) transparent: bool,
}

/// The thumbnail's RGBA pixels, row by row.
#[derive(Debug, Clone)]
pub(crate) struct Thumbnail {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) rgba: Vec<u8>,
    pub(crate) has_alpha: bool,
}

/// The variant whose render the hashes are computed from: the whole image, oriented,
/// fitted in 100×100, lossless.
pub(crate) fn thumbnail_variant() -> Variant {
    let mut v = Variant::new(OutputFormat::Is(Format::Png));
    v.resize = Resize {
        mode: ResizeMode::Fit,
        width: THUMB_SIDE,
        height: THUMB_SIDE,
        ..Resize::NONE
    };
    v
}

/// Computes the info from what the source's header says (`probe`), its size in bytes, and
/// the PNG of [`thumbnail_variant`] rendered from it (by the job, or kept in the slot
/// cache from an earlier info request).
pub(crate) fn from_thumbnail(
    probe: &Probe,
    size: u64,
    thumbnail_png: &[u8],
    components: Components,
) -> Result<Lqip, RenderError> {
    let thumb = decode_png(thumbnail_png)?;
    if thumb.width > THUMB_SIDE || thumb.height > THUMB_SIDE {
        return Err(RenderError::Encode(format!(
            "thumbnail of {}x{} is not the thumbnail variant",
            thumb.width, thumb.height
        )));
    }
    let (w, h) = (thumb.width as usize, thumb.height as usize);
    let blurhash = blurhash::encode(
        components.0 as u32,
        components.1 as u32,
        thumb.width,
        thumb.height,
        &thumb.rgba,
    )
    .map_err(|e| RenderError::Encode(format!("blurhash: {e}")))?;
    let thumbhash = thumbhash::rgba_to_thumb_hash(w, h, &thumb.rgba);
    let (format, mime_type) = names(probe.format);
    Ok(Lqip {
        size,
        format,
        mime_type,
        width: probe.width,
        height: probe.height,
        orientation: probe.orientation,
        alpha: Alpha {
            alpha: thumb.has_alpha,
            checked: true,
            transparent: thumb.rgba.chunks_exact(4).any(|p| p[3] < 255),
        },
        average: colours::average(&thumb.rgba),
        dominant: colours::dominant(&thumb.rgba),
        blurhash,
        thumbhash: base64::engine::general_purpose::STANDARD.encode(thumbhash),
        placeholder: placeholder(&thumb)?,
    })
}

/// Refuses a source whose header declares more pixels than the limit.
pub(crate) fn within(probe: &Probe, limits: &Limits) -> Result<(), RenderError> {
    let pixels = probe.width as u64 * probe.height as u64;
    if pixels > limits.max_source_pixels {
        return Err(RenderError::TooLarge(format!(
            "{}x{} is above the limit of {} pixels",
            probe.width, probe.height, limits.max_source_pixels
        )));
    }
    Ok(())
}

/// imgproxy's format name and the media type of a sniffed source format.
fn names(format: SourceFormat) -> (&'static str, &'static str) {
    match format {
        SourceFormat::Jpeg => ("jpeg", "image/jpeg"),
        SourceFormat::Png => ("png", "image/png"),
        SourceFormat::Gif => ("gif", "image/gif"),
        SourceFormat::Webp => ("webp", "image/webp"),
        SourceFormat::Avif => ("avif", "image/avif"),
        // imgproxy's names for these sources.
        SourceFormat::Jxl => ("jxl", "image/jxl"),
        SourceFormat::Heif => ("heic", "image/heif"),
    }
}

/// The thumbnail's pixels as RGBA, whatever layout the PNG encoder chose.
fn decode_png(bytes: &[u8]) -> Result<Thumbnail, RenderError> {
    let bad = |e: &dyn std::fmt::Display| RenderError::Encode(format!("thumbnail: {e}"));
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| bad(&e))?;
    let mut buf = vec![
        0;
        reader
            .output_buffer_size()
            .ok_or_else(|| bad(&"too large"))?
    ];
    let frame = reader.next_frame(&mut buf).map_err(|e| bad(&e))?;
    let pixels = &buf[..frame.buffer_size()];
    let (colour, _) = reader.output_color_type();
    let rgba: Vec<u8> = match colour {
        png::ColorType::Rgba => pixels.to_vec(),
        png::ColorType::Rgb => pixels
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => pixels
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => pixels.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return Err(bad(&"indexed colour after expansion")),
    };
    Ok(Thumbnail {
        width: frame.width,
        height: frame.height,
        rgba,
        has_alpha: matches!(
            colour,
            png::ColorType::Rgba | png::ColorType::GrayscaleAlpha
        ),
    })
}

/// A WebP of at most 16 px a side, averaged down from the thumbnail, as a data URI.
fn placeholder(thumb: &Thumbnail) -> Result<String, RenderError> {
    let scale = (thumb.width.max(thumb.height) as f64 / PLACEHOLDER_SIDE as f64).max(1.0);
    let w = ((thumb.width as f64 / scale).round() as u32).max(1);
    let h = ((thumb.height as f64 / scale).round() as u32).max(1);
    let small = colours::shrink(&thumb.rgba, thumb.width, thumb.height, w, h);
    let encoded = if thumb.has_alpha {
        webp::Encoder::from_rgba(&small, w, h).encode(60.0)
    } else {
        let rgb: Vec<u8> = small
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        webp::Encoder::from_rgb(&rgb, w, h).encode(60.0)
    };
    Ok(format!(
        "data:image/webp;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&*encoded)
    ))
}

#[cfg(test)]
mod tests;
