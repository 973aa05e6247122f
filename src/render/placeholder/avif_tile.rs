//! The grey AV1 tile that AVIF placeholders repeat: encoded once by libavif as a whole
//! AVIF file, then taken apart into the coded bytes and the property boxes the grid's
//! tiles need (`av1C`, `pixi`, `colr`), copied verbatim so they always agree with the
//! stream.

use crate::render::RenderError;
use crate::render::libavif::{self, Pixels};

/// What the grid needs from libavif's file.
#[derive(Debug)]
pub(super) struct Tile {
    /// Width and height of the square tile.
    pub(super) side: u32,
    /// The AV1 stream of the tile (the item's data).
    pub(super) data: Vec<u8>,
    /// Whole `av1C`, `pixi` and `colr` boxes (`colr` may be absent).
    pub(super) av1c: Vec<u8>,
    pub(super) pixi: Vec<u8>,
    pub(super) colr: Option<Vec<u8>>,
}

/// Encodes a `side`×`side` tile of grey `level` in 4:0:0 (exact grey, AV1 main profile).
pub(super) fn encode(side: u32, level: u8) -> Result<Tile, RenderError> {
    let failed = |what: &str| RenderError::Encode(format!("placeholder AVIF tile: {what}"));
    let pixels = vec![level; (side * side) as usize];
    let file = libavif::encode(
        side,
        side,
        Pixels::Gray(&pixels),
        (90, 10),
        libavif::Metadata::default(),
    )
    .map_err(|e| failed(&e.to_string()))?;
    let meta = find(&file, b"meta").ok_or_else(|| failed("no meta box"))?;
    // `meta` is a full box: 4 bytes of version and flags before its children.
    let meta = meta.get(4..).ok_or_else(|| failed("short meta box"))?;
    let primary = find(meta, b"pitm")
        .and_then(|p| p.get(4..6))
        .map(|id| u16::from_be_bytes([id[0], id[1]]))
        .ok_or_else(|| failed("no primary item"))?;
    let (offset, len) = find(meta, b"iloc")
        .and_then(|iloc| extent(iloc, primary))
        .ok_or_else(|| failed("no single extent for the primary item"))?;
    let data = file
        .get(offset..offset + len)
        .ok_or_else(|| failed("extent outside the file"))?
        .to_vec();
    let ipco = find(meta, b"iprp")
        .and_then(|p| find(p, b"ipco"))
        .ok_or_else(|| failed("no properties"))?;
    let whole = |kind: &[u8; 4]| {
        boxes(ipco)
            .find(|b| &b.kind == kind)
            .map(|b| b.whole.to_vec())
    };
    Ok(Tile {
        side,
        data,
        av1c: whole(b"av1C").ok_or_else(|| failed("no av1C"))?,
        pixi: whole(b"pixi").ok_or_else(|| failed("no pixi"))?,
        colr: whole(b"colr"),
    })
}

/// One ISOBMFF box: its type, its body and its whole bytes (header included).
struct IsoBox<'a> {
    kind: [u8; 4],
    body: &'a [u8],
    whole: &'a [u8],
}

/// The boxes laid end to end in `data` (32-bit sizes only: libavif writes no others here).
fn boxes(mut data: &[u8]) -> impl Iterator<Item = IsoBox<'_>> {
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
        if size < 8 || size > data.len() {
            return None;
        }
        let (whole, rest) = data.split_at(size);
        data = rest;
        Some(IsoBox {
            kind: whole[4..8].try_into().ok()?,
            body: &whole[8..],
            whole,
        })
    })
}

/// The body of the first box of type `kind` in `data`.
fn find<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data).find(|b| &b.kind == kind).map(|b| b.body)
}

/// Offset and length of `item`'s data from an `iloc` body (versions 0–2), when it is one
/// extent in the file itself (construction method 0).
fn extent(iloc: &[u8], item: u16) -> Option<(usize, usize)> {
    let mut r = Reader(iloc);
    let version = r.uint(1)?;
    r.uint(3)?;
    let sizes = r.uint(2)?;
    let (offset_size, length_size) = ((sizes >> 12) & 15, (sizes >> 8) & 15);
    let base_size = (sizes >> 4) & 15;
    let index_size = if version > 0 { sizes & 15 } else { 0 };
    let count = r.uint(if version < 2 { 2 } else { 4 })?;
    for _ in 0..count {
        let id = r.uint(if version < 2 { 2 } else { 4 })?;
        let method = if version > 0 { r.uint(2)? & 15 } else { 0 };
        r.uint(2)?; // data reference index
        let base = r.uint(base_size as usize)?;
        let extents = r.uint(2)?;
        let mut found = Vec::new();
        for _ in 0..extents {
            r.uint(index_size as usize)?;
            let offset = r.uint(offset_size as usize)?;
            let len = r.uint(length_size as usize)?;
            found.push((base + offset, len));
        }
        if id == u64::from(item) {
            return match found[..] {
                [(offset, len)] if method == 0 => Some((offset as usize, len as usize)),
                _ => None,
            };
        }
    }
    None
}

/// Big-endian unsigned integers of 0–8 bytes, front to back.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn uint(&mut self, bytes: usize) -> Option<u64> {
        let (head, rest) = (self.0.get(..bytes)?, self.0.get(bytes..)?);
        self.0 = rest;
        Some(head.iter().fold(0, |v, &b| v << 8 | u64::from(b)))
    }
}
