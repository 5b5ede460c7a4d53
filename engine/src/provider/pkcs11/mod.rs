//! The `pkcs11` provider: stage-2 crypto inside a PKCS#11 token — an HSM, openCryptoki's
//! ICA token on Linux on IBM Z, ICSF's TKDS on z/OS, or SoftHSM2 in tests — through the
//! maintained `cryptoki` crate (the `pkcs11` crate it succeeds is unmaintained).
//!
//! Never chosen for speed (it is last in the best-first order): a token is for keys that
//! must stay in hardware. Select it with `WIRECRYPT_PROVIDER=pkcs11` or
//! `Engine::builder().provider("pkcs11")`; the token comes from `WIRECRYPT_PKCS11_MODULE`,
//! `WIRECRYPT_PKCS11_TOKEN` and `WIRECRYPT_PKCS11_PIN` or `WIRECRYPT_PKCS11_PIN_FILE`.
//!
//! * One initialized context per module per process, one session per thread, logged in
//!   as the user once; key objects are made in a process-long owner session.
//! * Keys become session objects (`CKA_TOKEN=false`, sensitive, non-extractable),
//!   destroyed when the keyed object drops.
//! * AES-GCM (CKM_AES_GCM, 96-bit nonce, 128-bit tag), AES-CTR (CKM_AES_CTR, 128 counter
//!   bits; runs are split where the counter wraps, which SoftHSM refuses to cross in one
//!   call), HMAC-SHA-1/256/512 (CKM_SHA*_HMAC on generic secrets; every key is handed to
//!   the token as RFC 2104's block-long form — hashed if longer, zero-padded if shorter —
//!   which gives the same MAC and gets past SoftHSM 2.6.1's refusal of keys shorter than
//!   the digest), SHA-2 (C_Digest) and C_GenerateRandom, each only when the token's
//!   mechanism list has it.
//!   ChaCha20-Poly1305 has no PKCS#11 2.40 mechanism.
//! * AES-GCM with empty AAD: SoftHSM 2.6.1 is reported to crash on it (fixed in 2.7.0).
//!   Debian 12's 2.6.1-2.1 does not: tests/tests/pkcs11.rs seals and opens empty-AAD
//!   (and empty-plaintext) messages through the token and compares them with
//!   `rustcrypto`, and the Wycheproof empty-AAD cases pass. The provider therefore sends
//!   them to the token like any other; `cryptoki` passes a non-null AAD pointer with
//!   length 0.
//! * Batches (`seal_batch`, `open_batch`; the TLS sealer calls them for the records of
//!   one write) can keep several messages in flight: a PKCS#11 call is synchronous and
//!   costs 10–20 µs of overhead, and a token that serves several sessions at once (an
//!   HSM's engines, ICSF's CPACF on several processors) then gains from several
//!   calling threads. With `WIRECRYPT_PKCS11_BATCH_THREADS=N` (2–8) a batch of 4 or
//!   more is split over up to N scoped threads, each with its own session; by default
//!   (or with 1) batches run on the calling thread, because SoftHSM2 on a 2-core
//!   machine ran them 2.3x slower on threads. The contract holds whole: on any failure,
//!   a panicking worker included, every message is wiped and no plaintext is released
//!   (`batch.rs`).
//! * SoftHSM 2.6.1: `C_DecryptUpdate` returns nothing until `C_DecryptFinal`, so every
//!   operation is single-part (`C_Encrypt`, `C_Decrypt`, `C_Sign`, `C_Digest`); a GCM
//!   open therefore releases plaintext only after the token verified the tag.

mod aead;
mod batch;
mod cipher;
mod config;
mod der;
mod hash;
mod keypair;
mod mac;
#[cfg(feature = "rustls")]
mod tls_key;
mod token;

use std::fmt;
use std::sync::Arc;

use cryptoki::mechanism::MechanismType;

use super::{AeadKey, HashContext, MacKey, Provider, ProviderId, ProviderInfo, StreamCipher};
use crate::Error;
use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};

pub use config::{BATCH_THREADS_ENV, MODULE_ENV, PIN_ENV, PIN_FILE_ENV, TOKEN_ENV};
pub use keypair::{KeyKind, SignScheme, TokenKey};
use token::Token;

/// The PKCS#11 provider on one logged-in token.
#[derive(Clone)]
pub struct Pkcs11 {
    token: Arc<Token>,
    /// The most threads an AES-GCM batch runs on, from [`BATCH_THREADS_ENV`].
    batch_threads: usize,
}

impl fmt::Debug for Pkcs11 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11")
            .field("module", &self.token.module)
            .field("token", &self.token.label)
            .finish_non_exhaustive()
    }
}

/// The provider on the token the environment names, or why there is none.
pub(super) fn detect() -> Result<Arc<dyn Provider>, String> {
    Pkcs11::from_env().map(|p| Arc::new(p) as Arc<dyn Provider>)
}

impl Pkcs11 {
    /// Opens (once per process) and logs in to the token the environment names.
    pub fn from_env() -> Result<Pkcs11, String> {
        let config = config::Config::from_env()?;
        Ok(Pkcs11 {
            token: token::open(&config)?,
            batch_threads: config.batch_threads,
        })
    }

    /// The mechanism that implements `alg`, if PKCS#11 has one.
    fn mechanism(alg: Algorithm) -> Option<MechanismType> {
        Some(match alg {
            Algorithm::Aead(AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm) => MechanismType::AES_GCM,
            Algorithm::Aead(AeadAlg::ChaCha20Poly1305) => return None,
            Algorithm::Cipher(_) => MechanismType::AES_CTR,
            Algorithm::Mac(MacAlg::HmacSha1) => MechanismType::SHA1_HMAC,
            Algorithm::Mac(MacAlg::HmacSha256) => MechanismType::SHA256_HMAC,
            Algorithm::Mac(MacAlg::HmacSha512) => MechanismType::SHA512_HMAC,
            Algorithm::Hash(HashAlg::Sha256) => MechanismType::SHA256,
            Algorithm::Hash(HashAlg::Sha384) => MechanismType::SHA384,
            Algorithm::Hash(HashAlg::Sha512) => MechanismType::SHA512,
        })
    }

    fn require(&self, alg: Algorithm) -> Result<(), Error> {
        if self.supports(alg) {
            Ok(())
        } else {
            Err(Error::Unsupported {
                provider: ProviderId::Pkcs11,
                algorithm: alg.id(),
            })
        }
    }
}

impl Provider for Pkcs11 {
    fn id(&self) -> ProviderId {
        ProviderId::Pkcs11
    }

    fn info(&self) -> ProviderInfo {
        let t = &self.token;
        let mut mechanisms: Vec<String> = Algorithm::all()
            .filter_map(Self::mechanism)
            .filter(|m| t.has(*m))
            .map(|m| m.to_string())
            .collect();
        mechanisms.dedup();
        let algorithms: Vec<&'static str> = Algorithm::all()
            .filter(|a| self.supports(*a))
            .map(Algorithm::id)
            .collect();
        let missing: Vec<&'static str> = Algorithm::all()
            .filter(|a| !self.supports(*a))
            .map(Algorithm::id)
            .collect();
        let details = vec![
            ("module".to_owned(), t.module.display().to_string()),
            ("library".to_owned(), t.library.clone()),
            (
                "token".to_owned(),
                format!(
                    "'{}' in slot {}: {}, serial {}",
                    t.label, t.slot, t.model, t.serial
                ),
            ),
            (
                "mechanisms".to_owned(),
                format!(
                    "{} used, of {} listed by the token",
                    mechanisms.join(", "),
                    t.mechanisms.len()
                ),
            ),
            (
                "not served".to_owned(),
                if missing.is_empty() {
                    "none".to_owned()
                } else {
                    missing.join(", ")
                },
            ),
            (
                "keys".to_owned(),
                "session objects: sensitive, non-extractable, destroyed on drop".to_owned(),
            ),
            (
                "sessions".to_owned(),
                "one context per process, one session per thread, user login".to_owned(),
            ),
            (
                "batches".to_owned(),
                match self.batch_threads {
                    1 => "AES-GCM batches on the calling thread \
                          (WIRECRYPT_PKCS11_BATCH_THREADS=N for N threads)"
                        .to_owned(),
                    n => format!(
                        "AES-GCM batches of {}+ messages on up to {n} threads, one session each",
                        batch::MIN_PARALLEL_BATCH,
                    ),
                },
            ),
            ("rng".to_owned(), "C_GenerateRandom".to_owned()),
        ];
        ProviderInfo {
            id: ProviderId::Pkcs11,
            description: format!("PKCS#11 token '{}' ({})", t.label, t.model),
            details,
            algorithms,
        }
    }

    fn supports(&self, alg: Algorithm) -> bool {
        Self::mechanism(alg).is_some_and(|m| self.token.has(m))
    }

    fn aead(&self, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn AeadKey>, Error> {
        self.require(Algorithm::Aead(alg))?;
        aead::new(&self.token, alg, key, self.batch_threads)
    }

    fn cipher(
        &self,
        alg: CipherAlg,
        key: &[u8],
        iv: &[u8],
    ) -> Result<Box<dyn StreamCipher>, Error> {
        self.require(Algorithm::Cipher(alg))?;
        cipher::new(&self.token, alg, key, iv)
    }

    fn mac(&self, alg: MacAlg, key: &[u8]) -> Result<Box<dyn MacKey>, Error> {
        self.require(Algorithm::Mac(alg))?;
        mac::new(&self.token, alg, key)
    }

    fn hash(&self, alg: HashAlg) -> Result<Box<dyn HashContext>, Error> {
        self.require(Algorithm::Hash(alg))?;
        Ok(hash::new(&self.token, alg))
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), Error> {
        if out.is_empty() {
            return Ok(());
        }
        self.token
            .run("C_GenerateRandom", |s| s.generate_random_slice(out))
            .map_err(|e| Error::Rng(e.to_string()))
    }
}
