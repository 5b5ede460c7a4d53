//! The TLS 1.2 (and older) cipher suites OpenSSL 3.0 knows, with the attributes its
//! cipher-string aliases select on.
//!
//! Rows are in OpenSSL 3.0's own base order — the order `openssl ciphers -V
//! 'ALL:COMPLEMENTOFALL'` lists them (OpenSSL 3.0.19, Debian 12) — because adding ciphers
//! to a list keeps that order. `in_default` marks the suites `openssl ciphers DEFAULT`
//! selects. Debian's OpenSSL 3.0 offers no 3DES, RC4, DES, IDEA or SEED suite; names of
//! such suites are known to the policy table but not here.

/// Key exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kx {
    Rsa,
    Dhe,
    Ecdhe,
    Psk,
    RsaPsk,
    DhePsk,
    EcdhePsk,
    Srp,
}

/// Server authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Au {
    Rsa,
    Ecdsa,
    Dss,
    Null,
    Psk,
    Srp,
}

/// Record encryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Enc {
    Aes128,
    Aes256,
    Aes128Gcm,
    Aes256Gcm,
    Aes128Ccm,
    Aes256Ccm,
    Aes128Ccm8,
    Aes256Ccm8,
    Camellia128,
    Camellia256,
    Aria128Gcm,
    Aria256Gcm,
    ChaCha20,
    Null,
    // Known to OpenSSL's alias table, offered by no suite in this catalogue.
    TripleDes,
    Rc4,
    Rc2,
    Des,
    Idea,
    Seed,
    Gost,
}

/// Record MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mac {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Aead,
}

/// The oldest protocol version the suite works in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Min {
    Ssl3,
    Tls1,
    Tls12,
}

impl Enc {
    /// The suite's strength in bits, as `@STRENGTH` sorts and security levels judge.
    pub(crate) fn bits(self) -> u16 {
        match self {
            Enc::Aes128 | Enc::Aes128Gcm | Enc::Aes128Ccm | Enc::Aes128Ccm8 => 128,
            Enc::Camellia128 | Enc::Aria128Gcm | Enc::Rc4 | Enc::Idea | Enc::Seed => 128,
            Enc::Aes256 | Enc::Aes256Gcm | Enc::Aes256Ccm | Enc::Aes256Ccm8 => 256,
            Enc::Camellia256 | Enc::Aria256Gcm | Enc::ChaCha20 | Enc::Gost => 256,
            Enc::TripleDes => 112,
            Enc::Rc2 | Enc::Des => 56,
            Enc::Null => 0,
        }
    }
}

/// One suite.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Suite {
    /// OpenSSL's name.
    pub name: &'static str,
    pub kx: Kx,
    pub au: Au,
    pub enc: Enc,
    pub mac: Mac,
    pub min: Min,
    /// Selected by OpenSSL 3.0's `DEFAULT`.
    pub in_default: bool,
}

const fn suite(
    name: &'static str,
    kx: Kx,
    au: Au,
    enc: Enc,
    mac: Mac,
    min: Min,
    in_default: bool,
) -> Suite {
    Suite {
        name,
        kx,
        au,
        enc,
        mac,
        min,
        in_default,
    }
}

/// Every suite, in OpenSSL 3.0's base order.
#[rustfmt::skip]
pub(crate) static SUITES: &[Suite] = &[
    suite("ECDHE-ECDSA-AES256-GCM-SHA384", Kx::Ecdhe, Au::Ecdsa, Enc::Aes256Gcm, Mac::Aead, Min::Tls12, true),
    suite("ECDHE-RSA-AES256-GCM-SHA384", Kx::Ecdhe, Au::Rsa, Enc::Aes256Gcm, Mac::Aead, Min::Tls12, true),
    suite("DHE-DSS-AES256-GCM-SHA384", Kx::Dhe, Au::Dss, Enc::Aes256Gcm, Mac::Aead, Min::Tls12, false),
    suite("DHE-RSA-AES256-GCM-SHA384", Kx::Dhe, Au::Rsa, Enc::Aes256Gcm, Mac::Aead, Min::Tls12, true),
    suite("ECDHE-ECDSA-CHACHA20-POLY1305", Kx::Ecdhe, Au::Ecdsa, Enc::ChaCha20, Mac::Aead, Min::Tls12, true),
    suite("ECDHE-RSA-CHACHA20-POLY1305", Kx::Ecdhe, Au::Rsa, Enc::ChaCha20, Mac::Aead, Min::Tls12, true),
    suite("DHE-RSA-CHACHA20-POLY1305", Kx::Dhe, Au::Rsa, Enc::ChaCha20, Mac::Aead, Min::Tls12, true),
    suite("ECDHE-ECDSA-AES256-CCM8", Kx::Ecdhe, Au::Ecdsa, Enc::Aes256Ccm8, Mac::Aead, Min::Tls12, false),
    suite("ECDHE-ECDSA-AES256-CCM", Kx::Ecdhe, Au::Ecdsa, Enc::Aes256Ccm, Mac::Aead, Min::Tls12, false),
    suite("DHE-RSA-AES256-CCM8", Kx::Dhe, Au::Rsa, Enc::Aes256Ccm8, Mac::Aead, Min::Tls12, false),
    suite("DHE-RSA-AES256-CCM", Kx::Dhe, Au::Rsa, Enc::Aes256Ccm, Mac::Aead, Min::Tls12, false),
    suite("ECDHE-ECDSA-ARIA256-GCM-SHA384", Kx::Ecdhe, Au::Ecdsa, Enc::Aria256Gcm, Mac::Aead, Min::Tls12, false),
    suite("ECDHE-ARIA256-GCM-SHA384", Kx::Ecdhe, Au::Rsa, Enc::Aria256Gcm, Mac::Aead, Min::Tls12, false),
    suite("DHE-DSS-ARIA256-GCM-SHA384", Kx::Dhe, Au::Dss, Enc::Aria256Gcm, Mac::Aead, Min::Tls12, false),
    suite("DHE-RSA-ARIA256-GCM-SHA384", Kx::Dhe, Au::Rsa, Enc::Aria256Gcm, Mac::Aead, Min::Tls12, false),
    suite("ADH-AES256-GCM-SHA384", Kx::Dhe, Au::Null, Enc::Aes256Gcm, Mac::Aead, Min::Tls12, false),
    suite("ECDHE-ECDSA-AES128-GCM-SHA256", Kx::Ecdhe, Au::Ecdsa, Enc::Aes128Gcm, Mac::Aead, Min::Tls12, true),
    suite("ECDHE-RSA-AES128-GCM-SHA256", Kx::Ecdhe, Au::Rsa, Enc::Aes128Gcm, Mac::Aead, Min::Tls12, true),
    suite("DHE-DSS-AES128-GCM-SHA256", Kx::Dhe, Au::Dss, Enc::Aes128Gcm, Mac::Aead, Min::Tls12, false),
    suite("DHE-RSA-AES128-GCM-SHA256", Kx::Dhe, Au::Rsa, Enc::Aes128Gcm, Mac::Aead, Min::Tls12, true),
    suite("ECDHE-ECDSA-AES128-CCM8", Kx::Ecdhe, Au::Ecdsa, Enc::Aes128Ccm8, Mac::Aead, Min::Tls12, false),
    suite("ECDHE-ECDSA-AES128-CCM", Kx::Ecdhe, Au::Ecdsa, Enc::Aes128Ccm, Mac::Aead, Min::Tls12, false),
    suite("DHE-RSA-AES128-CCM8", Kx::Dhe, Au::Rsa, Enc::Aes128Ccm8, Mac::Aead, Min::Tls12, false),
    suite("DHE-RSA-AES128-CCM", Kx::Dhe, Au::Rsa, Enc::Aes128Ccm, Mac::Aead, Min::Tls12, false),
    suite("ECDHE-ECDSA-ARIA128-GCM-SHA256", Kx::Ecdhe, Au::Ecdsa, Enc::Aria128Gcm, Mac::Aead, Min::Tls12, false),
    suite("ECDHE-ARIA128-GCM-SHA256", Kx::Ecdhe, Au::Rsa, Enc::Aria128Gcm, Mac::Aead, Min::Tls12, false),
    suite("DHE-DSS-ARIA128-GCM-SHA256", Kx::Dhe, Au::Dss, Enc::Aria128Gcm, Mac::Aead, Min::Tls12, false),
    suite("DHE-RSA-ARIA128-GCM-SHA256", Kx::Dhe, Au::Rsa, Enc::Aria128Gcm, Mac::Aead, Min::Tls12, false),
    suite("ADH-AES128-GCM-SHA256", Kx::Dhe, Au::Null, Enc::Aes128Gcm, Mac::Aead, Min::Tls12, false),
    suite("ECDHE-ECDSA-AES256-SHA384", Kx::Ecdhe, Au::Ecdsa, Enc::Aes256, Mac::Sha384, Min::Tls12, true),
    suite("ECDHE-RSA-AES256-SHA384", Kx::Ecdhe, Au::Rsa, Enc::Aes256, Mac::Sha384, Min::Tls12, true),
    suite("DHE-RSA-AES256-SHA256", Kx::Dhe, Au::Rsa, Enc::Aes256, Mac::Sha256, Min::Tls12, true),
    suite("DHE-DSS-AES256-SHA256", Kx::Dhe, Au::Dss, Enc::Aes256, Mac::Sha256, Min::Tls12, false),
    suite("ECDHE-ECDSA-CAMELLIA256-SHA384", Kx::Ecdhe, Au::Ecdsa, Enc::Camellia256, Mac::Sha384, Min::Tls12, false),
    suite("ECDHE-RSA-CAMELLIA256-SHA384", Kx::Ecdhe, Au::Rsa, Enc::Camellia256, Mac::Sha384, Min::Tls12, false),
    suite("DHE-RSA-CAMELLIA256-SHA256", Kx::Dhe, Au::Rsa, Enc::Camellia256, Mac::Sha256, Min::Tls12, false),
    suite("DHE-DSS-CAMELLIA256-SHA256", Kx::Dhe, Au::Dss, Enc::Camellia256, Mac::Sha256, Min::Tls12, false),
    suite("ADH-AES256-SHA256", Kx::Dhe, Au::Null, Enc::Aes256, Mac::Sha256, Min::Tls12, false),
    suite("ADH-CAMELLIA256-SHA256", Kx::Dhe, Au::Null, Enc::Camellia256, Mac::Sha256, Min::Tls12, false),
    suite("ECDHE-ECDSA-AES128-SHA256", Kx::Ecdhe, Au::Ecdsa, Enc::Aes128, Mac::Sha256, Min::Tls12, true),
    suite("ECDHE-RSA-AES128-SHA256", Kx::Ecdhe, Au::Rsa, Enc::Aes128, Mac::Sha256, Min::Tls12, true),
    suite("DHE-RSA-AES128-SHA256", Kx::Dhe, Au::Rsa, Enc::Aes128, Mac::Sha256, Min::Tls12, true),
    suite("DHE-DSS-AES128-SHA256", Kx::Dhe, Au::Dss, Enc::Aes128, Mac::Sha256, Min::Tls12, false),
    suite("ECDHE-ECDSA-CAMELLIA128-SHA256", Kx::Ecdhe, Au::Ecdsa, Enc::Camellia128, Mac::Sha256, Min::Tls12, false),
    suite("ECDHE-RSA-CAMELLIA128-SHA256", Kx::Ecdhe, Au::Rsa, Enc::Camellia128, Mac::Sha256, Min::Tls12, false),
    suite("DHE-RSA-CAMELLIA128-SHA256", Kx::Dhe, Au::Rsa, Enc::Camellia128, Mac::Sha256, Min::Tls12, false),
    suite("DHE-DSS-CAMELLIA128-SHA256", Kx::Dhe, Au::Dss, Enc::Camellia128, Mac::Sha256, Min::Tls12, false),
    suite("ADH-AES128-SHA256", Kx::Dhe, Au::Null, Enc::Aes128, Mac::Sha256, Min::Tls12, false),
    suite("ADH-CAMELLIA128-SHA256", Kx::Dhe, Au::Null, Enc::Camellia128, Mac::Sha256, Min::Tls12, false),
    suite("ECDHE-ECDSA-AES256-SHA", Kx::Ecdhe, Au::Ecdsa, Enc::Aes256, Mac::Sha1, Min::Tls1, true),
    suite("ECDHE-RSA-AES256-SHA", Kx::Ecdhe, Au::Rsa, Enc::Aes256, Mac::Sha1, Min::Tls1, true),
    suite("DHE-RSA-AES256-SHA", Kx::Dhe, Au::Rsa, Enc::Aes256, Mac::Sha1, Min::Ssl3, true),
    suite("DHE-DSS-AES256-SHA", Kx::Dhe, Au::Dss, Enc::Aes256, Mac::Sha1, Min::Ssl3, false),
    suite("DHE-RSA-CAMELLIA256-SHA", Kx::Dhe, Au::Rsa, Enc::Camellia256, Mac::Sha1, Min::Ssl3, false),
    suite("DHE-DSS-CAMELLIA256-SHA", Kx::Dhe, Au::Dss, Enc::Camellia256, Mac::Sha1, Min::Ssl3, false),
    suite("AECDH-AES256-SHA", Kx::Ecdhe, Au::Null, Enc::Aes256, Mac::Sha1, Min::Tls1, false),
    suite("ADH-AES256-SHA", Kx::Dhe, Au::Null, Enc::Aes256, Mac::Sha1, Min::Ssl3, false),
    suite("ADH-CAMELLIA256-SHA", Kx::Dhe, Au::Null, Enc::Camellia256, Mac::Sha1, Min::Ssl3, false),
    suite("ECDHE-ECDSA-AES128-SHA", Kx::Ecdhe, Au::Ecdsa, Enc::Aes128, Mac::Sha1, Min::Tls1, true),
    suite("ECDHE-RSA-AES128-SHA", Kx::Ecdhe, Au::Rsa, Enc::Aes128, Mac::Sha1, Min::Tls1, true),
    suite("DHE-RSA-AES128-SHA", Kx::Dhe, Au::Rsa, Enc::Aes128, Mac::Sha1, Min::Ssl3, true),
    suite("DHE-DSS-AES128-SHA", Kx::Dhe, Au::Dss, Enc::Aes128, Mac::Sha1, Min::Ssl3, false),
    suite("DHE-RSA-CAMELLIA128-SHA", Kx::Dhe, Au::Rsa, Enc::Camellia128, Mac::Sha1, Min::Ssl3, false),
    suite("DHE-DSS-CAMELLIA128-SHA", Kx::Dhe, Au::Dss, Enc::Camellia128, Mac::Sha1, Min::Ssl3, false),
    suite("AECDH-AES128-SHA", Kx::Ecdhe, Au::Null, Enc::Aes128, Mac::Sha1, Min::Tls1, false),
    suite("ADH-AES128-SHA", Kx::Dhe, Au::Null, Enc::Aes128, Mac::Sha1, Min::Ssl3, false),
    suite("ADH-CAMELLIA128-SHA", Kx::Dhe, Au::Null, Enc::Camellia128, Mac::Sha1, Min::Ssl3, false),
    suite("RSA-PSK-AES256-GCM-SHA384", Kx::RsaPsk, Au::Rsa, Enc::Aes256Gcm, Mac::Aead, Min::Tls12, true),
    suite("DHE-PSK-AES256-GCM-SHA384", Kx::DhePsk, Au::Psk, Enc::Aes256Gcm, Mac::Aead, Min::Tls12, true),
    suite("RSA-PSK-CHACHA20-POLY1305", Kx::RsaPsk, Au::Rsa, Enc::ChaCha20, Mac::Aead, Min::Tls12, true),
    suite("DHE-PSK-CHACHA20-POLY1305", Kx::DhePsk, Au::Psk, Enc::ChaCha20, Mac::Aead, Min::Tls12, true),
    suite("ECDHE-PSK-CHACHA20-POLY1305", Kx::EcdhePsk, Au::Psk, Enc::ChaCha20, Mac::Aead, Min::Tls12, true),
    suite("DHE-PSK-AES256-CCM8", Kx::DhePsk, Au::Psk, Enc::Aes256Ccm8, Mac::Aead, Min::Tls12, false),
    suite("DHE-PSK-AES256-CCM", Kx::DhePsk, Au::Psk, Enc::Aes256Ccm, Mac::Aead, Min::Tls12, false),
    suite("RSA-PSK-ARIA256-GCM-SHA384", Kx::RsaPsk, Au::Rsa, Enc::Aria256Gcm, Mac::Aead, Min::Tls12, false),
    suite("DHE-PSK-ARIA256-GCM-SHA384", Kx::DhePsk, Au::Psk, Enc::Aria256Gcm, Mac::Aead, Min::Tls12, false),
    suite("AES256-GCM-SHA384", Kx::Rsa, Au::Rsa, Enc::Aes256Gcm, Mac::Aead, Min::Tls12, true),
    suite("AES256-CCM8", Kx::Rsa, Au::Rsa, Enc::Aes256Ccm8, Mac::Aead, Min::Tls12, false),
    suite("AES256-CCM", Kx::Rsa, Au::Rsa, Enc::Aes256Ccm, Mac::Aead, Min::Tls12, false),
    suite("ARIA256-GCM-SHA384", Kx::Rsa, Au::Rsa, Enc::Aria256Gcm, Mac::Aead, Min::Tls12, false),
    suite("PSK-AES256-GCM-SHA384", Kx::Psk, Au::Psk, Enc::Aes256Gcm, Mac::Aead, Min::Tls12, true),
    suite("PSK-CHACHA20-POLY1305", Kx::Psk, Au::Psk, Enc::ChaCha20, Mac::Aead, Min::Tls12, true),
    suite("PSK-AES256-CCM8", Kx::Psk, Au::Psk, Enc::Aes256Ccm8, Mac::Aead, Min::Tls12, false),
    suite("PSK-AES256-CCM", Kx::Psk, Au::Psk, Enc::Aes256Ccm, Mac::Aead, Min::Tls12, false),
    suite("PSK-ARIA256-GCM-SHA384", Kx::Psk, Au::Psk, Enc::Aria256Gcm, Mac::Aead, Min::Tls12, false),
    suite("RSA-PSK-AES128-GCM-SHA256", Kx::RsaPsk, Au::Rsa, Enc::Aes128Gcm, Mac::Aead, Min::Tls12, true),
    suite("DHE-PSK-AES128-GCM-SHA256", Kx::DhePsk, Au::Psk, Enc::Aes128Gcm, Mac::Aead, Min::Tls12, true),
    suite("DHE-PSK-AES128-CCM8", Kx::DhePsk, Au::Psk, Enc::Aes128Ccm8, Mac::Aead, Min::Tls12, false),
    suite("DHE-PSK-AES128-CCM", Kx::DhePsk, Au::Psk, Enc::Aes128Ccm, Mac::Aead, Min::Tls12, false),
    suite("RSA-PSK-ARIA128-GCM-SHA256", Kx::RsaPsk, Au::Rsa, Enc::Aria128Gcm, Mac::Aead, Min::Tls12, false),
    suite("DHE-PSK-ARIA128-GCM-SHA256", Kx::DhePsk, Au::Psk, Enc::Aria128Gcm, Mac::Aead, Min::Tls12, false),
    suite("AES128-GCM-SHA256", Kx::Rsa, Au::Rsa, Enc::Aes128Gcm, Mac::Aead, Min::Tls12, true),
    suite("AES128-CCM8", Kx::Rsa, Au::Rsa, Enc::Aes128Ccm8, Mac::Aead, Min::Tls12, false),
    suite("AES128-CCM", Kx::Rsa, Au::Rsa, Enc::Aes128Ccm, Mac::Aead, Min::Tls12, false),
    suite("ARIA128-GCM-SHA256", Kx::Rsa, Au::Rsa, Enc::Aria128Gcm, Mac::Aead, Min::Tls12, false),
    suite("PSK-AES128-GCM-SHA256", Kx::Psk, Au::Psk, Enc::Aes128Gcm, Mac::Aead, Min::Tls12, true),
    suite("PSK-AES128-CCM8", Kx::Psk, Au::Psk, Enc::Aes128Ccm8, Mac::Aead, Min::Tls12, false),
    suite("PSK-AES128-CCM", Kx::Psk, Au::Psk, Enc::Aes128Ccm, Mac::Aead, Min::Tls12, false),
    suite("PSK-ARIA128-GCM-SHA256", Kx::Psk, Au::Psk, Enc::Aria128Gcm, Mac::Aead, Min::Tls12, false),
    suite("AES256-SHA256", Kx::Rsa, Au::Rsa, Enc::Aes256, Mac::Sha256, Min::Tls12, true),
    suite("CAMELLIA256-SHA256", Kx::Rsa, Au::Rsa, Enc::Camellia256, Mac::Sha256, Min::Tls12, false),
    suite("AES128-SHA256", Kx::Rsa, Au::Rsa, Enc::Aes128, Mac::Sha256, Min::Tls12, true),
    suite("CAMELLIA128-SHA256", Kx::Rsa, Au::Rsa, Enc::Camellia128, Mac::Sha256, Min::Tls12, false),
    suite("ECDHE-PSK-AES256-CBC-SHA384", Kx::EcdhePsk, Au::Psk, Enc::Aes256, Mac::Sha384, Min::Tls1, true),
    suite("ECDHE-PSK-AES256-CBC-SHA", Kx::EcdhePsk, Au::Psk, Enc::Aes256, Mac::Sha1, Min::Tls1, true),
    suite("SRP-DSS-AES-256-CBC-SHA", Kx::Srp, Au::Dss, Enc::Aes256, Mac::Sha1, Min::Ssl3, false),
    suite("SRP-RSA-AES-256-CBC-SHA", Kx::Srp, Au::Rsa, Enc::Aes256, Mac::Sha1, Min::Ssl3, true),
    suite("SRP-AES-256-CBC-SHA", Kx::Srp, Au::Srp, Enc::Aes256, Mac::Sha1, Min::Ssl3, true),
    suite("RSA-PSK-AES256-CBC-SHA384", Kx::RsaPsk, Au::Rsa, Enc::Aes256, Mac::Sha384, Min::Tls1, true),
    suite("DHE-PSK-AES256-CBC-SHA384", Kx::DhePsk, Au::Psk, Enc::Aes256, Mac::Sha384, Min::Tls1, true),
    suite("RSA-PSK-AES256-CBC-SHA", Kx::RsaPsk, Au::Rsa, Enc::Aes256, Mac::Sha1, Min::Ssl3, true),
    suite("DHE-PSK-AES256-CBC-SHA", Kx::DhePsk, Au::Psk, Enc::Aes256, Mac::Sha1, Min::Ssl3, true),
    suite("ECDHE-PSK-CAMELLIA256-SHA384", Kx::EcdhePsk, Au::Psk, Enc::Camellia256, Mac::Sha384, Min::Tls1, false),
    suite("RSA-PSK-CAMELLIA256-SHA384", Kx::RsaPsk, Au::Rsa, Enc::Camellia256, Mac::Sha384, Min::Tls1, false),
    suite("DHE-PSK-CAMELLIA256-SHA384", Kx::DhePsk, Au::Psk, Enc::Camellia256, Mac::Sha384, Min::Tls1, false),
    suite("AES256-SHA", Kx::Rsa, Au::Rsa, Enc::Aes256, Mac::Sha1, Min::Ssl3, true),
    suite("CAMELLIA256-SHA", Kx::Rsa, Au::Rsa, Enc::Camellia256, Mac::Sha1, Min::Ssl3, false),
    suite("PSK-AES256-CBC-SHA384", Kx::Psk, Au::Psk, Enc::Aes256, Mac::Sha384, Min::Tls1, true),
    suite("PSK-AES256-CBC-SHA", Kx::Psk, Au::Psk, Enc::Aes256, Mac::Sha1, Min::Ssl3, true),
    suite("PSK-CAMELLIA256-SHA384", Kx::Psk, Au::Psk, Enc::Camellia256, Mac::Sha384, Min::Tls1, false),
    suite("ECDHE-PSK-AES128-CBC-SHA256", Kx::EcdhePsk, Au::Psk, Enc::Aes128, Mac::Sha256, Min::Tls1, true),
    suite("ECDHE-PSK-AES128-CBC-SHA", Kx::EcdhePsk, Au::Psk, Enc::Aes128, Mac::Sha1, Min::Tls1, true),
    suite("SRP-DSS-AES-128-CBC-SHA", Kx::Srp, Au::Dss, Enc::Aes128, Mac::Sha1, Min::Ssl3, false),
    suite("SRP-RSA-AES-128-CBC-SHA", Kx::Srp, Au::Rsa, Enc::Aes128, Mac::Sha1, Min::Ssl3, true),
    suite("SRP-AES-128-CBC-SHA", Kx::Srp, Au::Srp, Enc::Aes128, Mac::Sha1, Min::Ssl3, true),
    suite("RSA-PSK-AES128-CBC-SHA256", Kx::RsaPsk, Au::Rsa, Enc::Aes128, Mac::Sha256, Min::Tls1, true),
    suite("DHE-PSK-AES128-CBC-SHA256", Kx::DhePsk, Au::Psk, Enc::Aes128, Mac::Sha256, Min::Tls1, true),
    suite("RSA-PSK-AES128-CBC-SHA", Kx::RsaPsk, Au::Rsa, Enc::Aes128, Mac::Sha1, Min::Ssl3, true),
    suite("DHE-PSK-AES128-CBC-SHA", Kx::DhePsk, Au::Psk, Enc::Aes128, Mac::Sha1, Min::Ssl3, true),
    suite("ECDHE-PSK-CAMELLIA128-SHA256", Kx::EcdhePsk, Au::Psk, Enc::Camellia128, Mac::Sha256, Min::Tls1, false),
    suite("RSA-PSK-CAMELLIA128-SHA256", Kx::RsaPsk, Au::Rsa, Enc::Camellia128, Mac::Sha256, Min::Tls1, false),
    suite("DHE-PSK-CAMELLIA128-SHA256", Kx::DhePsk, Au::Psk, Enc::Camellia128, Mac::Sha256, Min::Tls1, false),
    suite("AES128-SHA", Kx::Rsa, Au::Rsa, Enc::Aes128, Mac::Sha1, Min::Ssl3, true),
    suite("CAMELLIA128-SHA", Kx::Rsa, Au::Rsa, Enc::Camellia128, Mac::Sha1, Min::Ssl3, false),
    suite("PSK-AES128-CBC-SHA256", Kx::Psk, Au::Psk, Enc::Aes128, Mac::Sha256, Min::Tls1, true),
    suite("PSK-AES128-CBC-SHA", Kx::Psk, Au::Psk, Enc::Aes128, Mac::Sha1, Min::Ssl3, true),
    suite("PSK-CAMELLIA128-SHA256", Kx::Psk, Au::Psk, Enc::Camellia128, Mac::Sha256, Min::Tls1, false),
    suite("ECDHE-ECDSA-NULL-SHA", Kx::Ecdhe, Au::Ecdsa, Enc::Null, Mac::Sha1, Min::Tls1, false),
    suite("ECDHE-RSA-NULL-SHA", Kx::Ecdhe, Au::Rsa, Enc::Null, Mac::Sha1, Min::Tls1, false),
    suite("AECDH-NULL-SHA", Kx::Ecdhe, Au::Null, Enc::Null, Mac::Sha1, Min::Tls1, false),
    suite("NULL-SHA256", Kx::Rsa, Au::Rsa, Enc::Null, Mac::Sha256, Min::Tls12, false),
    suite("ECDHE-PSK-NULL-SHA384", Kx::EcdhePsk, Au::Psk, Enc::Null, Mac::Sha384, Min::Tls1, false),
    suite("ECDHE-PSK-NULL-SHA256", Kx::EcdhePsk, Au::Psk, Enc::Null, Mac::Sha256, Min::Tls1, false),
    suite("ECDHE-PSK-NULL-SHA", Kx::EcdhePsk, Au::Psk, Enc::Null, Mac::Sha1, Min::Tls1, false),
    suite("RSA-PSK-NULL-SHA384", Kx::RsaPsk, Au::Rsa, Enc::Null, Mac::Sha384, Min::Tls1, false),
    suite("RSA-PSK-NULL-SHA256", Kx::RsaPsk, Au::Rsa, Enc::Null, Mac::Sha256, Min::Tls1, false),
    suite("DHE-PSK-NULL-SHA384", Kx::DhePsk, Au::Psk, Enc::Null, Mac::Sha384, Min::Tls1, false),
    suite("DHE-PSK-NULL-SHA256", Kx::DhePsk, Au::Psk, Enc::Null, Mac::Sha256, Min::Tls1, false),
    suite("RSA-PSK-NULL-SHA", Kx::RsaPsk, Au::Rsa, Enc::Null, Mac::Sha1, Min::Ssl3, false),
    suite("DHE-PSK-NULL-SHA", Kx::DhePsk, Au::Psk, Enc::Null, Mac::Sha1, Min::Ssl3, false),
    suite("NULL-SHA", Kx::Rsa, Au::Rsa, Enc::Null, Mac::Sha1, Min::Ssl3, false),
    suite("NULL-MD5", Kx::Rsa, Au::Rsa, Enc::Null, Mac::Md5, Min::Ssl3, false),
    suite("PSK-NULL-SHA384", Kx::Psk, Au::Psk, Enc::Null, Mac::Sha384, Min::Tls1, false),
    suite("PSK-NULL-SHA256", Kx::Psk, Au::Psk, Enc::Null, Mac::Sha256, Min::Tls1, false),
    suite("PSK-NULL-SHA", Kx::Psk, Au::Psk, Enc::Null, Mac::Sha1, Min::Ssl3, false),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fips::policy::{Kind, Status, entry};

    #[test]
    fn every_suite_has_a_policy_row() {
        assert_eq!(SUITES.len(), 155);
        for s in SUITES {
            let e = entry(Kind::Tls12Suite, s.name).unwrap_or_else(|| panic!("{}", s.name));
            assert_ne!(e.verdict.status, Status::Unknown);
            // Approved suites are exactly the authenticated (EC)DHE AES suites with a
            // full tag and a SHA-2 or AEAD MAC.
            let approved = matches!(s.kx, Kx::Ecdhe | Kx::Dhe)
                && matches!(s.au, Au::Rsa | Au::Ecdsa)
                && matches!(
                    s.enc,
                    Enc::Aes128
                        | Enc::Aes256
                        | Enc::Aes128Gcm
                        | Enc::Aes256Gcm
                        | Enc::Aes128Ccm
                        | Enc::Aes256Ccm
                )
                && !matches!(s.mac, Mac::Sha1 | Mac::Md5);
            assert_eq!(e.verdict.status.is_approved(), approved, "{}", s.name);
        }
    }
}
