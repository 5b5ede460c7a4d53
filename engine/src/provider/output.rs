//! A fixed-capacity MAC or digest value.

use std::fmt;

/// Largest output: SHA-512 and HMAC-SHA-512.
const MAX_OUTPUT: usize = 64;

/// A MAC or hash output of up to 64 bytes, held without allocation.
///
/// MACs and digests are public values once sent, so `Debug` shows them in hex; but a
/// MAC being checked is not, so `==` compares in constant time (a byte-by-byte early
/// exit would tell a forger how many leading bytes are right).
#[derive(Clone, Copy)]
pub struct Output {
    bytes: [u8; MAX_OUTPUT],
    len: usize,
}

impl Output {
    /// Copies `value` (at most 64 bytes).
    ///
    /// # Panics
    /// When `value` is longer than 64 bytes; every catalogue algorithm fits.
    pub fn new(value: &[u8]) -> Self {
        let mut bytes = [0; MAX_OUTPUT];
        bytes[..value.len()].copy_from_slice(value);
        Output {
            bytes,
            len: value.len(),
        }
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl PartialEq for Output {
    /// Constant time in the contents; only the lengths may decide early.
    fn eq(&self, other: &Output) -> bool {
        crate::ct::bytes_eq(self.as_ref(), other.as_ref())
    }
}

impl Eq for Output {}

impl AsRef<[u8]> for Output {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Output(")?;
        for b in self.as_ref() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}
