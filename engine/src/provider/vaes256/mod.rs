//! The `vaes256` provider: AES-GCM and AES-CTR on VAES and VPCLMULQDQ with 256-bit AVX2
//! registers (x86-64 only).
//!
//! # Feature formula
//!
//! `AES && PCLMULQDQ && AVX2 && VAES && VPCLMULQDQ`. This is the set AMD Zen 3 and later,
//! and Intel Ice Lake and later, have; it needs no AVX-512. [`Vaes256Cpu`] is the proof that
//! detection found all five; nothing in this module can be built without one.
//!
//! # What it serves
//!
//! AES-128-GCM and AES-256-GCM ([`AeadKey`]) and AES-128/192/256-CTR ([`StreamCipher`]).
//! ChaCha20-Poly1305, HMAC and SHA-2 are not served here: `supports` says so and the
//! engine takes them from the next provider in line.
//!
//! # Layout
//!
//! * [`simd`]: the only loads and stores through raw pointers, and GCM's byte order;
//! * [`aes`]: key expansion, the AES rounds two blocks to a register, counter blocks,
//!   the counter-mode kernel;
//! * [`ghash`]: GF(2^128) arithmetic, the key powers H^1..H^16, GHASH over 16 blocks
//!   with one reduction (the math is explained there);
//! * [`gcm`]: the AES-GCM kernels (seal and open each fuse AES and GHASH in one pass)
//!   and the keyed object;
//! * [`io`]: the kernels' view of their input and output, in place or out of place;
//! * [`ctr`]: the AES-CTR stream cipher.
//!
//! # Where `unsafe` is
//!
//! The kernels are safe `#[target_feature]` functions: inside them the SIMD intrinsics
//! are safe to call. `unsafe` remains in two places only: the loads and stores in
//! [`simd`] (raw pointers into arrays whose length the types fix), and the calls from the
//! safe trait methods into the kernels, each justified by the [`Vaes256Cpu`] token the
//! keyed object holds.

// This module touches the CPU directly: the kernels need `unsafe` to call
// `#[target_feature]` functions from safe code and to load and store SIMD registers.
// Every block carries a `// SAFETY:` comment; the rest of the engine stays
// `#![deny(unsafe_code)]`.
#![allow(unsafe_code)]

mod aes;
mod ctr;
mod gcm;
mod ghash;
mod io;
mod simd;
#[cfg(test)]
mod tests;

use super::{AeadKey, HashContext, MacKey, Provider, ProviderId, ProviderInfo, StreamCipher};
use crate::Error;
use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};
use crate::cpu::{CpuFeatures, Feature};

/// Proof that this CPU has every feature the `vaes256` kernels use.
///
/// Zero-sized; obtainable only from [`Vaes256Cpu::new`], which checks both the engine's
/// [`CpuFeatures`] (so `CpuFeatures::without` can switch the provider off in tests) and
/// the standard library's own detection.
#[derive(Clone, Copy, Debug)]
pub struct Vaes256Cpu(());

impl Vaes256Cpu {
    /// The features the kernels enable (`#[target_feature(enable = "avx2,vaes,vpclmulqdq,aes,pclmulqdq")]`).
    pub const FEATURES: &'static [Feature] = &[
        Feature::Vaes,
        Feature::Vpclmulqdq,
        Feature::Avx2,
        Feature::Aes,
        Feature::Pclmulqdq,
    ];

    /// The token, when `cpu` reports every feature in [`Self::FEATURES`].
    pub fn new(cpu: &CpuFeatures) -> Option<Self> {
        let std_agrees = std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("vaes")
            && std::arch::is_x86_feature_detected!("vpclmulqdq")
            && std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq");
        (cpu.has_all(Self::FEATURES) && std_agrees).then_some(Vaes256Cpu(()))
    }
}

/// The VAES + VPCLMULQDQ (AVX2) provider.
#[derive(Clone, Copy, Debug)]
pub struct Vaes256 {
    cpu: Vaes256Cpu,
}

impl Vaes256 {
    /// The provider; the token proves it can run here.
    pub fn new(cpu: Vaes256Cpu) -> Self {
        Vaes256 { cpu }
    }

    /// The provider when `cpu` has what it needs, or a message naming what is missing.
    pub fn detect(cpu: &CpuFeatures) -> Result<Self, String> {
        match Vaes256Cpu::new(cpu) {
            Some(token) => Ok(Vaes256::new(token)),
            None => {
                let mut missing: Vec<&str> = cpu
                    .missing(Vaes256Cpu::FEATURES)
                    .into_iter()
                    .map(Feature::name)
                    .collect();
                if missing.is_empty() {
                    // The engine's table and the standard library disagree; say so.
                    missing.push("(not confirmed by std::arch detection)");
                }
                Err(format!(
                    "needs vaes, vpclmulqdq, avx2, aes, pclmulqdq: missing {}",
                    missing.join(", ")
                ))
            }
        }
    }

    fn unsupported(alg: impl Into<Algorithm>) -> Error {
        Error::Unsupported {
            provider: ProviderId::Vaes256,
            algorithm: alg.into().id(),
        }
    }
}

/// True for the algorithms this provider implements.
fn serves(alg: Algorithm) -> bool {
    matches!(
        alg,
        Algorithm::Aead(AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm) | Algorithm::Cipher(_)
    )
}

impl Provider for Vaes256 {
    fn id(&self) -> ProviderId {
        ProviderId::Vaes256
    }

    fn info(&self) -> ProviderInfo {
        let details = [
            (
                "aes",
                "VAES on 256-bit registers: 2 blocks per register, 16 per loop",
            ),
            (
                "ghash",
                "VPCLMULQDQ on 256-bit registers, Karatsuba: 16 blocks per reduction against H^16..H^1",
            ),
            (
                "aes-gcm",
                "seal: AES of the next 16 blocks interleaved with GHASH of the previous 16; \
                 open: one pass (GHASH 16 blocks ahead of the decryption), output wiped \
                 unless the tag verifies; in place or out of place in one pass",
            ),
            ("rng", "operating system (getrandom)"),
        ];
        ProviderInfo {
            id: ProviderId::Vaes256,
            description: "VAES + VPCLMULQDQ kernels on AVX2 (256-bit) registers".to_owned(),
            details: details
                .iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            algorithms: Algorithm::all()
                .filter(|&a| serves(a))
                .map(Algorithm::id)
                .collect(),
        }
    }

    fn supports(&self, alg: Algorithm) -> bool {
        serves(alg)
    }

    fn aead(&self, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn AeadKey>, Error> {
        match alg {
            AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => gcm::new(self.cpu, alg, key),
            AeadAlg::ChaCha20Poly1305 => Err(Self::unsupported(alg)),
        }
    }

    fn cipher(
        &self,
        alg: CipherAlg,
        key: &[u8],
        iv: &[u8],
    ) -> Result<Box<dyn StreamCipher>, Error> {
        ctr::new(self.cpu, alg, key, iv)
    }

    fn mac(&self, alg: MacAlg, _key: &[u8]) -> Result<Box<dyn MacKey>, Error> {
        Err(Self::unsupported(alg))
    }

    fn hash(&self, alg: HashAlg) -> Result<Box<dyn HashContext>, Error> {
        Err(Self::unsupported(alg))
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), Error> {
        getrandom::getrandom(out)
            .map_err(|e| Error::Rng(format!("the operating system's generator failed: {e}")))
    }
}
