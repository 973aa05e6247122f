//! Huffman tables for the DC-only path: canonical decoding (JPEG Annex C, F.2.2.3) plus
//! lookup tables that decode a DC difference, or skip whole AC coefficients, in one
//! lookup on the next [`FAST_BITS`] bits.
//!
//! Skipping is where the speed comes from. A 1/8-scale decode needs only each block's DC
//! value, but every AC coefficient must still be read to find where the next block
//! starts. Since the coefficients' values are not needed, one lookup can say how many bits
//! the next codes *and* their magnitudes take and how far the coefficient index moves
//! ([`chain`]), instead of a code lookup followed by a separate read for each.

use super::bits::Bits;

/// Bits looked up at once. 12 keeps a table at 8 KB (L1-resident) and covers nearly every
/// code-plus-magnitude of photographic JPEGs; longer ones take the slow path.
pub(super) const FAST_BITS: u32 = 12;
const FAST_SIZE: usize = 1 << FAST_BITS;
const FAST_MASK: usize = FAST_SIZE - 1;

/// The lookup index of a left-aligned bit buffer.
#[inline(always)]
fn index(buf: u64) -> usize {
    (buf >> (64 - FAST_BITS)) as usize & FAST_MASK
}

/// Why entropy decoding stopped: the data does not follow the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BadCode;

/// Whether a table decodes DC differences or skips AC coefficients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Dc,
    Ac,
}

/// One Huffman table, canonical form (JPEG Annex C) plus the one-lookup entries.
pub(super) struct Table {
    /// Indexed by the next `FAST_BITS` bits; 0 sends the decoder to the slow path.
    /// DC: `code length | magnitude size << 8` (code and magnitude both within the bits).
    /// AC: see [`chain`].
    fast: Box<[u32; FAST_SIZE]>,
    /// Indexed likewise: `code length | symbol << 8` for every code of up to `FAST_BITS`
    /// bits, whatever its magnitude's length (the slow path's first resort), else 0.
    codes: Box<[u16; FAST_SIZE]>,
    /// Largest code of each length, -1 when there is none (index 17: a sentinel).
    maxcode: [i32; 18],
    /// `values[code + offset[len]]` is the symbol of `code`.
    offset: [i32; 17],
    values: Vec<u8>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("symbols", &self.values.len())
            .finish_non_exhaustive()
    }
}

impl Table {
    /// Builds a table from a DHT segment's 16 code-length counts and its symbols; `None`
    /// when they do not form a valid prefix code.
    pub(super) fn new(class: Class, counts: &[u8; 16], values: &[u8]) -> Option<Table> {
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        if total != values.len() || total > 256 {
            return None;
        }
        // libjpeg refuses DC symbols above 15 (jdhuff.c).
        if class == Class::Dc && values.iter().any(|&v| v > 15) {
            return None;
        }
        let mut maxcode = [-1i32; 18];
        maxcode[17] = i32::MAX;
        let mut offset = [0i32; 17];
        let mut fast = Box::new([0u32; FAST_SIZE]);
        let mut codes = Box::new([0u16; FAST_SIZE]);
        let (mut code, mut k) = (0u32, 0usize);
        for len in 1..=16u32 {
            let n = counts[len as usize - 1] as usize;
            offset[len as usize] = k as i32 - code as i32;
            for &symbol in &values[k..k + n] {
                // Codes must fit in their length and none may be all ones (libjpeg's
                // JERR_BAD_HUFF_TABLE).
                if code + 1 >= 1 << len {
                    return None;
                }
                if len <= FAST_BITS {
                    fill(&mut fast, class, code, len, symbol);
                    let spare = FAST_BITS - len;
                    let first = (code << spare) as usize;
                    codes[first..first + (1 << spare)].fill(len as u16 | (symbol as u16) << 8);
                }
                code += 1;
            }
            k += n;
            if n > 0 {
                maxcode[len as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        if class == Class::Ac {
            chain(&mut fast, &codes);
        }
        Some(Table {
            fast,
            codes,
            maxcode,
            offset,
            values: values.to_vec(),
        })
    }

    /// The entry of [`Table::fast`] for the bit buffer `buf` (left-aligned): see [`fill`]
    /// and [`chain`]; 0 when only [`Table::decode`] can tell.
    #[inline(always)]
    pub(super) fn fast(&self, buf: u64) -> u32 {
        self.fast[index(buf)]
    }

    /// `code length | symbol << 8` of the code at the front of `buf`, when it has at most
    /// `FAST_BITS` bits; else 0.
    #[inline(always)]
    pub(super) fn code(&self, buf: u64) -> u16 {
        self.codes[index(buf)]
    }

    /// The next symbol: a code of up to `FAST_BITS` bits in one lookup, longer ones bit by
    /// bit. `bits` must hold at least 16 bits.
    pub(super) fn decode(&self, bits: &mut Bits<'_>) -> Result<u8, BadCode> {
        let c = self.code(bits.front());
        if c != 0 {
            bits.consume((c & 0xFF) as u32);
            return Ok((c >> 8) as u8);
        }
        // Longer codes, bit by bit (Annex F.2.2.3).
        for len in FAST_BITS + 1..=16 {
            let code = bits.peek(len) as i32;
            if code <= self.maxcode[len as usize] {
                bits.consume(len);
                let i = code + self.offset[len as usize];
                return self.values.get(i as usize).copied().ok_or(BadCode);
            }
        }
        Err(BadCode)
    }
}

/// Sets the fast entries of the code `code` of length `len` (every suffix of it): for AC,
/// one symbol as `bits | advance << 8` (advance 64 ends the block), [`chain`] adds more.
fn fill(fast: &mut [u32; FAST_SIZE], class: Class, code: u32, len: u32, symbol: u8) {
    let size = (symbol & 15) as u32;
    let entry = match class {
        // DC sizes above 11 cannot occur in 8-bit data; the slow path rejects them.
        Class::Dc if size <= 11 && len + size <= FAST_BITS => len | size << 8,
        Class::Dc => 0,
        Class::Ac => {
            let run = (symbol >> 4) as u32;
            match (size, run) {
                (0, 15) => len | 16 << 8, // sixteen zeros
                (0, _) => len | 64 << 8,  // end of block
                // The magnitude is skipped, not read: it may lie past the looked-up bits.
                _ => (len + size) | (run + 1) << 8,
            }
        }
    };
    let spare = FAST_BITS - len;
    let first = (code << spare) as usize;
    fast[first..first + (1 << spare)].fill(entry);
}

/// Completes AC entries with the symbols that follow as long as their codes lie within
/// the looked-up bits too (their magnitudes, skipped, need not): one lookup then skips two
/// or three coefficients most of the time, which shortens the chain of dependent loads the
/// decoder waits on. Layout, low bits first: bits of every symbol (6 bits, so that a shift
/// can take the entry as it is: it reads only the low six bits), [`ENDS_BLOCK`], their
/// index advance (an end of block adds nothing), then the first symbol alone: its bits and
/// advance (64 for an end of block).
fn chain(fast: &mut [u32; FAST_SIZE], codes: &[u16; FAST_SIZE]) {
    let single: Vec<u32> = fast.to_vec();
    for (i, e) in fast.iter_mut().enumerate() {
        let first = single[i];
        if first == 0 {
            continue;
        }
        let (b1, a1) = (first & 0xFF, first >> 8);
        let (mut bits, mut advance, mut flag) = (b1, 0, 0);
        if a1 == 64 {
            flag = ENDS_BLOCK;
        } else {
            advance = a1;
            while bits < FAST_BITS {
                let j = (i << bits) & FAST_MASK;
                let (next, code_len) = (single[j], (codes[j] & 0xFF) as u32);
                if next == 0 || code_len > FAST_BITS - bits {
                    break;
                }
                bits += next & 0xFF;
                if next >> 8 == 64 {
                    flag = ENDS_BLOCK;
                    break;
                }
                advance = (advance + (next >> 8)).min(255);
            }
        }
        *e = bits | flag | advance << 8 | b1 << 16 | a1 << 24;
    }
}

/// Flag of a chained AC entry whose last symbol is an end of block.
pub(super) const ENDS_BLOCK: u32 = 1 << 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_tables_are_refused() {
        let mut counts = [0u8; 16];
        counts[0] = 3; // three codes of one bit
        assert!(Table::new(Class::Dc, &counts, &[0, 1, 2]).is_none());
        counts[0] = 2; // "0" and "1": the second is all ones
        assert!(Table::new(Class::Dc, &counts, &[0, 1]).is_none());
        counts[0] = 1;
        assert!(
            Table::new(Class::Dc, &counts, &[0, 1]).is_none(),
            "count mismatch"
        );
        assert!(
            Table::new(Class::Dc, &counts, &[16]).is_none(),
            "DC size above 15"
        );
        assert!(Table::new(Class::Ac, &counts, &[16]).is_some());
    }

    #[test]
    fn chained_entries_cover_several_symbols() {
        // AC codes: 0x01 = "0", EOB = "10", 0x11 = "110".
        let mut counts = [0u8; 16];
        (counts[0], counts[1], counts[2]) = (1, 1, 1);
        let t = Table::new(Class::Ac, &counts, &[0x01, 0x00, 0x11]).unwrap();
        // "0" + magnitude "1", "110" + magnitude "0", "10" (EOB), then anything.
        let buf = (0b0111_0010_u64 << 56) | 0x5555;
        let e = t.fast(buf);
        let (bits, advance) = (e & 63, (e >> 8) & 0xFF);
        assert_eq!((bits, advance), (8, 1 + 2), "three symbols in one lookup");
        assert_ne!(e & ENDS_BLOCK, 0);
        assert_eq!(((e >> 16) & 0xFF, e >> 24), (2, 1), "the first alone");
        assert_eq!(t.code(buf), 1 | 0x01 << 8);
    }
}
