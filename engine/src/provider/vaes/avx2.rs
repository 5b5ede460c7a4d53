//! The 256-bit width: VAES and VPCLMULQDQ on AVX2 registers, two blocks per register.
//!
//! Feature formula: `AES && PCLMULQDQ && AVX2 && VAES && VPCLMULQDQ` — AMD Zen 3 and
//! later, Intel Ice Lake and later; no AVX-512 needed.

use core::arch::x86_64::*;

use super::width::Width;
use crate::cpu::{CpuFeatures, Feature};

/// Proof that this CPU has every feature the 256-bit kernels use.
///
/// Zero-sized; obtainable only from [`Vaes256Cpu::new`], which checks both the engine's
/// [`CpuFeatures`] (so `CpuFeatures::without` can switch the provider off in tests) and
/// the standard library's own detection.
#[derive(Clone, Copy, Debug)]
pub struct Vaes256Cpu(());

impl Vaes256Cpu {
    /// The features the kernels enable.
    pub const FEATURES: &'static [Feature] = &[
        Feature::Vaes,
        Feature::Vpclmulqdq,
        Feature::Avx2,
        Feature::Aes,
        Feature::Pclmulqdq,
    ];

    /// The token, when `cpu` reports every feature in [`Self::FEATURES`].
    pub fn new(cpu: &CpuFeatures) -> Option<Self> {
        let std_agrees = std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("vaes")
            && std::arch::is_x86_feature_detected!("vpclmulqdq")
            && std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq");
        (cpu.has_all(Self::FEATURES) && std_agrees).then_some(Vaes256Cpu(()))
    }
}

/// The features [`Width::enter`] enables (the same set as [`Vaes256Cpu::FEATURES`]).
#[target_feature(enable = "avx2,vaes,vpclmulqdq,aes,pclmulqdq")]
fn with_features<T, F: FnOnce() -> T>(f: F) -> T {
    f()
}

// SAFETY: a `Vaes256Cpu` exists only when detection found avx2, vaes, vpclmulqdq, aes
// and pclmulqdq, every feature the methods below and the trait's provided ones use.
unsafe impl Width for Vaes256Cpu {
    type Reg = __m256i;
    const LANES: usize = 2;
    const NAME: &'static str = "vaes256";
    const OPEN_HASHES_AHEAD: bool = true;
    const KARATSUBA: bool = true;

    #[inline(always)]
    fn enter<T, F: FnOnce() -> T>(self, f: F) -> T {
        // SAFETY: `self` proves every feature `with_features` enables.
        unsafe { with_features(f) }
    }

    #[inline(always)]
    fn load(self, b: &[u8]) -> __m256i {
        let b: &[u8; 32] = b.first_chunk().expect("a register's worth of bytes");
        // SAFETY: `b` is 32 readable bytes, what the load reads (unaligned form); `self`
        // proves avx.
        unsafe { _mm256_loadu_si256(b.as_ptr().cast()) }
    }

    #[inline(always)]
    fn store(self, b: &mut [u8], v: __m256i) {
        let b: &mut [u8; 32] = b.first_chunk_mut().expect("a register's worth of bytes");
        // SAFETY: `b` is 32 writable bytes, what the store writes (unaligned form); `self`
        // proves avx.
        unsafe { _mm256_storeu_si256(b.as_mut_ptr().cast(), v) }
    }

    #[inline(always)]
    fn broadcast(self, b: &[u8; 16]) -> __m256i {
        // SAFETY: `b` is 16 readable bytes, what the load reads; `self` proves avx2.
        unsafe { _mm256_broadcastsi128_si256(_mm_loadu_si128(b.as_ptr().cast())) }
    }

    #[inline(always)]
    fn set_lanes(self, lanes: [u128; 4]) -> __m256i {
        let [l0, l1, ..] = lanes;
        // SAFETY: `self` proves avx.
        unsafe { _mm256_set_epi64x((l1 >> 64) as i64, l1 as i64, (l0 >> 64) as i64, l0 as i64) }
    }

    #[inline(always)]
    fn zero(self) -> __m256i {
        // SAFETY: `self` proves avx.
        unsafe { _mm256_setzero_si256() }
    }

    #[inline(always)]
    fn low_lane(self, x: __m128i) -> __m256i {
        // SAFETY: `self` proves avx.
        unsafe { _mm256_zextsi128_si256(x) }
    }

    #[inline(always)]
    fn lane0(self, v: __m256i) -> __m128i {
        // SAFETY: `self` proves avx.
        unsafe { _mm256_castsi256_si128(v) }
    }

    #[inline(always)]
    fn fold_lanes(self, v: __m256i) -> __m128i {
        // SAFETY: `self` proves avx2.
        unsafe { _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v)) }
    }

    #[inline(always)]
    fn xor(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: `self` proves avx2.
        unsafe { _mm256_xor_si256(a, b) }
    }

    #[inline(always)]
    fn add32(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: `self` proves avx2.
        unsafe { _mm256_add_epi32(a, b) }
    }

    #[inline(always)]
    fn aesenc(self, s: __m256i, k: __m256i) -> __m256i {
        // SAFETY: `self` proves vaes and avx2.
        unsafe { _mm256_aesenc_epi128(s, k) }
    }

    #[inline(always)]
    fn aesenclast(self, s: __m256i, k: __m256i) -> __m256i {
        // SAFETY: `self` proves vaes and avx2.
        unsafe { _mm256_aesenclast_epi128(s, k) }
    }

    #[inline(always)]
    fn clmul<const IMM: i32>(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: `self` proves vpclmulqdq and avx2.
        unsafe { _mm256_clmulepi64_epi128::<IMM>(a, b) }
    }

    #[inline(always)]
    fn bswap(self, v: __m256i) -> __m256i {
        // SAFETY: `self` proves avx2.
        unsafe {
            let control = _mm256_set_epi8(
                0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, //
                0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
            );
            _mm256_shuffle_epi8(v, control)
        }
    }

    #[inline(always)]
    fn swap_halves(self, v: __m256i) -> __m256i {
        // SAFETY: `self` proves avx2.
        unsafe { _mm256_shuffle_epi32::<0x4e>(v) }
    }
}
