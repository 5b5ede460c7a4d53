//! The `vaes512` and `vaes256` providers: AES-GCM and AES-CTR on VAES and VPCLMULQDQ,
//! with 512-bit AVX-512 or 256-bit AVX2 registers (x86-64 only).
//!
//! # One kernel source, two widths
//!
//! Every kernel is written once, generic over [`width::Width`]: `vaes512`
//! ([`avx512`], four blocks per register) and `vaes256` ([`avx2`], two blocks per
//! register) are two instantiations of the same batch structure — eight registers per
//! loop iteration, AES of one batch interleaved with GHASH of another, one GHASH
//! reduction per batch against as many powers of H as the batch holds (32 or 16),
//! one-pass open, in place or out of place. Only the width's own instructions differ,
//! so every other line is exercised by the `vaes256` tests on any machine with VAES.
//!
//! # Feature formulas
//!
//! * `vaes512`: `AVX512F && AVX512BW && AVX512VL && VAES && VPCLMULQDQ` (and AES,
//!   PCLMULQDQ, AVX2) — Intel Ice Lake and later with AVX-512, AMD Zen 4 and later.
//!   Ranked first.
//! * `vaes256`: `AES && PCLMULQDQ && AVX2 && VAES && VPCLMULQDQ` — AMD Zen 3 and later,
//!   Intel Ice Lake and later.
//!
//! [`Vaes512Cpu`] and [`Vaes256Cpu`] are the proofs that detection found them; nothing
//! in this module runs without one.
//!
//! # What they serve
//!
//! AES-128-GCM and AES-256-GCM ([`AeadKey`]) and AES-128/192/256-CTR ([`StreamCipher`]).
//! ChaCha20-Poly1305, HMAC and SHA-2 are not served here: `supports` says so and the
//! engine takes them from the next provider in line.
//!
//! # Layout
//!
//! * [`width`]: the width trait; [`avx2`] and [`avx512`]: its two implementations, the
//!   only place the register types and their instructions appear;
//! * [`simd`]: single blocks and batches in memory, and GCM's byte order;
//! * [`aes`]: key expansion, AES rounds on a batch, counter blocks, the counter-mode
//!   kernel;
//! * [`ghash`]: GF(2^128) arithmetic, the key powers, GHASH over a batch with one
//!   reduction (the math is explained there);
//! * [`gcm`]: the AES-GCM kernels (seal and open each fuse AES and GHASH in one pass)
//!   and the keyed object;
//! * [`io`]: the kernels' view of their input and output, in place or out of place;
//! * [`ctr`]: the AES-CTR stream cipher.
//!
//! # Where `unsafe` is
//!
//! Only in [`width`], [`avx2`], [`avx512`] and [`simd`]: each intrinsic call, justified
//! by the CPU token its method takes, and the raw-pointer loads and stores, justified by
//! the length checks before them. Kernels enter their width's `#[target_feature]`
//! context through [`width::Width::enter`], also justified by the token.

// This module touches the CPU directly. Every `unsafe` block carries a `// SAFETY:`
// comment; the rest of the engine stays `#![deny(unsafe_code)]`.
#![allow(unsafe_code)]

mod aes;
mod avx2;
mod avx512;
mod ctr;
mod gcm;
mod ghash;
mod io;
mod simd;
#[cfg(test)]
mod tests;
pub(super) mod width;

use super::{AeadKey, HashContext, MacKey, Provider, ProviderId, ProviderInfo, StreamCipher};
use crate::Error;
use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};
use crate::cpu::{CpuFeatures, Feature};

pub use avx2::Vaes256Cpu;
pub use avx512::Vaes512Cpu;

/// The VAES + VPCLMULQDQ provider on 256-bit (AVX2) registers.
pub type Vaes256 = Vaes<Vaes256Cpu>;
/// The VAES + VPCLMULQDQ provider on 512-bit (AVX-512) registers.
pub type Vaes512 = Vaes<Vaes512Cpu>;

/// A VAES + VPCLMULQDQ provider for one register width (see [`Vaes256`], [`Vaes512`]).
#[derive(Clone, Copy, Debug)]
pub struct Vaes<W> {
    cpu: W,
}

/// What differs between the two providers besides the kernels' width.
pub trait Flavour: width::Width {
    /// The provider's id.
    const ID: ProviderId;
    /// The features it needs, for the "missing" message.
    const NEEDS: &'static [Feature];
    /// The token, when `cpu` has every feature.
    fn token(cpu: &CpuFeatures) -> Option<Self>;
    /// `wirecrypt probe`'s description and details.
    fn describe() -> (&'static str, [(&'static str, &'static str); 3]);
}

impl Flavour for Vaes256Cpu {
    const ID: ProviderId = ProviderId::Vaes256;
    const NEEDS: &'static [Feature] = Vaes256Cpu::FEATURES;
    fn token(cpu: &CpuFeatures) -> Option<Self> {
        Vaes256Cpu::new(cpu)
    }
    fn describe() -> (&'static str, [(&'static str, &'static str); 3]) {
        (
            "VAES + VPCLMULQDQ kernels on AVX2 (256-bit) registers",
            [
                (
                    "aes",
                    "VAES on 256-bit registers: 2 blocks per register, 16 per loop",
                ),
                (
                    "ghash",
                    "VPCLMULQDQ on 256-bit registers, Karatsuba: 16 blocks per reduction against H^16..H^1",
                ),
                ("aes-gcm", GCM_DETAIL),
            ],
        )
    }
}

impl Flavour for Vaes512Cpu {
    const ID: ProviderId = ProviderId::Vaes512;
    const NEEDS: &'static [Feature] = Vaes512Cpu::FEATURES;
    fn token(cpu: &CpuFeatures) -> Option<Self> {
        Vaes512Cpu::new(cpu)
    }
    fn describe() -> (&'static str, [(&'static str, &'static str); 3]) {
        (
            "VAES + VPCLMULQDQ kernels on AVX-512 (512-bit) registers",
            [
                (
                    "aes",
                    "VAES on 512-bit registers: 4 blocks per register, 32 per loop",
                ),
                (
                    "ghash",
                    "VPCLMULQDQ on 512-bit registers, schoolbook: 32 blocks per reduction against H^32..H^1",
                ),
                ("aes-gcm", GCM_DETAIL),
            ],
        )
    }
}

const GCM_DETAIL: &str = "seal: AES of the next batch interleaved with GHASH of the previous one; \
     open: one pass (GHASH beside the decryption), output wiped \
     unless the tag verifies; in place or out of place in one pass";

impl<W: Flavour> Vaes<W> {
    /// The provider; the token proves it can run here.
    pub fn new(cpu: W) -> Self {
        Vaes { cpu }
    }

    /// The provider when `cpu` has what it needs, or a message naming what is missing.
    pub fn detect(cpu: &CpuFeatures) -> Result<Self, String> {
        match W::token(cpu) {
            Some(token) => Ok(Vaes::new(token)),
            None => {
                let mut missing: Vec<&str> = cpu
                    .missing(W::NEEDS)
                    .into_iter()
                    .map(Feature::name)
                    .collect();
                if missing.is_empty() {
                    // The engine's table and the standard library disagree; say so.
                    missing.push("(not confirmed by std::arch detection)");
                }
                let needs: Vec<&str> = W::NEEDS.iter().map(|f| f.name()).collect();
                Err(format!(
                    "needs {}: missing {}",
                    needs.join(", "),
                    missing.join(", ")
                ))
            }
        }
    }

    fn unsupported(alg: impl Into<Algorithm>) -> Error {
        Error::Unsupported {
            provider: W::ID,
            algorithm: alg.into().id(),
        }
    }
}

/// True for the algorithms these providers implement.
fn serves(alg: Algorithm) -> bool {
    matches!(
        alg,
        Algorithm::Aead(AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm) | Algorithm::Cipher(_)
    )
}

impl<W: Flavour> Provider for Vaes<W> {
    fn id(&self) -> ProviderId {
        W::ID
    }

    fn info(&self) -> ProviderInfo {
        let (description, details) = W::describe();
        let details = details
            .into_iter()
            .chain([("rng", "operating system (getrandom)")])
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        ProviderInfo {
            id: W::ID,
            description: description.to_owned(),
            details,
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
