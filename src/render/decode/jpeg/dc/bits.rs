//! The bit reader of the DC-only path, over entropy-coded data: byte stuffing, markers and
//! truncation, and the three things a block needs: its DC difference, its AC coefficients
//! skipped, or (4:2:0 chroma) its AC coefficients' values.
//!
//! The two AC loops are the whole decoder's hot path. They keep the bit buffer in locals
//! (written back only around the rare slow paths) so that it stays in registers, and
//! refill eight bytes at a time without testing for stuffing: the position of the next
//! 0xFF byte is known in advance (`clean_until`), so the only test is a comparison.

use super::huffman::{BadCode, ENDS_BLOCK, Table};
use super::syntax::NATURAL;

/// Whether the 2×2 inverse DCT reads the coefficient at each (row-major) position: rows
/// and columns 0, 1, 3, 5 and 7, DC excepted.
const QUAD: [bool; 64] = {
    let mut used = [false; 64];
    let odd = [0, 1, 3, 5, 7];
    let (mut r, mut c) = (0, 0);
    while r < 5 {
        while c < 5 {
            used[odd[r] * 8 + odd[c]] = true;
            c += 1;
        }
        c = 0;
        r += 1;
    }
    used[0] = false;
    used
};

/// Reads entropy-coded bits. Past a marker or the end of the data it supplies zero bits
/// and counts them, so that a caller can tell whether it consumed any (the data was short).
pub(super) struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    /// Left-aligned: the next bit is the top one.
    buf: u64,
    /// Bits in `buf`, padding included.
    count: u32,
    /// Zero bits supplied after a marker or the end (they sit at the bottom of `buf`).
    padding: u32,
    /// Position of the next 0xFF byte at or after `pos` (or the end): the bytes before it
    /// can be loaded eight at a time with no check for stuffing or markers.
    clean_until: usize,
}

impl std::fmt::Debug for Bits<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bits")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

/// The position of the first 0xFF at or after `pos`, or the length of `data`.
fn next_ff(data: &[u8], pos: usize) -> usize {
    data.get(pos..)
        .and_then(|rest| memchr::memchr(0xFF, rest))
        .map_or(data.len(), |i| pos + i)
}

/// Loads the eight bytes at `pos` below the `count` bits of `buf`, when fewer than 32 are
/// left and none of those bytes is 0xFF: afterwards at least 56 bits are buffered
/// (Giesen's branch-light refill; bytes loaded twice land on the same bits). False when a
/// refill was needed but the next 0xFF is too close: the byte-wise path must do it.
#[inline(always)]
fn refill_fast(
    data: &[u8],
    clean_until: usize,
    buf: &mut u64,
    count: &mut u32,
    pos: &mut usize,
) -> bool {
    if *count >= 32 {
        return true;
    }
    if *pos + 8 > clean_until {
        return false;
    }
    let w = &data[*pos..*pos + 8];
    let v = u64::from_be_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
    *buf |= v >> *count;
    *pos += ((63 - *count) >> 3) as usize;
    *count |= 56;
    true
}

impl<'a> Bits<'a> {
    /// Entropy-coded data starting at `data[pos]`.
    pub(super) fn new(data: &'a [u8], pos: usize) -> Bits<'a> {
        Bits {
            data,
            pos,
            buf: 0,
            count: 0,
            padding: 0,
            clean_until: next_ff(data, pos),
        }
    }

    /// The data being read.
    pub(super) fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Position of the next unread byte.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// Whether more bits were consumed than the data had before its marker or end.
    pub(super) fn overran(&self) -> bool {
        self.padding > self.count
    }

    /// Real (not padding) bits still buffered.
    pub(super) fn buffered(&self) -> u32 {
        self.count.saturating_sub(self.padding)
    }

    /// Forgets the buffered bits (at a restart marker, after checking [`Bits::overran`]).
    pub(super) fn reset(&mut self, pos: usize) {
        *self = Bits::new(self.data, pos);
    }

    /// Makes at least 32 bits available (the hot loops' refill, or the byte-wise one).
    #[inline(always)]
    fn refill(&mut self) {
        let (data, clean_until) = (self.data, self.clean_until);
        if !refill_fast(
            data,
            clean_until,
            &mut self.buf,
            &mut self.count,
            &mut self.pos,
        ) {
            self.refill_slow();
        }
    }

    /// Byte by byte: unstuffs 0xFF 0x00, stops at a marker or the end (then supplies
    /// zeros), and finds the next 0xFF once past one.
    #[cold]
    fn refill_slow(&mut self) {
        while self.count <= 56 {
            let byte = match self.data.get(self.pos) {
                Some(0xFF) if self.data.get(self.pos + 1) == Some(&0) => {
                    self.pos += 2;
                    0xFF
                }
                Some(0xFF) | None => {
                    // Zeros from here on (already there: `buf` is shifted left as it is
                    // consumed, and bytes loaded ahead are real data before the marker).
                    self.padding += 64 - self.count;
                    self.count = 64;
                    break;
                }
                Some(&b) => {
                    self.pos += 1;
                    b
                }
            };
            self.buf |= (byte as u64) << (56 - self.count);
            self.count += 8;
        }
        if self.pos >= self.clean_until {
            self.clean_until = next_ff(self.data, self.pos);
        }
    }

    /// The buffered bits, left-aligned.
    pub(super) fn front(&self) -> u64 {
        self.buf
    }

    /// The next `n` bits (1 ≤ n ≤ 32) as a number.
    #[inline(always)]
    pub(super) fn peek(&self, n: u32) -> u32 {
        (self.buf >> (64 - n)) as u32
    }

    #[inline(always)]
    pub(super) fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.count -= n;
    }

    /// Decodes one DC difference with `table`.
    #[inline(always)]
    pub(super) fn dc_diff(&mut self, table: &Table) -> Result<i32, BadCode> {
        self.refill();
        let e = table.fast(self.buf);
        let size = if e != 0 {
            self.consume(e & 0xFF);
            e >> 8
        } else {
            let size = table.decode(self)? as u32;
            if size > 11 {
                return Err(BadCode);
            }
            self.refill();
            size
        };
        Ok(if size == 0 {
            0
        } else {
            let v = self.peek(size) as i32;
            self.consume(size);
            extend(v, size)
        })
    }

    /// Skips the 63 AC coefficients of one block with `table` (see [`Table::fast`]).
    #[inline(always)]
    pub(super) fn skip_ac(&mut self, table: &Table) -> Result<(), BadCode> {
        let data = self.data;
        let (mut buf, mut count, mut pos, mut clean) =
            (self.buf, self.count, self.pos, self.clean_until);
        let mut k = 1u32;
        loop {
            if !refill_fast(data, clean, &mut buf, &mut count, &mut pos) {
                (self.buf, self.count, self.pos) = (buf, count, pos);
                self.refill_slow();
                (buf, count, pos, clean) = (self.buf, self.count, self.pos, self.clean_until);
            }
            // A lookup skips at most 27 bits (12 of codes and magnitudes, then a magnitude
            // of up to 15); at least 32 are buffered.
            let e = table.fast(buf);
            if e == 0 {
                (self.buf, self.count, self.pos) = (buf, count, pos);
                k = self.skip_slow(table, k)?;
                if k >= 64 {
                    return Ok(());
                }
                (buf, count, pos, clean) = (self.buf, self.count, self.pos, self.clean_until);
                continue;
            }
            let advance = (e >> 8) & 0xFF;
            if k + advance < 64 {
                // The shift reads the low six bits of the entry: the bits to skip.
                buf = buf.wrapping_shl(e);
                count -= e & 63;
                k += advance;
                if e & ENDS_BLOCK != 0 {
                    break;
                }
                continue;
            }
            // Coefficient 63 is reached within these symbols, and the block ends there
            // without an end-of-block code: one symbol at a time.
            let n = (e >> 16) & 0xFF;
            buf <<= n;
            count -= n;
            k += e >> 24;
            if k >= 64 {
                break;
            }
        }
        (self.buf, self.count, self.pos) = (buf, count, pos);
        Ok(())
    }

    /// One AC symbol the fast entries could not take, at coefficient `k`; returns the next
    /// coefficient index (64 or more: the block ended).
    #[cold]
    fn skip_slow(&mut self, table: &Table, k: u32) -> Result<u32, BadCode> {
        self.refill();
        let symbol = table.decode(self)?;
        let (run, size) = ((symbol >> 4) as u32, (symbol & 15) as u32);
        Ok(match (size, run) {
            (0, 15) => k + 16,
            (0, _) => 64,
            _ => {
                self.refill();
                self.consume(size);
                k + run + 1
            }
        })
    }

    /// Decodes the AC coefficients of one block into `block` (row-major), as libjpeg
    /// stores them: for the blocks whose values are needed (4:2:0 chroma). Returns whether
    /// any coefficient the 2×2 inverse DCT reads is non-zero.
    #[inline(always)]
    pub(super) fn ac_values(
        &mut self,
        table: &Table,
        block: &mut [i16; 64],
    ) -> Result<bool, BadCode> {
        let data = self.data;
        let (mut buf, mut count, mut pos, mut clean) =
            (self.buf, self.count, self.pos, self.clean_until);
        let (mut k, mut used) = (1usize, false);
        while k < 64 {
            if !refill_fast(data, clean, &mut buf, &mut count, &mut pos) {
                (self.buf, self.count, self.pos) = (buf, count, pos);
                self.refill_slow();
                (buf, count, pos, clean) = (self.buf, self.count, self.pos, self.clean_until);
            }
            // At least 32 bits: a code (≤ 16) and its magnitude (≤ 15) fit.
            let c = table.code(buf);
            let symbol = if c != 0 {
                let n = (c & 0xFF) as u32;
                buf <<= n;
                count -= n;
                (c >> 8) as u8
            } else {
                (self.buf, self.count, self.pos) = (buf, count, pos);
                let symbol = table.decode(self)?;
                (buf, count, pos, clean) = (self.buf, self.count, self.pos, self.clean_until);
                symbol
            };
            let (run, size) = ((symbol >> 4) as usize, (symbol & 15) as u32);
            if size == 0 {
                if run == 15 {
                    k += 16;
                    continue;
                }
                break;
            }
            k += run;
            let v = (buf >> (64 - size)) as i32;
            buf <<= size;
            count -= size;
            let at = NATURAL[k.min(79)];
            block[at] = extend(v, size) as i16;
            used |= QUAD[at];
            k += 1;
        }
        (self.buf, self.count, self.pos) = (buf, count, pos);
        Ok(used)
    }
}

/// A magnitude of `size` bits (1–16) sign-extended as JPEG codes it (F.2.2.1).
#[inline(always)]
fn extend(v: i32, size: u32) -> i32 {
    if v < 1 << (size - 1) {
        v - (1 << size) + 1
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::decode::jpeg::dc::huffman::Class;

    /// Writes bits MSB first, stuffing a zero after every 0xFF, padding with ones.
    fn pack(bits: &[(u32, u32)]) -> Vec<u8> {
        let (mut out, mut acc, mut n) = (Vec::new(), 0u64, 0u32);
        for &(v, len) in bits {
            acc = acc << len | v as u64;
            n += len;
            while n >= 8 {
                let b = (acc >> (n - 8)) as u8;
                out.push(b);
                if b == 0xFF {
                    out.push(0);
                }
                n -= 8;
            }
        }
        if n > 0 {
            let b = ((acc << (8 - n)) as u8) | ((1u8 << (8 - n)) - 1);
            out.push(b);
            if b == 0xFF {
                out.push(0);
            }
        }
        out
    }

    /// Codes: 0x00 (EOB) = "00", 0x01 = "01", 0xF0 (ZRL) = "100", 0x13 = "101",
    /// and a 14-bit code for 0x22 that only the slow path reaches.
    fn ac_table() -> Table {
        let mut counts = [0u8; 16];
        counts[1] = 2; // 00, 01
        counts[2] = 2; // 100, 101
        counts[13] = 1; // 11000000000000
        Table::new(Class::Ac, &counts, &[0x00, 0x01, 0xF0, 0x13, 0x22]).unwrap()
    }

    /// Block 1: 0x01 (+1 bit), ZRL, 0x13 (+3 bits), slow 0x22 (+2 bits), EOB. Block 2: EOB.
    const TWO_BLOCKS: [(u32, u32); 9] = [
        (0b01, 2),
        (1, 1),
        (0b100, 3),
        (0b101, 3),
        (0b110, 3),
        (0b11000000000000, 14),
        (0b10, 2),
        (0b00, 2),
        (0b00, 2),
    ];

    #[test]
    fn skips_coefficients_fast_and_slow() {
        let t = ac_table();
        // Followed by 0x01 and its bit, which must be what is left.
        let mut codes = TWO_BLOCKS.to_vec();
        codes.push((0b011, 3));
        let data = pack(&codes);
        let mut bits = Bits::new(&data, 0);
        bits.skip_ac(&t).unwrap();
        bits.skip_ac(&t).unwrap();
        assert!(!bits.overran());
        bits.refill();
        assert_eq!(bits.peek(3), 0b011);
    }

    #[test]
    fn values_follow_the_zigzag_order() {
        let t = ac_table();
        let data = pack(&TWO_BLOCKS);
        let mut bits = Bits::new(&data, 0);
        let mut block = [0i16; 64];
        let used = bits.ac_values(&t, &mut block).unwrap();
        // 0x01 "1" → +1 at zigzag 1 (row 0, column 1), next 2; ZRL → 18; 0x13 "110" →
        // run 1, +6 at zigzag 19 (row 4, column 1), next 20; 0x22 "10" → run 2, +2 at
        // zigzag 22 (row 5, column 1).
        let mut want = [0i16; 64];
        (want[1], want[33], want[41]) = (1, 6, 2);
        assert_eq!(block, want);
        assert!(used, "rows and columns 0, 1 and 3 are read by the 2×2 IDCT");
        let mut second = [0i16; 64];
        assert!(!bits.ac_values(&t, &mut second).unwrap());
        assert_eq!(second, [0; 64]);
    }

    #[test]
    fn a_block_ends_after_63_coefficients_without_eob() {
        let t = ac_table();
        let mut codes = vec![(0b01, 2), (1, 1)]; // one coefficient per symbol
        codes.extend(std::iter::repeat_n((0b011, 3), 62));
        codes.push((0b01, 2)); // first symbol of the next block: must stay unread
        let data = pack(&codes);
        let mut bits = Bits::new(&data, 0);
        bits.skip_ac(&t).unwrap();
        bits.refill();
        assert_eq!(bits.peek(2), 0b01);
    }

    #[test]
    fn dc_differences_are_sign_extended() {
        // DC codes: size 0 = "0", size 2 = "10", size 11 = "110".
        let mut counts = [0u8; 16];
        counts[0] = 1;
        counts[1] = 1;
        counts[2] = 1;
        let t = Table::new(Class::Dc, &counts, &[0, 2, 11]).unwrap();
        let data = pack(&[(0, 1), (0b10, 2), (0b00, 2), (0b10, 2), (0b11, 2)]);
        let mut bits = Bits::new(&data, 0);
        assert_eq!(bits.dc_diff(&t), Ok(0));
        assert_eq!(bits.dc_diff(&t), Ok(-3));
        assert_eq!(bits.dc_diff(&t), Ok(3));
        // "110" then 11 magnitude bits: the slow path (3 + 11 > 12).
        let data = pack(&[(0b110, 3), (0b100_0000_0000, 11)]);
        assert_eq!(Bits::new(&data, 0).dc_diff(&t), Ok(1024));
    }

    #[test]
    fn stuffing_markers_and_truncation() {
        let t = ac_table();
        // 0xFF 0x00 is one data byte 0xFF; the marker after it ends the data.
        let data = [0x5F, 0xFF, 0x00, 0xFF, 0xD9];
        let mut bits = Bits::new(&data, 0);
        bits.refill();
        assert_eq!(bits.peek(16), 0x5FFF);
        assert_eq!(bits.pos(), 3, "stops at the marker");
        bits.consume(16);
        assert!(!bits.overran());
        bits.consume(1);
        assert!(bits.overran(), "a bit past the marker");
        // A code that runs past the end of the data is noticed the same way.
        let mut bits = Bits::new(&[0b0101_0101], 0);
        for _ in 0..5 {
            let _ = bits.skip_ac(&t);
        }
        assert!(bits.overran());
    }

    #[test]
    fn long_runs_of_plain_bytes_load_eight_at_a_time() {
        // 100 blocks of "01 1" (0x01, +1) ×2 then EOB: 8 bits per block, one byte.
        let codes: Vec<(u32, u32)> = (0..100)
            .flat_map(|_| [(0b011, 3), (0b011, 3), (0b00, 2)])
            .collect();
        let data = pack(&codes);
        assert!(!data.contains(&0xFF));
        let mut bits = Bits::new(&data, 0);
        for _ in 0..100 {
            bits.skip_ac(&ac_table()).unwrap();
        }
        assert!(!bits.overran());
        assert_eq!(bits.buffered(), 0, "every bit consumed");
    }
}
