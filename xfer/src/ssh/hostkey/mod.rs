//! Host keys: signing the exchange hash on the server, verifying it on the client, and
//! deciding whether the client trusts the key ([`known_hosts`]).
//!
//! Keys, signatures and their encodings are `ssh-key`'s: `ssh-ed25519`,
//! `ecdsa-sha2-nistp256`/`384` and RSA (`rsa-sha2-512` when we sign; `rsa-sha2-256` and
//! `rsa-sha2-512` when we verify).

pub mod known_hosts;

use std::path::Path;

use signature::{Signer, Verifier};
use ssh_encoding::{Decode, Encode};
use ssh_key::{Algorithm, EcdsaCurve, PrivateKey, PublicKey, Signature};

use super::error::{Result, SshError};

pub use known_hosts::{HostCheck, KnownHosts};

/// A private key that signs: the server's host key, or a client's identity.
#[derive(Clone)]
pub struct KeyPair {
    key: PrivateKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("algorithm", &self.key.algorithm().as_str())
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
        Ok(KeyPair { key })
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// The public key blob (`string` contents of K_S or a userauth key).
    pub fn public_blob(&self) -> Vec<u8> {
        public_blob(self.key.public_key())
    }

    /// The signature algorithms this key signs with, best first.
    pub fn signature_algorithms(&self) -> Vec<String> {
        match self.key.algorithm() {
            Algorithm::Ed25519 => vec!["ssh-ed25519".into()],
            Algorithm::Ecdsa { curve } => vec![ecdsa_name(curve).into()],
            // ssh-key 0.6 signs RSA with SHA-512 only.
            Algorithm::Rsa { .. } => vec!["rsa-sha2-512".into()],
            _ => Vec::new(),
        }
    }

    /// Signs `data` with `algorithm`; returns the encoded signature blob
    /// (`string` algorithm, `string` signature).
    pub fn sign(&self, algorithm: &str, data: &[u8]) -> Result<Vec<u8>> {
        if !self.signature_algorithms().iter().any(|a| a == algorithm) {
            return Err(SshError::Key(format!("this key cannot sign {algorithm}")));
        }
        let sig: Signature = self
            .key
            .try_sign(data)
            .map_err(|e| SshError::Key(format!("signing failed: {e}")))?;
        let mut out = Vec::new();
        sig.encode(&mut out)
            .map_err(|e| SshError::Key(format!("encoding a signature: {e}")))?;
        Ok(out)
    }
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

/// Verifies an encoded signature blob over `data` made by `key` with `algorithm`.
pub fn verify(key: &PublicKey, algorithm: &str, data: &[u8], sig_blob: &[u8]) -> Result<()> {
    if !algorithm_fits(key, algorithm) {
        return Err(SshError::Key(format!(
            "{algorithm} is not a signature algorithm for a {} key",
            key.algorithm().as_str()
        )));
    }
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
