//! The `chacha256` and `chacha512` providers: ChaCha20-Poly1305 on x86-64 vector
//! kernels, and the original-form ChaCha20 and one-shot Poly1305 that
//! `chacha20-poly1305@openssh.com` is built from.
//!
//! # Feature formulas
//!
//! * `chacha256`: `AVX2`. ChaCha20 eight blocks per loop on 256-bit registers
//!   ([`avx2`]); Poly1305 on the `poly1305` crate's AVX2 backend, which is faster than
//!   scalar code (the radix-2^44 scalar code in [`poly1305`] is the IFMA kernel's
//!   companion and the tests' reference).
//! * `chacha512`: `AVX512F && AVX512VL && AVX512IFMA && AVX2`. ChaCha20 sixteen blocks per loop on
//!   512-bit registers, Poly1305 on eight IFMA lanes ([`avx512`]). Intel Ice Lake and
//!   later, AMD Zen 4 and later.
//!
//! [`Avx2Cpu`] and [`Avx512Cpu`] are the proofs that detection found these; no keyed
//! object here can be made without one.
//!
//! # Layout
//!
//! * [`chacha`]: the input block, the two counter forms, the kernels' input/output view;
//! * [`avx2`], [`avx512`]: the kernels (each opens with its data layout);
//! * [`poly1305`]: Poly1305 arithmetic shared by every tier, and the scalar code;
//! * [`avx512_aead`]: the AVX-512 tier's AEAD pass, Poly1305 woven into ChaCha20;
//! * [`aead`]: the keyed objects (RFC 8439 AEAD, original-form ChaCha20).
//!
//! # Where `unsafe` is
//!
//! The kernels are safe `#[target_feature]` functions. `unsafe` remains in the loads and
//! stores (on fixed-size arrays) and in the calls from safe code into the kernels, each
//! justified by a token the keyed object holds.

// This module touches the CPU directly; every `unsafe` block carries a `// SAFETY:`
// comment, and the rest of the engine stays `#![deny(unsafe_code)]`.
#![allow(unsafe_code)]

mod aead;
mod avx2;
mod avx512;
mod avx512_aead;
mod chacha;
mod poly1305;
#[cfg(test)]
mod tests;

use super::{
    AeadKey, ChaCha20Key, HashContext, MacKey, Provider, ProviderId, ProviderInfo, StreamCipher,
};
use crate::Error;
use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};
use crate::cpu::{CpuFeatures, Feature};

/// One ChaCha20 double round (a column round, then a diagonal round) on the vertical
/// layout: `$v[w]` holds word `w` of several blocks. The caller's scope provides `add`,
/// `xor` and `rol16/12/8/7` for its register width.
macro_rules! double_round {
    ($v:ident) => {
        $crate::provider::chacha_x86::quarter_round!($v, 0, 4, 8, 12);
        $crate::provider::chacha_x86::quarter_round!($v, 1, 5, 9, 13);
        $crate::provider::chacha_x86::quarter_round!($v, 2, 6, 10, 14);
        $crate::provider::chacha_x86::quarter_round!($v, 3, 7, 11, 15);
        $crate::provider::chacha_x86::quarter_round!($v, 0, 5, 10, 15);
        $crate::provider::chacha_x86::quarter_round!($v, 1, 6, 11, 12);
        $crate::provider::chacha_x86::quarter_round!($v, 2, 7, 8, 13);
        $crate::provider::chacha_x86::quarter_round!($v, 3, 4, 9, 14);
    };
}

/// RFC 8439 §2.1's quarter round on registers `a, b, c, d` of `$v`.
macro_rules! quarter_round {
    ($v:ident, $a:expr, $b:expr, $c:expr, $d:expr) => {
        $v[$a] = add($v[$a], $v[$b]);
        $v[$d] = rol16(xor($v[$d], $v[$a]));
        $v[$c] = add($v[$c], $v[$d]);
        $v[$b] = rol12(xor($v[$b], $v[$c]));
        $v[$a] = add($v[$a], $v[$b]);
        $v[$d] = rol8(xor($v[$d], $v[$a]));
        $v[$c] = add($v[$c], $v[$d]);
        $v[$b] = rol7(xor($v[$b], $v[$c]));
    };
}
use {double_round, quarter_round};

/// Proof that this CPU has AVX2.
#[derive(Clone, Copy, Debug)]
pub struct Avx2Cpu(());

impl Avx2Cpu {
    /// The features the AVX2 kernels enable.
    pub const FEATURES: &'static [Feature] = &[Feature::Avx2];

    /// The token, when both `cpu` and the standard library's detection report AVX2.
    pub fn new(cpu: &CpuFeatures) -> Option<Self> {
        let std_agrees = std::arch::is_x86_feature_detected!("avx2");
        (cpu.has_all(Self::FEATURES) && std_agrees).then_some(Avx2Cpu(()))
    }
}

/// Proof that this CPU has AVX-512F, AVX-512VL, AVX-512 IFMA and AVX2.
#[derive(Clone, Copy, Debug)]
pub struct Avx512Cpu(());

impl Avx512Cpu {
    /// The features the AVX-512 kernels enable.
    pub const FEATURES: &'static [Feature] = &[
        Feature::Avx512f,
        Feature::Avx512vl,
        Feature::Avx512ifma,
        Feature::Avx2,
    ];

    /// The token, when both `cpu` and the standard library's detection report them all.
    pub fn new(cpu: &CpuFeatures) -> Option<Self> {
        let std_agrees = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512ifma")
            && std::arch::is_x86_feature_detected!("avx2");
        (cpu.has_all(Self::FEATURES) && std_agrees).then_some(Avx512Cpu(()))
    }
}

/// Which kernels a key runs on, with the proof that they can.
#[derive(Clone, Copy, Debug)]
pub(super) enum Tier {
    /// 256-bit ChaCha20, the `poly1305` crate's AVX2 Poly1305.
    Avx2(Avx2Cpu),
    /// 512-bit ChaCha20, IFMA Poly1305.
    Avx512(Avx512Cpu),
}

impl Tier {
    fn id(self) -> ProviderId {
        match self {
            Tier::Avx2(_) => ProviderId::ChaCha256,
            Tier::Avx512(_) => ProviderId::ChaCha512,
        }
    }

    fn poly_blocks(self) -> poly1305::Blocks {
        match self {
            Tier::Avx2(_) => poly1305::Blocks::Crate,
            Tier::Avx512(cpu) => poly1305::Blocks::Ifma(cpu),
        }
    }
}

/// A ChaCha20-Poly1305 provider on one tier of x86-64 vector kernels.
#[derive(Clone, Copy, Debug)]
pub struct ChaChaX86 {
    tier: Tier,
}

impl ChaChaX86 {
    /// The `chacha256` provider when `cpu` has AVX2, or what is missing.
    pub fn detect_avx2(cpu: &CpuFeatures) -> Result<Self, String> {
        Avx2Cpu::new(cpu)
            .map(|t| ChaChaX86 {
                tier: Tier::Avx2(t),
            })
            .ok_or_else(|| missing(cpu, Avx2Cpu::FEATURES))
    }

    /// The `chacha512` provider when `cpu` has AVX-512F, VL, IFMA and AVX2, or what is
    /// missing.
    pub fn detect_avx512(cpu: &CpuFeatures) -> Result<Self, String> {
        Avx512Cpu::new(cpu)
            .map(|t| ChaChaX86 {
                tier: Tier::Avx512(t),
            })
            .ok_or_else(|| missing(cpu, Avx512Cpu::FEATURES))
    }

    fn unsupported(&self, alg: impl Into<Algorithm>) -> Error {
        Error::Unsupported {
            provider: self.tier.id(),
            algorithm: alg.into().id(),
        }
    }
}

/// "needs a, b: missing b", naming the features `cpu` lacks.
fn missing(cpu: &CpuFeatures, features: &[Feature]) -> String {
    let mut absent: Vec<&str> = cpu
        .missing(features)
        .into_iter()
        .map(Feature::name)
        .collect();
    if absent.is_empty() {
        // The engine's table and the standard library disagree; say so.
        absent.push("(not confirmed by std::arch detection)");
    }
    let needed: Vec<&str> = features.iter().map(|f| f.name()).collect();
    format!("needs {}: missing {}", needed.join(", "), absent.join(", "))
}

/// True for the algorithms these providers implement.
fn serves(alg: Algorithm) -> bool {
    alg == Algorithm::Aead(AeadAlg::ChaCha20Poly1305)
}

impl Provider for ChaChaX86 {
    fn id(&self) -> ProviderId {
        self.tier.id()
    }

    fn info(&self) -> ProviderInfo {
        let (description, chacha, poly, aead) = match self.tier {
            Tier::Avx2(_) => (
                "ChaCha20-Poly1305 kernels on AVX2 (256-bit) registers",
                "AVX2: 8 blocks per loop, one block per 32-bit lane",
                if cfg!(poly1305_force_soft) {
                    "the poly1305 0.8 crate, its portable code (forced by cfg)"
                } else {
                    "the poly1305 0.8 crate's AVX2 backend (4 blocks per step)"
                },
                "one pass: Poly1305 reads each 4 KiB chunk right after (seal) or before \
                 (open) the cipher; output wiped unless the tag verifies",
            ),
            Tier::Avx512(_) => (
                "ChaCha20-Poly1305 kernels on AVX-512 (512-bit) registers with IFMA",
                "AVX-512F: 16 blocks per loop, one block per 32-bit lane; tails of up to 8 \
                 blocks on 256-bit registers with AVX-512VL rotations",
                "AVX-512 IFMA: 8 lanes of radix 2^44; two accumulators against r^16..r^1 \
                 from 2 KiB, one against r^8..r^1 below",
                "one pass, 1 KiB at a time: a Poly1305 step of 128 bytes between \
                 ChaCha20 double rounds, over the previous kilobyte's ciphertext (seal) or \
                 this one's before it is overwritten (open); output wiped unless the tag \
                 verifies",
            ),
        };
        let details = [
            ("chacha20", chacha),
            ("poly1305", poly),
            ("chacha20-poly1305", aead),
            (
                "chacha20-poly1305@openssh.com",
                "original-form ChaCha20 (64-bit nonce and counter) and one-shot Poly1305",
            ),
            ("rng", "operating system (getrandom)"),
        ];
        ProviderInfo {
            id: self.tier.id(),
            description: description.to_owned(),
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
            AeadAlg::ChaCha20Poly1305 => aead::new(self.tier, key),
            AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => Err(self.unsupported(alg)),
        }
    }

    fn cipher(
        &self,
        alg: CipherAlg,
        _key: &[u8],
        _iv: &[u8],
    ) -> Result<Box<dyn StreamCipher>, Error> {
        Err(self.unsupported(alg))
    }

    fn mac(&self, alg: MacAlg, _key: &[u8]) -> Result<Box<dyn MacKey>, Error> {
        Err(self.unsupported(alg))
    }

    fn hash(&self, alg: HashAlg) -> Result<Box<dyn HashContext>, Error> {
        Err(self.unsupported(alg))
    }

    fn chacha20_original(&self, key: &[u8; 32]) -> Result<Box<dyn ChaCha20Key>, Error> {
        Ok(aead::new_original(self.tier, key))
    }

    fn poly1305(&self, key: &[u8; 32], message: &[u8]) -> Result<[u8; 16], Error> {
        Ok(aead::poly1305(self.tier, key, message))
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), Error> {
        getrandom::getrandom(out)
            .map_err(|e| Error::Rng(format!("the operating system's generator failed: {e}")))
    }
}
