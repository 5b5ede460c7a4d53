//! `chacha20-poly1305@openssh.com` (OpenSSH `PROTOCOL.chacha20poly1305`, now
//! draft-ietf-sshm-chacha20-poly1305).
//!
//! # Why this does not go through the provider's AEAD
//!
//! The providers' `chacha20-poly1305` is the IETF AEAD of RFC 8439: a 96-bit nonce, a
//! 32-bit block counter, and a Poly1305 input that pads the additional data and the
//! ciphertext to 16 bytes and ends with their lengths. The SSH construction is different
//! in every one of those points: ChaCha20 in its original form (64-bit nonce = the
//! sequence number as a big-endian `uint64`), two independent keys, and Poly1305 over
//! `encrypted length ‖ ciphertext` with no padding and no length block. No arrangement of
//! RFC 8439 calls produces it, so it is built here on the RustCrypto `chacha20`
//! (`ChaCha20Legacy`) and `poly1305` crates, which pick their SIMD backends at run time.
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

use chacha20::ChaCha20Legacy;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use poly1305::Poly1305;
use poly1305::universal_hash::KeyInit;
use zeroize::Zeroizing;

use crate::{Error, TAG_LEN};

use super::limits::LENGTH_FIELD_LEN;

/// The key material length: two 256-bit ChaCha20 keys.
pub(super) const KEY_LEN: usize = 64;
/// One ChaCha20 block; block 0 of the payload stream keys Poly1305.
const BLOCK_LEN: usize = 64;
/// Poly1305's one-time key: the first 32 bytes of that block.
const POLY_KEY_LEN: usize = 32;

const _: () = assert!(KEY_LEN == 2 * 32 && POLY_KEY_LEN <= BLOCK_LEN);

/// The two ChaCha20 keys of one direction.
pub(super) struct ChaChaKeys {
    payload_key: Zeroizing<[u8; 32]>,
    length_key: Zeroizing<[u8; 32]>,
}

impl ChaChaKeys {
    /// Splits 64 bytes of key material (checked by the caller).
    pub(super) fn new(key: &[u8; KEY_LEN]) -> Self {
        let mut payload_key = Zeroizing::new([0u8; 32]);
        let mut length_key = Zeroizing::new([0u8; 32]);
        payload_key.copy_from_slice(&key[..32]);
        length_key.copy_from_slice(&key[32..]);
        ChaChaKeys {
            payload_key,
            length_key,
        }
    }

    /// The nonce: the sequence number as a big-endian `uint64` (draft §6).
    fn nonce(seq: u32) -> [u8; 8] {
        u64::from(seq).to_be_bytes()
    }

    /// Encrypts or decrypts the 4-byte length in place (length key, block counter 0).
    pub(super) fn crypt_length(&self, seq: u32, length: &mut [u8]) -> Result<(), Error> {
        debug_assert_eq!(length.len(), LENGTH_FIELD_LEN);
        ChaCha20Legacy::new(&(*self.length_key).into(), &Self::nonce(seq).into())
            .try_apply_keystream(length)
            .map_err(|_| exhausted())
    }

    /// The payload stream positioned at block 1, and the Poly1305 instance keyed from
    /// block 0.
    fn payload_stream(&self, seq: u32) -> Result<(ChaCha20Legacy, Poly1305), Error> {
        let mut stream = ChaCha20Legacy::new(&(*self.payload_key).into(), &Self::nonce(seq).into());
        let mut block0 = Zeroizing::new([0u8; BLOCK_LEN]);
        stream
            .try_apply_keystream(&mut block0[..])
            .map_err(|_| exhausted())?;
        let poly =
            Poly1305::new_from_slice(&block0[..POLY_KEY_LEN]).expect("a Poly1305 key is 32 bytes");
        Ok((stream, poly))
    }

    /// Seals `packet` (length ‖ padding length ‖ payload ‖ padding, in clear) in place
    /// and returns the tag.
    pub(super) fn seal(&self, seq: u32, packet: &mut [u8]) -> Result<[u8; TAG_LEN], Error> {
        let (length, body) = packet.split_at_mut(LENGTH_FIELD_LEN);
        self.crypt_length(seq, length)?;
        let (mut stream, poly) = self.payload_stream(seq)?;
        stream.try_apply_keystream(body).map_err(|_| exhausted())?;
        Ok(poly.compute_unpadded(packet).into())
    }

    /// Checks `tag` over the sealed `packet` (encrypted length ‖ ciphertext), then
    /// decrypts the whole packet in place. Nothing is decrypted when the tag is wrong.
    pub(super) fn open(&self, seq: u32, packet: &mut [u8], tag: &[u8]) -> Result<(), Error> {
        let (mut stream, poly) = self.payload_stream(seq)?;
        let expected = poly.compute_unpadded(packet);
        if !crate::ct::bytes_eq(expected.as_slice(), tag) {
            return Err(Error::AuthenticationFailed);
        }
        let (length, body) = packet.split_at_mut(LENGTH_FIELD_LEN);
        self.crypt_length(seq, length)?;
        stream.try_apply_keystream(body).map_err(|_| exhausted())
    }
}

/// The 32-bit block counter of `ChaCha20Legacy` would wrap: 256 GiB in one packet, far
/// past any packet this layer accepts.
fn exhausted() -> Error {
    Error::CounterOverflow {
        algorithm: "chacha20-poly1305@openssh.com",
    }
}

impl fmt::Debug for ChaChaKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChaChaKeys([REDACTED])")
    }
}
