//! The `cpacf` provider: IBM Z's CP Assist for Cryptographic Functions (s390x only).
//!
//! # Detection
//!
//! STFLE's facility list says which CPACF instructions exist (message-security assist,
//! facility 17, and its extensions 4, 5 and 8 for KMCTR, PRNO and KMA); each existing
//! instruction's QUERY function then says which functions it has. Detection runs once per
//! process, and the provider uses a function only when its QUERY bit is set — so
//! [`Provider::supports`] is exactly what the masks say. `wirecrypt probe` prints the
//! facility bits, every mask, and per algorithm what serves it or which function is
//! missing.
//!
//! # What it serves, when the machine has the function
//!
//! | algorithm | instruction and function |
//! |---|---|
//! | AES-128-GCM, AES-256-GCM | KMA GCM-AES-128/256: one instruction per record |
//! | AES-128/192/256-CTR | KMCTR AES-128/192/256 over counter blocks built here |
//! | SHA-256 | KIMD + KLMD SHA-256 |
//! | SHA-384, SHA-512 | KIMD + KLMD SHA-512 (SHA-384 from its own initial value) |
//! | random numbers | PRNO TRNG (the operating system's generator without it) |
//!
//! ChaCha20-Poly1305 and HMAC are not served: CPACF has no ChaCha20, and the engine takes
//! them from the next provider in line.
//!
//! # Layout, and what runs where
//!
//! * `query` (every architecture): facility and QUERY-mask decoding, the table of which
//!   functions serve which algorithm, the `probe` details;
//! * `params` (every architecture): the parameter blocks and GR0 values, offsets pinned;
//! * `backend`: the operations as a trait; unit tests run the keyed objects against a
//!   software model of the instructions on every architecture;
//! * `hash`, `gcm`, `ctr`: the keyed objects (s390x, and unit tests everywhere);
//! * `insn` (s390x only): STFLE, QUERY and the instructions, each a small safe function
//!   around one `asm!` — the only `unsafe` code of the provider.
//!
//! Under QEMU 7.2 (`qemu-s390x`) only KIMD/KLMD SHA-512 and PRNO TRNG exist, so there the
//! provider serves SHA-384, SHA-512 and random numbers, and `rustcrypto` serves AES. See
//! `docs/ibm-z.md` for what ran under emulation and how to run the suite on IBM Z.

#[cfg(any(target_arch = "s390x", test))]
mod backend;
#[cfg(any(target_arch = "s390x", test))]
mod ctr;
#[cfg(any(target_arch = "s390x", test))]
mod gcm;
#[cfg(any(target_arch = "s390x", test))]
mod hash;
#[cfg(target_arch = "s390x")]
mod insn;
mod params;
mod query;

use std::sync::Arc;

use super::Provider;
use crate::cpu::CpuFeatures;

/// The provider when this machine has CPACF functions it uses, or why it cannot run here.
#[cfg(target_arch = "s390x")]
pub(crate) fn detect(_cpu: &CpuFeatures) -> Result<Arc<dyn Provider>, String> {
    Cpacf::new(insn::Hardware, insn::capabilities().clone())
        .map(|p| Arc::new(p) as Arc<dyn Provider>)
}

/// The provider when this machine has CPACF functions it uses, or why it cannot run here.
#[cfg(not(target_arch = "s390x"))]
pub(crate) fn detect(_cpu: &CpuFeatures) -> Result<Arc<dyn Provider>, String> {
    Err("IBM Z only".to_owned())
}

#[cfg(any(target_arch = "s390x", test))]
pub(crate) use provider::Cpacf;

#[cfg(any(target_arch = "s390x", test))]
mod provider {
    use super::backend::Backend;
    use super::query::{Capabilities, MSA};
    use super::{ctr, gcm, hash};
    use crate::Error;
    use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};
    use crate::provider::{
        AeadKey, HashContext, MacKey, Provider, ProviderId, ProviderInfo, StreamCipher,
    };

    /// The CPACF provider on backend `B` (the machine on s390x; a software model in unit
    /// tests).
    #[derive(Debug)]
    pub(crate) struct Cpacf<B: Backend> {
        backend: B,
        caps: Capabilities,
    }

    impl<B: Backend> Cpacf<B> {
        /// The provider on `caps`, or why it cannot run: no message-security assist, or
        /// none of the functions it uses.
        pub(crate) fn new(backend: B, caps: Capabilities) -> Result<Self, String> {
            if !caps.facilities().has(MSA) {
                return Err(format!(
                    "needs the message-security assist (facility {MSA}), which STFLE does not report"
                ));
            }
            if !Algorithm::all().any(|a| caps.serves(a)) && caps.trng().is_none() {
                return Err("CPACF has none of the functions this provider uses \
                     (KMA/KMCTR AES, KIMD/KLMD SHA-2, PRNO TRNG)"
                    .to_owned());
            }
            Ok(Cpacf { backend, caps })
        }

        fn unsupported(alg: impl Into<Algorithm>) -> Error {
            Error::Unsupported {
                provider: ProviderId::Cpacf,
                algorithm: alg.into().id(),
            }
        }
    }

    impl<B: Backend> Provider for Cpacf<B> {
        fn id(&self) -> ProviderId {
            ProviderId::Cpacf
        }

        fn info(&self) -> ProviderInfo {
            ProviderInfo {
                id: ProviderId::Cpacf,
                description: "IBM Z CPACF instructions (KMA, KMCTR, KIMD/KLMD, PRNO)".to_owned(),
                details: self.caps.describe(),
                algorithms: Algorithm::all()
                    .filter(|&a| self.caps.serves(a))
                    .map(Algorithm::id)
                    .collect(),
            }
        }

        fn supports(&self, alg: Algorithm) -> bool {
            self.caps.serves(alg)
        }

        fn aead(&self, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn AeadKey>, Error> {
            if !self.supports(alg.into()) {
                return Err(Self::unsupported(alg));
            }
            gcm::new(self.backend, &self.caps, alg, key)?.ok_or_else(|| Self::unsupported(alg))
        }

        fn cipher(
            &self,
            alg: CipherAlg,
            key: &[u8],
            iv: &[u8],
        ) -> Result<Box<dyn StreamCipher>, Error> {
            if !self.supports(alg.into()) {
                return Err(Self::unsupported(alg));
            }
            ctr::new(self.backend, &self.caps, alg, key, iv)?.ok_or_else(|| Self::unsupported(alg))
        }

        fn mac(&self, alg: MacAlg, _key: &[u8]) -> Result<Box<dyn MacKey>, Error> {
            Err(Self::unsupported(alg))
        }

        fn hash(&self, alg: HashAlg) -> Result<Box<dyn HashContext>, Error> {
            hash::new(self.backend, &self.caps, alg).ok_or_else(|| Self::unsupported(alg))
        }

        fn fill_random(&self, out: &mut [u8]) -> Result<(), Error> {
            match self.caps.trng() {
                Some(trng) => {
                    self.backend.trng(trng, out);
                    Ok(())
                }
                None => getrandom::getrandom(out).map_err(|e| {
                    Error::Rng(format!("the operating system's generator failed: {e}"))
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests;
