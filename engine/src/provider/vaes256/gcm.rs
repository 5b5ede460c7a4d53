//! AES-GCM (SP 800-38D) on VAES + VPCLMULQDQ, 256-bit registers.
//!
//! # Seal: one pass, AES and GHASH interleaved
//!
//! GHASH runs over the *ciphertext*, so the GHASH of a batch (sixteen blocks, eight
//! registers) can only start once it is encrypted. The seal loop therefore works one
//! batch behind: iteration `i` encrypts counter blocks `16i..16i+15` while it hashes the
//! ciphertext of batch `i - 1`, reading it back from the output (it is in L1, just
//! stored). The two chains are independent, so the source interleaves them — one GHASH
//! register after each of the first eight AES rounds, the reduction after the ninth
//! ([`encrypt_ghash_batch`]) — and the out-of-order core evens out the rest. The
//! compiler may reschedule, but it cannot create a dependency between the chains.
//!
//! ```text
//!     E(ctr 0..15)                          ; prologue: nothing to hash yet
//!     loop: E(ctr 16i..16i+15) ‖ GHASH(C of batch i-1)
//!     GHASH(C of the last full batch)       ; epilogue
//!     tail (< 256 bytes): CTR two blocks per register, then GHASH with K_n..K_1
//!     GHASH(len(A) ‖ len(C)); tag = E(K, J0) ^ X
//! ```
//!
//! # Open: authenticate first, then decrypt
//!
//! [`AeadKey::open_in_place`] computes the tag over AAD and ciphertext (a GHASH-only pass
//! with the same 16-block aggregated reduction), compares it with the received tag in
//! constant time, and only then runs counter mode over the buffer. On a mismatch the
//! buffer is zeroed; no byte of it is ever decrypted. The price is a second pass over the
//! data; the message is still in L1/L2 for the record and packet sizes of TLS and SSH.
//!
//! # Counter
//!
//! `J0 = nonce ‖ 0x00000001`; data blocks use `inc32(J0)` onwards. The length limit
//! (2^36 - 32 bytes, [`check_aead_args`]) keeps the 32-bit counter from wrapping, but the
//! kernels use exact `inc32` ([`Counting::Inc32`]) regardless.

use core::arch::x86_64::*;
use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::Vaes256Cpu;
use super::aes::{Counting, KeySize, RoundKeys, counter_blocks, ctr_xor, encrypt_batch};
use super::aes::{encrypt_block, expand_key, last_round_batch, round_batch, with_rounds};
use super::ghash::{Acc, GhashKey, ghash_batch, ghash_lengths, ghash_update};
use super::simd::{Batch, BatchBytes, REGS, batches_mut, bswap128, from_u128, load_batch, load32};
use super::simd::{store_batch, store16, xor_batch};
use crate::algorithm::{AeadAlg, Algorithm};
use crate::provider::{AeadKey, Tag, check_aead_args, check_key_len};
use crate::{Error, NONCE_LEN, TAG_LEN};

/// Blocks per batch, as a counter increment.
const BLOCKS_PER_BATCH: u64 = 2 * REGS as u64;

/// The most AAD GCM allows: 2^64 - 1 bits (SP 800-38D §5.2.1.1), in whole bytes.
const MAX_AAD_LEN: u64 = u64::MAX / 8;

/// Everything secret about a key: round keys and hash-key powers.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Secrets {
    rk: RoundKeys,
    gh: GhashKey,
}

/// A keyed AES-GCM.
struct GcmKey {
    alg: AeadAlg,
    size: KeySize,
    cpu: Vaes256Cpu,
    secrets: Secrets,
}

pub(super) fn new(cpu: Vaes256Cpu, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn AeadKey>, Error> {
    check_key_len(Algorithm::Aead(alg), key)?;
    let size = KeySize::from_len(key.len()).ok_or(Error::InvalidKeyLength {
        algorithm: alg.id(),
        expected: alg.info().key_len,
        actual: key.len(),
    })?;
    // Allocated zeroed and filled in place, so the key schedule is never copied.
    let mut k = Box::new(GcmKey {
        alg,
        size,
        cpu,
        secrets: Secrets {
            rk: RoundKeys::zeroed(),
            gh: GhashKey::zeroed(),
        },
    });
    // SAFETY: `cpu` is a `Vaes256Cpu`, which exists only when detection found every
    // feature `setup` enables.
    unsafe { setup(cpu, size, key, &mut k.secrets) };
    Ok(k)
}

/// Expands the AES key and derives the hash key `H = E(K, 0^128)` and its powers, in
/// place. `_cpu` as for [`seal_any`].
#[target_feature(enable = "avx2,vaes,vpclmulqdq,aes,pclmulqdq")]
fn setup(_cpu: Vaes256Cpu, size: KeySize, key: &[u8], s: &mut Secrets) {
    expand_key(size, key, &mut s.rk);
    let mut h = with_rounds!(size, hash_subkey(&s.rk));
    s.gh.init(&h);
    h.zeroize();
}

/// `E(K, 0^128)`.
#[target_feature(enable = "avx2,aes")]
fn hash_subkey<const NR: usize>(rk: &RoundKeys) -> [u8; 16] {
    let mut h = [0u8; 16];
    store16(&mut h, encrypt_block::<NR>(rk, _mm_setzero_si128()));
    h
}

/// `J0 = nonce ‖ 0x00000001` as an integer.
fn j0(nonce: &[u8; NONCE_LEN]) -> u128 {
    let mut block = [0u8; 16];
    block[..NONCE_LEN].copy_from_slice(nonce);
    block[15] = 1;
    u128::from_be_bytes(block)
}

/// AES rounds of a batch of counter blocks interleaved with GHASH of the previous
/// batch's ciphertext `prev` into `x`: one GHASH register after each of the first eight
/// rounds, the two folds after the ninth. Returns the keystream and the new hash.
#[inline]
#[target_feature(enable = "avx2,vaes,vpclmulqdq")]
fn encrypt_ghash_batch<const NR: usize>(
    rk: &RoundKeys,
    gh: &GhashKey,
    counters: Batch,
    x: __m128i,
    prev: &BatchBytes,
) -> (Batch, __m128i) {
    // Every AES variant has rounds to spare after the GHASH steps.
    const { assert!(NR >= REGS + 2) };
    let mut s = xor_batch(counters, [rk.get(0); REGS]);
    round_batch(&mut s, rk.get(1));
    let mut acc = Acc::first(gh, x, load32(&prev[0]));
    for (i, pair) in prev.iter().enumerate().skip(1) {
        round_batch(&mut s, rk.get(i + 1));
        acc.add(gh, i, load32(pair));
    }
    round_batch(&mut s, rk.get(REGS + 1));
    acc.fold_lo();
    let x = acc.finish();
    for r in REGS + 2..NR {
        round_batch(&mut s, rk.get(r));
    }
    last_round_batch(&mut s, rk.get(NR));
    (s, x)
}

/// The tag: `E(K, J0) ^ X`, X turned back into a big-endian block.
#[inline]
#[target_feature(enable = "avx2,aes")]
fn finish_tag<const NR: usize>(rk: &RoundKeys, j0: u128, x: __m128i) -> Tag {
    let mask = encrypt_block::<NR>(rk, bswap128(from_u128(j0)));
    let mut tag = [0u8; TAG_LEN];
    store16(&mut tag, _mm_xor_si128(mask, bswap128(x)));
    tag
}

/// Encrypts `data` in place and returns the tag over `aad` and the ciphertext.
#[target_feature(enable = "avx2,vaes,vpclmulqdq,aes,pclmulqdq")]
fn seal<const NR: usize>(s: &Secrets, nonce: &[u8; NONCE_LEN], aad: &[u8], data: &mut [u8]) -> Tag {
    let (rk, gh) = (&s.rk, &s.gh);
    let ct_bits = (data.len() as u64) * 8;
    let j0 = j0(nonce);
    let mut c = Counting::Inc32.advance(j0, 1);
    let mut x = ghash_update(gh, _mm_setzero_si128(), aad);

    let (full, tail) = batches_mut(data);
    if let Some((first, rest)) = full.split_first_mut() {
        let keystream = encrypt_batch::<NR>(rk, counter_blocks(Counting::Inc32, c));
        c = Counting::Inc32.advance(c, BLOCKS_PER_BATCH);
        store_batch(first, xor_batch(load_batch(first), keystream));
        let mut prev: &BatchBytes = first;
        for batch in rest {
            let (keystream, next_x) =
                encrypt_ghash_batch::<NR>(rk, gh, counter_blocks(Counting::Inc32, c), x, prev);
            c = Counting::Inc32.advance(c, BLOCKS_PER_BATCH);
            x = next_x;
            store_batch(batch, xor_batch(load_batch(batch), keystream));
            prev = batch;
        }
        x = ghash_batch(gh, x, prev);
    }
    if !tail.is_empty() {
        ctr_xor::<NR>(rk, Counting::Inc32, c, tail);
        x = ghash_update(gh, x, tail);
    }
    x = ghash_lengths(gh, x, (aad.len() as u64) * 8, ct_bits);
    finish_tag::<NR>(rk, j0, x)
}

/// The tag over `aad` and the ciphertext `ct`, for checking before decryption.
#[target_feature(enable = "avx2,vaes,vpclmulqdq,aes,pclmulqdq")]
fn expected_tag<const NR: usize>(
    s: &Secrets,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ct: &[u8],
) -> Tag {
    let x = ghash_update(&s.gh, _mm_setzero_si128(), aad);
    let x = ghash_update(&s.gh, x, ct);
    let x = ghash_lengths(&s.gh, x, (aad.len() as u64) * 8, (ct.len() as u64) * 8);
    finish_tag::<NR>(&s.rk, j0(nonce), x)
}

/// Decrypts `data` in place (counter mode from `inc32(J0)`).
#[target_feature(enable = "avx2,vaes,vpclmulqdq,aes,pclmulqdq")]
fn decrypt<const NR: usize>(s: &Secrets, nonce: &[u8; NONCE_LEN], data: &mut [u8]) {
    let c = Counting::Inc32.advance(j0(nonce), 1);
    ctr_xor::<NR>(&s.rk, Counting::Inc32, c, data);
}

/// [`seal`] for any key size. Entry point from safe code: `_cpu` is the proof that the
/// features this function enables are present.
#[target_feature(enable = "avx2,vaes,vpclmulqdq,aes,pclmulqdq")]
fn seal_any(
    _cpu: Vaes256Cpu,
    size: KeySize,
    s: &Secrets,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    data: &mut [u8],
) -> Tag {
    with_rounds!(size, seal(s, nonce, aad, data))
}

/// [`expected_tag`] for any key size; `_cpu` as for [`seal_any`].
#[target_feature(enable = "avx2,vaes,vpclmulqdq,aes,pclmulqdq")]
fn expected_tag_any(
    _cpu: Vaes256Cpu,
    size: KeySize,
    s: &Secrets,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ct: &[u8],
) -> Tag {
    with_rounds!(size, expected_tag(s, nonce, aad, ct))
}

/// [`decrypt`] for any key size; `_cpu` as for [`seal_any`].
#[target_feature(enable = "avx2,vaes,vpclmulqdq,aes,pclmulqdq")]
fn decrypt_any(
    _cpu: Vaes256Cpu,
    size: KeySize,
    s: &Secrets,
    nonce: &[u8; NONCE_LEN],
    data: &mut [u8],
) {
    with_rounds!(size, decrypt(s, nonce, data))
}

impl GcmKey {
    /// Checks nonce, lengths and (when opening) the tag length; returns the nonce as an
    /// array.
    fn check<'n>(
        &self,
        nonce: &'n [u8],
        aad: &[u8],
        text_len: usize,
        tag: Option<&[u8]>,
    ) -> Result<&'n [u8; NONCE_LEN], Error> {
        check_aead_args(self.alg, nonce, text_len, tag)?;
        if aad.len() as u64 > MAX_AAD_LEN {
            return Err(Error::InputTooLong {
                algorithm: self.alg.id(),
                max: MAX_AAD_LEN,
            });
        }
        nonce.try_into().map_err(|_| Error::InvalidNonceLength {
            algorithm: self.alg.id(),
            expected: NONCE_LEN,
            actual: nonce.len(),
        })
    }
}

impl fmt::Debug for GcmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeadKey")
            .field("provider", &"vaes256")
            .field("algorithm", &self.alg.id())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl AeadKey for GcmKey {
    fn algorithm(&self) -> AeadAlg {
        self.alg
    }

    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], in_out: &mut [u8]) -> Result<Tag, Error> {
        let nonce = self.check(nonce, aad, in_out.len(), None)?;
        // SAFETY: `self.cpu` is a `Vaes256Cpu`, which exists only when detection found
        // every feature `seal_any` enables.
        Ok(unsafe { seal_any(self.cpu, self.size, &self.secrets, nonce, aad, in_out) })
    }

    fn open_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        let nonce = match self.check(nonce, aad, in_out.len(), Some(tag)) {
            Ok(nonce) => nonce,
            Err(e) => {
                in_out.zeroize();
                return Err(e);
            }
        };
        // SAFETY: `self.cpu` is a `Vaes256Cpu`, which exists only when detection found
        // every feature `expected_tag_any` enables.
        let mut expected =
            unsafe { expected_tag_any(self.cpu, self.size, &self.secrets, nonce, aad, in_out) };
        let authentic = crate::ct::bytes_eq(&expected, tag);
        expected.zeroize();
        if !authentic {
            in_out.zeroize();
            return Err(Error::AuthenticationFailed);
        }
        // SAFETY: as above, for `decrypt_any`.
        unsafe { decrypt_any(self.cpu, self.size, &self.secrets, nonce, in_out) };
        Ok(())
    }
}
