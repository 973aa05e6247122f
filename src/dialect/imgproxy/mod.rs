//! imgproxy's URL grammar, served at the root: `/{signature}/{options…}/plain/{source}@{ext}`
//! and `/{signature}/{options…}/{base64url source}.{ext}` (the source may be split by `/`),
//! options as `name:arg:arg`, presets, and signatures exactly as imgproxy computes them, so
//! that URLs written by imgproxy's client libraries work unchanged. Sources are
//! `local:///path` (the images directory), `s3://bucket/key` and `http(s)://…`.

mod args;
mod info;
mod options;
pub(crate) mod signature;

use super::{Delivery, DialectError, ImageRequest};
use crate::variant::{OutputFormat, SourceRef, VariantError};
use options::Options;
use percent_encoding::percent_decode_str;
use std::collections::HashMap;

pub(crate) use info::{Fields, InfoRequest, parse_info};
pub use signature::Signing;

/// URL-safe base64, padding optional, as imgproxy decodes it (trailing bits ignored).
pub(crate) fn base64url(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    ENGINE.decode(s.trim_end_matches('=')).ok()
}

/// Named option lists (`VIGNETTE_PRESETS`); `default` applies to every URL first.
#[derive(Debug, Clone, Default)]
pub struct Presets {
    map: HashMap<String, Vec<(String, Vec<String>)>>,
}

/// Presets naming presets stop here.
const MAX_PRESET_DEPTH: usize = 8;

impl Presets {
    /// Parses `name=opt:a:b/opt2:c,name2=…`, imgproxy's `IMGPROXY_PRESETS` format.
    pub fn parse(text: &str) -> Result<Presets, String> {
        let mut map = HashMap::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, opts) = entry
                .split_once('=')
                .ok_or_else(|| format!("preset '{entry}' has no '='"))?;
            let name = name.trim();
            if name.is_empty() {
                return Err(format!("preset '{entry}' has no name"));
            }
            let list = opts
                .split('/')
                .filter(|o| !o.is_empty())
                .map(|o| {
                    let mut parts = o.split(':');
                    let n = parts.next().unwrap_or_default().to_owned();
                    (n, parts.map(str::to_owned).collect())
                })
                .collect();
            map.insert(name.to_owned(), list);
        }
        let presets = Presets { map };
        // Every preset must apply on its own: a bad option is a start-up error.
        for name in presets.map.keys() {
            presets
                .apply(name, &mut Options::default(), 0)
                .map_err(|e| format!("preset '{name}': {e}"))?;
        }
        Ok(presets)
    }

    fn apply(&self, name: &str, opts: &mut Options, depth: usize) -> Result<(), VariantError> {
        if depth >= MAX_PRESET_DEPTH {
            return Err(VariantError::Malformed(format!(
                "preset {name}: presets nested too deeply"
            )));
        }
        let list = self
            .map
            .get(name)
            .ok_or_else(|| VariantError::Malformed(format!("unknown preset: {name}")))?;
        for (opt, args) in list {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            opts.apply(opt, &args, self, depth + 1)?;
        }
        Ok(())
    }
}

/// How the imgproxy dialect is configured.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Signature keys; without any, every signature segment is accepted.
    pub signing: Signing,
    /// Named presets.
    pub presets: Presets,
    /// URLs name presets only (`/{signature}/{preset:preset}/{source}`).
    pub only_presets: bool,
}

/// Parses the path of a request at the root (starting with `/`). `now` (Unix seconds)
/// decides `expires`.
pub fn parse(path: &str, config: &Config, now: i64) -> Result<ImageRequest, DialectError> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let (signature, signed) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => return Err(DialectError::NoRoute),
    };
    if config.signing.enabled() && !config.signing.verify(signature, signed) {
        return Err(DialectError::Signature);
    }
    let parts: Vec<&str> = signed[1..].split('/').collect();
    let mut opts = Options::default();
    if config.presets.map.contains_key("default") {
        config.presets.apply("default", &mut opts, 0)?;
    }
    let source_at = if config.only_presets {
        for preset in parts[0].split(':').filter(|p| !p.is_empty()) {
            config.presets.apply(preset, &mut opts, 0)?;
        }
        1
    } else {
        let mut at = parts.len();
        for (i, part) in parts.iter().enumerate() {
            let mut args = part.split(':');
            let name = args.next().unwrap_or_default();
            if !part.contains(':') {
                at = i;
                break;
            }
            let args: Vec<&str> = args.collect();
            opts.apply(name, &args, &config.presets, 0)?;
        }
        at
    };
    let (source, extension) = decode_source(parts.get(source_at..).unwrap_or_default())?;
    if let Some(ext) = extension {
        opts.apply("format", &[&ext], &config.presets, 0)?;
    }
    if let Some(at) = opts.expires
        && at > 0
        && at < now
    {
        return Err(DialectError::Expired);
    }
    let negotiate = opts.format.is_none();
    let delivery = Delivery {
        filename: opts.filename.clone(),
        attachment: opts.attachment,
        disposition: true,
    };
    let format = opts.format.map_or(OutputFormat::AsSource, OutputFormat::Is);
    Ok(ImageRequest {
        source,
        variant: opts.into_variant(format),
        negotiate,
        delivery,
        client_hints: true,
    })
}

fn malformed(msg: impl Into<String>) -> DialectError {
    DialectError::Variant(VariantError::Malformed(msg.into()))
}

/// The source reference and the extension the URL ends with, from the segments after
/// the options: `plain/{percent-encoded url}[@ext]` or `{base64url}[.ext]`.
fn decode_source(parts: &[&str]) -> Result<(SourceRef, Option<String>), DialectError> {
    let (url, ext) = match parts {
        [] | [""] => return Err(malformed("the source URL is missing")),
        ["plain", rest @ ..] if !rest.is_empty() => {
            let joined = rest.join("/");
            let mut split = joined.split('@');
            let url = split.next().unwrap_or_default().to_owned();
            let ext = split.next().map(str::to_owned);
            if split.next().is_some() {
                return Err(malformed("several formats are given after '@'"));
            }
            (unescape(&url)?, ext)
        }
        _ => {
            let joined = parts.concat();
            let mut split = joined.split('.');
            let encoded = split.next().unwrap_or_default();
            let ext = split.next().map(str::to_owned);
            if split.next().is_some() {
                return Err(malformed("several formats are given after '.'"));
            }
            let bytes = base64url(encoded)
                .ok_or_else(|| malformed("the source is not valid URL-safe base64"))?;
            let url =
                String::from_utf8(bytes).map_err(|_| malformed("the source is not valid UTF-8"))?;
            (url, ext)
        }
    };
    if url.is_empty() {
        return Err(malformed("the source URL is empty"));
    }
    Ok((source_ref(&url)?, ext.filter(|e| !e.is_empty())))
}

/// Percent-decoding as Go's `url.PathUnescape`: a `%` not followed by two hex digits is an
/// error, not a literal.
fn unescape(s: &str) -> Result<String, DialectError> {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let hex = |at: usize| b.get(at).is_some_and(u8::is_ascii_hexdigit);
        if c == b'%' && !(hex(i + 1) && hex(i + 2)) {
            return Err(malformed("the source URL has a malformed percent-escape"));
        }
    }
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| malformed("the source URL is not valid UTF-8"))
}

/// The typed reference of a source URL (also what the admin API's purge accepts).
pub(crate) fn source_ref(url: &str) -> Result<SourceRef, DialectError> {
    if let Some(path) = url.strip_prefix("local://") {
        let path = path.trim_start_matches('/');
        if path.is_empty() {
            return Err(malformed("local:// names no file"));
        }
        return Ok(SourceRef::Local(path.to_owned()));
    }
    if let Some(rest) = url.strip_prefix("s3://") {
        return match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(SourceRef::S3 {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            }),
            _ => Err(malformed("s3:// needs a bucket and a key")),
        };
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        // Normalised as the WHATWG parser writes it, so that spellings of one URL share
        // a cache entry; the HTTP source checks the host again before any connection.
        let parsed =
            url::Url::parse(url).map_err(|_| malformed("the source URL is not a valid URL"))?;
        return Ok(SourceRef::Http(parsed.to_string()));
    }
    Err(malformed(
        "the source must be local:///…, s3://bucket/key, http:// or https://",
    ))
}

#[cfg(test)]
mod tests;
