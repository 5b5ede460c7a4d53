//! `chacha20-poly1305@openssh.com` (OpenSSH `PROTOCOL.chacha20poly1305`, now
//! draft-ietf-sshm-chacha20-poly1305).
//!
//! # How it runs on the providers
//!
//! The providers' `chacha20-poly1305` is the IETF AEAD of RFC 8439: a 96-bit nonce, a
//! 32-bit block counter, and a Poly1305 input that pads the additional data and the
//! ciphertext to 16 bytes and ends with their lengths. The SSH construction is different
//! in every one of those points: ChaCha20 in its original form (64-bit nonce = the
//! sequence number as a big-endian `uint64`), two independent keys, and Poly1305 over
//! `encrypted length ‖ ciphertext` with no padding and no length block. No arrangement of
//! RFC 8439 calls produces it, so it is composed here from the two pieces every provider
//! of `chacha20-poly1305` also exposes: original-form ChaCha20 from any block counter
//! ([`Provider::chacha20_original`]) and one-shot Poly1305 ([`Provider::poly1305`]). The
//! provider is the one the engine selected for `chacha20-poly1305`, so the fastest
//! kernels serve SSH too, and FIPS mode, the error state and a forced provider apply.
//!
//! # The two keys
//!
//! The 64 bytes of key material split in two. The first 32 bytes key the instance that
//! encrypts the packet from block counter 1 and whose block 0 keys Poly1305; the last 32
//! bytes key the instance that encrypts only the 4-byte length, at block counter 0.
//! OpenSSH's file calls these `K_2` (first) and `K_1` (last); draft-04 §6 swaps the
//! labels, but both, and the draft's worked example, put the bytes in the same places —
//! so the code names them by role: `payload_key` and `length_key`.
//!
//! The tag is checked, in constant time, before a single byte is decrypted (draft §7).

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::provider::{ChaCha20Key, Provider};
use crate::{Error, TAG_LEN};

use super::limits::LENGTH_FIELD_LEN;

/// The key material length: two 256-bit ChaCha20 keys.
pub(super) const KEY_LEN: usize = 64;
/// Poly1305's one-time key: the first 32 bytes of block 0 of the payload stream.
const POLY_KEY_LEN: usize = 32;

// Two 256-bit keys; the one-time key fits in one 64-byte ChaCha20 block.
const _: () = assert!(KEY_LEN == 2 * 32 && POLY_KEY_LEN <= 64);

/// The two ChaCha20 keys of one direction, and the provider that made them.
pub(super) struct ChaChaKeys {
    payload_key: Box<dyn ChaCha20Key>,
    length_key: Box<dyn ChaCha20Key>,
    provider: Arc<dyn Provider>,
}

impl ChaChaKeys {
    /// Splits 64 bytes of key material (checked by the caller) and keys both halves on
    /// `provider`.
    pub(super) fn new(provider: Arc<dyn Provider>, key: &[u8; KEY_LEN]) -> Result<Self, Error> {
        let (payload, length) = key.split_at(32);
        Ok(ChaChaKeys {
            payload_key: provider.chacha20_original(payload.try_into().expect("32 bytes"))?,
            length_key: provider.chacha20_original(length.try_into().expect("32 bytes"))?,
            provider,
        })
    }

    /// The nonce: the sequence number as a big-endian `uint64` (draft §6).
    fn nonce(seq: u32) -> [u8; 8] {
        u64::from(seq).to_be_bytes()
    }

    /// Encrypts or decrypts the 4-byte length in place (length key, block counter 0).
    pub(super) fn crypt_length(&self, seq: u32, length: &mut [u8]) -> Result<(), Error> {
        debug_assert_eq!(length.len(), LENGTH_FIELD_LEN);
        self.length_key.xor_keystream(&Self::nonce(seq), 0, length)
    }

    /// The Poly1305 key: the first 32 bytes of the payload key's block 0.
    fn poly_key(&self, seq: u32) -> Result<Zeroizing<[u8; POLY_KEY_LEN]>, Error> {
        let mut key = Zeroizing::new([0u8; POLY_KEY_LEN]);
        self.payload_key
            .xor_keystream(&Self::nonce(seq), 0, &mut key[..])?;
        Ok(key)
    }

    /// Seals `packet` (length ‖ padding length ‖ payload ‖ padding, in clear) in place
    /// and returns the tag.
    pub(super) fn seal(&self, seq: u32, packet: &mut [u8]) -> Result<[u8; TAG_LEN], Error> {
        let poly_key = self.poly_key(seq)?;
        let (length, body) = packet.split_at_mut(LENGTH_FIELD_LEN);
        self.crypt_length(seq, length)?;
        self.payload_key.xor_keystream(&Self::nonce(seq), 1, body)?;
        self.provider.poly1305(&poly_key, packet)
    }

    /// Checks `tag` over the sealed `packet` (encrypted length ‖ ciphertext), then
    /// decrypts the whole packet in place. Nothing is decrypted when the tag is wrong.
    pub(super) fn open(&self, seq: u32, packet: &mut [u8], tag: &[u8]) -> Result<(), Error> {
        let poly_key = self.poly_key(seq)?;
        let expected = self.provider.poly1305(&poly_key, packet)?;
        if !crate::ct::bytes_eq(&expected, tag) {
            return Err(Error::AuthenticationFailed);
        }
        let (length, body) = packet.split_at_mut(LENGTH_FIELD_LEN);
        self.crypt_length(seq, length)?;
        self.payload_key.xor_keystream(&Self::nonce(seq), 1, body)
    }
}

impl fmt::Debug for ChaChaKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChaChaKeys")
            .field("provider", &self.provider.id())
            .field("keys", &"[REDACTED]")
            .finish()
    }
}
