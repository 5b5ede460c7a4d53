//! ChaCha20 in its original form and one-shot Poly1305, on the `chacha20` and
//! `poly1305` crates: the portable pieces of `chacha20-poly1305@openssh.com`.

use std::fmt;

use chacha20::ChaCha20Legacy;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use poly1305::Poly1305;
use poly1305::universal_hash::KeyInit;
use zeroize::Zeroizing;

use crate::Error;
use crate::provider::ChaCha20Key;

/// One original-form ChaCha20 key.
struct Key(Zeroizing<[u8; 32]>);

pub(super) fn new(key: &[u8; 32]) -> Box<dyn ChaCha20Key> {
    Box::new(Key(Zeroizing::new(*key)))
}

impl ChaCha20Key for Key {
    fn xor_keystream(&self, nonce: &[u8; 8], counter: u64, in_out: &mut [u8]) -> Result<(), Error> {
        let exhausted = || Error::CounterOverflow {
            algorithm: "chacha20",
        };
        // `ChaCha20Legacy` counts blocks in 32 bits: positions past 256 GiB are refused
        // here, before anything is written.
        let end = counter
            .checked_add((in_out.len() as u64).div_ceil(64))
            .filter(|&end| end <= 1 << 32)
            .ok_or_else(exhausted)?;
        let _ = end;
        let mut stream = ChaCha20Legacy::new(&(*self.0).into(), nonce.into());
        stream.try_seek(counter * 64).map_err(|_| exhausted())?;
        stream.try_apply_keystream(in_out).map_err(|_| exhausted())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChaCha20Key { provider: \"rustcrypto\", key: \"[REDACTED]\" }")
    }
}

/// Poly1305 of `message` under `key`.
pub(super) fn poly1305(key: &[u8; 32], message: &[u8]) -> [u8; 16] {
    Poly1305::new(key.into()).compute_unpadded(message).into()
}
