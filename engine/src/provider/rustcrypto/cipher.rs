//! AES-CTR on `ctr` and `aes`, with SSH's big-endian 128-bit counter.

use std::fmt;

use ctr::cipher::{KeyIvInit, StreamCipher as _};

use crate::Error;
use crate::algorithm::{Algorithm, CipherAlg};
use crate::provider::{StreamCipher, check_key_len};

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;
type Aes192Ctr = ctr::Ctr128BE<aes::Aes192>;
type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

enum Inner {
    Aes128(Box<Aes128Ctr>),
    Aes192(Box<Aes192Ctr>),
    Aes256(Box<Aes256Ctr>),
}

struct Ctr {
    alg: CipherAlg,
    inner: Inner,
}

pub(super) fn new(alg: CipherAlg, key: &[u8], iv: &[u8]) -> Result<Box<dyn StreamCipher>, Error> {
    check_key_len(Algorithm::Cipher(alg), key)?;
    let iv_len = alg.info().nonce_len;
    if iv.len() != iv_len {
        return Err(Error::InvalidNonceLength {
            algorithm: alg.id(),
            expected: iv_len,
            actual: iv.len(),
        });
    }
    // Both lengths were checked above, so `new_from_slices` cannot fail.
    let bad = |_| Error::InvalidKeyLength {
        algorithm: alg.id(),
        expected: alg.info().key_len,
        actual: key.len(),
    };
    let inner = match alg {
        CipherAlg::Aes128Ctr => {
            Inner::Aes128(Box::new(Aes128Ctr::new_from_slices(key, iv).map_err(bad)?))
        }
        CipherAlg::Aes192Ctr => {
            Inner::Aes192(Box::new(Aes192Ctr::new_from_slices(key, iv).map_err(bad)?))
        }
        CipherAlg::Aes256Ctr => {
            Inner::Aes256(Box::new(Aes256Ctr::new_from_slices(key, iv).map_err(bad)?))
        }
    };
    Ok(Box::new(Ctr { alg, inner }))
}

impl fmt::Debug for Ctr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamCipher")
            .field("provider", &"rustcrypto")
            .field("algorithm", &self.alg.id())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl StreamCipher for Ctr {
    fn algorithm(&self) -> CipherAlg {
        self.alg
    }

    fn apply_keystream(&mut self, in_out: &mut [u8]) -> Result<(), Error> {
        match &mut self.inner {
            Inner::Aes128(c) => c.try_apply_keystream(in_out),
            Inner::Aes192(c) => c.try_apply_keystream(in_out),
            Inner::Aes256(c) => c.try_apply_keystream(in_out),
        }
        .map_err(|_| Error::CounterOverflow {
            algorithm: self.alg.id(),
        })
    }
}
