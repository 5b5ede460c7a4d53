//! AES-GCM and ChaCha20-Poly1305 on `aes-gcm` and `chacha20poly1305`.

use std::fmt;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use zeroize::Zeroize;

use crate::Error;
use crate::algorithm::{AeadAlg, Algorithm};
use crate::provider::{AeadKey, Tag, check_aead_args, check_key_len};

/// The RustCrypto cipher behind a key. Each type zeroizes its key schedule on drop.
enum Inner {
    Aes128Gcm(Box<Aes128Gcm>),
    Aes256Gcm(Box<Aes256Gcm>),
    ChaCha20Poly1305(Box<ChaCha20Poly1305>),
}

struct Key {
    alg: AeadAlg,
    inner: Inner,
}

pub(super) fn new(alg: AeadAlg, key: &[u8]) -> Result<Box<dyn AeadKey>, Error> {
    check_key_len(Algorithm::Aead(alg), key)?;
    // The length was checked above, so `new_from_slice` cannot fail.
    let bad = |_| Error::InvalidKeyLength {
        algorithm: alg.id(),
        expected: alg.info().key_len,
        actual: key.len(),
    };
    let inner = match alg {
        AeadAlg::Aes128Gcm => {
            Inner::Aes128Gcm(Box::new(Aes128Gcm::new_from_slice(key).map_err(bad)?))
        }
        AeadAlg::Aes256Gcm => {
            Inner::Aes256Gcm(Box::new(Aes256Gcm::new_from_slice(key).map_err(bad)?))
        }
        AeadAlg::ChaCha20Poly1305 => Inner::ChaCha20Poly1305(Box::new(
            ChaCha20Poly1305::new_from_slice(key).map_err(bad)?,
        )),
    };
    Ok(Box::new(Key { alg, inner }))
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeadKey")
            .field("provider", &"rustcrypto")
            .field("algorithm", &self.alg.id())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl AeadKey for Key {
    fn algorithm(&self) -> AeadAlg {
        self.alg
    }

    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], in_out: &mut [u8]) -> Result<Tag, Error> {
        check_aead_args(self.alg, nonce, in_out.len(), None)?;
        let nonce = aes_gcm::Nonce::from_slice(nonce);
        let tag = match &self.inner {
            Inner::Aes128Gcm(c) => c.encrypt_in_place_detached(nonce, aad, in_out),
            Inner::Aes256Gcm(c) => c.encrypt_in_place_detached(nonce, aad, in_out),
            Inner::ChaCha20Poly1305(c) => c.encrypt_in_place_detached(nonce, aad, in_out),
        }
        .map_err(|_| Error::InputTooLong {
            algorithm: self.alg.id(),
            max: crate::provider::aead_max_input(self.alg),
        })?;
        Ok(tag.into())
    }

    fn open_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        if let Err(e) = check_aead_args(self.alg, nonce, in_out.len(), Some(tag)) {
            in_out.zeroize();
            return Err(e);
        }
        let nonce = aes_gcm::Nonce::from_slice(nonce);
        let tag = aes_gcm::Tag::from_slice(tag);
        let verified = match &self.inner {
            Inner::Aes128Gcm(c) => c.decrypt_in_place_detached(nonce, aad, in_out, tag),
            Inner::Aes256Gcm(c) => c.decrypt_in_place_detached(nonce, aad, in_out, tag),
            Inner::ChaCha20Poly1305(c) => c.decrypt_in_place_detached(nonce, aad, in_out, tag),
        };
        if verified.is_err() {
            // aes-gcm 0.10 decrypts before it compares tags; wipe what it wrote.
            in_out.zeroize();
            return Err(Error::AuthenticationFailed);
        }
        Ok(())
    }
}
