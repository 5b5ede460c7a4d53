//! TLS suite lists given directly: IANA suite names (`--tls-ciphersuites`) and OpenSSL
//! cipher strings (`--tls-cipher-string`).

use super::cipher_string::{self, Expander};
use super::report::{Item, Replacement, Report};
use crate::fips::policy::{self, Kind};

/// The input name used for `--tls-ciphersuites`.
pub const CIPHERSUITES: &str = "tls-ciphersuites";
/// The input name used for `--tls-cipher-string`.
pub const CIPHER_STRING: &str = "tls-cipher-string";

/// Checks a list of TLS suite names, separated by `:` or `,` — IANA names
/// (`TLS_AES_128_GCM_SHA256`, `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`) or OpenSSL's.
/// The replacement keeps the approved names in their order, with the list's separator.
pub fn check_ciphersuites(list: &str) -> Report {
    let mut report = Report::new(CIPHERSUITES);
    // OpenSSL's Ciphersuites takes colons; keep commas when the list uses only those.
    let separator = if list.contains(',') && !list.contains(':') {
        ","
    } else {
        ":"
    };
    let names: Vec<&str> = list
        .split([':', ','])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        report.mark_unreadable(CIPHERSUITES, "the list names no suite");
        return report;
    }
    let items: Vec<Item> = names
        .iter()
        .map(|n| Item::new(CIPHERSUITES, "ciphersuite", *n, policy::tls_suite(n)))
        .collect();
    let own: Vec<&str> = items
        .iter()
        .filter(|i| i.verdict.is_approved())
        .map(|i| i.value.as_str())
        .collect();
    let line = if own.is_empty() {
        policy::approved(Kind::Tls13Suite)
            .take(2)
            .collect::<Vec<_>>()
            .join(separator)
    } else {
        own.join(separator)
    };
    let replacement = Replacement {
        source: CIPHERSUITES.to_owned(),
        scope: None,
        setting: "ciphersuites".to_owned(),
        line,
    };
    report.add_setting(items, Some(replacement));
    report
}

/// Checks an OpenSSL cipher string (TLS 1.2 and older), expanded by `expander`.
pub fn check_cipher_string(cipher_string: &str, expander: &dyn Expander) -> Report {
    let mut report = Report::new(CIPHER_STRING);
    let expansion = expander.expand(cipher_string);
    cipher_string::add_suites(
        &mut report,
        &expansion,
        CIPHER_STRING,
        "cipher string",
        &|s| s.to_owned(),
    );
    report.note(
        CIPHER_STRING,
        "a cipher string governs TLS 1.2 and older only; TLS 1.3 suites are set apart \
         (OpenSSL's Ciphersuites; check them with --tls-ciphersuites)",
    );
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fips::check::cipher_string::Builtin;
    use crate::fips::check::report::Overall;
    use crate::fips::policy::Status;

    #[test]
    fn iana_lists() {
        let r = check_ciphersuites("TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256");
        assert_eq!(r.status, Overall::Compliant);
        let r = check_ciphersuites(
            "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
        );
        assert_eq!(r.status, Overall::NotCompliant);
        assert_eq!(r.items[1].verdict, Status::NotApproved);
        assert_eq!(r.items[1].source, "tls-ciphersuites");
        assert_eq!(
            r.replacements[0].line,
            "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"
        );
        // Commas, TLS 1.2 IANA names, OpenSSL names, unknown names.
        let r = check_ciphersuites(
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ECDHE-RSA-CHACHA20-POLY1305,TLS_FOO",
        );
        let v: Vec<_> = r.items.iter().map(|i| i.verdict).collect();
        assert_eq!(v, [Status::Approved, Status::NotApproved, Status::Unknown]);
        assert_eq!(
            r.replacements[0].line,
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        );
        let r = check_ciphersuites("TLS_CHACHA20_POLY1305_SHA256");
        assert_eq!(
            r.replacements[0].line,
            "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"
        );
        assert_eq!(check_ciphersuites(" : ").status, Overall::Unreadable);
    }

    #[test]
    fn cipher_strings() {
        let r = check_cipher_string("ECDHE+AESGCM", &Builtin);
        assert_eq!(r.status, Overall::Compliant, "{:#?}", r.items);
        assert_eq!(r.items.len(), 4);
        assert!(
            r.notes
                .iter()
                .any(|n| n.message.contains("built-in subset"))
        );
        let r = check_cipher_string("HIGH:!aNULL:!MD5", &Builtin);
        assert_eq!(r.status, Overall::NotCompliant);
        let line = &r.replacements[0].line;
        assert!(line.starts_with("ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"));
        assert!(
            !line.contains("CHACHA20") && !line.contains("CAMELLIA") && !line.contains("-SHA:")
        );
    }

    /// A suite the policy knows but the expansion does not select (here: OpenSSL names
    /// are case-sensitive) once made the whole replacement line, which then selected no
    /// suite either (found by the fuzz target fips_tls).
    #[test]
    fn a_replacement_is_built_from_selected_suites_only() {
        for string in [
            "eCDHE-RSA-AES256-GCM-SHA384",
            "eCDHE-RSA-AES256-GCM-SHA384:RC4-SHA",
        ] {
            let r = check_cipher_string(string, &Builtin);
            assert_eq!(r.status, Overall::NotCompliant, "{string}");
            let line = &r.replacements[0].line;
            assert!(!line.contains("eCDHE"), "{string}: {line}");
            let again = check_cipher_string(line, &Builtin);
            assert_eq!(
                again.status,
                Overall::Compliant,
                "{line}: {:#?}",
                again.items
            );
        }
    }
}
