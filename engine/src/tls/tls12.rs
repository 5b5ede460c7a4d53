//! TLS 1.2 AEAD record protection: AES-GCM with an 8-byte explicit nonce (RFC 5288) and
//! ChaCha20-Poly1305 with an implicit nonce (RFC 7905).
//!
//! Additional data is `seq ‖ type ‖ version ‖ plaintext length` (RFC 5246 §6.2.3.3).

use std::fmt;

use zeroize::Zeroize;

use super::limits::check_plaintext_len;
use super::xor_nonce;
use crate::algorithm::AeadAlg;
use crate::fips::ProtocolKey;
use crate::{AeadKey, Engine, Error, InPlace, NONCE_LEN, TAG_LEN, Tag};

/// The record version of TLS 1.2.
pub(crate) const TLS12_VERSION: u16 = 0x0303;
/// RFC 5288 §3: the explicit part of the GCM nonce travels in each record.
const GCM_EXPLICIT_NONCE_LEN: usize = 8;
/// RFC 5288 §3: the implicit part (the "salt") comes from the key block.
const GCM_FIXED_IV_LEN: usize = 4;

/// One direction's TLS 1.2 AEAD key and IV material. Stateless and `Send + Sync`.
///
/// Outside the engine it only opens: sealing at a caller-chosen sequence number could
/// repeat a nonce, so a [`Tls12Sealer`] numbers the records it seals.
///
/// ```compile_fail
/// # use wirecrypt::{Engine, algorithm::AeadAlg, tls::Tls12Keys};
/// let engine = Engine::builder().build().unwrap();
/// let keys = Tls12Keys::new(&engine, AeadAlg::Aes128Gcm, &[1; 16], &[2; 4]).unwrap();
/// let mut body = [0u8; 32];
/// keys.seal_body_in_place(0, 23, 0x0303, &mut body); // private: no nonce reuse
/// ```
pub struct Tls12Keys {
    key: ProtocolKey,
    /// GCM: salt ‖ 8 bytes XORed with the sequence number to make the explicit nonce
    /// (zero unless a caller supplies them). ChaCha20-Poly1305: the 12-byte IV.
    iv: [u8; NONCE_LEN],
}

impl Tls12Keys {
    /// Keys for `alg` from the engine's selected provider. `iv` is the key block's
    /// `[sender]_write_IV`: 4 bytes for AES-GCM, 12 for ChaCha20-Poly1305.
    pub fn new(engine: &Engine, alg: AeadAlg, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Self::with_key(engine.protocol_aead(alg, key)?, iv, &[])
    }

    /// Keys from an already keyed AEAD. For AES-GCM, `explicit_mask` (empty or 8 bytes) is
    /// XORed with the sequence number to form each explicit nonce; empty means the
    /// explicit nonce is the sequence number itself, as most implementations send.
    pub fn from_key(key: Box<dyn AeadKey>, iv: &[u8], explicit_mask: &[u8]) -> Result<Self, Error> {
        Self::with_key(ProtocolKey::unguarded(key), iv, explicit_mask)
    }

    /// Keys from an engine's protocol key; `explicit_mask` as for
    /// [`from_key`](Self::from_key).
    pub(crate) fn with_key(
        key: ProtocolKey,
        iv: &[u8],
        explicit_mask: &[u8],
    ) -> Result<Self, Error> {
        let alg = key.algorithm();
        let fixed_len = fixed_iv_len(alg);
        let bad_iv = || Error::InvalidNonceLength {
            algorithm: alg.id(),
            expected: fixed_len,
            actual: iv.len(),
        };
        if iv.len() != fixed_len {
            return Err(bad_iv());
        }
        let mut full = [0u8; NONCE_LEN];
        full[..fixed_len].copy_from_slice(iv);
        match explicit_mask.len() {
            0 => {}
            GCM_EXPLICIT_NONCE_LEN if fixed_len == GCM_FIXED_IV_LEN => {
                full[GCM_FIXED_IV_LEN..].copy_from_slice(explicit_mask)
            }
            _ => {
                return Err(Error::Config(
                    "the explicit-nonce mask must be empty or 8 bytes (AES-GCM only)".into(),
                ));
            }
        }
        Ok(Tls12Keys { key, iv: full })
    }

    /// The AEAD.
    pub fn algorithm(&self) -> AeadAlg {
        self.key.algorithm()
    }

    /// Bytes of explicit nonce at the start of each record body: 8 for GCM, 0 for ChaCha.
    pub fn explicit_nonce_len(&self) -> usize {
        explicit_nonce_len(self.algorithm())
    }

    /// The record body length for `plaintext_len` bytes of plaintext.
    pub fn body_len(&self, plaintext_len: usize) -> usize {
        self.explicit_nonce_len() + plaintext_len + TAG_LEN
    }

    /// Seals a record body in place as record number `seq`. `body` is laid out as
    /// explicit nonce (its bytes are written here) ‖ plaintext ‖ room for the tag.
    ///
    /// Stateless, so crate-private: only callers that number records themselves and
    /// never repeat a number (the sealer, the rustls adapter) may use it.
    pub(crate) fn seal_body_in_place(
        &self,
        seq: u64,
        typ: u8,
        version: u16,
        body: &mut [u8],
    ) -> Result<(), Error> {
        let explicit = self.explicit_nonce_len();
        let pt_len = body
            .len()
            .checked_sub(explicit + TAG_LEN)
            .ok_or(Error::BufferTooSmall {
                needed: explicit + TAG_LEN,
                actual: body.len(),
            })?;
        check_plaintext_len("record plaintext", pt_len)?;
        let nonce = xor_nonce(&self.iv, seq);
        let (explicit_out, rest) = body.split_at_mut(explicit);
        explicit_out.copy_from_slice(&nonce[NONCE_LEN - explicit..]);
        let (pt, tag_out) = rest.split_at_mut(pt_len);
        let tag: Tag = self
            .key
            .seal_in_place(&nonce, &aad(seq, typ, version, pt_len), pt)?;
        tag_out.copy_from_slice(&tag);
        Ok(())
    }

    /// Seals a batch of record bodies in place through the key's batch call, numbered
    /// from `first_seq`, all of type `typ`: each body is explicit nonce (written here) ‖
    /// plaintext ‖ room for the tag.
    pub(crate) fn seal_bodies(
        &self,
        first_seq: u64,
        typ: u8,
        version: u16,
        bodies: Vec<&mut [u8]>,
    ) -> Result<(), Error> {
        let explicit = self.explicit_nonce_len();
        let overhead = explicit + TAG_LEN;
        // The additional data of every record, alive for the whole call.
        let aads: Vec<[u8; 13]> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| aad(first_seq + i as u64, typ, version, b.len() - overhead))
            .collect();
        let mut batch = Vec::with_capacity(bodies.len());
        for (i, (body, aad)) in bodies.into_iter().zip(&aads).enumerate() {
            let nonce = xor_nonce(&self.iv, first_seq + i as u64);
            let (explicit_out, rest) = body.split_at_mut(explicit);
            explicit_out.copy_from_slice(&nonce[NONCE_LEN - explicit..]);
            let (data, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
            batch.push(InPlace {
                nonce,
                aad,
                data,
                tag: tag.try_into().expect("TAG_LEN bytes"),
            });
        }
        self.key.seal_batch(&mut batch)
    }

    /// As [`seal_body_in_place`](Self::seal_body_in_place), but the plaintext comes from
    /// `plaintext` and is encrypted straight into `body` (explicit nonce ‖ ciphertext ‖
    /// tag, exactly that long) by the provider's out-of-place kernel: no copy first.
    pub(crate) fn seal_body_from(
        &self,
        seq: u64,
        typ: u8,
        version: u16,
        plaintext: &[u8],
        body: &mut [u8],
    ) -> Result<(), Error> {
        check_plaintext_len("record plaintext", plaintext.len())?;
        let explicit = self.explicit_nonce_len();
        let nonce = xor_nonce(&self.iv, seq);
        let (explicit_out, rest) = body.split_at_mut(explicit);
        explicit_out.copy_from_slice(&nonce[NONCE_LEN - explicit..]);
        self.key.seal(
            &nonce,
            &aad(seq, typ, version, plaintext.len()),
            plaintext,
            rest,
        )?;
        Ok(())
    }

    /// Opens a record body (explicit nonce ‖ ciphertext ‖ tag) in place as record number
    /// `seq`; returns the plaintext's range start and length within `body`. On failure
    /// `body` is wiped.
    pub fn open_body_in_place(
        &self,
        seq: u64,
        typ: u8,
        version: u16,
        body: &mut [u8],
    ) -> Result<(usize, usize), Error> {
        let result = self.open_checked(seq, typ, version, body);
        if result.is_err() {
            body.zeroize();
        }
        result
    }

    fn open_checked(
        &self,
        seq: u64,
        typ: u8,
        version: u16,
        body: &mut [u8],
    ) -> Result<(usize, usize), Error> {
        let explicit = self.explicit_nonce_len();
        let pt_len = body
            .len()
            .checked_sub(explicit + TAG_LEN)
            .ok_or(Error::InputTooShort {
                needed: explicit + TAG_LEN,
                actual: body.len(),
            })?;
        check_plaintext_len("record plaintext", pt_len)?;
        let mut nonce = xor_nonce(&self.iv, seq);
        // GCM: the record carries the explicit part; only the salt is implicit.
        nonce[NONCE_LEN - explicit..].copy_from_slice(&body[..explicit]);
        let (ct, tag) = body[explicit..].split_at_mut(pt_len);
        self.key
            .open_in_place(&nonce, &aad(seq, typ, version, pt_len), ct, tag)?;
        Ok((explicit, pt_len))
    }
}

impl fmt::Debug for Tls12Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls12Keys")
            .field("key", &self.key)
            .field("iv", &"[REDACTED]")
            .finish()
    }
}

impl Drop for Tls12Keys {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}

fn fixed_iv_len(alg: AeadAlg) -> usize {
    match alg {
        AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => GCM_FIXED_IV_LEN,
        AeadAlg::ChaCha20Poly1305 => NONCE_LEN,
    }
}

fn explicit_nonce_len(alg: AeadAlg) -> usize {
    match alg {
        AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => GCM_EXPLICIT_NONCE_LEN,
        AeadAlg::ChaCha20Poly1305 => 0,
    }
}

/// RFC 5246 §6.2.3.3 additional data.
fn aad(seq: u64, typ: u8, version: u16, len: usize) -> [u8; 13] {
    let mut a = [0u8; 13];
    a[..8].copy_from_slice(&seq.to_be_bytes());
    a[8] = typ;
    a[9..11].copy_from_slice(&version.to_be_bytes());
    a[11..].copy_from_slice(&(len as u16).to_be_bytes());
    a
}
