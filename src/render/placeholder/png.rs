//! PNG placeholders: a one-entry palette at 1 bit per pixel, so that every scanline
//! (filter byte and pixels) is zero bytes, compressed by a hand-written deflate stream.
//!
//! The zlib stream is one fixed-Huffman block: a literal zero, then matches of 258 bytes
//! at distance 1 (13 bits each, 0.05 bit per raw byte, a repeating 13-byte pattern) and one
//! shorter match for the rest.
//! Adler-32 of n zero bytes is (n mod 65521) << 16 | 1, so nothing is ever hashed but the
//! few kilobytes of the chunk's CRC.

use super::bits::LsbWriter;

/// Longest deflate match.
const MAX_MATCH: u64 = 258;
/// Adler-32's modulus.
const ADLER_MOD: u64 = 65521;

pub(super) fn image(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    // One filter byte and ceil(width / 8) pixel bytes per row, all zero.
    let raw = u64::from(height) * (1 + u64::from(width).div_ceil(8));
    let mut out = Vec::with_capacity(96 + (raw / MAX_MATCH * 13 / 8) as usize);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");

    let mut ihdr = [0u8; 13];
    ihdr[..4].copy_from_slice(&width.to_be_bytes());
    ihdr[4..8].copy_from_slice(&height.to_be_bytes());
    // Bit depth 1, colour type 3 (palette); deflate, adaptive filtering, no interlace.
    ihdr[8..].copy_from_slice(&[1, 3, 0, 0, 0]);
    chunk(&mut out, b"IHDR", |o| o.extend_from_slice(&ihdr));
    chunk(&mut out, b"PLTE", |o| o.extend_from_slice(&rgb));
    chunk(&mut out, b"IDAT", |o| zlib_zeros(o, raw));
    chunk(&mut out, b"IEND", |_| {});
    out
}

/// Appends a chunk whose data `fill` appends, with its length and CRC.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], fill: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(kind);
    fill(out);
    let len = (out.len() - start - 8) as u32;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    let crc = crc32fast::hash(&out[start + 4..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Appends a zlib stream of `n` (at least 1) zero bytes.
fn zlib_zeros(out: &mut Vec<u8>, n: u64) {
    // CMF: deflate with a 32 KiB window; FLG: no dictionary, check bits for CMF·256+FLG.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut w = LsbWriter::new(std::mem::take(out));
    w.put(1, 1); // BFINAL
    w.put(1, 2); // BTYPE 01: fixed Huffman codes
    literal_zero(&mut w);
    let mut longest = (n - 1) / MAX_MATCH;
    let left = (n - 1) % MAX_MATCH;
    // Eight 13-bit matches fill 13 bytes: from the first byte boundary (at most seven
    // matches away, 13 being odd), the stream is copies of those 13 bytes.
    while longest > 0 && !w.is_aligned() {
        match_at_distance_one(&mut w, MAX_MATCH as u32);
        longest -= 1;
    }
    if longest >= 8 {
        let mut eight = LsbWriter::new(Vec::with_capacity(13));
        for _ in 0..8 {
            match_at_distance_one(&mut eight, MAX_MATCH as u32);
        }
        let eight = eight.finish();
        for _ in 0..longest / 8 {
            w.put_bytes(&eight);
        }
        longest %= 8;
    }
    for _ in 0..longest {
        match_at_distance_one(&mut w, MAX_MATCH as u32);
    }
    if left >= 3 {
        match_at_distance_one(&mut w, left as u32);
    } else {
        for _ in 0..left {
            literal_zero(&mut w);
        }
    }
    w.put(0, 7); // end of block: symbol 256, the 7-bit code 0000000
    *out = w.finish();
    let adler = ((n % ADLER_MOD) << 16 | 1) as u32;
    out.extend_from_slice(&adler.to_be_bytes());
}

/// Literal 0: fixed code 0x30, 8 bits.
fn literal_zero(w: &mut LsbWriter) {
    w.put_code(0x30, 8);
}

/// A match of `len` (3..=258) bytes at distance 1.
fn match_at_distance_one(w: &mut LsbWriter, len: u32) {
    let (symbol, extra_bits, extra) = length_symbol(len);
    // Fixed codes: 257..=279 are 7 bits from 0000001, 280..=287 are 8 bits from 11000000.
    if symbol < 280 {
        w.put_code(symbol - 256, 7);
    } else {
        w.put_code(0xC0 + symbol - 280, 8);
    }
    w.put(extra, extra_bits);
    w.put_code(0, 5); // distance code 0: distance 1, no extra bits
}

/// The deflate length symbol of `len` (3..=258), its count of extra bits and their value.
fn length_symbol(len: u32) -> (u32, u32, u32) {
    if len == 258 {
        return (285, 0, 0);
    }
    if len < 11 {
        return (254 + len, 0, 0);
    }
    // Symbols 265.. come in groups of four per count of extra bits, each group starting at
    // 3 + 4·2^e·(1 + …): find the group from the offset's highest bit.
    let offset = len - 3;
    let extra_bits = 31 - offset.leading_zeros() - 2;
    let group_base = 4 << extra_bits;
    let within = (offset - group_base) >> extra_bits;
    let symbol = 265 + 4 * (extra_bits - 1) + within;
    (
        symbol,
        extra_bits,
        (offset - group_base) & ((1 << extra_bits) - 1),
    )
}

#[cfg(test)]
mod tests {
    use super::length_symbol;

    #[test]
    fn length_symbols_match_the_deflate_table() {
        // (len, symbol, extra bits, extra) from RFC 1951, 3.2.5.
        for (len, want) in [
            (3, (257, 0, 0)),
            (10, (264, 0, 0)),
            (11, (265, 1, 0)),
            (12, (265, 1, 1)),
            (13, (266, 1, 0)),
            (18, (268, 1, 1)),
            (19, (269, 2, 0)),
            (22, (269, 2, 3)),
            (35, (273, 3, 0)),
            (67, (277, 4, 0)),
            (131, (281, 5, 0)),
            (257, (284, 5, 30)),
            (258, (285, 0, 0)),
        ] {
            assert_eq!(length_symbol(len), want, "length {len}");
        }
    }
}
