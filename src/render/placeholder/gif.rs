//! GIF placeholders: a two-entry palette and one image whose pixels are all index 0,
//! LZW-coded as runs that each grow by one pixel.
//!
//! An LZW decoder adds "previous string + its first pixel" to its table after each code,
//! so sending code k for a run of k zeros (the first one a plain 0) always names either
//! a known entry or the one being added: n pixels take about √(2n) codes, 4 KiB for
//! 2000×2000. A clear code restarts the table one entry before it would fill up, the
//! point at which giflib's encoder clears too, so no decoder meets a full table.

use super::bits::LsbWriter;

/// Bits per pixel index; 2 is GIF's smallest LZW code size.
const MIN_CODE_SIZE: u32 = 2;
const CLEAR: u32 = 1 << MIN_CODE_SIZE;
const END: u32 = CLEAR + 1;
/// The first table entry after the clear and end codes.
const FIRST_ENTRY: u32 = CLEAR + 2;
/// Clear once the next entry would be this (the 12-bit table holds 4096).
const CLEAR_AT: u32 = 4095;
/// Data sub-blocks hold at most 255 bytes.
const SUB_BLOCK: usize = 255;

pub(super) fn image(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let lzw = lzw_zeros(u64::from(width) * u64::from(height));
    let mut out = Vec::with_capacity(40 + lzw.len() + lzw.len() / SUB_BLOCK);
    let (w, h) = (width as u16, height as u16);
    out.extend_from_slice(b"GIF89a");
    out.extend_from_slice(&w.to_le_bytes());
    out.extend_from_slice(&h.to_le_bytes());
    // Global colour table of 2 entries, colour resolution 1 bit; background 0, no aspect.
    out.extend_from_slice(&[0x80, 0, 0]);
    out.extend_from_slice(&rgb);
    out.extend_from_slice(&rgb);
    // Image descriptor: at (0, 0), the whole screen, no local table, not interlaced.
    out.push(0x2C);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&w.to_le_bytes());
    out.extend_from_slice(&h.to_le_bytes());
    out.push(0);
    out.push(MIN_CODE_SIZE as u8);
    for block in lzw.chunks(SUB_BLOCK) {
        out.push(block.len() as u8);
        out.extend_from_slice(block);
    }
    out.push(0); // end of the image data
    out.push(0x3B); // trailer
    out
}

/// The LZW code stream of `n` (at least 1) pixels of index 0, clear code first.
fn lzw_zeros(n: u64) -> Vec<u8> {
    let mut w = LsbWriter::new(Vec::new());
    let mut width = MIN_CODE_SIZE + 1;
    let mut left = n;
    while left > 0 {
        w.put(CLEAR, width);
        width = MIN_CODE_SIZE + 1;
        // The first code after a clear adds nothing to the decoder's table.
        w.put(0, width);
        left -= 1;
        let mut run = 1u64;
        // The entry the decoder adds after reading the next code.
        let mut next = FIRST_ENTRY;
        while left > 0 && next < CLEAR_AT {
            let len = (run + 1).min(left);
            // Entry FIRST_ENTRY + j holds j + 2 zeros; a single zero is the code 0.
            let code = if len == 1 {
                0
            } else {
                len as u32 - 2 + FIRST_ENTRY
            };
            w.put(code, width);
            left -= len;
            run = len;
            next += 1;
            if next == 1 << width && width < 12 {
                width += 1;
            }
        }
    }
    w.put(END, width);
    w.finish()
}
