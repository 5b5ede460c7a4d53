//! TLS 1.3 record protection (RFC 8446 §5.2–5.5).
//!
//! A protected record is `23 ‖ 0x0303 ‖ length ‖ AEAD(content ‖ type ‖ zeros)`, sealed
//! under nonce = IV XOR sequence number with the 5-byte header as additional data.

use std::fmt;

use zeroize::Zeroize;

use super::{ContentType, HEADER_LEN, MAX_PLAINTEXT, xor_nonce};
use crate::algorithm::AeadAlg;
use crate::fips::ProtocolKey;
use crate::{AeadKey, Engine, Error, InPlace, NONCE_LEN, TAG_LEN, Tag};

/// The outer content type and legacy version of every protected TLS 1.3 record.
pub(crate) const OUTER_TYPE: u8 = 23;
pub(crate) const LEGACY_VERSION: u16 = 0x0303;

/// One direction's TLS 1.3 traffic key and IV: seals and opens single records at a given
/// sequence number. Stateless and `Send + Sync`.
///
/// Outside the engine it only opens: sealing at a caller-chosen sequence number could
/// repeat a nonce, so a [`Tls13Sealer`] numbers the records it seals.
///
/// ```compile_fail
/// # use wirecrypt::{Engine, algorithm::AeadAlg, tls::Tls13Keys};
/// let engine = Engine::builder().build().unwrap();
/// let keys = Tls13Keys::new(&engine, AeadAlg::Aes128Gcm, &[1; 16], &[2; 12]).unwrap();
/// let mut body = [0u8; 8];
/// keys.seal_inner_in_place(0, &[23, 3, 3, 0, 24], &mut body); // private: no nonce reuse
/// ```
pub struct Tls13Keys {
    key: ProtocolKey,
    iv: [u8; NONCE_LEN],
}

impl Tls13Keys {
    /// Keys for `alg` from the engine's selected provider. `iv` is the 12-byte
    /// `[sender]_write_iv`.
    pub fn new(engine: &Engine, alg: AeadAlg, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Self::with_key(engine.protocol_aead(alg, key)?, iv)
    }

    /// Keys for the TLS 1.3 suite built on `alg` from a `[sender]_application_traffic_secret_N`
    /// (or a handshake traffic secret): the write key and IV are derived here by
    /// HKDF-Expand-Label (RFC 8446 §7.3) with the suite's hash — SHA-384 for AES-256-GCM,
    /// SHA-256 otherwise — so the caller never handles an IV. `secret` is the hash's
    /// length (32 or 48 bytes).
    pub fn from_traffic_secret(
        engine: &Engine,
        alg: AeadAlg,
        secret: &[u8],
    ) -> Result<Self, Error> {
        engine.status()?;
        let derived = super::key_schedule::traffic_keys(alg, secret)?;
        Self::new(engine, alg, &derived.key, derived.iv.as_ref())
    }

    /// Keys from an already keyed AEAD.
    pub fn from_key(key: Box<dyn AeadKey>, iv: &[u8]) -> Result<Self, Error> {
        Self::with_key(ProtocolKey::unguarded(key), iv)
    }

    /// Keys from an engine's protocol key.
    fn with_key(key: ProtocolKey, iv: &[u8]) -> Result<Self, Error> {
        let iv: [u8; NONCE_LEN] = iv.try_into().map_err(|_| Error::InvalidNonceLength {
            algorithm: key.algorithm().id(),
            expected: NONCE_LEN,
            actual: iv.len(),
        })?;
        Ok(Tls13Keys { key, iv })
    }

    /// The AEAD.
    pub fn algorithm(&self) -> AeadAlg {
        self.key.algorithm()
    }

    /// Seals an encoded `TLSInnerPlaintext` (content ‖ type ‖ zeros) in place as record
    /// number `seq`, whose header is `header`; returns the tag, which follows the body.
    ///
    /// Stateless, so crate-private: only callers that number records themselves and
    /// never repeat a number (the sealer, the rustls adapter) may use it.
    pub(crate) fn seal_inner_in_place(
        &self,
        seq: u64,
        header: &[u8; HEADER_LEN],
        inner: &mut [u8],
    ) -> Result<Tag, Error> {
        self.key
            .seal_in_place(&xor_nonce(&self.iv, seq), header, inner)
    }

    /// Seals a batch of framed records in place through the key's batch call, numbered
    /// from `first_seq`: each record is header ‖ inner plaintext ‖ room for the tag, its
    /// header already written (it is the additional data).
    pub(crate) fn seal_framed_batch(
        &self,
        first_seq: u64,
        records: Vec<&mut [u8]>,
    ) -> Result<(), Error> {
        let mut batch = Vec::with_capacity(records.len());
        for (i, record) in records.into_iter().enumerate() {
            let (head, rest) = record.split_at_mut(HEADER_LEN);
            let (inner, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
            batch.push(InPlace {
                nonce: xor_nonce(&self.iv, first_seq + i as u64),
                aad: &*head,
                data: inner,
                tag: tag.try_into().expect("TAG_LEN bytes"),
            });
        }
        self.key.seal_batch(&mut batch)
    }

    /// Opens record number `seq` in place: `body` is ciphertext ‖ tag, `header` the record
    /// header it arrived with. Returns the content type and the content's length; the
    /// content is then `body[..len]`.
    ///
    /// On any failure `body` is wiped.
    pub fn open_in_place(
        &self,
        seq: u64,
        header: &[u8; HEADER_LEN],
        body: &mut [u8],
    ) -> Result<(ContentType, usize), Error> {
        let result = self.open_checked(seq, header, body);
        if result.is_err() {
            body.zeroize();
        }
        result
    }

    fn open_checked(
        &self,
        seq: u64,
        header: &[u8; HEADER_LEN],
        body: &mut [u8],
    ) -> Result<(ContentType, usize), Error> {
        let ct_len = body
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::InputTooShort {
                needed: TAG_LEN,
                actual: body.len(),
            })?;
        let (ct, tag) = body.split_at_mut(ct_len);
        self.key
            .open_in_place(&xor_nonce(&self.iv, seq), header, ct, tag)?;
        // RFC 8446 §5.4: the content type is the last non-zero byte.
        let type_at = ct
            .iter()
            .rposition(|&b| b != 0)
            .ok_or(Error::UnexpectedMessage(
                "inner plaintext has no content type (all zeros)",
            ))?;
        let typ = ContentType::from_u8(ct[type_at])?;
        // RFC 8446 §5: change_cipher_spec is only ever sent unprotected.
        if typ == ContentType::ChangeCipherSpec {
            return Err(Error::UnexpectedMessage(
                "protected change_cipher_spec record",
            ));
        }
        if type_at > MAX_PLAINTEXT {
            return Err(Error::RecordOverflow {
                what: "decrypted content",
                length: type_at,
                max: MAX_PLAINTEXT,
            });
        }
        Ok((typ, type_at))
    }
}

impl fmt::Debug for Tls13Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls13Keys")
            .field("key", &self.key)
            .field("iv", &"[REDACTED]")
            .finish()
    }
}

impl Drop for Tls13Keys {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}

/// How a sealer pads records (RFC 8446 §5.4), to hide content lengths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Padding {
    /// No padding.
    #[default]
    None,
    /// Pad each inner plaintext (content ‖ type) up to a multiple of this many bytes,
    /// never past the 2^14 + 1 limit.
    Multiple(usize),
}

impl Padding {
    /// The inner plaintext's length (content ‖ type ‖ zeros) for `content_len` bytes.
    pub(crate) fn inner_len(self, content_len: usize) -> usize {
        let unpadded = content_len + 1;
        match self {
            Padding::None | Padding::Multiple(0) => unpadded,
            Padding::Multiple(n) => unpadded.next_multiple_of(n).min(MAX_PLAINTEXT + 1),
        }
    }
}
