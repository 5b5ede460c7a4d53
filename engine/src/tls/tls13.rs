//! TLS 1.3 record protection (RFC 8446 §5.2–5.5).
//!
//! A protected record is `23 ‖ 0x0303 ‖ length ‖ AEAD(content ‖ type ‖ zeros)`, sealed
//! under nonce = IV XOR sequence number with the 5-byte header as additional data.

use std::fmt;

use zeroize::Zeroize;

use super::counter::{ReceiveState, SendCounter, next_receive};
use super::limits::check_plaintext_len;
use super::{ContentType, HEADER_LEN, MAX_PLAINTEXT, MAX_TLS13_CIPHERTEXT, header, xor_nonce};
use crate::algorithm::AeadAlg;
use crate::{AeadKey, Engine, Error, NONCE_LEN, TAG_LEN, Tag};

/// The outer content type and legacy version of every protected TLS 1.3 record.
const OUTER_TYPE: u8 = 23;
const LEGACY_VERSION: u16 = 0x0303;

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
    key: Box<dyn AeadKey>,
    iv: [u8; NONCE_LEN],
}

impl Tls13Keys {
    /// Keys for `alg` from the engine's selected provider. `iv` is the 12-byte
    /// `[sender]_write_iv`.
    pub fn new(engine: &Engine, alg: AeadAlg, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Self::from_key(engine.protocol_aead(alg, key)?, iv)
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
    fn inner_len(self, content_len: usize) -> usize {
        let unpadded = content_len + 1;
        match self {
            Padding::None | Padding::Multiple(0) => unpadded,
            Padding::Multiple(n) => unpadded.next_multiple_of(n).min(MAX_PLAINTEXT + 1),
        }
    }
}

/// Writes protected TLS 1.3 records for one direction, numbering them itself.
///
/// It never seals two records under one sequence number (so never repeats a nonce under
/// its key); but two sealers given the same key and IV would repeat each other's: make
/// one sealer per key.
#[derive(Debug)]
pub struct Tls13Sealer {
    keys: Tls13Keys,
    counter: SendCounter,
    padding: Padding,
}

impl Tls13Sealer {
    /// A sealer starting at sequence number 0 (a fresh traffic key).
    pub fn new(keys: Tls13Keys) -> Self {
        let alg = keys.algorithm();
        Tls13Sealer {
            keys,
            counter: SendCounter::new(alg, 0),
            padding: Padding::None,
        }
    }

    /// Continues at sequence number `seq` (for a connection handed over mid-stream).
    ///
    /// A number this sealer has already sealed is refused when its turn comes: moving
    /// back would repeat nonces.
    pub fn with_sequence(mut self, seq: u64) -> Self {
        self.counter.resume_at(seq);
        self
    }

    /// Sets the padding policy.
    pub fn with_padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// The whole record's length (header included) for `content_len` bytes of content.
    pub fn record_len(&self, content_len: usize) -> usize {
        HEADER_LEN + self.padding.inner_len(content_len) + TAG_LEN
    }

    /// Appends one protected record carrying `content` of type `typ` to `out`.
    ///
    /// Content over 2^14 bytes is refused (`record_overflow`); split it first.
    pub fn seal(
        &mut self,
        typ: ContentType,
        content: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let len = self.record_len(content.len().min(MAX_PLAINTEXT + 1));
        crate::copy::append_with(out, len, |buf| self.seal_into(typ, content, buf))
    }

    /// Writes one protected record into `out`; returns its length. On failure nothing
    /// is left in `out` (what was written is wiped) and the sequence number is unchanged.
    pub fn seal_into(
        &mut self,
        typ: ContentType,
        content: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        check_plaintext_len("record content", content.len())?;
        // RFC 8446 §5: change_cipher_spec is only ever sent unprotected, and every peer
        // (this crate's opener too) must refuse a protected one.
        if typ == ContentType::ChangeCipherSpec {
            return Err(Error::UnexpectedMessage(
                "TLS 1.3 never protects change_cipher_spec: send it in clear",
            ));
        }
        let seq = self.counter.next()?;
        let inner_len = self.padding.inner_len(content.len());
        let total = HEADER_LEN + inner_len + TAG_LEN;
        let actual = out.len();
        let out = out.get_mut(..total).ok_or(Error::BufferTooSmall {
            needed: total,
            actual,
        })?;
        let result = self.seal_record(typ, seq, content, out);
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
        content: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let inner_len = out.len() - HEADER_LEN - TAG_LEN;
        let (head, rest) = out.split_at_mut(HEADER_LEN);
        let (inner, tag_out) = rest.split_at_mut(inner_len);
        let hdr = header(OUTER_TYPE, LEGACY_VERSION, inner_len + TAG_LEN);
        head.copy_from_slice(&hdr);
        crate::copy::copy(&mut inner[..content.len()], content);
        inner[content.len()] = typ.to_u8();
        inner[content.len() + 1..].fill(0);
        let tag = self.keys.seal_inner_in_place(seq, &hdr, inner)?;
        tag_out.copy_from_slice(&tag);
        self.counter.advance();
        Ok(())
    }

    /// True when the key nears its confidentiality limit: send a KeyUpdate now.
    pub fn needs_key_update(&self) -> bool {
        self.counter.needs_key_update()
    }

    /// The sequence number the next record will carry.
    pub fn sequence(&self) -> u64 {
        self.counter.seq()
    }
}

/// Reads protected TLS 1.3 records for one direction, numbering them itself.
///
/// A record that fails to open — a bad tag, a hostile length, a bad inner plaintext —
/// ends the connection (RFC 8446 §5.2): every later [`open`](Self::open) returns the
/// same error. A buffer that does not hold exactly one record, as its length field
/// says, is the caller's framing and is reported without that.
#[derive(Debug)]
pub struct Tls13Opener {
    keys: Tls13Keys,
    seq: u64,
    state: ReceiveState,
}

impl Tls13Opener {
    /// An opener starting at sequence number 0.
    pub fn new(keys: Tls13Keys) -> Self {
        Tls13Opener {
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

    /// Opens one whole record (header ‖ body) in place and returns its content type and
    /// content, which lies inside `record`. On failure `record` is wiped past its header
    /// and the sequence number does not advance; the opener is finished unless `record`
    /// simply was not one whole record.
    pub fn open<'a>(&mut self, record: &'a mut [u8]) -> Result<(ContentType, &'a mut [u8]), Error> {
        self.state.check()?;
        let (typ, _version, _len) = self.state.parse_header(record, MAX_TLS13_CIPHERTEXT)?;
        if typ != OUTER_TYPE {
            return Err(self.state.fail(Error::UnexpectedMessage(
                "a protected TLS 1.3 record must have outer type application_data",
            )));
        }
        let next = next_receive(self.seq)?;
        let (head, body) = record.split_at_mut(HEADER_LEN);
        let hdr: &[u8; HEADER_LEN] = (&*head).try_into().expect("split at HEADER_LEN");
        let (content_type, len) = self
            .keys
            .open_in_place(self.seq, hdr, body)
            .map_err(|e| self.state.fail(e))?;
        self.seq = next;
        Ok((content_type, &mut body[..len]))
    }

    /// The sequence number the next record must carry.
    pub fn sequence(&self) -> u64 {
        self.seq
    }
}
