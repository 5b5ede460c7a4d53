//! The AVX-512 kernels: ChaCha20 sixteen blocks per loop, and Poly1305 on eight lanes of
//! AVX-512 IFMA.
//!
//! # ChaCha20 data layout
//!
//! As in [`super::avx2`], but on 512-bit registers: `v[w]` holds word `w` of sixteen
//! consecutive blocks, lane `j` = block `counter + j`. All four rotations are one
//! `vprold` each. AVX-512 has 32 vector registers, so the 16 state words and the 16
//! saved input words all stay in registers. The 16×16 transpose runs in two steps:
//!
//! 1. for each group of four words (0–3, 4–7, 8–11, 12–15), `unpack{lo,hi}_epi{32,64}`
//!    transpose 4×4 within each 128-bit lane. Afterwards register `u_k` of group `g`
//!    holds, in 128-bit lane `L`, words `4g..4g+3` of block `4L + k`;
//! 2. for each `k`, `vshufi32x4` twice gathers lane `L` of the four groups' `u_k` into
//!    one register: the whole 64 bytes of block `4L + k`.
//!
//! # Poly1305 data layout (IFMA)
//!
//! The accumulator is eight independent Poly1305 states, one per 64-bit lane, each in
//! the three limbs of radix 2^44 that [`super::poly1305`] uses (one register per limb).
//! Lane `i` absorbs blocks `i, i + 8, i + 16, ...`: each step adds the next eight
//! message blocks (split into limbs with two `vpermt2q` and shifts) and multiplies every
//! lane by `r^8`. The last step multiplies lane `i` by `r^(8-i)` instead, so that the
//! sum of the lanes is the Horner evaluation of the whole run:
//!
//! ```text
//! Σ_i (Σ_k m[8k+i]·r^(8·(K-1-k))) · r^(8-i)  =  Σ_j m[j]·r^(8K-j)
//! ```
//!
//! `vpmadd52luq`/`vpmadd52huq` give the low and high 52 bits of each 52×52-bit limb
//! product; the high halves, worth 2^52 = 2^8 limbs up, are shifted left by 8 into the
//! next limb (from limb 2 they wrap to limb 0 as ×5·2^10, since 2^140 ≡ 5·2^10). One
//! carry out of each limb, all three in parallel, then brings the limbs back to a
//! little over 44, 44 and 42 bits (see [`mul_add`]).

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::chacha::{BLOCK, Io, Window};
use super::poly1305::{self, Limbs, Mult, Powers};

/// Blocks per loop.
const LANES: usize = 16;
/// Bytes per loop.
const BATCH: usize = LANES * BLOCK;

#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn add(a: __m512i, b: __m512i) -> __m512i {
    _mm512_add_epi32(a, b)
}

#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn xor(a: __m512i, b: __m512i) -> __m512i {
    _mm512_xor_si512(a, b)
}

#[inline]
#[target_feature(enable = "avx512f")]
fn rol16(a: __m512i) -> __m512i {
    _mm512_rol_epi32::<16>(a)
}

#[inline]
#[target_feature(enable = "avx512f")]
fn rol12(a: __m512i) -> __m512i {
    _mm512_rol_epi32::<12>(a)
}

#[inline]
#[target_feature(enable = "avx512f")]
fn rol8(a: __m512i) -> __m512i {
    _mm512_rol_epi32::<8>(a)
}

#[inline]
#[target_feature(enable = "avx512f")]
fn rol7(a: __m512i) -> __m512i {
    _mm512_rol_epi32::<7>(a)
}

#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn load(b: [u8; 64]) -> __m512i {
    // SAFETY: `b` is 64 readable bytes, exactly what the load reads; `loadu` needs no
    // alignment.
    unsafe { _mm512_loadu_si512(b.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn store(v: __m512i) -> [u8; 64] {
    let mut b = [0u8; 64];
    // SAFETY: `b` is 64 writable bytes, exactly what the store writes; `storeu` needs no
    // alignment.
    unsafe { _mm512_storeu_si512(b.as_mut_ptr().cast(), v) };
    b
}

/// Step 1 of the transpose for one group of four words: `u[k]` holds, in 128-bit lane
/// `L`, the group's words of block `4L + k`.
#[inline]
#[target_feature(enable = "avx512f")]
fn transpose4(a: &[__m512i]) -> [__m512i; 4] {
    let t0 = _mm512_unpacklo_epi32(a[0], a[1]);
    let t1 = _mm512_unpackhi_epi32(a[0], a[1]);
    let t2 = _mm512_unpacklo_epi32(a[2], a[3]);
    let t3 = _mm512_unpackhi_epi32(a[2], a[3]);
    [
        _mm512_unpacklo_epi64(t0, t2),
        _mm512_unpackhi_epi64(t0, t2),
        _mm512_unpacklo_epi64(t1, t3),
        _mm512_unpackhi_epi64(t1, t3),
    ]
}

/// Step 2: from `x[g]` = lanes of group `g`, the four blocks `[x0.L, x1.L, x2.L, x3.L]`
/// for `L` = 0..4.
#[inline]
#[target_feature(enable = "avx512f")]
fn gather_lanes(x: [__m512i; 4]) -> [__m512i; 4] {
    let p = _mm512_shuffle_i32x4::<0x44>(x[0], x[1]); // x0.0 x0.1 x1.0 x1.1
    let q = _mm512_shuffle_i32x4::<0x44>(x[2], x[3]); // x2.0 x2.1 x3.0 x3.1
    let r = _mm512_shuffle_i32x4::<0xee>(x[0], x[1]); // x0.2 x0.3 x1.2 x1.3
    let s = _mm512_shuffle_i32x4::<0xee>(x[2], x[3]); // x2.2 x2.3 x3.2 x3.3
    [
        _mm512_shuffle_i32x4::<0x88>(p, q),
        _mm512_shuffle_i32x4::<0xdd>(p, q),
        _mm512_shuffle_i32x4::<0x88>(r, s),
        _mm512_shuffle_i32x4::<0xdd>(r, s),
    ]
}

/// Sixteen keystream blocks from the input words `init`, block `j` in `out[j]`.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn blocks(init: &[__m512i; 16]) -> [__m512i; 16] {
    blocks_with(init, |_| {})
}

/// [`blocks`], calling `between(i)` after double round `i` (0..10): the AEAD pass puts
/// one Poly1305 step there, so that its multiplications (a chain of dependent
/// instructions) execute while the rounds' independent ones keep the ports busy.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn blocks_with(init: &[__m512i; 16], mut between: impl FnMut(usize)) -> [__m512i; 16] {
    let mut v = *init;
    for i in 0..10 {
        super::double_round!(v);
        between(i);
    }
    for (x, i) in v.iter_mut().zip(init) {
        *x = add(*x, *i);
    }
    let g = [
        transpose4(&v[0..4]),
        transpose4(&v[4..8]),
        transpose4(&v[8..12]),
        transpose4(&v[12..16]),
    ];
    let mut out = [v[0]; 16];
    for k in 0..4 {
        let b = gather_lanes([g[0][k], g[1][k], g[2][k], g[3][k]]);
        for (l, &block) in b.iter().enumerate() {
            out[4 * l + k] = block;
        }
    }
    out
}

/// XORs the keystream of `state` (word 12 = the first block's counter) into `io`.
///
/// Preconditions: word 12 does not wrap within `io.len()` bytes. A tail of at most eight
/// blocks goes to the eight-block kernel on 256-bit registers with AVX-512VL rotations
/// (plain AVX2's two- and three-instruction rotations made that slower than sixteen
/// blocks here, measured).
#[target_feature(enable = "avx512f,avx512vl,avx2")]
pub(super) fn xor_keystream<I: Io>(state: &[u32; 16], io: &mut I) {
    let mut init = [_mm512_setzero_si512(); 16];
    for (v, &w) in init.iter_mut().zip(state) {
        *v = _mm512_set1_epi32(w as i32);
    }
    init[12] = add(
        init[12],
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    );
    let step = _mm512_set1_epi32(LANES as i32);
    let len = io.len();
    let mut off = 0;
    while off + BATCH <= len {
        let ks = blocks(&init);
        for (k, &ks) in ks.iter().enumerate() {
            let at = off + BLOCK * k;
            io.put(at, store(xor(load(io.get(at)), ks)));
        }
        init[12] = add(init[12], step);
        off += BATCH;
    }
    let n = len - off;
    if n == 0 {
        return;
    }
    if n <= super::avx2::BATCH {
        let mut s = *state;
        s[12] = s[12].wrapping_add((off / BLOCK) as u32);
        super::avx2::xor_keystream_vl(&s, &mut Window::new(io, off, n));
        return;
    }
    let mut ks = blocks(&init);
    io.xor_tail(off, &as_bytes(&ks)[..n]);
    ks.zeroize();
}

/// The keystream registers as the bytes they hold, in memory order.
#[inline]
pub(super) fn as_bytes(v: &[__m512i; 16]) -> &[u8; BATCH] {
    // SAFETY: `__m512i` is 64 bytes of plain data with no padding and alignment ≥ 1, so
    // `[__m512i; 16]` is exactly `BATCH` readable bytes for the borrow's lifetime.
    unsafe { &*(v as *const [__m512i; 16]).cast::<[u8; BATCH]>() }
}

/// The five multiplier vectors of [`mul`]: `r0, r1, r2, 20·r1, 20·r2` per lane.
#[derive(Clone, Copy)]
pub(super) struct VMult([__m512i; 5]);

impl VMult {
    /// Every lane multiplies by `m`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn splat(m: &Mult) -> Self {
        let b = |v: u64| _mm512_set1_epi64(v as i64);
        VMult([b(m.r[0]), b(m.r[1]), b(m.r[2]), b(m.s1), b(m.s2)])
    }

    /// Lane `i` multiplies by `b` where bit `i` of `mask` is set, by `a` elsewhere.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn blend(mask: __mmask8, a: &Mult, b: &Mult) -> Self {
        let pick = |x: u64, y: u64| {
            _mm512_mask_blend_epi64(
                mask,
                _mm512_set1_epi64(x as i64),
                _mm512_set1_epi64(y as i64),
            )
        };
        VMult([
            pick(a.r[0], b.r[0]),
            pick(a.r[1], b.r[1]),
            pick(a.r[2], b.r[2]),
            pick(a.s1, b.s1),
            pick(a.s2, b.s2),
        ])
    }

    /// Lane `i` multiplies by the value in lane `i` of `x` (limbs as [`mul`] leaves
    /// them, so `20·x` still fits the 52-bit multiplier inputs).
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn from_limbs(x: [__m512i; 3]) -> Self {
        // 20·x as x·2^4 + x·2^2; rotations equal the shifts here (x < 2^46) and keep
        // the compiler from making a 64-bit multiplication of it.
        let times20 =
            |v: __m512i| _mm512_add_epi64(_mm512_rol_epi64::<4>(v), _mm512_rol_epi64::<2>(v));
        VMult([x[0], x[1], x[2], times20(x[1]), times20(x[2])])
    }

    /// Every lane multiplies by what lane 0 of `self` does.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn lane0(&self) -> Self {
        VMult(
            self.0
                .map(|v| _mm512_broadcastq_epi64(_mm512_castsi512_si128(v))),
        )
    }

    /// Lane `i` multiplies by the `i`th column of `rows`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn rows(rows: &[[u64; 8]; 5]) -> Self {
        let l = |row: &[u64; 8]| {
            // SAFETY: `row` is 64 readable bytes, exactly what the load reads; `loadu`
            // needs no alignment.
            unsafe { _mm512_loadu_si512(row.as_ptr().cast()) }
        };
        VMult([
            l(&rows[0]),
            l(&rows[1]),
            l(&rows[2]),
            l(&rows[3]),
            l(&rows[4]),
        ])
    }
}

/// `h·m` in each lane, partially reduced (see the module docs for the carries).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(super) fn mul(h: [__m512i; 3], m: &VMult) -> [__m512i; 3] {
    let z = _mm512_setzero_si512();
    mul_add(h, m, [z; 3])
}

/// `h·m + a` in each lane, partially reduced; `a`'s limbs (below 2^45) start the low
/// product sums, which saves the three additions of a separate step.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(super) fn mul_add(h: [__m512i; 3], m: &VMult, a: [__m512i; 3]) -> [__m512i; 3] {
    let [r0, r1, r2, s1, s2] = m.0;
    let z = _mm512_setzero_si512();
    let lo = |a: __m512i, b, c| _mm512_madd52lo_epu64(a, b, c);
    let hi = |a: __m512i, b, c| _mm512_madd52hi_epu64(a, b, c);
    let d0l = lo(lo(lo(a[0], h[0], r0), h[1], s2), h[2], s1);
    let d0h = hi(hi(hi(z, h[0], r0), h[1], s2), h[2], s1);
    let d1l = lo(lo(lo(a[1], h[0], r1), h[1], r0), h[2], s2);
    let d1h = hi(hi(hi(z, h[0], r1), h[1], r0), h[2], s2);
    let d2l = lo(lo(lo(a[2], h[0], r2), h[1], r1), h[2], r0);
    let d2h = hi(hi(hi(z, h[0], r2), h[1], r1), h[2], r0);
    let m44 = _mm512_set1_epi64((1 << 44) - 1);
    let m42 = _mm512_set1_epi64((1 << 42) - 1);
    // d2h·5·2^10 as two rotations, which equal shifts here (d2h < 2^48): written as
    // shifts, the compiler merges them into a 64-bit multiplication by 5120, which
    // without AVX-512DQ becomes two `vpmuludq` and three more instructions.
    let t0 = _mm512_add_epi64(
        d0l,
        _mm512_add_epi64(_mm512_rol_epi64::<10>(d2h), _mm512_rol_epi64::<12>(d2h)),
    );
    let t1 = _mm512_add_epi64(d1l, _mm512_slli_epi64::<8>(d0h));
    let t2 = _mm512_add_epi64(d2l, _mm512_slli_epi64::<8>(d1h));
    // One carry from each limb to the next, all three at once (not a chain): the sums
    // are below 2^56, so the carries are below 2^14 (times 5 from limb 2 into limb 0,
    // below 2^17) and the limbs come out under 2^44 + 2^17, 2^44 + 2^14 and
    // 2^42 + 2^14: small enough for the next multiplication's 52-bit inputs and for
    // 20 times limbs 1 and 2 as multipliers.
    let c0 = _mm512_srli_epi64::<44>(t0);
    let c1 = _mm512_srli_epi64::<44>(t1);
    let c2 = _mm512_srli_epi64::<42>(t2);
    let t0 = _mm512_add_epi64(
        _mm512_and_si512(t0, m44),
        _mm512_add_epi64(c2, _mm512_slli_epi64::<2>(c2)),
    );
    let t1 = _mm512_add_epi64(_mm512_and_si512(t1, m44), c0);
    let t2 = _mm512_add_epi64(_mm512_and_si512(t2, m42), c1);
    [t0, t1, t2]
}

/// Eight message blocks (128 bytes), block `i` split into limbs in lane `i`, each with
/// the 2^128 bit.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn message(b: &[u8]) -> [__m512i; 3] {
    let a = load(b[..64].try_into().expect("64 bytes"));
    let c = load(b[64..128].try_into().expect("64 bytes"));
    let lo = _mm512_permutex2var_epi64(a, _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), c);
    let hi = _mm512_permutex2var_epi64(a, _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15), c);
    let m44 = _mm512_set1_epi64((1 << 44) - 1);
    [
        _mm512_and_si512(lo, m44),
        // (lo >> 44 | hi << 20) & m44 in one `vpternlogq` (0xa8: (A | B) & C).
        _mm512_ternarylogic_epi64::<0xa8>(
            _mm512_srli_epi64::<44>(lo),
            _mm512_slli_epi64::<20>(hi),
            m44,
        ),
        _mm512_or_si512(_mm512_srli_epi64::<24>(hi), _mm512_set1_epi64(1 << 40)),
    ]
}

/// Absorbs `data` (a non-empty multiple of 128 bytes) into the Poly1305 state `h`, with
/// the powers of `r` in `powers`; returns the new state.
#[target_feature(enable = "avx512f,avx512ifma")]
fn poly_blocks_kernel(h: Limbs, powers: &Powers, data: &[u8]) -> Limbs {
    debug_assert!(!data.is_empty() && data.len().is_multiple_of(8 * poly1305::BLOCK));
    let z = _mm512_setzero_si512();
    let add3 = |a: [__m512i; 3], m: [__m512i; 3]| {
        [
            _mm512_add_epi64(a[0], m[0]),
            _mm512_add_epi64(a[1], m[1]),
            _mm512_add_epi64(a[2], m[2]),
        ]
    };
    let mut groups = data.chunks_exact(8 * poly1305::BLOCK);
    let mut a = [
        _mm512_mask_set1_epi64(z, 1, h[0] as i64),
        _mm512_mask_set1_epi64(z, 1, h[1] as i64),
        _mm512_mask_set1_epi64(z, 1, h[2] as i64),
    ];
    let mut b = [z; 3];
    if !powers.wide {
        // Short runs: one accumulator, r^1..r^8 only.
        while let Some(group) = groups.next() {
            a = add3(a, message(group));
            let step = if groups.len() == 0 {
                VMult::rows(&powers.last8)
            } else {
                VMult::splat(&powers.r8)
            };
            a = mul(a, &step);
        }
        return reduce(a);
    }
    // An odd group first, on accumulator `a` alone, so that the rest come in pairs.
    let mut pairs = groups.len() / 2;
    if groups.len() % 2 == 1 {
        a = add3(a, message(groups.next().expect("an odd count is not zero")));
        let step = if pairs == 0 {
            VMult::rows(&powers.last8)
        } else {
            VMult::splat(&powers.r8)
        };
        a = mul(a, &step);
    }
    // Pairs: `a` takes the first eight blocks of each 256 bytes, `b` the next eight;
    // two independent multiplication chains keep the IFMA units busy.
    let r16 = VMult::splat(&powers.r16);
    while pairs > 0 {
        a = add3(a, message(groups.next().expect("pairs counted")));
        b = add3(b, message(groups.next().expect("pairs counted")));
        pairs -= 1;
        if pairs == 0 {
            a = mul(a, &VMult::rows(&powers.last16));
            b = mul(b, &VMult::rows(&powers.last8));
        } else {
            a = mul(a, &r16);
            b = mul(b, &r16);
        }
    }
    reduce(add3(a, b))
}

/// The sum of the lanes, carried.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn reduce(acc: [__m512i; 3]) -> Limbs {
    poly1305::carry([
        _mm512_reduce_add_epi64(acc[0]) as u64,
        _mm512_reduce_add_epi64(acc[1]) as u64,
        _mm512_reduce_add_epi64(acc[2]) as u64,
    ])
}

/// Absorbs `data` (a non-empty multiple of 128 bytes) into `h` on the IFMA kernel.
pub(super) fn poly_blocks(_cpu: super::Avx512Cpu, h: Limbs, powers: &Powers, data: &[u8]) -> Limbs {
    // SAFETY: the `Avx512Cpu` token proves detection found AVX-512F and AVX-512 IFMA.
    unsafe { poly_blocks_kernel(h, powers, data) }
}
