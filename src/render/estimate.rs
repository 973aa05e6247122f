//! What a render will produce and cost, from the source's header alone: the output size
//! (a placeholder of exactly that size, a degraded answer of a close size) and the pixels
//! the decode will produce after shrink-on-load (admission's cost), every frame counted
//! for an animation. No pixels are read.

use super::header::Header;
use super::orientation::Orientation;
use super::pipeline::target;
use super::{Limits, Probe, SourceFormat};
use crate::variant::{Format, Variant};

/// A render foreseen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Estimate {
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// The output format (for a source's own WebP or AVIF, PNG: the larger candidate).
    pub format: Format,
    /// Pixels the decode produces: JPEG decodes at 1/2, 1/4 or 1/8 when that suffices;
    /// an animation decodes every frame.
    pub decoded_pixels: u64,
    /// Frames rendered and encoded: 1 unless the render animates.
    pub frames: u32,
}

/// Foresees a render of `variant` on a source whose header reads as `probe`; `None` when
/// that render would fail (its error is for the render to report).
pub(crate) fn estimate(probe: &Probe, variant: &Variant, limits: &Limits) -> Option<Estimate> {
    let orientation = Orientation::from_exif(probe.orientation as u32);
    let (width, height) = if orientation.swaps_axes() {
        (probe.height, probe.width)
    } else {
        (probe.width, probe.height)
    };
    let header = Header {
        format: probe.format,
        width,
        height,
        orientation,
        icc: None,
        cmyk_inverted: false,
        frames: probe.frames.max(1),
        plays: 0,
    };
    let t = target(&header, variant, limits).ok()?;
    let (ow, oh) = t.plan.output_size();
    let shrink = match probe.format {
        SourceFormat::Jpeg => t.shrink as u64,
        _ => 1,
    };
    Some(Estimate {
        width: ow,
        height: oh,
        format: t.plan.format,
        decoded_pixels: header.pixels() / (shrink * shrink) * t.frames as u64,
        frames: t.frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::iiif::parse_params;

    fn limits() -> Limits {
        crate::config::Settings::for_dir("unused").limits
    }

    fn probe(format: SourceFormat, width: u32, height: u32, orientation: u8) -> Probe {
        Probe {
            format,
            width,
            height,
            orientation,
            frames: 1,
        }
    }

    #[test]
    fn sizes_and_decoded_pixels_follow_the_plan() {
        let limits = limits();
        let photo = probe(SourceFormat::Jpeg, 7360, 4912, 1);
        let thumb = parse_params("full/!500,500/0/default.jpg").unwrap();
        let e = estimate(&photo, &thumb, &limits).unwrap();
        assert_eq!((e.width, e.height), (500, 334));
        assert_eq!(e.format, Format::Jpeg);
        assert_eq!(e.decoded_pixels, 7360 * 4912 / 64, "decoded at 1/8");
        let png = probe(SourceFormat::Png, 7360, 4912, 1);
        assert_eq!(
            estimate(&png, &thumb, &limits).unwrap().decoded_pixels,
            7360 * 4912
        );
        // A portrait by EXIF: the displayed size is what the plan sees.
        let turned = probe(SourceFormat::Jpeg, 4912, 7360, 6);
        let e = estimate(&turned, &thumb, &limits).unwrap();
        assert_eq!((e.width, e.height), (334, 500));
    }

    #[test]
    fn an_animation_counts_its_frames_unless_it_renders_a_still() {
        let limits = limits();
        let gif = Probe {
            frames: 6,
            ..probe(SourceFormat::Gif, 400, 300, 1)
        };
        let webp = crate::dialect::iiif::parse_params("full/200,/0/default.webp").unwrap();
        let e = estimate(&gif, &webp, &limits).unwrap();
        assert_eq!((e.width, e.height, e.frames), (200, 150, 6));
        assert_eq!(e.decoded_pixels, 400 * 300 * 6);
        let jpeg = crate::dialect::iiif::parse_params("full/200,/0/default.jpg").unwrap();
        let e = estimate(&gif, &jpeg, &limits).unwrap();
        assert_eq!((e.frames, e.decoded_pixels), (1, 400 * 300));
        // Over the frame bound: the first frame.
        let long = Probe {
            frames: limits.max_animation_frames + 1,
            ..gif
        };
        assert_eq!(estimate(&long, &webp, &limits).unwrap().frames, 1);
    }

    #[test]
    fn a_request_the_render_would_refuse_has_no_estimate() {
        let small = probe(SourceFormat::Png, 100, 100, 1);
        let outside = parse_params("200,200,10,10/max/0/default.png").unwrap();
        assert_eq!(estimate(&small, &outside, &limits()), None);
    }
}
