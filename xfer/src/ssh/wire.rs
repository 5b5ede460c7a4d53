//! RFC 4251 §5 data types on the wire, and the message and reason numbers of RFC 4250.
//!
//! Writing goes through `ssh-encoding` ([`Encode`]); reading borrows from the packet
//! (`CHANNEL_DATA` payloads are not copied on the way through), so [`Reader`] is a small
//! cursor of its own. Every read is bounded by the bytes actually present.

use ssh_encoding::Encode;
use ssh_key::Mpint;

use super::error::{Result, SshError};

/// Message numbers (RFC 4250 §4.1, RFC 8308, RFC 5656).
#[allow(missing_docs)]
pub mod msg {
    pub const DISCONNECT: u8 = 1;
    pub const IGNORE: u8 = 2;
    pub const UNIMPLEMENTED: u8 = 3;
    pub const DEBUG: u8 = 4;
    pub const SERVICE_REQUEST: u8 = 5;
    pub const SERVICE_ACCEPT: u8 = 6;
    pub const EXT_INFO: u8 = 7;
    pub const KEXINIT: u8 = 20;
    pub const NEWKEYS: u8 = 21;
    pub const KEX_ECDH_INIT: u8 = 30;
    pub const KEX_ECDH_REPLY: u8 = 31;
    pub const USERAUTH_REQUEST: u8 = 50;
    pub const USERAUTH_FAILURE: u8 = 51;
    pub const USERAUTH_SUCCESS: u8 = 52;
    pub const USERAUTH_BANNER: u8 = 53;
    pub const USERAUTH_PK_OK: u8 = 60;
    pub const GLOBAL_REQUEST: u8 = 80;
    pub const REQUEST_SUCCESS: u8 = 81;
    pub const REQUEST_FAILURE: u8 = 82;
    pub const CHANNEL_OPEN: u8 = 90;
    pub const CHANNEL_OPEN_CONFIRMATION: u8 = 91;
    pub const CHANNEL_OPEN_FAILURE: u8 = 92;
    pub const CHANNEL_WINDOW_ADJUST: u8 = 93;
    pub const CHANNEL_DATA: u8 = 94;
    pub const CHANNEL_EXTENDED_DATA: u8 = 95;
    pub const CHANNEL_EOF: u8 = 96;
    pub const CHANNEL_CLOSE: u8 = 97;
    pub const CHANNEL_REQUEST: u8 = 98;
    pub const CHANNEL_SUCCESS: u8 = 99;
    pub const CHANNEL_FAILURE: u8 = 100;

    /// True for the messages of the key exchange itself (RFC 4253 §7: 20–49).
    pub fn is_kex(m: u8) -> bool {
        (20..=49).contains(&m)
    }
}

/// DISCONNECT reason codes (RFC 4253 §11.1).
#[allow(missing_docs)]
pub mod disconnect {
    pub const PROTOCOL_ERROR: u32 = 2;
    pub const KEY_EXCHANGE_FAILED: u32 = 3;
    pub const MAC_ERROR: u32 = 5;
    pub const SERVICE_NOT_AVAILABLE: u32 = 7;
    pub const PROTOCOL_VERSION_NOT_SUPPORTED: u32 = 8;
    pub const HOST_KEY_NOT_VERIFIABLE: u32 = 9;
    pub const CONNECTION_LOST: u32 = 10;
    pub const BY_APPLICATION: u32 = 11;
    pub const TOO_MANY_CONNECTIONS: u32 = 12;
    pub const NO_MORE_AUTH_METHODS_AVAILABLE: u32 = 14;
}

/// Builds one message payload.
#[derive(Debug, Default)]
pub struct Writer(Vec<u8>);

impl Writer {
    /// A payload starting with message number `m`.
    pub fn msg(m: u8) -> Self {
        Writer(vec![m])
    }

    /// A writer with nothing in it yet (for hash inputs).
    pub fn new() -> Self {
        Writer(Vec::new())
    }

    fn put<E: Encode + ?Sized>(mut self, v: &E) -> Self {
        // Encoding into a Vec only fails on lengths over 4 GiB, which no caller builds.
        v.encode(&mut self.0).expect("RFC 4251 encoding into a Vec");
        self
    }

    /// A `byte`.
    pub fn u8(self, v: u8) -> Self {
        self.put(&v)
    }

    /// A `boolean`.
    pub fn bool(self, v: bool) -> Self {
        self.put(&u8::from(v))
    }

    /// A `uint32`.
    pub fn u32(self, v: u32) -> Self {
        self.put(&v)
    }

    /// A `string` of raw bytes.
    pub fn string(self, v: &[u8]) -> Self {
        self.put(v)
    }

    /// A `string` of text.
    pub fn str(self, v: &str) -> Self {
        self.put(&v)
    }

    /// A `name-list`.
    pub fn names<S: AsRef<str>>(self, names: &[S]) -> Self {
        let joined = names
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(",");
        self.str(&joined)
    }

    /// An `mpint` from an unsigned big-endian magnitude.
    pub fn mpint(self, magnitude: &[u8]) -> Self {
        let m = Mpint::from_positive_bytes(magnitude).expect("mpint from bytes");
        self.put(&m)
    }

    /// Raw bytes, no length prefix.
    pub fn raw(mut self, v: &[u8]) -> Self {
        self.0.extend_from_slice(v);
        self
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// Reads one message payload, borrowing strings from it.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

fn short(what: &str) -> SshError {
    SshError::protocol(format!("message truncated while reading {what}"))
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(short(what));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// A `byte`.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1, "a byte")?[0])
    }

    /// A `boolean` (any nonzero byte is true, RFC 4251 §5).
    pub fn bool(&mut self) -> Result<bool> {
        Ok(self.u8()? != 0)
    }

    /// A `uint32`.
    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4, "a uint32")?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A `string`, borrowed.
    pub fn string(&mut self) -> Result<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len, "a string")
    }

    /// A `string` that must be UTF-8 text.
    pub fn str(&mut self) -> Result<&'a str> {
        std::str::from_utf8(self.string()?)
            .map_err(|_| SshError::protocol("a text field is not UTF-8"))
    }

    /// A `name-list`.
    pub fn names(&mut self) -> Result<Vec<&'a str>> {
        let s = self.str()?;
        Ok(if s.is_empty() {
            Vec::new()
        } else {
            s.split(',').collect()
        })
    }

    /// Fails unless every byte was read.
    pub fn end(&self) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(SshError::protocol("trailing bytes after a message"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_every_type() {
        let bytes = Writer::msg(msg::KEXINIT)
            .u32(7)
            .bool(true)
            .str("abc")
            .names(&["a", "b"])
            .mpint(&[0x80, 1])
            .finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8().unwrap(), 20);
        assert_eq!(r.u32().unwrap(), 7);
        assert!(r.bool().unwrap());
        assert_eq!(r.str().unwrap(), "abc");
        assert_eq!(r.names().unwrap(), ["a", "b"]);
        // mpint with the high bit set gets a leading zero byte (RFC 4251 §5).
        assert_eq!(r.string().unwrap(), [0, 0x80, 1]);
        r.end().unwrap();
    }

    #[test]
    fn hostile_lengths_are_errors() {
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, 1]);
        assert!(matches!(r.string(), Err(SshError::Protocol(_))));
        assert!(Reader::new(&[0, 0]).u32().is_err());
    }
}
