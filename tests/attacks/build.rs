//! Builders of the hostile files: written byte by byte, so that each file is exactly the
//! attack it names and costs nothing to make (a 1 GiB zlib bomb is 7 MB of output built in
//! a loop, not 1 GiB compressed).

/// A zlib stream that inflates to `size` zero bytes (rounded up to a run of 258), in one
/// fixed-Huffman block: a literal zero, then "copy 258 bytes from distance 1" (13 bits)
/// again and again: about 1 000:1, the most deflate allows.
pub(crate) fn deflate_bomb(size: usize) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.push(1, 1); // final block
    bits.push(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    let runs = size.saturating_sub(1).div_ceil(258);
    for _ in 0..runs {
        bits.code(0b1100_0101, 8); // length code 285: 258 bytes
        bits.code(0, 5); // distance code 0: 1 byte back
    }
    bits.code(0, 7); // end of block
    let total = 1 + 258 * runs as u64;
    // Adler-32 of `total` zeros: a = 1, b = total (mod 65521).
    let adler = ((total % 65_521) << 16 | 1) as u32;
    let mut out = vec![0x78, 0x01];
    out.extend(bits.finish());
    out.extend(adler.to_be_bytes());
    out
}

/// Deflate's bit order: values least significant bit first, Huffman codes most
/// significant bit first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn push(&mut self, value: u64, n: u32) {
        self.acc |= value << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    fn code(&mut self, code: u64, n: u32) {
        let reversed = (0..n).fold(0, |r, i| r << 1 | (code >> i & 1));
        self.push(reversed, n);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A PNG chunk with its CRC.
pub(crate) fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    c.extend(crc.finalize().to_be_bytes());
    c
}

/// `png` with `chunks` right after its IHDR.
pub(crate) fn png_with_chunks(png: &[u8], chunks: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let ihdr_end = 8 + 12 + 13;
    let mut out = png[..ihdr_end].to_vec();
    for (kind, data) in chunks {
        out.extend(png_chunk(kind, data));
    }
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

/// A JPEG marker segment.
pub(crate) fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// A 64x48 baseline JPEG (a grey-blue ramp) with `segments` right after SOI.
pub(crate) fn jpeg_with_segments(segments: &[Vec<u8>]) -> Vec<u8> {
    let px: Vec<u8> = (0..64 * 48)
        .flat_map(|i| [(i % 64 * 4) as u8, 90, 160])
        .collect();
    let image = turbojpeg::Image {
        pixels: &px[..],
        width: 64,
        pitch: 64 * 3,
        height: 48,
        format: turbojpeg::PixelFormat::RGB,
    };
    let plain = turbojpeg::compress(image, 85, turbojpeg::Subsamp::Sub2x2).unwrap();
    let mut out = plain[..2].to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&plain[2..]);
    out
}

/// A progressive JPEG of `w`x`h` with `components` components (1: grey, 4: CMYK) and
/// `scans` scans: a DC scan of every component, then empty AC scans, one component after
/// the other. Every scan makes libjpeg-turbo visit every block of its components.
pub(crate) fn progressive_bomb(w: u16, h: u16, components: u8, scans: usize) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    let mut dqt = vec![0];
    dqt.extend([1; 64]);
    j.extend(segment(0xDB, &dqt));
    let mut sof = vec![8];
    sof.extend(h.to_be_bytes());
    sof.extend(w.to_be_bytes());
    sof.push(components);
    for id in 1..=components {
        sof.extend([id, 0x11, 0]);
    }
    j.extend(segment(0xC2, &sof));
    // One DC and one AC table, each with a single one-bit code for symbol 0.
    let mut counts = [0u8; 16];
    counts[0] = 1;
    for class in [0x00, 0x10] {
        let mut dht = vec![class];
        dht.extend(counts);
        dht.push(0);
        j.extend(segment(0xC4, &dht));
    }
    let mut dc = vec![components];
    for id in 1..=components {
        dc.extend([id, 0x00]);
    }
    dc.extend([0, 0, 0]);
    j.extend(segment(0xDA, &dc));
    for scan in 1..scans {
        let id = 1 + (scan % components as usize) as u8;
        j.extend(segment(0xDA, &[1, id, 0x00, 1, 63, 0]));
    }
    j.extend([0xFF, 0xD9]);
    j
}

/// An animated 64x48 WebP of `frames` frames: the first a real lossless one, the others
/// empty shells that only a decoder reading every frame would touch.
pub(crate) fn webp_animation(frames: usize) -> Vec<u8> {
    let rgba = [30u8, 160, 90, 255].repeat(64 * 48);
    let still = webp::Encoder::from_rgba(&rgba, 64, 48)
        .encode_lossless()
        .to_vec();
    let bitstream = &still[12..]; // the VP8L chunk, header included
    let u24 = |v: u32| v.to_le_bytes()[..3].to_vec();
    let mut first = [u24(0), u24(0), u24(63), u24(47), u24(100)].concat();
    first.push(0);
    first.extend_from_slice(bitstream);
    let mut body = b"WEBP".to_vec();
    let mut push = |fourcc: &[u8], p: &[u8]| {
        body.extend_from_slice(fourcc);
        body.extend((p.len() as u32).to_le_bytes());
        body.extend_from_slice(p);
        if p.len() % 2 == 1 {
            body.push(0);
        }
    };
    let mut vp8x = vec![0x02 | 0x10, 0, 0, 0];
    vp8x.extend([u24(63), u24(47)].concat());
    push(b"VP8X", &vp8x);
    push(b"ANIM", &[0; 6]);
    push(b"ANMF", &first);
    for _ in 1..frames {
        push(b"ANMF", &[0; 16]);
    }
    let mut file = b"RIFF".to_vec();
    file.extend((body.len() as u32).to_le_bytes());
    file.extend(body);
    file
}
