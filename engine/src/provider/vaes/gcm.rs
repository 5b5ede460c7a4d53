//! AES-GCM (SP 800-38D) on VAES + VPCLMULQDQ, for either register width.
//!
//! # Seal: one pass, AES and GHASH interleaved
//!
//! GHASH runs over the *ciphertext*, so the GHASH of a batch (B blocks in eight
//! registers: 16 on 256-bit registers, 32 on 512-bit ones) can only start once it is
//! encrypted. The seal loop therefore works one batch behind: iteration `i` encrypts
//! counter blocks `Bi..Bi+B-1` while it hashes the
//! ciphertext of batch `i - 1`, reading it back from the output (it is in L1, just
//! stored). The two chains are independent, so the source interleaves them — one GHASH
//! register after each of eight AES rounds, the reduction after the next, ending one
//! round before the last ([`crypt_ghash_batch`]) — and the out-of-order core evens out
//! the rest. The compiler may reschedule, but it cannot create a dependency between the
//! chains.
//!
//! ```text
//!     E(ctr 0..B-1)                         ; prologue: nothing to hash yet
//!     loop: E(ctr Bi..Bi+B-1) ‖ GHASH(C of batch i-1)
//!     GHASH(C of the last full batch)       ; epilogue
//!     tail (< one batch): CTR a register at a time, then GHASH with K_n..K_1
//!     GHASH(len(A) ‖ len(C)); tag = E(K, J0) ^ X
//! ```
//!
//! `E(K, J0)` and the keystream of a short tail (up to three blocks on 512-bit
//! registers, one on 256-bit) come from one AES call made before the loop ([`Ends`]),
//! and such a tail is hashed together with the length block: the message then ends in
//! GHASH steps alone, not in an AES chain after them.
//!
//! # Open: one pass, decrypt in place, wipe on failure
//!
//! Open's ciphertext is there from the start. On 256-bit registers its loop works one
//! batch *ahead*: iteration `i` decrypts batch `i` while it hashes batch `i + 1`, which
//! is still ciphertext even when decrypting in place (hashing batch `i` itself, in the
//! same iteration, measured slower there: the compiler keeps the loaded ciphertext for
//! the XOR and spills it). With the 32 registers of AVX-512 there is no spill, and
//! hashing the batch being decrypted measured about 10% faster, so that width does
//! ([`Width::OPEN_HASHES_AHEAD`]).
//!
//! ```text
//!     256-bit                                 512-bit
//!     GHASH(C of batch 0)       ; prologue
//!     loop: D(batch i) ‖ GHASH(C of batch i+1)  loop: D(batch i) ‖ GHASH(C of batch i)
//!     D(the last full batch)    ; epilogue
//!     tail: GHASH, then CTR; lengths; tag
//! ```
//!
//! The plaintext goes straight into the caller's buffer, *before* the tag is known. The
//! caller ([`verify`]) then compares the tags in constant time and, on a mismatch, zeroes
//! the whole output before returning [`Error::AuthenticationFailed`]: the buffer the
//! caller gets back holds either authentic plaintext or zeros, never unauthenticated
//! plaintext, which is the contract of [`AeadKey::open_in_place`] and [`AeadKey::open`].
//! (The previous design ran GHASH over the whole message first and decrypted only after
//! the tag matched: the same guarantee, but two passes over the data.)
//!
//! # In place and out of place
//!
//! The kernels are generic over [`Blocks`]: in place ([`InPlace`], the `*_in_place`
//! methods) or from one buffer into another ([`Separate`], [`AeadKey::seal`] and
//! [`AeadKey::open`], overridden here), each a monomorphized loop. Out of place, input is
//! read and output written in the same pass, instead of the trait's default copy first.
//!
//! # Keeping the loop in registers
//!
//! Two things the compiler does on its own cost measurable speed here, and the code
//! prevents them: it declines to inline the large per-batch step when it has several
//! callers (so the step is generic over everything its callers differ in, giving each
//! instance one caller), and it hoists every round key and key power out of the loop,
//! more values than the sixteen AVX2 registers hold, and spills them (so each iteration
//! takes the key references through [`black_box`], which makes them opaque and leaves
//! the loads where the rounds use them).
//!
//! # Counter
//!
//! `J0 = nonce ‖ 0x00000001`; data blocks use `inc32(J0)` onwards. The length limit
//! (2^36 - 32 bytes, [`check_aead_args`]) keeps the 32-bit counter from wrapping, but the
//! kernels use exact `inc32` ([`Counting::Inc32`]) regardless.

use core::arch::x86_64::*;
use std::fmt;
use std::hint::black_box;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::aes::{Counting, KeySize, RoundKeys, counter_blocks, ctr_xor, encrypt_batch};
use super::aes::{encrypt_block, encrypt1, expand_key, last_round_batch, round_batch, with_rounds};
use super::ghash::{
    Acc, GhashKey, batch_slot, ghash_batch, ghash_lengths, ghash_tail, ghash_update,
};
use super::io::{Blocks, InPlace, Separate};
use super::simd::{from_u128, load_batch, store_batch, store16, xor_batch, xor128};
use super::width::{Batch, REGS, Width};
use crate::algorithm::{AeadAlg, Algorithm};
use crate::provider::buf64::Buf64;
use crate::provider::{AeadKey, Tag, check_aead_args, check_key_len, open_parts, seal_output};
use crate::{Error, NONCE_LEN, TAG_LEN};

/// The most AAD GCM allows: 2^64 - 1 bits (SP 800-38D §5.2.1.1), in whole bytes.
const MAX_AAD_LEN: u64 = u64::MAX / 8;

/// Everything secret about a key: round keys and hash-key powers.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Secrets {
    rk: RoundKeys,
    gh: GhashKey,
}

/// A keyed AES-GCM on width `W`.
struct GcmKey<W: Width> {
    alg: AeadAlg,
    size: KeySize,
    cpu: W,
    secrets: Secrets,
}

pub(super) fn new<W: Width>(cpu: W, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn AeadKey>, Error> {
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
    let secrets = &mut k.secrets;
    cpu.enter(
        #[inline(always)]
        || setup(cpu, size, key, secrets),
    );
    Ok(k)
}

/// Expands the AES key and derives the hash key `H = E(K, 0^128)` and its powers, in
/// place.
#[inline(always)]
fn setup<W: Width>(cpu: W, size: KeySize, key: &[u8], s: &mut Secrets) {
    expand_key(cpu, size, key, &mut s.rk);
    let mut h = with_rounds!(size, hash_subkey(cpu, &s.rk));
    s.gh.init(cpu, &h);
    h.zeroize();
}

/// `E(K, 0^128)`.
#[inline(always)]
fn hash_subkey<W: Width, const NR: usize>(cpu: W, rk: &RoundKeys) -> [u8; 16] {
    let mut h = [0u8; 16];
    store16(&mut h, encrypt_block::<W, NR>(cpu, rk, from_u128(0)));
    h
}

/// `J0 = nonce ‖ 0x00000001` as an integer.
fn j0(nonce: &[u8; NONCE_LEN]) -> u128 {
    let mut block = [0u8; 16];
    block[..NONCE_LEN].copy_from_slice(nonce);
    block[15] = 1;
    u128::from_be_bytes(block)
}

/// AES rounds of a batch of counter blocks interleaved with GHASH of the ciphertext
/// batch `hash` into `x`: the GHASH steps go with the *last* rounds — one register
/// after each of the eight rounds before the last two, the two folds after the round
/// before the last — so that the AES chain starts first (AES-256 open measured about 2%
/// faster than with the GHASH steps after the first rounds; AES-128 has exactly ten
/// rounds, so nothing moves). The keystream is XORed into `text`. Returns the output
/// batch (`text` ^ keystream) and the new hash.
///
/// `text` is input batch `i`. Seal (`SEAL`) hashes the previous batch's ciphertext,
/// already in the output; open hashes the next batch's, still in the input, or this
/// batch's where the width says so ([`Width::OPEN_HASHES_AHEAD`]).
#[inline(always)]
fn crypt_ghash_batch<W: Width, const NR: usize, const SEAL: bool, B: Blocks>(
    cpu: W,
    rk: &RoundKeys,
    gh: &GhashKey,
    counters: Batch<W>,
    x: __m128i,
    io: &B,
    i: usize,
) -> (Batch<W>, __m128i) {
    let hash = if SEAL {
        io.output(i - 1)
    } else if W::OPEN_HASHES_AHEAD {
        io.input(i + 1)
    } else {
        io.input(i)
    };
    let hash = &hash[..W::BATCH];
    let text = io.input(i);
    // When open hashes the batch it decrypts, `text` and `hash` are the same bytes, and
    // the compiler kept the eight registers loaded for the hash alive across the rounds
    // for the final XOR: it then ran the AES chains one register after another, and
    // spilled. Made opaque, the XOR reads the input again, from L1. (Not for seal, whose
    // loop measured slower with it.)
    let text = if !SEAL && !W::OPEN_HASHES_AHEAD {
        black_box(text)
    } else {
        text
    };
    // Every AES variant has room for the GHASH steps; `skip` rounds go before them.
    const { assert!(NR >= REGS + 2) };
    let skip = NR - REGS - 2;
    let mut s = xor_batch(cpu, counters, [rk.get(cpu, 0); REGS]);
    for r in 1..=skip {
        round_batch(cpu, &mut s, rk.get(cpu, r));
    }
    round_batch(cpu, &mut s, rk.get(cpu, skip + 1));
    let mut acc = Acc::first(cpu, gh, batch_slot::<W>(0), x, cpu.load(hash));
    for j in 1..REGS {
        round_batch(cpu, &mut s, rk.get(cpu, skip + j + 1));
        acc.add(
            cpu,
            gh,
            batch_slot::<W>(j),
            cpu.load(&hash[j * W::REG_BYTES..]),
        );
    }
    round_batch(cpu, &mut s, rk.get(cpu, skip + REGS + 1));
    acc.fold_lo(cpu);
    let x = acc.finish(cpu);
    last_round_batch(cpu, &mut s, rk.get(cpu, NR));
    (xor_batch(cpu, s, load_batch(cpu, text)), x)
}

/// GCM's AES work outside the batches, done in one call *before* them so that its
/// latency hides behind the bulk instead of ending the message: lane 0 is `E(K, J0)`,
/// the tag's mask; lanes `1..LANES` are the keystream of the blocks after the last whole
/// batch, which covers a tail of up to `LANES - 1` blocks ([`Ends::covers`]) — the
/// common TLS tail, the record's content-type byte after 16 KiB, and SSH's last block
/// after 32 KiB. A register value, like the keystream inside the loop.
struct Ends<W: Width> {
    blocks: W::Reg,
}

impl<W: Width> Ends<W> {
    /// `E(K, J0)`, and the keystream from counter block `tail` when a tail of
    /// `tail_len` bytes is covered (otherwise one block alone is cheaper to set up).
    #[inline(always)]
    fn new<const NR: usize>(cpu: W, rk: &RoundKeys, j0: u128, tail: u128, tail_len: usize) -> Self {
        if !Self::covers(tail_len) {
            let mask = encrypt_block::<W, NR>(cpu, rk, cpu.bswap128(from_u128(j0)));
            return Ends {
                blocks: cpu.low_lane(mask),
            };
        }
        // Each lane holds its counter block in AES byte order, as `counter_blocks` does.
        let mut lanes = [0u128; 4];
        lanes[0] = u128::from_le_bytes(j0.to_be_bytes());
        for (k, lane) in lanes.iter_mut().enumerate().skip(1) {
            let c = Counting::Inc32.advance(tail, k as u64 - 1);
            *lane = u128::from_le_bytes(c.to_be_bytes());
        }
        Ends {
            blocks: encrypt1::<W, NR>(cpu, rk, cpu.set_lanes(lanes)),
        }
    }

    /// Whether a tail of `len` bytes (after the last whole batch) is covered by the
    /// keystream computed here, leaving room in one register for the length block too.
    #[inline(always)]
    fn covers(len: usize) -> bool {
        len + 16 <= W::REG_BYTES
    }

    /// XORs the keystream into a covered tail and hashes the tail's ciphertext and GCM's
    /// length block `len(A) ‖ len(C)` into `x` with one reduction (one register against
    /// `K_(m+1)..K_1` for `m` tail blocks) instead of two. Seal hashes the tail after
    /// encrypting it, open before decrypting it.
    #[inline(always)]
    fn crypt_tail<const SEAL: bool>(
        &self,
        cpu: W,
        gh: &GhashKey,
        x: __m128i,
        tail: &mut [u8],
        lengths: u128,
    ) -> __m128i {
        debug_assert!(!tail.is_empty() && Self::covers(tail.len()));
        let (t, m) = (tail.len(), tail.len().div_ceil(16));
        // The tail goes in at lane 1, under its keystream; lane 0 meets E(K, J0), so
        // both buffers are wiped.
        let mut input = Buf64::zeroed();
        input.0[16..16 + t].copy_from_slice(tail);
        let mut output = Buf64::zeroed();
        cpu.store(&mut output.0, cpu.xor(cpu.load(&input.0), self.blocks));
        tail.copy_from_slice(&output.0[16..16 + t]);
        let ciphertext = if SEAL { &output } else { &input };
        let mut hashed = [0u8; 64];
        hashed[..t].copy_from_slice(&ciphertext.0[16..16 + t]);
        hashed[16 * m..16 * (m + 1)].copy_from_slice(&lengths.to_be_bytes());
        input.wipe();
        output.wipe();
        ghash_tail(cpu, gh, x, &hashed[..16 * (m + 1)])
    }

    /// Seals (`SEAL`) or opens the tail after the last whole batch (counter blocks from
    /// `c`), hashes it and the length block into `x`, and returns the tag the message
    /// carries or should carry. Seal hashes ciphertext after making it, open before
    /// decrypting it.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // the kernel's state, passed by value in registers
    fn finish<const NR: usize, const SEAL: bool>(
        &self,
        cpu: W,
        rk: &RoundKeys,
        gh: &GhashKey,
        mut x: __m128i,
        tail: &mut [u8],
        c: u128,
        lengths: u128,
    ) -> Tag {
        if !tail.is_empty() && Self::covers(tail.len()) {
            x = self.crypt_tail::<SEAL>(cpu, gh, x, tail, lengths);
        } else {
            if !tail.is_empty() {
                if SEAL {
                    ctr_xor::<W, NR>(cpu, rk, Counting::Inc32, c, tail);
                }
                x = ghash_update(cpu, gh, x, tail);
                if !SEAL {
                    ctr_xor::<W, NR>(cpu, rk, Counting::Inc32, c, tail);
                }
            }
            x = ghash_lengths(cpu, gh, x, lengths);
        }
        self.tag(cpu, x)
    }

    /// The tag: `E(K, J0) ^ X`, X turned back into a big-endian block.
    #[inline(always)]
    fn tag(&self, cpu: W, x: __m128i) -> Tag {
        let mut tag = [0u8; TAG_LEN];
        store16(&mut tag, xor128(cpu.lane0(self.blocks), cpu.bswap128(x)));
        tag
    }
}

/// GCM's last block, `len(A) ‖ len(C)` in bits, as the integer of its big-endian bytes.
#[inline(always)]
fn lengths_block(aad_len: usize, len: usize) -> u128 {
    (u128::from(aad_len as u64 * 8) << 64) | u128::from(len as u64 * 8)
}

/// Encrypts `io`'s input into its output and returns the tag over `aad` and the
/// ciphertext.
#[inline(always)]
fn seal<W: Width, const NR: usize>(
    cpu: W,
    s: &Secrets,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    io: &mut impl Blocks,
    len: usize,
) -> Tag {
    let (rk, gh) = (&s.rk, &s.gh);
    let step = W::BLOCKS as u64;
    let j0 = j0(nonce);
    let mut c = Counting::Inc32.advance(j0, 1);
    let mut x = ghash_update(cpu, gh, from_u128(0), aad);

    let n = io.batch_count();
    let tail_at = Counting::Inc32.advance(c, n as u64 * step);
    let ends = Ends::new::<NR>(cpu, rk, j0, tail_at, len - n * W::BATCH);
    if n > 0 {
        let mut ks = encrypt_batch::<W, NR>(cpu, rk, counter_blocks(cpu, Counting::Inc32, c));
        c = Counting::Inc32.advance(c, step);
        ks = xor_batch(cpu, load_batch(cpu, io.input(0)), ks);
        store_batch(cpu, io.output_mut(0), ks);
        for i in 1..n {
            // Opaque to the optimizer, as in `open`.
            let (rk, gh) = (black_box(rk), black_box(gh));
            let (ct, next_x) = crypt_ghash_batch::<W, NR, true, _>(
                cpu,
                rk,
                gh,
                counter_blocks(cpu, Counting::Inc32, c),
                x,
                &*io,
                i,
            );
            c = Counting::Inc32.advance(c, step);
            x = next_x;
            store_batch(cpu, io.output_mut(i), ct);
        }
        x = ghash_batch(cpu, gh, x, io.output(n - 1));
    }
    let lengths = lengths_block(aad.len(), len);
    ends.finish::<NR, true>(cpu, rk, gh, x, io.tail_in_place(), c, lengths)
}

/// Decrypts `io`'s input into its output in one pass, hashing each ciphertext batch one
/// iteration before it is decrypted, and returns the tag the message should carry. The
/// caller compares and wipes the output on a mismatch ([`verify`]).
#[inline(always)]
fn open<W: Width, const NR: usize>(
    cpu: W,
    s: &Secrets,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    io: &mut impl Blocks,
    len: usize,
) -> Tag {
    let (rk, gh) = (&s.rk, &s.gh);
    let step = W::BLOCKS as u64;
    let j0 = j0(nonce);
    let mut c = Counting::Inc32.advance(j0, 1);
    let mut x = ghash_update(cpu, gh, from_u128(0), aad);

    let n = io.batch_count();
    let tail_at = Counting::Inc32.advance(c, n as u64 * step);
    let ends = Ends::new::<NR>(cpu, rk, j0, tail_at, len - n * W::BATCH);
    if !W::OPEN_HASHES_AHEAD {
        // Each iteration hashes the batch it decrypts: its ciphertext is loaded before
        // the plaintext is stored over it, even in place.
        for i in 0..n {
            // Opaque to the optimizer, as below.
            let (rk, gh) = (black_box(rk), black_box(gh));
            let (pt, next_x) = crypt_ghash_batch::<W, NR, false, _>(
                cpu,
                rk,
                gh,
                counter_blocks(cpu, Counting::Inc32, c),
                x,
                &*io,
                i,
            );
            c = Counting::Inc32.advance(c, step);
            x = next_x;
            store_batch(cpu, io.output_mut(i), pt);
        }
    } else if n > 0 {
        x = ghash_batch(cpu, gh, x, io.input(0));
        for i in 0..n - 1 {
            // Opaque to the optimizer: otherwise it hoists the round keys and key powers
            // out of the loop, which needs more registers than there are, and spills.
            let (rk, gh) = (black_box(rk), black_box(gh));
            let (pt, next_x) = crypt_ghash_batch::<W, NR, false, _>(
                cpu,
                rk,
                gh,
                counter_blocks(cpu, Counting::Inc32, c),
                x,
                &*io,
                i,
            );
            c = Counting::Inc32.advance(c, step);
            x = next_x;
            store_batch(cpu, io.output_mut(i), pt);
        }
        let ks = encrypt_batch::<W, NR>(cpu, rk, counter_blocks(cpu, Counting::Inc32, c));
        c = Counting::Inc32.advance(c, step);
        let pt = xor_batch(cpu, load_batch(cpu, io.input(n - 1)), ks);
        store_batch(cpu, io.output_mut(n - 1), pt);
    }
    let lengths = lengths_block(aad.len(), len);
    ends.finish::<NR, false>(cpu, rk, gh, x, io.tail_in_place(), c, lengths)
}

/// [`seal`] for any key size, compiled with the width's features.
fn seal_any<W: Width, B: Blocks>(
    cpu: W,
    size: KeySize,
    s: &Secrets,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    mut io: B,
    len: usize,
) -> Tag {
    cpu.enter(
        #[inline(always)]
        || with_rounds!(size, seal(cpu, s, nonce, aad, &mut io, len)),
    )
}

/// [`open`] for any key size, compiled with the width's features.
fn open_any<W: Width, B: Blocks>(
    cpu: W,
    size: KeySize,
    s: &Secrets,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    mut io: B,
    len: usize,
) -> Tag {
    cpu.enter(
        #[inline(always)]
        || with_rounds!(size, open(cpu, s, nonce, aad, &mut io, len)),
    )
}

impl<W: Width> GcmKey<W> {
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

impl<W: Width> fmt::Debug for GcmKey<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeadKey")
            .field("provider", &W::NAME)
            .field("algorithm", &self.alg.id())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl<W: Width> AeadKey for GcmKey<W> {
    fn algorithm(&self) -> AeadAlg {
        self.alg
    }

    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], in_out: &mut [u8]) -> Result<Tag, Error> {
        let nonce = self.check(nonce, aad, in_out.len(), None)?;
        let len = in_out.len();
        let io = InPlace::<W>::new(in_out);
        Ok(seal_any(
            self.cpu,
            self.size,
            &self.secrets,
            nonce,
            aad,
            io,
            len,
        ))
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
        let len = in_out.len();
        let io = InPlace::<W>::new(in_out);
        let expected = open_any(self.cpu, self.size, &self.secrets, nonce, aad, io, len);
        verify(expected, tag, in_out)
    }

    /// Out of place in one pass: reads `plaintext` and writes the ciphertext to `out`,
    /// with no copy first.
    fn seal(
        &self,
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let (total, body, tag_out) = seal_output(plaintext.len(), out)?;
        let nonce = self.check(nonce, aad, plaintext.len(), None)?;
        let len = plaintext.len();
        let io = Separate::<W>::new(plaintext, body);
        let tag = seal_any(self.cpu, self.size, &self.secrets, nonce, aad, io, len);
        tag_out.copy_from_slice(&tag);
        Ok(total)
    }

    /// Out of place in one pass: decrypts `sealed` into `out` while hashing it, then
    /// checks the tag and wipes `out` on a mismatch.
    fn open(
        &self,
        nonce: &[u8],
        aad: &[u8],
        sealed: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let (body, tag, out) = open_parts(sealed, out)?;
        let body_len = body.len();
        let nonce = match self.check(nonce, aad, body_len, Some(tag)) {
            Ok(nonce) => nonce,
            Err(e) => {
                out.zeroize();
                return Err(e);
            }
        };
        let io = Separate::<W>::new(body, out);
        let expected = open_any(self.cpu, self.size, &self.secrets, nonce, aad, io, body_len);
        verify(expected, tag, out)?;
        Ok(body_len)
    }
}

/// Compares the computed tag with the received one in constant time; on a mismatch
/// wipes `out`, which holds the unauthenticated plaintext, before reporting failure.
fn verify(mut expected: Tag, tag: &[u8], out: &mut [u8]) -> Result<(), Error> {
    let authentic = crate::ct::bytes_eq(&expected, tag);
    expected.zeroize();
    if authentic {
        Ok(())
    } else {
        out.zeroize();
        Err(Error::AuthenticationFailed)
    }
}
