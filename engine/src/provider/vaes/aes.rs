//! AES on VAES: key expansion, the rounds on whole registers (two blocks to a 256-bit
//! register, four to a 512-bit one), counter blocks, and the counter-mode kernel.
//!
//! # Registers
//!
//! `vaesenc` runs one AES round on each 128-bit lane of a register independently, so a
//! register holds [`Width::LANES`] blocks, and every round key is loaded *broadcast*
//! (the same 16 bytes in every lane; a broadcast load costs what a load costs). The
//! bulk kernels keep a batch of eight registers in flight ([`Batch`]): sixteen blocks
//! on 256-bit registers, thirty-two on 512-bit ones. `vaesenc` has a latency of 4
//! cycles and issues twice per cycle on Zen 3, so eight independent registers keep the
//! AES units busy within one iteration; with four, every round would wait on the
//! previous one unless the out-of-order core overlapped consecutive iterations, which
//! it does less well once GHASH shares the loop. The round keys stay in memory
//! ([`RoundKeys`]) and reach `vaesenc` as loads: with fifteen of them for AES-256,
//! keeping them in the sixteen AVX2 registers would starve everything else.
//! Sapphire Rapids issues one 512-bit `vaesenc` per cycle, so eight zmm registers also
//! cover its latency. Smaller batches bought nothing there: AES-256-GCM at 16 KiB with
//! four registers (16 blocks per batch and per reduction, the shape of several published
//! kernels) measured seal 0.98–1.00x aws-lc-rs against 1.01–1.07x with eight, and six
//! registers measured the same as eight.
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

use super::simd::{from_u128, load_batch, load16, low32, splat32, store_batch, store16};
use super::simd::{xor_batch, xor128};
use super::width::{Batch, REGS, Width};
use crate::provider::buf64::Buf64;

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

/// Calls `$f::<_, NR>(args)` with the round count of `$size` as a const generic, so
/// every kernel is compiled with its round loop fully unrolled.
macro_rules! with_rounds {
    ($size:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $size {
            $crate::provider::vaes::aes::KeySize::Aes128 => $f::<_, 10>($($arg),*),
            $crate::provider::vaes::aes::KeySize::Aes192 => $f::<_, 12>($($arg),*),
            $crate::provider::vaes::aes::KeySize::Aes256 => $f::<_, 14>($($arg),*),
        }
    };
}
pub(super) use with_rounds;

/// An expanded AES encryption key, one 16-byte round key per entry (broadcast to every
/// lane when loaded). Only the first `rounds + 1` entries are used. Zeroized on drop
/// by its owner.
#[derive(Zeroize)]
#[repr(C, align(64))]
pub(super) struct RoundKeys {
    k: [[u8; 16]; MAX_ROUND_KEYS],
}

impl RoundKeys {
    /// All-zero keys, to be filled by [`expand_key`] where they will live.
    pub(super) fn zeroed() -> Self {
        RoundKeys {
            k: [[0; 16]; MAX_ROUND_KEYS],
        }
    }

    /// Round key `r`, in every lane.
    #[inline(always)]
    pub(super) fn get<W: Width>(&self, cpu: W, r: usize) -> W::Reg {
        cpu.broadcast(&self.k[r])
    }

    /// Round key `r`, one copy.
    #[inline(always)]
    fn get128(&self, r: usize) -> __m128i {
        load16(&self.k[r])
    }
}

/// `SubWord`: the AES S-box applied to each byte of `w`, with AES-NI (see the module
/// header for why this is `aesenclast` with a zero round key).
#[inline(always)]
fn sub_word<W: Width>(cpu: W, w: u32) -> u32 {
    let state = splat32(w);
    low32(cpu.aesenclast128(state, from_u128(0)))
}

/// Round constants `Rcon[i]` (FIPS 197 §5.2), low byte of the word as stored here.
const RCON: [u32; 10] = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

/// Expands `key` (16, 24 or 32 bytes; `size` must match) into `out`, in place.
///
/// Words are little-endian `u32`s of the key bytes, so `RotWord` (a byte rotation
/// towards the front) is `rotate_right(8)` and `Rcon` goes into the low byte.
#[inline(always)]
pub(super) fn expand_key<W: Width>(cpu: W, size: KeySize, key: &[u8], out: &mut RoundKeys) {
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
            t = sub_word(cpu, t.rotate_right(8)) ^ RCON[i / nk - 1];
        } else if nk > 6 && i % nk == 4 {
            t = sub_word(cpu, t);
        }
        w[i] = w[i - nk] ^ t;
    }
    for (r, slot) in out.k.iter_mut().enumerate().take(size.rounds() + 1) {
        for (j, bytes) in slot.chunks_exact_mut(4).enumerate() {
            bytes.copy_from_slice(&w[4 * r + j].to_le_bytes());
        }
    }
    w.zeroize();
}

/// One AES round on a batch.
#[inline(always)]
pub(super) fn round_batch<W: Width>(cpu: W, s: &mut Batch<W>, k: W::Reg) {
    for v in s.iter_mut() {
        *v = cpu.aesenc(*v, k);
    }
}

/// The final AES round on a batch.
#[inline(always)]
pub(super) fn last_round_batch<W: Width>(cpu: W, s: &mut Batch<W>, k: W::Reg) {
    for v in s.iter_mut() {
        *v = cpu.aesenclast(*v, k);
    }
}

/// Encrypts a batch (AES input byte order).
#[inline(always)]
pub(super) fn encrypt_batch<W: Width, const NR: usize>(
    cpu: W,
    rk: &RoundKeys,
    blocks: Batch<W>,
) -> Batch<W> {
    let mut s = xor_batch(cpu, blocks, [rk.get(cpu, 0); REGS]);
    for r in 1..NR {
        round_batch(cpu, &mut s, rk.get(cpu, r));
    }
    last_round_batch(cpu, &mut s, rk.get(cpu, NR));
    s
}

/// Encrypts the blocks of one register.
#[inline(always)]
pub(super) fn encrypt1<W: Width, const NR: usize>(cpu: W, rk: &RoundKeys, block: W::Reg) -> W::Reg {
    let mut s = cpu.xor(block, rk.get(cpu, 0));
    for r in 1..NR {
        s = cpu.aesenc(s, rk.get(cpu, r));
    }
    cpu.aesenclast(s, rk.get(cpu, NR))
}

/// Encrypts one block with 128-bit AES-NI (for GCM's `E(K, J0)`).
#[inline(always)]
pub(super) fn encrypt_block<W: Width, const NR: usize>(
    cpu: W,
    rk: &RoundKeys,
    block: __m128i,
) -> __m128i {
    let mut s = xor128(block, rk.get128(0));
    for r in 1..NR {
        s = cpu.aesenc128(s, rk.get128(r));
    }
    cpu.aesenclast128(s, rk.get128(NR))
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
    #[inline(always)]
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

/// The batch of counter blocks `c, c+1, ..., c+W::BLOCKS-1` in AES input byte order:
/// block `c + LANES·i + j` in lane `j` of register `i`.
#[inline(always)]
pub(super) fn counter_blocks<W: Width>(cpu: W, counting: Counting, c: u128) -> Batch<W> {
    // Fast path, both countings: when the last byte does not carry within the batch,
    // adding `k` to the counter adds `k` to byte 15 alone — in AES byte order that is
    // the top byte of the lane — so one 32-bit add per register builds the blocks with
    // no byte reversal. Taken for 15 of every 16 batches on 256-bit registers, 7 of 8
    // on 512-bit ones.
    if (c as u8) as usize <= 255 - (W::BLOCKS - 1) {
        let base = cpu.broadcast(&c.to_be_bytes());
        let mut out = [base; REGS];
        for (i, reg) in out.iter_mut().enumerate() {
            let mut steps = [0u128; 4];
            for (j, step) in steps.iter_mut().enumerate() {
                *step = ((W::LANES * i + j) as u128) << 120;
            }
            *reg = cpu.add32(base, cpu.set_lanes(steps));
        }
        return out;
    }
    // A carry out of the last byte somewhere in this batch: build each block from the
    // counter arithmetic itself (once per 16 batches at most, so scalar is fine).
    let mut out = [cpu.zero(); REGS];
    for (i, reg) in out.iter_mut().enumerate() {
        let mut blocks = [0u128; 4];
        for (j, block) in blocks.iter_mut().enumerate().take(W::LANES) {
            let k = (W::LANES * i + j) as u64;
            *block = u128::from_le_bytes(counting.advance(c, k).to_be_bytes());
        }
        *reg = cpu.set_lanes(blocks);
    }
    out
}

/// Counter mode: XORs the keystream starting at counter block `c` into `data` (any
/// length; a final partial block uses the start of its keystream block) and returns the
/// counter after the last block used, `ceil(len / 16)` blocks on.
///
/// One batch per loop iteration; the remainder one register at a time.
#[inline(always)]
pub(super) fn ctr_xor<W: Width, const NR: usize>(
    cpu: W,
    rk: &RoundKeys,
    counting: Counting,
    mut c: u128,
    data: &mut [u8],
) -> u128 {
    let (full, tail) = data.split_at_mut(data.len() / W::BATCH * W::BATCH);
    for batch in full.chunks_exact_mut(W::BATCH) {
        let keystream = encrypt_batch::<W, NR>(cpu, rk, counter_blocks(cpu, counting, c));
        c = counting.advance(c, W::BLOCKS as u64);
        store_batch(
            cpu,
            batch,
            xor_batch(cpu, load_batch(cpu, batch), keystream),
        );
    }
    if tail.is_empty() {
        return c;
    }
    // Less than a batch left: whole registers in place, then a last partial register
    // through a buffer that is wiped afterwards.
    let n = tail.len();
    let counters = counter_blocks(cpu, counting, c);
    let whole = n / W::REG_BYTES;
    let (regs, rest) = tail.split_at_mut(whole * W::REG_BYTES);
    for (reg, &counter) in regs.chunks_exact_mut(W::REG_BYTES).zip(&counters) {
        let keystream = encrypt1::<W, NR>(cpu, rk, counter);
        cpu.store(reg, cpu.xor(cpu.load(reg), keystream));
    }
    if !rest.is_empty() {
        let mut buf = Buf64::zeroed();
        buf.0[..rest.len()].copy_from_slice(rest);
        let keystream = encrypt1::<W, NR>(cpu, rk, counters[whole]);
        let text = cpu.xor(cpu.load(&buf.0), keystream);
        cpu.store(&mut buf.0, text);
        rest.copy_from_slice(&buf.0[..rest.len()]);
        buf.wipe();
    }
    counting.advance(c, n.div_ceil(16) as u64)
}

/// The keystream block for counter `c`.
#[inline(always)]
pub(super) fn keystream_block<W: Width, const NR: usize>(
    cpu: W,
    rk: &RoundKeys,
    c: u128,
) -> [u8; 16] {
    let mut out = [0u8; 16];
    store16(
        &mut out,
        encrypt_block::<W, NR>(cpu, rk, cpu.bswap128(from_u128(c))),
    );
    out
}
