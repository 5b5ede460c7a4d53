//! CPU detection as data: every crypto-relevant feature bit the engine looks at, and
//! whether this machine has it.
//!
//! Detection runs once per process ([`CpuFeatures::get`]); providers read the result when
//! keys are made, never per call. `wirecrypt probe` prints the whole table.

use std::fmt;
use std::sync::OnceLock;

/// A CPU feature the engine may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum Feature {
    /// x86-64 AES-NI.
    Aes,
    /// x86-64 carry-less multiply (GHASH).
    Pclmulqdq,
    /// x86-64 AVX.
    Avx,
    /// x86-64 AVX2.
    Avx2,
    /// x86-64 AVX-512 Foundation.
    Avx512f,
    /// x86-64 AVX-512 byte and word instructions.
    Avx512bw,
    /// x86-64 AVX-512 vector-length extensions (256-bit forms).
    Avx512vl,
    /// x86-64 AVX-512 integer fused multiply-add on 52-bit limbs.
    Avx512ifma,
    /// x86-64 vector AES (AES rounds on 256- and 512-bit registers).
    Vaes,
    /// x86-64 vector carry-less multiply.
    Vpclmulqdq,
    /// x86-64 SHA extensions (SHA-1, SHA-256).
    Sha,
    /// x86-64 RDRAND.
    Rdrand,
    /// x86-64 RDSEED.
    Rdseed,
    /// x86-64 ADX (multi-precision add-carry).
    Adx,
    /// x86-64 BMI2.
    Bmi2,
    /// AArch64 AES instructions.
    ArmAes,
    /// AArch64 polynomial multiply (GHASH).
    Pmull,
    /// AArch64 SHA-256 instructions.
    Sha2,
    /// AArch64 SHA-512 and SHA-3 instructions.
    Sha3,
}

impl Feature {
    /// The name the platform's documentation and `/proc/cpuinfo`-style tools use.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Aes => "aes",
            Feature::Pclmulqdq => "pclmulqdq",
            Feature::Avx => "avx",
            Feature::Avx2 => "avx2",
            Feature::Avx512f => "avx512f",
            Feature::Avx512bw => "avx512bw",
            Feature::Avx512vl => "avx512vl",
            Feature::Avx512ifma => "avx512ifma",
            Feature::Vaes => "vaes",
            Feature::Vpclmulqdq => "vpclmulqdq",
            Feature::Sha => "sha",
            Feature::Rdrand => "rdrand",
            Feature::Rdseed => "rdseed",
            Feature::Adx => "adx",
            Feature::Bmi2 => "bmi2",
            Feature::ArmAes => "aes",
            Feature::Pmull => "pmull",
            Feature::Sha2 => "sha2",
            Feature::Sha3 => "sha3",
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What detection found: the architecture, the CPU's model name, and every feature bit
/// checked with its result.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CpuFeatures {
    arch: &'static str,
    model: String,
    checked: Vec<(Feature, bool)>,
}

impl CpuFeatures {
    /// Detection for this process, run on first use.
    pub fn get() -> &'static CpuFeatures {
        static CPU: OnceLock<CpuFeatures> = OnceLock::new();
        CPU.get_or_init(CpuFeatures::detect)
    }

    /// Runs detection now.
    pub fn detect() -> CpuFeatures {
        CpuFeatures {
            arch: std::env::consts::ARCH,
            model: model_name(),
            checked: detect_features(),
        }
    }

    /// The same machine with some features treated as absent: to test a slower path on a
    /// machine that has the faster one.
    pub fn without(&self, disabled: &[Feature]) -> CpuFeatures {
        let mut copy = self.clone();
        for (feature, present) in &mut copy.checked {
            if disabled.contains(feature) {
                *present = false;
            }
        }
        copy
    }

    /// True when `feature` was checked and found.
    pub fn has(&self, feature: Feature) -> bool {
        self.checked
            .iter()
            .any(|&(f, present)| f == feature && present)
    }

    /// True when every feature in `features` was found.
    pub fn has_all(&self, features: &[Feature]) -> bool {
        features.iter().all(|&f| self.has(f))
    }

    /// The features in `features` that are missing, for "why not" messages.
    pub fn missing(&self, features: &[Feature]) -> Vec<Feature> {
        features.iter().copied().filter(|&f| !self.has(f)).collect()
    }

    /// Every feature checked on this architecture, with its result.
    pub fn checked(&self) -> &[(Feature, bool)] {
        &self.checked
    }

    /// The architecture (`x86_64`, `aarch64`, `s390x`, ...).
    pub fn arch(&self) -> &'static str {
        self.arch
    }

    /// The CPU's model name, or `unknown`.
    pub fn model(&self) -> &str {
        &self.model
    }
}

#[cfg(target_arch = "x86_64")]
fn detect_features() -> Vec<(Feature, bool)> {
    use std::arch::is_x86_feature_detected as has;
    vec![
        (Feature::Aes, has!("aes")),
        (Feature::Pclmulqdq, has!("pclmulqdq")),
        (Feature::Avx, has!("avx")),
        (Feature::Avx2, has!("avx2")),
        (Feature::Avx512f, has!("avx512f")),
        (Feature::Avx512bw, has!("avx512bw")),
        (Feature::Avx512vl, has!("avx512vl")),
        (Feature::Avx512ifma, has!("avx512ifma")),
        (Feature::Vaes, has!("vaes")),
        (Feature::Vpclmulqdq, has!("vpclmulqdq")),
        (Feature::Sha, has!("sha")),
        (Feature::Rdrand, has!("rdrand")),
        (Feature::Rdseed, has!("rdseed")),
        (Feature::Adx, has!("adx")),
        (Feature::Bmi2, has!("bmi2")),
    ]
}

#[cfg(target_arch = "aarch64")]
fn detect_features() -> Vec<(Feature, bool)> {
    use std::arch::is_aarch64_feature_detected as has;
    vec![
        (Feature::ArmAes, has!("aes")),
        (Feature::Pmull, has!("pmull")),
        (Feature::Sha2, has!("sha2")),
        (Feature::Sha3, has!("sha3")),
    ]
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn detect_features() -> Vec<(Feature, bool)> {
    Vec::new()
}

/// The model name from `/proc/cpuinfo` (x86 `model name`, others `CPU part` or the like).
fn model_name() -> String {
    let Ok(text) = std::fs::read_to_string("/proc/cpuinfo") else {
        return "unknown".to_owned();
    };
    ["model name", "Model", "machine", "cpu model", "CPU part"]
        .iter()
        .find_map(|key| {
            text.lines().find_map(|line| {
                let (k, v) = line.split_once(':')?;
                (k.trim() == *key && !v.trim().is_empty()).then(|| v.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_is_consistent_with_std() {
        let cpu = CpuFeatures::detect();
        assert_eq!(cpu.arch(), std::env::consts::ARCH);
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(cpu.checked().len(), 15);
            assert_eq!(
                cpu.has(Feature::Avx2),
                std::arch::is_x86_feature_detected!("avx2")
            );
            assert_eq!(
                cpu.has(Feature::Vaes),
                std::arch::is_x86_feature_detected!("vaes")
            );
        }
    }

    #[test]
    fn without_masks_features() {
        let cpu = CpuFeatures::detect();
        let masked = cpu.without(&[Feature::Aes, Feature::ArmAes]);
        assert!(!masked.has(Feature::Aes) && !masked.has(Feature::ArmAes));
        assert_eq!(masked.checked().len(), cpu.checked().len());
        assert_eq!(masked.missing(&[Feature::Aes]), vec![Feature::Aes]);
    }
}
