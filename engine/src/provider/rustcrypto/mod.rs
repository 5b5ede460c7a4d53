//! The `rustcrypto` provider: the RustCrypto crates (`aes`, `aes-gcm`, `ctr`,
//! `chacha20poly1305`, `sha2`, `hmac`) — the portable, audited baseline, present on every
//! target and the reference every other provider is tested against.
//!
//! The crates choose AES-NI, CLMUL, AVX2 and SHA-NI at run time by themselves; this
//! provider reports what they will pick, or the portable constant-time code when the
//! build forces it (see the crate docs on `aes_force_soft` and friends).

mod aead;
mod cipher;
mod hash;
mod mac;
mod original;

use super::{
    AeadKey, ChaCha20Key, HashContext, MacKey, Provider, ProviderId, ProviderInfo, StreamCipher,
};
use crate::Error;
use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};
use crate::cpu::{CpuFeatures, Feature};

/// The RustCrypto-backed provider.
///
/// Made directly, it is a raw provider outside any engine (no FIPS policy or error
/// state); see [`candidates`](crate::provider::candidates).
#[derive(Debug, Clone)]
pub struct RustCrypto {
    details: Vec<(String, String)>,
}

impl RustCrypto {
    /// The provider, describing what the crates will use on a machine with `cpu`.
    pub fn new(cpu: &CpuFeatures) -> Self {
        let pick = |forced_soft: bool, feature: Feature, fast: &str, soft: &str| -> String {
            if forced_soft {
                format!("{soft} (forced by cfg)")
            } else if cpu.has(feature) {
                fast.to_owned()
            } else {
                soft.to_owned()
            }
        };
        let details = vec![
            (
                "aes".to_owned(),
                pick(
                    cfg!(aes_force_soft),
                    Feature::Aes,
                    "AES-NI (aes 0.8)",
                    "portable fixsliced, constant time (aes 0.8)",
                ),
            ),
            (
                "ghash".to_owned(),
                pick(
                    cfg!(polyval_force_soft),
                    Feature::Pclmulqdq,
                    "PCLMULQDQ (polyval 0.6)",
                    "portable constant time (polyval 0.6)",
                ),
            ),
            (
                "chacha20".to_owned(),
                pick(
                    cfg!(chacha20_force_soft),
                    Feature::Avx2,
                    "AVX2 (chacha20 0.9)",
                    "portable (chacha20 0.9)",
                ),
            ),
            (
                "poly1305".to_owned(),
                pick(
                    cfg!(poly1305_force_soft),
                    Feature::Avx2,
                    "AVX2 (poly1305 0.8)",
                    "portable (poly1305 0.8)",
                ),
            ),
            (
                "sha256".to_owned(),
                pick(
                    false,
                    Feature::Sha,
                    "SHA-NI (sha2 0.10)",
                    "portable (sha2 0.10)",
                ),
            ),
            ("rng".to_owned(), "operating system (getrandom)".to_owned()),
        ];
        RustCrypto { details }
    }

    /// True when the build forces every RustCrypto crate onto its portable code.
    pub fn all_software_forced() -> bool {
        cfg!(all(
            aes_force_soft,
            polyval_force_soft,
            chacha20_force_soft,
            poly1305_force_soft
        ))
    }
}

impl Provider for RustCrypto {
    fn id(&self) -> ProviderId {
        ProviderId::RustCrypto
    }

    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            id: ProviderId::RustCrypto,
            description: "RustCrypto crates: portable, audited baseline".to_owned(),
            details: self.details.clone(),
            algorithms: Algorithm::all().map(Algorithm::id).collect(),
        }
    }

    fn supports(&self, _alg: Algorithm) -> bool {
        true
    }

    fn aead(&self, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn AeadKey>, Error> {
        aead::new(alg, key)
    }

    fn cipher(
        &self,
        alg: CipherAlg,
        key: &[u8],
        iv: &[u8],
    ) -> Result<Box<dyn StreamCipher>, Error> {
        cipher::new(alg, key, iv)
    }

    fn mac(&self, alg: MacAlg, key: &[u8]) -> Result<Box<dyn MacKey>, Error> {
        Ok(mac::new(alg, key))
    }

    fn hash(&self, alg: HashAlg) -> Result<Box<dyn HashContext>, Error> {
        Ok(hash::new(alg))
    }

    fn chacha20_original(&self, key: &[u8; 32]) -> Result<Box<dyn ChaCha20Key>, Error> {
        Ok(original::new(key))
    }

    fn poly1305(&self, key: &[u8; 32], message: &[u8]) -> Result<[u8; 16], Error> {
        Ok(original::poly1305(key, message))
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), Error> {
        getrandom::getrandom(out)
            .map_err(|e| Error::Rng(format!("the operating system's generator failed: {e}")))
    }
}
