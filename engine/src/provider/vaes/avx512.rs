//! The 512-bit width: VAES and VPCLMULQDQ on AVX-512 registers, four blocks per
//! register.
//!
//! Feature formula: `AVX512F && AVX512BW && AVX512VL && VAES && VPCLMULQDQ` (plus the
//! AES, PCLMULQDQ and AVX2 of the 256-bit width, which every such CPU has) — Intel Ice
//! Lake and later server and client parts with AVX-512, AMD Zen 4 and later. Zen 4 runs
//! a 512-bit instruction as two 256-bit halves, so it gains less there than Intel.
//! AVX512BW and AVX512VL are required although the kernels use few of their
//! instructions: the compiler may pick byte-wise and 256-bit EVEX forms anywhere in a
//! function compiled with them, and every CPU with 512-bit VAES has both.

use core::arch::x86_64::*;

use super::width::Width;
use crate::cpu::{CpuFeatures, Feature};

/// Proof that this CPU has every feature the 512-bit kernels use.
///
/// Zero-sized; obtainable only from [`Vaes512Cpu::new`], which checks both the engine's
/// [`CpuFeatures`] and the standard library's own detection.
#[derive(Clone, Copy, Debug)]
pub struct Vaes512Cpu(());

impl Vaes512Cpu {
    /// The features the kernels enable.
    pub const FEATURES: &'static [Feature] = &[
        Feature::Avx512f,
        Feature::Avx512bw,
        Feature::Avx512vl,
        Feature::Vaes,
        Feature::Vpclmulqdq,
        Feature::Avx2,
        Feature::Aes,
        Feature::Pclmulqdq,
    ];

    /// The token, when `cpu` reports every feature in [`Self::FEATURES`].
    pub fn new(cpu: &CpuFeatures) -> Option<Self> {
        let std_agrees = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("vaes")
            && std::arch::is_x86_feature_detected!("vpclmulqdq")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq");
        (cpu.has_all(Self::FEATURES) && std_agrees).then_some(Vaes512Cpu(()))
    }
}

/// The features [`Width::enter`] enables (the same set as [`Vaes512Cpu::FEATURES`]).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,vaes,vpclmulqdq,avx2,aes,pclmulqdq")]
fn with_features<T, F: FnOnce() -> T>(f: F) -> T {
    f()
}

// SAFETY: a `Vaes512Cpu` exists only when detection found avx512f, avx512bw, avx512vl,
// vaes, vpclmulqdq, avx2, aes and pclmulqdq, every feature the methods below and the
// trait's provided ones use.
unsafe impl Width for Vaes512Cpu {
    type Reg = __m512i;
    const LANES: usize = 4;
    const NAME: &'static str = "vaes512";
    const OPEN_HASHES_AHEAD: bool = false;
    const KARATSUBA: bool = false;

    #[inline(always)]
    fn enter<T, F: FnOnce() -> T>(self, f: F) -> T {
        // SAFETY: `self` proves every feature `with_features` enables.
        unsafe { with_features(f) }
    }

    #[inline(always)]
    fn load(self, b: &[u8]) -> __m512i {
        let b: &[u8; 64] = b.first_chunk().expect("a register's worth of bytes");
        // SAFETY: `b` is 64 readable bytes, what the load reads (unaligned form); `self`
        // proves avx512f.
        unsafe { _mm512_loadu_si512(b.as_ptr().cast()) }
    }

    #[inline(always)]
    fn store(self, b: &mut [u8], v: __m512i) {
        let b: &mut [u8; 64] = b.first_chunk_mut().expect("a register's worth of bytes");
        // SAFETY: `b` is 64 writable bytes, what the store writes (unaligned form); `self`
        // proves avx512f.
        unsafe { _mm512_storeu_si512(b.as_mut_ptr().cast(), v) }
    }

    #[inline(always)]
    fn broadcast(self, b: &[u8; 16]) -> __m512i {
        // SAFETY: `b` is 16 readable bytes, what the load reads; `self` proves avx512f.
        unsafe { _mm512_broadcast_i32x4(_mm_loadu_si128(b.as_ptr().cast())) }
    }

    #[inline(always)]
    fn set_lanes(self, l: [u128; 4]) -> __m512i {
        // SAFETY: `self` proves avx512f.
        unsafe {
            _mm512_set_epi64(
                (l[3] >> 64) as i64,
                l[3] as i64,
                (l[2] >> 64) as i64,
                l[2] as i64,
                (l[1] >> 64) as i64,
                l[1] as i64,
                (l[0] >> 64) as i64,
                l[0] as i64,
            )
        }
    }

    #[inline(always)]
    fn zero(self) -> __m512i {
        // SAFETY: `self` proves avx512f.
        unsafe { _mm512_setzero_si512() }
    }

    #[inline(always)]
    fn low_lane(self, x: __m128i) -> __m512i {
        // SAFETY: `self` proves avx512f.
        unsafe { _mm512_zextsi128_si512(x) }
    }

    #[inline(always)]
    fn lane0(self, v: __m512i) -> __m128i {
        // SAFETY: `self` proves avx512f.
        unsafe { _mm512_castsi512_si128(v) }
    }

    #[inline(always)]
    fn fold_lanes(self, v: __m512i) -> __m128i {
        // SAFETY: `self` proves avx512f and avx2.
        unsafe {
            let v = _mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64::<1>(v));
            _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v))
        }
    }

    #[inline(always)]
    fn xor(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: `self` proves avx512f.
        unsafe { _mm512_xor_si512(a, b) }
    }

    #[inline(always)]
    fn add32(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: `self` proves avx512f.
        unsafe { _mm512_add_epi32(a, b) }
    }

    #[inline(always)]
    fn aesenc(self, s: __m512i, k: __m512i) -> __m512i {
        // SAFETY: `self` proves vaes and avx512f.
        unsafe { _mm512_aesenc_epi128(s, k) }
    }

    #[inline(always)]
    fn aesenclast(self, s: __m512i, k: __m512i) -> __m512i {
        // SAFETY: `self` proves vaes and avx512f.
        unsafe { _mm512_aesenclast_epi128(s, k) }
    }

    #[inline(always)]
    fn clmul<const IMM: i32>(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: `self` proves vpclmulqdq and avx512f.
        unsafe { _mm512_clmulepi64_epi128::<IMM>(a, b) }
    }

    #[inline(always)]
    fn bswap(self, v: __m512i) -> __m512i {
        // SAFETY: `self` proves avx512bw (byte shuffles on 512-bit registers).
        unsafe {
            let lane = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            _mm512_shuffle_epi8(v, _mm512_broadcast_i32x4(lane))
        }
    }

    #[inline(always)]
    fn swap_halves(self, v: __m512i) -> __m512i {
        // SAFETY: `self` proves avx512f.
        unsafe { _mm512_shuffle_epi32::<0x4e>(v) }
    }
}
