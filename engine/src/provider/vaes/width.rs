//! The register width the kernels are written against: 256-bit (AVX2, [`super::avx2`])
//! or 512-bit (AVX-512, [`super::avx512`]).
//!
//! Every kernel in this provider — key expansion, counter blocks, the AES-GCM seal and
//! open loops, GHASH, AES-CTR — is one generic function over [`Width`]. A width supplies
//! only its register type, how many 128-bit blocks a register holds
//! ([`Width::LANES`]), and the handful of lane-wise instructions the kernels use. The
//! batch structure (eight registers per loop iteration, one GHASH reduction per batch)
//! is the same for both: 16 blocks per batch on 256-bit registers, 32 on 512-bit ones.
//!
//! # How the features reach the code
//!
//! A [`Width`] value is a CPU-feature token: zero-sized, and made only by detection. Its
//! methods are `#[inline(always)]` wrappers around the intrinsics; the whole kernel is
//! inlined into one `#[target_feature]` function per call, entered through
//! [`Width::enter`], which enables exactly the width's features. So the 256-bit
//! instantiation never contains an AVX-512 instruction (it must run on Zen 3), and the
//! 512-bit one gets EVEX encodings and all 32 vector registers.
//!
//! That only works if *every* function between [`Width::enter`] and an intrinsic is
//! inlined: a function compiled without the features cannot inline an intrinsic, so it
//! would call it out of line. Kernel code is therefore `#[inline(always)]` throughout,
//! and builds registers with plain loops rather than closures passed to library helpers
//! such as `core::array::from_fn` (which are not always inlined).

use core::arch::x86_64::*;
use core::fmt;

/// Registers per batch: the bulk loops keep this many in flight (see [`super::aes`]).
pub(super) const REGS: usize = 8;

/// The most blocks any width's batch holds, and so the number of hash-key powers kept.
pub(super) const MAX_BLOCKS: usize = 32;

/// A register width, and the proof that the CPU has its instructions.
///
/// # Safety
///
/// A value of an implementing type must exist only when the CPU has every feature the
/// methods use (for both widths at least `aes`, `pclmulqdq`, `avx2`, `vaes` and
/// `vpclmulqdq`): the methods call the intrinsics on the strength of `self`.
pub(crate) unsafe trait Width: Copy + Send + Sync + fmt::Debug + 'static {
    /// A vector register.
    type Reg: Copy;
    /// 128-bit blocks per register.
    const LANES: usize;
    /// Bytes per register.
    const REG_BYTES: usize = 16 * Self::LANES;
    /// Blocks per batch.
    const BLOCKS: usize = Self::LANES * REGS;
    /// Bytes per batch.
    const BATCH: usize = Self::REG_BYTES * REGS;
    /// The provider's name, for `Debug` and messages.
    const NAME: &'static str;
    /// Whether the open loop hashes the *next* batch while it decrypts this one (true),
    /// or this one (false). Hashing this batch reuses its loaded ciphertext for the
    /// final XOR, which needs eight more live registers: measured 10% faster on
    /// 512-bit registers (32 of them), 10% slower on AVX2's 16, where they spill.
    const OPEN_HASHES_AHEAD: bool;
    /// Whether GHASH forms each block's middle term by Karatsuba (three `vpclmulqdq`,
    /// plus a shuffle and two XORs) or schoolbook (four `vpclmulqdq`) — see
    /// [`super::ghash`]. Karatsuba pays where the multiplier shares its pipes with AES.
    const KARATSUBA: bool;

    /// Runs `f` inside a function compiled with this width's target features, so that
    /// the `#[inline(always)]` kernel code in `f` is compiled with them.
    fn enter<T, F: FnOnce() -> T>(self, f: F) -> T;

    /// Loads the first [`Self::REG_BYTES`] bytes of `b`.
    ///
    /// # Panics
    /// When `b` is shorter.
    fn load(self, b: &[u8]) -> Self::Reg;
    /// Stores a register into the first [`Self::REG_BYTES`] bytes of `b`.
    ///
    /// # Panics
    /// When `b` is shorter.
    fn store(self, b: &mut [u8], v: Self::Reg);
    /// The 16 bytes `b` in every lane.
    fn broadcast(self, b: &[u8; 16]) -> Self::Reg;
    /// A register whose lane `j` is the integer `lanes[j]` (low 64 bits first); entries
    /// past [`Self::LANES`] are ignored.
    fn set_lanes(self, lanes: [u128; 4]) -> Self::Reg;
    /// All zeros.
    fn zero(self) -> Self::Reg;
    /// `x` in lane 0, zeros in the others.
    fn low_lane(self, x: __m128i) -> Self::Reg;
    /// Lane 0.
    fn lane0(self, v: Self::Reg) -> __m128i;
    /// The XOR of all lanes.
    fn fold_lanes(self, v: Self::Reg) -> __m128i;
    /// `a ^ b`.
    fn xor(self, a: Self::Reg, b: Self::Reg) -> Self::Reg;
    /// Lane-wise 32-bit additions.
    fn add32(self, a: Self::Reg, b: Self::Reg) -> Self::Reg;
    /// One AES round on every lane.
    fn aesenc(self, s: Self::Reg, k: Self::Reg) -> Self::Reg;
    /// The final AES round on every lane.
    fn aesenclast(self, s: Self::Reg, k: Self::Reg) -> Self::Reg;
    /// Carry-less multiply of one 64-bit half of each lane of `a` by one of `b`'s
    /// (`IMM` as for `vpclmulqdq`: bit 0 picks `a`'s half, bit 4 `b`'s).
    fn clmul<const IMM: i32>(self, a: Self::Reg, b: Self::Reg) -> Self::Reg;
    /// Reverses the 16 bytes of every lane (big-endian block ⇄ integer).
    fn bswap(self, v: Self::Reg) -> Self::Reg;
    /// Swaps the 64-bit halves of every lane.
    fn swap_halves(self, v: Self::Reg) -> Self::Reg;

    /// One AES round on one block.
    #[inline(always)]
    fn aesenc128(self, s: __m128i, k: __m128i) -> __m128i {
        // SAFETY: `self` proves `aes` (trait contract).
        unsafe { _mm_aesenc_si128(s, k) }
    }

    /// The final AES round on one block.
    #[inline(always)]
    fn aesenclast128(self, s: __m128i, k: __m128i) -> __m128i {
        // SAFETY: `self` proves `aes` (trait contract).
        unsafe { _mm_aesenclast_si128(s, k) }
    }

    /// Carry-less multiply of 64-bit halves of one block each (`IMM` as for [`Width::clmul`]).
    #[inline(always)]
    fn clmul128<const IMM: i32>(self, a: __m128i, b: __m128i) -> __m128i {
        // SAFETY: `self` proves `pclmulqdq` (trait contract).
        unsafe { _mm_clmulepi64_si128::<IMM>(a, b) }
    }

    /// Reverses the 16 bytes of one block.
    #[inline(always)]
    fn bswap128(self, v: __m128i) -> __m128i {
        // SAFETY: `self` proves `avx2`, which implies `ssse3` and `sse2` (trait contract).
        unsafe {
            let control = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            _mm_shuffle_epi8(v, control)
        }
    }
}

/// The blocks of one batch, [`REGS`] registers.
pub(super) type Batch<W> = [<W as Width>::Reg; REGS];
