//! vsftpd checks on small configurations written for each rule.

use super::*;
use crate::fips::check::cipher_string::Builtin;
use crate::fips::check::report::Overall;

const TLS_ONLY: &str = "ssl_enable=YES\nssl_tlsv1=NO\nssl_tlsv1_3=NO\n";

fn check(text: &str) -> Report {
    check_vsftpd_config(text, "vsftpd.conf", &Builtin)
}

fn item<'a>(r: &'a Report, setting: &str) -> &'a Item {
    r.items
        .iter()
        .find(|i| i.setting == setting)
        .unwrap_or_else(|| panic!("no {setting} item"))
}

#[test]
fn defaults_of_vsftpd_3_0_3() {
    let r = check("");
    assert_eq!(r.status, Overall::NotCompliant);
    let i = item(&r, "ssl_enable");
    assert_eq!(
        (i.source.as_str(), i.value.as_str(), i.verdict),
        ("vsftpd.conf:default", "NO", Status::NotApproved)
    );
    assert_eq!(
        item(&r, "ssl_tlsv1").verdict,
        Status::NotApproved,
        "TLS 1.0 is on by default"
    );
    assert_eq!(item(&r, "ssl_sslv2").verdict, Status::Approved);
    assert_eq!(item(&r, "ssl_sslv3").verdict, Status::Approved);
    assert_eq!(item(&r, "force_local_logins_ssl").value, "YES");
    assert_eq!(item(&r, "force_local_data_ssl").value, "YES");
    let c = item(&r, "ssl_ciphers");
    assert_eq!(
        (c.value.as_str(), c.verdict),
        ("ECDHE-RSA-AES256-GCM-SHA384", Status::Approved)
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.message.contains("vsftpd 3.0.3 default"))
    );
}

#[test]
fn switches_that_must_be_on() {
    for key in ["force_local_logins_ssl", "force_local_data_ssl"] {
        let r = check(&format!("{TLS_ONLY}{key}=NO\n"));
        let i = item(&r, key);
        assert_eq!(i.verdict, Status::NotApproved, "{key}");
        assert_eq!(i.source, "vsftpd.conf:4");
        assert_eq!(
            i.replacement.as_deref(),
            Some(format!("{key}=YES").as_str())
        );
    }
    let r = check(TLS_ONLY);
    assert_eq!(r.status, Overall::Compliant, "{:#?}", r.items);
}

#[test]
fn protocol_switches() {
    for (key, version) in [
        ("ssl_sslv2", "SSL"),
        ("ssl_sslv3", "SSL"),
        ("ssl_tlsv1", "TLS 1.0"),
    ] {
        let r = check(&format!("{TLS_ONLY}{key}=YES\n"));
        let i = item(&r, key);
        assert_eq!(i.verdict, Status::NotApproved, "{key}");
        assert!(i.rule.contains(version), "{}", i.rule);
        assert_eq!(i.replacement.as_deref(), Some(format!("{key}=NO").as_str()));
    }
    // Red Hat's switches, when present.
    let r = check(&format!("{TLS_ONLY}ssl_tlsv1_1=YES\n"));
    assert_eq!(item(&r, "ssl_tlsv1_1").verdict, Status::NotApproved);
    assert_eq!(
        item(&r, "ssl_tlsv1_1").replacement.as_deref(),
        Some("ssl_tlsv1_1=NO")
    );
    let r = check(&format!("{TLS_ONLY}ssl_tlsv1_2=NO\n"));
    let i = item(&r, "ssl_tlsv1_2");
    assert!(i.verdict.is_approved() && i.rule.starts_with("off;"));
    // Booleans: any case, TRUE/FALSE/1/0; anything else stops vsftpd.
    let r = check("ssl_enable=true\nssl_tlsv1=0\nssl_tlsv1_3=no\n");
    assert_eq!(r.status, Overall::Compliant);
    let r = check(&format!("{TLS_ONLY}ssl_sslv3=maybe\n"));
    assert_eq!(item(&r, "ssl_sslv3").verdict, Status::Unknown);
}

#[test]
fn tls11_without_a_switch_is_judged_by_the_suites() {
    let r = check(&format!(
        "{TLS_ONLY}ssl_ciphers=ECDHE-RSA-AES128-GCM-SHA256\n"
    ));
    assert!(item(&r, "ssl_tlsv1_1").verdict.is_approved());
    assert_eq!(item(&r, "ssl_tlsv1_1").replacement, None);
    let r = check(&format!(
        "{TLS_ONLY}ssl_ciphers=ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA\n"
    ));
    let i = item(&r, "ssl_tlsv1_1");
    assert_eq!(i.verdict, Status::NotApproved);
    assert!(i.rule.contains("cannot switch TLSv1.1 off"), "{}", i.rule);
    // The fix is the ssl_ciphers replacement, which keeps only TLS 1.2 suites.
    assert_eq!(
        item(&r, "ssl_ciphers").replacement.as_deref(),
        None,
        "the approved suite has no replacement pointer"
    );
    assert!(
        r.replacements
            .iter()
            .any(|x| x.line == "ssl_ciphers=ECDHE-RSA-AES128-GCM-SHA256")
    );
}

#[test]
fn tls13_suites_are_openssls() {
    let r = check("ssl_enable=YES\nssl_tlsv1=NO\n");
    let tls13: Vec<_> = r
        .items
        .iter()
        .filter(|i| i.setting.starts_with("TLS 1.3"))
        .map(|i| (i.value.as_str(), i.verdict))
        .collect();
    assert_eq!(
        tls13,
        [
            ("TLS_AES_256_GCM_SHA384", Status::Approved),
            ("TLS_CHACHA20_POLY1305_SHA256", Status::NotApproved),
            ("TLS_AES_128_GCM_SHA256", Status::Approved),
        ]
    );
    assert!(r.replacements.iter().any(|x| {
        x.line
            .starts_with("Ciphersuites = TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256")
    }));
}

#[test]
fn cipher_strings_in_vsftpd() {
    // The man page's old default, which OpenSSL 3.0 no longer offers.
    let r = check(&format!("{TLS_ONLY}ssl_ciphers=DES-CBC3-SHA\n"));
    let values: Vec<_> = r
        .items
        .iter()
        .filter(|i| i.setting == "ssl_ciphers")
        .map(|i| (i.value.as_str(), i.verdict))
        .collect();
    assert_eq!(
        values,
        [
            ("DES-CBC3-SHA", Status::NotApproved),
            ("(no suite)", Status::Unknown)
        ]
    );
    // An empty value: vsftpd sets no list, OpenSSL's DEFAULT applies.
    let r = check(&format!("{TLS_ONLY}ssl_ciphers=\n"));
    assert!(
        r.notes
            .iter()
            .any(|n| n.message.contains("OpenSSL's DEFAULT"))
    );
    assert!(
        r.items
            .iter()
            .any(|i| i.value == "ECDHE-RSA-CHACHA20-POLY1305")
    );
    // The last line wins.
    let r = check(&format!(
        "{TLS_ONLY}ssl_ciphers=HIGH\nssl_ciphers=ECDHE+AESGCM\n"
    ));
    assert_eq!(r.status, Overall::Compliant);
    assert_eq!(item(&r, "ssl_ciphers").source, "vsftpd.conf:5");
}

#[test]
fn lines_vsftpd_refuses_are_noted() {
    let r = check("ssl_enable = YES\n");
    assert!(
        r.notes
            .iter()
            .any(|n| n.source == "vsftpd.conf:1" && n.message.contains("spaces before '='"))
    );
    assert_eq!(item(&r, "ssl_enable").value, "NO");
}
