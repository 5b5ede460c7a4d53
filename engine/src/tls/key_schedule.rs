//! The end of the TLS 1.3 key schedule (RFC 8446 §7.1, §7.3): a traffic secret's write
//! key and IV, by HKDF-Expand-Label (RFC 5869 §2.3).
//!
//! Deriving the key and IV here, rather than taking them from the caller, keeps the
//! whole GCM IV construction inside the engine: the caller supplies a secret, never a
//! nonce or an IV.

use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};
use zeroize::{Zeroize, Zeroizing};

use crate::algorithm::AeadAlg;
use crate::{Error, NONCE_LEN};

/// The hash of a TLS 1.3 cipher suite, which fixes the traffic secret's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SuiteHash {
    Sha256,
    Sha384,
}

impl SuiteHash {
    /// The suite hash of the TLS 1.3 suite built on `alg` (RFC 8446 §B.4):
    /// `TLS_AES_128_GCM_SHA256`, `TLS_AES_256_GCM_SHA384`, `TLS_CHACHA20_POLY1305_SHA256`.
    pub(crate) fn for_suite(alg: AeadAlg) -> SuiteHash {
        match alg {
            AeadAlg::Aes256Gcm => SuiteHash::Sha384,
            AeadAlg::Aes128Gcm | AeadAlg::ChaCha20Poly1305 => SuiteHash::Sha256,
        }
    }

    /// The hash's output length: the traffic secret's length.
    pub(crate) fn len(self) -> usize {
        match self {
            SuiteHash::Sha256 => 32,
            SuiteHash::Sha384 => 48,
        }
    }
}

/// A traffic secret's `[sender]_write_key` and `[sender]_write_iv` (RFC 8446 §7.3).
pub(crate) struct TrafficKeys {
    pub(crate) key: Zeroizing<Vec<u8>>,
    pub(crate) iv: Zeroizing<[u8; NONCE_LEN]>,
}

/// Derives the write key and IV of `secret` for the TLS 1.3 suite built on `alg`.
pub(crate) fn traffic_keys(alg: AeadAlg, secret: &[u8]) -> Result<TrafficKeys, Error> {
    let hash = SuiteHash::for_suite(alg);
    if secret.len() != hash.len() {
        return Err(Error::InvalidKeyLength {
            algorithm: "TLS 1.3 traffic secret",
            expected: hash.len(),
            actual: secret.len(),
        });
    }
    let mut key = Zeroizing::new(vec![0u8; alg.info().key_len]);
    expand_label(hash, secret, b"key", &mut key);
    let mut iv = Zeroizing::new([0u8; NONCE_LEN]);
    expand_label(hash, secret, b"iv", iv.as_mut());
    Ok(TrafficKeys { key, iv })
}

/// HKDF-Expand-Label(secret, label, "", out.len()) (RFC 8446 §7.1).
pub(crate) fn expand_label(hash: SuiteHash, secret: &[u8], label: &[u8], out: &mut [u8]) {
    // struct { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255> = ""; }
    let mut info = Vec::with_capacity(4 + 6 + label.len());
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push((6 + label.len()) as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    match hash {
        SuiteHash::Sha256 => expand::<Hmac<Sha256>>(secret, &info, out),
        SuiteHash::Sha384 => expand::<Hmac<Sha384>>(secret, &info, out),
    }
}

/// HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i).
fn expand<M: Mac + hmac::digest::KeyInit + Clone>(prk: &[u8], info: &[u8], out: &mut [u8]) {
    let keyed = <M as hmac::digest::KeyInit>::new_from_slice(prk)
        .expect("HMAC accepts keys of every length");
    let mut previous: Option<Zeroizing<Vec<u8>>> = None;
    for (i, chunk) in out.chunks_mut(M::output_size()).enumerate() {
        let mut mac = keyed.clone();
        if let Some(t) = &previous {
            mac.update(t);
        }
        mac.update(info);
        // At most 255 blocks (RFC 5869); the labels here need one or two.
        mac.update(&[(i + 1) as u8]);
        let mut t = mac.finalize().into_bytes();
        chunk.copy_from_slice(&t[..chunk.len()]);
        previous = Some(Zeroizing::new(t.to_vec()));
        t.as_mut_slice().zeroize();
    }
}
