//! GHASH on VPCLMULQDQ, on whole registers: one reduction per batch (16 blocks on
//! 256-bit registers, 32 on 512-bit ones).
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
//! # Karatsuba for the middle term, where it pays ([`Width::KARATSUBA`])
//!
//! `MI = (a_L ^ a_H)·(b_L ^ b_H) ^ LO ^ HI`: three multiplies per block instead of four.
//! `b_L ^ b_H` of every key power is precomputed ([`GhashKey`] keeps both tables), and
//! `a_L ^ a_H` costs one `vpshufd` and one XOR. Since everything is linear, the sums of
//! the three products are kept separately over a whole batch and `MI` is formed once.
//! On Zen 3 a 256-bit `vpclmulqdq` occupies the same pipes as `vaesenc` for two cycles,
//! so the multiplier count, not the XORs, is what competes with AES: Karatsuba raised
//! AES-256-GCM seal by about a third on the 256-bit width.
//!
//! The 512-bit width multiplies schoolbook instead (`MI = a_L·b_H ^ a_H·b_L`, two
//! products XORed by one `vpternlogq`). On Intel, a 512-bit `vaesenc` issues on port 0
//! only and `vpclmulqdq` on port 5 only (measured here: one of each per cycle, together),
//! while XORs may go to either: Karatsuba's extra shuffle and XOR per register take
//! issue slots the AES rounds need, and its fourth product was free. Schoolbook measured
//! 11% faster open and 2–3% faster seal at 16 KiB on a Sapphire Rapids. (Not measured on
//! Zen 4, which runs both as two 256-bit halves on shared pipes, like Zen 3.)
//!
//! # Aggregated reduction
//!
//! GHASH over a batch of B blocks `C_1..C_B` with accumulator X is
//! `X' = (X ^ C_1)·H^B ^ C_2·H^(B-1) ^ ... ^ C_B·H^1`. The reduction is linear, so the
//! B products are summed unreduced and reduced once: 24 `vpclmulqdq` (Karatsuba) or 32
//! (schoolbook) for the products
//! (eight registers of [`Width::LANES`] blocks, against the key powers in the same
//! order, `[H^B|H^(B-1)|..] ... [..|H^2|H^1]`), 2 for the reduction, then the lanes are
//! XORed together. On 512-bit registers that is 32 blocks — as many powers of H as the
//! loop holds — for the same instruction count as 16 on 256-bit ones. The chain from
//! one X to the next is one multiply and one reduction, far shorter than the batch of
//! AES that runs beside it.
//!
//! # Key powers
//!
//! [`GhashKey`] keeps `K_32 .. K_1` whatever the width (a 256-bit batch uses the last
//! sixteen), followed by three zero slots: a register of powers may then start at any
//! slot, and a tail of n blocks (any n) is hashed a register at a time against
//! `K_n ..` with the slots past `K_1` multiplying the zero padding of the last
//! register ([`ghash_tail`]).
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

use super::simd::{from_u128, load16, store16, swap_halves128, xor128};
use super::width::{MAX_BLOCKS, Width};

/// `g' - y^128` in the reversed field: the constant a carried-out bit folds back as.
const G_REV_LOW: u128 = 0xc200_0000_0000_0000_0000_0000_0000_0001;
/// The Montgomery constant: `y^57 + y^62 + y^63`, the terms of g' between y^64 and y^128.
const MONT: u128 = 0xc200_0000_0000_0000;

/// Slots for key powers: `K_32..K_1`, then zero padding for a register that starts at
/// `K_1` (at most three lanes past it).
const SLOTS: usize = MAX_BLOCKS + 3;

/// The slot of `K_n`.
const fn slot(n: usize) -> usize {
    MAX_BLOCKS - n
}

/// The hash key's powers `K_32, K_31, ..., K_1` (see the module header), 16 bytes each,
/// in that order, then zeros. Read as a register from slot `s`, lane `j` holds the power
/// in slot `s + j`. Zeroized on drop by its owner.
#[derive(Zeroize)]
#[repr(C, align(64))]
pub(super) struct GhashKey {
    powers: [[u8; 16]; SLOTS],
    /// For Karatsuba: slot n holds `K_L ^ K_H` of the power in the same slot of
    /// `powers`, in both 64-bit halves.
    sums: [[u8; 16]; SLOTS],
}

impl GhashKey {
    /// An all-zero key, to be filled by [`GhashKey::init`] where it will live.
    pub(super) fn zeroed() -> Self {
        GhashKey {
            powers: [[0; 16]; SLOTS],
            sums: [[0; 16]; SLOTS],
        }
    }

    /// Computes the powers from the hash subkey `H = E(K, 0^128)`.
    #[inline(always)]
    pub(super) fn init<W: Width>(&mut self, cpu: W, h: &[u8; 16]) {
        // K_1 = Hrev · y: shift left one bit; a bit carried out past y^127 is y^128 ≡
        // y^127 + y^126 + y^121 + 1. Branch-free: `carry` is all ones or all zeros.
        let mut hrev = u128::from_be_bytes(*h);
        let carry = (hrev >> 127).wrapping_neg();
        let mut k1 = (hrev << 1) ^ (carry & G_REV_LOW);
        let k1_reg = from_u128(k1);
        let mut power = k1_reg;
        for n in 1..=MAX_BLOCKS {
            if n > 1 {
                power = gf_mul(cpu, power, k1_reg);
            }
            store16(&mut self.powers[slot(n)], power);
            store16(
                &mut self.sums[slot(n)],
                xor128(power, swap_halves128(power)),
            );
        }
        hrev.zeroize();
        k1.zeroize();
    }

    /// The register of powers from slot `s` on.
    #[inline(always)]
    fn powers_at<W: Width>(&self, cpu: W, s: usize) -> W::Reg {
        cpu.load(&self.powers.as_flattened()[16 * s..])
    }

    /// The Karatsuba sums of [`GhashKey::powers_at`]`(s)`.
    #[inline(always)]
    fn sums_at<W: Width>(&self, cpu: W, s: usize) -> W::Reg {
        cpu.load(&self.sums.as_flattened()[16 * s..])
    }

    /// `K_n`, n in 1..=32.
    #[inline(always)]
    fn power(&self, n: usize) -> __m128i {
        load16(&self.powers[slot(n)])
    }
}

/// The reduced product of two field elements (both in reversed form; one of them
/// pre-multiplied by y, as the key powers are).
#[inline(always)]
pub(super) fn gf_mul<W: Width>(cpu: W, a: __m128i, b: __m128i) -> __m128i {
    let lo = cpu.clmul128::<0x00>(a, b);
    let hi = cpu.clmul128::<0x11>(a, b);
    let mi = xor128(cpu.clmul128::<0x01>(a, b), cpu.clmul128::<0x10>(a, b));
    reduce128(cpu, lo, mi, hi)
}

/// Montgomery reduction of one unreduced product (the two folds of the module header).
#[inline(always)]
fn reduce128<W: Width>(cpu: W, lo: __m128i, mi: __m128i, hi: __m128i) -> __m128i {
    let c = from_u128(MONT);
    let t = cpu.clmul128::<0x00>(lo, c);
    let mi = xor128(xor128(mi, t), swap_halves128(lo));
    let t = cpu.clmul128::<0x00>(mi, c);
    xor128(xor128(hi, t), swap_halves128(mi))
}

/// Unreduced sum of the products of registers of blocks with their key powers: per
/// block `LO = a_L·h_L`, `HI = a_H·h_H` and a middle term — by Karatsuba
/// `M = (a_L ^ a_H)·(h_L ^ h_H)`, whose sums give `MI = M ^ LO ^ HI` once per batch, or
/// schoolbook `MI = a_L·h_H ^ a_H·h_L` ([`Width::KARATSUBA`]).
/// Built step by step so the seal kernel can slot each step between AES rounds:
/// [`Acc::first`], [`Acc::add`] for the other registers, [`Acc::fold_lo`],
/// [`Acc::finish`].
pub(super) struct Acc<W: Width> {
    lo: W::Reg,
    /// The sum of the middle terms: Karatsuba's `M` (not yet `MI`), or `MI`.
    mid: W::Reg,
    hi: W::Reg,
}

impl<W: Width> Acc<W> {
    /// Starts with the first register of a run (`ct`: blocks as stored, big-endian),
    /// against the powers from slot `s`, and the running hash `x`, which is added to its
    /// first block — lane 0.
    #[inline(always)]
    pub(super) fn first(cpu: W, key: &GhashKey, s: usize, x: __m128i, ct: W::Reg) -> Self {
        let a = cpu.xor(cpu.bswap(ct), cpu.low_lane(x));
        let (lo, mid, hi) = Self::products(cpu, key, s, a);
        Acc { lo, mid, hi }
    }

    /// Adds a register of blocks `ct`, times the powers from slot `s`.
    #[inline(always)]
    pub(super) fn add(&mut self, cpu: W, key: &GhashKey, s: usize, ct: W::Reg) {
        let (lo, mid, hi) = Self::products(cpu, key, s, cpu.bswap(ct));
        self.lo = cpu.xor(self.lo, lo);
        self.mid = cpu.xor(self.mid, mid);
        self.hi = cpu.xor(self.hi, hi);
    }

    /// The three partial products of the blocks `a` (byte-reversed) with the powers
    /// from slot `s`: `LO`, the middle term (Karatsuba's `M`, or schoolbook's `MI`, as
    /// [`Width::KARATSUBA`] says) and `HI`.
    #[inline(always)]
    fn products(cpu: W, key: &GhashKey, s: usize, a: W::Reg) -> (W::Reg, W::Reg, W::Reg) {
        let h = key.powers_at(cpu, s);
        let mid = if W::KARATSUBA {
            let a_sum = cpu.xor(a, cpu.swap_halves(a));
            cpu.clmul::<0x00>(a_sum, key.sums_at(cpu, s))
        } else {
            cpu.xor(cpu.clmul::<0x01>(a, h), cpu.clmul::<0x10>(a, h))
        };
        (cpu.clmul::<0x00>(a, h), mid, cpu.clmul::<0x11>(a, h))
    }

    /// `MI = M ^ LO ^ HI` (Karatsuba only), then the first fold: LO into MI, in every
    /// lane.
    #[inline(always)]
    pub(super) fn fold_lo(&mut self, cpu: W) {
        let c = cpu.set_lanes([MONT; 4]);
        let mi = if W::KARATSUBA {
            cpu.xor(self.mid, cpu.xor(self.lo, self.hi))
        } else {
            self.mid
        };
        let t = cpu.clmul::<0x00>(self.lo, c);
        self.mid = cpu.xor(cpu.xor(mi, t), cpu.swap_halves(self.lo));
    }

    /// Second fold, MI into HI, then the lanes summed: the new running hash.
    /// Call after [`Acc::fold_lo`].
    #[inline(always)]
    pub(super) fn finish(self, cpu: W) -> __m128i {
        let c = cpu.set_lanes([MONT; 4]);
        let t = cpu.clmul::<0x00>(self.mid, c);
        let hi = cpu.xor(cpu.xor(self.hi, t), cpu.swap_halves(self.mid));
        cpu.fold_lanes(hi)
    }
}

/// The slot of the first power for register `i` of a batch of width `W`.
#[inline(always)]
pub(super) const fn batch_slot<W: Width>(i: usize) -> usize {
    slot(W::BLOCKS) + W::LANES * i
}

/// GHASH of a batch of ciphertext blocks (the first `W::BATCH` bytes of `ct`, as
/// stored) into the running hash `x`.
#[inline(always)]
pub(super) fn ghash_batch<W: Width>(cpu: W, key: &GhashKey, x: __m128i, ct: &[u8]) -> __m128i {
    let ct = &ct[..W::BATCH];
    let mut acc = Acc::first(cpu, key, batch_slot::<W>(0), x, cpu.load(ct));
    for i in 1..super::width::REGS {
        acc.add(
            cpu,
            key,
            batch_slot::<W>(i),
            cpu.load(&ct[i * W::REG_BYTES..]),
        );
    }
    acc.fold_lo(cpu);
    acc.finish(cpu)
}

/// GHASH of less than a batch (`data`, 1 to `W::BATCH - 1` bytes, so at most `W::BLOCKS`
/// blocks; a final partial block
/// is padded with zeros) into `x`: a register at a time against `K_n, K_(n-1), ...`
/// for n blocks, with one reduction. The last register is read through a zero-padded
/// buffer; its lanes past the data meet the zero slots after `K_1`.
#[inline(always)]
pub(super) fn ghash_tail<W: Width>(cpu: W, key: &GhashKey, x: __m128i, data: &[u8]) -> __m128i {
    let n = data.len().div_ceil(16);
    debug_assert!((1..=W::BLOCKS).contains(&n));
    let whole = data.len() / W::REG_BYTES;
    let (regs, rest) = data.split_at(whole * W::REG_BYTES);
    let mut buf = [0u8; 64];
    buf[..rest.len()].copy_from_slice(rest);
    let mut chunks = regs.chunks_exact(W::REG_BYTES);
    let first = chunks.next().unwrap_or(&buf);
    let mut acc = Acc::first(cpu, key, slot(n), x, cpu.load(first));
    for (r, reg) in chunks.enumerate() {
        acc.add(cpu, key, slot(n) + W::LANES * (r + 1), cpu.load(reg));
    }
    if whole > 0 && !rest.is_empty() {
        acc.add(cpu, key, slot(n) + W::LANES * whole, cpu.load(&buf));
    }
    acc.fold_lo(cpu);
    acc.finish(cpu)
}

/// GHASH of `data` (any length; a final partial block is padded with zeros) into `x`.
#[inline(always)]
pub(super) fn ghash_update<W: Width>(
    cpu: W,
    key: &GhashKey,
    mut x: __m128i,
    data: &[u8],
) -> __m128i {
    let (full, tail) = data.split_at(data.len() / W::BATCH * W::BATCH);
    for batch in full.chunks_exact(W::BATCH) {
        x = ghash_batch(cpu, key, x, batch);
    }
    if !tail.is_empty() {
        x = ghash_tail(cpu, key, x, tail);
    }
    x
}

/// GHASH of GCM's final block, `len(A) ‖ len(C)` in bits as two big-endian 64-bit
/// integers, given as the integer of its bytes (which is also its reversed form).
#[inline(always)]
pub(super) fn ghash_lengths<W: Width>(
    cpu: W,
    key: &GhashKey,
    x: __m128i,
    lengths: u128,
) -> __m128i {
    gf_mul(cpu, xor128(x, from_u128(lengths)), key.power(1))
}
