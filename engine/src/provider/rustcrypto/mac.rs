//! HMAC on `hmac` with `sha1` and `sha2`.
//!
//! The key is kept, zeroized on drop, and HMAC is keyed afresh on every call: the
//! `hmac` crate's precomputed inner and outer states cannot be zeroized, and re-keying
//! costs two compression-function calls, which a MAC over whole packets does not notice.

use std::fmt;

use hmac::{Hmac, Mac};

use crate::algorithm::MacAlg;
use crate::provider::{MacKey, MacTag};
use crate::{Error, SecretBytes};

struct Key {
    alg: MacAlg,
    key: SecretBytes,
}

pub(super) fn new(alg: MacAlg, key: &[u8]) -> Box<dyn MacKey> {
    Box::new(Key {
        alg,
        key: SecretBytes::new(key),
    })
}

macro_rules! hmac {
    ($digest:ty, $key:expr, $parts:expr) => {{
        let mut mac =
            <Hmac<$digest>>::new_from_slice($key).expect("HMAC accepts keys of every length");
        for part in $parts {
            mac.update(part);
        }
        MacTag::new(&mac.finalize().into_bytes())
    }};
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MacKey")
            .field("provider", &"rustcrypto")
            .field("algorithm", &self.alg.id())
            .field("key", &self.key)
            .finish()
    }
}

impl MacKey for Key {
    fn algorithm(&self) -> MacAlg {
        self.alg
    }

    fn sign_parts(&self, parts: &[&[u8]]) -> Result<MacTag, Error> {
        let key = self.key.expose();
        Ok(match self.alg {
            MacAlg::HmacSha1 => hmac!(sha1::Sha1, key, parts),
            MacAlg::HmacSha256 => hmac!(sha2::Sha256, key, parts),
            MacAlg::HmacSha512 => hmac!(sha2::Sha512, key, parts),
        })
    }
}
