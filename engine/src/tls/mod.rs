//! TLS record protection on the engine: TLS 1.3 (RFC 8446 §5.2–5.5) and TLS 1.2 AEAD
//! records (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305).
//!
//! Two layers, one piece of record code:
//!
//! * the *keys* ([`Tls13Keys`], [`Tls12Keys`]) are stateless: they seal and open one
//!   record at a given sequence number. Stateless sealing is crate-private — a caller
//!   choosing sequence numbers could choose one twice and repeat a nonce — and serves
//!   the rustls adapter, since rustls keeps its own sequence numbers.
//! * the *sealer* and *opener* ([`Tls13Sealer`], [`Tls13Opener`], [`Tls12Sealer`],
//!   [`Tls12Opener`]) own a direction's sequence number, enforce the key's usage limits,
//!   and read and write whole records with their 5-byte headers — the form a C program
//!   with its own handshake uses. A sealer never seals two records under one sequence
//!   number: it refuses a number not above the last one it sealed.
//!   [`Tls13Keys::from_traffic_secret`] derives the key and IV inside the engine.
//!
//! Every length is checked before any cryptography runs; an open that fails releases no
//! plaintext (the record buffer is wiped).

mod key_schedule;
mod limits;
mod record;
#[cfg(feature = "rustls")]
pub mod rustls_provider;
mod tls12;
mod tls13;

pub use limits::{
    HEADER_LEN, MAX_PLAINTEXT, MAX_TLS12_CIPHERTEXT, MAX_TLS13_CIPHERTEXT, confidentiality_limit,
};
pub use record::{TlsKeys, TlsOpener, TlsSealer};
pub use tls12::Tls12Keys;
pub use tls13::{Padding, Tls13Keys};

/// Writes TLS 1.3 records: a [`TlsSealer`] made from [`Tls13Keys`].
pub type Tls13Sealer = TlsSealer;
/// Reads TLS 1.3 records: a [`TlsOpener`] made from [`Tls13Keys`].
pub type Tls13Opener = TlsOpener;
/// Writes TLS 1.2 records: a [`TlsSealer`] made from [`Tls12Keys`].
pub type Tls12Sealer = TlsSealer;
/// Reads TLS 1.2 records: a [`TlsOpener`] made from [`Tls12Keys`].
pub type Tls12Opener = TlsOpener;

use crate::Error;

/// The record content types of RFC 8446 §5.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// change_cipher_spec (20).
    ChangeCipherSpec,
    /// alert (21).
    Alert,
    /// handshake (22).
    Handshake,
    /// application_data (23).
    ApplicationData,
}

impl ContentType {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
        }
    }

    /// The content type with wire value `v`.
    pub fn from_u8(v: u8) -> Result<Self, Error> {
        match v {
            20 => Ok(ContentType::ChangeCipherSpec),
            21 => Ok(ContentType::Alert),
            22 => Ok(ContentType::Handshake),
            23 => Ok(ContentType::ApplicationData),
            _ => Err(Error::UnexpectedMessage("unknown record content type")),
        }
    }
}

/// The 5-byte record header: type, legacy version, length.
pub(crate) fn header(typ: u8, version: u16, len: usize) -> [u8; HEADER_LEN] {
    let v = version.to_be_bytes();
    let l = (len as u16).to_be_bytes();
    [typ, v[0], v[1], l[0], l[1]]
}

/// Splits a record into its header fields and body, checking the length field against
/// the bytes present and against `max_body`.
pub(crate) fn parse_header(record: &[u8], max_body: usize) -> Result<(u8, u16, usize), Error> {
    if record.len() < HEADER_LEN {
        return Err(Error::Malformed("record shorter than its 5-byte header"));
    }
    let typ = record[0];
    let version = u16::from_be_bytes([record[1], record[2]]);
    let len = usize::from(u16::from_be_bytes([record[3], record[4]]));
    if len > max_body {
        return Err(Error::RecordOverflow {
            what: "protected record body",
            length: len,
            max: max_body,
        });
    }
    if record.len() - HEADER_LEN != len {
        return Err(Error::Malformed(
            "record length field does not match the bytes given",
        ));
    }
    Ok((typ, version, len))
}

/// `iv` XOR the big-endian sequence number, right-aligned (RFC 8446 §5.3, RFC 7905 §2).
pub(crate) fn xor_nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut nonce = *iv;
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    nonce
}

#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod rfc8448;
#[cfg(test)]
mod tests;
