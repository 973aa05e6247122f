//! imgproxy's info URLs: `/info/{signature}/{info options…}/{source}`, signed like image
//! URLs over the path after the signature. Options pick the fields of the answer
//! (`size`, `format`, `dimensions`, `alpha`, `average`, `blurhash:%x:%y`, `thumbhash`,
//! vignette's `dominant` and `placeholder`); unlike imgproxy's, every field is on by
//! default, since a placeholder is what the endpoint is for here.

use super::args::{at_most, bad, boolean};
use super::{Config, decode_source, malformed};
use crate::dialect::DialectError;
use crate::lqip::Components;
use crate::variant::{SourceRef, VariantError};

/// Which fields of the info the URL wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fields {
    /// `size`: the source's bytes.
    pub size: bool,
    /// `format`: format name and media type.
    pub format: bool,
    /// `dimensions`: width, height and orientation.
    pub dimensions: bool,
    /// `alpha`.
    pub alpha: bool,
    /// `average`.
    pub average: bool,
    /// `dominant` (vignette's; imgproxy's `dominant_colors` palette is not computed).
    pub dominant: bool,
    /// `blurhash`; its components are in [`InfoRequest::components`].
    pub blurhash: bool,
    /// `thumbhash`.
    pub thumbhash: bool,
    /// `placeholder` (vignette's): a tiny WebP data URI.
    pub placeholder: bool,
}

impl Fields {
    /// Everything.
    pub(crate) const ALL: Fields = Fields {
        size: true,
        format: true,
        dimensions: true,
        alpha: true,
        average: true,
        dominant: true,
        blurhash: true,
        thumbhash: true,
        placeholder: true,
    };
}

/// A parsed info URL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InfoRequest {
    /// The source image.
    pub source: SourceRef,
    /// The fields wanted.
    pub fields: Fields,
    /// BlurHash components.
    pub(crate) components: Components,
}

/// Parses the path after `/info` (starting with `/`). `now` (Unix seconds) decides
/// `expires`.
pub(crate) fn parse_info(
    path: &str,
    config: &Config,
    now: i64,
) -> Result<InfoRequest, DialectError> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let Some((signature, signed)) = rest.find('/').map(|i| (&rest[..i], &rest[i..])) else {
        return Err(malformed(
            "an info URL is /info/{signature}/{options}/{source}",
        ));
    };
    if config.signing.enabled() && !config.signing.verify(signature, signed) {
        return Err(DialectError::Signature);
    }
    let parts: Vec<&str> = signed[1..].split('/').collect();
    let mut fields = Fields::ALL;
    let mut components = Components::DEFAULT;
    let mut at = parts.len();
    for (i, part) in parts.iter().enumerate() {
        if !part.contains(':') {
            at = i;
            break;
        }
        let mut split = part.split(':');
        let name = split.next().unwrap_or_default();
        let args: Vec<&str> = split.collect();
        option(name, &args, &mut fields, &mut components, now)?;
    }
    let (source, extension) = decode_source(parts.get(at..).unwrap_or_default())?;
    if extension.is_some() {
        return Err(malformed("an info URL names no output format"));
    }
    Ok(InfoRequest {
        source,
        fields,
        components,
    })
}

/// Applies one info option.
fn option(
    name: &str,
    args: &[&str],
    fields: &mut Fields,
    components: &mut Components,
    now: i64,
) -> Result<(), DialectError> {
    let flag = |field: &mut bool| -> Result<(), VariantError> {
        at_most(name, args, 1)?;
        *field = boolean(name, args[0])?;
        Ok(())
    };
    match name {
        "size" | "s" => flag(&mut fields.size)?,
        "format" | "f" => flag(&mut fields.format)?,
        "dimensions" | "d" => flag(&mut fields.dimensions)?,
        "alpha" | "a" => flag(&mut fields.alpha)?,
        "average" | "avg" => flag(&mut fields.average)?,
        "dominant" => flag(&mut fields.dominant)?,
        "thumbhash" | "th" => flag(&mut fields.thumbhash)?,
        "placeholder" | "ph" => flag(&mut fields.placeholder)?,
        "blurhash" | "bh" => {
            at_most(name, args, 2)?;
            let n = |s: &str| s.parse::<u8>().ok().filter(|n| *n <= 9);
            let (x, y) = match args {
                [x] => (n(x), n(x)),
                [x, y] => (n(x), n(y)),
                _ => (None, None),
            };
            match (x, y) {
                (Some(0), Some(0)) => fields.blurhash = false,
                (Some(x @ 1..), Some(y @ 1..)) => {
                    fields.blurhash = true;
                    *components = Components(x, y);
                }
                _ => return Err(bad(name, args).into()),
            }
        }
        "cachebuster" | "cb" => at_most(name, args, 1)?,
        "expires" | "exp" => {
            at_most(name, args, 1)?;
            let at: i64 = args[0].parse().map_err(|_| bad(name, args))?;
            if at > 0 && at < now {
                return Err(DialectError::Expired);
            }
        }
        "exif" | "iptc" | "xmp" | "video_meta" | "vm" | "detect_objects" | "do"
        | "dominant_colors" | "dc" | "palette" | "p" | "crop" | "c" | "calc_hashsums" | "chs"
        | "page" | "pg" | "pages" | "pgs" | "colorspace" | "cs" | "bands" | "b"
        | "sample_format" | "sf" | "pages_number" | "pn" | "preset" | "pr" => {
            return Err(VariantError::Malformed(format!(
                "the info option {name} is not supported by vignette"
            ))
            .into());
        }
        _ => {
            return Err(VariantError::Malformed(format!("unknown info option: {name}")).into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(path: &str) -> Result<InfoRequest, DialectError> {
        parse_info(path, &Config::default(), 1_000)
    }

    #[test]
    fn defaults_and_options() {
        let r = parse("/_/plain/local:///a.jpg").unwrap();
        assert_eq!(r.source, SourceRef::Local("a.jpg".into()));
        assert_eq!((r.fields, r.components), (Fields::ALL, Components::DEFAULT));
        let r = parse("/insecure/bh:5:4/th:0/placeholder:false/aGVsbG8").unwrap_err();
        assert!(
            matches!(r, DialectError::Variant(_)),
            "hello is no source URL"
        );
        let r = parse("/insecure/bh:5:4/th:0/placeholder:false/plain/local:///a.png").unwrap();
        assert_eq!(r.components, Components(5, 4));
        assert!(r.fields.blurhash && !r.fields.thumbhash && !r.fields.placeholder);
        assert!(
            !parse("/_/blurhash:0:0/plain/local:///a")
                .unwrap()
                .fields
                .blurhash
        );
    }

    #[test]
    fn mistakes_are_named() {
        for (path, words) in [
            ("/_/bh:10:3/plain/local:///a", "invalid arguments for bh"),
            (
                "/_/th:maybe/plain/local:///a",
                "th: 'maybe' is not a boolean",
            ),
            ("/_/exif:1/plain/local:///a", "exif is not supported"),
            ("/_/w:100/plain/local:///a", "unknown info option: w"),
            ("/_/plain/local:///a@webp", "names no output format"),
            ("/_", "an info URL is"),
        ] {
            let err = parse(path).unwrap_err();
            assert!(err.public_message().contains(words), "{path}: {err}");
        }
        assert_eq!(
            parse("/_/exp:999/plain/local:///a").unwrap_err(),
            DialectError::Expired
        );
    }

    #[test]
    fn signatures_are_checked() {
        let config = Config {
            signing: super::super::Signing {
                pairs: vec![(b"k".to_vec(), b"s".to_vec())],
                size: 32,
            },
            ..Config::default()
        };
        let path = "/plain/local:///a.jpg";
        let sig = config.signing.sign(path).unwrap();
        assert!(parse_info(&format!("/{sig}{path}"), &config, 0).is_ok());
        assert_eq!(
            parse_info(&format!("/insecure{path}"), &config, 0).unwrap_err(),
            DialectError::Signature
        );
    }
}
