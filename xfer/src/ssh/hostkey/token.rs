//! A host key inside a PKCS#11 token: ECDSA P-256, generated there by
//! `wirecrypt token keygen`, never extractable. The exchange hash is signed with
//! `C_Sign`; only the public half is read out.

use std::sync::Arc;

use ssh_key::PublicKey;
use ssh_key::public::{EcdsaPublicKey, KeyData};
use wirecrypt::provider::pkcs11::{KeyKind, Pkcs11, SignScheme, TokenKey};

use crate::ssh::error::{Result, SshError};
use crate::ssh::wire::Writer;

/// The SSH name of the only token key type served.
const ALGORITHM: &str = "ecdsa-sha2-nistp256";

/// A token key and its public half in SSH form.
#[derive(Clone)]
pub(super) struct TokenHostKey {
    key: TokenKey,
    public: Arc<PublicKey>,
}

impl TokenHostKey {
    /// Finds the key labelled `label` in the token the environment names.
    pub(super) fn open(label: &str) -> Result<Self> {
        let token = Pkcs11::from_env().map_err(|e| SshError::Key(format!("PKCS#11: {e}")))?;
        let key = token
            .key_pair(label)
            .map_err(|e| SshError::Key(format!("PKCS#11 key '{label}': {e}")))?;
        if key.kind() != KeyKind::EcdsaP256 {
            return Err(SshError::Key(format!(
                "PKCS#11 key '{label}' is {}; SSH host keys in a token must be ECDSA P-256 \
                 (`wirecrypt token keygen --kind ecdsa-p256`)",
                key.kind()
            )));
        }
        let point = EcdsaPublicKey::from_sec1_bytes(key.public_key_raw())
            .map_err(|e| SshError::Key(format!("PKCS#11 key '{label}': public point: {e}")))?;
        Ok(TokenHostKey {
            key,
            public: Arc::new(PublicKey::new(KeyData::Ecdsa(point), "")),
        })
    }

    pub(super) fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `data` in the token; returns the SSH signature blob (RFC 5656 §3.1.2:
    /// `string` algorithm, `string` (`mpint` r, `mpint` s)).
    pub(super) fn sign(&self, data: &[u8]) -> Result<Vec<u8>> {
        let der = self
            .key
            .sign(SignScheme::EcdsaP256Sha256, data)
            .map_err(|e| SshError::Key(format!("PKCS#11 signing failed: {e}")))?;
        let (r, s) = parse_der_signature(&der)
            .ok_or_else(|| SshError::Key("the token's ECDSA signature is not DER".into()))?;
        let inner = Writer::new().mpint(r).mpint(s).finish();
        Ok(Writer::new().str(ALGORITHM).string(&inner).finish())
    }
}

/// Splits a DER `ECDSA-Sig-Value` (SEQUENCE of two INTEGERs, short lengths as P-256
/// signatures always have) into the magnitudes of r and s.
fn parse_der_signature(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&len, body) = rest.split_first()?;
    if tag != 0x30 || len >= 0x80 || usize::from(len) != body.len() {
        return None;
    }
    let (r, used) = der_integer(body)?;
    let (s, used2) = der_integer(&body[used..])?;
    if used + used2 != body.len() {
        return None;
    }
    Some((r, s))
}

/// A DER INTEGER at the start of `b`: its contents and the bytes it took.
fn der_integer(b: &[u8]) -> Option<(&[u8], usize)> {
    let (&tag, rest) = b.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let len = usize::from(len);
    if tag != 0x02 || len >= 0x80 || len == 0 || rest.len() < len {
        return None;
    }
    Some((&rest[..len], 2 + len))
}

#[cfg(test)]
mod tests {
    use super::parse_der_signature;

    #[test]
    fn der_signatures_split_and_garbage_is_refused() {
        let der = [0x30, 0x07, 0x02, 0x02, 0x00, 0x81, 0x02, 0x01, 0x05];
        let (r, s) = parse_der_signature(&der).unwrap();
        assert_eq!((r, s), (&[0x00, 0x81][..], &[0x05][..]));
        assert!(parse_der_signature(&der[..8]).is_none());
        assert!(parse_der_signature(&[0x30, 0x00]).is_none());
        assert!(parse_der_signature(&[]).is_none());
        let mut long = der;
        long[1] = 0x81;
        assert!(parse_der_signature(&long).is_none());
    }
}
