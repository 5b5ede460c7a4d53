//! Host keys: signing the exchange hash on the server, verifying it on the client, and
//! deciding whether the client trusts the key ([`known_hosts`]).
//!
//! Keys, signatures and their encodings are `ssh-key`'s: `ssh-ed25519`,
//! `ecdsa-sha2-nistp256`/`384` and RSA (`rsa-sha2-512`, `rsa-sha2-256`).

pub mod known_hosts;
#[cfg(feature = "pkcs11")]
mod token;

use std::path::Path;

use signature::{Signer, Verifier};
use ssh_encoding::{Decode, Encode};
use ssh_key::private::{KeypairData, RsaKeypair};
use ssh_key::{Algorithm, EcdsaCurve, HashAlg, PrivateKey, PublicKey, Signature};

use super::error::{Result, SshError};

pub use known_hosts::{HostCheck, KnownHosts};

/// A private key that signs: the server's host key, or a client's identity. The key is
/// either in memory (an OpenSSH key file) or, with the `pkcs11` feature, in a PKCS#11
/// token, used only through `C_Sign`.
#[derive(Clone)]
pub struct KeyPair {
    key: Key,
}

#[derive(Clone)]
enum Key {
    Soft(Box<PrivateKey>),
    #[cfg(feature = "pkcs11")]
    Token(token::TokenHostKey),
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let where_ = match &self.key {
            Key::Soft(_) => "memory",
            #[cfg(feature = "pkcs11")]
            Key::Token(_) => "PKCS#11 token",
        };
        f.debug_struct("KeyPair")
            .field("algorithm", &self.public_key().algorithm().as_str())
            .field("private", &where_)
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// Reads an unencrypted OpenSSH private key file (as `ssh-keygen -N ''` writes it).
    pub fn read_openssh_file(path: &Path) -> Result<Self> {
        let key = PrivateKey::read_openssh_file(path)
            .map_err(|e| SshError::Key(format!("{}: {e}", path.display())))?;
        Self::new(key)
    }

    /// Wraps a decrypted private key.
    pub fn new(key: PrivateKey) -> Result<Self> {
        if key.is_encrypted() {
            return Err(SshError::Key("the private key is encrypted".into()));
        }
        Ok(KeyPair {
            key: Key::Soft(Box::new(key)),
        })
    }

    /// The ECDSA P-256 key labelled `label` in the PKCS#11 token the environment names
    /// (as `wirecrypt token keygen` makes it); it signs inside the token.
    #[cfg(feature = "pkcs11")]
    pub fn from_token(label: &str) -> Result<Self> {
        Ok(KeyPair {
            key: Key::Token(token::TokenHostKey::open(label)?),
        })
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        match &self.key {
            Key::Soft(k) => k.public_key(),
            #[cfg(feature = "pkcs11")]
            Key::Token(t) => t.public_key(),
        }
    }

    /// The public key blob (`string` contents of K_S or a userauth key).
    pub fn public_blob(&self) -> Vec<u8> {
        public_blob(self.public_key())
    }

    /// The signature algorithms this key signs with, best first.
    pub fn signature_algorithms(&self) -> Vec<String> {
        match self.public_key().algorithm() {
            Algorithm::Ed25519 => vec!["ssh-ed25519".into()],
            Algorithm::Ecdsa { curve } => vec![ecdsa_name(curve).into()],
            Algorithm::Rsa { .. } => vec!["rsa-sha2-512".into(), "rsa-sha2-256".into()],
            _ => Vec::new(),
        }
    }

    /// Signs `data` with `algorithm`; returns the encoded signature blob
    /// (`string` algorithm, `string` signature).
    // Without `pkcs11` the key has one variant, and the match below looks pointless.
    #[cfg_attr(not(feature = "pkcs11"), allow(clippy::infallible_destructuring_match))]
    pub fn sign(&self, algorithm: &str, data: &[u8]) -> Result<Vec<u8>> {
        if !self.signature_algorithms().iter().any(|a| a == algorithm) {
            return Err(SshError::Key(format!("this key cannot sign {algorithm}")));
        }
        let key = match &self.key {
            Key::Soft(k) => k,
            #[cfg(feature = "pkcs11")]
            Key::Token(t) => return t.sign(data),
        };
        let sig: Signature = match key.key_data() {
            KeypairData::Rsa(rsa) => {
                let hash = if algorithm == "rsa-sha2-256" {
                    HashAlg::Sha256
                } else {
                    HashAlg::Sha512
                };
                rsa_sign(rsa, hash, data)?
            }
            _ => key
                .try_sign(data)
                .map_err(|e| SshError::Key(format!("signing failed: {e}")))?,
        };
        let mut out = Vec::new();
        sig.encode(&mut out)
            .map_err(|e| SshError::Key(format!("encoding a signature: {e}")))?;
        Ok(out)
    }
}

/// RSASSA-PKCS1-v1_5 with SHA-256 or SHA-512 (RFC 8332). The private key is built here
/// from its components because ssh-key 0.6.7's conversion passes the first prime twice.
fn rsa_sign(kp: &RsaKeypair, hash: HashAlg, data: &[u8]) -> Result<Signature> {
    use signature::SignatureEncoding;
    let big = |m: &ssh_key::Mpint| {
        m.as_positive_bytes()
            .map(rsa::BigUint::from_bytes_be)
            .ok_or_else(|| SshError::Key("RSA key component is not a positive integer".into()))
    };
    let key = rsa::RsaPrivateKey::from_components(
        big(&kp.public.n)?,
        big(&kp.public.e)?,
        big(&kp.private.d)?,
        vec![big(&kp.private.p)?, big(&kp.private.q)?],
    )
    .map_err(|e| SshError::Key(format!("RSA private key: {e}")))?;
    if rsa::traits::PublicKeyParts::size(&key) < 256 {
        return Err(SshError::Key("RSA keys under 2048 bits are refused".into()));
    }
    let fail = |e: signature::Error| SshError::Key(format!("RSA signing failed: {e}"));
    let bytes = match hash {
        HashAlg::Sha256 => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key)
            .try_sign(data)
            .map_err(fail)?
            .to_vec(),
        _ => rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(key)
            .try_sign(data)
            .map_err(fail)?
            .to_vec(),
    };
    Signature::new(Algorithm::Rsa { hash: Some(hash) }, bytes)
        .map_err(|e| SshError::Key(format!("RSA signature: {e}")))
}

fn ecdsa_name(curve: EcdsaCurve) -> &'static str {
    match curve {
        EcdsaCurve::NistP256 => "ecdsa-sha2-nistp256",
        EcdsaCurve::NistP384 => "ecdsa-sha2-nistp384",
        EcdsaCurve::NistP521 => "ecdsa-sha2-nistp521",
    }
}

/// A public key's wire blob.
pub fn public_blob(key: &PublicKey) -> Vec<u8> {
    key.to_bytes().expect("encoding a parsed public key")
}

/// Parses a public key blob.
pub fn parse_public(blob: &[u8]) -> Result<PublicKey> {
    PublicKey::from_bytes(blob).map_err(|e| SshError::Key(format!("bad public key blob: {e}")))
}

/// True when `algorithm` is a signature algorithm for `key` (RSA keys sign
/// `rsa-sha2-256`/`512`).
pub fn algorithm_fits(key: &PublicKey, algorithm: &str) -> bool {
    match key.algorithm() {
        Algorithm::Ed25519 => algorithm == "ssh-ed25519",
        Algorithm::Ecdsa { curve } => algorithm == ecdsa_name(curve),
        Algorithm::Rsa { .. } => matches!(algorithm, "rsa-sha2-256" | "rsa-sha2-512"),
        _ => false,
    }
}

/// Refuses RSA keys under 2048 bits (as FIPS 186-5 and ssh-key's own RSA code do), so
/// that a server never offers to accept one.
pub fn check_strength(key: &PublicKey) -> Result<()> {
    if let Some(rsa) = key.key_data().rsa() {
        let bits = rsa.n.as_positive_bytes().map_or(0, |n| n.len() * 8);
        if bits < 2048 {
            return Err(SshError::Key(format!(
                "RSA keys under 2048 bits are refused (this one has {bits})"
            )));
        }
    }
    Ok(())
}

/// Verifies an encoded signature blob over `data` made by `key` with `algorithm`.
pub fn verify(key: &PublicKey, algorithm: &str, data: &[u8], sig_blob: &[u8]) -> Result<()> {
    if !algorithm_fits(key, algorithm) {
        return Err(SshError::Key(format!(
            "{algorithm} is not a signature algorithm for a {} key",
            key.algorithm().as_str()
        )));
    }
    check_strength(key)?;
    let mut rd = sig_blob;
    let sig = Signature::decode(&mut rd)
        .map_err(|e| SshError::Key(format!("bad signature encoding: {e}")))?;
    if sig.algorithm().as_str() != algorithm {
        return Err(SshError::Key(format!(
            "signature made with {} where {algorithm} was agreed",
            sig.algorithm().as_str()
        )));
    }
    Verifier::verify(key.key_data(), data, &sig)
        .map_err(|_| SshError::Key(format!("{algorithm} signature does not verify")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ed25519() -> KeyPair {
        let seed = ssh_key::private::Ed25519Keypair::from_seed(&[7; 32]);
        KeyPair::new(PrivateKey::from(seed)).unwrap()
    }

    #[test]
    fn sign_then_verify_and_tamper() {
        let k = ed25519();
        let sig = k.sign("ssh-ed25519", b"exchange hash").unwrap();
        verify(k.public_key(), "ssh-ed25519", b"exchange hash", &sig).unwrap();
        assert!(verify(k.public_key(), "ssh-ed25519", b"exchange hasH", &sig).is_err());
        assert!(verify(k.public_key(), "rsa-sha2-256", b"exchange hash", &sig).is_err());
        assert!(k.sign("ecdsa-sha2-nistp256", b"x").is_err());
        let round = parse_public(&k.public_blob()).unwrap();
        assert_eq!(round.key_data(), k.public_key().key_data());
    }
}
