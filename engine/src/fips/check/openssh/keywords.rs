//! The OpenSSH keywords the validator checks, with OpenSSH 9.2's compiled-in defaults.
//!
//! Defaults are copied from OpenSSH 9.2p1's `myproposal.h` (openssh/openssh-portable, tag
//! `V_9_2_P1`, `$OpenBSD: myproposal.h,v 1.71 2022/03/30`): `KEX_SERVER_KEX`,
//! `KEX_DEFAULT_PK_ALG`, `KEX_SERVER_ENCRYPT`, `KEX_SERVER_MAC`, `SSH_ALLOWED_CA_SIGALGS`.
//! The client lists (`KEX_CLIENT_*`) are defined as the server ones. That is the
//! OpenSSH of Debian 12 (openssh-server 1:9.2p1-2); from 1:9.2p1-2+deb12u4 Debian also
//! accepts `sntrup761x25519-sha512` (without `@openssh.com`), which `ssh -G` lists first.
//!
//! The "all" lists are what OpenSSH 9.2 supports (`ssh -Q cipher|mac|kex|key-sig` on
//! Debian 12; the tables in `cipher.c`, `mac.c`, `kex.c`, `sshkey.c` at `V_9_2_P1`). They
//! are what wildcard patterns expand against, and a name outside them makes OpenSSH 9.2
//! refuse the line.

use crate::fips::policy::Kind;

/// One keyword that takes an algorithm list.
#[derive(Debug)]
pub(crate) struct Keyword {
    /// The spelling used in replacement lines.
    pub name: &'static str,
    /// Every accepted spelling, lowercase (OpenSSH matches keywords case-insensitively).
    pub spellings: &'static [&'static str],
    /// What the names in the list are.
    pub kind: Kind,
    /// OpenSSH 9.2's compiled-in default list.
    pub default: &'static [&'static str],
    /// Every name OpenSSH 9.2 supports for this keyword.
    pub all: &'static [&'static str],
    /// Plain, `+` and `^` lists may hold wildcard patterns (OpenSSH allows them only for
    /// public-key algorithm lists; `-` lists always may).
    pub wildcards: bool,
    /// sshd refuses the keyword inside a `Match` block (`SSHCFG_GLOBAL` in `servconf.c`).
    pub global_only: bool,
    /// Report the default when the keyword is absent. Off for keywords that only matter
    /// once host-based or certificate authentication is configured.
    pub check_default: bool,
}

const DEFAULT_KEX: &[&str] = &[
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
];

const DEFAULT_PK_ALG: &[&str] = &[
    "ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
];

const DEFAULT_ENCRYPT: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
];

const DEFAULT_MAC: &[&str] = &[
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
];

const DEFAULT_CA_SIGALGS: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
];

const ALL_CIPHERS: &[&str] = &[
    "3des-cbc",
    "aes128-cbc",
    "aes192-cbc",
    "aes256-cbc",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
];

const ALL_MACS: &[&str] = &[
    "hmac-sha1",
    "hmac-sha1-96",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-md5",
    "hmac-md5-96",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "hmac-sha1-96-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-md5-etm@openssh.com",
    "hmac-md5-96-etm@openssh.com",
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
];

const ALL_KEX: &[&str] = &[
    "diffie-hellman-group1-sha1",
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group-exchange-sha256",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "sntrup761x25519-sha512@openssh.com",
];

/// `sshkey_alg_list(0, 0, 1, ',')`: keys, certificates and signature-only names.
const ALL_KEYS: &[&str] = &[
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-dss-cert-v01@openssh.com",
    "ssh-rsa",
    "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-512-cert-v01@openssh.com",
];

/// `sshkey_alg_list(0, 1, 1, ',')`: plain signature algorithms (no certificates).
const ALL_SIGS: &[&str] = &[
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-rsa",
    "rsa-sha2-256",
    "rsa-sha2-512",
];

/// The keywords checked, in report order.
pub(crate) static KEYWORDS: &[Keyword] = &[
    Keyword {
        name: "Ciphers",
        spellings: &["ciphers"],
        kind: Kind::SshCipher,
        default: DEFAULT_ENCRYPT,
        all: ALL_CIPHERS,
        wildcards: false,
        global_only: true,
        check_default: true,
    },
    Keyword {
        name: "MACs",
        spellings: &["macs"],
        kind: Kind::SshMac,
        default: DEFAULT_MAC,
        all: ALL_MACS,
        wildcards: false,
        global_only: true,
        check_default: true,
    },
    Keyword {
        name: "KexAlgorithms",
        spellings: &["kexalgorithms"],
        kind: Kind::SshKex,
        default: DEFAULT_KEX,
        all: ALL_KEX,
        wildcards: false,
        global_only: true,
        check_default: true,
    },
    Keyword {
        name: "HostKeyAlgorithms",
        spellings: &["hostkeyalgorithms"],
        kind: Kind::SshKey,
        default: DEFAULT_PK_ALG,
        all: ALL_KEYS,
        wildcards: true,
        global_only: true,
        check_default: true,
    },
    Keyword {
        name: "PubkeyAcceptedAlgorithms",
        spellings: &["pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes"],
        kind: Kind::SshKey,
        default: DEFAULT_PK_ALG,
        all: ALL_KEYS,
        wildcards: true,
        global_only: false,
        check_default: true,
    },
    Keyword {
        name: "HostbasedAcceptedAlgorithms",
        spellings: &[
            "hostbasedacceptedalgorithms",
            "hostbasedacceptedkeytypes",
            "hostbasedkeytypes",
        ],
        kind: Kind::SshKey,
        default: DEFAULT_PK_ALG,
        all: ALL_KEYS,
        wildcards: true,
        global_only: false,
        check_default: false,
    },
    Keyword {
        name: "CASignatureAlgorithms",
        spellings: &["casignaturealgorithms"],
        kind: Kind::SshKey,
        default: DEFAULT_CA_SIGALGS,
        all: ALL_SIGS,
        wildcards: true,
        global_only: false,
        check_default: false,
    },
];

impl Keyword {
    /// The keyword written `word` (any case), if it is one the validator checks.
    pub(crate) fn find(word: &str) -> Option<&'static Keyword> {
        let lower = word.to_ascii_lowercase();
        KEYWORDS
            .iter()
            .find(|k| k.spellings.contains(&lower.as_str()))
    }

    /// The compliant list offered when a configuration has no approved names of its
    /// own: the policy's approved names (in its preference order) that OpenSSH 9.2 knows.
    pub(crate) fn recommended(&self) -> Vec<&'static str> {
        crate::fips::policy::approved(self.kind)
            .filter(|n| self.all.contains(n))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fips::policy::{Status, lookup};

    #[test]
    fn defaults_and_support_lists_are_consistent() {
        for k in KEYWORDS {
            for name in k.default {
                assert!(
                    k.all.contains(name),
                    "{}: default {name} unsupported",
                    k.name
                );
            }
            for name in k.all {
                assert_ne!(
                    lookup(k.kind, name).status,
                    Status::Unknown,
                    "{}: the policy has no row for {name}",
                    k.name
                );
            }
            assert!(!k.recommended().is_empty(), "{}", k.name);
            for name in k.recommended() {
                assert!(lookup(k.kind, name).status.is_approved());
            }
            assert!(k.spellings.contains(&k.name.to_ascii_lowercase().as_str()));
        }
    }

    #[test]
    fn recommended_lists() {
        let ciphers = Keyword::find("CIPHERS").unwrap().recommended();
        assert_eq!(
            ciphers.join(","),
            "aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr"
        );
        let kex = Keyword::find("kexalgorithms").unwrap().recommended();
        assert!(
            !kex.contains(&"mlkem768nistp256-sha256"),
            "not in OpenSSH 9.2"
        );
        let ca = Keyword::find("CASignatureAlgorithms")
            .unwrap()
            .recommended();
        assert!(ca.iter().all(|n| !n.contains("cert")));
        assert_eq!(
            Keyword::find("PubkeyAcceptedKeyTypes").unwrap().name,
            "PubkeyAcceptedAlgorithms"
        );
    }
}
