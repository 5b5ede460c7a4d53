//! The algorithm catalogue: every algorithm the engine knows, with its sizes, its names in
//! TLS and SSH, and whether the FIPS policy approves it.
//!
//! The facts live in one table, [`CATALOGUE`]; the enums are keys into it. Adding an
//! algorithm means adding an enum variant and a row.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// An authenticated cipher with associated data (AEAD): all take a 96-bit nonce and
/// produce a 128-bit tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AeadAlg {
    /// AES-128 in Galois/Counter Mode (SP 800-38D).
    Aes128Gcm,
    /// AES-256 in Galois/Counter Mode (SP 800-38D).
    Aes256Gcm,
    /// ChaCha20 with the Poly1305 authenticator (RFC 8439).
    ChaCha20Poly1305,
}

/// A stream cipher: AES in counter mode with a big-endian 128-bit counter
/// (SP 800-38A §6.5, as SSH uses it per RFC 4344).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CipherAlg {
    /// AES-128-CTR.
    Aes128Ctr,
    /// AES-192-CTR.
    Aes192Ctr,
    /// AES-256-CTR.
    Aes256Ctr,
}

/// A message authentication code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MacAlg {
    /// HMAC-SHA-1: legacy, kept only to interoperate with old SSH peers.
    HmacSha1,
    /// HMAC-SHA-256 (RFC 2104, FIPS 198-1).
    HmacSha256,
    /// HMAC-SHA-512 (RFC 2104, FIPS 198-1).
    HmacSha512,
}

/// A hash function (FIPS 180-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// Any algorithm in the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// An AEAD.
    Aead(AeadAlg),
    /// A stream cipher.
    Cipher(CipherAlg),
    /// A MAC.
    Mac(MacAlg),
    /// A hash.
    Hash(HashAlg),
}

/// What kind of primitive an algorithm is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Authenticated encryption with associated data.
    Aead,
    /// Unauthenticated stream cipher.
    Cipher,
    /// Message authentication code.
    Mac,
    /// Hash function.
    Hash,
}

/// Whether the engine's FIPS policy lets an algorithm be constructed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FipsStatus {
    /// Approved for new use.
    Approved,
    /// Refused in FIPS mode, with the rule that refuses it.
    NotApproved {
        /// The rule and its source, for error messages and `wirecrypt fips check`.
        rule: &'static str,
    },
}

impl FipsStatus {
    /// True when the algorithm is approved.
    pub fn is_approved(self) -> bool {
        matches!(self, FipsStatus::Approved)
    }
}

/// One row of the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct AlgorithmInfo {
    /// The algorithm this row describes.
    pub alg: Algorithm,
    /// The engine's own name, used on the command line and in JSON (`aes-256-gcm`).
    pub id: &'static str,
    /// Key length in bytes; for HMAC the recommended length (the output size).
    /// Zero for hashes.
    pub key_len: usize,
    /// Nonce (AEAD) or initial counter block (CTR) length in bytes; zero when none.
    pub nonce_len: usize,
    /// Tag (AEAD), MAC or digest length in bytes; zero for stream ciphers.
    pub tag_len: usize,
    /// The block size the protocols align to (SSH padding), in bytes.
    pub block_len: usize,
    /// Names of the TLS cipher suites that use this algorithm for records.
    pub tls_names: &'static [&'static str],
    /// Names of this algorithm in SSH negotiation (RFC 4253 §6.3, §6.4; OpenSSH).
    pub ssh_names: &'static [&'static str],
    /// FIPS policy status.
    pub fips: FipsStatus,
    /// Kept only for interoperability with old peers; never chosen by default.
    pub legacy: bool,
}

impl AlgorithmInfo {
    /// The kind of primitive.
    pub fn kind(&self) -> Kind {
        match self.alg {
            Algorithm::Aead(_) => Kind::Aead,
            Algorithm::Cipher(_) => Kind::Cipher,
            Algorithm::Mac(_) => Kind::Mac,
            Algorithm::Hash(_) => Kind::Hash,
        }
    }
}

const CHACHA_RULE: &str =
    "ChaCha20-Poly1305 is not a NIST-approved cipher (SP 800-52r2 §3.3.1, SP 800-131A)";
const SHA1_MAC_RULE: &str = "SHA-1 is being withdrawn (SP 800-131A Rev. 3 draft); \
     FIPS mode allows no new HMAC-SHA-1 keys (use hmac-sha2-256 or hmac-sha2-512)";

/// Every algorithm the engine knows, one row each.
pub static CATALOGUE: &[AlgorithmInfo] = &[
    AlgorithmInfo {
        alg: Algorithm::Aead(AeadAlg::Aes128Gcm),
        id: "aes-128-gcm",
        key_len: 16,
        nonce_len: 12,
        tag_len: 16,
        block_len: 16,
        tls_names: &[
            "TLS_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ],
        ssh_names: &["aes128-gcm@openssh.com"],
        fips: FipsStatus::Approved,
        legacy: false,
    },
    AlgorithmInfo {
        alg: Algorithm::Aead(AeadAlg::Aes256Gcm),
        id: "aes-256-gcm",
        key_len: 32,
        nonce_len: 12,
        tag_len: 16,
        block_len: 16,
        tls_names: &[
            "TLS_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        ],
        ssh_names: &["aes256-gcm@openssh.com"],
        fips: FipsStatus::Approved,
        legacy: false,
    },
    AlgorithmInfo {
        alg: Algorithm::Aead(AeadAlg::ChaCha20Poly1305),
        id: "chacha20-poly1305",
        key_len: 32,
        nonce_len: 12,
        tag_len: 16,
        block_len: 8,
        tls_names: &[
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        ],
        ssh_names: &["chacha20-poly1305@openssh.com"],
        fips: FipsStatus::NotApproved { rule: CHACHA_RULE },
        legacy: false,
    },
    AlgorithmInfo {
        alg: Algorithm::Cipher(CipherAlg::Aes128Ctr),
        id: "aes-128-ctr",
        key_len: 16,
        nonce_len: 16,
        tag_len: 0,
        block_len: 16,
        tls_names: &[],
        ssh_names: &["aes128-ctr"],
        fips: FipsStatus::Approved,
        legacy: false,
    },
    AlgorithmInfo {
        alg: Algorithm::Cipher(CipherAlg::Aes192Ctr),
        id: "aes-192-ctr",
        key_len: 24,
        nonce_len: 16,
        tag_len: 0,
        block_len: 16,
        tls_names: &[],
        ssh_names: &["aes192-ctr"],
        fips: FipsStatus::Approved,
        legacy: false,
    },
    AlgorithmInfo {
        alg: Algorithm::Cipher(CipherAlg::Aes256Ctr),
        id: "aes-256-ctr",
        key_len: 32,
        nonce_len: 16,
        tag_len: 0,
        block_len: 16,
        tls_names: &[],
        ssh_names: &["aes256-ctr"],
        fips: FipsStatus::Approved,
        legacy: false,
    },
    AlgorithmInfo {
        alg: Algorithm::Mac(MacAlg::HmacSha1),
        id: "hmac-sha1",
        key_len: 20,
        nonce_len: 0,
        tag_len: 20,
        block_len: 64,
        tls_names: &[],
        ssh_names: &["hmac-sha1", "hmac-sha1-etm@openssh.com"],
        fips: FipsStatus::NotApproved {
            rule: SHA1_MAC_RULE,
        },
        legacy: true,
    },
    AlgorithmInfo {
        alg: Algorithm::Mac(MacAlg::HmacSha256),
        id: "hmac-sha256",
        key_len: 32,
        nonce_len: 0,
        tag_len: 32,
        block_len: 64,
        tls_names: &[],
        ssh_names: &["hmac-sha2-256", "hmac-sha2-256-etm@openssh.com"],
        fips: FipsStatus::Approved,
        legacy: false,
    },
    AlgorithmInfo {
        alg: Algorithm::Mac(MacAlg::HmacSha512),
        id: "hmac-sha512",
        key_len: 64,
        nonce_len: 0,
        tag_len: 64,
        block_len: 128,
        tls_names: &[],
        ssh_names: &["hmac-sha2-512", "hmac-sha2-512-etm@openssh.com"],
        fips: FipsStatus::Approved,
        legacy: false,
    },
    AlgorithmInfo {
        alg: Algorithm::Hash(HashAlg::Sha256),
        id: "sha256",
        key_len: 0,
        nonce_len: 0,
        tag_len: 32,
        block_len: 64,
        tls_names: &[],
        ssh_names: &[],
        fips: FipsStatus::Approved,
        legacy: false,
    },
    AlgorithmInfo {
        alg: Algorithm::Hash(HashAlg::Sha384),
        id: "sha384",
        key_len: 0,
        nonce_len: 0,
        tag_len: 48,
        block_len: 128,
        tls_names: &[],
        ssh_names: &[],
        fips: FipsStatus::Approved,
        legacy: false,
    },
    AlgorithmInfo {
        alg: Algorithm::Hash(HashAlg::Sha512),
        id: "sha512",
        key_len: 0,
        nonce_len: 0,
        tag_len: 64,
        block_len: 128,
        tls_names: &[],
        ssh_names: &[],
        fips: FipsStatus::Approved,
        legacy: false,
    },
];

impl Algorithm {
    /// Every algorithm, in catalogue order.
    pub fn all() -> impl Iterator<Item = Algorithm> {
        CATALOGUE.iter().map(|row| row.alg)
    }

    /// This algorithm's catalogue row.
    pub fn info(self) -> &'static AlgorithmInfo {
        CATALOGUE
            .iter()
            .find(|row| row.alg == self)
            .expect("every Algorithm variant has a CATALOGUE row (checked by a unit test)")
    }

    /// The engine's name for the algorithm (`aes-256-gcm`).
    pub fn id(self) -> &'static str {
        self.info().id
    }

    /// Looks an algorithm up by the engine's id or by any of its SSH names.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        CATALOGUE
            .iter()
            .find(|row| {
                row.id.eq_ignore_ascii_case(name)
                    || row.ssh_names.iter().any(|n| n.eq_ignore_ascii_case(name))
            })
            .map(|row| row.alg)
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Algorithm::from_name(s).ok_or_else(|| Error::UnknownAlgorithm {
            name: s.to_owned(),
            valid: CATALOGUE.iter().map(|row| row.id).collect(),
        })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

macro_rules! sub_algorithm {
    ($ty:ident, $variant:ident) => {
        impl $ty {
            /// This algorithm's catalogue row.
            pub fn info(self) -> &'static AlgorithmInfo {
                Algorithm::$variant(self).info()
            }

            /// The engine's name for the algorithm.
            pub fn id(self) -> &'static str {
                self.info().id
            }

            /// Every algorithm of this kind, in catalogue order.
            pub fn all() -> impl Iterator<Item = $ty> {
                CATALOGUE.iter().filter_map(|row| match row.alg {
                    Algorithm::$variant(a) => Some(a),
                    _ => None,
                })
            }
        }

        impl From<$ty> for Algorithm {
            fn from(a: $ty) -> Algorithm {
                Algorithm::$variant(a)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.id())
            }
        }

        impl FromStr for $ty {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                match s.parse::<Algorithm>()? {
                    Algorithm::$variant(a) => Ok(a),
                    _ => Err(Error::UnknownAlgorithm {
                        name: s.to_owned(),
                        valid: $ty::all().map(|a| a.id()).collect(),
                    }),
                }
            }
        }
    };
}

sub_algorithm!(AeadAlg, Aead);
sub_algorithm!(CipherAlg, Cipher);
sub_algorithm!(MacAlg, Mac);
sub_algorithm!(HashAlg, Hash);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_exactly_one_row() {
        let all = [
            Algorithm::Aead(AeadAlg::Aes128Gcm),
            Algorithm::Aead(AeadAlg::Aes256Gcm),
            Algorithm::Aead(AeadAlg::ChaCha20Poly1305),
            Algorithm::Cipher(CipherAlg::Aes128Ctr),
            Algorithm::Cipher(CipherAlg::Aes192Ctr),
            Algorithm::Cipher(CipherAlg::Aes256Ctr),
            Algorithm::Mac(MacAlg::HmacSha1),
            Algorithm::Mac(MacAlg::HmacSha256),
            Algorithm::Mac(MacAlg::HmacSha512),
            Algorithm::Hash(HashAlg::Sha256),
            Algorithm::Hash(HashAlg::Sha384),
            Algorithm::Hash(HashAlg::Sha512),
        ];
        for alg in all {
            assert_eq!(
                CATALOGUE.iter().filter(|r| r.alg == alg).count(),
                1,
                "{alg:?}"
            );
        }
        assert_eq!(CATALOGUE.len(), all.len());
    }

    #[test]
    fn names_round_trip() {
        for row in CATALOGUE {
            assert_eq!(row.id.parse::<Algorithm>().unwrap(), row.alg);
            for ssh in row.ssh_names {
                assert_eq!(Algorithm::from_name(ssh), Some(row.alg), "{ssh}");
            }
        }
        assert_eq!(
            "aes256-gcm@openssh.com".parse::<AeadAlg>().unwrap(),
            AeadAlg::Aes256Gcm
        );
        let err = "rc4".parse::<Algorithm>().unwrap_err().to_string();
        assert!(err.contains("aes-256-gcm"), "{err}");
        assert!("sha256".parse::<AeadAlg>().is_err());
    }

    #[test]
    fn fips_policy_matches_the_design() {
        assert!(AeadAlg::Aes256Gcm.info().fips.is_approved());
        assert!(!AeadAlg::ChaCha20Poly1305.info().fips.is_approved());
        assert!(!MacAlg::HmacSha1.info().fips.is_approved());
        assert!(MacAlg::HmacSha1.info().legacy);
        assert!(CipherAlg::Aes192Ctr.info().fips.is_approved());
    }
}
