//! A baseline JPEG decoded at 1/8 scale without libjpeg-turbo: only each block's DC value
//! is kept, which is exactly what a 1/8 DCT scaling computes. A thumbnail of a large photo
//! is nothing but this pass, so its speed is the speed of a first render.
//!
//! libjpeg-turbo already skips the inverse DCT at 1/8, but it still decodes every AC
//! coefficient symbol by symbol; here one table lookup skips a coefficient, code and
//! magnitude, and usually the next one or two as well ([`huffman`], [`bits`]), which makes
//! the pass about twice as fast on photographic files.
//!
//! Only the common case is handled: 8-bit sequential Huffman JPEGs, grey or YCbCr with
//! 4:4:4, 4:2:2, 4:4:0 or 4:2:0 sampling, every component in one scan. Everything else,
//! and any file whose data is not exactly well-formed (truncated, a bad code, bytes out of
//! place around a restart marker, no end marker…), is [`Unsupported`] and goes to
//! libjpeg-turbo, which then gives its own verdict. This path therefore never accepts a
//! file that libjpeg-turbo would refuse, and gives the same pixels as its 1/8 decode
//! (`tests/render/dc.rs`).

mod bits;
mod huffman;
mod idct;
mod output;
mod syntax;

use crate::render::raster::Raster;
use bits::Bits;
use huffman::Table;
use syntax::Syntax;

/// Why a file is left to libjpeg-turbo (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unsupported(pub(crate) &'static str);

/// One component at 1/8 scale (padded to whole MCUs): a pixel per block, or 2×2 per block
/// for 4:2:0 chroma, which libjpeg-turbo reconstructs with a 2×2 inverse DCT rather than
/// upsampling it (its rule: scale chroma up through the IDCT when the factors allow).
#[derive(Debug)]
struct Plane {
    width: usize,
    height: usize,
    /// Pixels per block along each side: 1 or 2.
    per_block: usize,
    data: Vec<u8>,
}

/// How one component is decoded.
#[derive(Debug, Clone, Copy)]
struct Coding<'a> {
    dc: &'a Table,
    ac: &'a Table,
    /// Blocks per MCU along each side.
    h: usize,
    v: usize,
    quant: &'a [u16; 64],
}

/// Decodes `bytes` at 1/8 scale (each side divided by 8, rounded up) into an RGB or grey
/// raster, as libjpeg-turbo's 1/8 decode would. Frames of more than `max_pixels` are
/// refused before anything is allocated.
pub(crate) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Raster, Unsupported> {
    let s = syntax::read(bytes)?;
    let hmax = s.components.iter().map(|c| c.h).max().unwrap_or(1);
    let vmax = s.components.iter().map(|c| c.v).max().unwrap_or(1);
    // A one-component scan is not interleaved: its MCU is one block of the component.
    let single = s.components.len() == 1;
    let (mcu_w, mcu_h) = if single { (1, 1) } else { (hmax, vmax) };
    let mcus_x = s.width.div_ceil(8 * mcu_w) as usize;
    let mcus_y = s.height.div_ceil(8 * mcu_h) as usize;
    if s.width as u64 * s.height as u64 > max_pixels {
        return Err(Unsupported("too large"));
    }
    let mut planes = Vec::with_capacity(s.components.len());
    let mut codings = Vec::with_capacity(s.components.len());
    for (i, c) in s.components.iter().enumerate() {
        let (h, v) = if single { (1, 1) } else { (c.h, c.v) };
        let per_block = if i > 0 && (hmax, vmax) == (2, 2) {
            2
        } else {
            1
        };
        let (width, height) = (
            mcus_x * h as usize * per_block,
            mcus_y * v as usize * per_block,
        );
        planes.push(Plane {
            width,
            height,
            per_block,
            data: vec![0; width * height],
        });
        let dc = s.dc_tables[c.dc_table].as_ref();
        let ac = s.ac_tables[c.ac_table].as_ref();
        let (Some(dc), Some(ac)) = (dc, ac) else {
            return Err(Unsupported("missing Huffman table"));
        };
        codings.push(Coding {
            dc,
            ac,
            h: h as usize,
            v: v as usize,
            quant: &c.quant,
        });
    }
    scan(bytes, &s, mcus_x, mcus_y, &codings, &mut planes)?;
    output::raster(&s, hmax, vmax, &planes).map_err(|_| Unsupported("inconsistent size"))
}

/// Decodes the entropy-coded data: every MCU, every block, keeping DC values.
fn scan(
    bytes: &[u8],
    s: &Syntax,
    mcus_x: usize,
    mcus_y: usize,
    codings: &[Coding<'_>],
    planes: &mut [Plane],
) -> Result<(), Unsupported> {
    let bad = |_| Unsupported("bad Huffman code");
    let mut bits = Bits::new(bytes, s.data_start);
    let mut pred = [0i32; 3];
    let interval = s.restart_interval as usize;
    let mut next_restart = 0u8;
    for m in 0..mcus_x * mcus_y {
        if interval > 0 && m > 0 && m % interval == 0 {
            restart(&mut bits, next_restart)?;
            next_restart = (next_restart + 1) & 7;
            pred = [0; 3];
        }
        let (mx, my) = (m % mcus_x, m / mcus_x);
        for (ci, c) in codings.iter().enumerate() {
            let plane = &mut planes[ci];
            for by in 0..c.v {
                for bx in 0..c.h {
                    let (x, y) = (mx * c.h + bx, my * c.v + by);
                    pred[ci] = pred[ci].wrapping_add(bits.dc_diff(c.dc).map_err(bad)?);
                    if plane.per_block == 1 {
                        bits.skip_ac(c.ac).map_err(bad)?;
                        plane.data[y * plane.width + x] = level(pred[ci], c.quant[0]);
                    } else {
                        let mut block = [0i16; 64];
                        block[0] = pred[ci] as i16;
                        let ac = bits.ac_values(c.ac, &mut block).map_err(bad)?;
                        let quad = if ac {
                            idct::two_by_two(&block, c.quant)
                        } else {
                            idct::flat(block[0], c.quant[0]).map(|v| [v; 4])
                        };
                        let [a, b, d, e] = quad.ok_or(Unsupported("coefficients out of range"))?;
                        let at = 2 * y * plane.width + 2 * x;
                        plane.data[at..at + 2].copy_from_slice(&[a, b]);
                        plane.data[at + plane.width..at + plane.width + 2].copy_from_slice(&[d, e]);
                    }
                }
            }
        }
    }
    if bits.overran() {
        return Err(Unsupported("truncated data"));
    }
    if next_marker(bytes, bits.pos()) != Some(0xD9) {
        return Err(Unsupported("no end of image after the scan"));
    }
    Ok(())
}

/// The pixel a block's DC coefficient stands for: libjpeg's 1×1 inverse DCT (which keeps
/// coefficients and quantisation steps as 16-bit integers, hence the truncations).
fn level(dc: i32, step: u16) -> u8 {
    idct::range_limit((dc as i16 as i32 * step as i16 as i32 + 4) >> 3)
}

/// Checks that the data of a restart interval ended exactly at the expected RSTn marker
/// and starts reading after it.
fn restart(bits: &mut Bits<'_>, n: u8) -> Result<(), Unsupported> {
    if bits.overran() {
        return Err(Unsupported("truncated data"));
    }
    // Whole bytes left over mean stray data before the marker.
    if bits.buffered() >= 8 {
        return Err(Unsupported("data before a restart marker"));
    }
    let mut pos = bits.pos();
    while bytes_at(bits, pos) == Some(0xFF) {
        pos += 1;
    }
    if pos == bits.pos() || bytes_at(bits, pos) != Some(0xD0 + n) {
        return Err(Unsupported("restart marker out of place"));
    }
    bits.reset(pos + 1);
    Ok(())
}

fn bytes_at(bits: &Bits<'_>, pos: usize) -> Option<u8> {
    bits.data().get(pos).copied()
}

/// The next marker code at or after `pos` (skipping stray data and fill bytes).
fn next_marker(bytes: &[u8], pos: usize) -> Option<u8> {
    let rest = bytes.get(pos..)?;
    let mut i = rest.iter().position(|&b| b == 0xFF)?;
    loop {
        match rest.get(i + 1)? {
            0xFF => i += 1,
            0x00 => i += 2 + rest.get(i + 2..)?.iter().position(|&b| b == 0xFF)?,
            &m => return Some(m),
        }
    }
}
