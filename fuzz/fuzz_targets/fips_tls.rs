//! `wirecrypt fips check` on TLS inputs: IANA/OpenSSL suite lists, OpenSSL cipher strings
//! (expanded by the engine's built-in subset of OpenSSL 3.0's rules) and vsftpd.conf.
//!
//! Input: a selector byte (0: suite list, 1: cipher string, 2: vsftpd.conf), then the
//! text.
//!
//! Invariants, besides no panic and no hang or runaway memory:
//! * the overall status follows from the items, and each replacement line is offered
//!   for a setting that has an item not approved;
//! * each replacement line, checked on its own, is compliant (suite lists and cipher
//!   strings) or gives only approved items for its setting (vsftpd `key=value` lines).

#![no_main]

use libfuzzer_sys::fuzz_target;
use wirecrypt::fips::check::{Builtin, Overall, Report, tls, vsftpd};
use wirecrypt_fuzz::{Input, assert_report_consistent};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let selector = input.byte() % 3;
    let text = String::from_utf8_lossy(input.rest());
    match selector {
        0 => {
            let report = tls::check_ciphersuites(&text);
            assert_report_consistent(&report);
            for r in &report.replacements {
                assert_compliant(&tls::check_ciphersuites(&r.line), &r.line);
            }
        }
        1 => {
            let report = tls::check_cipher_string(&text, &Builtin);
            assert_report_consistent(&report);
            for r in &report.replacements {
                assert_compliant(&tls::check_cipher_string(&r.line, &Builtin), &r.line);
            }
        }
        _ => {
            let report = vsftpd::check_vsftpd_config(&text, "vsftpd.conf", &Builtin);
            assert_report_consistent(&report);
            for r in &report.replacements {
                // Only lines vsftpd reads; the TLS 1.3 advice names openssl.cnf.
                if !r.line.starts_with(&format!("{}=", r.setting)) {
                    continue;
                }
                let again = vsftpd::check_vsftpd_config(&r.line, "replacement", &Builtin);
                for item in again.items.iter().filter(|i| i.setting == r.setting) {
                    assert!(
                        item.verdict.is_approved(),
                        "replacement line {:?} still has {} ({:?})",
                        r.line,
                        item.value,
                        item.verdict
                    );
                }
            }
        }
    }
});

fn assert_compliant(report: &Report, line: &str) {
    assert_eq!(
        report.status,
        Overall::Compliant,
        "replacement {line:?} is not compliant: {:?}",
        report.items
    );
}
