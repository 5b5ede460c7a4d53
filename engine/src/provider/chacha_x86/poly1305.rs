//! Poly1305 (RFC 8439 §2.5) in radix 2^44: the scalar code every tier shares, and the
//! dispatch to the IFMA kernel for long inputs.
//!
//! # Representation
//!
//! A number below 2^130 (plus some slack) is three 64-bit limbs of 44, 44 and 42 bits:
//! `h = h0 + h1·2^44 + h2·2^88`. The radix is chosen so that the same limbs fit the 52-bit
//! multipliers of AVX-512 IFMA (`vpmadd52luq`/`vpmadd52huq`, see [`super::avx512`]): the
//! vector kernel and this scalar code exchange their state without conversion.
//!
//! Multiplication `h·r mod 2^130 - 5` uses `2^130 ≡ 5`: a product of limbs landing at
//! 2^132 (h1·r2, h2·r1) folds to limb 0 times 5·4 = 20, and h2·r2 (at 2^176 = 2^130·2^46)
//! folds to limb 1 times 20. So with `s1 = 20·r1` and `s2 = 20·r2`:
//!
//! ```text
//! d0 = h0·r0 + h1·s2 + h2·s1
//! d1 = h0·r1 + h1·r0 + h2·s2
//! d2 = h0·r2 + h1·r1 + h2·r0
//! ```
//!
//! then one carry pass brings the limbs back under 2^44, 2^44 and 2^42 (limb 0 may exceed
//! 2^44 by a little, which the next multiplication absorbs). Nothing here branches on or
//! indexes by secret data; the final reduction selects with masks.

use zeroize::Zeroize;

/// One Poly1305 block.
pub(super) const BLOCK: usize = 16;
const M44: u64 = (1 << 44) - 1;
const M42: u64 = (1 << 42) - 1;
/// The 2^128 bit every full block carries, as seen in limb 2.
const HIBIT: u64 = 1 << 40;

/// A value mod 2^130 - 5 in three limbs.
pub(super) type Limbs = [u64; 3];

/// `r` and its multiples of 20, ready for [`mul`].
#[derive(Clone, Copy, Default)]
pub(super) struct Mult {
    pub(super) r: Limbs,
    pub(super) s1: u64,
    pub(super) s2: u64,
}

impl Mult {
    pub(super) fn new(r: Limbs) -> Self {
        Mult {
            r,
            s1: r[1] * 20,
            s2: r[2] * 20,
        }
    }
}

/// The limbs of a 16-byte little-endian block, with `hibit` added at 2^128.
pub(super) fn block_limbs(block: &[u8; BLOCK], hibit: u64) -> Limbs {
    let t0 = u64::from_le_bytes(block[..8].try_into().expect("8 bytes"));
    let t1 = u64::from_le_bytes(block[8..].try_into().expect("8 bytes"));
    [
        t0 & M44,
        ((t0 >> 44) | (t1 << 20)) & M44,
        ((t1 >> 24) & M42) | hibit,
    ]
}

/// `h·m.r mod 2^130 - 5`, partially reduced.
#[inline]
pub(super) fn mul(h: &Limbs, m: &Mult) -> Limbs {
    let w = |a: u64, b: u64| u128::from(a) * u128::from(b);
    let [r0, r1, r2] = m.r;
    let d0 = w(h[0], r0) + w(h[1], m.s2) + w(h[2], m.s1);
    let d1 = w(h[0], r1) + w(h[1], r0) + w(h[2], m.s2);
    let d2 = w(h[0], r2) + w(h[1], r1) + w(h[2], r0);
    carry_wide(d0, d1, d2)
}

/// One carry pass over 128-bit limb sums.
#[inline]
fn carry_wide(d0: u128, mut d1: u128, mut d2: u128) -> Limbs {
    d1 += d0 >> 44;
    let h0 = d0 as u64 & M44;
    d2 += d1 >> 44;
    let h1 = d1 as u64 & M44;
    let c = (d2 >> 42) as u64;
    let h2 = d2 as u64 & M42;
    let h0 = h0 + c * 5;
    [h0 & M44, h1 + (h0 >> 44), h2]
}

/// Carries limbs that may each hold up to 63 bits (a sum of vector lanes) back to the
/// usual bounds.
pub(super) fn carry(h: Limbs) -> Limbs {
    carry_wide(u128::from(h[0]), u128::from(h[1]), u128::from(h[2]))
}

/// The clamped `r` of a one-time key's first 16 bytes (RFC 8439 §2.5.1), as limbs.
pub(super) fn clamp(r: &[u8; 16]) -> Limbs {
    let t0 = u64::from_le_bytes(r[..8].try_into().expect("8 bytes"));
    let t1 = u64::from_le_bytes(r[8..].try_into().expect("8 bytes"));
    [
        t0 & 0xffc_0fff_ffff,
        ((t0 >> 44) | (t1 << 20)) & 0xfff_ffc0_ffff,
        (t1 >> 24) & 0x00f_ffff_fc0f,
    ]
}

/// How [`Poly1305`] absorbs long runs of whole blocks.
#[derive(Clone, Copy, Debug)]
pub(super) enum Blocks {
    /// The scalar code in this file alone: the tests' reference.
    #[cfg(test)]
    Scalar,
    /// The `poly1305` crate, whose AVX2 backend (chosen at run time) beats scalar code
    /// where there is no IFMA.
    Crate,
    /// Eight lanes of AVX-512 IFMA ([`super::avx512::poly_blocks`]).
    #[cfg(target_arch = "x86_64")]
    Ifma(super::Avx512Cpu),
}

/// The shortest run that the IFMA kernel takes: below it, its set-up (the powers r^2..r^8
/// and the final lane sum) costs more than it saves.
const IFMA_MIN: usize = 16 * BLOCK;
/// The shortest run that the IFMA kernel splits over two accumulators.
const WIDE_MIN: usize = 128 * BLOCK;

/// A Poly1305 computation under one one-time key, on the backend a tier picked.
// One lives on the stack for one message; boxing the powers would cost an allocation
// per message.
#[allow(clippy::large_enum_variant)]
pub(super) enum Poly1305 {
    /// The radix-2^44 code here (scalar, or IFMA for long runs).
    Radix44(Radix44),
    /// The `poly1305` crate.
    Crate(poly1305::Poly1305),
}

impl Poly1305 {
    /// A computation keyed by the 32-byte one-time key `r ‖ s`.
    pub(super) fn new(key: &[u8; 32], blocks: Blocks) -> Self {
        use poly1305::universal_hash::KeyInit;
        match blocks {
            Blocks::Crate => Poly1305::Crate(poly1305::Poly1305::new(key.into())),
            _ => Poly1305::Radix44(Radix44::new(key, blocks)),
        }
    }

    /// Absorbs `data` as whole blocks, the last one zero-padded to 16 bytes (the RFC 8439
    /// AEAD's padding: padded blocks still carry the 2^128 bit).
    pub(super) fn update_padded(&mut self, data: &[u8]) {
        use poly1305::universal_hash::UniversalHash;
        match self {
            Poly1305::Radix44(p) => p.update_padded(data),
            Poly1305::Crate(p) => p.update_padded(data),
        }
    }

    /// Absorbs `data`, whose length is a multiple of 16.
    pub(super) fn update_blocks(&mut self, data: &[u8]) {
        debug_assert!(data.len().is_multiple_of(BLOCK));
        self.update_padded(data);
    }

    /// Absorbs the final `data` of a message that is not padded and returns the tag.
    pub(super) fn finish_unpadded(self, data: &[u8]) -> [u8; 16] {
        match self {
            Poly1305::Radix44(p) => p.finish_unpadded(data),
            Poly1305::Crate(p) => p.compute_unpadded(data).into(),
        }
    }

    /// The tag of everything absorbed.
    pub(super) fn tag(self) -> [u8; 16] {
        use poly1305::universal_hash::UniversalHash;
        match self {
            Poly1305::Radix44(p) => p.tag(),
            Poly1305::Crate(p) => p.finalize().into(),
        }
    }
}

/// A Poly1305 computation in radix 2^44.
pub(super) struct Radix44 {
    h: Limbs,
    r: Mult,
    /// The powers of `r` the IFMA kernel needs, computed when it first runs.
    powers: Option<Powers>,
    s: [u8; 16],
    blocks: Blocks,
}

impl Radix44 {
    /// A computation keyed by the 32-byte one-time key `r ‖ s`.
    pub(super) fn new(key: &[u8; 32], blocks: Blocks) -> Self {
        let r = clamp(key[..16].try_into().expect("16 bytes"));
        Radix44 {
            h: [0; 3],
            r: Mult::new(r),
            powers: None,
            s: key[16..].try_into().expect("16 bytes"),
            blocks,
        }
    }

    /// Absorbs `data` as whole blocks, the last one zero-padded to 16 bytes (the RFC 8439
    /// AEAD's padding: padded blocks still carry the 2^128 bit).
    pub(super) fn update_padded(&mut self, data: &[u8]) {
        let whole = data.len() / BLOCK * BLOCK;
        self.update_blocks(&data[..whole]);
        let rest = &data[whole..];
        if !rest.is_empty() {
            let mut block = [0u8; BLOCK];
            block[..rest.len()].copy_from_slice(rest);
            self.update_blocks(&block);
        }
    }

    /// Absorbs `data`, whose length is a multiple of 16.
    pub(super) fn update_blocks(&mut self, data: &[u8]) {
        debug_assert!(data.len().is_multiple_of(BLOCK));
        let mut data = data;
        #[cfg(target_arch = "x86_64")]
        if let Blocks::Ifma(cpu) = self.blocks
            && data.len() >= IFMA_MIN
        {
            // Two accumulators (and r^9..r^16) only pay off on longer runs.
            let wide = data.len() >= WIDE_MIN;
            if self.powers.as_ref().is_none_or(|p| wide && !p.wide) {
                self.powers = Some(powers(self.r, wide));
            }
            let powers = self.powers.as_ref().expect("just set");
            let done = data.len() / (8 * BLOCK) * (8 * BLOCK);
            self.h = super::avx512::poly_blocks(cpu, self.h, powers, &data[..done]);
            data = &data[done..];
        }
        for block in data.chunks_exact(BLOCK) {
            let m = block_limbs(block.try_into().expect("16 bytes"), HIBIT);
            self.h = mul(&add(&self.h, &m), &self.r);
        }
    }

    /// The value so far, for a kernel that absorbs blocks itself and hands the value
    /// back with [`Radix44::set_value`].
    pub(super) fn value(&self) -> Limbs {
        self.h
    }

    /// `r` and its multiples, for such a kernel.
    pub(super) fn mult(&self) -> Mult {
        self.r
    }

    /// Replaces the value with what a kernel computed from [`Radix44::value`].
    pub(super) fn set_value(&mut self, h: Limbs) {
        self.h = h;
    }

    /// Absorbs the final `data` of a message that is not padded: whole blocks, then a
    /// short last block ending in a 1 byte (RFC 8439 §2.5.1), and returns the tag.
    pub(super) fn finish_unpadded(mut self, data: &[u8]) -> [u8; 16] {
        let whole = data.len() / BLOCK * BLOCK;
        self.update_blocks(&data[..whole]);
        let rest = &data[whole..];
        if !rest.is_empty() {
            let mut block = [0u8; BLOCK];
            block[..rest.len()].copy_from_slice(rest);
            block[rest.len()] = 1;
            let m = block_limbs(&block, 0);
            self.h = mul(&add(&self.h, &m), &self.r);
        }
        self.tag()
    }

    /// `(h mod 2^130 - 5) + s mod 2^128`.
    pub(super) fn tag(self) -> [u8; 16] {
        let h = carry(carry(self.h));
        // Now h < 2^130 + small; compute g = h + 5 - 2^130 and keep it when it does not
        // borrow, i.e. when h ≥ 2^130 - 5. The choice is a mask, not a branch.
        let g0 = h[0] + 5;
        let g1 = h[1] + (g0 >> 44);
        let g2 = (h[2] + (g1 >> 44)).wrapping_sub(1 << 42);
        let keep_g = (g2 >> 63).wrapping_sub(1); // all ones when g2 did not borrow
        let pick = |g: u64, h: u64| (g & keep_g) | (h & !keep_g);
        let h0 = pick(g0 & M44, h[0]);
        let h1 = pick(g1 & M44, h[1]);
        let h2 = pick(g2 & M42, h[2]);
        // `+`, not `|`: limb 1 may sit at exactly 2^44 after the carries.
        let h = u128::from(h0) + (u128::from(h1) << 44) + (u128::from(h2) << 88);
        h.wrapping_add(u128::from_le_bytes(self.s)).to_le_bytes()
    }
}

/// `a + b`, limb by limb (no carry: the bounds leave room).
#[inline]
pub(super) fn add(a: &Limbs, b: &Limbs) -> Limbs {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// The multipliers of the IFMA kernel, the per-lane ones laid out for whole-register
/// loads (rows `r0, r1, r2, s1, s2`, one column per lane).
pub(super) struct Powers {
    /// True when `r16` and `last16` are there (zero otherwise).
    pub(super) wide: bool,
    /// `r^8`: the step of one eight-lane accumulator.
    pub(super) r8: Mult,
    /// `r^16`: the step of two accumulators side by side.
    pub(super) r16: Mult,
    /// Last-step multipliers of the later (or only) accumulator: lane `i` = `r^(8-i)`.
    pub(super) last8: [[u64; 8]; 5],
    /// Last-step multipliers of the earlier of two accumulators: lane `i` = `r^(16-i)`.
    pub(super) last16: [[u64; 8]; 5],
}

/// `r^1..r^8`, and `r^9..r^16` when `wide`, for the IFMA kernel.
fn powers(r: Mult, wide: bool) -> Powers {
    // r^2, r^4, r^8 by squaring, then r^(k+1..2k) = r^k·r^(1..k): four dependent
    // multiplications instead of fifteen (this runs once per message).
    let mut p = [r; 16];
    let top = if wide { 16 } else { 8 };
    let mut k = 1;
    while k < top {
        for i in 0..k {
            p[k + i] = Mult::new(mul(&p[k - 1].r, &p[i]));
        }
        k *= 2;
    }
    // Rows of the multipliers r^(top-i) for lanes i = 0..8.
    let rows = |top: usize| -> [[u64; 8]; 5] {
        let col = |lane: usize| &p[top - 1 - lane];
        [
            std::array::from_fn(|l| col(l).r[0]),
            std::array::from_fn(|l| col(l).r[1]),
            std::array::from_fn(|l| col(l).r[2]),
            std::array::from_fn(|l| col(l).s1),
            std::array::from_fn(|l| col(l).s2),
        ]
    };
    let out = Powers {
        wide,
        r8: p[7],
        r16: if wide { p[15] } else { Mult::default() },
        last8: rows(8),
        last16: if wide { rows(16) } else { [[0; 8]; 5] },
    };
    for m in &mut p {
        m.r.zeroize();
    }
    out
}

impl Drop for Radix44 {
    fn drop(&mut self) {
        self.h.zeroize();
        self.r.r.zeroize();
        self.r.s1.zeroize();
        self.r.s2.zeroize();
        if let Some(p) = &mut self.powers {
            for m in [&mut p.r8, &mut p.r16] {
                m.r.zeroize();
                m.s1.zeroize();
                m.s2.zeroize();
            }
            p.last8.zeroize();
            p.last16.zeroize();
        }
        self.s.zeroize();
    }
}

/// Poly1305 of `message` under `key`, in one call.
pub(super) fn poly1305(key: &[u8; 32], message: &[u8], blocks: Blocks) -> [u8; 16] {
    Poly1305::new(key, blocks).finish_unpadded(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8439_2_5_2() {
        let key = hex::decode("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
            .unwrap();
        let tag = poly1305(
            key.as_slice().try_into().unwrap(),
            b"Cryptographic Forum Research Group",
            Blocks::Scalar,
        );
        assert_eq!(hex::encode(tag), "a8061dc1305136c6c22b8baf0c0127a9");
    }

    #[test]
    fn matches_the_poly1305_crate_for_every_length() {
        use poly1305::universal_hash::KeyInit;
        for len in 0..300usize {
            let key: [u8; 32] = std::array::from_fn(|i| (i * 7 + len) as u8 ^ 0xa5);
            let msg: Vec<u8> = (0..len).map(|i| (i * 31 + 3) as u8).collect();
            let want = poly1305::Poly1305::new(&key.into()).compute_unpadded(&msg);
            assert_eq!(
                poly1305(&key, &msg, Blocks::Scalar),
                want.as_slice(),
                "len {len}"
            );
        }
    }

    #[test]
    fn extreme_values_reduce_fully() {
        // r with every permitted bit set and a message of all-ones blocks drive the limbs
        // to their bounds; the final reduction must match the reference.
        use poly1305::universal_hash::KeyInit;
        let key = [0xffu8; 32];
        for len in [16, 64, 256, 1024, 4096] {
            let msg = vec![0xffu8; len];
            let want = poly1305::Poly1305::new(&key.into()).compute_unpadded(&msg);
            assert_eq!(poly1305(&key, &msg, Blocks::Scalar), want.as_slice());
        }
    }
}
