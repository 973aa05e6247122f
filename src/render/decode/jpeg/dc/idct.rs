//! libjpeg's reduced inverse DCTs (jidctred.c), integer for integer, and its clamping of
//! their results. In the 2×2 one each output pixel is the mean of one quadrant of the
//! block, which depends on the DC term and the odd frequencies 1, 3, 5 and 7 of each axis.

/// libjpeg's `IDCT_range_limit` table: a level-shifted IDCT output clamped to 0–255 within
/// ±512, wrapping modulo 1024 beyond (only corrupt data gets there; matching libjpeg keeps
/// the two decoders identical even then).
pub(super) fn range_limit(x: i32) -> u8 {
    match x & 1023 {
        m @ 0..128 => (m + 128) as u8,
        128..512 => 255,
        512..896 => 0,
        m => (m - 896) as u8,
    }
}

const CONST_BITS: u32 = 13;
const PASS1_BITS: u32 = 2;
const FIX_0_720959822: i64 = 5906;
const FIX_0_850430095: i64 = 6967;
const FIX_1_272758580: i64 = 10426;
const FIX_3_624509785: i64 = 29692;

fn descale(x: i64, n: u32) -> i64 {
    (x + (1 << (n - 1))) >> n
}

/// The odd part of a 1-D 8-point IDCT sampled at two points: `t[1]`, `t[3]`, `t[5]`, `t[7]`.
fn odd(t: [i64; 8]) -> i64 {
    t[7] * -FIX_0_720959822
        + t[5] * FIX_0_850430095
        + t[3] * -FIX_1_272758580
        + t[1] * FIX_3_624509785
}

/// The pixel of a block whose coefficients read by the 2×2 IDCT are all zero but DC:
/// libjpeg's shortcut for that case, with the same range checks as [`two_by_two`].
pub(super) fn flat(dc: i16, step: u16) -> Option<u8> {
    let v = dc as i64 * step as i16 as i64;
    let px = descale(v << PASS1_BITS, PASS1_BITS + 3);
    (fits(v, 16) && fits(px, 10)).then(|| range_limit(px as i32))
}

/// Whether `x` fits in `bits` bits, signed.
fn fits(x: i64, bits: u32) -> bool {
    x >= -(1 << (bits - 1)) && x < 1 << (bits - 1)
}

/// The four pixels (row-major) of `block` (row-major coefficients) dequantised by `quant`,
/// or `None` when the values leave the range in which libjpeg-turbo's SSE2 version (16-bit
/// products, saturating packs) and its C version agree: only corrupt data gets there, and
/// it is then left to libjpeg-turbo itself.
pub(super) fn two_by_two(block: &[i16; 64], quant: &[u16; 64]) -> Option<[u8; 4]> {
    let mut ws = [[0i64; 8]; 2];
    // Pass 1: columns 0, 1, 3, 5, 7 → two rows of a work array.
    for col in [0, 1, 3, 5, 7] {
        let mut c = [0i64; 8];
        for row in [0, 1, 3, 5, 7] {
            let v = block[row * 8 + col] as i64 * quant[row * 8 + col] as i16 as i64;
            if !fits(v, 16) {
                return None;
            }
            c[row] = v;
        }
        let even = c[0] << (CONST_BITS + 2);
        let odd = odd(c);
        for (w, v) in ws.iter_mut().zip([even + odd, even - odd]) {
            let v = descale(v, CONST_BITS - PASS1_BITS + 2);
            // Column 0 stays 32-bit (and is shifted left by 15 in pass 2); the others are
            // packed to 16 bits.
            if !fits(v, if col == 0 { 17 } else { 16 }) {
                return None;
            }
            w[col] = v;
        }
    }
    // Pass 2: each work row → two pixels.
    let mut out = [0u8; 4];
    for (row, w) in ws.iter().enumerate() {
        let even = w[0] << (CONST_BITS + 2);
        let odd = odd(*w);
        for (i, v) in [even + odd, even - odd].into_iter().enumerate() {
            let v = descale(v, CONST_BITS + PASS1_BITS + 3 + 2);
            if !fits(odd, 32) || !fits(v, 10) {
                return None;
            }
            out[2 * row + i] = range_limit(v as i32);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_limit_clamps_then_wraps_like_libjpeg() {
        assert_eq!(range_limit(0), 128);
        assert_eq!(range_limit(-128), 0);
        assert_eq!(range_limit(127), 255);
        assert_eq!(range_limit(300), 255);
        assert_eq!(range_limit(-300), 0);
        assert_eq!(range_limit(1024 + 5), 133, "wraps past the table");
    }

    #[test]
    fn flat_block_gives_its_mean() {
        let mut block = [0i16; 64];
        block[0] = 40; // ×2 = 80, /8 = 10 above mid-grey
        let mut quant = [1u16; 64];
        quant[0] = 2;
        assert_eq!(two_by_two(&block, &quant), Some([138; 4]));
        // A first horizontal frequency: left pixels brighter than right ones.
        block[1] = 20;
        let [a, b, c, d] = two_by_two(&block, &quant).unwrap();
        assert!(a > b && c > d && a == c && b == d, "{a} {b} {c} {d}");
        // Values libjpeg-turbo's SIMD code would wrap or saturate: not decoded here.
        block[1] = 20_000;
        assert_eq!(two_by_two(&block, &quant), None);
    }

    #[test]
    fn the_flat_shortcut_agrees_with_the_full_transform() {
        let quant = [3u16; 64];
        for dc in [-400i16, -43, -1, 0, 1, 7, 42, 300] {
            let mut block = [0i16; 64];
            block[0] = dc;
            // Coefficients the 2×2 transform does not read change nothing.
            block[2] = 9;
            block[16] = -4;
            assert_eq!(
                two_by_two(&block, &quant),
                flat(dc, 3).map(|v| [v; 4]),
                "{dc}"
            );
        }
        assert_eq!(
            flat(20_000, 3),
            None,
            "out of the range both versions agree on"
        );
    }
}
