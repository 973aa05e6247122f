//! AVIF placeholders: one grey AV1 tile, encoded at start, repeated as an HEIF image grid
//! (ISO/IEC 23008-12, 6.6.2.3) cropped to the requested size.
//!
//! Every tile item of the grid points at the same bytes in `mdat` (`iloc` allows extents
//! to overlap), so a request writes only the item tables: about 45 bytes per tile, 3 KiB
//! for 2000×2000. The tile is 4:0:0 because MIAF, and libavif with it, refuses 4:2:0 grids
//! of odd width or height, and `libavif` encodes 4:2:0 or 4:0:0 only. 4:0:0 holds only
//! grey, and choosing the colour per request would mean an AV1 encode, so AVIF
//! placeholders are always neutral grey (4:4:4 tiles, encoded once per quantised colour
//! off the request path, would lift that).

use super::avif_tile::{self, Tile};
use super::{MAX_SIDE, NEUTRAL_GREY};
use crate::render::RenderError;

/// The tile's side: MIAF's minimum is 64; larger tiles mean fewer to decode (a 2000×2000
/// placeholder is 8×8 tiles) at the price of decoding a 256×256 one for a 1×1 request.
/// The grid's 256 columns and rows reach 65 536, well past [`MAX_SIDE`].
const TILE_SIDE: u32 = 256;
const _: () = assert!(MAX_SIDE.div_ceil(TILE_SIDE) <= 256);

/// `ftyp`: AVIF, with the HEIF and MIAF brands the structure follows.
const FTYP: &[u8] = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf";
/// `hdlr` for pictures.
const HDLR: &[u8] = b"\0\0\0\x21hdlr\0\0\0\0\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0";
/// `pitm`: item 1, the grid, is the image.
const PITM: &[u8] = b"\0\0\0\x0epitm\0\0\0\0\0\x01";
/// Bytes of an `ImageGrid` with 16-bit output sizes.
const GRID_LEN: u32 = 8;

/// The grey tile and its property boxes.
#[derive(Debug)]
pub(super) struct AvifTemplate {
    tile: Tile,
}

impl AvifTemplate {
    pub(super) fn new() -> Result<Self, RenderError> {
        Ok(AvifTemplate {
            tile: avif_tile::encode(TILE_SIDE, NEUTRAL_GREY[0])?,
        })
    }

    /// A grid of ⌈width / 256⌉ × ⌈height / 256⌉ tiles, cropped to `width`×`height`.
    pub(super) fn image(&self, width: u32, height: u32) -> Vec<u8> {
        let tile = &self.tile;
        let (cols, rows) = (width.div_ceil(tile.side), height.div_ceil(tile.side));
        // Item 1 is the grid; items 2..=tiles+1 are its tiles, row by row.
        let tiles = (cols * rows) as u16;
        let items = tiles + 1;
        let mut out = Vec::with_capacity(512 + 48 * usize::from(tiles) + tile.data.len());
        out.extend_from_slice(FTYP);

        let meta = open(&mut out, b"meta", Some(0));
        out.extend_from_slice(HDLR);
        out.extend_from_slice(PITM);
        let iloc = open(&mut out, b"iloc", Some(0));
        // 4-byte offsets and lengths, no base offset.
        out.extend_from_slice(&[0x44, 0x00]);
        out.extend_from_slice(&items.to_be_bytes());
        let extents_at = out.len();
        for id in 1..=items {
            let len = if id == 1 {
                GRID_LEN
            } else {
                tile.data.len() as u32
            };
            out.extend_from_slice(&id.to_be_bytes());
            // Data reference 0 (this file), one extent, its offset patched below.
            out.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
            out.extend_from_slice(&len.to_be_bytes());
        }
        close(&mut out, iloc);

        let iinf = open(&mut out, b"iinf", Some(0));
        out.extend_from_slice(&items.to_be_bytes());
        for id in 1..=items {
            // Version 2; the tiles are hidden (flag 1): only the grid is an image to show.
            let infe = open(
                &mut out,
                b"infe",
                Some(if id == 1 { 0x0200_0000 } else { 0x0200_0001 }),
            );
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&[0, 0]); // no protection
            out.extend_from_slice(if id == 1 { b"grid" } else { b"av01" });
            out.push(0); // empty name
            close(&mut out, infe);
        }
        close(&mut out, iinf);

        let iref = open(&mut out, b"iref", Some(0));
        let dimg = open(&mut out, b"dimg", None);
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&tiles.to_be_bytes());
        for id in 2..=items {
            out.extend_from_slice(&id.to_be_bytes());
        }
        close(&mut out, dimg);
        close(&mut out, iref);

        let iprp = open(&mut out, b"iprp", None);
        let ipco = open(&mut out, b"ipco", None);
        // Property indices, 1-based: 1 grid ispe, 2 tile ispe, 3 av1C, 4 pixi, 5 colr.
        ispe(&mut out, width, height);
        ispe(&mut out, tile.side, tile.side);
        out.extend_from_slice(&tile.av1c);
        out.extend_from_slice(&tile.pixi);
        if let Some(colr) = &tile.colr {
            out.extend_from_slice(colr);
        }
        close(&mut out, ipco);
        let ipma = open(&mut out, b"ipma", Some(0));
        out.extend_from_slice(&u32::from(items).to_be_bytes());
        for id in 1..=items {
            out.extend_from_slice(&id.to_be_bytes());
            // Essential properties have the high bit set.
            let grid: &[u8] = if tile.colr.is_some() {
                &[1, 4, 0x85]
            } else {
                &[1, 4]
            };
            let assoc = if id == 1 { grid } else { &[0x83, 2, 4] };
            out.push(assoc.len() as u8);
            out.extend_from_slice(assoc);
        }
        close(&mut out, ipma);
        close(&mut out, iprp);
        close(&mut out, meta);

        let grid_at = out.len() as u32 + 8;
        let tile_at = grid_at + GRID_LEN;
        for (i, entry) in out[extents_at..]
            .chunks_exact_mut(14)
            .take(usize::from(items))
            .enumerate()
        {
            let offset = if i == 0 { grid_at } else { tile_at };
            entry[6..10].copy_from_slice(&offset.to_be_bytes());
        }
        let mdat = open(&mut out, b"mdat", None);
        // ImageGrid: version 0, 16-bit sizes, rows − 1, columns − 1, output size.
        out.extend_from_slice(&[0, 0, (rows - 1) as u8, (cols - 1) as u8]);
        out.extend_from_slice(&(width as u16).to_be_bytes());
        out.extend_from_slice(&(height as u16).to_be_bytes());
        out.extend_from_slice(&tile.data);
        close(&mut out, mdat);
        out
    }
}

/// Starts a box (a full box when `version_flags` is given); returns where, for [`close`].
fn open(out: &mut Vec<u8>, kind: &[u8; 4], version_flags: Option<u32>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(kind);
    if let Some(v) = version_flags {
        out.extend_from_slice(&v.to_be_bytes());
    }
    start
}

/// Writes the size of the box started at `start`.
fn close(out: &mut [u8], start: usize) {
    let size = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

/// An `ispe` (image spatial extents) property.
fn ispe(out: &mut Vec<u8>, width: u32, height: u32) {
    let at = open(out, b"ispe", Some(0));
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&height.to_be_bytes());
    close(out, at);
}
