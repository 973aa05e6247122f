//! The arguments of imgproxy's options: Go's booleans, integers, numbers, qualities,
//! formats, hex colours, gravities and extensions, each refused with a message that names
//! the option.

use crate::variant::{Format, Gravity, GravityKind, Rgb, VariantError};

pub(super) fn bad(name: &str, args: &[&str]) -> VariantError {
    VariantError::Malformed(format!("invalid arguments for {name}: {}", args.join(":")))
}

pub(super) fn at_most(name: &str, args: &[&str], n: usize) -> Result<(), VariantError> {
    if args.len() > n || args.is_empty() {
        return Err(bad(name, args));
    }
    Ok(())
}

/// Go's `strconv.ParseBool` spellings; anything else is a 400 (imgproxy logs it and
/// takes false).
pub(super) fn boolean(name: &str, s: &str) -> Result<bool, VariantError> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(VariantError::Malformed(format!(
            "{name}: '{s}' is not a boolean"
        ))),
    }
}

/// A non-negative integer that fits `u32`.
pub(super) fn uint(name: &str, s: &str) -> Result<u32, VariantError> {
    s.parse::<u32>().map_err(|_| {
        VariantError::Malformed(format!("{name}: '{s}' is not a positive integer or 0"))
    })
}

/// A finite number, `positive` requiring > 0, else ≥ 0 unless `signed`.
pub(super) fn number(name: &str, s: &str, min: f64, strict: bool) -> Result<f64, VariantError> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (v > min || (!strict && v == min)) => Ok(v),
        _ => Err(VariantError::Malformed(format!(
            "{name}: '{s}' is not a valid number"
        ))),
    }
}

pub(super) fn quality(name: &str, s: &str) -> Result<u8, VariantError> {
    match s.parse::<u8>() {
        Ok(q) if q <= 100 => Ok(q),
        _ => Err(VariantError::Malformed(format!(
            "{name}: '{s}' is not a quality from 0 to 100"
        ))),
    }
}

pub(super) fn format(name: &str, s: &str) -> Result<Format, VariantError> {
    Format::from_extension(s).ok_or_else(|| {
        VariantError::Malformed(format!(
            "{name}: '{s}' is not a format vignette writes (jpg, png, webp, avif, gif)"
        ))
    })
}

pub(super) fn hex_colour(name: &str, s: &str) -> Result<Rgb, VariantError> {
    let b = s.as_bytes();
    let digit = |i: usize| (b[i] as char).to_digit(16);
    let parsed = match b.len() {
        6 => (0..3)
            .map(|i| Some((digit(2 * i)? * 16 + digit(2 * i + 1)?) as u8))
            .collect::<Option<Vec<u8>>>(),
        3 => (0..3)
            .map(|i| Some((digit(i)? * 17) as u8))
            .collect::<Option<Vec<u8>>>(),
        _ => None,
    };
    match parsed {
        Some(c) => Ok(Rgb(c[0], c[1], c[2])),
        None => Err(VariantError::Malformed(format!(
            "{name}: '{s}' is not a hex colour"
        ))),
    }
}

/// `type[:x[:y]]`; `sm` only where `smart` is allowed, `fp` needs both coordinates in 0–1.
pub(super) fn gravity(name: &str, args: &[&str], smart: bool) -> Result<Gravity, VariantError> {
    let kind = match args.first().copied().unwrap_or_default() {
        "ce" => GravityKind::Center,
        "no" => GravityKind::North,
        "so" => GravityKind::South,
        "ea" => GravityKind::East,
        "we" => GravityKind::West,
        "noea" => GravityKind::NorthEast,
        "nowe" => GravityKind::NorthWest,
        "soea" => GravityKind::SouthEast,
        "sowe" => GravityKind::SouthWest,
        "fp" => GravityKind::FocusPoint,
        "sm" if smart => GravityKind::Smart,
        _ => return Err(bad(name, args)),
    };
    let mut g = Gravity {
        kind,
        x: 0.0,
        y: 0.0,
    };
    match kind {
        GravityKind::Smart if args.len() > 1 => return Err(bad(name, args)),
        GravityKind::FocusPoint if args.len() != 3 => return Err(bad(name, args)),
        _ if args.len() > 3 => return Err(bad(name, args)),
        _ => {}
    }
    let offset = |s: &str| -> Result<f64, VariantError> {
        let v = number(name, s, f64::MIN, false)?;
        if kind == GravityKind::FocusPoint && !(0.0..=1.0).contains(&v) {
            return Err(bad(name, args));
        }
        Ok(v)
    };
    if let Some(x) = args.get(1).filter(|s| !s.is_empty()) {
        g.x = offset(x)?;
    }
    if let Some(y) = args.get(2).filter(|s| !s.is_empty()) {
        g.y = offset(y)?;
    }
    Ok(g)
}

/// `extend:%extend:%gravity…`: the gravity (centre by default) when enabled.
pub(super) fn extend(name: &str, args: &[&str]) -> Result<Option<Gravity>, VariantError> {
    at_most(name, args, 4)?;
    if !boolean(name, args[0])? {
        return Ok(None);
    }
    if args.len() > 1 {
        return gravity(name, &args[1..], false).map(Some);
    }
    Ok(Some(Gravity::CENTER))
}
