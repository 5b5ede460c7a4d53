//! The FIPS algorithm policy: one literal table, [`POLICY`], of every SSH and TLS name the
//! engine has an opinion on, each with a [`Verdict`] — approved or not approved, the rule,
//! and the document the rule comes from.
//!
//! This is the one place the policy lives. TLS and SSH negotiation ask it
//! ([`ssh_cipher`], [`tls_suite`], …, or the generic [`lookup`]); the configuration
//! validator in [`check`](super::check) asks it about every name it finds. A name the table
//! does not list gets [`Status::Unknown`] — treated as not approved until someone reviews it
//! and adds a row.
//!
//! # Sources
//!
//! * TLS: NIST SP 800-52 Rev. 2 (protocol versions §3.1, cipher suites §3.3.1), as encoded
//!   by BoringSSL's `fips202205` policy and Go's FIPS 140 mode; RHEL's FIPS crypto policy
//!   (fedora-crypto-policies `FIPS.pol`, its `FIPS-opensslcnf` output) where it differs.
//! * SSH: RHEL's FIPS crypto policy for OpenSSH (fedora-crypto-policies
//!   `FIPS-opensshserver`), SP 800-56A Rev. 3 (key agreement), FIPS 186-5 (signatures).
//! * Transitions: SP 800-131A Rev. 2, and the Rev. 3 draft for SHA-1.
//!
//! # Decisions that differ from RHEL's FIPS policy
//!
//! * **HMAC-SHA-1** (`hmac-sha1`, `hmac-sha1-etm@openssh.com`): RHEL's FIPS policy still
//!   lists it for SSH. wirecrypt's policy (see [`crate::algorithm`]) allows no new
//!   HMAC-SHA-1 use, following the SP 800-131A Rev. 3 draft that withdraws SHA-1, so it is
//!   *not approved* here; the rule text says that RHEL allows it.
//! * **TLS 1.2 CBC with HMAC-SHA-1** (`ECDHE-RSA-AES128-SHA`, …): SP 800-52r2 still lists
//!   these suites; not approved here for the same reason.
//! * **AES-CBC in SSH**: AES-CBC is an approved mode, but RHEL's FIPS policy removes it
//!   from SSH (`cipher@SSH = -*-CBC`); not approved here either.
//! * **AES-192-CTR in SSH**: approved (an approved cipher and mode), although RHEL's list
//!   names only the 128- and 256-bit variants.
//! * **TLS 1.2 CBC with HMAC-SHA-256/384** and **DHE with RSA**: approved, as SP 800-52r2
//!   approves them; AES-GCM with ECDHE is preferred and comes first in every replacement.
//! * **PSK and SRP suites**: not approved (this policy covers certificate-authenticated
//!   (EC)DHE only), although RHEL's FIPS policy allows PSK.
//!
//! wirecrypt enforces this policy; it is not a validated module.

use serde::Serialize;

/// The policy's answer about one name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The policy approves the algorithm.
    Approved,
    /// The policy does not approve the algorithm; the rule says why.
    NotApproved,
    /// The policy table does not list the name: not approved until reviewed.
    Unknown,
}

impl Status {
    /// The status as printed in reports: `APPROVED`, `NOT APPROVED`, `UNKNOWN`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Approved => "APPROVED",
            Status::NotApproved => "NOT APPROVED",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// True only for [`Status::Approved`].
    pub fn is_approved(self) -> bool {
        self == Status::Approved
    }
}

/// The namespace a name lives in: the same string can mean different things in SSH and TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// SSH encryption algorithm (RFC 4253 §6.3; OpenSSH `Ciphers`).
    SshCipher,
    /// SSH MAC algorithm (RFC 4253 §6.4; OpenSSH `MACs`).
    SshMac,
    /// SSH key-exchange method (RFC 4253 §7; OpenSSH `KexAlgorithms`).
    SshKex,
    /// SSH public-key / signature algorithm: host keys, user keys, certificates
    /// (OpenSSH `HostKeyAlgorithms`, `PubkeyAcceptedAlgorithms`, `CASignatureAlgorithms`).
    SshKey,
    /// TLS 1.3 cipher suite (IANA name).
    Tls13Suite,
    /// TLS 1.2 cipher suite (IANA name or OpenSSL name).
    Tls12Suite,
    /// TLS key-exchange group (named curve or finite-field group).
    TlsGroup,
    /// SSL/TLS protocol version.
    TlsVersion,
}

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Kind; 8] = [
        Kind::SshCipher,
        Kind::SshMac,
        Kind::SshKex,
        Kind::SshKey,
        Kind::Tls13Suite,
        Kind::Tls12Suite,
        Kind::TlsGroup,
        Kind::TlsVersion,
    ];

    /// True for the TLS kinds, whose names compare case-insensitively (OpenSSH compares
    /// its names exactly, so SSH kinds do too).
    pub fn case_insensitive(self) -> bool {
        matches!(
            self,
            Kind::Tls13Suite | Kind::Tls12Suite | Kind::TlsGroup | Kind::TlsVersion
        )
    }
}

/// The policy's verdict on one name: status, the rule, and the document it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Approved, not approved, or unknown.
    pub status: Status,
    /// The rule in one sentence, e.g. "ChaCha20-Poly1305 is not a NIST-approved cipher".
    pub rule: &'static str,
    /// Where the rule comes from, e.g. "SP 800-52r2 §3.3.1".
    pub source: &'static str,
}

impl Verdict {
    /// The verdict for a name the table does not list.
    pub const UNKNOWN: Verdict = Verdict {
        status: Status::Unknown,
        rule: "not in wirecrypt's FIPS policy table: treated as not approved until reviewed",
        source: "wirecrypt FIPS policy",
    };
}

/// One row of the policy table: a kind, the names one algorithm goes by, and the verdict.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The namespace of the names.
    pub kind: Kind,
    /// Every name of the algorithm: the canonical one first, then aliases (for TLS 1.2
    /// suites: the IANA name, then OpenSSL's).
    pub names: &'static [&'static str],
    /// The verdict.
    pub verdict: Verdict,
}

impl Entry {
    /// The canonical name (the first).
    pub fn name(&self) -> &'static str {
        self.names[0]
    }

    /// True when `name` is one of this row's names (case rules per [`Kind`]).
    pub fn matches(&self, name: &str) -> bool {
        if self.kind.case_insensitive() {
            self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
        } else {
            self.names.contains(&name)
        }
    }
}

/// The verdict for `name` in `kind`: the row that lists it, or [`Verdict::UNKNOWN`].
pub fn lookup(kind: Kind, name: &str) -> Verdict {
    entry(kind, name).map_or(Verdict::UNKNOWN, |e| e.verdict)
}

/// The row that lists `name` in `kind`, if any.
pub fn entry(kind: Kind, name: &str) -> Option<&'static Entry> {
    let name = name.trim();
    POLICY.iter().find(|e| e.kind == kind && e.matches(name))
}

/// Every row of one kind, in table order.
pub fn entries(kind: Kind) -> impl Iterator<Item = &'static Entry> {
    POLICY.iter().filter(move |e| e.kind == kind)
}

/// The canonical names of the approved rows of one kind, in table order.
pub fn approved(kind: Kind) -> impl Iterator<Item = &'static str> {
    entries(kind)
        .filter(|e| e.verdict.status.is_approved())
        .map(Entry::name)
}

/// An SSH encryption algorithm (`aes256-gcm@openssh.com`).
pub fn ssh_cipher(name: &str) -> Verdict {
    lookup(Kind::SshCipher, name)
}

/// An SSH MAC (`hmac-sha2-256-etm@openssh.com`).
pub fn ssh_mac(name: &str) -> Verdict {
    lookup(Kind::SshMac, name)
}

/// An SSH key-exchange method (`ecdh-sha2-nistp256`).
pub fn ssh_kex(name: &str) -> Verdict {
    lookup(Kind::SshKex, name)
}

/// An SSH host-key, user-key or signature algorithm (`rsa-sha2-256`).
pub fn ssh_key(name: &str) -> Verdict {
    lookup(Kind::SshKey, name)
}

/// A TLS cipher suite by IANA name (`TLS_AES_128_GCM_SHA256`,
/// `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`) or OpenSSL name (`ECDHE-RSA-AES128-GCM-SHA256`).
pub fn tls_suite(name: &str) -> Verdict {
    tls_suite_entry(name).map_or(Verdict::UNKNOWN, |e| e.verdict)
}

/// The row of a TLS 1.3 or TLS 1.2 suite by any of its names.
pub fn tls_suite_entry(name: &str) -> Option<&'static Entry> {
    entry(Kind::Tls13Suite, name).or_else(|| entry(Kind::Tls12Suite, name))
}

/// A TLS key-exchange group (`secp256r1`, `P-256`, `x25519`, `ffdhe2048`).
pub fn tls_group(name: &str) -> Verdict {
    lookup(Kind::TlsGroup, name)
}

/// An SSL/TLS protocol version (`TLSv1.2`, `SSLv3`).
pub fn tls_version(name: &str) -> Verdict {
    lookup(Kind::TlsVersion, name)
}

const fn yes(rule: &'static str, source: &'static str) -> Verdict {
    Verdict {
        status: Status::Approved,
        rule,
        source,
    }
}

const fn no(rule: &'static str, source: &'static str) -> Verdict {
    Verdict {
        status: Status::NotApproved,
        rule,
        source,
    }
}

const fn row(kind: Kind, names: &'static [&'static str], verdict: Verdict) -> Entry {
    Entry {
        kind,
        names,
        verdict,
    }
}

// Sources, cited by every row.
const RHEL_SSH: &str = "RHEL FIPS crypto policy (FIPS-opensshserver)";
const RHEL_TLS: &str = "RHEL FIPS crypto policy (FIPS-opensslcnf)";
const SP800_52: &str = "SP 800-52r2 §3.3.1";
const SP800_52_RHEL: &str = "SP 800-52r2 §3.3.1; RHEL FIPS crypto policy (FIPS-opensslcnf)";
const SP800_131A: &str = "SP 800-131A Rev. 2";
const SHA1_WITHDRAWN: &str = "SP 800-131A Rev. 3 (draft); wirecrypt FIPS policy";

// ---- SSH ciphers ----
const SSH_AES_CTR: Verdict = yes(
    "AES in counter mode (SP 800-38A), paired with an HMAC-SHA-2 MAC",
    "SP 800-38A; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const SSH_AES192_CTR: Verdict = yes(
    "AES-192 in counter mode (SP 800-38A); RHEL's list names only the 128- and 256-bit variants",
    "SP 800-38A",
);
const SSH_AES_GCM: Verdict = yes(
    "AES-GCM (SP 800-38D) with the RFC 5647 nonce construction",
    "SP 800-38D; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const SSH_CHACHA: Verdict = no(
    "ChaCha20-Poly1305 is not a NIST-approved cipher",
    "SP 800-131A Rev. 2; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const SSH_AES_CBC: Verdict = no(
    "AES-CBC is an approved mode, but CBC in SSH is open to plaintext recovery and \
     RHEL's FIPS policy leaves it out (cipher@SSH = -*-CBC)",
    RHEL_SSH,
);
const TRIPLE_DES: Verdict = no("Triple-DES encryption is disallowed after 2023", SP800_131A);
const SSH_RC4: Verdict = no(
    "RC4 (arcfour) is not an approved cipher, and RFC 8758 forbids it in SSH",
    "SP 800-131A Rev. 2; RFC 8758",
);
const NOT_NIST_CIPHER: Verdict = no("not a NIST-approved block cipher", SP800_131A);
const NO_ENCRYPTION: Verdict = no("no encryption at all", SP800_131A);

// ---- SSH MACs ----
const HMAC_SHA2: Verdict = yes(
    "HMAC with SHA-2 (FIPS 198-1, FIPS 180-4)",
    "SP 800-131A Rev. 2; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const HMAC_SHA1: Verdict = no(
    "HMAC-SHA-1: SHA-1 is being withdrawn and wirecrypt's FIPS policy allows no new \
     HMAC-SHA-1 use (RHEL's FIPS policy still lists it); use hmac-sha2-256 or hmac-sha2-512",
    SHA1_WITHDRAWN,
);
const HMAC_SHA1_96: Verdict = no(
    "truncated HMAC-SHA-1: SHA-1 is being withdrawn, and RHEL's FIPS policy does not list it",
    SHA1_WITHDRAWN,
);
const HMAC_MD5: Verdict = no("HMAC-MD5: MD5 is not an approved hash", SP800_131A);
const UMAC: Verdict = no(
    "UMAC is not a NIST-approved MAC",
    "SP 800-131A Rev. 2; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const HMAC_RIPEMD: Verdict = no("RIPEMD-160 is not an approved hash", SP800_131A);
const NO_MAC: Verdict = no("no integrity protection at all", SP800_131A);

// ---- SSH key exchange ----
const ECDH_NIST: Verdict = yes(
    "ECDH on a NIST prime curve (SP 800-56A Rev. 3) with a SHA-2 exchange hash",
    "SP 800-56A Rev. 3; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const DH_MODP_SHA2: Verdict = yes(
    "finite-field DH in a MODP group of at least 2048 bits (a safe-prime group of \
     SP 800-56A Rev. 3) with a SHA-2 exchange hash (RFC 8268)",
    "SP 800-56A Rev. 3; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const DH_GEX_SHA256: Verdict = yes(
    "DH group exchange with a SHA-256 exchange hash; the server's moduli must be at least \
     2048 bits",
    "SP 800-56A Rev. 3; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const X25519_KEX: Verdict = no(
    "X25519 key agreement is not approved: SP 800-56A Rev. 3 allows only NIST curves and \
     safe-prime groups",
    "SP 800-56A Rev. 3; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const SNTRUP_KEX: Verdict = no(
    "Streamlined NTRU Prime is not a NIST algorithm, and X25519 is not approved",
    "SP 800-56A Rev. 3; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const MLKEM_X25519_KEX: Verdict = no(
    "ML-KEM-768 (FIPS 203) combined with X25519: RHEL's FIPS policy leaves this hybrid out \
     (group@openssh = -MLKEM768-X25519), and so does this policy",
    "RHEL FIPS crypto policy (FIPS.pol)",
);
const MLKEM_NIST_KEX: Verdict = yes(
    "ML-KEM (FIPS 203) combined with ECDH on a NIST curve (Red Hat's OpenSSH names)",
    "FIPS 203; SP 800-56A Rev. 3; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const DH_GROUP1: Verdict = no(
    "1024-bit MODP group with a SHA-1 exchange hash: below 112-bit security",
    SP800_131A,
);
const DH_SHA1: Verdict = no(
    "SHA-1 exchange hash: SHA-1 is disallowed for new signatures and is being withdrawn; \
     RHEL's FIPS policy does not list it",
    "SP 800-131A Rev. 2; RHEL FIPS crypto policy (FIPS-opensshserver)",
);

// ---- SSH public-key algorithms ----
const ECDSA_NIST: Verdict = yes(
    "ECDSA on a NIST prime curve with SHA-2 (FIPS 186-5)",
    "FIPS 186-5; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const RSA_SHA2: Verdict = yes(
    "RSA signatures with SHA-2 (FIPS 186-5); keys must be at least 2048 bits \
     (RequiredRSASize 2048)",
    "FIPS 186-5; SP 800-131A Rev. 2; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const RSA_SHA1: Verdict = no(
    "RSA signatures with SHA-1: SHA-1 is disallowed for digital-signature generation",
    SP800_131A,
);
const DSA_SIG: Verdict = no(
    "DSA is no longer approved for signature generation",
    "FIPS 186-5",
);
const ED25519_SIG: Verdict = no(
    "Ed25519: FIPS 186-5 specifies EdDSA, but wirecrypt's FIPS policy does not approve it \
     and RHEL's FIPS build of OpenSSH refuses Ed25519 keys",
    "wirecrypt FIPS policy; RHEL FIPS crypto policy (FIPS-opensshserver)",
);
const SK_ECDSA: Verdict = no(
    "FIDO security-key (sk-*) signatures come from an outside authenticator and are not in \
     RHEL's FIPS policy",
    RHEL_SSH,
);
const SK_ED25519: Verdict = no(
    "FIDO security-key Ed25519 signatures: Ed25519 is not approved by this policy",
    "wirecrypt FIPS policy; RHEL FIPS crypto policy (FIPS-opensshserver)",
);

// ---- TLS cipher suites ----
const TLS13_AES_GCM: Verdict = yes("AES-GCM (SP 800-38D)", SP800_52);
const TLS13_AES_CCM: Verdict = yes(
    "AES-CCM with a 16-byte tag (SP 800-38C); RHEL's FIPS policy allows it",
    SP800_52_RHEL,
);
const CHACHA: Verdict = no(
    "ChaCha20-Poly1305 is not a NIST-approved cipher",
    SP800_52_RHEL,
);
const CCM8: Verdict = no(
    "AES-CCM with a truncated 8-byte tag: refused by RHEL's FIPS policy (-AESCCM8) and by \
     this policy",
    RHEL_TLS,
);
const ECDHE_GCM: Verdict = yes("ephemeral ECDH with AES-GCM (SP 800-38D)", SP800_52);
const ECDHE_CCM: Verdict = yes(
    "ephemeral ECDH with AES-CCM and a 16-byte tag (SP 800-38C)",
    SP800_52_RHEL,
);
const ECDHE_CBC_SHA2: Verdict = yes(
    "ephemeral ECDH with AES-CBC and HMAC-SHA-256/384: approved by SP 800-52r2 (prefer AES-GCM)",
    SP800_52,
);
const DHE_GCM: Verdict = yes(
    "ephemeral finite-field DH (a group of at least 2048 bits) with AES-GCM",
    SP800_52_RHEL,
);
const DHE_CCM: Verdict = yes(
    "ephemeral finite-field DH (a group of at least 2048 bits) with AES-CCM and a 16-byte tag",
    SP800_52_RHEL,
);
const DHE_CBC_SHA2: Verdict = yes(
    "ephemeral finite-field DH (a group of at least 2048 bits) with AES-CBC and HMAC-SHA-256: \
     approved by SP 800-52r2 (prefer AES-GCM)",
    SP800_52,
);
const CBC_SHA1: Verdict = no(
    "CBC with an HMAC-SHA-1 record MAC: SP 800-52r2 still lists it, but wirecrypt's policy \
     allows no new SHA-1 use",
    SHA1_WITHDRAWN,
);
const RSA_KEY_TRANSPORT: Verdict = no(
    "RSA key transport: no forward secrecy; RHEL's FIPS policy refuses kRSA and this policy \
     keeps to ephemeral (EC)DHE",
    SP800_52_RHEL,
);
const DSA_AUTH: Verdict = no(
    "DSA (DSS) server authentication: DSA is no longer approved for signature generation",
    "FIPS 186-5; SP 800-52r2 §3.3.1",
);
const ANONYMOUS: Verdict = no(
    "anonymous key exchange: the server is not authenticated",
    SP800_52,
);
const NULL_CIPHER: Verdict = no("NULL encryption: records are not encrypted", SP800_52);
const NOT_NIST_TLS_CIPHER: Verdict = no(
    "not a NIST-approved block cipher (Camellia, ARIA, SEED, IDEA)",
    "SP 800-52r2 §3.3.1; SP 800-131A Rev. 2",
);
const PSK_OR_SRP: Verdict = no(
    "pre-shared-key or SRP authentication: this policy covers certificate-authenticated \
     (EC)DHE suites only (RHEL's FIPS policy allows PSK)",
    "wirecrypt FIPS policy",
);
const TLS_RC4: Verdict = no(
    "RC4 is not an approved cipher, and RFC 7465 forbids it in TLS",
    "SP 800-52r2 §3.3.1; RFC 7465",
);
const TLS_3DES: Verdict = no(
    "Triple-DES encryption is disallowed after 2023",
    "SP 800-131A Rev. 2; SP 800-52r2 §3.3.1",
);
const TLS_DES: Verdict = no(
    "single DES (56-bit) is not approved",
    "SP 800-131A Rev. 2; SP 800-52r2 §3.3.1",
);
const EXPORT: Verdict = no(
    "export-grade suite (40/56-bit keys)",
    "SP 800-131A Rev. 2; SP 800-52r2 §3.3.1",
);

// ---- TLS groups and versions ----
const NIST_CURVE: Verdict = yes(
    "NIST prime curve for ECDHE (SP 800-186, SP 800-56A Rev. 3)",
    "SP 800-52r2; SP 800-56A Rev. 3",
);
const FFDHE: Verdict = yes(
    "RFC 7919 finite-field group of at least 2048 bits (a safe-prime group of SP 800-56A Rev. 3)",
    "SP 800-52r2; SP 800-56A Rev. 3",
);
const X25519_GROUP: Verdict = no(
    "X25519/X448 key agreement is not approved: SP 800-56A Rev. 3 allows only NIST curves \
     and safe-prime groups",
    "SP 800-52r2; SP 800-56A Rev. 3; RHEL FIPS crypto policy (FIPS-opensslcnf)",
);
const BRAINPOOL: Verdict = no(
    "Brainpool curves are not NIST-approved for key agreement",
    "SP 800-56A Rev. 3",
);
const TLS_OK: Verdict = yes(
    "TLS 1.2 and TLS 1.3 are the versions allowed",
    "SP 800-52r2 §3.1",
);
const TLS_OLD: Verdict = no(
    "only TLS 1.2 and TLS 1.3 are allowed; TLS 1.0 and 1.1 are not",
    "SP 800-52r2 §3.1",
);
const SSL_ANY: Verdict = no(
    "SSL 2.0 and 3.0 are prohibited",
    "SP 800-52r2 §3.1; RFC 6176; RFC 7568",
);

use Kind::{
    SshCipher as CIPHER, SshKex as KEX, SshKey as KEY, SshMac as MAC, Tls12Suite as TLS12,
    Tls13Suite as TLS13, TlsGroup as GROUP, TlsVersion as VERSION,
};

/// The policy: every name the engine has an opinion on. Approved rows come first within
/// each kind, in the order a compliant configuration should prefer them.
#[rustfmt::skip]
pub static POLICY: &[Entry] = &[
    // SSH ciphers (OpenSSH 9.2 `ssh -Q cipher`, plus older names still found in configs).
    row(CIPHER, &["aes256-gcm@openssh.com"], SSH_AES_GCM),
    row(CIPHER, &["aes128-gcm@openssh.com"], SSH_AES_GCM),
    row(CIPHER, &["aes256-ctr"], SSH_AES_CTR),
    row(CIPHER, &["aes192-ctr"], SSH_AES192_CTR),
    row(CIPHER, &["aes128-ctr"], SSH_AES_CTR),
    row(CIPHER, &["chacha20-poly1305@openssh.com"], SSH_CHACHA),
    row(CIPHER, &["aes256-cbc"], SSH_AES_CBC),
    row(CIPHER, &["aes192-cbc"], SSH_AES_CBC),
    row(CIPHER, &["aes128-cbc"], SSH_AES_CBC),
    row(CIPHER, &["rijndael-cbc@lysator.liu.se"], SSH_AES_CBC),
    row(CIPHER, &["3des-cbc"], TRIPLE_DES),
    row(CIPHER, &["3des-ctr"], TRIPLE_DES),
    row(CIPHER, &["arcfour"], SSH_RC4),
    row(CIPHER, &["arcfour128"], SSH_RC4),
    row(CIPHER, &["arcfour256"], SSH_RC4),
    row(CIPHER, &["blowfish-cbc"], NOT_NIST_CIPHER),
    row(CIPHER, &["cast128-cbc"], NOT_NIST_CIPHER),
    row(CIPHER, &["idea-cbc"], NOT_NIST_CIPHER),
    row(CIPHER, &["twofish-cbc"], NOT_NIST_CIPHER),
    row(CIPHER, &["twofish128-cbc"], NOT_NIST_CIPHER),
    row(CIPHER, &["twofish256-cbc"], NOT_NIST_CIPHER),
    row(CIPHER, &["serpent128-cbc"], NOT_NIST_CIPHER),
    row(CIPHER, &["serpent256-cbc"], NOT_NIST_CIPHER),
    row(CIPHER, &["none"], NO_ENCRYPTION),
    // SSH MACs (OpenSSH 9.2 `ssh -Q mac`).
    row(MAC, &["hmac-sha2-256-etm@openssh.com"], HMAC_SHA2),
    row(MAC, &["hmac-sha2-512-etm@openssh.com"], HMAC_SHA2),
    row(MAC, &["hmac-sha2-256"], HMAC_SHA2),
    row(MAC, &["hmac-sha2-512"], HMAC_SHA2),
    row(MAC, &["hmac-sha1"], HMAC_SHA1),
    row(MAC, &["hmac-sha1-etm@openssh.com"], HMAC_SHA1),
    row(MAC, &["hmac-sha1-96"], HMAC_SHA1_96),
    row(MAC, &["hmac-sha1-96-etm@openssh.com"], HMAC_SHA1_96),
    row(MAC, &["hmac-md5"], HMAC_MD5),
    row(MAC, &["hmac-md5-96"], HMAC_MD5),
    row(MAC, &["hmac-md5-etm@openssh.com"], HMAC_MD5),
    row(MAC, &["hmac-md5-96-etm@openssh.com"], HMAC_MD5),
    row(MAC, &["umac-64@openssh.com"], UMAC),
    row(MAC, &["umac-128@openssh.com"], UMAC),
    row(MAC, &["umac-64-etm@openssh.com"], UMAC),
    row(MAC, &["umac-128-etm@openssh.com"], UMAC),
    row(MAC, &["hmac-ripemd160"], HMAC_RIPEMD),
    row(MAC, &["hmac-ripemd160@openssh.com"], HMAC_RIPEMD),
    row(MAC, &["hmac-ripemd160-etm@openssh.com"], HMAC_RIPEMD),
    row(MAC, &["none"], NO_MAC),
    // SSH key exchange (OpenSSH 9.2 `ssh -Q kex`, Debian's and Red Hat's additions).
    row(KEX, &["ecdh-sha2-nistp256"], ECDH_NIST),
    row(KEX, &["ecdh-sha2-nistp384"], ECDH_NIST),
    row(KEX, &["ecdh-sha2-nistp521"], ECDH_NIST),
    row(KEX, &["diffie-hellman-group-exchange-sha256"], DH_GEX_SHA256),
    row(KEX, &["diffie-hellman-group14-sha256"], DH_MODP_SHA2),
    row(KEX, &["diffie-hellman-group16-sha512"], DH_MODP_SHA2),
    row(KEX, &["diffie-hellman-group18-sha512"], DH_MODP_SHA2),
    row(KEX, &["mlkem768nistp256-sha256"], MLKEM_NIST_KEX),
    row(KEX, &["mlkem1024nistp384-sha384"], MLKEM_NIST_KEX),
    row(KEX, &["curve25519-sha256"], X25519_KEX),
    row(KEX, &["curve25519-sha256@libssh.org"], X25519_KEX),
    row(KEX, &["sntrup761x25519-sha512@openssh.com"], SNTRUP_KEX),
    row(KEX, &["sntrup761x25519-sha512"], SNTRUP_KEX),
    row(KEX, &["mlkem768x25519-sha256"], MLKEM_X25519_KEX),
    row(KEX, &["diffie-hellman-group1-sha1"], DH_GROUP1),
    row(KEX, &["diffie-hellman-group14-sha1"], DH_SHA1),
    row(KEX, &["diffie-hellman-group-exchange-sha1"], DH_SHA1),
    // SSH public-key algorithms (OpenSSH 9.2 `ssh -Q HostKeyAlgorithms`).
    row(KEY, &["ecdsa-sha2-nistp256"], ECDSA_NIST),
    row(KEY, &["ecdsa-sha2-nistp256-cert-v01@openssh.com"], ECDSA_NIST),
    row(KEY, &["ecdsa-sha2-nistp384"], ECDSA_NIST),
    row(KEY, &["ecdsa-sha2-nistp384-cert-v01@openssh.com"], ECDSA_NIST),
    row(KEY, &["ecdsa-sha2-nistp521"], ECDSA_NIST),
    row(KEY, &["ecdsa-sha2-nistp521-cert-v01@openssh.com"], ECDSA_NIST),
    row(KEY, &["rsa-sha2-256"], RSA_SHA2),
    row(KEY, &["rsa-sha2-256-cert-v01@openssh.com"], RSA_SHA2),
    row(KEY, &["rsa-sha2-512"], RSA_SHA2),
    row(KEY, &["rsa-sha2-512-cert-v01@openssh.com"], RSA_SHA2),
    row(KEY, &["ssh-ed25519"], ED25519_SIG),
    row(KEY, &["ssh-ed25519-cert-v01@openssh.com"], ED25519_SIG),
    row(KEY, &["sk-ssh-ed25519@openssh.com"], SK_ED25519),
    row(KEY, &["sk-ssh-ed25519-cert-v01@openssh.com"], SK_ED25519),
    row(KEY, &["sk-ecdsa-sha2-nistp256@openssh.com"], SK_ECDSA),
    row(KEY, &["sk-ecdsa-sha2-nistp256-cert-v01@openssh.com"], SK_ECDSA),
    row(KEY, &["webauthn-sk-ecdsa-sha2-nistp256@openssh.com"], SK_ECDSA),
    row(KEY, &["ssh-rsa"], RSA_SHA1),
    row(KEY, &["ssh-rsa-cert-v01@openssh.com"], RSA_SHA1),
    row(KEY, &["ssh-dss"], DSA_SIG),
    row(KEY, &["ssh-dss-cert-v01@openssh.com"], DSA_SIG),
    // TLS 1.3 suites (RFC 8446 §B.4).
    row(TLS13, &["TLS_AES_256_GCM_SHA384"], TLS13_AES_GCM),
    row(TLS13, &["TLS_AES_128_GCM_SHA256"], TLS13_AES_GCM),
    row(TLS13, &["TLS_AES_128_CCM_SHA256"], TLS13_AES_CCM),
    row(TLS13, &["TLS_CHACHA20_POLY1305_SHA256"], CHACHA),
    row(TLS13, &["TLS_AES_128_CCM_8_SHA256"], CCM8),
    // TLS 1.2 suites: IANA name, then OpenSSL's. Every suite OpenSSL 3.0 knows (in the
    // order of `openssl ciphers -stdname -V ALL:COMPLEMENTOFALL` on Debian 12), then
    // older suites that OpenSSL 3.0 no longer offers but configurations still name.
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"], ECDHE_GCM),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"], ECDHE_GCM),
    row(TLS12, &["TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", "DHE-DSS-AES256-GCM-SHA384"], DSA_AUTH),
    row(TLS12, &["TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE-RSA-AES256-GCM-SHA384"], DHE_GCM),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"], CHACHA),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"], CHACHA),
    row(TLS12, &["TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305"], CHACHA),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "ECDHE-ECDSA-AES256-CCM8"], CCM8),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "ECDHE-ECDSA-AES256-CCM"], ECDHE_CCM),
    row(TLS12, &["TLS_DHE_RSA_WITH_AES_256_CCM_8", "DHE-RSA-AES256-CCM8"], CCM8),
    row(TLS12, &["TLS_DHE_RSA_WITH_AES_256_CCM", "DHE-RSA-AES256-CCM"], DHE_CCM),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", "ECDHE-ECDSA-ARIA256-GCM-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", "ECDHE-ARIA256-GCM-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384", "DHE-DSS-ARIA256-GCM-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", "DHE-RSA-ARIA256-GCM-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DH_anon_WITH_AES_256_GCM_SHA384", "ADH-AES256-GCM-SHA384"], ANONYMOUS),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"], ECDHE_GCM),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"], ECDHE_GCM),
    row(TLS12, &["TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "DHE-DSS-AES128-GCM-SHA256"], DSA_AUTH),
    row(TLS12, &["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256"], DHE_GCM),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM8"], CCM8),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM"], ECDHE_CCM),
    row(TLS12, &["TLS_DHE_RSA_WITH_AES_128_CCM_8", "DHE-RSA-AES128-CCM8"], CCM8),
    row(TLS12, &["TLS_DHE_RSA_WITH_AES_128_CCM", "DHE-RSA-AES128-CCM"], DHE_CCM),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", "ECDHE-ECDSA-ARIA128-GCM-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", "ECDHE-ARIA128-GCM-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256", "DHE-DSS-ARIA128-GCM-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", "DHE-RSA-ARIA128-GCM-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DH_anon_WITH_AES_128_GCM_SHA256", "ADH-AES128-GCM-SHA256"], ANONYMOUS),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384"], ECDHE_CBC_SHA2),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384"], ECDHE_CBC_SHA2),
    row(TLS12, &["TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "DHE-RSA-AES256-SHA256"], DHE_CBC_SHA2),
    row(TLS12, &["TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", "DHE-DSS-AES256-SHA256"], DSA_AUTH),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-ECDSA-CAMELLIA256-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-RSA-CAMELLIA256-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", "DHE-RSA-CAMELLIA256-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256", "DHE-DSS-CAMELLIA256-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DH_anon_WITH_AES_256_CBC_SHA256", "ADH-AES256-SHA256"], ANONYMOUS),
    row(TLS12, &["TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256", "ADH-CAMELLIA256-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"], ECDHE_CBC_SHA2),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"], ECDHE_CBC_SHA2),
    row(TLS12, &["TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE-RSA-AES128-SHA256"], DHE_CBC_SHA2),
    row(TLS12, &["TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", "DHE-DSS-AES128-SHA256"], DSA_AUTH),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-ECDSA-CAMELLIA128-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-RSA-CAMELLIA128-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "DHE-RSA-CAMELLIA128-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256", "DHE-DSS-CAMELLIA128-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DH_anon_WITH_AES_128_CBC_SHA256", "ADH-AES128-SHA256"], ANONYMOUS),
    row(TLS12, &["TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256", "ADH-CAMELLIA128-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"], CBC_SHA1),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"], CBC_SHA1),
    row(TLS12, &["TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA-AES256-SHA"], CBC_SHA1),
    row(TLS12, &["TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "DHE-DSS-AES256-SHA"], DSA_AUTH),
    row(TLS12, &["TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", "DHE-RSA-CAMELLIA256-SHA"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", "DHE-DSS-CAMELLIA256-SHA"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDH_anon_WITH_AES_256_CBC_SHA", "AECDH-AES256-SHA"], ANONYMOUS),
    row(TLS12, &["TLS_DH_anon_WITH_AES_256_CBC_SHA", "ADH-AES256-SHA"], ANONYMOUS),
    row(TLS12, &["TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA", "ADH-CAMELLIA256-SHA"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"], CBC_SHA1),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"], CBC_SHA1),
    row(TLS12, &["TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE-RSA-AES128-SHA"], CBC_SHA1),
    row(TLS12, &["TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "DHE-DSS-AES128-SHA"], DSA_AUTH),
    row(TLS12, &["TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", "DHE-RSA-CAMELLIA128-SHA"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", "DHE-DSS-CAMELLIA128-SHA"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "AECDH-AES128-SHA"], ANONYMOUS),
    row(TLS12, &["TLS_DH_anon_WITH_AES_128_CBC_SHA", "ADH-AES128-SHA"], ANONYMOUS),
    row(TLS12, &["TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA", "ADH-CAMELLIA128-SHA"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_PSK_WITH_AES_256_GCM_SHA384", "RSA-PSK-AES256-GCM-SHA384"], PSK_OR_SRP),
    row(TLS12, &["TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", "DHE-PSK-AES256-GCM-SHA384"], PSK_OR_SRP),
    row(TLS12, &["TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256", "RSA-PSK-CHACHA20-POLY1305"], CHACHA),
    row(TLS12, &["TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "DHE-PSK-CHACHA20-POLY1305"], CHACHA),
    row(TLS12, &["TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-PSK-CHACHA20-POLY1305"], CHACHA),
    row(TLS12, &["TLS_PSK_DHE_WITH_AES_256_CCM_8", "DHE-PSK-AES256-CCM8"], CCM8),
    row(TLS12, &["TLS_DHE_PSK_WITH_AES_256_CCM", "DHE-PSK-AES256-CCM"], PSK_OR_SRP),
    row(TLS12, &["TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384", "RSA-PSK-ARIA256-GCM-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384", "DHE-PSK-ARIA256-GCM-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"], RSA_KEY_TRANSPORT),
    row(TLS12, &["TLS_RSA_WITH_AES_256_CCM_8", "AES256-CCM8"], CCM8),
    row(TLS12, &["TLS_RSA_WITH_AES_256_CCM", "AES256-CCM"], RSA_KEY_TRANSPORT),
    row(TLS12, &["TLS_RSA_WITH_ARIA_256_GCM_SHA384", "ARIA256-GCM-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_PSK_WITH_AES_256_GCM_SHA384", "PSK-AES256-GCM-SHA384"], PSK_OR_SRP),
    row(TLS12, &["TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", "PSK-CHACHA20-POLY1305"], CHACHA),
    row(TLS12, &["TLS_PSK_WITH_AES_256_CCM_8", "PSK-AES256-CCM8"], CCM8),
    row(TLS12, &["TLS_PSK_WITH_AES_256_CCM", "PSK-AES256-CCM"], PSK_OR_SRP),
    row(TLS12, &["TLS_PSK_WITH_ARIA_256_GCM_SHA384", "PSK-ARIA256-GCM-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", "RSA-PSK-AES128-GCM-SHA256"], PSK_OR_SRP),
    row(TLS12, &["TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", "DHE-PSK-AES128-GCM-SHA256"], PSK_OR_SRP),
    row(TLS12, &["TLS_PSK_DHE_WITH_AES_128_CCM_8", "DHE-PSK-AES128-CCM8"], CCM8),
    row(TLS12, &["TLS_DHE_PSK_WITH_AES_128_CCM", "DHE-PSK-AES128-CCM"], PSK_OR_SRP),
    row(TLS12, &["TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256", "RSA-PSK-ARIA128-GCM-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256", "DHE-PSK-ARIA128-GCM-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"], RSA_KEY_TRANSPORT),
    row(TLS12, &["TLS_RSA_WITH_AES_128_CCM_8", "AES128-CCM8"], CCM8),
    row(TLS12, &["TLS_RSA_WITH_AES_128_CCM", "AES128-CCM"], RSA_KEY_TRANSPORT),
    row(TLS12, &["TLS_RSA_WITH_ARIA_128_GCM_SHA256", "ARIA128-GCM-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_PSK_WITH_AES_128_GCM_SHA256", "PSK-AES128-GCM-SHA256"], PSK_OR_SRP),
    row(TLS12, &["TLS_PSK_WITH_AES_128_CCM_8", "PSK-AES128-CCM8"], CCM8),
    row(TLS12, &["TLS_PSK_WITH_AES_128_CCM", "PSK-AES128-CCM"], PSK_OR_SRP),
    row(TLS12, &["TLS_PSK_WITH_ARIA_128_GCM_SHA256", "PSK-ARIA128-GCM-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256"], RSA_KEY_TRANSPORT),
    row(TLS12, &["TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", "CAMELLIA256-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"], RSA_KEY_TRANSPORT),
    row(TLS12, &["TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", "CAMELLIA128-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", "ECDHE-PSK-AES256-CBC-SHA384"], PSK_OR_SRP),
    row(TLS12, &["TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", "ECDHE-PSK-AES256-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA", "SRP-DSS-AES-256-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA", "SRP-RSA-AES-256-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_SRP_SHA_WITH_AES_256_CBC_SHA", "SRP-AES-256-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_RSA_PSK_WITH_AES_256_CBC_SHA384", "RSA-PSK-AES256-CBC-SHA384"], PSK_OR_SRP),
    row(TLS12, &["TLS_DHE_PSK_WITH_AES_256_CBC_SHA384", "DHE-PSK-AES256-CBC-SHA384"], PSK_OR_SRP),
    row(TLS12, &["TLS_RSA_PSK_WITH_AES_256_CBC_SHA", "RSA-PSK-AES256-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_DHE_PSK_WITH_AES_256_CBC_SHA", "DHE-PSK-AES256-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-PSK-CAMELLIA256-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384", "RSA-PSK-CAMELLIA256-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", "DHE-PSK-CAMELLIA256-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"], RSA_KEY_TRANSPORT),
    row(TLS12, &["TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", "CAMELLIA256-SHA"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_PSK_WITH_AES_256_CBC_SHA384", "PSK-AES256-CBC-SHA384"], PSK_OR_SRP),
    row(TLS12, &["TLS_PSK_WITH_AES_256_CBC_SHA", "PSK-AES256-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384", "PSK-CAMELLIA256-SHA384"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", "ECDHE-PSK-AES128-CBC-SHA256"], PSK_OR_SRP),
    row(TLS12, &["TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", "ECDHE-PSK-AES128-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA", "SRP-DSS-AES-128-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA", "SRP-RSA-AES-128-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_SRP_SHA_WITH_AES_128_CBC_SHA", "SRP-AES-128-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_RSA_PSK_WITH_AES_128_CBC_SHA256", "RSA-PSK-AES128-CBC-SHA256"], PSK_OR_SRP),
    row(TLS12, &["TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", "DHE-PSK-AES128-CBC-SHA256"], PSK_OR_SRP),
    row(TLS12, &["TLS_RSA_PSK_WITH_AES_128_CBC_SHA", "RSA-PSK-AES128-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_DHE_PSK_WITH_AES_128_CBC_SHA", "DHE-PSK-AES128-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-PSK-CAMELLIA128-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256", "RSA-PSK-CAMELLIA128-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", "DHE-PSK-CAMELLIA128-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"], RSA_KEY_TRANSPORT),
    row(TLS12, &["TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", "CAMELLIA128-SHA"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_PSK_WITH_AES_128_CBC_SHA256", "PSK-AES128-CBC-SHA256"], PSK_OR_SRP),
    row(TLS12, &["TLS_PSK_WITH_AES_128_CBC_SHA", "PSK-AES128-CBC-SHA"], PSK_OR_SRP),
    row(TLS12, &["TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256", "PSK-CAMELLIA128-SHA256"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_NULL_SHA", "ECDHE-ECDSA-NULL-SHA"], NULL_CIPHER),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_NULL_SHA", "ECDHE-RSA-NULL-SHA"], NULL_CIPHER),
    row(TLS12, &["TLS_ECDH_anon_WITH_NULL_SHA", "AECDH-NULL-SHA"], NULL_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_NULL_SHA256", "NULL-SHA256"], NULL_CIPHER),
    row(TLS12, &["TLS_ECDHE_PSK_WITH_NULL_SHA384", "ECDHE-PSK-NULL-SHA384"], NULL_CIPHER),
    row(TLS12, &["TLS_ECDHE_PSK_WITH_NULL_SHA256", "ECDHE-PSK-NULL-SHA256"], NULL_CIPHER),
    row(TLS12, &["TLS_ECDHE_PSK_WITH_NULL_SHA", "ECDHE-PSK-NULL-SHA"], NULL_CIPHER),
    row(TLS12, &["TLS_RSA_PSK_WITH_NULL_SHA384", "RSA-PSK-NULL-SHA384"], NULL_CIPHER),
    row(TLS12, &["TLS_RSA_PSK_WITH_NULL_SHA256", "RSA-PSK-NULL-SHA256"], NULL_CIPHER),
    row(TLS12, &["TLS_DHE_PSK_WITH_NULL_SHA384", "DHE-PSK-NULL-SHA384"], NULL_CIPHER),
    row(TLS12, &["TLS_DHE_PSK_WITH_NULL_SHA256", "DHE-PSK-NULL-SHA256"], NULL_CIPHER),
    row(TLS12, &["TLS_RSA_PSK_WITH_NULL_SHA", "RSA-PSK-NULL-SHA"], NULL_CIPHER),
    row(TLS12, &["TLS_DHE_PSK_WITH_NULL_SHA", "DHE-PSK-NULL-SHA"], NULL_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_NULL_SHA", "NULL-SHA"], NULL_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_NULL_MD5", "NULL-MD5"], NULL_CIPHER),
    row(TLS12, &["TLS_PSK_WITH_NULL_SHA384", "PSK-NULL-SHA384"], NULL_CIPHER),
    row(TLS12, &["TLS_PSK_WITH_NULL_SHA256", "PSK-NULL-SHA256"], NULL_CIPHER),
    row(TLS12, &["TLS_PSK_WITH_NULL_SHA", "PSK-NULL-SHA"], NULL_CIPHER),
    row(TLS12, &["TLS_NULL_WITH_NULL_NULL"], NULL_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"], TLS_3DES),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-ECDSA-DES-CBC3-SHA"], TLS_3DES),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"], TLS_3DES),
    row(TLS12, &["TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "DHE-RSA-DES-CBC3-SHA", "EDH-RSA-DES-CBC3-SHA"], TLS_3DES),
    row(TLS12, &["TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "DHE-DSS-DES-CBC3-SHA", "EDH-DSS-DES-CBC3-SHA"], TLS_3DES),
    row(TLS12, &["TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA"], TLS_RC4),
    row(TLS12, &["TLS_RSA_WITH_RC4_128_MD5", "RC4-MD5"], TLS_RC4),
    row(TLS12, &["TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA"], TLS_RC4),
    row(TLS12, &["TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA"], TLS_RC4),
    row(TLS12, &["TLS_RSA_WITH_DES_CBC_SHA", "DES-CBC-SHA"], TLS_DES),
    row(TLS12, &["TLS_DHE_RSA_WITH_DES_CBC_SHA", "EDH-RSA-DES-CBC-SHA"], TLS_DES),
    row(TLS12, &["TLS_RSA_EXPORT_WITH_RC4_40_MD5", "EXP-RC4-MD5"], EXPORT),
    row(TLS12, &["TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-DES-CBC-SHA"], EXPORT),
    row(TLS12, &["TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "EXP-RC2-CBC-MD5"], EXPORT),
    row(TLS12, &["TLS_RSA_WITH_IDEA_CBC_SHA", "IDEA-CBC-SHA"], NOT_NIST_TLS_CIPHER),
    row(TLS12, &["TLS_RSA_WITH_SEED_CBC_SHA", "SEED-SHA"], NOT_NIST_TLS_CIPHER),
    // TLS groups (RFC 8446 §4.2.7; OpenSSL's names as aliases).
    row(GROUP, &["secp256r1", "P-256", "prime256v1"], NIST_CURVE),
    row(GROUP, &["secp384r1", "P-384"], NIST_CURVE),
    row(GROUP, &["secp521r1", "P-521"], NIST_CURVE),
    row(GROUP, &["ffdhe2048"], FFDHE),
    row(GROUP, &["ffdhe3072"], FFDHE),
    row(GROUP, &["ffdhe4096"], FFDHE),
    row(GROUP, &["ffdhe6144"], FFDHE),
    row(GROUP, &["ffdhe8192"], FFDHE),
    row(GROUP, &["x25519"], X25519_GROUP),
    row(GROUP, &["x448"], X25519_GROUP),
    row(GROUP, &["brainpoolP256r1"], BRAINPOOL),
    row(GROUP, &["brainpoolP384r1"], BRAINPOOL),
    row(GROUP, &["brainpoolP512r1"], BRAINPOOL),
    // Protocol versions.
    row(VERSION, &["TLSv1.3", "TLS1.3", "TLS 1.3"], TLS_OK),
    row(VERSION, &["TLSv1.2", "TLS1.2", "TLS 1.2"], TLS_OK),
    row(VERSION, &["TLSv1.1", "TLS1.1", "TLS 1.1"], TLS_OLD),
    row(VERSION, &["TLSv1.0", "TLSv1", "TLS1.0", "TLS 1.0"], TLS_OLD),
    row(VERSION, &["SSLv3", "SSL3", "SSL 3.0"], SSL_ANY),
    row(VERSION, &["SSLv2", "SSL2", "SSL 2.0"], SSL_ANY),
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::algorithm::{CATALOGUE, FipsStatus};

    #[test]
    fn no_name_is_listed_twice_within_a_kind() {
        let mut seen = HashSet::new();
        for e in POLICY {
            assert!(!e.names.is_empty());
            for n in e.names {
                let key = if e.kind.case_insensitive() {
                    n.to_ascii_lowercase()
                } else {
                    (*n).to_owned()
                };
                assert!(seen.insert((e.kind, key)), "{:?} {n} listed twice", e.kind);
            }
        }
    }

    #[test]
    fn every_row_names_its_rule_and_source() {
        for e in POLICY {
            assert_ne!(e.verdict.status, Status::Unknown, "{}", e.name());
            assert!(e.verdict.rule.len() > 10, "{}", e.name());
            assert!(!e.verdict.source.is_empty(), "{}", e.name());
        }
    }

    #[test]
    fn the_policy_never_claims_validation() {
        for e in POLICY {
            let text = format!("{} {}", e.verdict.rule, e.verdict.source).to_lowercase();
            assert!(
                !text.contains("validated") && !text.contains("certified"),
                "{text}"
            );
        }
    }

    /// The engine's own algorithm catalogue and this table agree on every SSH and TLS
    /// name the catalogue lists: one policy, two views of it.
    #[test]
    fn agrees_with_the_algorithm_catalogue() {
        for info in CATALOGUE {
            for name in info.ssh_names {
                let v = lookup(Kind::SshCipher, name);
                let v = if v.status == Status::Unknown {
                    ssh_mac(name)
                } else {
                    v
                };
                assert_eq!(
                    v.status.is_approved(),
                    info.fips.is_approved(),
                    "{name}: policy {v:?} vs catalogue {:?}",
                    info.fips
                );
            }
            for name in info.tls_names {
                let v = tls_suite(name);
                assert_ne!(v.status, Status::Unknown, "{name}");
                assert_eq!(v.status.is_approved(), info.fips.is_approved(), "{name}");
            }
            if let FipsStatus::NotApproved { rule } = info.fips {
                assert!(rule.contains("SP 800"), "{rule}");
            }
        }
    }

    // One test per rule the brief names; each asserts the status and that the rule text
    // says why.
    #[track_caller]
    fn expect(v: Verdict, status: Status, says: &str) {
        assert_eq!(v.status, status, "{v:?}");
        let text = format!("{} ({})", v.rule, v.source);
        assert!(text.contains(says), "{text:?} should mention {says:?}");
    }

    #[test]
    fn ssh_ciphers() {
        for n in ["aes128-ctr", "aes192-ctr", "aes256-ctr"] {
            expect(ssh_cipher(n), Status::Approved, "SP 800-38A");
        }
        for n in ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"] {
            expect(ssh_cipher(n), Status::Approved, "SP 800-38D");
        }
        expect(
            ssh_cipher("chacha20-poly1305@openssh.com"),
            Status::NotApproved,
            "not a NIST-approved cipher",
        );
        for n in ["aes128-cbc", "aes192-cbc", "aes256-cbc"] {
            expect(ssh_cipher(n), Status::NotApproved, "cipher@SSH = -*-CBC");
        }
        expect(ssh_cipher("3des-cbc"), Status::NotApproved, "Triple-DES");
        expect(ssh_cipher("arcfour256"), Status::NotApproved, "RFC 8758");
        expect(
            ssh_cipher("blowfish-cbc"),
            Status::NotApproved,
            "block cipher",
        );
        expect(ssh_cipher("none"), Status::NotApproved, "no encryption");
        // Case matters in SSH, as in OpenSSH.
        assert_eq!(ssh_cipher("AES128-CTR").status, Status::Unknown);
        assert_eq!(ssh_cipher("rot13").status, Status::Unknown);
    }

    #[test]
    fn ssh_macs() {
        for n in [
            "hmac-sha2-256",
            "hmac-sha2-512",
            "hmac-sha2-256-etm@openssh.com",
            "hmac-sha2-512-etm@openssh.com",
        ] {
            expect(ssh_mac(n), Status::Approved, "HMAC with SHA-2");
        }
        for n in ["hmac-sha1", "hmac-sha1-etm@openssh.com"] {
            // Not approved by this project, and the rule says RHEL allows it.
            expect(ssh_mac(n), Status::NotApproved, "SP 800-131A Rev. 3");
            expect(
                ssh_mac(n),
                Status::NotApproved,
                "RHEL's FIPS policy still lists it",
            );
        }
        expect(ssh_mac("hmac-sha1-96"), Status::NotApproved, "truncated");
        for n in ["umac-64@openssh.com", "umac-128-etm@openssh.com"] {
            expect(ssh_mac(n), Status::NotApproved, "UMAC");
        }
        expect(ssh_mac("hmac-md5"), Status::NotApproved, "MD5");
        expect(ssh_mac("hmac-ripemd160"), Status::NotApproved, "RIPEMD");
        expect(ssh_mac("none"), Status::NotApproved, "no integrity");
    }

    #[test]
    fn ssh_key_exchange() {
        for n in [
            "ecdh-sha2-nistp256",
            "ecdh-sha2-nistp384",
            "ecdh-sha2-nistp521",
        ] {
            expect(ssh_kex(n), Status::Approved, "NIST prime curve");
        }
        for n in [
            "diffie-hellman-group14-sha256",
            "diffie-hellman-group16-sha512",
            "diffie-hellman-group18-sha512",
        ] {
            expect(ssh_kex(n), Status::Approved, "2048 bits");
        }
        expect(
            ssh_kex("diffie-hellman-group-exchange-sha256"),
            Status::Approved,
            "moduli",
        );
        for n in ["curve25519-sha256", "curve25519-sha256@libssh.org"] {
            expect(ssh_kex(n), Status::NotApproved, "X25519");
        }
        for n in [
            "sntrup761x25519-sha512@openssh.com",
            "sntrup761x25519-sha512",
        ] {
            expect(ssh_kex(n), Status::NotApproved, "NTRU Prime");
        }
        expect(
            ssh_kex("mlkem768x25519-sha256"),
            Status::NotApproved,
            "X25519",
        );
        expect(
            ssh_kex("mlkem768nistp256-sha256"),
            Status::Approved,
            "FIPS 203",
        );
        expect(
            ssh_kex("diffie-hellman-group1-sha1"),
            Status::NotApproved,
            "1024",
        );
        for n in [
            "diffie-hellman-group14-sha1",
            "diffie-hellman-group-exchange-sha1",
        ] {
            expect(ssh_kex(n), Status::NotApproved, "SHA-1");
        }
    }

    #[test]
    fn ssh_public_key_algorithms() {
        for n in [
            "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521",
            "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        ] {
            expect(ssh_key(n), Status::Approved, "ECDSA");
        }
        for n in [
            "rsa-sha2-256",
            "rsa-sha2-512",
            "rsa-sha2-256-cert-v01@openssh.com",
            "rsa-sha2-512-cert-v01@openssh.com",
        ] {
            expect(ssh_key(n), Status::Approved, "2048");
        }
        expect(ssh_key("ssh-ed25519"), Status::NotApproved, "Ed25519");
        expect(ssh_key("ssh-rsa"), Status::NotApproved, "SHA-1");
        expect(ssh_key("ssh-dss"), Status::NotApproved, "DSA");
        for n in [
            "sk-ecdsa-sha2-nistp256@openssh.com",
            "sk-ssh-ed25519@openssh.com",
            "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
        ] {
            expect(ssh_key(n), Status::NotApproved, "security-key");
        }
    }

    #[test]
    fn tls13_suites() {
        expect(
            tls_suite("TLS_AES_128_GCM_SHA256"),
            Status::Approved,
            "AES-GCM",
        );
        expect(
            tls_suite("TLS_AES_256_GCM_SHA384"),
            Status::Approved,
            "AES-GCM",
        );
        expect(
            tls_suite("TLS_AES_128_CCM_SHA256"),
            Status::Approved,
            "RHEL",
        );
        expect(
            tls_suite("TLS_CHACHA20_POLY1305_SHA256"),
            Status::NotApproved,
            "ChaCha20",
        );
        expect(
            tls_suite("TLS_AES_128_CCM_8_SHA256"),
            Status::NotApproved,
            "8-byte",
        );
        // TLS names compare case-insensitively.
        expect(
            tls_suite("tls_aes_128_gcm_sha256"),
            Status::Approved,
            "AES-GCM",
        );
    }

    #[test]
    fn tls12_suites_by_iana_and_openssl_name() {
        for n in [
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "ECDHE-RSA-AES256-GCM-SHA384",
        ] {
            expect(tls_suite(n), Status::Approved, "AES-GCM");
        }
        for n in [
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
            "ECDHE-ECDSA-AES256-SHA384",
            "DHE-RSA-AES128-SHA256",
        ] {
            expect(tls_suite(n), Status::Approved, "approved by SP 800-52r2");
        }
        expect(
            tls_suite("DHE-RSA-AES128-GCM-SHA256"),
            Status::Approved,
            "2048",
        );
        expect(
            tls_suite("ECDHE-ECDSA-AES128-CCM"),
            Status::Approved,
            "AES-CCM",
        );
        expect(
            tls_suite("TLS_DHE_RSA_WITH_AES_256_CCM"),
            Status::Approved,
            "AES-CCM",
        );
        let cases = [
            ("ECDHE-RSA-CHACHA20-POLY1305", "ChaCha20"),
            ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ChaCha20"),
            ("RC4-SHA", "RC4"),
            ("TLS_RSA_WITH_RC4_128_MD5", "RC4"),
            ("DES-CBC3-SHA", "Triple-DES"),
            ("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "Triple-DES"),
            ("NULL-SHA256", "NULL"),
            ("ADH-AES128-GCM-SHA256", "anonymous"),
            ("AECDH-AES256-SHA", "anonymous"),
            ("EXP-RC4-MD5", "export"),
            ("DES-CBC-SHA", "single DES"),
            ("SRP-AES-128-CBC-SHA", "SRP"),
            ("ECDHE-RSA-AES128-SHA", "SHA-1"),
            ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "SHA-1"),
            ("AES128-GCM-SHA256", "RSA key transport"),
            ("CAMELLIA256-SHA", "block cipher"),
            ("DHE-DSS-AES256-GCM-SHA384", "DSA"),
            ("PSK-AES128-GCM-SHA256", "pre-shared-key"),
            ("ECDHE-ECDSA-AES128-CCM8", "8-byte"),
        ];
        for (n, says) in cases {
            expect(tls_suite(n), Status::NotApproved, says);
        }
        assert_eq!(tls_suite("NOT-A-SUITE").status, Status::Unknown);
    }

    #[test]
    fn tls_groups_and_versions() {
        for n in ["P-256", "secp384r1", "secp521r1", "prime256v1"] {
            expect(tls_group(n), Status::Approved, "NIST prime curve");
        }
        expect(tls_group("ffdhe2048"), Status::Approved, "RFC 7919");
        expect(
            tls_group("brainpoolP256r1"),
            Status::NotApproved,
            "Brainpool",
        );
        for n in ["X25519", "x448"] {
            expect(tls_group(n), Status::NotApproved, "X25519/X448");
        }
        for n in ["TLSv1.2", "TLSv1.3", "tls1.3"] {
            expect(tls_version(n), Status::Approved, "SP 800-52r2 §3.1");
        }
        for n in ["TLSv1", "TLSv1.0", "TLSv1.1"] {
            expect(tls_version(n), Status::NotApproved, "TLS 1.0 and 1.1");
        }
        for n in ["SSLv3", "SSLv2"] {
            expect(tls_version(n), Status::NotApproved, "prohibited");
        }
    }

    /// Every row's rule is one of a small set of named rules, each asserted above; a new
    /// rule changes this count and needs a test.
    #[test]
    fn rule_count() {
        let mut rules: Vec<(&str, &str)> = POLICY
            .iter()
            .map(|e| (e.verdict.rule, e.verdict.source))
            .collect();
        rules.sort_unstable();
        rules.dedup();
        assert_eq!(rules.len(), 60, "a new rule needs a test above");
        assert_eq!(POLICY.len(), 278);
    }

    #[test]
    fn approved_lists_come_in_preference_order() {
        let ciphers: Vec<_> = approved(Kind::SshCipher).collect();
        assert_eq!(
            ciphers,
            [
                "aes256-gcm@openssh.com",
                "aes128-gcm@openssh.com",
                "aes256-ctr",
                "aes192-ctr",
                "aes128-ctr"
            ]
        );
        let tls13: Vec<_> = approved(Kind::Tls13Suite).collect();
        assert_eq!(
            tls13,
            [
                "TLS_AES_256_GCM_SHA384",
                "TLS_AES_128_GCM_SHA256",
                "TLS_AES_128_CCM_SHA256"
            ]
        );
    }
}
