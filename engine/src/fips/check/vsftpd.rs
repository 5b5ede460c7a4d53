//! Checks a vsftpd configuration: `ssl_enable`, the protocol switches (`ssl_sslv2`,
//! `ssl_sslv3`, `ssl_tlsv1`, and `ssl_tlsv1_1`, `ssl_tlsv1_2`, `ssl_tlsv1_3` where the build
//! has them), `force_local_logins_ssl`, `force_local_data_ssl`, and `ssl_ciphers`.
//!
//! Semantics and defaults are those of vsftpd 3.0.3 (Debian 12's vsftpd 3.0.3-13):
//!
//! * one `setting=value` per line, no spaces around `=`; the setting name is
//!   case-sensitive; lines starting with `#` are comments; the **last** occurrence wins
//!   (`parseconf.c`); booleans are `YES`/`NO` (also `TRUE`/`FALSE`/`1`/`0`, any case);
//! * defaults (`tunables.c`): `ssl_enable=NO`, `ssl_sslv2=NO`, `ssl_sslv3=NO`,
//!   `ssl_tlsv1=YES`, `force_local_logins_ssl=YES`, `force_local_data_ssl=YES`,
//!   `ssl_ciphers=ECDHE-RSA-AES256-GCM-SHA384` (3.0.3's Changelog: "Default cipher list is
//!   now just ECDHE-RSA-AES256-GCM-SHA384"; the man page still says `DES-CBC3-SHA`, the
//!   default before 3.0);
//! * upstream 3.0.3 has no switch for TLS 1.1, 1.2 or 1.3 (`ssl.c` sets only
//!   `SSL_OP_NO_SSLv2/SSLv3/TLSv1`): those versions are on whenever OpenSSL allows them.
//!   Red Hat's build adds `ssl_tlsv1_1`, `ssl_tlsv1_2` and `ssl_tlsv1_3`; when the file sets
//!   them they are checked (an upstream vsftpd refuses to start with them);
//! * with no switch, TLS 1.1 is judged from the suites: it cannot be negotiated when every
//!   suite `ssl_ciphers` selects needs TLS 1.2; TLS 1.3 uses OpenSSL's own suites
//!   (`ssl_ciphers` does not set them), which by default include ChaCha20-Poly1305.
//!
//! Anonymous FTP (`allow_anon_ssl`, `force_anon_*_ssl`) is not checked: it serves public
//! data by design.

use super::cipher_string::{self, Expander};
use super::report::{Item, Replacement, Report};
use crate::fips::policy::{self, Status, Verdict};

/// vsftpd 3.0.3's compiled-in `ssl_ciphers`.
pub const DEFAULT_SSL_CIPHERS: &str = "ECDHE-RSA-AES256-GCM-SHA384";

/// What the file says about one setting: its last value and line.
struct Setting<'a> {
    value: &'a str,
    line: usize,
}

/// One boolean switch: its name, vsftpd 3.0.3's default (`None`: upstream has no such
/// switch), and what turning it on means.
struct Switch {
    name: &'static str,
    default: Option<bool>,
    meaning: Meaning,
}

enum Meaning {
    /// Enables a protocol version (a [`policy::tls_version`] name).
    Version(&'static str),
    /// Must be on: what turning it off allows.
    Required(&'static str),
}

static SWITCHES: &[Switch] = &[
    Switch {
        name: "ssl_enable",
        default: Some(false),
        meaning: Meaning::Required(
            "without TLS, logins and files cross the network in clear: no approved \
             encryption protects them",
        ),
    },
    Switch {
        name: "force_local_logins_ssl",
        default: Some(true),
        meaning: Meaning::Required(
            "local users may log in without TLS, sending passwords in clear",
        ),
    },
    Switch {
        name: "force_local_data_ssl",
        default: Some(true),
        meaning: Meaning::Required("local users may transfer files without TLS"),
    },
    Switch {
        name: "ssl_sslv2",
        default: Some(false),
        meaning: Meaning::Version("SSLv2"),
    },
    Switch {
        name: "ssl_sslv3",
        default: Some(false),
        meaning: Meaning::Version("SSLv3"),
    },
    Switch {
        name: "ssl_tlsv1",
        default: Some(true),
        meaning: Meaning::Version("TLSv1.0"),
    },
    Switch {
        name: "ssl_tlsv1_1",
        default: None,
        meaning: Meaning::Version("TLSv1.1"),
    },
    Switch {
        name: "ssl_tlsv1_2",
        default: None,
        meaning: Meaning::Version("TLSv1.2"),
    },
    Switch {
        name: "ssl_tlsv1_3",
        default: None,
        meaning: Meaning::Version("TLSv1.3"),
    },
];

const SOURCE_DOC: &str = "vsftpd 3.0.3 (tunables.c, ssl.c); SP 800-52r2";

/// Checks the text of a vsftpd configuration. `name` is how the file appears in the
/// report; `expander` expands `ssl_ciphers`.
pub fn check_vsftpd_config(text: &str, name: &str, expander: &dyn Expander) -> Report {
    let mut report = Report::new(name);
    let settings = read(text, name, &mut report);
    let at = |s: Option<&Setting>| match s {
        Some(s) => format!("{name}:{}", s.line),
        None => format!("{name}:default"),
    };
    let get = |key: &str| {
        settings
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| s)
    };

    // ssl_ciphers is expanded first: the protocol judgements below need its suites.
    let ciphers = get("ssl_ciphers");
    let (string, how) = match ciphers {
        None => (DEFAULT_SSL_CIPHERS, "vsftpd 3.0.3 default"),
        // An empty value: vsftpd sets no list, so OpenSSL's DEFAULT applies.
        Some(s) if s.value.trim().is_empty() => ("DEFAULT", "empty: OpenSSL's DEFAULT"),
        Some(s) => (s.value.trim(), "configured"),
    };
    let expansion = expander.expand(string);

    let mut tls13_on = true;
    for switch in SWITCHES {
        let setting = get(switch.name);
        let on = match setting.map(|s| parse_bool(s.value)) {
            Some(Some(on)) => Some(on),
            Some(None) => {
                let refused = Verdict {
                    rule: "vsftpd refuses this value ('bad bool value') and does not start",
                    ..Verdict::UNKNOWN
                };
                let item = Item::new(
                    at(setting),
                    switch.name,
                    setting.map_or("", |s| s.value),
                    refused,
                );
                report.add_setting(vec![item], Some(replace(&at(setting), switch)));
                continue;
            }
            None => switch.default,
        };
        if switch.name == "ssl_tlsv1_3" {
            tls13_on = on.unwrap_or(true);
        }
        let fix = replace(&at(setting), switch);
        let (item, fix) = match (on, &switch.meaning) {
            // No switch to set: the ssl_ciphers replacement is the fix (see the rule).
            (None, Meaning::Version(v)) => (unswitched(name, switch, v, &expansion), None),
            (Some(on), Meaning::Version(v)) => {
                (version_item(&at(setting), switch, v, on), Some(fix))
            }
            (on, Meaning::Required(what)) => {
                let on = on.unwrap_or(false);
                let verdict = if on {
                    Verdict {
                        status: Status::Approved,
                        rule: "on",
                        source: SOURCE_DOC,
                    }
                } else {
                    Verdict {
                        status: Status::NotApproved,
                        rule: what,
                        source: SOURCE_DOC,
                    }
                };
                (
                    Item::new(at(setting), switch.name, yes_no(on), verdict),
                    Some(fix),
                )
            }
        };
        report.add_setting(vec![item], fix);
    }

    report.note(at(ciphers), format!("ssl_ciphers={string} ({how})"));
    cipher_string::add_suites(&mut report, &expansion, &at(ciphers), "ssl_ciphers", &|s| {
        format!("ssl_ciphers={s}")
    });
    if tls13_on {
        tls13_items(&mut report, name, &expansion);
    }
    report
}

/// Reads `setting=value` lines; notes lines vsftpd would refuse.
fn read<'a>(text: &'a str, name: &str, report: &mut Report) -> Vec<(&'a str, Setting<'a>)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.is_empty() || raw.starts_with('#') || raw.trim().is_empty() {
            continue;
        }
        let line = raw.trim_start();
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        let trimmed = key.trim_end();
        let known = trimmed == "ssl_ciphers" || SWITCHES.iter().any(|s| s.name == trimmed);
        if known && key != trimmed {
            report.note(
                format!("{name}:{}", i + 1),
                format!(
                    "vsftpd does not allow spaces before '=': it reads the setting '{key}' and \
                     refuses to start ('unrecognised variable in config file')"
                ),
            );
            continue;
        }
        out.push((key, Setting { value, line: i + 1 }));
    }
    out
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_uppercase().as_str() {
        "YES" | "TRUE" | "1" => Some(true),
        "NO" | "FALSE" | "0" => Some(false),
        _ => None,
    }
}

fn yes_no(on: bool) -> &'static str {
    if on { "YES" } else { "NO" }
}

/// The compliant line for a switch: on for required switches, off for old protocols.
fn replace(source: &str, switch: &Switch) -> Replacement {
    let on = match switch.meaning {
        Meaning::Required(_) => true,
        Meaning::Version(v) => policy::tls_version(v).status.is_approved(),
    };
    Replacement {
        source: source.to_owned(),
        scope: None,
        setting: switch.name.to_owned(),
        line: format!("{}={}", switch.name, yes_no(on)),
    }
}

/// A protocol switch the file sets (or upstream's default).
fn version_item(source: &str, switch: &Switch, version: &str, on: bool) -> Item {
    let v = policy::tls_version(version);
    if on || v.status.is_approved() {
        let item = Item::new(source, switch.name, yes_no(on), v);
        if on {
            item
        } else {
            item.with_rule(format!("off; {}", v.rule))
        }
    } else {
        Item::new(
            source,
            switch.name,
            "NO",
            Verdict {
                status: Status::Approved,
                ..v
            },
        )
        .with_rule(format!("off; {}", v.rule))
    }
}

/// A version upstream vsftpd 3.0.3 has no switch for: on as far as OpenSSL allows.
fn unswitched(
    name: &str,
    switch: &Switch,
    version: &str,
    expansion: &cipher_string::Expansion,
) -> Item {
    let source = format!("{name}:default");
    let v = policy::tls_version(version);
    let value = "(no switch in vsftpd 3.0.3: on)";
    if v.status.is_approved() {
        return Item::new(source, switch.name, value, v);
    }
    let all_tls12 = !expansion.suites.is_empty() && expansion.suites.iter().all(|s| s.needs_tls12);
    if all_tls12 {
        Item::new(
            source,
            switch.name,
            value,
            Verdict {
                status: Status::Approved,
                ..v
            },
        )
        .with_rule(format!(
            "{version} cannot be negotiated: every suite ssl_ciphers selects needs TLS 1.2; {}",
            v.rule
        ))
    } else {
        Item::new(source, switch.name, value, v).with_rule(format!(
            "{}; vsftpd 3.0.3 cannot switch {version} off and some suites ssl_ciphers selects \
             work in it: select TLS 1.2 suites only (or set {}=NO on builds that have it)",
            v.rule, switch.name
        ))
    }
}

/// TLS 1.3 suites: not set by vsftpd, so OpenSSL's (the system's) apply.
fn tls13_items(report: &mut Report, name: &str, expansion: &cipher_string::Expansion) {
    let source = format!("{name}:default");
    let setting = "TLS 1.3 suites (OpenSSL's; vsftpd sets none)";
    let items: Vec<Item> = expansion
        .tls13
        .iter()
        .map(|s| Item::new(&source, setting, s, policy::tls_suite(s)))
        .collect();
    let approved: Vec<&str> = items
        .iter()
        .filter(|i| i.verdict.is_approved())
        .map(|i| i.value.as_str())
        .collect();
    let line = if approved.is_empty() {
        "ssl_tlsv1_3=NO (Red Hat builds only)".to_owned()
    } else {
        format!(
            "Ciphersuites = {} (openssl.cnf, system_default section), or ssl_tlsv1_3=NO on \
             builds that have it",
            approved.join(":")
        )
    };
    let replacement = Replacement {
        source: source.clone(),
        scope: None,
        setting: setting.to_owned(),
        line,
    };
    report.add_setting(items, Some(replacement));
}

#[cfg(test)]
mod tests;
