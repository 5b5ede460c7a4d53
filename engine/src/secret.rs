//! Secret byte strings: zeroized on drop, never printed.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Key material. Zeroized when dropped; `Debug` shows only the length.
///
/// Secrets cannot be compared with `==` (a derived comparison exits at the first
/// differing byte); compare [`expose`](Self::expose)d bytes in constant time if ever
/// needed.
///
/// ```compile_fail
/// use wirecrypt::SecretBytes;
/// let equal = SecretBytes::new(b"k") == SecretBytes::new(b"k");
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Copies `bytes` into a new secret.
    pub fn new(bytes: &[u8]) -> Self {
        SecretBytes(bytes.to_vec())
    }

    /// The secret bytes. Keep the borrow short.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([REDACTED; {}])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_equality_is_by_value_and_length() {
        use crate::provider::Output;
        let a = Output::new(&[7; 32]);
        assert_eq!(a, Output::new(&[7; 32]));
        assert_ne!(a, Output::new(&[7; 31]));
        let mut last = [7; 32];
        last[31] = 8;
        assert_ne!(a, Output::new(&last));
        assert_ne!(Output::new(&[0; 16]), Output::new(&[0; 17]));
    }

    /// `==` on MAC tags and digests stays constant time: `Output` derives no comparison
    /// (a derived one exits at the first differing byte), and its own goes through the
    /// constant-time helper.
    #[test]
    fn output_equality_is_constant_time() {
        let src = include_str!("provider/output.rs");
        let at = src.find("pub struct Output").expect("Output is declared");
        let derive = src[..at].lines().last().unwrap_or_default();
        assert!(derive.starts_with("#[derive("), "{derive}");
        assert!(
            !derive.contains("PartialEq"),
            "a derived == on Output: {derive}"
        );
        let imp = src
            .find("impl PartialEq for Output")
            .expect("Output has its own ==");
        let body = &src[imp..imp + src[imp..].find("\n}\n").expect("the impl ends")];
        assert!(body.contains("crate::ct::bytes_eq("), "{body}");
    }

    #[test]
    fn debug_redacts() {
        let s = SecretBytes::new(&[0x41; 16]);
        let shown = format!("{s:?}");
        assert_eq!(shown, "SecretBytes([REDACTED; 16])");
        assert!(!shown.contains("41") && !shown.contains("65"));
    }
}
