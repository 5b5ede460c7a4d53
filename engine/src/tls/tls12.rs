//! TLS 1.2 AEAD record protection: AES-GCM with an 8-byte explicit nonce (RFC 5288) and
//! ChaCha20-Poly1305 with an implicit nonce (RFC 7905).
//!
//! Additional data is `seq ‖ type ‖ version ‖ plaintext length` (RFC 5246 §6.2.3.3).

use std::fmt;

use zeroize::Zeroize;

use super::counter::{ReceiveState, SendCounter, next_receive};
use super::limits::check_plaintext_len;
use super::{ContentType, HEADER_LEN, MAX_PLAINTEXT, MAX_TLS12_CIPHERTEXT, header, xor_nonce};
use crate::algorithm::AeadAlg;
use crate::{AeadKey, Engine, Error, NONCE_LEN, TAG_LEN, Tag};

/// The record version of TLS 1.2.
const TLS12_VERSION: u16 = 0x0303;
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
    key: Box<dyn AeadKey>,
    /// GCM: salt ‖ 8 bytes XORed with the sequence number to make the explicit nonce
    /// (zero unless a caller supplies them). ChaCha20-Poly1305: the 12-byte IV.
    iv: [u8; NONCE_LEN],
}

impl Tls12Keys {
    /// Keys for `alg` from the engine's selected provider. `iv` is the key block's
    /// `[sender]_write_IV`: 4 bytes for AES-GCM, 12 for ChaCha20-Poly1305.
    pub fn new(engine: &Engine, alg: AeadAlg, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Self::from_key(engine.protocol_aead(alg, key)?, iv, &[])
    }

    /// Keys from an already keyed AEAD. For AES-GCM, `explicit_mask` (empty or 8 bytes) is
    /// XORed with the sequence number to form each explicit nonce; empty means the
    /// explicit nonce is the sequence number itself, as most implementations send.
    pub fn from_key(key: Box<dyn AeadKey>, iv: &[u8], explicit_mask: &[u8]) -> Result<Self, Error> {
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

/// Writes protected TLS 1.2 records for one direction, numbering them itself.
///
/// It never seals two records under one sequence number (so never repeats a nonce under
/// its key); but two sealers given the same key and IV would repeat each other's: make
/// one sealer per key.
#[derive(Debug)]
pub struct Tls12Sealer {
    keys: Tls12Keys,
    counter: SendCounter,
}

impl Tls12Sealer {
    /// A sealer starting at sequence number 0 (the first record after ChangeCipherSpec).
    pub fn new(keys: Tls12Keys) -> Self {
        let alg = keys.algorithm();
        Tls12Sealer {
            keys,
            counter: SendCounter::new(alg, 0),
        }
    }

    /// Continues at sequence number `seq`.
    ///
    /// A number this sealer has already sealed is refused when its turn comes: moving
    /// back would repeat nonces.
    pub fn with_sequence(mut self, seq: u64) -> Self {
        self.counter.resume_at(seq);
        self
    }

    /// The whole record's length (header included) for `len` bytes of plaintext.
    pub fn record_len(&self, len: usize) -> usize {
        HEADER_LEN + self.keys.body_len(len)
    }

    /// Appends one protected record carrying `plaintext` of type `typ` to `out`.
    pub fn seal(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let len = self.record_len(plaintext.len().min(MAX_PLAINTEXT + 1));
        crate::copy::append_with(out, len, |buf| self.seal_into(typ, plaintext, buf))
    }

    /// Writes one protected record into `out`; returns its length. On failure nothing
    /// is left in `out` (what was written is wiped) and the sequence number is unchanged.
    pub fn seal_into(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        check_plaintext_len("record plaintext", plaintext.len())?;
        let seq = self.counter.next()?;
        let body_len = self.keys.body_len(plaintext.len());
        let total = HEADER_LEN + body_len;
        let actual = out.len();
        let out = out.get_mut(..total).ok_or(Error::BufferTooSmall {
            needed: total,
            actual,
        })?;
        let result = self.seal_record(typ, seq, plaintext, out);
        if result.is_err() {
            // Never leave the header and plaintext where the caller expects a record.
            zeroize::Zeroize::zeroize(out);
        }
        result.map(|()| total)
    }

    fn seal_record(
        &mut self,
        typ: ContentType,
        seq: u64,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let body_len = out.len() - HEADER_LEN;
        out[..HEADER_LEN].copy_from_slice(&header(typ.to_u8(), TLS12_VERSION, body_len));
        let explicit = self.keys.explicit_nonce_len();
        crate::copy::copy(
            &mut out[HEADER_LEN + explicit..][..plaintext.len()],
            plaintext,
        );
        self.keys
            .seal_body_in_place(seq, typ.to_u8(), TLS12_VERSION, &mut out[HEADER_LEN..])?;
        self.counter.advance();
        Ok(())
    }

    /// True when the key nears its confidentiality limit: renegotiate or close now.
    pub fn needs_key_update(&self) -> bool {
        self.counter.needs_key_update()
    }

    /// The sequence number the next record will carry.
    pub fn sequence(&self) -> u64 {
        self.counter.seq()
    }
}

/// Reads protected TLS 1.2 records for one direction, numbering them itself.
///
/// A record that fails to open ends the connection (RFC 5246 §7.2.2, bad_record_mac is
/// fatal): every later [`open`](Self::open) returns the same error. A buffer that does
/// not hold exactly one record, as its length field says, is the caller's framing and
/// is reported without that.
#[derive(Debug)]
pub struct Tls12Opener {
    keys: Tls12Keys,
    seq: u64,
    state: ReceiveState,
}

impl Tls12Opener {
    /// An opener starting at sequence number 0.
    pub fn new(keys: Tls12Keys) -> Self {
        Tls12Opener {
            keys,
            seq: 0,
            state: ReceiveState::default(),
        }
    }

    /// Continues at sequence number `seq`.
    pub fn with_sequence(mut self, seq: u64) -> Self {
        self.seq = seq;
        self
    }

    /// Opens one whole record (header ‖ body) in place; returns its content type and
    /// plaintext, which lies inside `record`. On failure the body is wiped and the
    /// sequence number does not advance; the opener is finished unless `record` simply
    /// was not one whole record.
    pub fn open<'a>(&mut self, record: &'a mut [u8]) -> Result<(ContentType, &'a mut [u8]), Error> {
        self.state.check()?;
        let (typ, version, _len) = self.state.parse_header(record, MAX_TLS12_CIPHERTEXT)?;
        let content_type = ContentType::from_u8(typ).map_err(|e| self.state.fail(e))?;
        let next = next_receive(self.seq)?;
        let body = &mut record[HEADER_LEN..];
        let (start, len) = self
            .keys
            .open_body_in_place(self.seq, typ, version, body)
            .map_err(|e| self.state.fail(e))?;
        self.seq = next;
        Ok((content_type, &mut body[start..start + len]))
    }

    /// The sequence number the next record must carry.
    pub fn sequence(&self) -> u64 {
        self.seq
    }
}
