//! Memory access and byte order for the `vaes256` kernels.
//!
//! These are the only functions in the provider that dereference raw pointers. Each takes
//! a reference to a fixed-size array, so the length is checked by the type system and the
//! pointer is valid for exactly the bytes the intrinsic touches. All loads and stores are
//! the unaligned forms (`loadu`/`storeu`), so no alignment is assumed.
//!
//! GCM's byte order: a GCM block is a big-endian string of 16 bytes. The kernels keep
//! every block *byte-reversed* in its 128-bit lane, so that the lane read as a
//! little-endian integer equals `u128::from_be_bytes(block)`. Counter blocks are then
//! plain integer additions, and GHASH's polynomials line up with the carry-less
//! multiplier (see [`super::ghash`]). [`bswap`] and [`bswap128`] switch between the two
//! orders.

use core::arch::x86_64::*;

/// `vpshufb` control that reverses the 16 bytes within each 128-bit lane.
#[inline]
#[target_feature(enable = "avx2")]
fn bswap_control() -> __m256i {
    _mm256_set_epi8(
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, //
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    )
}

/// Reverses the bytes of each of the two 128-bit lanes (big-endian block ⇄ integer).
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn bswap(v: __m256i) -> __m256i {
    _mm256_shuffle_epi8(v, bswap_control())
}

/// Reverses the 16 bytes of one block.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn bswap128(v: __m128i) -> __m128i {
    _mm_shuffle_epi8(v, _mm256_castsi256_si128(bswap_control()))
}

/// The 128-bit integer `v` in a register (low 64 bits in the low lane half).
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn from_u128(v: u128) -> __m128i {
    _mm_set_epi64x((v >> 64) as i64, v as i64)
}

/// Loads 16 bytes.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load16(b: &[u8; 16]) -> __m128i {
    // SAFETY: `b` refers to 16 readable bytes, exactly what the load reads; `loadu` needs
    // no alignment.
    unsafe { _mm_loadu_si128(b.as_ptr().cast()) }
}

/// Stores 16 bytes.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn store16(b: &mut [u8; 16], v: __m128i) {
    // SAFETY: `b` refers to 16 writable bytes, exactly what the store writes; `storeu`
    // needs no alignment.
    unsafe { _mm_storeu_si128(b.as_mut_ptr().cast(), v) }
}

/// Loads 32 bytes (two blocks).
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load32(b: &[u8; 32]) -> __m256i {
    // SAFETY: `b` refers to 32 readable bytes, exactly what the load reads; `loadu` needs
    // no alignment.
    unsafe { _mm256_loadu_si256(b.as_ptr().cast()) }
}

/// Stores 32 bytes (two blocks).
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn store32(b: &mut [u8; 32], v: __m256i) {
    // SAFETY: `b` refers to 32 writable bytes, exactly what the store writes; `storeu`
    // needs no alignment.
    unsafe { _mm256_storeu_si256(b.as_mut_ptr().cast(), v) }
}

/// 256-bit registers per batch: the bulk loops keep this many in flight.
pub(super) const REGS: usize = 8;
/// Bytes per batch: sixteen blocks.
pub(super) const BATCH: usize = 32 * REGS;

/// Sixteen blocks, two per register (blocks 2i and 2i+1 in register i).
pub(super) type Batch = [__m256i; REGS];
/// A batch's bytes in memory, as the register-sized pieces they load into.
pub(super) type BatchBytes = [[u8; 32]; REGS];

/// Splits `data` into whole batches and the remaining `len % BATCH` bytes.
pub(super) fn batches_mut(data: &mut [u8]) -> (&mut [BatchBytes], &mut [u8]) {
    let (main, rest) = data.split_at_mut(data.len() / BATCH * BATCH);
    let (pairs, _) = main.as_chunks_mut::<32>();
    let (batches, _) = pairs.as_chunks_mut::<REGS>();
    (batches, rest)
}

/// Splits `data` into whole batches and the remaining `len % BATCH` bytes.
pub(super) fn batches(data: &[u8]) -> (&[BatchBytes], &[u8]) {
    let (main, rest) = data.split_at(data.len() / BATCH * BATCH);
    let (pairs, _) = main.as_chunks::<32>();
    let (batches, _) = pairs.as_chunks::<REGS>();
    (batches, rest)
}

/// Loads a batch.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load_batch(b: &BatchBytes) -> Batch {
    core::array::from_fn(|i| load32(&b[i]))
}

/// Stores a batch.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn store_batch(b: &mut BatchBytes, v: Batch) {
    for (bytes, reg) in b.iter_mut().zip(v) {
        store32(bytes, reg);
    }
}

/// `a ^ b`, register by register.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn xor_batch(a: Batch, b: Batch) -> Batch {
    core::array::from_fn(|i| _mm256_xor_si256(a[i], b[i]))
}
