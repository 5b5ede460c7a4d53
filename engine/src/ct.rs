//! Constant-time helpers.

use subtle::ConstantTimeEq;

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn compares() {
        assert!(super::bytes_eq(b"abc", b"abc"));
        assert!(!super::bytes_eq(b"abc", b"abd"));
        assert!(!super::bytes_eq(b"abc", b"ab"));
        assert!(super::bytes_eq(b"", b""));
    }
}
