//! Elliptic-curve Diffie-Hellman key exchange (RFC 5656 §4, RFC 8731), the exchange hash,
//! and key derivation (RFC 4253 §7.2). The curve arithmetic is `ring`'s.
//!
//! Nothing here touches a cipher: the derived bytes go to the engine's packet layer as
//! [`wirecrypt::ssh::KeyMaterial`].

use ring::agreement;
use ring::rand::SystemRandom;
use sha2::{Digest, Sha256, Sha384};
use zeroize::Zeroizing;

use crate::ssh::error::{Result, SshError};
use crate::ssh::wire::Writer;

/// A key-exchange method this crate implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KexMethod {
    /// `curve25519-sha256` and `curve25519-sha256@libssh.org`.
    Curve25519,
    /// `ecdh-sha2-nistp256`.
    NistP256,
    /// `ecdh-sha2-nistp384`.
    NistP384,
}

impl KexMethod {
    /// The method for a negotiated name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "curve25519-sha256" | "curve25519-sha256@libssh.org" => Ok(KexMethod::Curve25519),
            "ecdh-sha2-nistp256" => Ok(KexMethod::NistP256),
            "ecdh-sha2-nistp384" => Ok(KexMethod::NistP384),
            other => Err(SshError::Kex(format!("unsupported kex method {other}"))),
        }
    }

    fn curve(self) -> &'static agreement::Algorithm {
        match self {
            KexMethod::Curve25519 => &agreement::X25519,
            KexMethod::NistP256 => &agreement::ECDH_P256,
            KexMethod::NistP384 => &agreement::ECDH_P384,
        }
    }

    /// The exchange hash and key derivation hash: SHA-384 for P-384, else SHA-256.
    pub fn hash(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            d.finalize().to_vec()
        }
        match self {
            KexMethod::NistP384 => run::<Sha384>(parts),
            _ => run::<Sha256>(parts),
        }
    }
}

/// Our ephemeral key for one exchange.
pub struct Ephemeral {
    method: KexMethod,
    private: agreement::EphemeralPrivateKey,
    public: Vec<u8>,
}

impl std::fmt::Debug for Ephemeral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ephemeral")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl Ephemeral {
    /// A fresh key pair.
    pub fn generate(method: KexMethod) -> Result<Self> {
        let rng = SystemRandom::new();
        let private = agreement::EphemeralPrivateKey::generate(method.curve(), &rng)
            .map_err(|_| SshError::Kex("ephemeral key generation failed".into()))?;
        let public = private
            .compute_public_key()
            .map_err(|_| SshError::Kex("ephemeral public key failed".into()))?
            .as_ref()
            .to_vec();
        Ok(Ephemeral {
            method,
            private,
            public,
        })
    }

    /// Our public value (Q_C or Q_S).
    pub fn public(&self) -> &[u8] {
        &self.public
    }

    /// The shared secret K with the peer's public value; a bad point (or an all-zero
    /// X25519 result) is refused by `ring`.
    pub fn agree(self, peer: &[u8]) -> Result<SharedSecret> {
        let peer = agreement::UnparsedPublicKey::new(self.method.curve(), peer);
        agreement::agree_ephemeral(self.private, &peer, |k| {
            SharedSecret(Zeroizing::new(k.to_vec()))
        })
        .map_err(|_| SshError::Kex("the peer's ephemeral public key is invalid".into()))
    }
}

/// The shared secret K as an unsigned big-endian integer (RFC 8731 §3.1; for NIST
/// curves the x-coordinate, RFC 5656 §4).
pub struct SharedSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

impl SharedSecret {
    /// K encoded as an mpint, as it enters every hash.
    pub fn mpint(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(Writer::new().mpint(&self.0).finish())
    }
}

/// The inputs of the exchange hash H (RFC 5656 §4).
#[derive(Debug)]
pub struct HashInputs<'a> {
    /// V_C, V_S: the identification lines without CR LF.
    pub v_c: &'a str,
    /// See `v_c`.
    pub v_s: &'a str,
    /// I_C, I_S: the KEXINIT payloads.
    pub i_c: &'a [u8],
    /// See `i_c`.
    pub i_s: &'a [u8],
    /// K_S: the server's host key blob.
    pub k_s: &'a [u8],
    /// Q_C, Q_S: the ephemeral public values.
    pub q_c: &'a [u8],
    /// See `q_c`.
    pub q_s: &'a [u8],
}

/// The exchange hash H.
pub fn exchange_hash(method: KexMethod, h: &HashInputs<'_>, k: &SharedSecret) -> Vec<u8> {
    let head = Writer::new()
        .str(h.v_c)
        .str(h.v_s)
        .string(h.i_c)
        .string(h.i_s)
        .string(h.k_s)
        .string(h.q_c)
        .string(h.q_s)
        .finish();
    method.hash(&[&head, &k.mpint()])
}

/// One direction's derived keys.
pub struct DirectionKeys {
    /// IV (or nonce field).
    pub iv: Zeroizing<Vec<u8>>,
    /// Cipher key.
    pub key: Zeroizing<Vec<u8>>,
    /// MAC key (empty for AEAD).
    pub mac: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for DirectionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirectionKeys(<redacted>)")
    }
}

impl DirectionKeys {
    /// The keys as the engine takes them.
    pub fn material(&self) -> wirecrypt::ssh::KeyMaterial<'_> {
        wirecrypt::ssh::KeyMaterial {
            key: &self.key,
            iv: &self.iv,
            mac_key: &self.mac,
        }
    }
}

/// RFC 4253 §7.2: HASH(K || H || letter || session_id), extended by
/// HASH(K || H || K1 || …) until `len` bytes.
pub fn derive(
    method: KexMethod,
    k: &SharedSecret,
    h: &[u8],
    letter: u8,
    session_id: &[u8],
    len: usize,
) -> Zeroizing<Vec<u8>> {
    let k = k.mpint();
    let mut out = Zeroizing::new(method.hash(&[&k, h, &[letter], session_id]));
    while out.len() < len {
        let more = method.hash(&[&k, h, &out]);
        out.extend_from_slice(&more);
    }
    out.truncate(len);
    out
}

/// Derives one direction's keys for `mode`: letters A/C/E for client → server,
/// B/D/F for server → client.
pub fn direction_keys(
    method: KexMethod,
    k: &SharedSecret,
    h: &[u8],
    session_id: &[u8],
    mode: wirecrypt::ssh::Mode,
    client_to_server: bool,
) -> DirectionKeys {
    let lens = mode.key_lens();
    let base = if client_to_server { b'A' } else { b'B' };
    DirectionKeys {
        iv: derive(method, k, h, base, session_id, lens.iv),
        key: derive(method, k, h, base + 2, session_id, lens.key),
        mac: derive(method, k, h, base + 4, session_id, lens.mac_key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_for_every_method() {
        for m in [
            KexMethod::Curve25519,
            KexMethod::NistP256,
            KexMethod::NistP384,
        ] {
            let a = Ephemeral::generate(m).unwrap();
            let b = Ephemeral::generate(m).unwrap();
            let (pa, pb) = (a.public().to_vec(), b.public().to_vec());
            let ka = a.agree(&pb).unwrap();
            let kb = b.agree(&pa).unwrap();
            assert_eq!(*ka.mpint(), *kb.mpint());
            let k1 = derive(m, &ka, b"h", b'C', b"sid", 100);
            assert_eq!(k1.len(), 100);
            assert_eq!(*k1, *derive(m, &kb, b"h", b'C', b"sid", 100));
            assert_ne!(*k1, *derive(m, &kb, b"h", b'D', b"sid", 100));
        }
    }

    #[test]
    fn bad_public_values_are_refused() {
        let a = Ephemeral::generate(KexMethod::NistP256).unwrap();
        assert!(matches!(a.agree(&[4; 65]), Err(SshError::Kex(_))));
        let a = Ephemeral::generate(KexMethod::Curve25519).unwrap();
        // The all-zero point gives the all-zero shared secret, which ring refuses.
        assert!(a.agree(&[0; 32]).is_err());
    }

    #[test]
    fn derivation_matches_the_rfc_formula() {
        let k = SharedSecret(Zeroizing::new(vec![0x80, 1, 2]));
        let kenc = k.mpint();
        let first = KexMethod::Curve25519.hash(&[&kenc, b"H", b"A", b"S"]);
        let second = KexMethod::Curve25519.hash(&[&kenc, b"H", &first]);
        let out = derive(KexMethod::Curve25519, &k, b"H", b'A', b"S", 40);
        assert_eq!(&out[..32], &first[..]);
        assert_eq!(&out[32..], &second[..8]);
    }
}
