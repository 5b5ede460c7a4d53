//! Long-term signing keys that live in the token: a TLS server's ECDSA P-256 or
//! RSA-2048 key, as a z/OS server keeps its key in a SAF key ring under ICSF.
//!
//! The private half is generated inside the token as a persistent object (`CKA_TOKEN`),
//! private, sensitive and never extractable; the engine holds only its handle and signs
//! through `C_Sign`. The public half is read back and offered as a
//! `SubjectPublicKeyInfo`, for a certificate request or a certificate check. Every new
//! pair must pass a pair-wise consistency test (sign in the token, verify in the token)
//! before it is handed out, as FIPS 140-3 asks of key-pair generation.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use sha2::Digest as _;

use super::Pkcs11;
use super::der;
use super::token::Token;
use crate::Error;

/// What kind of key pair to make or found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// ECDSA on NIST P-256 (secp256r1).
    EcdsaP256,
    /// RSA with a 2048-bit modulus and public exponent 65537.
    Rsa2048,
}

impl KeyKind {
    /// The kind's name, as `FromStr` reads it: `ecdsa-p256`, `rsa-2048`.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::EcdsaP256 => "ecdsa-p256",
            KeyKind::Rsa2048 => "rsa-2048",
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<KeyKind, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ecdsa-p256" | "p256" | "p-256" => Ok(KeyKind::EcdsaP256),
            "rsa-2048" | "rsa2048" => Ok(KeyKind::Rsa2048),
            _ => Err(Error::Config(format!(
                "unknown key kind '{s}'; valid kinds are: ecdsa-p256, rsa-2048"
            ))),
        }
    }
}

/// A signature scheme a token key can sign with; names follow TLS's `SignatureScheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignScheme {
    /// ECDSA P-256 with SHA-256; the signature is DER `ECDSA-Sig-Value`.
    EcdsaP256Sha256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt.
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512 and a 64-byte salt.
    RsaPssSha512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaPkcs1Sha512,
}

impl SignScheme {
    /// The schemes of a key kind, most preferred first (PSS before PKCS #1 v1.5, which
    /// TLS 1.3 forbids in handshakes).
    pub fn for_kind(kind: KeyKind) -> &'static [SignScheme] {
        match kind {
            KeyKind::EcdsaP256 => &[SignScheme::EcdsaP256Sha256],
            KeyKind::Rsa2048 => &[
                SignScheme::RsaPssSha256,
                SignScheme::RsaPssSha384,
                SignScheme::RsaPssSha512,
                SignScheme::RsaPkcs1Sha256,
                SignScheme::RsaPkcs1Sha384,
                SignScheme::RsaPkcs1Sha512,
            ],
        }
    }

    /// The scheme's TLS 1.3 name (RFC 8446 §4.2.3), e.g. `rsa_pss_rsae_sha256`.
    pub fn tls_name(self) -> &'static str {
        match self {
            SignScheme::EcdsaP256Sha256 => "ecdsa_secp256r1_sha256",
            SignScheme::RsaPssSha256 => "rsa_pss_rsae_sha256",
            SignScheme::RsaPssSha384 => "rsa_pss_rsae_sha384",
            SignScheme::RsaPssSha512 => "rsa_pss_rsae_sha512",
            SignScheme::RsaPkcs1Sha256 => "rsa_pkcs1_sha256",
            SignScheme::RsaPkcs1Sha384 => "rsa_pkcs1_sha384",
            SignScheme::RsaPkcs1Sha512 => "rsa_pkcs1_sha512",
        }
    }

    /// The scheme with TLS 1.3 name `name` (as [`tls_name`](Self::tls_name) gives).
    pub fn from_tls_name(name: &str) -> Result<SignScheme, Error> {
        const ALL: [SignScheme; 7] = [
            SignScheme::EcdsaP256Sha256,
            SignScheme::RsaPssSha256,
            SignScheme::RsaPssSha384,
            SignScheme::RsaPssSha512,
            SignScheme::RsaPkcs1Sha256,
            SignScheme::RsaPkcs1Sha384,
            SignScheme::RsaPkcs1Sha512,
        ];
        ALL.into_iter()
            .find(|s| s.tls_name() == name.trim())
            .ok_or_else(|| {
                let valid: Vec<&str> = ALL.iter().map(|s| s.tls_name()).collect();
                Error::Config(format!(
                    "unknown signature scheme '{name}'; valid schemes are: {}",
                    valid.join(", ")
                ))
            })
    }

    /// The PKCS#11 mechanism the token must list for this scheme. ECDSA hashes in the
    /// engine and signs the digest with CKM_ECDSA, which every EC token has.
    fn mechanism_type(self) -> MechanismType {
        match self {
            SignScheme::EcdsaP256Sha256 => MechanismType::ECDSA,
            SignScheme::RsaPssSha256 => MechanismType::SHA256_RSA_PKCS_PSS,
            SignScheme::RsaPssSha384 => MechanismType::SHA384_RSA_PKCS_PSS,
            SignScheme::RsaPssSha512 => MechanismType::SHA512_RSA_PKCS_PSS,
            SignScheme::RsaPkcs1Sha256 => MechanismType::SHA256_RSA_PKCS,
            SignScheme::RsaPkcs1Sha384 => MechanismType::SHA384_RSA_PKCS,
            SignScheme::RsaPkcs1Sha512 => MechanismType::SHA512_RSA_PKCS,
        }
    }

    fn mechanism(self) -> Mechanism<'static> {
        let pss = |hash_alg, mgf, s_len: u64| PkcsPssParams {
            hash_alg,
            mgf,
            s_len: s_len.into(),
        };
        match self {
            SignScheme::EcdsaP256Sha256 => Mechanism::Ecdsa,
            SignScheme::RsaPssSha256 => Mechanism::Sha256RsaPkcsPss(pss(
                MechanismType::SHA256,
                PkcsMgfType::MGF1_SHA256,
                32,
            )),
            SignScheme::RsaPssSha384 => Mechanism::Sha384RsaPkcsPss(pss(
                MechanismType::SHA384,
                PkcsMgfType::MGF1_SHA384,
                48,
            )),
            SignScheme::RsaPssSha512 => Mechanism::Sha512RsaPkcsPss(pss(
                MechanismType::SHA512,
                PkcsMgfType::MGF1_SHA512,
                64,
            )),
            SignScheme::RsaPkcs1Sha256 => Mechanism::Sha256RsaPkcs,
            SignScheme::RsaPkcs1Sha384 => Mechanism::Sha384RsaPkcs,
            SignScheme::RsaPkcs1Sha512 => Mechanism::Sha512RsaPkcs,
        }
    }
}

/// A private key inside the token, found by label or generated there, with its public
/// half read out. Cloning shares the handle; the key object stays in the token when the
/// last clone drops (it is a token object: deleting it is
/// [`Pkcs11::delete_key_pair`]'s job).
#[derive(Clone)]
pub struct TokenKey {
    inner: Arc<Inner>,
}

struct Inner {
    token: Arc<Token>,
    private: ObjectHandle,
    kind: KeyKind,
    label: String,
    /// The raw public key: the uncompressed EC point, or the PKCS #1 `RSAPublicKey`.
    public: Vec<u8>,
    spki: Vec<u8>,
    schemes: Vec<SignScheme>,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey")
            .field("token", &self.inner.token.label)
            .field("label", &self.inner.label)
            .field("kind", &self.inner.kind)
            .field("private", &"[in token]")
            .finish()
    }
}

impl TokenKey {
    /// The key's kind.
    pub fn kind(&self) -> KeyKind {
        self.inner.kind
    }

    /// The key's `CKA_LABEL`.
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    /// The public key as DER `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> &[u8] {
        &self.inner.spki
    }

    /// The public key without its algorithm wrapper: the uncompressed point (P-256) or
    /// DER `RSAPublicKey` (RSA) — what certificate builders such as rcgen ask for.
    pub fn public_key_raw(&self) -> &[u8] {
        &self.inner.public
    }

    /// The schemes this key can sign with on this token, most preferred first.
    pub fn schemes(&self) -> &[SignScheme] {
        &self.inner.schemes
    }

    /// Signs `message` in the token. The message is hashed as the scheme says (for
    /// ECDSA by the engine, for RSA by the token).
    pub fn sign(&self, scheme: SignScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        let raw = self.sign_raw(scheme, message)?;
        if scheme == SignScheme::EcdsaP256Sha256 {
            der::ecdsa_signature(&raw).ok_or(Error::Malformed(
                "the token returned an ECDSA signature of odd length",
            ))
        } else {
            Ok(raw)
        }
    }

    /// The token's own signature: `r || s` for ECDSA.
    fn sign_raw(&self, scheme: SignScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        if !self.inner.schemes.contains(&scheme) {
            return Err(Error::Config(format!(
                "token key '{}' ({}) cannot sign with {scheme:?} on this token; it offers {:?}",
                self.inner.label, self.inner.kind, self.inner.schemes
            )));
        }
        let input = signed_input(scheme, message);
        let mechanism = scheme.mechanism();
        self.inner.token.run("C_Sign (token key)", |s| {
            s.sign(&mechanism, self.inner.private, &input)
        })
    }
}

/// What the token's mechanism signs: the SHA-256 digest for CKM_ECDSA, else the message.
fn signed_input(scheme: SignScheme, message: &[u8]) -> Vec<u8> {
    if scheme == SignScheme::EcdsaP256Sha256 {
        sha2::Sha256::digest(message).to_vec()
    } else {
        message.to_vec()
    }
}

impl Pkcs11 {
    /// Generates a key pair inside the token under `label` (private: persistent,
    /// private, sensitive, never extractable; public: persistent), runs the pair-wise
    /// consistency test, and returns the private key's handle. Refused if the token
    /// already holds a key labelled `label`.
    pub fn generate_key_pair(&self, label: &str, kind: KeyKind) -> Result<TokenKey, Error> {
        let token = &self.token;
        check_label(label)?;
        if !find(token, ObjectClass::PRIVATE_KEY, label)?.is_empty()
            || !find(token, ObjectClass::PUBLIC_KEY, label)?.is_empty()
        {
            return Err(Error::Config(format!(
                "token '{}' already holds a key labelled '{label}'; delete it or choose another label",
                token.label
            )));
        }
        let (mechanism, key_attrs) = match kind {
            KeyKind::EcdsaP256 => (
                Mechanism::EccKeyPairGen,
                vec![Attribute::EcParams(der::OID_P256.to_vec())],
            ),
            KeyKind::Rsa2048 => (
                Mechanism::RsaPkcsKeyPairGen,
                vec![
                    Attribute::ModulusBits(2048.into()),
                    Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
                ],
            ),
        };
        if !token.has(mechanism.mechanism_type()) {
            return Err(Error::Config(format!(
                "token '{}' cannot generate {kind} keys (no {})",
                token.label,
                mechanism.mechanism_type()
            )));
        }
        let id = label.as_bytes().to_vec();
        let mut public = vec![
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.clone()),
        ];
        public.extend(key_attrs);
        let private = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id),
        ];
        let (public, private) = token.with_owner("C_GenerateKeyPair", |s| {
            s.generate_key_pair(&mechanism, &public, &private)
        })?;
        let key = match load(token, private, Some(public), label) {
            Ok(key) => key,
            Err(e) => {
                destroy(token, &[private, public]);
                return Err(e);
            }
        };
        if let Err(e) = pairwise_consistency_test(&key, public) {
            destroy(token, &[private, public]);
            return Err(e);
        }
        Ok(key)
    }

    /// The private key labelled `label` in the token, with its public half (from the
    /// public-key object of the same label, or for RSA from the private key's public
    /// attributes).
    pub fn key_pair(&self, label: &str) -> Result<TokenKey, Error> {
        let token = &self.token;
        check_label(label)?;
        let private = match find(token, ObjectClass::PRIVATE_KEY, label)?.as_slice() {
            [one] => *one,
            [] => {
                return Err(Error::Config(format!(
                    "token '{}' holds no private key labelled '{label}'",
                    token.label
                )));
            }
            many => {
                return Err(Error::Config(format!(
                    "token '{}' holds {} private keys labelled '{label}'; labels must be unique",
                    token.label,
                    many.len()
                )));
            }
        };
        let public = find(token, ObjectClass::PUBLIC_KEY, label)?
            .first()
            .copied();
        load(token, private, public, label)
    }

    /// Deletes the private and public key objects labelled `label`; returns how many
    /// objects were destroyed.
    pub fn delete_key_pair(&self, label: &str) -> Result<usize, Error> {
        let token = &self.token;
        check_label(label)?;
        let mut objects = find(token, ObjectClass::PRIVATE_KEY, label)?;
        objects.extend(find(token, ObjectClass::PUBLIC_KEY, label)?);
        for &object in &objects {
            token.with_owner("C_DestroyObject", |s| s.destroy_object(object))?;
        }
        Ok(objects.len())
    }
}

fn check_label(label: &str) -> Result<(), Error> {
    if label.is_empty() || label.len() > 64 || label.chars().any(char::is_control) {
        return Err(Error::Config(format!(
            "a token key label must be 1 to 64 bytes without control characters, got {label:?}"
        )));
    }
    Ok(())
}

fn find(token: &Token, class: ObjectClass, label: &str) -> Result<Vec<ObjectHandle>, Error> {
    let template = [
        Attribute::Class(class),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    token.with_owner("C_FindObjects", |s| s.find_objects(&template))
}

fn destroy(token: &Token, objects: &[ObjectHandle]) {
    for &object in objects {
        // Best effort on a path that already failed; the first error is what matters.
        let _ = token.with_owner("C_DestroyObject", |s| s.destroy_object(object));
    }
}

/// Reads the key's type and public half and works out which schemes the token offers.
fn load(
    token: &Arc<Token>,
    private: ObjectHandle,
    public: Option<ObjectHandle>,
    label: &str,
) -> Result<TokenKey, Error> {
    let attrs = token.with_owner("C_GetAttributeValue", |s| {
        s.get_attributes(private, &[AttributeType::KeyType])
    })?;
    let kind = match attrs.first() {
        Some(Attribute::KeyType(t)) if *t == KeyType::EC => KeyKind::EcdsaP256,
        Some(Attribute::KeyType(t)) if *t == KeyType::RSA => KeyKind::Rsa2048,
        other => {
            return Err(Error::Config(format!(
                "token key '{label}' is of a type the engine does not sign with: {other:?}"
            )));
        }
    };
    let (raw, spki) = match kind {
        KeyKind::EcdsaP256 => {
            let public = public.ok_or_else(|| {
                Error::Config(format!(
                    "token key '{label}' has no public-key object to read its EC point from"
                ))
            })?;
            let attrs = token.with_owner("C_GetAttributeValue", |s| {
                s.get_attributes(public, &[AttributeType::EcParams, AttributeType::EcPoint])
            })?;
            let (mut params, mut point) = (None, None);
            for a in attrs {
                match a {
                    Attribute::EcParams(p) => params = Some(p),
                    Attribute::EcPoint(p) => point = Some(p),
                    _ => {}
                }
            }
            if params.as_deref() != Some(der::OID_P256) {
                return Err(Error::Config(format!(
                    "token key '{label}' is an EC key on a curve other than P-256"
                )));
            }
            let point = point.unwrap_or_default();
            // PKCS#11 says DER OCTET STRING; some tokens hand back the bare point.
            let point = der::octet_string(&point).unwrap_or(&point).to_vec();
            if point.len() != 65 || point[0] != 4 {
                return Err(Error::Malformed(
                    "the token's EC point is not an uncompressed P-256 point",
                ));
            }
            let spki = der::spki_p256(&point);
            (point, spki)
        }
        KeyKind::Rsa2048 => {
            let holder = public.unwrap_or(private);
            let attrs = token.with_owner("C_GetAttributeValue", |s| {
                s.get_attributes(
                    holder,
                    &[AttributeType::Modulus, AttributeType::PublicExponent],
                )
            })?;
            let (mut n, mut e) = (Vec::new(), Vec::new());
            for a in attrs {
                match a {
                    Attribute::Modulus(v) => n = v,
                    Attribute::PublicExponent(v) => e = v,
                    _ => {}
                }
            }
            let bits = n.iter().skip_while(|&&b| b == 0).count() * 8;
            if bits != 2048 || e.is_empty() {
                return Err(Error::Config(format!(
                    "token key '{label}' is RSA with a {bits}-bit modulus; the engine signs with RSA-2048 keys"
                )));
            }
            let raw = der::rsa_public_key(&n, &e);
            let spki = der::spki_rsa(&raw);
            (raw, spki)
        }
    };
    let schemes = SignScheme::for_kind(kind)
        .iter()
        .copied()
        .filter(|s| token.has(s.mechanism_type()))
        .collect::<Vec<_>>();
    if schemes.is_empty() {
        return Err(Error::Config(format!(
            "token '{}' lists no signing mechanism for {kind} keys",
            token.label
        )));
    }
    Ok(TokenKey {
        inner: Arc::new(Inner {
            token: token.clone(),
            private,
            kind,
            label: label.to_owned(),
            public: raw,
            spki,
            schemes,
        }),
    })
}

/// Signs a fixed message with the new private key and verifies it with the new public
/// key, both in the token: a pair that fails is destroyed, never used.
fn pairwise_consistency_test(key: &TokenKey, public: ObjectHandle) -> Result<(), Error> {
    const MESSAGE: &[u8] = b"wirecrypt pair-wise consistency test";
    let scheme = key.schemes()[0];
    let signature = key.sign_raw(scheme, MESSAGE)?;
    let input = signed_input(scheme, MESSAGE);
    let mechanism = scheme.mechanism();
    key.inner
        .token
        .run("C_Verify (pair-wise consistency test)", |s| {
            s.verify(&mechanism, public, &input, &signature)
        })
}
