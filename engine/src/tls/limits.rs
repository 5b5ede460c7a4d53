//! The record layer's size and usage limits, with their sources.

use crate::Error;
use crate::algorithm::AeadAlg;

/// The record header: type (1), legacy version (2), length (2).
pub const HEADER_LEN: usize = 5;

/// The largest plaintext fragment, 2^14 bytes (RFC 8446 §5.1, RFC 5246 §6.2.1).
pub const MAX_PLAINTEXT: usize = 1 << 14;

/// The largest TLS 1.3 protected record body, 2^14 + 256 (RFC 8446 §5.2).
pub const MAX_TLS13_CIPHERTEXT: usize = MAX_PLAINTEXT + 256;

/// The largest TLS 1.2 protected record body, 2^14 + 2048 (RFC 5246 §6.2.3).
pub const MAX_TLS12_CIPHERTEXT: usize = MAX_PLAINTEXT + 2048;

/// Refuses a plaintext fragment longer than 2^14 bytes (`record_overflow`).
pub(crate) fn check_plaintext_len(what: &'static str, length: usize) -> Result<(), Error> {
    if length > MAX_PLAINTEXT {
        return Err(Error::RecordOverflow {
            what,
            length,
            max: MAX_PLAINTEXT,
        });
    }
    Ok(())
}

/// How many records one key may protect (RFC 8446 §5.5): 2^24.5 full-size records for
/// AES-GCM — rounded down, as 23,726,566 — and no practical limit for ChaCha20-Poly1305.
pub const fn confidentiality_limit(alg: AeadAlg) -> u64 {
    match alg {
        AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => 23_726_566,
        AeadAlg::ChaCha20Poly1305 => u64::MAX,
    }
}

/// How far before the limit a sealer starts reporting that a key update is due, so the
/// update can be negotiated while records still flow (1/64 of the AES-GCM limit).
pub(crate) const fn key_update_margin(alg: AeadAlg) -> u64 {
    match alg {
        AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => confidentiality_limit(alg) / 64,
        AeadAlg::ChaCha20Poly1305 => 0,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn aes_gcm_limit_is_two_to_the_24_point_5_rounded_down() {
        let limit = super::confidentiality_limit(crate::AeadAlg::Aes128Gcm);
        assert_eq!(limit, 2f64.powf(24.5).floor() as u64);
    }
}
