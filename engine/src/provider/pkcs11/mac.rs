//! HMAC through CKM_SHA_1_HMAC / CKM_SHA256_HMAC / CKM_SHA512_HMAC on a generic secret
//! session key object.

use std::fmt;
use std::sync::Arc;

use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, KeyType, ObjectClass};
use sha2::Digest as _;
use zeroize::Zeroize;

use super::token::{SessionKey, Token};
use crate::algorithm::MacAlg;
use crate::provider::{MacKey, MacTag};
use crate::{Error, SecretBytes};

/// The key the token is given: the caller's key in the form HMAC itself uses, one
/// hash block long (RFC 2104 §2: a key longer than the block is hashed, a shorter one is
/// padded with zeros), so the MAC is exactly HMAC under the caller's key.
///
/// Why: tokens bound HMAC key sizes (C_GetMechanismInfo). SoftHSM 2.6.1 refuses keys
/// shorter than the digest (CKR_KEY_SIZE_RANGE: under 20 bytes for HMAC-SHA-1, 32 for
/// SHA-256, 64 for SHA-512), but the engine's HMAC takes keys of every length, as RFC 2104
/// and the other providers do. Padding to the block changes nothing in the result and
/// puts every key inside SoftHSM's range. A token whose range excludes the block size
/// gets [`Error::InvalidKeyLength`] naming its minimum, before any key object is made.
fn key_for_token(token: &Token, alg: MacAlg, key: &[u8]) -> Result<SecretBytes, Error> {
    let block = match alg {
        MacAlg::HmacSha1 | MacAlg::HmacSha256 => 64,
        MacAlg::HmacSha512 => 128,
    };
    let (min, max) = token
        .key_size_range(mechanism_type(alg))
        .unwrap_or((0, usize::MAX));
    if !(min..=max).contains(&block) {
        return Err(Error::InvalidKeyLength {
            algorithm: alg.id(),
            expected: min,
            actual: key.len(),
        });
    }
    let mut padded = vec![0u8; block];
    if key.len() > block {
        let mut digest = match alg {
            MacAlg::HmacSha1 => sha1::Sha1::digest(key).to_vec(),
            MacAlg::HmacSha256 => sha2::Sha256::digest(key).to_vec(),
            MacAlg::HmacSha512 => sha2::Sha512::digest(key).to_vec(),
        };
        padded[..digest.len()].copy_from_slice(&digest);
        digest.zeroize();
    } else {
        padded[..key.len()].copy_from_slice(key);
    }
    let out = SecretBytes::new(&padded);
    padded.zeroize();
    Ok(out)
}

fn mechanism_type(alg: MacAlg) -> MechanismType {
    match alg {
        MacAlg::HmacSha1 => MechanismType::SHA1_HMAC,
        MacAlg::HmacSha256 => MechanismType::SHA256_HMAC,
        MacAlg::HmacSha512 => MechanismType::SHA512_HMAC,
    }
}

struct Key {
    alg: MacAlg,
    key: SessionKey,
}

pub(super) fn new(token: &Arc<Token>, alg: MacAlg, key: &[u8]) -> Result<Box<dyn MacKey>, Error> {
    let key = key_for_token(token, alg, key)?;
    let template = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Verify(true),
        Attribute::Label(b"wirecrypt session key".to_vec()),
        Attribute::Value(key.expose().to_vec()),
    ];
    let key = token.create_key("C_CreateObject (HMAC key)", template)?;
    Ok(Box::new(Key { alg, key }))
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MacKey")
            .field("provider", &"pkcs11")
            .field("algorithm", &self.alg.id())
            .field("key", &"[in token]")
            .finish()
    }
}

impl MacKey for Key {
    fn algorithm(&self) -> MacAlg {
        self.alg
    }

    fn sign_parts(&self, parts: &[&[u8]]) -> Result<MacTag, Error> {
        let mechanism = match self.alg {
            MacAlg::HmacSha1 => Mechanism::Sha1Hmac,
            MacAlg::HmacSha256 => Mechanism::Sha256Hmac,
            MacAlg::HmacSha512 => Mechanism::Sha512Hmac,
        };
        // One C_Sign over the joined parts costs one copy; C_SignUpdate per part would
        // cost a token round trip each.
        // The joined copy holds plaintext (SSH packets): wiped when dropped.
        let joined;
        let data: &[u8] = match parts {
            [one] => one,
            _ => {
                joined = zeroize::Zeroizing::new(parts.concat());
                &joined
            }
        };
        let tag = self.key.token.run("C_Sign (HMAC)", |s| {
            s.sign(&mechanism, self.key.handle, data)
        })?;
        Ok(MacTag::new(&tag))
    }
}
