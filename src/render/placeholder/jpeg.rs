//! JPEG placeholders: baseline, 4:2:0, every block DC-only with a quantiser of 1.
//!
//! The Huffman tables are our own: the AC table holds only end-of-block, and the DC table
//! gives "no change" the 1-bit code `0`. Each component's DC is predicted from its previous
//! block, so only the first MCU carries the colour; every later one is six blocks of
//! (DC 0, EOB) = 12 zero bits, written as zero bytes. The headers are built once; a
//! request patches the size and writes the first MCU.

use super::bits::JpegBitWriter;

/// Offset of the frame height in the template (SOF0's length, precision, then height).
const SOF_HEIGHT_AT: usize = 2 + 18 + 69 + 5;
/// Bits in an MCU after the first: four luma and two chroma blocks of two 1-bit codes.
const BITS_PER_MCU: u64 = 12;
/// DC categories 1..=11 have 5-bit codes after `0` (category 0): 10000, 10001, …
const DC_CODE_LEN: u32 = 5;

/// The headers from SOI to the end of SOS, with a zero frame size to patch.
#[derive(Debug)]
pub(super) struct JpegTemplate {
    header: Vec<u8>,
}

impl JpegTemplate {
    pub(super) fn new() -> Self {
        let mut h = Vec::with_capacity(256);
        h.extend_from_slice(&[0xFF, 0xD8]);
        // JFIF 1.01, no density units, 1:1, no thumbnail.
        segment(&mut h, 0xE0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
        // One 8-bit quantisation table of ones: the DC coefficient is 8·(level − 128).
        let mut dqt = vec![0u8];
        dqt.extend_from_slice(&[1; 64]);
        segment(&mut h, 0xDB, &dqt);
        debug_assert_eq!(h.len() + 5, SOF_HEIGHT_AT);
        // 8-bit samples, size to patch, Y 2×2 and Cb, Cr 1×1 all on table 0.
        segment(
            &mut h,
            0xC0,
            &[8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0],
        );
        let mut dht = vec![0x00]; // DC table 0
        dht.extend_from_slice(&[1, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        dht.extend(0..=11u8);
        dht.push(0x10); // AC table 0: end-of-block alone, code `0`
        dht.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        dht.push(0x00);
        segment(&mut h, 0xC4, &dht);
        // One interleaved scan of the three components on tables 0/0, coefficients 0..63.
        segment(&mut h, 0xDA, &[3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]);
        JpegTemplate { header: h }
    }

    pub(super) fn image(&self, width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
        let mcus = u64::from(width.div_ceil(16)) * u64::from(height.div_ceil(16));
        let mut out =
            Vec::with_capacity(self.header.len() + 12 + (mcus * BITS_PER_MCU / 8) as usize);
        out.extend_from_slice(&self.header);
        out[SOF_HEIGHT_AT..SOF_HEIGHT_AT + 2].copy_from_slice(&(height as u16).to_be_bytes());
        out[SOF_HEIGHT_AT + 2..SOF_HEIGHT_AT + 4].copy_from_slice(&(width as u16).to_be_bytes());

        let [y, cb, cr] = ycbcr(rgb);
        let mut w = JpegBitWriter::new(out);
        block(&mut w, dc(y));
        for _ in 0..3 {
            block(&mut w, 0);
        }
        block(&mut w, dc(cb));
        block(&mut w, dc(cr));
        w.zeros((mcus - 1) * BITS_PER_MCU);
        let mut out = w.finish();
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }
}

/// Appends a marker segment: `FF marker`, its length, `data`.
fn segment(out: &mut Vec<u8>, marker: u8, data: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&(data.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(data);
}

/// The quantised DC of a block of uniform `level` (a quantiser of 1 keeps 8·(level − 128)).
fn dc(level: u8) -> i32 {
    8 * (i32::from(level) - 128)
}

/// One block whose DC differs by `diff` from the previous one of its component, and whose
/// AC coefficients are all zero.
fn block(w: &mut JpegBitWriter, diff: i32) {
    if diff == 0 {
        w.put(0, 1);
    } else {
        let category = 32 - diff.unsigned_abs().leading_zeros();
        w.put(0b10000 + category - 1, DC_CODE_LEN);
        // Negative differences are sent as diff − 1 in `category` bits (one's complement).
        let extra = if diff > 0 { diff } else { diff - 1 };
        w.put(extra as u32 & ((1 << category) - 1), category);
    }
    w.put(0, 1); // end of block
}

/// The YCbCr levels that libjpeg-turbo turns back into the closest colour to `rgb`: the
/// JFIF conversion, rounded, then nudged by ±1 where the decoder's rounding gains.
fn ycbcr([r, g, b]: [u8; 3]) -> [u8; 3] {
    let (r, g, b) = (f64::from(r), f64::from(g), f64::from(b));
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let start = [y, 128.0 + (b - y) / 1.772, 128.0 + (r - y) / 1.402].map(|v| v.round() as i32);
    let target = [r, g, b].map(|v| v as i32);
    let mut best = (i32::MAX, start);
    for dy in -1..=1 {
        for dcb in -1..=1 {
            for dcr in -1..=1 {
                let c = [start[0] + dy, start[1] + dcb, start[2] + dcr].map(|v| v.clamp(0, 255));
                let back = to_rgb(c);
                let err = (0..3)
                    .map(|i| (back[i] - target[i]).abs())
                    .max()
                    .unwrap_or(0);
                if err < best.0 {
                    best = (err, c);
                }
            }
        }
    }
    best.1.map(|v| v as u8)
}

/// libjpeg-turbo's YCbCr → RGB (jdcolor.c: 16-bit fixed point, rounded, clamped).
fn to_rgb([y, cb, cr]: [i32; 3]) -> [i32; 3] {
    let fix = |x: f64| (x * 65536.0 + 0.5) as i32;
    let (cb, cr) = (cb - 128, cr - 128);
    let r = y + ((fix(1.402) * cr + (1 << 15)) >> 16);
    let g = y + ((-fix(0.34414) * cb - fix(0.71414) * cr + (1 << 15)) >> 16);
    let b = y + ((fix(1.772) * cb + (1 << 15)) >> 16);
    [r, g, b].map(|v| v.clamp(0, 255))
}
