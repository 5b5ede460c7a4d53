//! OpenSSL cipher strings (`HIGH:!aNULL:!MD5`, `ECDHE+AESGCM:ECDHE+CHACHA20`, …) and the
//! suites they select.
//!
//! Only OpenSSL knows exactly what a cipher string means on a given system: its version,
//! its build options and the system configuration (security level, `PROFILE=SYSTEM`)
//! all matter. So expansion is behind the [`Expander`] trait, with two answers:
//!
//! * [`Builtin`] — wirecrypt's own subset of OpenSSL 3.0's rule language (explicit names,
//!   `!`/`-`/`+`, the common aliases, `@STRENGTH`, `@SECLEVEL`; see [`rules`]), modelled
//!   on OpenSSL 3.0 as Debian 12 ships it and tested against its recorded output.
//! * An expander that asks the installed `openssl ciphers -s -V` (the `wirecrypt` CLI has
//!   one; the library runs no programs), falling back to [`Builtin`] when there is no
//!   `openssl`.
//!
//! Every report says which one was used. A cipher string only governs TLS 1.2 and older:
//! the TLS 1.3 suites come from OpenSSL's separate `Ciphersuites` setting, whose default
//! is [`OPENSSL_DEFAULT_TLS13`].

mod catalogue;
mod rules;

use serde::Serialize;

use super::report::{Item, Replacement, Report};
use crate::fips::policy::{self, Status, Verdict};

/// OpenSSL's default TLS 1.3 suites (`TLS_DEFAULT_CIPHERSUITES` in OpenSSL 1.1.1 and 3.x),
/// in effect wherever a program does not set them and the system configuration does not
/// either.
pub const OPENSSL_DEFAULT_TLS13: &[&str] = &[
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
];

/// The TLS 1.2 suites offered when a cipher string has no approved suite of its own.
pub const RECOMMENDED_TLS12: &[&str] = &[
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
];

/// How a cipher string was expanded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// wirecrypt's built-in subset of OpenSSL 3.0's rules.
    Builtin,
    /// The installed `openssl` command.
    OpenSsl {
        /// `openssl version`.
        version: String,
    },
}

impl Method {
    /// One line for the report.
    pub fn describe(&self) -> String {
        match self {
            Method::Builtin => format!(
                "expanded by wirecrypt's built-in subset of OpenSSL 3.0 cipher-string rules \
                 (security level {}, as Debian 12's OpenSSL; no openssl command used)",
                rules::DEFAULT_SECLEVEL
            ),
            Method::OpenSsl { version } => {
                format!("expanded by the installed OpenSSL ({version}): openssl ciphers -s -V")
            }
        }
    }
}

/// One suite a cipher string selects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpandedSuite {
    /// OpenSSL's name for it.
    pub name: String,
    /// It works only in TLS 1.2 (AEAD and SHA-256/384 suites), so selecting it cannot
    /// make TLS 1.0 or 1.1 possible.
    pub needs_tls12: bool,
}

/// What a cipher string selects, and how that was found out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expansion {
    /// Who expanded it.
    pub method: Method,
    /// The TLS ≤ 1.2 suites, in preference order. Empty: OpenSSL refuses the string.
    pub suites: Vec<ExpandedSuite>,
    /// The TLS 1.3 suites in effect alongside (not set by the string).
    pub tls13: Vec<String>,
    /// Suite names the string asks for that this OpenSSL does not offer (so they are
    /// ignored here, though an older OpenSSL would use them).
    pub absent: Vec<String>,
    /// Anything else worth saying: elements ignored, errors.
    pub notes: Vec<String>,
}

/// Turns a cipher string into the suites it selects.
pub trait Expander {
    /// Expands `cipher_string`.
    fn expand(&self, cipher_string: &str) -> Expansion;
}

/// wirecrypt's built-in subset of OpenSSL 3.0's cipher-string rules.
#[derive(Clone, Copy, Debug, Default)]
pub struct Builtin;

impl Expander for Builtin {
    fn expand(&self, cipher_string: &str) -> Expansion {
        let outcome = rules::expand(cipher_string);
        let mut notes: Vec<String> = outcome
            .ignored
            .iter()
            .map(|el| {
                format!(
                    "'{el}' is outside the built-in subset (or unknown to OpenSSL) and was \
                     ignored; OpenSSL ignores elements it does not know, but a system \
                     OpenSSL may understand it (use the openssl expander to be sure)"
                )
            })
            .collect();
        if outcome.suites.is_empty() {
            notes.push(NO_MATCH.to_owned());
        }
        Expansion {
            method: Method::Builtin,
            suites: outcome
                .suites
                .iter()
                .map(|s| ExpandedSuite {
                    name: s.name.to_owned(),
                    needs_tls12: s.min == catalogue::Min::Tls12,
                })
                .collect(),
            tls13: OPENSSL_DEFAULT_TLS13
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            absent: outcome.absent,
            notes,
        }
    }
}

const NO_MATCH: &str =
    "the cipher string selects no TLS 1.2 suite: OpenSSL refuses it ('no cipher match')";

/// Parses the listing `openssl ciphers -V` prints: one suite per line,
/// `0xC0,0x2C - ECDHE-ECDSA-AES256-GCM-SHA384 TLSv1.2 Kx=ECDH Au=ECDSA ...`.
/// Returns the TLS ≤ 1.2 suites and the TLS 1.3 suites separately.
pub fn parse_openssl_listing(listing: &str) -> (Vec<ExpandedSuite>, Vec<String>) {
    let mut suites = Vec::new();
    let mut tls13 = Vec::new();
    for line in listing.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [_, "-", name, version, ..] = words.as_slice() else {
            continue;
        };
        if *version == "TLSv1.3" {
            tls13.push((*name).to_owned());
        } else {
            suites.push(ExpandedSuite {
                name: (*name).to_owned(),
                needs_tls12: *version == "TLSv1.2",
            });
        }
    }
    (suites, tls13)
}

/// An expansion made from `openssl ciphers` output (for expanders that run OpenSSL).
pub fn expansion_from_openssl(
    version: &str,
    tls12_listing: Result<&str, &str>,
    tls13_listing: &str,
) -> Expansion {
    let (_, tls13) = parse_openssl_listing(tls13_listing);
    let (suites, notes) = match tls12_listing {
        Ok(listing) => {
            let (suites, _) = parse_openssl_listing(listing);
            let notes = if suites.is_empty() {
                vec![NO_MATCH.to_owned()]
            } else {
                Vec::new()
            };
            (suites, notes)
        }
        Err(error) => (Vec::new(), vec![format!("{NO_MATCH}: {}", error.trim())]),
    };
    Expansion {
        method: Method::OpenSsl {
            version: version.trim().to_owned(),
        },
        suites,
        tls13,
        absent: Vec::new(),
        notes,
    }
}

/// Adds the items of an expanded cipher string to `report`: one per suite, plus one per
/// named suite this OpenSSL no longer offers. `line` builds the replacement line from a
/// cipher string.
pub(crate) fn add_suites(
    report: &mut Report,
    expansion: &Expansion,
    source: &str,
    setting: &str,
    line: &dyn Fn(&str) -> String,
) {
    report.note(source, expansion.method.describe());
    for n in &expansion.notes {
        report.note(source, n.clone());
    }
    let mut items: Vec<Item> = expansion
        .suites
        .iter()
        .map(|s| Item::new(source, setting, &s.name, policy::tls_suite(&s.name)))
        .collect();
    for name in &expansion.absent {
        let v = policy::tls_suite(name);
        items.push(Item::new(source, setting, name, v).with_rule(format!(
            "{} (named in the string; this OpenSSL no longer offers it, an older one would)",
            v.rule
        )));
    }
    if expansion.suites.is_empty() {
        let refused = Verdict {
            rule: "OpenSSL refuses this cipher string: it selects no TLS 1.2 suite",
            ..Verdict::UNKNOWN
        };
        items.push(Item::new(source, setting, "(no suite)", refused));
    }
    // Only suites the string actually selects: a name this OpenSSL does not offer (or
    // spells differently) would leave the replacement selecting nothing again.
    let own: Vec<&str> = items[..expansion.suites.len()]
        .iter()
        .filter(|i| i.verdict == Status::Approved)
        .map(|i| i.value.as_str())
        .collect();
    let names = if own.is_empty() {
        RECOMMENDED_TLS12.join(":")
    } else {
        own.join(":")
    };
    let replacement = Replacement {
        source: source.to_owned(),
        scope: None,
        setting: setting.to_owned(),
        line: line(&names),
    };
    report.add_setting(items, Some(replacement));
}

#[cfg(test)]
mod tests;
