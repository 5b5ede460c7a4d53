//! Golden tests: real configuration files kept in `engine/tests/data/fips/` (their
//! provenance is in that folder's README), each checked and compared, line by line, with
//! the `.expected` file beside it. After a deliberate change, rewrite the expected files
//! with `WIRECRYPT_BLESS=1 cargo test -p wirecrypt fips::check::golden` and review the diff.

use std::path::PathBuf;

use super::cipher_string::Builtin;
use super::openssh::{FsIncludes, NoIncludes, check_ssh_config, check_sshd_config};
use super::report::{Overall, Report};
use super::vsftpd::check_vsftpd_config;
use crate::fips::policy::Status;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fips")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The report as stable text: one line per item, replacement and note.
fn digest(r: &Report) -> String {
    let mut out = format!("status: {}\n", r.status.label());
    for i in &r.items {
        out += &format!(
            "item  {}  {}  {}  {}  {}\n",
            i.source,
            i.scope.as_deref().unwrap_or("-"),
            i.setting,
            i.value,
            i.verdict.label()
        );
    }
    for x in &r.replacements {
        let scope = x.scope.as_deref().unwrap_or("-");
        out += &format!("replace  {}  {}  {}\n", x.source, scope, x.line);
    }
    for n in &r.notes {
        out += &format!("note  {}  {}\n", n.source, n.message);
    }
    for n in &r.unreadable {
        out += &format!("unreadable  {}  {}\n", n.source, n.message);
    }
    out
}

#[track_caller]
fn golden(name: &str, report: &Report) {
    let path = data(&format!("{name}.expected"));
    let got = digest(report);
    if std::env::var_os("WIRECRYPT_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with WIRECRYPT_BLESS=1 to create)",
            path.display()
        )
    });
    if got != want {
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            assert_eq!(g, w, "{name}.expected line {}", i + 1);
        }
        assert_eq!(
            got.lines().count(),
            want.lines().count(),
            "{name}: line count"
        );
    }
}

fn values(r: &Report, setting: &str, status: Status) -> Vec<String> {
    r.items
        .iter()
        .filter(|i| i.setting == setting && i.verdict == status && i.scope.is_none())
        .map(|i| i.value.clone())
        .collect()
}

#[test]
fn debian12_default_sshd_config_is_not_compliant() {
    let r = check_sshd_config(&read("debian12-sshd_config"), "sshd_config", &NoIncludes);
    golden("debian12-sshd_config", &r);
    assert_eq!(r.status, Overall::NotCompliant);
    // No Ciphers line: OpenSSH 9.2's default, ChaCha20-Poly1305 first.
    let first = r.items.iter().find(|i| i.setting == "Ciphers").unwrap();
    assert_eq!(first.value, "chacha20-poly1305@openssh.com");
    assert_eq!(first.source, "sshd_config:default");
    assert_eq!(first.verdict, Status::NotApproved);
    assert!(r.replacements.iter().any(|x| x.line
        == "Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr"));
    // Its Include line is reported.
    assert!(
        r.notes
            .iter()
            .any(|n| n.source == "sshd_config:12" && n.message.contains("Include"))
    );
    assert_eq!(
        values(&r, "KexAlgorithms", Status::NotApproved),
        [
            "sntrup761x25519-sha512@openssh.com",
            "curve25519-sha256",
            "curve25519-sha256@libssh.org"
        ]
    );
}

#[test]
fn debian12_default_sshd_config_with_includes_followed() {
    // On a machine without /etc/ssh/sshd_config.d the pattern matches nothing; with a
    // directory of our own it is followed.
    let dir = std::env::temp_dir().join(format!("wirecrypt-golden-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sshd_config.d")).unwrap();
    std::fs::write(
        dir.join("sshd_config.d/fips.conf"),
        read("sshd_config-rhel9-fips-no-sha1"),
    )
    .unwrap();
    let text = read("debian12-sshd_config").replace("/etc/ssh/sshd_config.d/", "sshd_config.d/");
    let r = check_sshd_config(&text, "sshd_config", &FsIncludes { base: dir.clone() });
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(r.status, Overall::Compliant, "{}", digest(&r));
}

#[test]
fn rhel9_fips_policy_differs_only_in_hmac_sha1() {
    let r = check_sshd_config(
        &read("rhel9-fips-opensshserver.config"),
        "opensshserver.config",
        &NoIncludes,
    );
    golden("rhel9-fips-opensshserver.config", &r);
    let bad: Vec<&str> = r
        .items
        .iter()
        .filter(|i| !i.verdict.is_approved())
        .map(|i| i.value.as_str())
        .collect();
    assert_eq!(bad, ["hmac-sha1-etm@openssh.com", "hmac-sha1"]);
    let item = r.items.iter().find(|i| i.value == "hmac-sha1").unwrap();
    assert!(
        item.rule.contains("RHEL's FIPS policy still lists it"),
        "{}",
        item.rule
    );
    assert_eq!(
        item.replacement.as_deref(),
        Some(
            "MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512"
        )
    );
    // Every keyword is set, including the two checked only when present.
    for setting in ["HostbasedAcceptedAlgorithms", "CASignatureAlgorithms"] {
        assert!(
            !values(&r, setting, Status::Approved).is_empty(),
            "{setting}"
        );
    }
}

#[test]
fn rhel9_fips_policy_without_sha1_is_compliant() {
    let r = check_sshd_config(
        &read("sshd_config-rhel9-fips-no-sha1"),
        "sshd_config",
        &NoIncludes,
    );
    golden("sshd_config-rhel9-fips-no-sha1", &r);
    assert_eq!(r.status, Overall::Compliant);
    assert!(r.replacements.is_empty());
}

#[test]
fn rhel10_fips_policy_with_ml_kem() {
    let r = check_sshd_config(
        &read("rhel10-fips-opensshserver.config"),
        "opensshserver.config",
        &NoIncludes,
    );
    golden("rhel10-fips-opensshserver.config", &r);
    assert_eq!(
        values(&r, "KexAlgorithms", Status::Approved)[0],
        "mlkem768nistp256-sha256"
    );
    assert!(r.notes.iter().any(|n| {
        n.message
            .contains("does not support mlkem768nistp256-sha256")
    }));
}

#[test]
fn debian12_default_ssh_config_is_not_compliant() {
    let r = check_ssh_config(&read("debian12-ssh_config"), "ssh_config", &NoIncludes);
    golden("debian12-ssh_config", &r);
    assert_eq!(r.status, Overall::NotCompliant);
    assert_eq!(
        values(&r, "Ciphers", Status::NotApproved),
        ["chacha20-poly1305@openssh.com"]
    );
}

#[test]
fn debian12_default_vsftpd_has_tls_off() {
    let r = check_vsftpd_config(&read("debian12-vsftpd.conf"), "vsftpd.conf", &Builtin);
    golden("debian12-vsftpd.conf", &r);
    assert_eq!(r.status, Overall::NotCompliant);
    let tls = r.items.iter().find(|i| i.setting == "ssl_enable").unwrap();
    assert_eq!(
        (tls.source.as_str(), tls.value.as_str()),
        ("vsftpd.conf:151", "NO")
    );
    assert_eq!(tls.replacement.as_deref(), Some("ssl_enable=YES"));
    // The default ssl_ciphers (ECDHE-RSA-AES256-GCM-SHA384) is approved.
    assert_eq!(
        values(&r, "ssl_ciphers", Status::Approved),
        ["ECDHE-RSA-AES256-GCM-SHA384"]
    );
}

#[test]
fn vsftpd_with_the_common_high_cipher_string() {
    let r = check_vsftpd_config(&read("vsftpd-ssl-high.conf"), "vsftpd.conf", &Builtin);
    golden("vsftpd-ssl-high.conf", &r);
    assert_eq!(r.status, Overall::NotCompliant);
    // The last ssl_enable wins.
    let tls = r.items.iter().find(|i| i.setting == "ssl_enable").unwrap();
    assert_eq!(tls.value, "YES");
    assert!(tls.verdict.is_approved());
    let tlsv1 = r.items.iter().find(|i| i.setting == "ssl_tlsv1").unwrap();
    assert_eq!(tlsv1.verdict, Status::NotApproved);
    assert_eq!(tlsv1.replacement.as_deref(), Some("ssl_tlsv1=NO"));
    let tls11 = r.items.iter().find(|i| i.setting == "ssl_tlsv1_1").unwrap();
    assert_eq!(
        tls11.verdict,
        Status::NotApproved,
        "HIGH has SHA-1 suites that work in TLS 1.1"
    );
    assert!(
        values(&r, "ssl_ciphers", Status::NotApproved)
            .contains(&"ECDHE-RSA-CHACHA20-POLY1305".to_owned())
    );
}

#[test]
fn vsftpd_with_mozilla_intermediate_ciphers() {
    let r = check_vsftpd_config(
        &read("vsftpd-mozilla-intermediate.conf"),
        "vsftpd.conf",
        &Builtin,
    );
    golden("vsftpd-mozilla-intermediate.conf", &r);
    assert_eq!(r.status, Overall::NotCompliant);
    assert_eq!(
        values(&r, "ssl_ciphers", Status::NotApproved),
        [
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-RSA-CHACHA20-POLY1305",
            "DHE-RSA-CHACHA20-POLY1305"
        ]
    );
    let fix = r
        .replacements
        .iter()
        .find(|x| x.setting == "ssl_ciphers")
        .unwrap();
    assert_eq!(
        fix.line,
        "ssl_ciphers=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
         ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:\
         DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"
    );
    // TLS 1.1 cannot be negotiated with these suites, all TLS 1.2-only.
    let tls11 = r.items.iter().find(|i| i.setting == "ssl_tlsv1_1").unwrap();
    assert!(tls11.verdict.is_approved(), "{}", tls11.rule);
    // TLS 1.3 is on and OpenSSL's default TLS 1.3 suites include ChaCha20.
    assert!(
        r.items
            .iter()
            .any(|i| i.value == "TLS_CHACHA20_POLY1305_SHA256" && !i.verdict.is_approved())
    );
}

#[test]
fn vsftpd_restricted_to_the_fips_policy_is_compliant() {
    let r = check_vsftpd_config(&read("vsftpd-fips.conf"), "vsftpd.conf", &Builtin);
    golden("vsftpd-fips.conf", &r);
    assert_eq!(r.status, Overall::Compliant, "{}", digest(&r));
}
