//! KEXINIT (RFC 4253 §7.1): what each side offers, and the algorithms both accept.
//!
//! The lists we offer start from what this crate and the engine implement; in FIPS mode
//! each name is put to `wirecrypt::fips::policy` and only the approved ones stay — this
//! module keeps no list of approved names of its own.

use wirecrypt::fips::policy;

use crate::ssh::error::{Result, SshError};
use crate::ssh::wire::{Reader, Writer, msg};

/// The client's strict-KEX marker (OpenSSH PROTOCOL §1.10).
pub const STRICT_C: &str = "kex-strict-c-v00@openssh.com";
/// The server's strict-KEX marker.
pub const STRICT_S: &str = "kex-strict-s-v00@openssh.com";
/// The client's RFC 8308 marker: it wants SSH_MSG_EXT_INFO.
pub const EXT_INFO_C: &str = "ext-info-c";

/// Key-exchange methods this crate implements, best first.
pub const KEX_ALGORITHMS: &[&str] = &[
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
];

/// Ciphers offered by default, best first (all implemented by the engine).
pub const CIPHERS: &[&str] = &[
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
];

/// MACs offered by default, best first (used only with the CTR ciphers).
pub const MACS: &[&str] = &[
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
];

/// Host-key signature algorithms a client accepts, best first.
pub const HOST_KEY_ALGORITHMS: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "rsa-sha2-512",
    "rsa-sha2-256",
];

/// The algorithm lists one side offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preferences {
    /// Key exchange.
    pub kex: Vec<String>,
    /// Host-key signature algorithms.
    pub host_key: Vec<String>,
    /// Ciphers (both directions).
    pub ciphers: Vec<String>,
    /// MACs (both directions).
    pub macs: Vec<String>,
    /// Whether FIPS policy narrowed these lists (named in negotiation errors).
    pub fips: bool,
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl Preferences {
    /// Everything implemented, in our order; `host_key` as given.
    pub fn new(host_key: Vec<String>) -> Self {
        Preferences {
            kex: owned(KEX_ALGORITHMS),
            host_key,
            ciphers: owned(CIPHERS),
            macs: owned(MACS),
            fips: false,
        }
    }

    /// Keeps only the ciphers named in `ciphers` (in the order given); unknown names are
    /// an error.
    pub fn with_ciphers(mut self, ciphers: &[&str]) -> Result<Self> {
        for c in ciphers {
            if !CIPHERS.contains(c) {
                return Err(SshError::Kex(format!(
                    "unknown cipher {c:?}; known: {}",
                    CIPHERS.join(",")
                )));
            }
        }
        self.ciphers = owned(ciphers);
        Ok(self)
    }

    /// Refuses names this crate does not implement (a typo in a cipher list must not
    /// surface only when a peer happens to agree to it), and empty lists.
    pub fn validate(&self) -> Result<()> {
        let check = |what: &str, list: &[String], known: &[&str]| -> Result<()> {
            if list.is_empty() {
                return Err(SshError::Kex(format!(
                    "no {what} algorithm left to offer{}",
                    if self.fips {
                        " after the FIPS policy (wirecrypt::fips::policy)"
                    } else {
                        ""
                    }
                )));
            }
            match list.iter().find(|n| !known.contains(&n.as_str())) {
                Some(bad) => Err(SshError::Kex(format!(
                    "unknown {what} algorithm {bad:?}; known: {}",
                    known.join(",")
                ))),
                None => Ok(()),
            }
        };
        check("kex", &self.kex, KEX_ALGORITHMS)?;
        check("host key", &self.host_key, HOST_KEY_ALGORITHMS)?;
        check("cipher", &self.ciphers, CIPHERS)?;
        check("MAC", &self.macs, MACS)
    }

    /// Keeps only what the FIPS policy approves, asking it about every name.
    pub fn fips_only(mut self) -> Self {
        self.kex.retain(|n| policy::ssh_kex(n).status.is_approved());
        self.host_key
            .retain(|n| policy::ssh_key(n).status.is_approved());
        self.ciphers
            .retain(|n| policy::ssh_cipher(n).status.is_approved());
        self.macs
            .retain(|n| policy::ssh_mac(n).status.is_approved());
        self.fips = true;
        self
    }
}

/// One SSH_MSG_KEXINIT, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KexInit {
    /// kex_algorithms … languages_s2c, in message order.
    pub lists: [Vec<String>; 10],
    /// `first_kex_packet_follows`.
    pub first_follows: bool,
}

/// Indices of the ten name-lists of KEXINIT.
mod idx {
    pub const KEX: usize = 0;
    pub const HOST_KEY: usize = 1;
    pub const CIPHER_C2S: usize = 2;
    pub const CIPHER_S2C: usize = 3;
    pub const MAC_C2S: usize = 4;
    pub const MAC_S2C: usize = 5;
    pub const COMP_C2S: usize = 6;
    pub const COMP_S2C: usize = 7;
}

impl KexInit {
    /// Our KEXINIT for `prefs`. The strict-KEX and ext-info markers go only into the
    /// first exchange of a connection (`first`), as OpenSSH does.
    pub fn ours(prefs: &Preferences, is_client: bool, first: bool) -> Self {
        let mut kex = prefs.kex.clone();
        if first {
            if is_client {
                kex.push(EXT_INFO_C.to_owned());
                kex.push(STRICT_C.to_owned());
            } else {
                kex.push(STRICT_S.to_owned());
            }
        }
        let none = vec!["none".to_owned()];
        KexInit {
            lists: [
                kex,
                prefs.host_key.clone(),
                prefs.ciphers.clone(),
                prefs.ciphers.clone(),
                prefs.macs.clone(),
                prefs.macs.clone(),
                none.clone(),
                none,
                Vec::new(),
                Vec::new(),
            ],
            first_follows: false,
        }
    }

    /// The message payload, with a fresh random cookie.
    pub fn encode(&self, cookie: [u8; 16]) -> Vec<u8> {
        let mut w = Writer::msg(msg::KEXINIT).raw(&cookie);
        for list in &self.lists {
            w = w.names(list);
        }
        w.bool(self.first_follows).u32(0).finish()
    }

    /// Parses a KEXINIT payload.
    pub fn decode(payload: &[u8]) -> Result<Self> {
        let mut r = Reader::new(payload);
        if r.u8()? != msg::KEXINIT {
            return Err(SshError::protocol("expected KEXINIT"));
        }
        for _ in 0..16 {
            r.u8()?;
        }
        let mut lists: [Vec<String>; 10] = Default::default();
        for list in &mut lists {
            *list = r.names()?.into_iter().map(str::to_owned).collect();
        }
        let first_follows = r.bool()?;
        r.u32()?;
        Ok(KexInit {
            lists,
            first_follows,
        })
    }

    fn kex_has(&self, name: &str) -> bool {
        self.lists[idx::KEX].iter().any(|n| n == name)
    }
}

/// What one key exchange agreed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// Key exchange method.
    pub kex: String,
    /// Host-key signature algorithm.
    pub host_key: String,
    /// Cipher client → server.
    pub cipher_c2s: String,
    /// Cipher server → client.
    pub cipher_s2c: String,
    /// MAC client → server (`None` for AEAD ciphers).
    pub mac_c2s: Option<String>,
    /// MAC server → client.
    pub mac_s2c: Option<String>,
    /// Both sides signalled strict KEX.
    pub strict: bool,
    /// The client asked for EXT_INFO.
    pub client_ext_info: bool,
    /// The first guessed kex packet will follow and the guess was wrong (skip it).
    pub skip_guess: bool,
}

fn pick(
    what: &'static str,
    client: &[String],
    server: &[String],
    fips: bool,
    we_are_client: bool,
) -> Result<String> {
    let (ours, theirs) = if we_are_client {
        (client, server)
    } else {
        (server, client)
    };
    client
        .iter()
        .find(|c| server.contains(c))
        .cloned()
        .ok_or_else(|| SshError::NoCommonAlgorithm {
            what,
            ours: ours.join(","),
            theirs: theirs.join(","),
            fips: if fips {
                " — our list is narrowed by the FIPS policy (wirecrypt::fips::policy)"
            } else {
                ""
            },
        })
}

fn is_aead(cipher: &str) -> bool {
    wirecrypt::ssh::Mode::new(cipher, None).is_ok_and(|m| m.cipher().is_aead())
}

/// Chooses each algorithm as RFC 4253 §7.1 says: the client's first choice that the
/// server also offers. `we_are_client` decides which side's lists errors call ours.
/// `first` says whether this is the connection's first exchange (strict KEX is
/// decided there only).
pub fn negotiate(
    client: &KexInit,
    server: &KexInit,
    we_are_client: bool,
    fips: bool,
    first: bool,
) -> Result<Negotiated> {
    let p = |what, i: usize| {
        pick(
            what,
            &client.lists[i],
            &server.lists[i],
            fips,
            we_are_client,
        )
    };
    let kex = p("kex", idx::KEX)?;
    let host_key = p("host key", idx::HOST_KEY)?;
    let cipher_c2s = p("cipher (client to server)", idx::CIPHER_C2S)?;
    let cipher_s2c = p("cipher (server to client)", idx::CIPHER_S2C)?;
    let mac_c2s = if is_aead(&cipher_c2s) {
        None
    } else {
        Some(p("MAC (client to server)", idx::MAC_C2S)?)
    };
    let mac_s2c = if is_aead(&cipher_s2c) {
        None
    } else {
        Some(p("MAC (server to client)", idx::MAC_S2C)?)
    };
    p("compression (client to server)", idx::COMP_C2S)?;
    p("compression (server to client)", idx::COMP_S2C)?;
    let peer = if we_are_client { server } else { client };
    let skip_guess = peer.first_follows
        && (peer.lists[idx::KEX].first() != Some(&kex)
            || peer.lists[idx::HOST_KEY].first() != Some(&host_key));
    Ok(Negotiated {
        strict: first && client.kex_has(STRICT_C) && server.kex_has(STRICT_S),
        client_ext_info: first && client.kex_has(EXT_INFO_C),
        kex,
        host_key,
        cipher_c2s,
        cipher_s2c,
        mac_c2s,
        mac_s2c,
        skip_guess,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefs() -> Preferences {
        Preferences::new(vec!["ssh-ed25519".into(), "ecdsa-sha2-nistp256".into()])
    }

    #[test]
    fn client_order_wins_and_markers_only_in_the_first_exchange() {
        let c = KexInit::ours(&prefs(), true, true);
        let mut s = KexInit::ours(&prefs(), false, true);
        s.lists[idx::CIPHER_C2S].reverse();
        let n = negotiate(&c, &s, true, false, true).unwrap();
        assert_eq!(n.kex, "curve25519-sha256");
        assert_eq!(n.cipher_c2s, "aes128-gcm@openssh.com");
        assert_eq!(n.mac_c2s, None);
        assert!(n.strict && n.client_ext_info);
        let round = KexInit::decode(&c.encode([1; 16])).unwrap();
        assert_eq!(round, c);
        let later = KexInit::ours(&prefs(), true, false);
        assert!(!later.kex_has(STRICT_C) && !later.kex_has(EXT_INFO_C));
        assert!(!negotiate(&c, &s, true, false, false).unwrap().strict);
    }

    #[test]
    fn fips_asks_the_policy_and_names_it_in_errors() {
        let fips = prefs().fips_only();
        assert!(!fips.ciphers.iter().any(|c| c.starts_with("chacha20")));
        assert!(!fips.kex.iter().any(|k| k.starts_with("curve25519")));
        assert!(!fips.host_key.contains(&"ssh-ed25519".to_owned()));
        assert!(fips.ciphers.contains(&"aes256-gcm@openssh.com".to_owned()));
        let s = KexInit::ours(&fips, false, true);
        let c = KexInit::ours(
            &prefs()
                .with_ciphers(&["chacha20-poly1305@openssh.com"])
                .unwrap(),
            true,
            true,
        );
        let err = negotiate(&c, &s, false, true, true).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("FIPS policy"), "{text}");
        assert!(text.contains("chacha20-poly1305@openssh.com"), "{text}");
    }

    #[test]
    fn unknown_names_and_empty_lists_are_refused_up_front() {
        prefs().validate().unwrap();
        let mut p = prefs();
        p.ciphers = vec!["aes128-cbc".into()];
        assert!(p.validate().unwrap_err().to_string().contains("aes128-cbc"));
        let mut p = prefs().fips_only();
        p.ciphers.retain(|c| c.starts_with("chacha"));
        assert!(p.validate().unwrap_err().to_string().contains("FIPS"));
    }

    #[test]
    fn ctr_needs_a_common_mac() {
        let p = prefs().with_ciphers(&["aes256-ctr"]).unwrap();
        let c = KexInit::ours(&p, true, true);
        let mut s = KexInit::ours(&p, false, true);
        s.lists[idx::MAC_S2C] = vec!["hmac-md5".into()];
        assert!(matches!(
            negotiate(&c, &s, true, false, true),
            Err(SshError::NoCommonAlgorithm { .. })
        ));
    }
}
