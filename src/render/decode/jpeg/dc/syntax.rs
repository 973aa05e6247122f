//! The marker segments of a JPEG up to its first scan, read strictly: what the DC-only
//! decoder needs (frame, quantisation and Huffman tables, restart interval, scan
//! components) and whether the file is one it handles at all. Anything unusual is
//! [`Unsupported`], which sends the file to libjpeg-turbo.

use super::Unsupported;
use super::huffman::{Class, Table};

/// A frame component and how its scan codes it.
#[derive(Debug, Clone)]
pub(super) struct Component {
    pub(super) id: u8,
    /// Sampling factors.
    pub(super) h: u32,
    pub(super) v: u32,
    /// Quantisation steps in natural (row-major) order.
    pub(super) quant: [u16; 64],
    /// Ids of its Huffman tables ([`Syntax::dc_tables`], [`Syntax::ac_tables`]).
    pub(super) dc_table: usize,
    pub(super) ac_table: usize,
}

/// Everything before the entropy-coded data.
#[derive(Debug)]
pub(super) struct Syntax {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) components: Vec<Component>,
    /// Huffman tables by id; every component's are present.
    pub(super) dc_tables: [Option<Table>; 4],
    pub(super) ac_tables: [Option<Table>; 4],
    /// MCUs between restart markers (0: none).
    pub(super) restart_interval: u32,
    /// Offset of the first entropy-coded byte.
    pub(super) data_start: usize,
}

/// The frame header (SOF): size and, per component, id, sampling factors and the id of
/// its quantisation table.
struct Frame {
    width: u32,
    height: u32,
    components: Vec<(u8, u32, u32, usize)>,
}

fn unsupported(why: &'static str) -> Unsupported {
    Unsupported(why)
}

/// Reads the segments of `bytes` up to the first scan.
pub(super) fn read(bytes: &[u8]) -> Result<Syntax, Unsupported> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err(unsupported("not a JPEG"));
    }
    let mut pos = 2;
    let mut frame: Option<Frame> = None;
    let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
    let mut dc_tables: [Option<Table>; 4] = [None, None, None, None];
    let mut ac_tables: [Option<Table>; 4] = [None, None, None, None];
    let mut restart_interval = 0;
    let (mut jfif, mut adobe_transform) = (false, None);
    loop {
        if bytes.get(pos) != Some(&0xFF) {
            return Err(unsupported("marker expected"));
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes.get(pos).ok_or(unsupported("truncated header"))?;
        pos += 1;
        let len = bytes
            .get(pos..pos + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
            .ok_or(unsupported("truncated header"))?;
        let body = bytes
            .get(pos + 2..pos + len.max(2))
            .filter(|_| len >= 2)
            .ok_or(unsupported("bad segment length"))?;
        pos += len;
        match marker {
            0xC0 | 0xC1 => {
                if frame.is_some() {
                    return Err(unsupported("two frames"));
                }
                frame = Some(read_frame(body)?);
            }
            0xC4 => read_huffman(body, &mut dc_tables, &mut ac_tables)?,
            0xDB => read_quant(body, &mut quant)?,
            0xDD => {
                let &[a, b] = body else {
                    return Err(unsupported("bad DRI"));
                };
                restart_interval = u16::from_be_bytes([a, b]) as u32;
            }
            // libjpeg's conditions for noticing these markers (jdmarker.c).
            0xE0 if body.len() >= 14 && body.starts_with(b"JFIF\0") => {
                // Another major version makes libjpeg warn, which TurboJPEG reports as an
                // error: that verdict is libjpeg-turbo's to give.
                if body[5] != 1 {
                    return Err(unsupported("unknown JFIF version"));
                }
                jfif = true;
            }
            0xEE if body.len() >= 12 && body.starts_with(b"Adobe") => {
                adobe_transform = Some(body[11]);
            }
            0xE0..=0xEF | 0xFE => {}
            0xDA => {
                let frame = frame.ok_or(unsupported("scan before frame"))?;
                let components =
                    read_scan(body, &frame.components, &quant, &dc_tables, &ac_tables)?;
                check_colour(&components, jfif, adobe_transform)?;
                return Ok(Syntax {
                    width: frame.width,
                    height: frame.height,
                    components,
                    dc_tables,
                    ac_tables,
                    restart_interval,
                    data_start: pos,
                });
            }
            // Progressive, lossless, arithmetic coding, hierarchical, DNL, anything else.
            _ => return Err(unsupported("not a baseline Huffman JPEG")),
        }
    }
}

fn read_frame(body: &[u8]) -> Result<Frame, Unsupported> {
    let &[precision, h0, h1, w0, w1, n, ..] = body else {
        return Err(unsupported("short frame header"));
    };
    if precision != 8 {
        return Err(unsupported("not 8-bit"));
    }
    let (h, w) = (u16::from_be_bytes([h0, h1]), u16::from_be_bytes([w0, w1]));
    // libjpeg's JPEG_MAX_DIMENSION is 65500.
    if w == 0 || h == 0 || w > 65500 || h > 65500 {
        return Err(unsupported("no pixels, a DNL marker or too large"));
    }
    let n = n as usize;
    if n != 1 && n != 3 {
        return Err(unsupported("not grey or YCbCr"));
    }
    if body.len() != 6 + 3 * n {
        return Err(unsupported("bad frame length"));
    }
    let specs = &body[6..];
    let comps = specs
        .chunks_exact(3)
        .map(|c| (c[0], (c[1] >> 4) as u32, (c[1] & 15) as u32, c[2] as usize))
        .collect::<Vec<_>>();
    if comps
        .iter()
        .any(|&(_, h, v, q)| !(1..=2).contains(&h) || !(1..=2).contains(&v) || q > 3)
    {
        return Err(unsupported("sampling factors"));
    }
    Ok(Frame {
        width: w as u32,
        height: h as u32,
        components: comps,
    })
}

/// Position in the block (row-major) of the `i`th coefficient in zig-zag order, with 16
/// extra entries as in libjpeg: a corrupt run past the last coefficient lands on it.
pub(super) const NATURAL: [usize; 80] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    63, 63, 63, 63, 63, 63,
];

fn read_quant(mut body: &[u8], quant: &mut [Option<[u16; 64]>; 4]) -> Result<(), Unsupported> {
    while let Some(&pq_tq) = body.first() {
        let (precision, id) = (pq_tq >> 4, (pq_tq & 15) as usize);
        let size = if precision == 0 { 64 } else { 128 };
        let table = body.get(1..1 + size).ok_or(unsupported("short DQT"))?;
        if id > 3 || precision > 1 {
            return Err(unsupported("bad DQT"));
        }
        let mut steps = [0u16; 64];
        for (i, &at) in NATURAL[..64].iter().enumerate() {
            steps[at] = if precision == 0 {
                table[i] as u16
            } else {
                u16::from_be_bytes([table[2 * i], table[2 * i + 1]])
            };
        }
        quant[id] = Some(steps);
        body = &body[1 + size..];
    }
    Ok(())
}

fn read_huffman(
    mut body: &[u8],
    dc: &mut [Option<Table>; 4],
    ac: &mut [Option<Table>; 4],
) -> Result<(), Unsupported> {
    while let Some(&tc_th) = body.first() {
        let (class, id) = (tc_th >> 4, (tc_th & 15) as usize);
        let counts: [u8; 16] = body
            .get(1..17)
            .and_then(|c| c.try_into().ok())
            .ok_or(unsupported("short DHT"))?;
        let n: usize = counts.iter().map(|&c| c as usize).sum();
        let values = body.get(17..17 + n).ok_or(unsupported("short DHT"))?;
        if id > 3 {
            return Err(unsupported("bad DHT"));
        }
        let (class, slot) = match class {
            0 => (Class::Dc, &mut dc[id]),
            1 => (Class::Ac, &mut ac[id]),
            _ => return Err(unsupported("bad DHT")),
        };
        *slot = Some(Table::new(class, &counts, values).ok_or(unsupported("bad Huffman table"))?);
        body = &body[17 + n..];
    }
    Ok(())
}

fn read_scan(
    body: &[u8],
    frame: &[(u8, u32, u32, usize)],
    quant: &[Option<[u16; 64]>; 4],
    dc: &[Option<Table>; 4],
    ac: &[Option<Table>; 4],
) -> Result<Vec<Component>, Unsupported> {
    let n = *body.first().ok_or(unsupported("short SOS"))? as usize;
    // One scan with every component: a single pass gives the whole image.
    if n != frame.len() || body.len() != 4 + 2 * n {
        return Err(unsupported("components in several scans"));
    }
    let specs = &body[1..1 + 2 * n];
    if body.get(1 + 2 * n..4 + 2 * n) != Some(&[0, 63, 0]) {
        return Err(unsupported("not a sequential scan"));
    }
    let mut out = Vec::with_capacity(n);
    for (spec, &(id, h, v, q)) in specs.chunks_exact(2).zip(frame) {
        if spec[0] != id {
            return Err(unsupported("scan components out of frame order"));
        }
        let (td, ta) = ((spec[1] >> 4) as usize, (spec[1] & 15) as usize);
        if td > 3 || ta > 3 || dc[td].is_none() || ac[ta].is_none() {
            return Err(unsupported("missing Huffman table"));
        }
        out.push(Component {
            id,
            h,
            v,
            quant: quant[q].ok_or(unsupported("missing quantisation table"))?,
            dc_table: td,
            ac_table: ta,
        });
    }
    if frame
        .iter()
        .enumerate()
        .any(|(i, a)| frame[..i].iter().any(|b| b.0 == a.0))
    {
        return Err(unsupported("duplicate component ids"));
    }
    Ok(out)
}

/// libjpeg's reading of a 3-component file's colour space: JFIF means YCbCr; else an
/// Adobe marker's transform flag decides; else component ids R, G, B mean RGB. Only
/// YCbCr (and grey) are decoded here.
fn check_colour(c: &[Component], jfif: bool, adobe: Option<u8>) -> Result<(), Unsupported> {
    if c.len() == 1 {
        return Ok(());
    }
    let rgb = if jfif {
        false
    } else if let Some(t) = adobe {
        // Other values make libjpeg warn (and guess YCbCr).
        if t > 1 {
            return Err(unsupported("unknown Adobe transform"));
        }
        t == 0
    } else {
        (c[0].id, c[1].id, c[2].id) == (b'R', b'G', b'B')
    };
    if rgb {
        return Err(unsupported("RGB JPEG"));
    }
    // Luma carries the largest factors; chroma is 1×1 (4:4:4, 4:2:2, 4:4:0, 4:2:0).
    if c[1..].iter().any(|x| (x.h, x.v) != (1, 1)) {
        return Err(unsupported("chroma sampling"));
    }
    Ok(())
}
