//! One direction of TLS records, for both versions: [`TlsSealer`] and [`TlsOpener`].
//!
//! The two versions differ only in a row of facts — where the content type goes, how
//! long an explicit nonce is, what the additional data is, how long a body may be — and
//! those live in the keys ([`TlsKeys`]). Sequence numbers, key limits and the failed
//! state are the shared [`Direction`]'s.
//!
//! The bulk path frames in place: [`TlsSealer::slots`] says where each record's content
//! goes in the wire buffer, the caller reads its data there, and
//! [`TlsSealer::seal_batch`] writes the headers, content types, padding and tags around
//! it and encrypts in place — no copy of the content. [`TlsOpener::open_buffer`] opens
//! every whole record a receive buffer holds, in place.

use std::ops::Range;

use zeroize::Zeroize;

use super::limits::{check_plaintext_len, confidentiality_limit, key_update_margin};
use super::tls12::TLS12_VERSION;
use super::tls13::{LEGACY_VERSION, OUTER_TYPE};
use super::{
    ContentType, HEADER_LEN, MAX_PLAINTEXT, MAX_TLS12_CIPHERTEXT, MAX_TLS13_CIPHERTEXT, Padding,
    Tls12Keys, Tls13Keys, header, parse_header,
};
use crate::record::{Direction, Opened, Progress, RecordError, Reservation, Ticket};
use crate::{AeadAlg, Error, TAG_LEN};

/// One direction's keys, TLS 1.3 or 1.2.
#[derive(Debug)]
pub enum TlsKeys {
    /// TLS 1.3 (RFC 8446 §5.2): the content type inside, the header as additional data.
    V13(Tls13Keys),
    /// TLS 1.2 (RFC 5288, RFC 7905): the type in the header, an explicit nonce for GCM.
    V12(Tls12Keys),
}

impl From<Tls13Keys> for TlsKeys {
    fn from(k: Tls13Keys) -> Self {
        TlsKeys::V13(k)
    }
}

impl From<Tls12Keys> for TlsKeys {
    fn from(k: Tls12Keys) -> Self {
        TlsKeys::V12(k)
    }
}

impl TlsKeys {
    /// The AEAD.
    pub fn algorithm(&self) -> AeadAlg {
        match self {
            TlsKeys::V13(k) => k.algorithm(),
            TlsKeys::V12(k) => k.algorithm(),
        }
    }

    /// 13 or 12.
    pub fn version(&self) -> u8 {
        match self {
            TlsKeys::V13(_) => 13,
            TlsKeys::V12(_) => 12,
        }
    }

    /// Where a record's content starts: after the header and any explicit nonce.
    pub fn payload_offset(&self) -> usize {
        match self {
            TlsKeys::V13(_) => HEADER_LEN,
            TlsKeys::V12(k) => HEADER_LEN + k.explicit_nonce_len(),
        }
    }

    /// Refuses a content type this version never protects: in TLS 1.3,
    /// change_cipher_spec is only ever sent in clear, and every peer (this crate's opener
    /// too) must refuse a protected one (RFC 8446 §5).
    fn check_type(&self, typ: ContentType) -> Result<(), RecordError> {
        match (self, typ) {
            (TlsKeys::V13(_), ContentType::ChangeCipherSpec) => Err(RecordError::Unexpected(
                "TLS 1.3 never protects change_cipher_spec: send it in clear",
            )),
            _ => Ok(()),
        }
    }

    fn max_body(&self) -> usize {
        match self {
            TlsKeys::V13(_) => MAX_TLS13_CIPHERTEXT,
            TlsKeys::V12(_) => MAX_TLS12_CIPHERTEXT,
        }
    }

    /// The whole record's length for `content_len` bytes (TLS 1.2 ignores padding).
    fn record_len(&self, content_len: usize, padding: Padding) -> usize {
        match self {
            TlsKeys::V13(_) => HEADER_LEN + padding.inner_len(content_len) + TAG_LEN,
            TlsKeys::V12(k) => HEADER_LEN + k.body_len(content_len),
        }
    }

    /// Seals the record laid out in `record` (exactly its length) as number `seq`: the
    /// content is already at [`payload_offset`](Self::payload_offset); the header, the
    /// content type, any padding and the tag are written around it.
    fn seal_record(
        &self,
        seq: u64,
        typ: ContentType,
        record: &mut [u8],
        content_len: usize,
    ) -> Result<(), Error> {
        let body_len = record.len() - HEADER_LEN;
        let (head, body) = record.split_at_mut(HEADER_LEN);
        match self {
            TlsKeys::V13(k) => {
                let hdr = header(OUTER_TYPE, LEGACY_VERSION, body_len);
                head.copy_from_slice(&hdr);
                let (inner, tag_out) = body.split_at_mut(body_len - TAG_LEN);
                inner[content_len] = typ.to_u8();
                // Only the padding is zeroed: the content is the caller's.
                inner[content_len + 1..].fill(0);
                let tag = k.seal_inner_in_place(seq, &hdr, inner)?;
                tag_out.copy_from_slice(&tag);
            }
            TlsKeys::V12(k) => {
                head.copy_from_slice(&header(typ.to_u8(), TLS12_VERSION, body_len));
                k.seal_body_in_place(seq, typ.to_u8(), TLS12_VERSION, body)?;
            }
        }
        Ok(())
    }

    /// Seals `content` as record `seq` into `record` (exactly its length). TLS 1.2
    /// encrypts straight from `content` with the provider's out-of-place kernel; TLS 1.3
    /// copies it into place first, since its type byte and padding follow the content
    /// inside one AEAD input.
    fn seal_record_from(
        &self,
        seq: u64,
        typ: ContentType,
        content: &[u8],
        record: &mut [u8],
    ) -> Result<(), Error> {
        match self {
            TlsKeys::V13(_) => {
                let at = self.payload_offset();
                crate::copy::copy(&mut record[at..at + content.len()], content);
                self.seal_record(seq, typ, record, content.len())
            }
            TlsKeys::V12(k) => {
                let body_len = record.len() - HEADER_LEN;
                let (head, body) = record.split_at_mut(HEADER_LEN);
                head.copy_from_slice(&header(typ.to_u8(), TLS12_VERSION, body_len));
                k.seal_body_from(seq, typ.to_u8(), TLS12_VERSION, content, body)
            }
        }
    }

    /// Opens the whole record `record` (header ‖ body, exactly) in place as number `seq`:
    /// its content type and the content's range in `record`. When the AEAD or what it
    /// decrypted fails, the body is wiped.
    fn open_record(
        &self,
        seq: u64,
        record: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), Error> {
        let (typ, version, _len) = parse_header(record, self.max_body())?;
        let (head, body) = record.split_at_mut(HEADER_LEN);
        match self {
            TlsKeys::V13(k) => {
                if typ != OUTER_TYPE {
                    return Err(Error::UnexpectedMessage(
                        "a protected TLS 1.3 record must have outer type application_data",
                    ));
                }
                let hdr: &[u8; HEADER_LEN] = (&*head).try_into().expect("split at HEADER_LEN");
                let (content_type, len) = k.open_in_place(seq, hdr, body)?;
                Ok((content_type, HEADER_LEN..HEADER_LEN + len))
            }
            TlsKeys::V12(k) => {
                let content_type = ContentType::from_u8(typ)?;
                let (start, len) = k.open_body_in_place(seq, typ, version, body)?;
                Ok((content_type, HEADER_LEN + start..HEADER_LEN + start + len))
            }
        }
    }
}

/// Writes one direction's protected TLS records (either version), numbering them.
///
/// [`Tls13Sealer`](super::Tls13Sealer) and [`Tls12Sealer`](super::Tls12Sealer) are this
/// type; the keys given to [`new`](Self::new) choose the version.
///
/// It never seals two records under one sequence number (so never repeats a nonce under
/// its key); but two sealers given the same key and IV would repeat each other's: make
/// one sealer per key.
#[derive(Debug)]
pub struct TlsSealer {
    keys: TlsKeys,
    dir: Direction,
    padding: Padding,
}

impl TlsSealer {
    /// A sealer starting at sequence number 0 (a fresh traffic key).
    pub fn new(keys: impl Into<TlsKeys>) -> Self {
        let keys = keys.into();
        let alg = keys.algorithm();
        TlsSealer {
            dir: Direction::new(alg.id(), confidentiality_limit(alg), 0, true),
            keys,
            padding: Padding::None,
        }
    }

    /// Continues at sequence number `seq` (for a connection handed over mid-stream).
    ///
    /// A number this sealer has already sealed is refused when its turn comes: moving
    /// back would repeat nonces.
    pub fn with_sequence(mut self, seq: u64) -> Self {
        self.dir.set_next(seq);
        self.dir.set_used(seq);
        self
    }

    /// Sets the TLS 1.3 padding policy (TLS 1.2 records are never padded).
    pub fn with_padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// The keys.
    pub fn keys(&self) -> &TlsKeys {
        &self.keys
    }

    /// The whole record's length (header included) for `content_len` bytes of content.
    pub fn record_len(&self, content_len: usize) -> usize {
        self.keys.record_len(content_len, self.padding)
    }

    /// Where each record's content starts within the record.
    pub fn payload_offset(&self) -> usize {
        self.keys.payload_offset()
    }

    /// Lays out a batch of records, back to back from the start of the wire buffer, with
    /// `content_lens[i]` bytes of content in record `i`: fills `slots` with where each
    /// record's content goes and returns the batch's wire length. Read the content into
    /// the slots, then call [`seal_batch`](Self::seal_batch) with the same lengths.
    pub fn slots(
        &self,
        content_lens: &[usize],
        slots: &mut Vec<Range<usize>>,
    ) -> Result<usize, RecordError> {
        slots.clear();
        let mut at = 0;
        for &len in content_lens {
            check_plaintext_len("record content", len)?;
            let start = at + self.payload_offset();
            slots.push(start..start + len);
            at += self.record_len(len);
        }
        Ok(at)
    }

    /// The batch's wire length, checking every content length and the buffer.
    fn batch_len(&self, content_lens: &[usize], wire_len: usize) -> Result<usize, RecordError> {
        let mut total = 0;
        for &len in content_lens {
            check_plaintext_len("record content", len)?;
            total += self.record_len(len);
        }
        if wire_len < total {
            return Err(RecordError::BufferTooSmall {
                needed: total,
                actual: wire_len,
            });
        }
        Ok(total)
    }

    /// Seals a batch of records of type `typ` laid out as [`slots`](Self::slots) says,
    /// their content already in place in `wire`: writes each header, content type,
    /// padding and tag, encrypts in place, and returns the wire length to write.
    ///
    /// Checks every length, the buffer and the key's limit before any cryptography; if
    /// sealing itself fails, the batch is wiped and the sealer is finished.
    pub fn seal_batch(
        &mut self,
        typ: ContentType,
        wire: &mut [u8],
        content_lens: &[usize],
    ) -> Result<usize, RecordError> {
        self.keys.check_type(typ)?;
        let total = self.batch_len(content_lens, wire.len())?;
        let first = self.dir.peek(content_lens.len() as u64)?;
        if let Err(e) = self.seal_laid_out(first, typ, &mut wire[..total], content_lens) {
            wire[..total].zeroize();
            return Err(self.dir.fail(e.into()));
        }
        self.dir.advance(content_lens.len() as u64);
        Ok(total)
    }

    /// Seals the records laid out back to back in `wire`, numbered from `first`: frames
    /// them all, then hands the whole batch to the key's batch call (which a provider may
    /// interleave).
    fn seal_laid_out(
        &self,
        first: u64,
        typ: ContentType,
        wire: &mut [u8],
        content_lens: &[usize],
    ) -> Result<(), Error> {
        let mut records = Vec::with_capacity(content_lens.len());
        let mut rest = wire;
        for &len in content_lens {
            let (record, tail) = rest.split_at_mut(self.record_len(len));
            records.push((record, len));
            rest = tail;
        }
        match &self.keys {
            TlsKeys::V13(k) => {
                for (record, len) in &mut records {
                    let body_len = record.len() - HEADER_LEN;
                    record[..HEADER_LEN].copy_from_slice(&header(
                        OUTER_TYPE,
                        LEGACY_VERSION,
                        body_len,
                    ));
                    let inner = &mut record[HEADER_LEN..HEADER_LEN + body_len - TAG_LEN];
                    inner[*len] = typ.to_u8();
                    // Only the padding is zeroed: the content is the caller's.
                    inner[*len + 1..].fill(0);
                }
                k.seal_framed_batch(first, records.into_iter().map(|(r, _)| r).collect())
            }
            TlsKeys::V12(k) => {
                let bodies = records
                    .into_iter()
                    .map(|(record, _)| {
                        let body_len = record.len() - HEADER_LEN;
                        let (head, body) = record.split_at_mut(HEADER_LEN);
                        head.copy_from_slice(&header(typ.to_u8(), TLS12_VERSION, body_len));
                        body
                    })
                    .collect();
                k.seal_bodies(first, typ.to_u8(), TLS12_VERSION, bodies)
            }
        }
    }

    /// Seals one record per slice of `contents`, from the caller's buffers straight into
    /// `wire` (TLS 1.2 through the provider's out-of-place kernel); returns the wire
    /// length. Failures as for [`seal_batch`](Self::seal_batch).
    pub fn seal_from(
        &mut self,
        typ: ContentType,
        contents: &[&[u8]],
        wire: &mut [u8],
    ) -> Result<usize, RecordError> {
        self.keys.check_type(typ)?;
        let mut total = 0;
        for c in contents {
            check_plaintext_len("record content", c.len())?;
            total += self.record_len(c.len());
        }
        if wire.len() < total {
            return Err(RecordError::BufferTooSmall {
                needed: total,
                actual: wire.len(),
            });
        }
        let first = self.dir.peek(contents.len() as u64)?;
        let mut at = 0;
        for (i, c) in contents.iter().enumerate() {
            let end = at + self.record_len(c.len());
            let sealed = self
                .keys
                .seal_record_from(first + i as u64, typ, c, &mut wire[at..end]);
            if let Err(e) = sealed {
                wire[..total].zeroize();
                return Err(self.dir.fail(e.into()));
            }
            at = end;
        }
        self.dir.advance(contents.len() as u64);
        Ok(total)
    }

    /// Appends one protected record carrying `content` of type `typ` to `out`.
    ///
    /// Content over 2^14 bytes is refused (`record_overflow`); split it first. The content
    /// is copied once, into the record; nothing is zero-filled first.
    pub fn seal(
        &mut self,
        typ: ContentType,
        content: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.keys.check_type(typ)?;
        check_plaintext_len("record content", content.len())?;
        self.dir.peek(1)?;
        let start = out.len();
        let len = self.record_len(content.len());
        out.reserve(len);
        // Header room and any explicit nonce, the content, then the rest of the record
        // (type, padding, tag), all overwritten by the seal.
        out.resize(start + self.payload_offset(), 0);
        out.extend_from_slice(content);
        out.resize(start + len, 0);
        let seq = self.dir.next();
        match self
            .keys
            .seal_record(seq, typ, &mut out[start..], content.len())
        {
            Ok(()) => {
                self.dir.advance(1);
                Ok(())
            }
            Err(e) => {
                out[start..].zeroize();
                out.truncate(start);
                self.dir.fail((&e).into());
                Err(e)
            }
        }
    }

    /// Writes one protected record into `out`; returns its length.
    pub fn seal_into(
        &mut self,
        typ: ContentType,
        content: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        check_plaintext_len("record content", content.len())?;
        self.dir.peek(1)?;
        Ok(self.seal_from(typ, &[content], out)?)
    }

    /// Reserves the next `n` sequence numbers, to be sealed by
    /// [`seal_reserved`](Self::seal_reserved) on any thread (the sealer is `Sync`) while
    /// one writer sends the records in ticket order.
    pub fn reserve(&mut self, n: usize) -> Result<Reservation, RecordError> {
        self.dir.reserve(n as u64)
    }

    /// Seals one record under a reserved sequence number: `record` is exactly
    /// [`record_len`](Self::record_len)`(content_len)` bytes with the content at
    /// [`payload_offset`](Self::payload_offset). The ticket is used up. On failure the
    /// record is wiped.
    pub fn seal_reserved(
        &self,
        ticket: Ticket,
        typ: ContentType,
        record: &mut [u8],
        content_len: usize,
    ) -> Result<usize, RecordError> {
        self.keys.check_type(typ)?;
        let seq = self.dir.redeem(&ticket)?;
        check_plaintext_len("record content", content_len)?;
        let len = self.record_len(content_len);
        if record.len() != len {
            return Err(RecordError::BufferTooSmall {
                needed: len,
                actual: record.len(),
            });
        }
        self.keys
            .seal_record(seq, typ, record, content_len)
            .map_err(|e| {
                record.zeroize();
                RecordError::from(e)
            })?;
        Ok(len)
    }

    /// True when the key nears its confidentiality limit: send a KeyUpdate (TLS 1.3) or
    /// renegotiate (TLS 1.2) now.
    pub fn needs_key_update(&self) -> bool {
        let alg = self.keys.algorithm();
        self.dir.next() >= confidentiality_limit(alg) - key_update_margin(alg)
    }

    /// The sequence number the next record will carry.
    pub fn sequence(&self) -> u64 {
        self.dir.next()
    }
}

/// Reads one direction's protected TLS records (either version), numbering them.
///
/// [`Tls13Opener`](super::Tls13Opener) and [`Tls12Opener`](super::Tls12Opener) are this
/// type. A record that fails to open — a bad tag, a hostile length, a bad type or inner
/// plaintext — ends the connection (RFC 8446 §5.2): every later call returns the same
/// error. A buffer given to [`open`](Self::open) that is not exactly one record is the
/// caller's framing and is reported without that.
#[derive(Debug)]
pub struct TlsOpener {
    keys: TlsKeys,
    dir: Direction,
}

impl TlsOpener {
    /// An opener starting at sequence number 0.
    pub fn new(keys: impl Into<TlsKeys>) -> Self {
        let keys = keys.into();
        TlsOpener {
            dir: Direction::new(keys.algorithm().id(), u64::MAX, 0, false),
            keys,
        }
    }

    /// Continues at sequence number `seq`.
    pub fn with_sequence(mut self, seq: u64) -> Self {
        self.dir.set_next(seq);
        self
    }

    /// The keys.
    pub fn keys(&self) -> &TlsKeys {
        &self.keys
    }

    /// Opens one whole record (header ‖ body, exactly) in place and returns its content
    /// type and content, which lies inside `record`. On failure the body is wiped, the
    /// sequence number does not advance, and the opener is finished unless `record`
    /// simply was not one whole record.
    pub fn open<'a>(&mut self, record: &'a mut [u8]) -> Result<(ContentType, &'a mut [u8]), Error> {
        let (typ, range) = self.open_one(record)?;
        Ok((typ, &mut record[range]))
    }

    fn open_one(&mut self, record: &mut [u8]) -> Result<(ContentType, Range<usize>), Error> {
        let seq = self.dir.peek(1)?;
        // A buffer that is not exactly one record, as its length field says, is the
        // caller's framing and ends nothing; a hostile length is a bad record.
        match parse_header(record, self.keys.max_body()) {
            Err(e @ Error::Malformed(_)) => return Err(e),
            Err(e) => return Err(self.fail(e)),
            Ok(_) => {}
        }
        match self.keys.open_record(seq, record) {
            Ok(opened) => {
                self.dir.advance(1);
                Ok(opened)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// A record failed: the connection is over (RFC 8446 §5.2, RFC 5246 §7.2.2), so
    /// every later record gets the same error — a caller that retried would otherwise
    /// give a forger unlimited attempts at one nonce.
    fn fail(&mut self, e: Error) -> Error {
        self.dir.fail((&e).into());
        e
    }

    /// Opens every whole record at the front of `buf` in place, appending each one's
    /// content type and content range (within `buf`) to `opened`, and says how much of
    /// `buf` it used and how many more bytes the next record needs.
    ///
    /// Stops after any record that is not application data (a KeyUpdate or alert may
    /// change what follows). A bad header or a record that fails ends the connection:
    /// that record is wiped, and nothing past it is touched.
    pub fn open_buffer(
        &mut self,
        buf: &mut [u8],
        opened: &mut Vec<Opened>,
    ) -> Result<Progress, RecordError> {
        self.open_buffer_at_most(buf, opened, usize::MAX)
    }

    /// [`open_buffer`](Self::open_buffer), opening at most `max` records (a caller's
    /// fixed array of results): on reaching it, stops with `needed` 0.
    pub fn open_buffer_at_most(
        &mut self,
        buf: &mut [u8],
        opened: &mut Vec<Opened>,
        max: usize,
    ) -> Result<Progress, RecordError> {
        let mut pos = 0;
        for _ in 0..max {
            let rest = buf.len() - pos;
            if rest < HEADER_LEN {
                return Ok(Progress {
                    consumed: pos,
                    needed: HEADER_LEN - rest,
                });
            }
            let len = usize::from(u16::from_be_bytes([buf[pos + 3], buf[pos + 4]]));
            if len > self.keys.max_body() {
                return Err(self.dir.fail(RecordError::Overflow {
                    what: "protected record body",
                    length: len,
                    max: self.keys.max_body(),
                }));
            }
            let total = HEADER_LEN + len;
            if rest < total {
                return Ok(Progress {
                    consumed: pos,
                    needed: total - rest,
                });
            }
            let record = &mut buf[pos..pos + total];
            let (typ, range) = self.open_one(record).map_err(|e| {
                record[HEADER_LEN..].zeroize();
                self.dir.fail((&e).into())
            })?;
            opened.push(Opened {
                kind: typ.to_u8(),
                payload: pos + range.start..pos + range.end,
            });
            pos += total;
            if typ != ContentType::ApplicationData {
                break;
            }
        }
        Ok(Progress {
            consumed: pos,
            needed: 0,
        })
    }

    /// The sequence number the next record must carry.
    pub fn sequence(&self) -> u64 {
        self.dir.next()
    }
}

const _: () = assert!(MAX_PLAINTEXT + 1 + TAG_LEN <= MAX_TLS13_CIPHERTEXT);
