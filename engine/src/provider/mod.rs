//! Providers: implementations of the catalogue's algorithms, and the keyed objects they
//! hand out.
//!
//! A [`Provider`] turns (algorithm, key) into a keyed object: an [`AeadKey`] that seals and
//! opens, a [`StreamCipher`], a [`MacKey`] or a [`HashContext`]. Keyed objects are made
//! once per key and then used for millions of records, so every per-call method is cheap:
//! no allocation, no feature probing. [`AeadKey`] and [`MacKey`] are `Send + Sync` and take
//! `&self`, so one key can serve many threads at once; stream ciphers and hash contexts
//! carry position state and are `Send` only.

// A 64-byte stack buffer the x86-64 kernels wipe with one store.
#[cfg(target_arch = "x86_64")]
mod buf64;
// ChaCha20-Poly1305 on AVX2 and AVX-512 (x86-64).
#[cfg(target_arch = "x86_64")]
pub mod chacha_x86;
// IBM Z CPACF: the provider is s390x-only; its parameter-block and detection code is
// compiled (and unit-tested) everywhere.
mod cpacf;
pub mod kat;
mod output;
// A PKCS#11 token (HSM, openCryptoki, ICSF, SoftHSM2) through `cryptoki`.
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
mod registry;
pub mod rustcrypto;
// VAES + VPCLMULQDQ kernels for x86-64 on 256- and 512-bit registers: the `vaes256`
// and `vaes512` providers.
#[cfg(target_arch = "x86_64")]
mod vaes;

use std::fmt;

use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};
use crate::{Error, NONCE_LEN, TAG_LEN};

pub use output::Output;
pub use registry::{Candidate, ProviderId, candidates};

/// An AEAD tag.
pub type Tag = [u8; TAG_LEN];
/// A MAC value (up to 64 bytes; [`Output::as_ref`] gives the bytes).
pub type MacTag = Output;
/// A hash value (up to 64 bytes; [`Output::as_ref`] gives the bytes).
pub type Digest = Output;

/// An implementation of some or all of the catalogue's algorithms.
pub trait Provider: Send + Sync + fmt::Debug {
    /// The provider's id (`rustcrypto`, ...).
    fn id(&self) -> ProviderId;

    /// What the provider is and what it found on this machine.
    fn info(&self) -> ProviderInfo;

    /// True when the provider implements `alg`.
    fn supports(&self, alg: Algorithm) -> bool;

    /// A keyed AEAD. The key length must match the algorithm exactly.
    fn aead(&self, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn AeadKey>, Error>;

    /// A counter-mode stream cipher starting at the 16-byte counter block `iv`.
    fn cipher(&self, alg: CipherAlg, key: &[u8], iv: &[u8])
    -> Result<Box<dyn StreamCipher>, Error>;

    /// A keyed MAC. HMAC accepts keys of any length (RFC 2104).
    fn mac(&self, alg: MacAlg, key: &[u8]) -> Result<Box<dyn MacKey>, Error>;

    /// A fresh hash context.
    fn hash(&self, alg: HashAlg) -> Result<Box<dyn HashContext>, Error>;

    /// ChaCha20 in its original form (64-bit nonce, 64-bit block counter), for
    /// `chacha20-poly1305@openssh.com`. Every provider that implements
    /// `chacha20-poly1305` implements this too; the others say [`Error::Unsupported`].
    fn chacha20_original(&self, _key: &[u8; 32]) -> Result<Box<dyn ChaCha20Key>, Error> {
        Err(Error::Unsupported {
            provider: self.id(),
            algorithm: "chacha20",
        })
    }

    /// The Poly1305 tag of `message` under the one-time `key` (RFC 8439 §2.5), in one
    /// call; the same providers as [`Provider::chacha20_original`] implement it.
    fn poly1305(&self, _key: &[u8; 32], _message: &[u8]) -> Result<[u8; 16], Error> {
        Err(Error::Unsupported {
            provider: self.id(),
            algorithm: "poly1305",
        })
    }

    /// Fills `out` from the provider's random source. The engine's
    /// [`EngineRng`](crate::EngineRng) health-tests this output before handing it out.
    fn fill_random(&self, out: &mut [u8]) -> Result<(), Error>;
}

/// What a provider reports about itself, for `wirecrypt probe`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ProviderInfo {
    /// The provider's id.
    pub id: ProviderId,
    /// One line on what it is.
    pub description: String,
    /// Implementation details found on this machine, as (aspect, what is used) pairs.
    pub details: Vec<(String, String)>,
    /// The algorithm ids it implements.
    pub algorithms: Vec<&'static str>,
}

/// A keyed AEAD. Output layout of [`seal`](AeadKey::seal): ciphertext ‖ 16-byte tag.
///
/// Nonces must be 12 bytes and must never repeat under one key; the protocol layers
/// (TLS records, SSH packets) construct them from sequence numbers.
pub trait AeadKey: Send + Sync + fmt::Debug {
    /// The algorithm.
    fn algorithm(&self) -> AeadAlg;

    /// Encrypts `in_out` in place and returns the tag.
    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], in_out: &mut [u8]) -> Result<Tag, Error>;

    /// Verifies `tag` over `aad` and the ciphertext in `in_out` and decrypts in place.
    ///
    /// On any failure `in_out` is zeroed: no unauthenticated plaintext is ever released.
    fn open_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error>;

    /// Encrypts `plaintext` into `out` as ciphertext ‖ tag; returns the bytes written
    /// (`plaintext.len() + 16`).
    fn seal(
        &self,
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let (total, body, tag_out) = seal_output(plaintext.len(), out)?;
        crate::copy::copy(body, plaintext);
        match self.seal_in_place(nonce, aad, body) {
            Ok(tag) => {
                tag_out.copy_from_slice(&tag);
                Ok(total)
            }
            Err(e) => {
                // Never leave plaintext where the caller expects ciphertext.
                zeroize::Zeroize::zeroize(body);
                Err(e)
            }
        }
    }

    /// Verifies and decrypts `sealed` (ciphertext ‖ tag) into `out`; returns the plaintext
    /// length. On failure the first `sealed.len() - 16` bytes of `out` are zeroed.
    fn open(
        &self,
        nonce: &[u8],
        aad: &[u8],
        sealed: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let (body, tag, out) = open_parts(sealed, out)?;
        crate::copy::copy(out, body);
        self.open_in_place(nonce, aad, out, tag)?;
        Ok(body.len())
    }

    /// Seals every message of `batch` in place and writes its tag: the records or packets
    /// of one write. The default seals them one after another; a provider may keep
    /// several in flight (interleaving them in its kernel, pipelining a token's calls).
    ///
    /// On failure every message of the batch is wiped: none leaves as plaintext.
    fn seal_batch(&self, batch: &mut [InPlace<'_>]) -> Result<(), Error> {
        for i in 0..batch.len() {
            let m = &mut batch[i];
            match self.seal_in_place(&m.nonce, m.aad, m.data) {
                Ok(tag) => *m.tag = tag,
                Err(e) => {
                    wipe_batch(batch);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Verifies and decrypts every message of `batch` in place. Succeeds only when every
    /// tag verifies; on any failure every message is wiped, so nothing from a batch with
    /// a forgery in it is released. The default opens one after another.
    fn open_batch(&self, batch: &mut [InPlace<'_>]) -> Result<(), Error> {
        for i in 0..batch.len() {
            let m = &mut batch[i];
            if let Err(e) = self.open_in_place(&m.nonce, m.aad, m.data, &m.tag[..]) {
                wipe_batch(batch);
                return Err(e);
            }
        }
        Ok(())
    }
}

/// One message of a batch call ([`AeadKey::seal_batch`], [`AeadKey::open_batch`]),
/// sealed or opened where it lies.
#[derive(Debug)]
pub struct InPlace<'a> {
    /// The 12-byte nonce.
    pub nonce: [u8; NONCE_LEN],
    /// The additional data.
    pub aad: &'a [u8],
    /// The plaintext (seal) or ciphertext (open), replaced in place.
    pub data: &'a mut [u8],
    /// The tag: written by a seal, checked by an open.
    pub tag: &'a mut [u8; TAG_LEN],
}

/// Wipes every message of a batch that failed.
pub(crate) fn wipe_batch(batch: &mut [InPlace<'_>]) {
    for m in batch {
        zeroize::Zeroize::zeroize(&mut *m.data);
    }
}

/// For an out-of-place seal of `plaintext_len` bytes: the sealed length and `out`'s body
/// and tag parts, or [`Error::BufferTooSmall`].
pub(crate) fn seal_output(
    plaintext_len: usize,
    out: &mut [u8],
) -> Result<(usize, &mut [u8], &mut [u8]), Error> {
    let total = sealed_len(plaintext_len)?;
    let actual = out.len();
    let out = out.get_mut(..total).ok_or(Error::BufferTooSmall {
        needed: total,
        actual,
    })?;
    let (body, tag) = out.split_at_mut(plaintext_len);
    Ok((total, body, tag))
}

/// A sealed message's ciphertext and tag, and the output its plaintext goes to.
pub(crate) type OpenParts<'s, 'o> = (&'s [u8], &'s [u8], &'o mut [u8]);

/// For an out-of-place open: `sealed` split into ciphertext and tag, and the part of
/// `out` the plaintext goes to; or [`Error::InputTooShort`] / [`Error::BufferTooSmall`].
pub(crate) fn open_parts<'s, 'o>(
    sealed: &'s [u8],
    out: &'o mut [u8],
) -> Result<OpenParts<'s, 'o>, Error> {
    let body_len = sealed
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(Error::InputTooShort {
            needed: TAG_LEN,
            actual: sealed.len(),
        })?;
    let (body, tag) = sealed.split_at(body_len);
    let actual = out.len();
    let out = out.get_mut(..body_len).ok_or(Error::BufferTooSmall {
        needed: body_len,
        actual,
    })?;
    Ok((body, tag, out))
}

/// The length of a sealed message with a `plaintext_len`-byte body.
pub fn sealed_len(plaintext_len: usize) -> Result<usize, Error> {
    plaintext_len
        .checked_add(TAG_LEN)
        .ok_or(Error::InputTooLong {
            algorithm: "aead",
            max: (usize::MAX - TAG_LEN) as u64,
        })
}

/// Checks the arguments every AEAD shares, before any cryptography runs: nonce length,
/// tag length (when opening) and the algorithm's length limit under one nonce.
pub fn check_aead_args(
    alg: AeadAlg,
    nonce: &[u8],
    text_len: usize,
    tag: Option<&[u8]>,
) -> Result<(), Error> {
    if nonce.len() != NONCE_LEN {
        return Err(Error::InvalidNonceLength {
            algorithm: alg.id(),
            expected: NONCE_LEN,
            actual: nonce.len(),
        });
    }
    if let Some(tag) = tag.filter(|t| t.len() != TAG_LEN) {
        return Err(Error::InvalidTagLength {
            algorithm: alg.id(),
            expected: TAG_LEN,
            actual: tag.len(),
        });
    }
    let max = aead_max_input(alg);
    if text_len as u64 > max {
        return Err(Error::InputTooLong {
            algorithm: alg.id(),
            max,
        });
    }
    Ok(())
}

/// The longest message an AEAD may protect under one nonce.
pub const fn aead_max_input(alg: AeadAlg) -> u64 {
    match alg {
        // SP 800-38D §5.2.1.1: at most 2^39 - 256 bits of plaintext.
        AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => (1 << 36) - 32,
        // RFC 8439 §2.8: 2^32 - 1 blocks of 64 bytes, the first of which keys Poly1305.
        AeadAlg::ChaCha20Poly1305 => ((1 << 32) - 1) * 64 - 64,
    }
}

/// Checks a key length against the catalogue (AEADs and ciphers need it exactly).
pub fn check_key_len(alg: Algorithm, key: &[u8]) -> Result<(), Error> {
    let expected = alg.info().key_len;
    if key.len() != expected {
        return Err(Error::InvalidKeyLength {
            algorithm: alg.id(),
            expected,
            actual: key.len(),
        });
    }
    Ok(())
}

/// A counter-mode keystream, with its position: successive calls continue where the last
/// one stopped, at any byte offset.
pub trait StreamCipher: Send + fmt::Debug {
    /// The algorithm.
    fn algorithm(&self) -> CipherAlg;

    /// XORs the next `in_out.len()` keystream bytes into `in_out`.
    fn apply_keystream(&mut self, in_out: &mut [u8]) -> Result<(), Error>;

    /// XORs the next keystream bytes into `input`, writing to `output`
    /// (which must be at least as long).
    fn apply_keystream_to(&mut self, input: &[u8], output: &mut [u8]) -> Result<(), Error> {
        let actual = output.len();
        let out = output.get_mut(..input.len()).ok_or(Error::BufferTooSmall {
            needed: input.len(),
            actual,
        })?;
        crate::copy::copy(out, input);
        self.apply_keystream(out)
    }
}

/// A keyed ChaCha20 in its original form: the keystream of any block under any 64-bit
/// nonce, with no position state, so one key can serve many threads.
pub trait ChaCha20Key: Send + Sync + fmt::Debug {
    /// XORs the keystream that starts at block `counter` under `nonce` into `in_out`.
    /// Fails, before writing, when the 64-bit block counter would run out.
    fn xor_keystream(&self, nonce: &[u8; 8], counter: u64, in_out: &mut [u8]) -> Result<(), Error>;
}

/// A keyed MAC.
pub trait MacKey: Send + Sync + fmt::Debug {
    /// The algorithm.
    fn algorithm(&self) -> MacAlg;

    /// The MAC of the concatenation of `parts` (so SSH's seq ‖ packet needs no copy).
    ///
    /// Fails only when the provider cannot compute (a token that went away, the engine's
    /// FIPS error state).
    fn sign_parts(&self, parts: &[&[u8]]) -> Result<MacTag, Error>;

    /// The MAC of `data`.
    fn sign(&self, data: &[u8]) -> Result<MacTag, Error> {
        self.sign_parts(&[data])
    }

    /// Checks a full-length `tag` over the concatenation of `parts`, in constant time.
    fn verify_parts(&self, parts: &[&[u8]], tag: &[u8]) -> Result<(), Error> {
        let expected = self.sign_parts(parts)?;
        if tag.len() != expected.len() {
            return Err(Error::InvalidTagLength {
                algorithm: self.algorithm().id(),
                expected: expected.len(),
                actual: tag.len(),
            });
        }
        if crate::ct::bytes_eq(expected.as_ref(), tag) {
            Ok(())
        } else {
            Err(Error::AuthenticationFailed)
        }
    }

    /// Checks a full-length `tag` over `data`, in constant time.
    fn verify(&self, data: &[u8], tag: &[u8]) -> Result<(), Error> {
        self.verify_parts(&[data], tag)
    }
}

/// An incremental hash.
pub trait HashContext: Send {
    /// The algorithm.
    fn algorithm(&self) -> HashAlg;

    /// Absorbs `data`.
    fn update(&mut self, data: &[u8]) -> Result<(), Error>;

    /// The digest of everything absorbed.
    fn finish(self: Box<Self>) -> Result<Digest, Error>;
}

#[cfg(test)]
mod batch_tests;
