//! What is measured: the operations per kind of algorithm, and the inputs every
//! implementation gets (keys, nonces, associated data, message bytes).

use std::fmt;
use std::ops::{Deref, DerefMut};

use wirecrypt::Algorithm;

/// One operation of one algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// AEAD: encrypt in place and compute the tag.
    Seal,
    /// AEAD: verify and decrypt a real sealed message into a separate buffer.
    Open,
    /// Stream cipher: XOR the next keystream bytes into the buffer in place.
    Encrypt,
    /// MAC: compute the tag of the buffer.
    Sign,
    /// MAC: check a real tag over the buffer.
    Verify,
    /// Hash: the digest of the buffer (fresh context each time).
    Digest,
}

impl Op {
    /// The operations measured for `alg`, in display order.
    pub fn for_algorithm(alg: Algorithm) -> &'static [Op] {
        match alg {
            Algorithm::Aead(_) => &[Op::Seal, Op::Open],
            Algorithm::Cipher(_) => &[Op::Encrypt],
            Algorithm::Mac(_) => &[Op::Sign, Op::Verify],
            Algorithm::Hash(_) => &[Op::Digest],
        }
    }

    /// The name used in the table and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Seal => "seal",
            Op::Open => "open",
            Op::Encrypt => "encrypt",
            Op::Sign => "sign",
            Op::Verify => "verify",
            Op::Digest => "digest",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Associated data for every AEAD measurement: 13 bytes, the TLS 1.2 record AAD and what
/// `openssl speed -aead` uses, so every implementation does the same work.
pub const AAD: [u8; 13] = [0xcc; 13];

/// The fixed nonce of the message that `open` measurements open again and again.
pub const OPEN_NONCE: [u8; 12] = [0x5a; 12];

/// A test key of `len` bytes (a fixed pattern: the data does not affect the speed).
pub fn key(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(1))
        .collect()
}

/// A message of `len` bytes (a fixed pattern), cache-line aligned.
pub fn message(len: usize) -> Aligned {
    let mut buf = Aligned::zeroed(len);
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    buf
}

/// The alignment of every buffer measured: one cache line.
pub const ALIGN: usize = 64;

/// A heap buffer whose first byte sits on a 64-byte boundary.
///
/// Every buffer in a measurement is one of these, so that copies (an `open` copies the
/// sealed message into its working buffer) always run between mutually aligned buffers.
/// Plain `Vec`s are only 16-byte aligned, and on the development machine (Xeon, KVM)
/// glibc's `memcpy` of 4–64 KiB runs at ~1.7 GB/s instead of ~50 GB/s when source and
/// destination are 16 bytes apart modulo 64 — a difference that would otherwise come and
/// go with the heap's layout from run to run.
#[derive(Clone)]
pub struct Aligned {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl Aligned {
    /// `len` zero bytes.
    pub fn zeroed(len: usize) -> Aligned {
        let storage = vec![0u8; len + ALIGN - 1];
        // The Vec is never resized, so its bytes never move and the offset stays valid.
        let start = storage.as_ptr().align_offset(ALIGN).min(ALIGN - 1);
        Aligned {
            storage,
            start,
            len,
        }
    }
}

impl Deref for Aligned {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl DerefMut for Aligned {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

/// A 16-byte initial counter block for the CTR ciphers.
pub const CTR_IV: [u8; 16] = [0; 16];

/// The nonce for seal number `counter`: four zero bytes then the big-endian counter,
/// so no nonce repeats under a key within a run.
pub fn seal_nonce(counter: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&counter.to_be_bytes());
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_follow_the_kind() {
        assert_eq!(
            Op::for_algorithm("aes-256-gcm".parse().unwrap()),
            &[Op::Seal, Op::Open]
        );
        assert_eq!(
            Op::for_algorithm("hmac-sha256".parse().unwrap()),
            &[Op::Sign, Op::Verify]
        );
        assert_eq!(
            Op::for_algorithm("aes-128-ctr".parse().unwrap()),
            &[Op::Encrypt]
        );
        assert_eq!(Op::for_algorithm("sha512".parse().unwrap()), &[Op::Digest]);
        assert_eq!(serde_json::to_string(&Op::Open).unwrap(), "\"open\"");
    }

    #[test]
    fn nonces_differ_per_counter() {
        assert_ne!(seal_nonce(1), seal_nonce(2));
        assert_eq!(seal_nonce(0x0102)[10..], [1, 2]);
        assert_eq!(key(3), vec![1, 8, 15]);
        assert_eq!(message(300)[251], 0);
    }

    #[test]
    fn buffers_are_cache_line_aligned() {
        for len in [0, 1, 64, 16384, 16400] {
            let buf = Aligned::zeroed(len);
            assert_eq!(buf.len(), len);
            assert_eq!(buf.as_ptr() as usize % ALIGN, 0, "{len}");
            assert!(buf.iter().all(|&b| b == 0));
            assert_eq!(message(len).as_ptr() as usize % ALIGN, 0);
        }
    }
}
