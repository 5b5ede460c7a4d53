//! The providers this build knows, in order of preference, and what each needs to run.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use super::Provider;
use crate::Error;
use crate::cpu::CpuFeatures;

/// The id of a provider known to this build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ProviderId {
    /// VAES + VPCLMULQDQ kernels on 512-bit AVX-512 registers (x86-64): AES-GCM and
    /// AES-CTR. The same kernel source as `vaes256`, four blocks per register.
    Vaes512,
    /// ChaCha20-Poly1305 kernels on AVX-512 registers with IFMA Poly1305 (x86-64).
    ChaCha512,
    /// ChaCha20-Poly1305 kernels on AVX2 registers (x86-64).
    ChaCha256,
    /// VAES + VPCLMULQDQ kernels on 256-bit AVX2 registers (x86-64): AES-GCM and AES-CTR.
    Vaes256,
    /// IBM Z CPACF instructions (s390x): KMA AES-GCM, KMCTR AES-CTR, KIMD/KLMD SHA-2,
    /// PRNO TRNG — each only where the machine's QUERY masks report it.
    Cpacf,
    /// The RustCrypto crates: portable, audited, present on every target.
    RustCrypto,
    /// A PKCS#11 token (feature `pkcs11`): keys stay in the token. Last in the order, so
    /// it serves only when forced — an HSM is for keys that must stay in hardware, not
    /// for speed.
    Pkcs11,
}

impl ProviderId {
    /// Every provider id, best first: selection takes the first available one that
    /// implements an algorithm.
    pub const ALL: &'static [ProviderId] = &[
        ProviderId::Vaes512,
        ProviderId::ChaCha512,
        ProviderId::ChaCha256,
        ProviderId::Vaes256,
        ProviderId::Cpacf,
        ProviderId::RustCrypto,
        ProviderId::Pkcs11,
    ];

    /// The id as written in `WIRECRYPT_PROVIDER` and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderId::Vaes512 => "vaes512",
            ProviderId::ChaCha512 => "chacha512",
            ProviderId::ChaCha256 => "chacha256",
            ProviderId::Vaes256 => "vaes256",
            ProviderId::Cpacf => "cpacf",
            ProviderId::RustCrypto => "rustcrypto",
            ProviderId::Pkcs11 => "pkcs11",
        }
    }

    /// True for the providers whose own kernels must pass the start-up known-answer
    /// guard ([`super::kat`]) before they serve: the hardware ones. The portable baseline
    /// is the reference the guard's answers agree with, and a PKCS#11 token runs its own
    /// power-up self-tests inside the token.
    pub fn kat_guarded(self) -> bool {
        match self {
            ProviderId::Vaes512
            | ProviderId::ChaCha512
            | ProviderId::ChaCha256
            | ProviderId::Vaes256
            | ProviderId::Cpacf => true,
            ProviderId::RustCrypto | ProviderId::Pkcs11 => false,
        }
    }

    /// The ids of every provider, for error messages.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|id| id.as_str()).collect()
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let wanted = s.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|id| id.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Error::UnknownProvider {
                requested: s.to_owned(),
                valid: Self::names(),
            })
    }
}

/// A provider this build knows, and whether it can run on this machine.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Its id.
    pub id: ProviderId,
    /// The ready provider, or why it cannot run here.
    pub status: Result<Arc<dyn Provider>, String>,
}

/// Asks every known provider, best first, whether it can run on a machine with `cpu`.
///
/// A hardware provider that runs here is available only once it has passed the
/// known-answer guard ([`super::kat::check`]) for everything it serves; otherwise its
/// status says `known-answer test failed: ...`, and selection passes it over.
///
/// These are the raw providers, outside any engine: no FIPS policy, no error state, no
/// GCM IV rule. A program in FIPS mode takes providers from its [`Engine`]
/// ([`provider`](crate::Engine::provider), [`provider_for`](crate::Engine::provider_for),
/// [`available`](crate::Engine::available), [`candidates`](crate::Engine::candidates)),
/// which carry all three.
///
/// [`Engine`]: crate::Engine
pub fn candidates(cpu: &CpuFeatures) -> Vec<Candidate> {
    ProviderId::ALL
        .iter()
        .map(|&id| Candidate {
            id,
            status: detect(id, cpu),
        })
        .collect()
}

fn detect(id: ProviderId, cpu: &CpuFeatures) -> Result<Arc<dyn Provider>, String> {
    let provider = detect_unchecked(id, cpu)?;
    if id.kat_guarded() {
        super::kat::check(provider.as_ref())
            .map_err(|why| format!("known-answer test failed: {why}"))?;
    }
    Ok(provider)
}

fn detect_unchecked(id: ProviderId, cpu: &CpuFeatures) -> Result<Arc<dyn Provider>, String> {
    match id {
        ProviderId::Vaes512 => detect_vaes512(cpu),
        ProviderId::ChaCha512 => detect_chacha(cpu, true),
        ProviderId::ChaCha256 => detect_chacha(cpu, false),
        ProviderId::Vaes256 => detect_vaes256(cpu),
        ProviderId::Cpacf => super::cpacf::detect(cpu),
        ProviderId::RustCrypto => Ok(Arc::new(super::rustcrypto::RustCrypto::new(cpu))),
        ProviderId::Pkcs11 => detect_pkcs11(),
    }
}

#[cfg(feature = "pkcs11")]
fn detect_pkcs11() -> Result<Arc<dyn Provider>, String> {
    super::pkcs11::detect()
}

#[cfg(not(feature = "pkcs11"))]
fn detect_pkcs11() -> Result<Arc<dyn Provider>, String> {
    Err("built without the `pkcs11` feature".to_owned())
}

#[cfg(target_arch = "x86_64")]
fn detect_vaes256(cpu: &CpuFeatures) -> Result<Arc<dyn Provider>, String> {
    super::vaes::Vaes256::detect(cpu).map(|p| Arc::new(p) as Arc<dyn Provider>)
}

#[cfg(target_arch = "x86_64")]
fn detect_vaes512(cpu: &CpuFeatures) -> Result<Arc<dyn Provider>, String> {
    super::vaes::Vaes512::detect(cpu).map(|p| Arc::new(p) as Arc<dyn Provider>)
}

#[cfg(not(target_arch = "x86_64"))]
fn detect_vaes256(_cpu: &CpuFeatures) -> Result<Arc<dyn Provider>, String> {
    Err("x86-64 only".to_owned())
}

#[cfg(not(target_arch = "x86_64"))]
fn detect_vaes512(_cpu: &CpuFeatures) -> Result<Arc<dyn Provider>, String> {
    Err("x86-64 only".to_owned())
}

#[cfg(target_arch = "x86_64")]
fn detect_chacha(cpu: &CpuFeatures, avx512: bool) -> Result<Arc<dyn Provider>, String> {
    use super::chacha_x86::ChaChaX86;
    let found = if avx512 {
        ChaChaX86::detect_avx512(cpu)
    } else {
        ChaChaX86::detect_avx2(cpu)
    };
    found.map(|p| Arc::new(p) as Arc<dyn Provider>)
}

#[cfg(not(target_arch = "x86_64"))]
fn detect_chacha(_cpu: &CpuFeatures, _avx512: bool) -> Result<Arc<dyn Provider>, String> {
    Err("x86-64 only".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_and_names_the_valid_ones() {
        assert_eq!(
            "rustcrypto".parse::<ProviderId>().unwrap(),
            ProviderId::RustCrypto
        );
        assert_eq!(
            " RustCrypto ".parse::<ProviderId>().unwrap(),
            ProviderId::RustCrypto
        );
        assert_eq!(
            "vaes256".parse::<ProviderId>().unwrap(),
            ProviderId::Vaes256
        );
        let err = "nonexistent".parse::<ProviderId>().unwrap_err();
        assert!(err.to_string().contains("nonexistent"));
        assert!(err.to_string().contains("rustcrypto"));
        assert!(err.to_string().contains("vaes256"));
    }

    #[test]
    fn vaes256_is_preferred_to_rustcrypto() {
        let order = |id| ProviderId::ALL.iter().position(|&p| p == id).unwrap();
        assert!(order(ProviderId::Vaes512) < order(ProviderId::Vaes256));
        assert!(order(ProviderId::Vaes256) < order(ProviderId::RustCrypto));
        // The portable baseline outranks only the token, which is never picked for speed.
        assert!(order(ProviderId::RustCrypto) < order(ProviderId::Pkcs11));
        assert_eq!(ProviderId::ALL.last(), Some(&ProviderId::Pkcs11));
    }

    #[test]
    fn vaes256_names_what_is_missing() {
        use crate::cpu::Feature;
        let cpu = CpuFeatures::get().without(&[Feature::Vaes, Feature::Vpclmulqdq]);
        let found = candidates(&cpu);
        let vaes = found.iter().find(|c| c.id == ProviderId::Vaes256).unwrap();
        let why = vaes
            .status
            .as_ref()
            .expect_err("vaes256 must be unavailable");
        if cfg!(target_arch = "x86_64") {
            assert!(why.starts_with("needs vaes, vpclmulqdq, avx2"), "{why}");
            assert!(why.ends_with("missing vaes, vpclmulqdq"), "{why}");
        } else {
            assert_eq!(why, "x86-64 only");
        }
        // Everything is still served, by someone else.
        let engine = crate::Engine::builder()
            .ignore_env()
            .cpu(cpu)
            .build()
            .unwrap();
        for s in engine.selections() {
            assert!(
                s.provider.is_some()
                    && s.provider != Some(ProviderId::Vaes256)
                    && s.provider != Some(ProviderId::Vaes512),
                "{s:?}"
            );
        }
    }

    #[test]
    fn vaes256_serves_aes_and_the_rest_falls_through() {
        let cpu = CpuFeatures::get();
        let found = candidates(cpu);
        let vaes = found.iter().find(|c| c.id == ProviderId::Vaes256).unwrap();
        if vaes.status.is_err() {
            return; // This machine lacks the features; see `vaes256_names_what_is_missing`.
        }
        // AES is taken from vaes256 (or a provider ranked above it), never from the
        // rustcrypto baseline; what vaes256 lacks falls through to the next in line.
        let engine = crate::Engine::builder().ignore_env().build().unwrap();
        for s in engine.selections() {
            assert!(s.provider.is_some(), "{s:?}");
            if s.algorithm.starts_with("aes-") {
                assert_ne!(s.provider, Some(ProviderId::RustCrypto), "{s:?}");
            } else {
                assert_ne!(s.provider, Some(ProviderId::Vaes256), "{s:?}");
                assert_ne!(s.provider, Some(ProviderId::Vaes512), "{s:?}");
            }
        }
    }

    #[test]
    fn vaes512_serves_aes_first_and_says_why_not() {
        use crate::cpu::Feature;
        let cpu = CpuFeatures::get();
        let found = candidates(cpu);
        let status = |found: &[Candidate], id| {
            found
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.status.is_ok())
                .unwrap()
        };
        // Without AVX-512 it names what is missing, and vaes256 (if here) serves AES.
        let no_avx512 = cpu.without(&[Feature::Avx512f, Feature::Avx512bw]);
        let masked = candidates(&no_avx512);
        let why = masked
            .iter()
            .find(|c| c.id == ProviderId::Vaes512)
            .unwrap()
            .status
            .as_ref()
            .expect_err("vaes512 must be unavailable without AVX-512");
        if cfg!(target_arch = "x86_64") {
            assert!(why.ends_with("missing avx512f, avx512bw"), "{why}");
        }
        assert_eq!(
            status(&masked, ProviderId::Vaes256),
            status(&found, ProviderId::Vaes256)
        );
        if !status(&found, ProviderId::Vaes512) {
            eprintln!("skipped: no AVX-512");
            return;
        }
        let engine = crate::Engine::builder().ignore_env().build().unwrap();
        for s in engine.selections() {
            let aes = s.algorithm.starts_with("aes-");
            assert_eq!(s.provider == Some(ProviderId::Vaes512), aes, "{s:?}");
        }
        let engine = crate::Engine::builder()
            .ignore_env()
            .cpu(no_avx512)
            .build()
            .unwrap();
        for s in engine.selections() {
            assert_ne!(s.provider, Some(ProviderId::Vaes512), "{s:?}");
            if s.algorithm.starts_with("aes-") && status(&found, ProviderId::Vaes256) {
                assert_eq!(s.provider, Some(ProviderId::Vaes256), "{s:?}");
                assert!(
                    s.reason.contains("vaes512 unavailable: needs avx512f"),
                    "{s:?}"
                );
            }
        }
    }
}
