//! ChaCha20's state and the parts every tier shares: the input block, counters, the
//! kernels' view of their input and output, and which kernel runs.
//!
//! # The two forms
//!
//! The sixteen 32-bit input words are four constants, eight key words, then:
//!
//! ```text
//! RFC 8439 (IETF):   word 12 = 32-bit block counter,   words 13..15 = 96-bit nonce
//! original (DJB):    words 12,13 = 64-bit block counter, words 14,15 = 64-bit nonce
//! ```
//!
//! The kernels only ever add a block index to word 12 (32-bit, wrapping). [`xor_keystream`]
//! splits a run of the original form where word 12 would wrap, so that the carry into
//! word 13 is applied here, between kernel calls; in the IETF form a wrap is an error the
//! callers rule out by bounding the message length first.

use super::Tier;

/// One ChaCha20 block.
pub(super) const BLOCK: usize = 64;
/// "expand 32-byte k".
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// The input block of a key, with words 12..15 still to be filled.
pub(super) fn key_state(key: &[u8; 32]) -> [u32; 16] {
    let mut s = [0u32; 16];
    s[..4].copy_from_slice(&SIGMA);
    for (w, k) in s[4..12].iter_mut().zip(key.chunks_exact(4)) {
        *w = u32::from_le_bytes(k.try_into().expect("4 bytes"));
    }
    s
}

/// Sets words 12..15 to the IETF counter and 96-bit nonce.
pub(super) fn set_ietf(s: &mut [u32; 16], counter: u32, nonce: &[u8; 12]) {
    s[12] = counter;
    for (w, n) in s[13..].iter_mut().zip(nonce.chunks_exact(4)) {
        *w = u32::from_le_bytes(n.try_into().expect("4 bytes"));
    }
}

/// Sets words 12..15 to the original form's 64-bit counter and 64-bit nonce.
pub(super) fn set_original(s: &mut [u32; 16], counter: u64, nonce: &[u8; 8]) {
    s[12] = counter as u32;
    s[13] = (counter >> 32) as u32;
    s[14] = u32::from_le_bytes(nonce[..4].try_into().expect("4 bytes"));
    s[15] = u32::from_le_bytes(nonce[4..].try_into().expect("4 bytes"));
}

/// Where a kernel reads and writes: one buffer, or an input and an output of the same
/// length. Fixed-size pieces go by value, so the kernels never see a pointer and the
/// two layouts each get their own monomorphized loop.
pub(super) trait Io {
    /// The message length.
    fn len(&self) -> usize;
    /// `N` input bytes at `off`.
    fn get<const N: usize>(&self, off: usize) -> [u8; N];
    /// Writes `N` output bytes at `off`.
    fn put<const N: usize>(&mut self, off: usize, v: [u8; N]);
    /// Writes input ⊕ `ks` to the output at `off..off + ks.len()` (for short tails).
    fn xor_tail(&mut self, off: usize, ks: &[u8]);
}

/// Read access to both sides, for the Poly1305 pass that the AEAD fuses with the cipher.
pub(super) trait Text: Io {
    /// Input bytes `off..off + len`.
    fn input(&self, off: usize, len: usize) -> &[u8];
    /// Output bytes `off..off + len`, as written so far.
    fn output(&self, off: usize, len: usize) -> &[u8];
}

/// One buffer, transformed in place.
pub(super) struct InPlace<'a>(pub(super) &'a mut [u8]);

impl Io for InPlace<'_> {
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    #[inline]
    fn get<const N: usize>(&self, off: usize) -> [u8; N] {
        self.0[off..off + N].try_into().expect("N bytes")
    }
    #[inline]
    fn put<const N: usize>(&mut self, off: usize, v: [u8; N]) {
        self.0[off..off + N].copy_from_slice(&v);
    }
    fn xor_tail(&mut self, off: usize, ks: &[u8]) {
        for (d, k) in self.0[off..off + ks.len()].iter_mut().zip(ks) {
            *d ^= k;
        }
    }
}

impl Text for InPlace<'_> {
    fn input(&self, off: usize, len: usize) -> &[u8] {
        &self.0[off..off + len]
    }
    fn output(&self, off: usize, len: usize) -> &[u8] {
        &self.0[off..off + len]
    }
}

/// Input and output in different buffers of the same length.
pub(super) struct Separate<'a> {
    src: &'a [u8],
    dst: &'a mut [u8],
}

impl<'a> Separate<'a> {
    /// # Panics
    /// When the lengths differ (callers slice `dst` to `src.len()` first).
    pub(super) fn new(src: &'a [u8], dst: &'a mut [u8]) -> Self {
        assert_eq!(src.len(), dst.len(), "input and output lengths differ");
        Separate { src, dst }
    }
}

impl Io for Separate<'_> {
    #[inline]
    fn len(&self) -> usize {
        self.src.len()
    }
    #[inline]
    fn get<const N: usize>(&self, off: usize) -> [u8; N] {
        self.src[off..off + N].try_into().expect("N bytes")
    }
    #[inline]
    fn put<const N: usize>(&mut self, off: usize, v: [u8; N]) {
        self.dst[off..off + N].copy_from_slice(&v);
    }
    fn xor_tail(&mut self, off: usize, ks: &[u8]) {
        let src = &self.src[off..off + ks.len()];
        for ((d, s), k) in self.dst[off..off + ks.len()].iter_mut().zip(src).zip(ks) {
            *d = s ^ k;
        }
    }
}

impl Separate<'_> {
    /// Zeroes the output: what an open that failed leaves behind.
    pub(super) fn wipe_output(&mut self) {
        zeroize::Zeroize::zeroize(self.dst);
    }
}

impl Text for Separate<'_> {
    fn input(&self, off: usize, len: usize) -> &[u8] {
        &self.src[off..off + len]
    }
    fn output(&self, off: usize, len: usize) -> &[u8] {
        &self.dst[off..off + len]
    }
}

/// A sub-range of another [`Io`], so that a long message can be fed in pieces.
pub(super) struct Window<'a, I: Io> {
    io: &'a mut I,
    start: usize,
    len: usize,
}

impl<'a, I: Io> Window<'a, I> {
    pub(super) fn new(io: &'a mut I, start: usize, len: usize) -> Self {
        assert!(start + len <= io.len(), "window past the end");
        Window { io, start, len }
    }
}

impl<I: Io> Io for Window<'_, I> {
    #[inline]
    fn len(&self) -> usize {
        self.len
    }
    #[inline]
    fn get<const N: usize>(&self, off: usize) -> [u8; N] {
        debug_assert!(off + N <= self.len);
        self.io.get(self.start + off)
    }
    #[inline]
    fn put<const N: usize>(&mut self, off: usize, v: [u8; N]) {
        debug_assert!(off + N <= self.len);
        self.io.put(self.start + off, v)
    }
    fn xor_tail(&mut self, off: usize, ks: &[u8]) {
        assert!(off + ks.len() <= self.len, "write past the window");
        self.io.xor_tail(self.start + off, ks)
    }
}

/// A keystream buffer that wipes itself with word-sized volatile stores (the bytes are
/// secret; a byte-by-byte wipe of 1 KiB would cost more than the cipher).
#[repr(C, align(64))]
pub(super) struct KeyBuf<const W: usize>([u64; W]);

impl<const W: usize> KeyBuf<W> {
    pub(super) fn new() -> Self {
        KeyBuf([0; W])
    }

    /// The buffer as bytes.
    pub(super) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `[u64; W]` is `8 * W` initialized bytes with no padding, every byte
        // pattern is a valid `u8`, and the slice borrows `self` mutably for its lifetime.
        unsafe { core::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<u8>(), 8 * W) }
    }
}

impl<const W: usize> Drop for KeyBuf<W> {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// XORs the keystream of `state` (word 12 the first block's counter) into `io`. The
/// caller guarantees word 12 does not wrap within the message.
pub(super) fn xor_keystream_no_wrap<I: Io>(tier: Tier, state: &[u32; 16], io: &mut I) {
    debug_assert!(u64::from(state[12]) + (io.len() as u64).div_ceil(BLOCK as u64) <= 1 << 32);
    match tier {
        // SAFETY: the `Avx2Cpu` token in `tier` proves detection found AVX2.
        Tier::Avx2(_) => unsafe { super::avx2::xor_keystream(state, io) },
        // SAFETY: the `Avx512Cpu` token in `tier` proves detection found AVX-512F, AVX-512VL and AVX2.
        Tier::Avx512(_) => unsafe { super::avx512::xor_keystream(state, io) },
    }
}

/// XORs the original form's keystream, from block `counter` under `nonce`, into `io`;
/// `Err(())` when the 64-bit counter would run out.
pub(super) fn xor_keystream_original<I: Io>(
    tier: Tier,
    key: &[u32; 16],
    nonce: &[u8; 8],
    counter: u64,
    io: &mut I,
) -> Result<(), ()> {
    let blocks = (io.len() as u64).div_ceil(BLOCK as u64);
    counter.checked_add(blocks).ok_or(())?;
    let mut state = *key;
    let mut counter = counter;
    let mut done = 0;
    while done < io.len() {
        // Blocks left before word 12 wraps; the run stops there and resumes with the
        // carry applied to word 13.
        let room = (1u64 << 32) - (counter & 0xffff_ffff);
        let len = (io.len() - done).min(usize::try_from(room * BLOCK as u64).unwrap_or(usize::MAX));
        set_original(&mut state, counter, nonce);
        xor_keystream_no_wrap(tier, &state, &mut Window::new(io, done, len));
        done += len;
        counter = counter.wrapping_add(room);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8439_2_3_2_block_input() {
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let mut s = key_state(&key);
        set_ietf(&mut s, 1, &[0, 0, 0, 9, 0, 0, 0, 0x4a, 0, 0, 0, 0]);
        assert_eq!(
            s,
            [
                0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, 0x03020100, 0x07060504, 0x0b0a0908,
                0x0f0e0d0c, 0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c, 0x00000001, 0x09000000,
                0x4a000000, 0x00000000
            ]
        );
        set_original(&mut s, 0x1_0000_0002, &[1, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(s[12..], [2, 1, 1, 2]);
    }

    #[test]
    fn windows_see_their_part_only() {
        let mut data: Vec<u8> = (0..100).collect();
        let mut io = InPlace(&mut data);
        let mut w = Window::new(&mut io, 10, 20);
        assert_eq!(w.len(), 20);
        assert_eq!(w.get::<4>(0), [10, 11, 12, 13]);
        w.put(16, [0u8; 4]);
        w.xor_tail(18, &[7, 7]);
        assert_eq!(data[26..31], [0, 0, 7, 7, 30]);
        let src: Vec<u8> = (0..10).collect();
        let mut dst = [0u8; 10];
        Separate::new(&src, &mut dst).xor_tail(8, &[1, 1]);
        assert_eq!(dst[7..], [0, 9, 8]);
    }
}
