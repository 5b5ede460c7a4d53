//! The ciphers a command will ask its engine for, by the names its user knows them by,
//! checked against that engine before anything starts.
//!
//! A cipher the engine refuses — FIPS mode, or a forced provider that lacks it — is
//! named with the engine's own reason. A command left with no cipher it may use stops
//! with those reasons instead of starting a server or connecting; one that runs says
//! which provider serves what, in one line (`engine: provider vaes512 for aes-256-gcm;
//! FIPS mode off`), the vocabulary of `probe`.

use std::fmt;

use wirecrypt::ssh::{CIPHERS as SSH_CIPHERS, Construction, MACS as SSH_MACS};
use wirecrypt::{AeadAlg, Algorithm, Engine, ProviderId};
use wirecrypt_xfer::ssh::transport::negotiate;

/// The AEADs of the TLS suites the engine's rustls provider offers, in rustls's order of
/// preference: what FTPS may use.
pub const TLS_AEADS: [AeadAlg; 3] = [
    AeadAlg::Aes256Gcm,
    AeadAlg::Aes128Gcm,
    AeadAlg::ChaCha20Poly1305,
];

/// One cipher a command may use: its name, and every engine algorithm it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cipher {
    /// The name the user gave or the protocol uses (`aes-256-gcm`,
    /// `aes128-ctr+hmac-sha2-256-etm@openssh.com`).
    pub name: String,
    /// The engine's algorithms behind it: the cipher's, then its MAC's when one is named.
    algs: Vec<Algorithm>,
}

impl Cipher {
    /// A TLS AEAD, named by its engine id (`aes-256-gcm`).
    pub fn tls(alg: AeadAlg) -> Cipher {
        Cipher {
            name: alg.id().to_owned(),
            algs: vec![alg.into()],
        }
    }

    /// An SSH cipher by its SSH name, alone (`aes256-gcm@openssh.com`, `aes128-ctr`) or
    /// with the MAC a CTR cipher runs with (`aes128-ctr+hmac-sha2-256-etm@openssh.com`).
    /// `None` for a name the SSH layer does not implement.
    pub fn ssh(name: &str) -> Option<Cipher> {
        let (cipher, mac) = match name.split_once('+') {
            Some((c, m)) => (c, Some(m)),
            None => (name, None),
        };
        let info = SSH_CIPHERS.iter().find(|c| c.name == cipher)?;
        let mut algs = vec![match info.construction {
            Construction::Ctr(c) => c.into(),
            Construction::Gcm(a) => a.into(),
            // The construction's pieces come from the provider chosen for the AEAD.
            Construction::ChaChaPoly => AeadAlg::ChaCha20Poly1305.into(),
            Construction::None => return None,
        }];
        if let Some(mac) = mac {
            let mac = SSH_MACS.iter().find(|m| m.name == mac)?;
            algs.push(mac.alg.into());
        }
        Some(Cipher {
            name: name.to_owned(),
            algs,
        })
    }

    /// The provider that serves this cipher on `engine` (its cipher's), or the engine's
    /// reason it cannot, naming the cipher.
    pub fn provider(&self, engine: &Engine) -> Result<ProviderId, String> {
        let mut serving = Vec::new();
        for &alg in &self.algs {
            match engine.provider_for(alg) {
                Ok(p) => serving.push(p.id()),
                Err(e) => {
                    let why = e.to_string();
                    return Err(if why.contains(self.name.as_str()) {
                        why
                    } else {
                        format!("{}: {why}", self.name)
                    });
                }
            }
        }
        Ok(serving[0])
    }
}

/// The SSH ciphers `given` names (each one our SSH layer offers), or every cipher it
/// offers by default: what `serve sftp` and `copy sftp://` may offer.
pub fn ssh_offer(given: Option<&[String]>) -> Result<Vec<Cipher>, String> {
    let names: Vec<&str> = match given {
        Some(list) => list.iter().map(|c| c.trim()).collect(),
        None => negotiate::CIPHERS.to_vec(),
    };
    names
        .into_iter()
        .map(|name| {
            Cipher::ssh(name)
                .filter(|_| negotiate::CIPHERS.contains(&name))
                .ok_or_else(|| {
                    format!(
                        "unknown SSH cipher '{name}'; known: {}",
                        negotiate::CIPHERS.join(", ")
                    )
                })
        })
        .collect()
}

/// What `engine` refused of a command's ciphers, each reason once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// What the command cannot do for want of a cipher (`nothing to measure`).
    pub outcome: &'static str,
    /// The engine's reasons.
    pub reasons: Vec<String>,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.outcome, self.reasons.join("; "))
    }
}

impl std::error::Error for Refused {}

/// What an engine serves of the ciphers a command wants.
#[derive(Debug)]
pub struct Usable<'a> {
    /// The ciphers it serves, in the order given, each with its provider.
    pub served: Vec<(&'a Cipher, ProviderId)>,
    /// Why it refuses the others, each reason once.
    pub refused: Vec<String>,
}

/// The ciphers of `wanted` that `engine` serves and the reasons for the others.
/// [`Refused`] when none is left: a command asked only for what it must refuse does
/// nothing (`outcome` says so: `nothing to measure`).
pub fn usable<'a>(
    engine: &Engine,
    wanted: &'a [Cipher],
    outcome: &'static str,
) -> Result<Usable<'a>, Refused> {
    let mut served = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for cipher in wanted {
        match cipher.provider(engine) {
            Ok(id) => served.push((cipher, id)),
            Err(why) if !refused.contains(&why) => refused.push(why),
            Err(_) => {}
        }
    }
    if served.is_empty() {
        return Err(Refused {
            outcome,
            reasons: refused,
        });
    }
    Ok(Usable { served, refused })
}

/// `engine: provider P for A, B; provider Q for C; FIPS mode on|off`: who serves each
/// cipher of `served` (as [`usable`] returns them), providers in order of first use.
pub fn engine_line(engine: &Engine, served: &[(&Cipher, ProviderId)]) -> String {
    let mut groups: Vec<(ProviderId, Vec<&str>)> = Vec::new();
    for (cipher, id) in served {
        match groups.iter_mut().find(|(p, _)| p == id) {
            Some((_, names)) => names.push(&cipher.name),
            None => groups.push((*id, vec![&cipher.name])),
        }
    }
    let mut line = String::from("engine: ");
    for (id, names) in groups {
        line += &format!("provider {id} for {}; ", names.join(", "));
    }
    line += if engine.fips_mode() {
        "FIPS mode on"
    } else {
        "FIPS mode off"
    };
    line
}

/// The line of a command that uses no cipher (plain FTP): no engine protects anything.
pub const NO_ENGINE_LINE: &str = "engine: none (plain FTP is not protected)";

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An engine that ignores the environment: `provider` forced if given, FIPS mode or
    /// not (the other modules' tests use it too).
    pub(crate) fn engine(provider: Option<&str>, fips: bool) -> Engine {
        let mut b = Engine::builder().ignore_env().fips(fips);
        if let Some(id) = provider {
            b = b.provider(id);
        }
        b.build().unwrap()
    }

    #[test]
    fn ssh_names_map_to_the_engine_algorithms_behind_them() {
        let c = Cipher::ssh("aes128-ctr+hmac-sha2-256-etm@openssh.com").unwrap();
        assert_eq!(
            c.algs,
            [
                Algorithm::Cipher(wirecrypt::CipherAlg::Aes128Ctr),
                Algorithm::Mac(wirecrypt::MacAlg::HmacSha256)
            ]
        );
        let c = Cipher::ssh("chacha20-poly1305@openssh.com").unwrap();
        assert_eq!(c.algs, [Algorithm::Aead(AeadAlg::ChaCha20Poly1305)]);
        assert_eq!(
            Cipher::ssh("aes256-gcm@openssh.com").unwrap().algs,
            [Algorithm::Aead(AeadAlg::Aes256Gcm)]
        );
        for unknown in ["none", "aes128-cbc", "aes128-ctr+hmac-md5", "rc4"] {
            assert_eq!(Cipher::ssh(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn the_ssh_offer_is_the_ssh_layers_list_or_the_names_given() {
        let all = ssh_offer(None).unwrap();
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, negotiate::CIPHERS);
        let given = [
            " aes256-ctr".to_owned(),
            "aes128-gcm@openssh.com".to_owned(),
        ];
        let some = ssh_offer(Some(&given)).unwrap();
        assert_eq!(some[0].name, "aes256-ctr");
        assert_eq!(some.len(), 2);
        // A cipher with its MAC is a bench case, not a name SSH negotiates.
        for bad in ["aes128-ctr+hmac-sha2-256", "arcfour"] {
            let err = ssh_offer(Some(&[bad.to_owned()])).unwrap_err();
            assert!(
                err.starts_with(&format!("unknown SSH cipher '{bad}'; known: ")),
                "{err}"
            );
        }
    }

    #[test]
    fn fips_mode_refuses_chacha_naming_the_cipher_and_the_rule() {
        let fips = engine(Some("rustcrypto"), true);
        let wanted = [
            Cipher::ssh("chacha20-poly1305@openssh.com").unwrap(),
            Cipher::ssh("aes256-gcm@openssh.com").unwrap(),
        ];
        let Usable { served, refused } = usable(&fips, &wanted, "no cipher to serve with").unwrap();
        assert_eq!(served.len(), 1);
        assert_eq!(served[0].0.name, "aes256-gcm@openssh.com");
        assert_eq!(served[0].1, ProviderId::RustCrypto);
        assert_eq!(refused.len(), 1);
        assert!(
            refused[0].starts_with(
                "chacha20-poly1305@openssh.com: FIPS mode refuses chacha20-poly1305: "
            ),
            "{refused:?}"
        );
        let err = usable(&fips, &wanted[..1], "no cipher to serve with")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "no cipher to serve with: chacha20-poly1305@openssh.com: FIPS mode refuses"
            ),
            "{err}"
        );
        // The same reason once, however many ciphers share it.
        let twice = vec![Cipher::tls(AeadAlg::ChaCha20Poly1305); 2];
        let err = usable(&fips, &twice, "nothing to measure").unwrap_err();
        assert_eq!(err.reasons.len(), 1, "{err}");
        assert!(err.reasons[0].starts_with("FIPS mode refuses chacha20-poly1305: "));
    }

    #[test]
    fn the_engine_line_names_each_provider_once_and_the_mode() {
        let forced = engine(Some("rustcrypto"), false);
        let all: Vec<Cipher> = TLS_AEADS.into_iter().map(Cipher::tls).collect();
        let served = usable(&forced, &all, "no cipher to serve with")
            .unwrap()
            .served;
        assert_eq!(
            engine_line(&forced, &served),
            "engine: provider rustcrypto for aes-256-gcm, aes-128-gcm, chacha20-poly1305; \
             FIPS mode off"
        );
        let fips = engine(Some("rustcrypto"), true);
        let served = usable(&fips, &all, "no cipher to serve with")
            .unwrap()
            .served;
        assert_eq!(
            engine_line(&fips, &served),
            "engine: provider rustcrypto for aes-256-gcm, aes-128-gcm; FIPS mode on"
        );
        // Unforced, each cipher goes to the best provider that has it.
        let best = engine(None, false);
        let served = usable(&best, &all, "no cipher to serve with")
            .unwrap()
            .served;
        let line = engine_line(&best, &served);
        for (cipher, id) in &served {
            assert_eq!(*id, best.provider_for(cipher.algs[0]).unwrap().id());
            assert!(line.contains(cipher.name.as_str()), "{line}");
        }
    }

    #[test]
    fn a_forced_provider_that_lacks_a_cipher_is_named() {
        // An available provider and a TLS AEAD it lacks, wherever this runs.
        let probe = engine(None, false);
        let Some((id, alg)) = probe.available().find_map(|p| {
            TLS_AEADS
                .into_iter()
                .find(|&a| !p.supports(a.into()))
                .map(|a| (p.id(), a))
        }) else {
            println!("SKIP: every available provider implements every TLS AEAD here");
            return;
        };
        let forced = engine(Some(id.as_str()), false);
        let err = usable(&forced, &[Cipher::tls(alg)], "no cipher to connect with").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "no cipher to connect with: provider '{id}' does not implement {alg}; choose another \
                 provider or allow fallback"
            )
        );
    }
}
