//! Single blocks and whole batches in memory, and GCM's byte order, for the kernels.
//!
//! GCM's byte order: a GCM block is a big-endian string of 16 bytes. The kernels keep
//! every block *byte-reversed* in its 128-bit lane, so that the lane read as a
//! little-endian integer equals `u128::from_be_bytes(block)`. Counter blocks are then
//! plain integer additions, and GHASH's polynomials line up with the carry-less
//! multiplier (see [`super::ghash`]). [`Width::bswap`] and [`Width::bswap128`] switch
//! between the two orders.
//!
//! The 128-bit helpers here need only SSE2, which every x86-64 CPU has; the register
//! loads and stores are [`Width`] methods.

use core::arch::x86_64::*;

use super::width::{Batch, REGS, Width};

// SAFETY (every block in the SSE2 helpers below): SSE2 is part of the x86-64 baseline,
// so every CPU this code runs on has it.

/// The 128-bit integer `v` in a register (low 64 bits in the low lane half).
#[inline(always)]
pub(super) fn from_u128(v: u128) -> __m128i {
    // SAFETY: SSE2 only (see above).
    unsafe { _mm_set_epi64x((v >> 64) as i64, v as i64) }
}

/// `a ^ b` on one block.
#[inline(always)]
pub(super) fn xor128(a: __m128i, b: __m128i) -> __m128i {
    // SAFETY: SSE2 only (see above).
    unsafe { _mm_xor_si128(a, b) }
}

/// Swaps the 64-bit halves of one block.
#[inline(always)]
pub(super) fn swap_halves128(v: __m128i) -> __m128i {
    // SAFETY: SSE2 only (see above).
    unsafe { _mm_shuffle_epi32::<0x4e>(v) }
}

/// The 32-bit word `w` in all four columns of a block.
#[inline(always)]
pub(super) fn splat32(w: u32) -> __m128i {
    // SAFETY: SSE2 only (see above).
    unsafe { _mm_set1_epi32(w as i32) }
}

/// The lowest 32-bit word of a block.
#[inline(always)]
pub(super) fn low32(v: __m128i) -> u32 {
    // SAFETY: SSE2 only (see above).
    unsafe { _mm_cvtsi128_si32(v) as u32 }
}

/// Loads 16 bytes.
#[inline(always)]
pub(super) fn load16(b: &[u8; 16]) -> __m128i {
    // SAFETY: `b` refers to 16 readable bytes, exactly what the load reads; `loadu` needs
    // no alignment, and SSE2 is part of x86-64.
    unsafe { _mm_loadu_si128(b.as_ptr().cast()) }
}

/// Stores 16 bytes.
#[inline(always)]
pub(super) fn store16(b: &mut [u8; 16], v: __m128i) {
    // SAFETY: `b` refers to 16 writable bytes, exactly what the store writes; `storeu`
    // needs no alignment, and SSE2 is part of x86-64.
    unsafe { _mm_storeu_si128(b.as_mut_ptr().cast(), v) }
}

/// Loads a batch from the first `W::BATCH` bytes of `b`.
#[inline(always)]
pub(super) fn load_batch<W: Width>(cpu: W, b: &[u8]) -> Batch<W> {
    let b = &b[..W::BATCH];
    let mut out = [cpu.zero(); REGS];
    for (i, reg) in out.iter_mut().enumerate() {
        *reg = cpu.load(&b[i * W::REG_BYTES..]);
    }
    out
}

/// Stores a batch into the first `W::BATCH` bytes of `b`.
#[inline(always)]
pub(super) fn store_batch<W: Width>(cpu: W, b: &mut [u8], v: Batch<W>) {
    let b = &mut b[..W::BATCH];
    for (i, reg) in v.into_iter().enumerate() {
        cpu.store(&mut b[i * W::REG_BYTES..], reg);
    }
}

/// `a ^ b`, register by register.
#[inline(always)]
pub(super) fn xor_batch<W: Width>(cpu: W, a: Batch<W>, b: Batch<W>) -> Batch<W> {
    let mut out = a;
    for (reg, other) in out.iter_mut().zip(b) {
        *reg = cpu.xor(*reg, other);
    }
    out
}
