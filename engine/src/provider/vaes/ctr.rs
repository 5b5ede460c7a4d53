//! AES-CTR with a big-endian 128-bit counter (SP 800-38A §6.5; SSH's `aes*-ctr`, RFC 4344
//! §4), on the counter-mode kernel of [`super::aes`].
//!
//! The counter wraps mod 2^128, as RFC 4344 requires. The stream keeps its byte
//! position across calls: the keystream block that a call ends inside is kept, and the
//! next call uses the rest of it before generating more.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::aes::{Counting, KeySize, RoundKeys, ctr_xor, expand_key, keystream_block, with_rounds};
use super::width::Width;
use crate::Error;
use crate::algorithm::{Algorithm, CipherAlg};
use crate::provider::{StreamCipher, check_key_len};

const BLOCK: usize = 16;

/// Key schedule and position; all of it secret (the IV of SSH's CTR modes is derived
/// from the shared secret), all of it zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
struct State {
    rk: RoundKeys,
    /// The counter block (as `u128::from_be_bytes`) of the next keystream block.
    counter: u128,
    /// The keystream block before `counter`, of which `used` bytes are spent.
    pending: [u8; BLOCK],
    /// Bytes of `pending` already used; `BLOCK` when none are left.
    used: usize,
}

struct Ctr<W> {
    alg: CipherAlg,
    size: KeySize,
    cpu: W,
    state: State,
}

pub(super) fn new<W: Width>(
    cpu: W,
    alg: CipherAlg,
    key: &[u8],
    iv: &[u8],
) -> Result<Box<dyn StreamCipher>, Error> {
    check_key_len(Algorithm::Cipher(alg), key)?;
    let size = KeySize::from_len(key.len()).ok_or(Error::InvalidKeyLength {
        algorithm: alg.id(),
        expected: alg.info().key_len,
        actual: key.len(),
    })?;
    let iv: &[u8; BLOCK] = iv.try_into().map_err(|_| Error::InvalidNonceLength {
        algorithm: alg.id(),
        expected: alg.info().nonce_len,
        actual: iv.len(),
    })?;
    let mut c = Box::new(Ctr {
        alg,
        size,
        cpu,
        state: State {
            rk: RoundKeys::zeroed(),
            counter: u128::from_be_bytes(*iv),
            pending: [0; BLOCK],
            used: BLOCK,
        },
    });
    let rk = &mut c.state.rk;
    cpu.enter(
        #[inline(always)]
        || expand_key(cpu, size, key, rk),
    );
    Ok(c)
}

/// XORs the next `data.len()` keystream bytes into `data` and advances the position.
#[inline(always)]
fn apply<W: Width>(cpu: W, size: KeySize, s: &mut State, data: &mut [u8]) {
    // Finish the block the previous call stopped inside.
    let carried = (BLOCK - s.used).min(data.len());
    let (head, data) = data.split_at_mut(carried);
    for (d, k) in head.iter_mut().zip(&s.pending[s.used..]) {
        *d ^= k;
    }
    s.used += carried;
    // Whole blocks through the bulk kernel.
    let (body, rest) = data.split_at_mut(data.len() / BLOCK * BLOCK);
    if !body.is_empty() {
        s.counter = with_rounds!(size, ctr_xor(cpu, &s.rk, Counting::Inc128, s.counter, body));
    }
    // Start a new block and keep what is left of it.
    if !rest.is_empty() {
        s.pending = with_rounds!(size, keystream_block(cpu, &s.rk, s.counter));
        s.counter = Counting::Inc128.advance(s.counter, 1);
        for (d, k) in rest.iter_mut().zip(&s.pending) {
            *d ^= k;
        }
        s.used = rest.len();
    }
}

impl<W: Width> fmt::Debug for Ctr<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamCipher")
            .field("provider", &W::NAME)
            .field("algorithm", &self.alg.id())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl<W: Width> StreamCipher for Ctr<W> {
    fn algorithm(&self) -> CipherAlg {
        self.alg
    }

    fn apply_keystream(&mut self, in_out: &mut [u8]) -> Result<(), Error> {
        let (cpu, size, state) = (self.cpu, self.size, &mut self.state);
        cpu.enter(
            #[inline(always)]
            || apply(cpu, size, state, in_out),
        );
        Ok(())
    }
}
