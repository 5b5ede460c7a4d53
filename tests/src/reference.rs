//! Reference computations that do not go through any wirecrypt provider.
//!
//! * AEAD, HMAC and SHA-2 come from **ring**, an implementation independent of the
//!   RustCrypto crates behind the `rustcrypto` provider.
//! * ring has no public raw AES or AES-CTR, so [`aes_ctr`] builds SP 800-38A counter mode
//!   from single-block AES (the `aes` crate's block encryption) and a plain `u128`
//!   big-endian counter that wraps mod 2^128 (RFC 4344). It shares the AES block function
//!   with the `rustcrypto` provider but none of its counter-mode code (the `ctr` crate:
//!   counter layout, carries, partial blocks, buffering). The AES block function itself
//!   is anchored by the SP 800-38A vectors and by AES-GCM matching ring.

use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use ring::{aead, digest, hmac};
use wirecrypt::{AeadAlg, CipherAlg, HashAlg, MacAlg, TAG_LEN};

/// A ring AEAD key.
pub struct RingAead {
    key: aead::LessSafeKey,
}

impl RingAead {
    /// ring's implementation of `alg` keyed with `key`.
    ///
    /// # Panics
    /// When ring rejects the key (wrong length).
    pub fn new(alg: AeadAlg, key: &[u8]) -> Self {
        let ring_alg = match alg {
            AeadAlg::Aes128Gcm => &aead::AES_128_GCM,
            AeadAlg::Aes256Gcm => &aead::AES_256_GCM,
            AeadAlg::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        };
        let unbound = aead::UnboundKey::new(ring_alg, key).expect("ring accepts the key");
        RingAead {
            key: aead::LessSafeKey::new(unbound),
        }
    }

    /// Seals `pt`: returns ciphertext ‖ tag.
    ///
    /// # Panics
    /// When the nonce is not 12 bytes.
    pub fn seal(&self, nonce: &[u8], aad: &[u8], pt: &[u8]) -> Vec<u8> {
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).expect("12-byte nonce");
        let mut out = Vec::with_capacity(pt.len() + TAG_LEN);
        out.extend_from_slice(pt);
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, aead::Aad::from(aad), &mut out)
            .expect("ring seals");
        out.extend_from_slice(tag.as_ref());
        out
    }

    /// Opens ciphertext ‖ tag; `None` when ring rejects it.
    pub fn open(&self, nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = sealed.to_vec();
        let pt = self
            .key
            .open_in_place(nonce, aead::Aad::from(aad), &mut buf)
            .ok()?;
        Some(pt.to_vec())
    }
}

/// HMAC of `data` under `key`, computed by ring.
pub fn hmac(alg: MacAlg, key: &[u8], data: &[u8]) -> Vec<u8> {
    let ring_alg = match alg {
        MacAlg::HmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        MacAlg::HmacSha256 => hmac::HMAC_SHA256,
        MacAlg::HmacSha512 => hmac::HMAC_SHA512,
    };
    hmac::sign(&hmac::Key::new(ring_alg, key), data)
        .as_ref()
        .to_vec()
}

/// Digest of `data`, computed by ring.
pub fn digest(alg: HashAlg, data: &[u8]) -> Vec<u8> {
    let ring_alg = match alg {
        HashAlg::Sha256 => &digest::SHA256,
        HashAlg::Sha384 => &digest::SHA384,
        HashAlg::Sha512 => &digest::SHA512,
    };
    digest::digest(ring_alg, data).as_ref().to_vec()
}

/// Single-block AES encryption (the "ECB" of one block); AES-128, -192 or -256 by the
/// key length.
pub enum AesBlock {
    /// AES-128.
    Aes128(Box<aes::Aes128>),
    /// AES-192.
    Aes192(Box<aes::Aes192>),
    /// AES-256.
    Aes256(Box<aes::Aes256>),
}

impl AesBlock {
    /// The block cipher for a 16-, 24- or 32-byte key.
    ///
    /// # Panics
    /// On any other key length.
    pub fn new(key: &[u8]) -> Self {
        match key.len() {
            16 => AesBlock::Aes128(Box::new(aes::Aes128::new_from_slice(key).unwrap())),
            24 => AesBlock::Aes192(Box::new(aes::Aes192::new_from_slice(key).unwrap())),
            32 => AesBlock::Aes256(Box::new(aes::Aes256::new_from_slice(key).unwrap())),
            n => panic!("no AES with a {n}-byte key"),
        }
    }

    /// AES_K(block).
    pub fn encrypt(&self, block: [u8; 16]) -> [u8; 16] {
        let mut b = GenericArray::from(block);
        match self {
            AesBlock::Aes128(c) => c.encrypt_block(&mut b),
            AesBlock::Aes192(c) => c.encrypt_block(&mut b),
            AesBlock::Aes256(c) => c.encrypt_block(&mut b),
        }
        b.into()
    }
}

/// AES-CTR of `data` starting at counter block `iv`, the counter being the whole block as
/// a big-endian integer incremented mod 2^128 (SP 800-38A §B.1 with m = 128; RFC 4344).
///
/// # Panics
/// When the key length does not match `alg`.
pub fn aes_ctr(alg: CipherAlg, key: &[u8], iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
    assert_eq!(key.len(), alg.info().key_len, "{alg}: key length");
    let aes = AesBlock::new(key);
    let mut counter = u128::from_be_bytes(*iv);
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks(16) {
        let ks = aes.encrypt(counter.to_be_bytes());
        out.extend(chunk.iter().zip(ks).map(|(d, k)| d ^ k));
        counter = counter.wrapping_add(1);
    }
    out
}
