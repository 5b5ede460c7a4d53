//! The AVX-512 tier's RFC 8439 AEAD pass: ChaCha20 sixteen blocks at a time, with the
//! eight-lane IFMA Poly1305 steps woven in between the double rounds.
//!
//! # Why woven
//!
//! A Poly1305 step on eight blocks is a chain of dependent instructions (three
//! multiply-adds per limb, then the carries): alone it waits on latency. The twenty
//! ChaCha20 rounds are the opposite: four independent quarter-rounds at a time, limited
//! only by the vector ports. [`super::avx512::blocks_with`] calls back after each double
//! round, and the callback issues one Poly1305 step of 128 bytes, so the chain executes
//! in the gaps of the rounds instead of after them. Ten double rounds carry up to eight
//! steps: 1 KiB of Poly1305 per 1 KiB of keystream.
//!
//! # Schedule
//!
//! ```text
//! counter 0            the Poly1305 key: lane 0 of the first batch ("folded"), or one
//!                      block in row form (four 128-bit registers, one row of the 4×4
//!                      state each) when folding would cost a batch of its own
//! batches              sixteen counters each, the message's bytes in order (folded, the
//!                      first batch covers 960 bytes and the rest are shifted by 64)
//! seal, a batch        Poly1305 over the ciphertext the earlier batches wrote, in whole
//!                      128-byte steps; what the last batch wrote goes after the loop
//! open, a batch        Poly1305 over the ciphertext up to this batch's end, before its
//!                      output is written (the output may be the input: in place)
//! ```
//!
//! Folded, the first batch makes the key, so no step can run in it: an open saves the
//! first kilobyte of ciphertext before that batch overwrites it, and folds only up to
//! two batches (after that a batch would end mid-step, with 64 bytes of that step
//! already overwritten in place).
//!
//! The Poly1305 lanes are [`super::avx512`]'s: lane `i` absorbs blocks `i, i + 8, ...`
//! of the run; each step is `acc·r^8 + m` (the message limbs start the multiply-add
//! sums), the first step just `acc + m` with the running value in lane 0, and the end
//! multiplies lane `i` by `r^(8-i)` and sums the lanes. What is left (under 128 bytes,
//! the lengths block) goes through the scalar code, as does the AAD.
//!
//! Nothing branches on secret data: the loop bounds and the number of Poly1305 steps per
//! batch depend on the lengths only.

use core::arch::x86_64::*;

use crate::provider::buf64::Buf64;

use super::Avx512Cpu;
use super::avx512::{self, VMult};
use super::chacha::{BLOCK, Text};
use super::poly1305::{self, Blocks, Limbs, Mult, Radix44};

/// Blocks per batch.
const LANES: usize = 16;
/// Bytes per batch.
const BATCH: usize = LANES * BLOCK;
/// Bytes per Poly1305 step: eight blocks, one per lane.
const STEP: usize = 128;

const _: () = assert!(BATCH / STEP <= 10, "one step per double round at most");
const _: () = assert!(LANES.count_ones() == 1, "a power of two");

/// Encrypts (`seal`) or decrypts `io` under `state` (words 12..15 = counter 0 and the
/// nonce) and returns the tag over `aad` and the ciphertext.
pub(super) fn run<I: Text>(
    cpu: Avx512Cpu,
    state: &[u32; 16],
    aad: &[u8],
    io: &mut I,
    seal: bool,
) -> [u8; 16] {
    // SAFETY: the `Avx512Cpu` token proves detection found AVX-512F, AVX-512VL,
    // AVX-512 IFMA and AVX2.
    unsafe { run_kernel(cpu, state, aad, io, seal) }
}

#[target_feature(enable = "avx512f,avx512vl,avx512ifma,avx2")]
fn run_kernel<I: Text>(
    cpu: Avx512Cpu,
    state: &[u32; 16],
    aad: &[u8],
    io: &mut I,
    seal: bool,
) -> [u8; 16] {
    let len = io.len();
    // Block 0 rides in lane 0 of the first batch unless that would cost a batch of its
    // own (a message of whole batches: 16 KiB is 256 blocks). An open folds only up to
    // two batches: later batches would end 64 bytes into a Poly1305 step, and in place
    // those bytes would be plaintext before the next batch's steps read them.
    // (Blocks past the last whole batch: the count ANDed with LANES - 1, a power of two.)
    let fold = len.div_ceil(BLOCK) & (LANES - 1) != 0 && (seal || len <= 2 * BATCH - BLOCK);
    let mut init = [_mm512_setzero_si512(); 16];
    for (v, &w) in init.iter_mut().zip(state) {
        *v = _mm512_set1_epi32(w as i32);
    }
    let first = if fold { 0 } else { 1 };
    init[12] = avx512::add(
        init[12],
        _mm512_add_epi32(
            _mm512_set1_epi32(first),
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        ),
    );
    let step = _mm512_set1_epi32(LANES as i32);

    // An open's first kilobyte of ciphertext, when the folded first batch overwrites it
    // (in place) before the Poly1305 key exists; ciphertext is public.
    let mut saved = [0u8; BATCH];
    let mut saved_len = 0;
    let mut off = 0;
    let mut key = Buf64(if fold {
        let ks = avx512::blocks(&init);
        if !seal {
            saved_len = len.min(BATCH);
            saved[..saved_len].copy_from_slice(io.input(0, saved_len));
        }
        off = len.min(BATCH - BLOCK);
        xor_batch(io, 0, off, &ks[1..]);
        init[12] = avx512::add(init[12], step);
        avx512::store(ks[0])
    } else if seal && len > 0 {
        // No step can run in a seal's first batch (no ciphertext yet): the key block's
        // double rounds take their places.
        let mut block0 = RowBlock::new(state);
        let ks = avx512::blocks_with(&init, |_| block0.double_round());
        off = len.min(BATCH);
        xor_batch(io, 0, off, &ks);
        init[12] = avx512::add(init[12], step);
        block0.finish()
    } else {
        let mut block0 = RowBlock::new(state);
        for _ in 0..10 {
            block0.double_round();
        }
        block0.finish()
    });
    let mut poly = Radix44::new(key.0[..32].try_into().expect("32 bytes"), Blocks::Ifma(cpu));
    key.wipe();
    poly.update_padded(aad);

    let saved = &saved[..saved_len];

    // Where the lanes' steps have reached, and the ciphertext of an open's last partial
    // step, kept before the batch that holds it overwrites it (in place).
    let mut done = 0;
    let mut rest = [0u8; STEP];
    let mut lanes = Lanes::new(poly.value(), poly.mult());
    while off < len {
        let n = BATCH.min(len - off);
        // Ciphertext ready for Poly1305: everything before this batch (seal), or this
        // batch too (open: it is the input). Up to 15 steps (an open's second batch
        // after a folded first): those beyond ten go first, on their own.
        let ready = if seal { off } else { off + n };
        let mut steps = (ready - done) / STEP;
        while steps > 10 {
            lanes.absorb(ciphertext(io, saved, seal, done, STEP));
            done += STEP;
            steps -= 1;
        }
        // The steps' sources, chosen before the rounds so that the code between them is
        // only the step itself.
        let mut groups: [&[u8]; 10] = [&[]; 10];
        for (k, g) in groups.iter_mut().enumerate().take(steps) {
            *g = ciphertext(io, saved, seal, done + k * STEP, STEP);
        }
        let ks = avx512::blocks_with(&init, |i| {
            if i < steps {
                lanes.absorb(groups[i]);
            }
        });
        done += steps * STEP;
        if !seal && off + n == len {
            rest[..len - done].copy_from_slice(ciphertext(io, saved, seal, done, len - done));
        }
        xor_batch(io, off, n, &ks);
        init[12] = avx512::add(init[12], step);
        off += n;
    }
    // What no batch was left to carry: a seal's last kilobyte, or all of a message that
    // the folded first batch covered.
    while done + STEP <= len {
        lanes.absorb(ciphertext(io, saved, seal, done, STEP));
        done += STEP;
    }
    if !seal && len <= saved.len() {
        rest[..len - done].copy_from_slice(&saved[done..len]);
    }
    let h = lanes.finish();
    poly.set_value(h);
    if seal {
        poly.update_padded(io.output(done, len - done));
    } else {
        poly.update_padded(&rest[..len - done]);
    }

    let mut lengths = [0u8; 16];
    lengths[..8].copy_from_slice(&(aad.len() as u64).to_le_bytes());
    lengths[8..].copy_from_slice(&(len as u64).to_le_bytes());
    poly.update_padded(&lengths);
    poly.tag()
}

/// The ciphertext Poly1305 reads at `at..at + n`: the output when sealing; when
/// opening, the input, or `saved` (the copy of what a folded first batch overwrote).
#[inline]
fn ciphertext<'a, I: Text>(
    io: &'a I,
    saved: &'a [u8],
    seal: bool,
    at: usize,
    n: usize,
) -> &'a [u8] {
    if seal {
        io.output(at, n)
    } else if at + n <= saved.len() {
        &saved[at..at + n]
    } else {
        io.input(at, n)
    }
}

/// XORs the keystream `ks` into the `n` bytes of `io` at `off` (`n` ≤ a batch).
#[inline]
#[target_feature(enable = "avx512f")]
fn xor_batch<I: Text>(io: &mut I, off: usize, n: usize, ks: &[__m512i]) {
    let whole = n / BLOCK;
    for (k, &ks) in ks.iter().enumerate().take(whole) {
        let at = off + BLOCK * k;
        io.put(at, avx512::store(avx512::xor(avx512::load(io.get(at)), ks)));
    }
    let part = n - whole * BLOCK;
    if part > 0 {
        let mut last = Buf64(avx512::store(ks[whole]));
        io.xor_tail(off + whole * BLOCK, &last.0[..part]);
        last.wipe();
    }
}

/// The eight-lane Poly1305 accumulator that the batches feed.
struct Lanes {
    acc: [__m512i; 3],
    /// False until the first step: that one adds without multiplying.
    started: bool,
    /// `r^8` in every lane: the step.
    r8: VMult,
    /// `r^(8-i)` in lane `i`: the last multiplication.
    last: VMult,
}

impl Lanes {
    /// Lanes holding the running value `h` (in lane 0), under the key's `r`.
    ///
    /// The powers are made on the lanes themselves: every lane starts at `r`, and three
    /// lane-wise multiplications by `r`, `r^2` and `r^4` (or by 1, per lane) give lane `i`
    /// the exponent `8 - i` bit by bit. Only `r^2` and `r^4` are scalar. (The shared
    /// [`poly1305::Powers`] table costs a few hundred stores and wipes per message, and
    /// seven scalar multiplications cost more instructions than these three vector
    /// ones: a tenth of a 1420-byte seal.)
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn new(h: Limbs, r: Mult) -> Self {
        let z = _mm512_setzero_si512();
        let r2 = Mult::new(poly1305::mul(&r.r, &r));
        let r4 = Mult::new(poly1305::mul(&r2.r, &r2));
        let one = Mult::new([1, 0, 0]);
        // Lane i's exponent 8 - i = 1 + (7 - i): ×r where bit 0 of 7 - i is set (even
        // lanes), ×r^2 for bit 1 (lanes 0, 1, 4, 5), ×r^4 for bit 2 (lanes 0..4).
        let mut x = r.r.map(|l| _mm512_set1_epi64(l as i64));
        x = avx512::mul(x, &VMult::blend(0b0101_0101, &one, &r));
        x = avx512::mul(x, &VMult::blend(0b0011_0011, &one, &r2));
        x = avx512::mul(x, &VMult::blend(0b0000_1111, &one, &r4));
        let last = VMult::from_limbs(x);
        Lanes {
            acc: [
                _mm512_mask_set1_epi64(z, 1, h[0] as i64),
                _mm512_mask_set1_epi64(z, 1, h[1] as i64),
                _mm512_mask_set1_epi64(z, 1, h[2] as i64),
            ],
            started: false,
            r8: last.lane0(),
            last,
        }
    }

    /// Absorbs the next 128 bytes of the run.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn absorb(&mut self, group: &[u8]) {
        let m = avx512::message(group);
        if self.started {
            self.acc = avx512::mul_add(self.acc, &self.r8, m);
        } else {
            self.acc = [
                _mm512_add_epi64(self.acc[0], m[0]),
                _mm512_add_epi64(self.acc[1], m[1]),
                _mm512_add_epi64(self.acc[2], m[2]),
            ];
            self.started = true;
        }
    }

    /// The running value: the lanes' last multiplications by `r^(8-i)`, summed.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn finish(self) -> Limbs {
        if !self.started {
            // Nothing absorbed: lane 0 still holds the value as it came in.
            return avx512::reduce(self.acc);
        }
        let z = _mm512_setzero_si512();
        avx512::reduce(avx512::mul_add(self.acc, &self.last, [z; 3]))
    }
}

/// ChaCha20 block 0 of `state` (the Poly1305 key) in row form: register `a` holds words
/// 0..3, `b` 4..7, `c` 8..11, `d` 12..15. A column round is one quarter-round on the four
/// registers; rotating `b`, `c`, `d` by one, two and three words lines the diagonals up
/// as columns for the diagonal round, and the opposite rotations undo it. One block
/// costs about a fifth of the instructions of a sixteen-block batch, but it is one long
/// chain of dependent instructions: a seal runs its double rounds between those of the
/// first batch (which does not depend on it), an open ahead of the first batch.
struct RowBlock {
    init: [__m128i; 4],
    v: [__m128i; 4],
}

impl RowBlock {
    #[inline]
    #[target_feature(enable = "avx512f,avx512vl")]
    fn new(state: &[u32; 16]) -> Self {
        let row = |i: usize| {
            let w: [u32; 4] = state[4 * i..4 * i + 4].try_into().expect("4 words");
            // SAFETY: `w` is 16 readable bytes, exactly what the load reads; `loadu`
            // needs no alignment.
            unsafe { _mm_loadu_si128(w.as_ptr().cast()) }
        };
        let init = [row(0), row(1), row(2), row(3)];
        RowBlock { init, v: init }
    }

    /// One column round and one diagonal round.
    #[inline]
    #[target_feature(enable = "avx512f,avx512vl")]
    fn double_round(&mut self) {
        let [mut a, mut b, mut c, mut d] = self.v;
        let quarter = |a: &mut __m128i, b: &mut __m128i, c: &mut __m128i, d: &mut __m128i| {
            *a = _mm_add_epi32(*a, *b);
            *d = _mm_rol_epi32::<16>(_mm_xor_si128(*d, *a));
            *c = _mm_add_epi32(*c, *d);
            *b = _mm_rol_epi32::<12>(_mm_xor_si128(*b, *c));
            *a = _mm_add_epi32(*a, *b);
            *d = _mm_rol_epi32::<8>(_mm_xor_si128(*d, *a));
            *c = _mm_add_epi32(*c, *d);
            *b = _mm_rol_epi32::<7>(_mm_xor_si128(*b, *c));
        };
        quarter(&mut a, &mut b, &mut c, &mut d);
        b = _mm_shuffle_epi32::<0x39>(b);
        c = _mm_shuffle_epi32::<0x4e>(c);
        d = _mm_shuffle_epi32::<0x93>(d);
        quarter(&mut a, &mut b, &mut c, &mut d);
        b = _mm_shuffle_epi32::<0x93>(b);
        c = _mm_shuffle_epi32::<0x4e>(c);
        d = _mm_shuffle_epi32::<0x39>(d);
        self.v = [a, b, c, d];
    }

    /// The block, after the ten double rounds.
    #[inline]
    #[target_feature(enable = "avx512f,avx512vl")]
    fn finish(self) -> [u8; 64] {
        let mut out = [0u8; 64];
        for (i, (v, v0)) in self.v.into_iter().zip(self.init).enumerate() {
            // SAFETY: `out[16 * i..]` has at least 16 writable bytes, exactly what the
            // store writes; `storeu` needs no alignment.
            unsafe {
                _mm_storeu_si128(
                    out[16 * i..16 * i + 16].as_mut_ptr().cast(),
                    _mm_add_epi32(v, v0),
                )
            };
        }
        out
    }
}
