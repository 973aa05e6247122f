//! Bit writers: least-significant bit first (deflate, GIF's LZW, lossless WebP) and most
//! significant first with JPEG's `0xFF 0x00` byte stuffing.

/// Packs values into bytes from the least significant bit up.
#[derive(Debug)]
pub(super) struct LsbWriter {
    out: Vec<u8>,
    acc: u64,
    bits: u32,
}

impl LsbWriter {
    /// Appends to `out`.
    pub(super) fn new(out: Vec<u8>) -> Self {
        LsbWriter {
            out,
            acc: 0,
            bits: 0,
        }
    }

    /// Writes the low `count` (at most 32) bits of `value`.
    pub(super) fn put(&mut self, value: u32, count: u32) {
        debug_assert!(count <= 32 && (count == 32 || value >> count == 0));
        self.acc |= u64::from(value) << self.bits;
        self.bits += count;
        while self.bits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.bits -= 8;
        }
    }

    /// Writes a Huffman code of `len` bits, which formats that are otherwise LSB-first
    /// (deflate) store from its most significant bit.
    pub(super) fn put_code(&mut self, code: u32, len: u32) {
        self.put(code.reverse_bits() >> (32 - len), len);
    }

    /// Whether the next bit starts a byte.
    pub(super) fn is_aligned(&self) -> bool {
        self.bits == 0
    }

    /// Appends whole bytes; only on a byte boundary.
    pub(super) fn put_bytes(&mut self, bytes: &[u8]) {
        debug_assert!(self.is_aligned());
        self.out.extend_from_slice(bytes);
    }

    /// The bytes, the last one padded with zero bits.
    pub(super) fn finish(mut self) -> Vec<u8> {
        if self.bits > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// Packs values into bytes from the most significant bit down, stuffing a zero byte after
/// every `0xFF` as JPEG entropy-coded data requires.
#[derive(Debug)]
pub(super) struct JpegBitWriter {
    out: Vec<u8>,
    acc: u32,
    bits: u32,
}

impl JpegBitWriter {
    /// Appends to `out`.
    pub(super) fn new(out: Vec<u8>) -> Self {
        JpegBitWriter {
            out,
            acc: 0,
            bits: 0,
        }
    }

    /// Writes the low `count` (at most 16) bits of `value`.
    pub(super) fn put(&mut self, value: u32, count: u32) {
        debug_assert!(count <= 16 && value >> count == 0);
        self.acc = (self.acc << count) | value;
        self.bits += count;
        while self.bits >= 8 {
            self.bits -= 8;
            let byte = (self.acc >> self.bits) as u8;
            self.out.push(byte);
            if byte == 0xFF {
                self.out.push(0);
            }
        }
        self.acc &= (1 << self.bits) - 1;
    }

    /// Writes `count` zero bits: whole zero bytes in one go (zeros never need stuffing).
    pub(super) fn zeros(&mut self, mut count: u64) {
        if u64::from(self.bits) + count < 8 {
            self.put(0, count as u32);
            return;
        }
        if self.bits > 0 {
            let fill = 8 - self.bits;
            self.put(0, fill);
            count -= u64::from(fill);
        }
        let bytes = (count / 8) as usize;
        self.out.resize(self.out.len() + bytes, 0);
        self.put(0, (count % 8) as u32);
    }

    /// The bytes, the last one padded with one bits as JPEG asks.
    pub(super) fn finish(mut self) -> Vec<u8> {
        if self.bits > 0 {
            let pad = 8 - self.bits;
            self.put((1 << pad) - 1, pad);
        }
        self.out
    }
}
