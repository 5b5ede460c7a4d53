//! AES on VAES: key expansion, the rounds two blocks to a 256-bit register, counter
//! blocks, and the counter-mode kernel.
//!
//! # Registers
//!
//! `vaesenc ymm` runs one AES round on each 128-bit lane of a 256-bit register
//! independently, so a register holds two blocks, and every round key is stored
//! *broadcast* (the same 16 bytes in both lanes). The bulk kernels keep a batch of
//! sixteen blocks in flight — eight registers ([`Batch`]). `vaesenc` has a latency of 4
//! cycles and issues twice per cycle on Zen 3, so eight independent registers keep the
//! AES units busy within one iteration; with four, every round would wait on the
//! previous one unless the out-of-order core overlapped consecutive iterations, which
//! it does less well once GHASH shares the loop. The round keys stay in memory
//! ([`RoundKeys`]) and reach `vaesenc` as loads: with fifteen of them for AES-256,
//! keeping them in the sixteen AVX2 registers would starve everything else.
//!
//! # Key expansion
//!
//! FIPS 197 §5.2, word by word, generic over the three key sizes. `SubWord` is computed
//! with AES-NI rather than an S-box table (a table lookup indexed by key bytes would leak
//! them through the cache): broadcast the word to all four columns, and
//! `aesenclast(state, 0)` = `SubBytes` then `ShiftRows`, where `ShiftRows` moves nothing
//! because the columns are equal. Key setup runs once per key, so its speed does not
//! matter; being obviously correct for AES-128, -192 and -256 does.
//!
//! # Counters
//!
//! Counter blocks are built as integers (`u128::from_be_bytes(block)`, see
//! [`super::simd`]) and byte-reversed into AES input order — or, in the common case
//! where the last byte does not carry within a batch, directly in AES input order by
//! adding to byte 15 ([`counter_blocks`]). GCM increments only the low
//! 32 bits ([`Counting::Inc32`], SP 800-38D §6.2 `inc32`); SSH's AES-CTR increments the
//! whole block as a 128-bit big-endian integer that wraps mod 2^128
//! ([`Counting::Inc128`], RFC 4344 §4, SP 800-38A App. B.1).

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::simd::{Batch, REGS, batches_mut, bswap, bswap128, from_u128};
use super::simd::{load_batch, load32, store_batch, store16, store32, xor_batch};

/// The longest AES key schedule: AES-256 has 14 rounds and 15 round keys.
pub(super) const MAX_ROUND_KEYS: usize = 15;

/// AES key size, which fixes the number of rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeySize {
    /// 16-byte key, 10 rounds.
    Aes128,
    /// 24-byte key, 12 rounds.
    Aes192,
    /// 32-byte key, 14 rounds.
    Aes256,
}

impl KeySize {
    /// The key size for a key of `len` bytes.
    pub(super) fn from_len(len: usize) -> Option<Self> {
        match len {
            16 => Some(KeySize::Aes128),
            24 => Some(KeySize::Aes192),
            32 => Some(KeySize::Aes256),
            _ => None,
        }
    }

    /// Key length in 32-bit words (`Nk`).
    fn words(self) -> usize {
        match self {
            KeySize::Aes128 => 4,
            KeySize::Aes192 => 6,
            KeySize::Aes256 => 8,
        }
    }

    /// Number of rounds (`Nr`).
    pub(super) fn rounds(self) -> usize {
        self.words() + 6
    }
}

/// Calls `$f::<NR>(args)` with the round count of `$size` as a const generic, so every
/// kernel is compiled with its round loop fully unrolled.
macro_rules! with_rounds {
    ($size:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $size {
            $crate::provider::vaes256::aes::KeySize::Aes128 => $f::<10>($($arg),*),
            $crate::provider::vaes256::aes::KeySize::Aes192 => $f::<12>($($arg),*),
            $crate::provider::vaes256::aes::KeySize::Aes256 => $f::<14>($($arg),*),
        }
    };
}
pub(super) use with_rounds;

/// An expanded AES encryption key: round key `r` in both 128-bit halves of `k[r]`.
/// Only the first `rounds + 1` entries are used. Zeroized on drop by its owner.
#[derive(Zeroize)]
#[repr(C, align(32))]
pub(super) struct RoundKeys {
    k: [[u8; 32]; MAX_ROUND_KEYS],
}

impl RoundKeys {
    /// All-zero keys, to be filled by [`expand_key`] where they will live.
    pub(super) fn zeroed() -> Self {
        RoundKeys {
            k: [[0; 32]; MAX_ROUND_KEYS],
        }
    }

    /// Round key `r`, broadcast.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn get(&self, r: usize) -> __m256i {
        load32(&self.k[r])
    }

    /// Round key `r`, one copy.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn get128(&self, r: usize) -> __m128i {
        _mm256_castsi256_si128(self.get(r))
    }
}

/// `SubWord`: the AES S-box applied to each byte of `w`, with AES-NI (see the module
/// header for why this is `aesenclast` with a zero round key).
#[inline]
#[target_feature(enable = "avx2,aes")]
fn sub_word(w: u32) -> u32 {
    let state = _mm_set1_epi32(w as i32);
    _mm_cvtsi128_si32(_mm_aesenclast_si128(state, _mm_setzero_si128())) as u32
}

/// Round constants `Rcon[i]` (FIPS 197 §5.2), low byte of the word as stored here.
const RCON: [u32; 10] = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

/// Expands `key` (16, 24 or 32 bytes; `size` must match) into `out`, in place.
///
/// Words are little-endian `u32`s of the key bytes, so `RotWord` (a byte rotation
/// towards the front) is `rotate_right(8)` and `Rcon` goes into the low byte.
#[target_feature(enable = "avx2,aes")]
pub(super) fn expand_key(size: KeySize, key: &[u8], out: &mut RoundKeys) {
    let nk = size.words();
    let total = 4 * (size.rounds() + 1);
    assert_eq!(
        key.len(),
        4 * nk,
        "expand_key: key length does not match size"
    );
    let mut w = [0u32; 4 * MAX_ROUND_KEYS];
    for (word, bytes) in w.iter_mut().zip(key.chunks_exact(4)) {
        *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    for i in nk..total {
        let mut t = w[i - 1];
        if i % nk == 0 {
            t = sub_word(t.rotate_right(8)) ^ RCON[i / nk - 1];
        } else if nk > 6 && i % nk == 4 {
            t = sub_word(t);
        }
        w[i] = w[i - nk] ^ t;
    }
    for (r, slot) in out.k.iter_mut().enumerate().take(size.rounds() + 1) {
        let rk = _mm_set_epi32(
            w[4 * r + 3] as i32,
            w[4 * r + 2] as i32,
            w[4 * r + 1] as i32,
            w[4 * r] as i32,
        );
        store32(slot, _mm256_broadcastsi128_si256(rk));
    }
    w.zeroize();
}

/// One AES round on a batch.
#[inline]
#[target_feature(enable = "avx2,vaes")]
pub(super) fn round_batch(s: &mut Batch, k: __m256i) {
    for v in s.iter_mut() {
        *v = _mm256_aesenc_epi128(*v, k);
    }
}

/// The final AES round on a batch.
#[inline]
#[target_feature(enable = "avx2,vaes")]
pub(super) fn last_round_batch(s: &mut Batch, k: __m256i) {
    for v in s.iter_mut() {
        *v = _mm256_aesenclast_epi128(*v, k);
    }
}

/// Encrypts a batch of sixteen blocks (AES input byte order).
#[inline]
#[target_feature(enable = "avx2,vaes")]
pub(super) fn encrypt_batch<const NR: usize>(rk: &RoundKeys, blocks: Batch) -> Batch {
    let mut s = xor_batch(blocks, [rk.get(0); REGS]);
    for r in 1..NR {
        round_batch(&mut s, rk.get(r));
    }
    last_round_batch(&mut s, rk.get(NR));
    s
}

/// Encrypts two blocks (one register).
#[inline]
#[target_feature(enable = "avx2,vaes")]
pub(super) fn encrypt1<const NR: usize>(rk: &RoundKeys, block: __m256i) -> __m256i {
    let mut s = _mm256_xor_si256(block, rk.get(0));
    for r in 1..NR {
        s = _mm256_aesenc_epi128(s, rk.get(r));
    }
    _mm256_aesenclast_epi128(s, rk.get(NR))
}

/// Encrypts one block with 128-bit AES-NI (for GCM's `E(K, J0)`).
#[inline]
#[target_feature(enable = "avx2,aes")]
pub(super) fn encrypt_block<const NR: usize>(rk: &RoundKeys, block: __m128i) -> __m128i {
    let mut s = _mm_xor_si128(block, rk.get128(0));
    for r in 1..NR {
        s = _mm_aesenc_si128(s, rk.get128(r));
    }
    _mm_aesenclast_si128(s, rk.get128(NR))
}

/// How a counter block advances from one block to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Counting {
    /// GCM's `inc32`: the last 32 bits count, mod 2^32; the first 96 never change.
    Inc32,
    /// The whole block is a big-endian 128-bit counter, mod 2^128 (RFC 4344 §4).
    Inc128,
}

impl Counting {
    /// The counter `n` blocks after `c` (both as `u128::from_be_bytes(block)`).
    pub(super) fn advance(self, c: u128, n: u64) -> u128 {
        match self {
            Counting::Inc32 => {
                // Truncating `n` is the mod 2^32 of inc32.
                let low = (c as u32).wrapping_add(n as u32);
                (c & !u128::from(u32::MAX)) | u128::from(low)
            }
            Counting::Inc128 => c.wrapping_add(u128::from(n)),
        }
    }
}

/// The sixteen counter blocks `c, c+1, ..., c+15` in AES input byte order: `c+2i` in
/// the low lane and `c+2i+1` in the high lane of register `i`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn counter_blocks(counting: Counting, c: u128) -> Batch {
    // Fast path, both countings: when the last byte does not carry within the batch,
    // adding `i` to the counter adds `i` to byte 15 alone — in AES byte order that is
    // the top byte of the last 32-bit lane element, so one `vpaddd` per register builds
    // the blocks with no byte reversal. Taken for 15 of every 16 batches.
    if (c as u8) <= u8::MAX - (2 * REGS as u8 - 1) {
        let base = _mm256_broadcastsi128_si256(bswap128(from_u128(c)));
        return core::array::from_fn(|i| {
            let (lo, hi) = ((2 * i as i32) << 24, (2 * i as i32 + 1) << 24);
            _mm256_add_epi32(base, _mm256_set_epi32(hi, 0, 0, 0, lo, 0, 0, 0))
        });
    }
    let base = _mm256_broadcastsi128_si256(from_u128(c));
    let ints: Batch = match counting {
        Counting::Inc32 => {
            let b0 = _mm256_add_epi32(base, _mm256_set_epi32(0, 0, 0, 1, 0, 0, 0, 0));
            core::array::from_fn(|i| {
                let step = 2 * i as i32;
                _mm256_add_epi32(b0, _mm256_set_epi32(0, 0, 0, step, 0, 0, 0, step))
            })
        }
        // No carry out of the low 64 bits within this batch: 64-bit adds suffice.
        Counting::Inc128 if (c as u64) <= u64::MAX - (2 * REGS as u64 - 1) => {
            let b0 = _mm256_add_epi64(base, _mm256_set_epi64x(0, 1, 0, 0));
            core::array::from_fn(|i| {
                let step = 2 * i as i64;
                _mm256_add_epi64(b0, _mm256_set_epi64x(0, step, 0, step))
            })
        }
        // The low half carries into the high half somewhere in this batch (once per 2^64
        // blocks): build each block from the 128-bit sum.
        Counting::Inc128 => core::array::from_fn(|i| counter_pair(c, 2 * i as u128)),
    };
    ints.map(|v| bswap(v))
}

/// The integers `c + i` (low lane) and `c + i + 1` (high lane), mod 2^128.
#[inline]
#[target_feature(enable = "avx2")]
fn counter_pair(c: u128, i: u128) -> __m256i {
    _mm256_set_m128i(
        from_u128(c.wrapping_add(i + 1)),
        from_u128(c.wrapping_add(i)),
    )
}

/// Counter mode: XORs the keystream starting at counter block `c` into `data` (any
/// length; a final partial block uses the start of its keystream block) and returns the
/// counter after the last block used, `ceil(len / 16)` blocks on.
///
/// Sixteen blocks per loop iteration; the remainder two blocks at a time.
#[target_feature(enable = "avx2,vaes,aes")]
pub(super) fn ctr_xor<const NR: usize>(
    rk: &RoundKeys,
    counting: Counting,
    mut c: u128,
    data: &mut [u8],
) -> u128 {
    let (full, tail) = batches_mut(data);
    for batch in full {
        let keystream = encrypt_batch::<NR>(rk, counter_blocks(counting, c));
        c = counting.advance(c, 2 * REGS as u64);
        store_batch(batch, xor_batch(load_batch(batch), keystream));
    }
    if tail.is_empty() {
        return c;
    }
    // Fewer than sixteen blocks left: whole pairs in place, then a last partial pair
    // through a 32-byte buffer that is wiped afterwards.
    let n = tail.len();
    let counters = counter_blocks(counting, c);
    let (pairs, rest) = tail.as_chunks_mut::<32>();
    for (pair, &counter) in pairs.iter_mut().zip(&counters) {
        let keystream = encrypt1::<NR>(rk, counter);
        store32(pair, _mm256_xor_si256(load32(pair), keystream));
    }
    if !rest.is_empty() {
        let mut buf = [0u8; 32];
        buf[..rest.len()].copy_from_slice(rest);
        let keystream = encrypt1::<NR>(rk, counters[pairs.len()]);
        let text = _mm256_xor_si256(load32(&buf), keystream);
        store32(&mut buf, text);
        rest.copy_from_slice(&buf[..rest.len()]);
        buf.zeroize();
    }
    counting.advance(c, n.div_ceil(16) as u64)
}

/// The keystream block for counter `c`.
#[target_feature(enable = "avx2,aes")]
pub(super) fn keystream_block<const NR: usize>(rk: &RoundKeys, c: u128) -> [u8; 16] {
    let mut out = [0u8; 16];
    store16(&mut out, encrypt_block::<NR>(rk, bswap128(from_u128(c))));
    out
}
