//! WebP placeholders: lossless (VP8L) with no transform, no colour cache and five prefix
//! codes that each have a single symbol. A one-symbol code takes 0 bits to read, so every
//! pixel decodes from nothing and the file is at most 32 bytes whatever its size (libwebp even
//! recognises the case and fills the rows without reading bits).

use super::bits::LsbWriter;

/// VP8L's signature byte.
const SIGNATURE: u32 = 0x2f;

pub(super) fn image(width: u32, height: u32, [r, g, b]: [u8; 3]) -> Vec<u8> {
    let mut w = LsbWriter::new(Vec::with_capacity(32));
    w.put(SIGNATURE, 8);
    w.put(width - 1, 14);
    w.put(height - 1, 14);
    w.put(0, 1); // alpha is not used
    w.put(0, 3); // version 0
    w.put(0, 1); // no transform
    w.put(0, 1); // no colour cache
    w.put(0, 1); // one prefix-code group for the whole image
    // Green (with the length and cache codes), red, blue, alpha, then distance.
    for symbol in [g, r, b, 255] {
        single_symbol_code(&mut w, symbol);
    }
    single_symbol_code(&mut w, 0);
    let bitstream = w.finish();

    let chunk_len = bitstream.len() as u32;
    let padded = chunk_len + (chunk_len & 1);
    let mut out = Vec::with_capacity(20 + padded as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(4 + 8 + padded).to_le_bytes());
    out.extend_from_slice(b"WEBPVP8L");
    out.extend_from_slice(&chunk_len.to_le_bytes());
    out.extend_from_slice(&bitstream);
    if chunk_len & 1 == 1 {
        out.push(0);
    }
    out
}

/// A "simple" prefix code of one symbol: flag, one symbol, symbol width (1 or 8 bits).
fn single_symbol_code(w: &mut LsbWriter, symbol: u8) {
    w.put(1, 1); // simple code
    w.put(0, 1); // one symbol
    if symbol <= 1 {
        w.put(0, 1);
        w.put(u32::from(symbol), 1);
    } else {
        w.put(1, 1);
        w.put(u32::from(symbol), 8);
    }
}
