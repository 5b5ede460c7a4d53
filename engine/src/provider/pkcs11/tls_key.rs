//! A token key as a rustls signing key: the TLS server's private key stays in the token
//! and every handshake signature is a `C_Sign`.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use wirecrypt::provider::pkcs11::Pkcs11;
//! # let chain: Vec<rustls::pki_types::CertificateDer<'static>> = Vec::new();
//! let key = Pkcs11::from_env()?.key_pair("ftps-server")?;
//! let certified = rustls::sign::CertifiedKey::new(chain, Arc::new(key));
//! certified.keys_match()?; // the certificate is for this key
//! # Ok(()) }
//! ```

use rustls::pki_types::SubjectPublicKeyInfoDer;
use rustls::sign::{Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};

use super::keypair::{KeyKind, SignScheme, TokenKey};

impl SignScheme {
    fn tls(self) -> SignatureScheme {
        match self {
            SignScheme::EcdsaP256Sha256 => SignatureScheme::ECDSA_NISTP256_SHA256,
            SignScheme::RsaPssSha256 => SignatureScheme::RSA_PSS_SHA256,
            SignScheme::RsaPssSha384 => SignatureScheme::RSA_PSS_SHA384,
            SignScheme::RsaPssSha512 => SignatureScheme::RSA_PSS_SHA512,
            SignScheme::RsaPkcs1Sha256 => SignatureScheme::RSA_PKCS1_SHA256,
            SignScheme::RsaPkcs1Sha384 => SignatureScheme::RSA_PKCS1_SHA384,
            SignScheme::RsaPkcs1Sha512 => SignatureScheme::RSA_PKCS1_SHA512,
        }
    }
}

impl SigningKey for TokenKey {
    /// Our preference among what the peer offers (rustls drops PKCS #1 v1.5 from the
    /// offer itself under TLS 1.3).
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        self.schemes()
            .iter()
            .find(|s| offered.contains(&s.tls()))
            .map(|&scheme| {
                Box::new(TokenSigner {
                    key: self.clone(),
                    scheme,
                }) as Box<dyn Signer>
            })
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        Some(SubjectPublicKeyInfoDer::from(self.spki_der()))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        match self.kind() {
            KeyKind::EcdsaP256 => SignatureAlgorithm::ECDSA,
            KeyKind::Rsa2048 => SignatureAlgorithm::RSA,
        }
    }
}

/// One handshake's signer: the key and the scheme chosen for it.
#[derive(Debug)]
struct TokenSigner {
    key: TokenKey,
    scheme: SignScheme,
}

impl Signer for TokenSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        self.key
            .sign(self.scheme, message)
            .map_err(|e| rustls::Error::General(e.to_string()))
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme.tls()
    }
}
