//! The AVX2 ChaCha20 kernel: eight blocks per loop on 256-bit registers.
//!
//! # Data layout
//!
//! The kernel works *vertically*: register `v[w]` holds word `w` of eight consecutive
//! blocks, one block per 32-bit lane (lane `j` = block `counter + j`).
//!
//! ```text
//!            lane 0    lane 1    ...  lane 7
//! v[0]   =  [ σ0      σ0        ...  σ0      ]   constants, key words: broadcast
//! v[4]   =  [ k0      k0        ...  k0      ]
//! v[12]  =  [ ctr+0   ctr+1     ...  ctr+7   ]   the only word that differs per lane
//! v[15]  =  [ n2      n2        ...  n2      ]
//! ```
//!
//! A quarter-round on four registers is then a quarter-round on eight blocks at once,
//! with no shuffles between rounds (the diagonal round just names other registers).
//! Rotations by 16 and 8 are byte shuffles (`vpshufb`); by 12 and 7, two shifts and an
//! OR. A second instance of the same kernel uses AVX-512VL's `vprold` on these 256-bit
//! registers instead (the AVX-512 tier's short tails). After the 20 rounds and the feed-forward addition, an 8×8 transpose of 32-bit
//! words turns registers back into blocks: `unpack{lo,hi}_epi32` and `unpack{lo,hi}_epi64`
//! transpose 4×4 within each 128-bit half, and `vperm2i128` joins the halves, giving
//! sixteen 32-byte pieces in memory order (block `j`'s words 0–7, then 8–15).
//!
//! Nothing depends on the data but the loop bounds, which depend on the length only.

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::chacha::{BLOCK, Io};

/// Blocks per loop.
pub(super) const LANES: usize = 8;
/// Bytes per loop.
pub(super) const BATCH: usize = LANES * BLOCK;

#[inline]
#[target_feature(enable = "avx2")]
fn add(a: __m256i, b: __m256i) -> __m256i {
    _mm256_add_epi32(a, b)
}

#[inline]
#[target_feature(enable = "avx2")]
fn xor(a: __m256i, b: __m256i) -> __m256i {
    _mm256_xor_si256(a, b)
}

/// Rotations on plain AVX2: byte shuffles for 16 and 8, two shifts and an OR otherwise.
mod shift_rotate {
    use core::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn rol16(a: __m256i) -> __m256i {
        let c = _mm256_set_epi8(
            13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2, //
            13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2,
        );
        _mm256_shuffle_epi8(a, c)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn rol8(a: __m256i) -> __m256i {
        let c = _mm256_set_epi8(
            14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3, //
            14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3,
        );
        _mm256_shuffle_epi8(a, c)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn rol12(a: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_slli_epi32::<12>(a), _mm256_srli_epi32::<20>(a))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn rol7(a: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_slli_epi32::<7>(a), _mm256_srli_epi32::<25>(a))
    }
}

/// Rotations with AVX-512VL: one `vprold` each, on the same 256-bit registers.
mod vl_rotate {
    use core::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx512f,avx512vl")]
    pub(super) fn rol16(a: __m256i) -> __m256i {
        _mm256_rol_epi32::<16>(a)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512vl")]
    pub(super) fn rol12(a: __m256i) -> __m256i {
        _mm256_rol_epi32::<12>(a)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512vl")]
    pub(super) fn rol8(a: __m256i) -> __m256i {
        _mm256_rol_epi32::<8>(a)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512vl")]
    pub(super) fn rol7(a: __m256i) -> __m256i {
        _mm256_rol_epi32::<7>(a)
    }
}

#[inline]
#[target_feature(enable = "avx2")]
fn load(b: [u8; 32]) -> __m256i {
    // SAFETY: `b` is 32 readable bytes, exactly what the load reads; `loadu` needs no
    // alignment.
    unsafe { _mm256_loadu_si256(b.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2")]
fn store(v: __m256i) -> [u8; 32] {
    let mut b = [0u8; 32];
    // SAFETY: `b` is 32 writable bytes, exactly what the store writes; `storeu` needs no
    // alignment.
    unsafe { _mm256_storeu_si256(b.as_mut_ptr().cast(), v) };
    b
}

/// The keystream registers as the bytes they hold, in memory order.
#[inline]
fn as_bytes(v: &[__m256i; 16]) -> &[u8; BATCH] {
    // SAFETY: `__m256i` is 32 bytes of plain data with no padding and alignment ≥ 1, so
    // `[__m256i; 16]` is exactly `BATCH` readable bytes for the borrow's lifetime.
    unsafe { &*(v as *const [__m256i; 16]).cast::<[u8; BATCH]>() }
}

/// Transposes 8×8 32-bit words: `a[w]` lane `j` becomes `out[j]` lane `w`.
#[inline]
#[target_feature(enable = "avx2")]
fn transpose(a: [__m256i; 8]) -> [__m256i; 8] {
    let t0 = _mm256_unpacklo_epi32(a[0], a[1]);
    let t1 = _mm256_unpackhi_epi32(a[0], a[1]);
    let t2 = _mm256_unpacklo_epi32(a[2], a[3]);
    let t3 = _mm256_unpackhi_epi32(a[2], a[3]);
    let t4 = _mm256_unpacklo_epi32(a[4], a[5]);
    let t5 = _mm256_unpackhi_epi32(a[4], a[5]);
    let t6 = _mm256_unpacklo_epi32(a[6], a[7]);
    let t7 = _mm256_unpackhi_epi32(a[6], a[7]);
    // u0: words 0-3 of blocks 0 (low half) and 4 (high half); u1: blocks 1 and 5; ...
    let u0 = _mm256_unpacklo_epi64(t0, t2);
    let u1 = _mm256_unpackhi_epi64(t0, t2);
    let u2 = _mm256_unpacklo_epi64(t1, t3);
    let u3 = _mm256_unpackhi_epi64(t1, t3);
    let u4 = _mm256_unpacklo_epi64(t4, t6);
    let u5 = _mm256_unpackhi_epi64(t4, t6);
    let u6 = _mm256_unpacklo_epi64(t5, t7);
    let u7 = _mm256_unpackhi_epi64(t5, t7);
    [
        _mm256_permute2x128_si256::<0x20>(u0, u4),
        _mm256_permute2x128_si256::<0x20>(u1, u5),
        _mm256_permute2x128_si256::<0x20>(u2, u6),
        _mm256_permute2x128_si256::<0x20>(u3, u7),
        _mm256_permute2x128_si256::<0x31>(u0, u4),
        _mm256_permute2x128_si256::<0x31>(u1, u5),
        _mm256_permute2x128_si256::<0x31>(u2, u6),
        _mm256_permute2x128_si256::<0x31>(u3, u7),
    ]
}

/// Defines the eight-block kernel (`$blocks` and `$xor`) for one set of features and
/// rotations: plain AVX2, and AVX2 with AVX-512VL's `vprold` (which the AVX-512 tier uses
/// for short tails).
macro_rules! eight_block_kernel {
    ($features:literal, $rotate:ident, $blocks:ident, $xor:ident) => {
        /// Eight keystream blocks from the input words `init` (word 12 per lane), as sixteen
        /// 32-byte pieces in memory order.
        #[inline]
        #[target_feature(enable = $features)]
        fn $blocks(init: &[__m256i; 16]) -> [__m256i; 16] {
            use $rotate::{rol7, rol8, rol12, rol16};
            let mut v = *init;
            for _ in 0..10 {
                super::double_round!(v);
            }
            for (x, i) in v.iter_mut().zip(init) {
                *x = add(*x, *i);
            }
            let lo = transpose([v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]]);
            let hi = transpose([v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]]);
            let mut out = [lo[0]; 16];
            for j in 0..LANES {
                out[2 * j] = lo[j];
                out[2 * j + 1] = hi[j];
            }
            out
        }

        /// XORs the keystream of `state` (word 12 = the first block's counter) into `io`.
        ///
        /// Preconditions: word 12 does not wrap within `io.len()` bytes (the caller splits runs
        /// there, see [`super::chacha`]).
        #[target_feature(enable = $features)]
        pub(super) fn $xor<I: Io>(state: &[u32; 16], io: &mut I) {
            let mut init = [_mm256_setzero_si256(); 16];
            for (v, &w) in init.iter_mut().zip(state) {
                *v = _mm256_set1_epi32(w as i32);
            }
            init[12] = add(init[12], _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            let step = _mm256_set1_epi32(LANES as i32);
            let len = io.len();
            let mut off = 0;
            while off + BATCH <= len {
                let ks = $blocks(&init);
                for (k, &ks) in ks.iter().enumerate() {
                    let at = off + 32 * k;
                    io.put(at, store(xor(load(io.get(at)), ks)));
                }
                init[12] = add(init[12], step);
                off += BATCH;
            }
            if off < len {
                let mut ks = $blocks(&init);
                io.xor_tail(off, &as_bytes(&ks)[..len - off]);
                ks.zeroize();
            }
        }
    };
}

eight_block_kernel!("avx2", shift_rotate, blocks, xor_keystream);
eight_block_kernel!(
    "avx2,avx512f,avx512vl",
    vl_rotate,
    blocks_vl,
    xor_keystream_vl
);
