//! GHASH on VPCLMULQDQ with 256-bit registers: sixteen blocks per reduction.
//!
//! # The field, and why blocks are byte-reversed
//!
//! GHASH (SP 800-38D §6.4) works in GF(2^128) = GF(2)[x] / g(x), g = x^128 + x^7 + x^2 +
//! x + 1, where bit `j` of a block, counting from the most significant bit of byte 0, is
//! the coefficient of x^j. That order is the reverse of how `pclmulqdq` sees an integer
//! (bit `i` = coefficient of y^i). Reversing every *bit* would be slow; reversing the 16
//! *bytes* is one `vpshufb`, and gives the integer `A = u128::from_be_bytes(block)`, whose
//! bit `127 - j` is the coefficient of x^j: the block's polynomial read backwards,
//! `A(y) = y^127 · a(1/y)`.
//!
//! Multiplying two reversed polynomials gives the reversed product, in a mirrored field.
//! Substituting y = 1/x into `a·b = q·g + r` and multiplying by y^254 gives
//!
//! ```text
//!     A(y)·B(y) = y^126·q(1/y) · g'(y)  +  y^127 · R(y),      g'(y) = y^128 · g(1/y)
//!                                                                   = y^128 + y^127 + y^126 + y^121 + 1,
//! ```
//!
//! where `R` is the reversed remainder `r`. So, modulo g', `R = A·B·y^-127`: GHASH's
//! product is, in reversed form, a product in GF(2)[y]/g' with a stray factor y^-127.
//! (This reversed field is exactly POLYVAL's, RFC 8452.)
//!
//! # Montgomery reduction, and the key pre-multiplied by y
//!
//! Reducing a 256-bit product P modulo g' is cheapest as a Montgomery reduction, which
//! yields `P·y^-128` instead of `P mod g'`. To make that land on the GHASH product, each
//! key power is stored pre-multiplied by y: with `K_n = rev(H^n) · y`,
//! `mont(A · K_n) = A · rev(H^n) · y^-127 = rev(a · H^n)`. The powers themselves come out
//! right by the same rule: `mont(K_a · K_b) = rev(H^a) · rev(H^b) · y^-126 = K_(a+b)`.
//!
//! Montgomery reduction, 64 bits at a time: because g' ≡ 1 (mod y^64), adding `m·g'`
//! with `m` = the lowest 64-bit limb of P clears that limb, and
//! `m·g' = m + m·(y^57 + y^62 + y^63)·y^64 + m·y^128` — the middle term is one carry-less
//! multiply by the constant `0xc200000000000000`. Do it twice and divide by y^128.
//!
//! # Schoolbook products and the two folds
//!
//! A 128×128 product, each operand split into 64-bit halves, is four `vpclmulqdq`:
//!
//! ```text
//!     LO = a_L·b_L                    (bits   0..127 of the product)
//!     MI = a_L·b_H + a_H·b_L          (bits  64..191)
//!     HI = a_H·b_H                    (bits 128..255)
//! ```
//!
//! The Montgomery steps are then two *folds*, with `swap` exchanging the 64-bit halves
//! of a lane and `C = 0xc200000000000000`:
//!
//! ```text
//!     MI ^= swap(LO) ^ LO_L·C         (fold LO into MI: clears limb 0)
//!     HI ^= swap(MI) ^ MI_L·C         (fold MI into HI: clears limb 1; HI is the result)
//! ```
//!
//! # Karatsuba for the middle term
//!
//! `MI = (a_L ^ a_H)·(b_L ^ b_H) ^ LO ^ HI`: three multiplies per block instead of four.
//! `b_L ^ b_H` of every key power is precomputed ([`GhashKey`] keeps both tables), and
//! `a_L ^ a_H` costs one `vpshufd` and one XOR. Since everything is linear, the sums of
//! the three products are kept separately over a whole batch and `MI` is formed once.
//! On Zen 3 a 256-bit `vpclmulqdq` occupies the same pipes as `vaesenc` for two cycles,
//! so the multiplier count, not the XORs, is what competes with AES: Karatsuba raised
//! AES-256-GCM seal by about a third on this design.
//!
//! # Aggregated reduction
//!
//! GHASH over sixteen blocks `C_1..C_16` with accumulator X is
//! `X' = (X ^ C_1)·H^16 ^ C_2·H^15 ^ ... ^ C_16·H^1`. The reduction is linear, so the
//! sixteen products are summed unreduced and reduced once: 24 `vpclmulqdq` on 256-bit
//! registers for the products (two blocks per register, against the key-power pairs
//! `[H^16|H^15] ... [H^2|H^1]`), 2 for the reduction, then the two lanes are XORed
//! together. The chain from one X to the next is one multiply and one reduction, far
//! shorter than the sixteen blocks of AES that run beside it.
//!
//! # Options not taken
//!
//! * Reducing every block, or every 8: more `vpclmulqdq` for the reductions, which
//!   compete with AES for the same pipes.
//! * Bit-reflecting the data (or using the non-reflected GCM polynomial directly): the
//!   byte reversal plus the y factor in the key is cheaper, and the standard trick of
//!   Gueron's and Linux's designs.

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::simd::{BatchBytes, REGS, batches, bswap, bswap128, from_u128, load16, load32, store16};

/// `g' - y^128` in the reversed field: the constant a carried-out bit folds back as.
const G_REV_LOW: u128 = 0xc200_0000_0000_0000_0000_0000_0000_0001;
/// The Montgomery constant: `y^57 + y^62 + y^63`, the terms of g' between y^64 and y^128.
const MONT: i64 = 0xc200_0000_0000_0000_u64 as i64;

/// How many key powers are kept: one per block of a batch.
const POWERS: usize = 2 * REGS;

/// The hash key's powers `K_16, K_15, ..., K_1` (see the module header), 16 bytes each,
/// in that order. Read as 32-byte pairs they are the registers `[K_16|K_15]`, ...,
/// `[K_2|K_1]` (lower address = low lane). Zeroized on drop by its owner.
#[derive(Zeroize)]
#[repr(C, align(32))]
pub(super) struct GhashKey {
    powers: [u8; 16 * POWERS],
    /// For Karatsuba: entry n holds `K_L ^ K_H` of the power in the same place in
    /// `powers`, in both 64-bit halves.
    sums: [u8; 16 * POWERS],
}

impl GhashKey {
    /// An all-zero key, to be filled by [`GhashKey::init`] where it will live.
    pub(super) fn zeroed() -> Self {
        GhashKey {
            powers: [0; 16 * POWERS],
            sums: [0; 16 * POWERS],
        }
    }

    /// Computes the powers from the hash subkey `H = E(K, 0^128)`.
    #[target_feature(enable = "avx2,pclmulqdq")]
    pub(super) fn init(&mut self, h: &[u8; 16]) {
        // K_1 = Hrev · y: shift left one bit; a bit carried out past y^127 is y^128 ≡
        // y^127 + y^126 + y^121 + 1. Branch-free: `carry` is all ones or all zeros.
        let mut hrev = u128::from_be_bytes(*h);
        let carry = (hrev >> 127).wrapping_neg();
        let mut k1 = (hrev << 1) ^ (carry & G_REV_LOW);
        let mut powers = [_mm_setzero_si128(); POWERS];
        powers[0] = from_u128(k1);
        for n in 1..POWERS {
            powers[n] = gf_mul(powers[n - 1], powers[0]);
        }
        let (slots, _) = self.powers.as_chunks_mut::<16>();
        let (sum_slots, _) = self.sums.as_chunks_mut::<16>();
        for ((slot, sum_slot), &power) in slots.iter_mut().zip(sum_slots).zip(powers.iter().rev()) {
            store16(slot, power);
            store16(
                sum_slot,
                _mm_xor_si128(power, _mm_shuffle_epi32(power, 0x4e)),
            );
        }
        hrev.zeroize();
        k1.zeroize();
        powers.zeroize();
    }

    /// The register `[K_(16-2i) | K_(15-2i)]`, i in 0..8.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn pair(&self, i: usize) -> __m256i {
        let (pairs, _) = self.powers.as_chunks::<32>();
        load32(&pairs[i])
    }

    /// The Karatsuba sums of [`GhashKey::pair`]`(i)`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn pair_sums(&self, i: usize) -> __m256i {
        let (pairs, _) = self.sums.as_chunks::<32>();
        load32(&pairs[i])
    }

    /// `K_n`, n in 1..=16.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn power(&self, n: usize) -> __m128i {
        let (singles, _) = self.powers.as_chunks::<16>();
        load16(&singles[POWERS - n])
    }
}

/// Swaps the 64-bit halves of each lane.
#[inline]
#[target_feature(enable = "avx2")]
fn swap_halves(v: __m256i) -> __m256i {
    _mm256_shuffle_epi32(v, 0x4e)
}

/// The reduced product of two field elements (both in reversed form; one of them
/// pre-multiplied by y, as the key powers are).
#[inline]
#[target_feature(enable = "avx2,pclmulqdq")]
pub(super) fn gf_mul(a: __m128i, b: __m128i) -> __m128i {
    let lo = _mm_clmulepi64_si128(a, b, 0x00);
    let hi = _mm_clmulepi64_si128(a, b, 0x11);
    let mi = _mm_xor_si128(
        _mm_clmulepi64_si128(a, b, 0x01),
        _mm_clmulepi64_si128(a, b, 0x10),
    );
    reduce128(lo, mi, hi)
}

/// Montgomery reduction of one unreduced product (the two folds of the module header).
#[inline]
#[target_feature(enable = "avx2,pclmulqdq")]
fn reduce128(lo: __m128i, mi: __m128i, hi: __m128i) -> __m128i {
    let c = _mm_set_epi64x(0, MONT);
    let t = _mm_clmulepi64_si128(lo, c, 0x00);
    let mi = _mm_xor_si128(_mm_xor_si128(mi, t), _mm_shuffle_epi32(lo, 0x4e));
    let t = _mm_clmulepi64_si128(mi, c, 0x00);
    _mm_xor_si128(_mm_xor_si128(hi, t), _mm_shuffle_epi32(mi, 0x4e))
}

/// Unreduced sum of the products of a batch's blocks with their key powers, two blocks
/// per register, by Karatsuba: per block `LO = a_L·h_L`, `HI = a_H·h_H` and
/// `M = (a_L ^ a_H)·(h_L ^ h_H)`, whose sums give `MI = M ^ LO ^ HI` once per batch.
/// Built step by step so the seal kernel can slot each step between AES rounds:
/// [`Acc::first`], [`Acc::add`] for registers 1..8, [`Acc::fold_lo`], [`Acc::finish`].
pub(super) struct Acc {
    lo: __m256i,
    /// The sum of the Karatsuba middle products `M` (not yet `MI`).
    mid: __m256i,
    hi: __m256i,
}

impl Acc {
    /// Starts with register 0 of a batch (`ct`: blocks 1 and 2 as stored, big-endian)
    /// and the running hash `x`, which is added to block 1 — the low lane.
    #[inline]
    #[target_feature(enable = "avx2,vpclmulqdq")]
    pub(super) fn first(key: &GhashKey, x: __m128i, ct: __m256i) -> Acc {
        let a = _mm256_xor_si256(bswap(ct), _mm256_set_m128i(_mm_setzero_si128(), x));
        let (h, h_sum) = (key.pair(0), key.pair_sums(0));
        let a_sum = _mm256_xor_si256(a, swap_halves(a));
        Acc {
            lo: _mm256_clmulepi64_epi128(a, h, 0x00),
            mid: _mm256_clmulepi64_epi128(a_sum, h_sum, 0x00),
            hi: _mm256_clmulepi64_epi128(a, h, 0x11),
        }
    }

    /// Adds register `i` (1..8) of the batch, times `[K_(16-2i) | K_(15-2i)]`.
    #[inline]
    #[target_feature(enable = "avx2,vpclmulqdq")]
    pub(super) fn add(&mut self, key: &GhashKey, i: usize, ct: __m256i) {
        let a = bswap(ct);
        let (h, h_sum) = (key.pair(i), key.pair_sums(i));
        let a_sum = _mm256_xor_si256(a, swap_halves(a));
        self.lo = _mm256_xor_si256(self.lo, _mm256_clmulepi64_epi128(a, h, 0x00));
        self.mid = _mm256_xor_si256(self.mid, _mm256_clmulepi64_epi128(a_sum, h_sum, 0x00));
        self.hi = _mm256_xor_si256(self.hi, _mm256_clmulepi64_epi128(a, h, 0x11));
    }

    /// `MI = M ^ LO ^ HI`, then the first fold: LO into MI, in both lanes. Returns MI.
    #[inline]
    #[target_feature(enable = "avx2,vpclmulqdq")]
    pub(super) fn fold_lo(&mut self) {
        let c = _mm256_set_epi64x(0, MONT, 0, MONT);
        let mi = _mm256_xor_si256(self.mid, _mm256_xor_si256(self.lo, self.hi));
        let t = _mm256_clmulepi64_epi128(self.lo, c, 0x00);
        self.mid = _mm256_xor_si256(_mm256_xor_si256(mi, t), swap_halves(self.lo));
    }

    /// Second fold, MI into HI, then the two lanes summed: the new running hash.
    /// Call after [`Acc::fold_lo`].
    #[inline]
    #[target_feature(enable = "avx2,vpclmulqdq")]
    pub(super) fn finish(self) -> __m128i {
        let c = _mm256_set_epi64x(0, MONT, 0, MONT);
        let t = _mm256_clmulepi64_epi128(self.mid, c, 0x00);
        let hi = _mm256_xor_si256(_mm256_xor_si256(self.hi, t), swap_halves(self.mid));
        _mm_xor_si128(_mm256_castsi256_si128(hi), _mm256_extracti128_si256(hi, 1))
    }
}

/// GHASH of a batch of sixteen ciphertext blocks (as stored) into the running hash `x`.
#[inline]
#[target_feature(enable = "avx2,vpclmulqdq")]
pub(super) fn ghash_batch(key: &GhashKey, x: __m128i, ct: &BatchBytes) -> __m128i {
    let mut acc = Acc::first(key, x, load32(&ct[0]));
    for (i, pair) in ct.iter().enumerate().skip(1) {
        acc.add(key, i, load32(pair));
    }
    acc.fold_lo();
    acc.finish()
}

/// GHASH of the `n` blocks (1..=16) in `blocks` into `x`, one block at a time against
/// `K_n, ..., K_1`, with one reduction.
#[target_feature(enable = "avx2,pclmulqdq")]
fn ghash_blocks(key: &GhashKey, x: __m128i, blocks: &[[u8; 16]]) -> __m128i {
    let n = blocks.len();
    debug_assert!((1..=POWERS).contains(&n));
    let mut lo = _mm_setzero_si128();
    let mut mi = _mm_setzero_si128();
    let mut hi = _mm_setzero_si128();
    for (i, block) in blocks.iter().enumerate() {
        let mut a = bswap128(load16(block));
        if i == 0 {
            a = _mm_xor_si128(a, x);
        }
        let h = key.power(n - i);
        lo = _mm_xor_si128(lo, _mm_clmulepi64_si128(a, h, 0x00));
        mi = _mm_xor_si128(mi, _mm_clmulepi64_si128(a, h, 0x01));
        mi = _mm_xor_si128(mi, _mm_clmulepi64_si128(a, h, 0x10));
        hi = _mm_xor_si128(hi, _mm_clmulepi64_si128(a, h, 0x11));
    }
    reduce128(lo, mi, hi)
}

/// GHASH of `data` (any length; a final partial block is padded with zeros) into `x`.
#[target_feature(enable = "avx2,vpclmulqdq,pclmulqdq")]
pub(super) fn ghash_update(key: &GhashKey, mut x: __m128i, data: &[u8]) -> __m128i {
    let (full, tail) = batches(data);
    for batch in full {
        x = ghash_batch(key, x, batch);
    }
    if !tail.is_empty() {
        let mut buf = [[0u8; 16]; POWERS];
        buf.as_flattened_mut()[..tail.len()].copy_from_slice(tail);
        x = ghash_blocks(key, x, &buf[..tail.len().div_ceil(16)]);
    }
    x
}

/// GHASH of GCM's final block, `len(A) ‖ len(C)` in bits as two big-endian 64-bit
/// integers (its reversed form has len(A) in the high half).
#[target_feature(enable = "avx2,pclmulqdq")]
pub(super) fn ghash_lengths(key: &GhashKey, x: __m128i, aad_bits: u64, ct_bits: u64) -> __m128i {
    let block = from_u128((u128::from(aad_bits) << 64) | u128::from(ct_bits));
    gf_mul(_mm_xor_si128(x, block), key.power(1))
}
