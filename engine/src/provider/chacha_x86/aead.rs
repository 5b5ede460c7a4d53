//! The keyed objects: the RFC 8439 AEAD (ChaCha20 and Poly1305 fused chunk by chunk) and
//! the original-form ChaCha20 that `chacha20-poly1305@openssh.com` is built from.
//!
//! # One pass
//!
//! The AVX-512 tier runs [`super::avx512_aead`], which weaves Poly1305 into the ChaCha20
//! rounds. On the AVX2 tier the message goes through in chunks of [`CHUNK`] bytes: the cipher kernel runs over a
//! chunk, then Poly1305 reads that chunk's ciphertext while it is still in L1 (opening,
//! Poly1305 reads it first). The first call makes the keystream of counters 0.. into a
//! buffer, which yields both the Poly1305 key (block 0) and the first chunk's keystream,
//! so short messages make one cipher call, not two.

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

use super::Tier;
use super::chacha::{self, BLOCK, InPlace, KeyBuf, Separate, Text, Window};
use super::poly1305::{self, Poly1305};
use crate::algorithm::{AeadAlg, Algorithm};
use crate::provider::{
    AeadKey, ChaCha20Key, Tag, check_aead_args, check_key_len, open_parts, seal_output,
};
use crate::{Error, NONCE_LEN, TAG_LEN};

/// Bytes per cipher-then-Poly1305 step: a multiple of both kernels' batches, small
/// enough that the chunk is still in L1 when Poly1305 reads it.
const CHUNK: usize = 4096;
/// Keystream made by the first call: block 0 (the Poly1305 key) and 15 blocks of text.
const FIRST: usize = 16 * BLOCK;

const _: () = assert!(CHUNK.is_multiple_of(16 * BLOCK) && FIRST.is_multiple_of(BLOCK));

/// A ChaCha20-Poly1305 key on one tier's kernels.
pub(super) struct Key {
    tier: Tier,
    /// The input block with the key in words 4..11; words 12..15 are set per message.
    state: Zeroizing<[u32; 16]>,
}

pub(super) fn new(tier: Tier, key: &[u8]) -> Result<Box<dyn AeadKey>, Error> {
    check_key_len(Algorithm::Aead(AeadAlg::ChaCha20Poly1305), key)?;
    let key: &[u8; 32] = key.try_into().expect("length checked");
    Ok(Box::new(Key {
        tier,
        state: Zeroizing::new(chacha::key_state(key)),
    }))
}

impl Key {
    /// Encrypts (`seal`) or decrypts `io` and returns the tag over AAD and ciphertext.
    fn run<I: Text>(&self, nonce: &[u8], aad: &[u8], io: &mut I, seal: bool) -> Tag {
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().expect("checked by check_aead_args");
        let mut state = Zeroizing::new(*self.state);
        chacha::set_ietf(&mut state, 0, nonce);
        if let Tier::Avx512(cpu) = self.tier {
            return super::avx512_aead::run(cpu, &state, aad, io, seal);
        }
        let len = io.len();

        // Counters 0..16: the Poly1305 key and the first 960 bytes' keystream.
        let head = len.min(FIRST - BLOCK);
        let mut buf = KeyBuf::<{ FIRST / 8 }>::new();
        let ks = buf.bytes_mut();
        chacha::xor_keystream_no_wrap(self.tier, &state, &mut InPlace(&mut ks[..BLOCK + head]));
        let mut poly = Poly1305::new(
            ks[..32].try_into().expect("32 bytes"),
            self.tier.poly_blocks(),
        );
        poly.update_padded(aad);

        // Poly1305 and the cipher take turns over ranges of the text. The first range
        // also holds what the first keystream call covered, so a message of up to
        // `FIRST - BLOCK + CHUNK` bytes is one Poly1305 call (no scalar blocks at a seam).
        let mut start = 0;
        while start < len {
            let end = len.min(if start == 0 {
                head + CHUNK
            } else {
                start + CHUNK
            });
            if !seal {
                poly.update_padded(io.input(start, end - start));
            }
            let mut from = start;
            if start == 0 {
                io.xor_tail(0, &ks[BLOCK..BLOCK + head]);
                from = head;
            }
            if from < end {
                state[12] = (from / BLOCK + 1) as u32;
                let mut window = Window::new(io, from, end - from);
                chacha::xor_keystream_no_wrap(self.tier, &state, &mut window);
            }
            if seal {
                poly.update_padded(io.output(start, end - start));
            }
            start = end;
        }

        let mut lengths = [0u8; 16];
        lengths[..8].copy_from_slice(&(aad.len() as u64).to_le_bytes());
        lengths[8..].copy_from_slice(&(len as u64).to_le_bytes());
        poly.update_blocks(&lengths);
        poly.tag()
    }

    /// Decrypts `io` and checks `tag`; the output is wiped unless the tag verifies.
    fn open_io<I: Text>(
        &self,
        nonce: &[u8],
        aad: &[u8],
        io: &mut I,
        tag: &[u8],
        wipe: impl FnOnce(&mut I),
    ) -> Result<(), Error> {
        let expected = self.run(nonce, aad, io, false);
        if crate::ct::bytes_eq(&expected, tag) {
            Ok(())
        } else {
            wipe(io);
            Err(Error::AuthenticationFailed)
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeadKey")
            .field("provider", &self.tier.id().as_str())
            .field("algorithm", &AeadAlg::ChaCha20Poly1305.id())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl AeadKey for Key {
    fn algorithm(&self) -> AeadAlg {
        AeadAlg::ChaCha20Poly1305
    }

    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], in_out: &mut [u8]) -> Result<Tag, Error> {
        check_aead_args(AeadAlg::ChaCha20Poly1305, nonce, in_out.len(), None)?;
        Ok(self.run(nonce, aad, &mut InPlace(in_out), true))
    }

    fn open_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        if let Err(e) = check_aead_args(AeadAlg::ChaCha20Poly1305, nonce, in_out.len(), Some(tag)) {
            in_out.zeroize();
            return Err(e);
        }
        self.open_io(nonce, aad, &mut InPlace(in_out), tag, |io| io.0.zeroize())
    }

    fn seal(
        &self,
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        check_aead_args(AeadAlg::ChaCha20Poly1305, nonce, plaintext.len(), None)?;
        let (total, body, tag_out) = seal_output(plaintext.len(), out)?;
        let tag = self.run(nonce, aad, &mut Separate::new(plaintext, body), true);
        tag_out.copy_from_slice(&tag);
        Ok(total)
    }

    fn open(
        &self,
        nonce: &[u8],
        aad: &[u8],
        sealed: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let (body, tag, out) = open_parts(sealed, out)?;
        if let Err(e) = check_aead_args(AeadAlg::ChaCha20Poly1305, nonce, body.len(), Some(tag)) {
            out.zeroize();
            return Err(e);
        }
        self.open_io(nonce, aad, &mut Separate::new(body, out), tag, |io| {
            io.wipe_output()
        })?;
        Ok(body.len())
    }
}

const _: () = assert!(TAG_LEN == 16);

/// ChaCha20 in its original form under one key, on one tier's kernels.
pub(super) struct OriginalKey {
    tier: Tier,
    state: Zeroizing<[u32; 16]>,
}

pub(super) fn new_original(tier: Tier, key: &[u8; 32]) -> Box<dyn ChaCha20Key> {
    Box::new(OriginalKey {
        tier,
        state: Zeroizing::new(chacha::key_state(key)),
    })
}

impl ChaCha20Key for OriginalKey {
    fn xor_keystream(&self, nonce: &[u8; 8], counter: u64, in_out: &mut [u8]) -> Result<(), Error> {
        chacha::xor_keystream_original(self.tier, &self.state, nonce, counter, &mut InPlace(in_out))
            .map_err(|()| Error::CounterOverflow {
                algorithm: "chacha20",
            })
    }
}

impl fmt::Debug for OriginalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChaCha20Key")
            .field("provider", &self.tier.id().as_str())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

/// Poly1305 of `message` on `tier`'s kernels.
pub(super) fn poly1305(tier: Tier, key: &[u8; 32], message: &[u8]) -> [u8; 16] {
    poly1305::poly1305(key, message, tier.poly_blocks())
}
