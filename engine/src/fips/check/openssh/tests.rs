//! OpenSSH checks on small configurations written for each rule.

use super::*;
use crate::fips::check::report::Overall;
use crate::fips::policy::Status;

fn server(text: &str) -> Report {
    check_sshd_config(text, "sshd_config", &NoIncludes)
}

/// `(source, value, status)` of the items of one setting, in order.
fn items<'a>(r: &'a Report, setting: &str) -> Vec<(&'a str, &'a str, Status)> {
    r.items
        .iter()
        .filter(|i| i.setting == setting && i.scope.is_none())
        .map(|i| (i.source.as_str(), i.value.as_str(), i.verdict))
        .collect()
}

fn values<'a>(r: &'a Report, setting: &str) -> Vec<&'a str> {
    items(r, setting).into_iter().map(|(_, v, _)| v).collect()
}

fn replacement<'a>(r: &'a Report, setting: &str) -> Option<&'a str> {
    r.replacements
        .iter()
        .find(|x| x.setting == setting && x.scope.is_none())
        .map(|x| x.line.as_str())
}

const COMPLIANT: &str = "\
Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes128-ctr
MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512
KexAlgorithms ecdh-sha2-nistp256,ecdh-sha2-nistp384,diffie-hellman-group14-sha256
HostKeyAlgorithms ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256
PubkeyAcceptedAlgorithms ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256
";

#[test]
fn a_compliant_configuration_passes() {
    let r = server(COMPLIANT);
    assert_eq!(r.status, Overall::Compliant, "{:#?}", r.items);
    assert!(r.replacements.is_empty());
    assert_eq!(items(&r, "Ciphers")[0].0, "sshd_config:1");
    assert_eq!(r.counts(), (17, 0, 0));
}

#[test]
fn absent_lines_mean_openssh_9_2_defaults() {
    let r = server("Port 22\n");
    assert_eq!(r.status, Overall::NotCompliant);
    let ciphers = items(&r, "Ciphers");
    assert_eq!(
        ciphers[0],
        (
            "sshd_config:default",
            "chacha20-poly1305@openssh.com",
            Status::NotApproved
        )
    );
    assert_eq!(ciphers.len(), 6);
    assert_eq!(
        replacement(&r, "Ciphers"),
        Some(
            "Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr"
        )
    );
    let rule = &r
        .items
        .iter()
        .find(|i| i.setting == "Ciphers")
        .unwrap()
        .rule;
    assert!(rule.contains("OpenSSH 9.2 default"), "{rule}");
    assert_eq!(
        values(&r, "KexAlgorithms")[0],
        "sntrup761x25519-sha512@openssh.com"
    );
    assert_eq!(values(&r, "MACs")[0], "umac-64-etm@openssh.com");
    assert_eq!(
        values(&r, "HostKeyAlgorithms")[0],
        "ssh-ed25519-cert-v01@openssh.com"
    );
    assert_eq!(values(&r, "PubkeyAcceptedAlgorithms").len(), 16);
    // Defaults of keywords that matter only with host-based or certificate
    // authentication are not reported.
    assert!(values(&r, "HostbasedAcceptedAlgorithms").is_empty());
    assert!(values(&r, "CASignatureAlgorithms").is_empty());
    assert_eq!(
        replacement(&r, "MACs"),
        Some(
            "MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512"
        )
    );
}

#[test]
fn the_replacement_keeps_the_users_approved_names_in_order() {
    let r = server("Ciphers chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com\n");
    assert_eq!(
        items(&r, "Ciphers"),
        [
            (
                "sshd_config:1",
                "chacha20-poly1305@openssh.com",
                Status::NotApproved
            ),
            ("sshd_config:1", "aes128-ctr", Status::Approved),
            ("sshd_config:1", "aes256-gcm@openssh.com", Status::Approved),
        ]
    );
    assert_eq!(
        replacement(&r, "Ciphers"),
        Some("Ciphers aes128-ctr,aes256-gcm@openssh.com")
    );
    let bad = r
        .items
        .iter()
        .find(|i| i.verdict == Status::NotApproved)
        .unwrap();
    assert_eq!(
        bad.replacement.as_deref(),
        Some("Ciphers aes128-ctr,aes256-gcm@openssh.com")
    );
    // Nothing approved of the user's own: the recommended list.
    let r = server("Ciphers chacha20-poly1305@openssh.com\n");
    assert!(
        replacement(&r, "Ciphers")
            .unwrap()
            .starts_with("Ciphers aes256-gcm@openssh.com,")
    );
}

#[test]
fn minus_lists_remove_from_the_default() {
    let r = server("Ciphers -chacha20-poly1305@openssh.com\n");
    assert_eq!(
        values(&r, "Ciphers"),
        [
            "aes128-ctr",
            "aes192-ctr",
            "aes256-ctr",
            "aes128-gcm@openssh.com",
            "aes256-gcm@openssh.com"
        ]
    );
    assert!(replacement(&r, "Ciphers").is_none());
    let r = server("MACs -umac*,hmac-sha1*\nKexAlgorithms -*25519*\n");
    assert!(items(&r, "MACs").iter().all(|(_, _, s)| s.is_approved()));
    assert!(
        items(&r, "KexAlgorithms")
            .iter()
            .all(|(_, _, s)| s.is_approved())
    );
    assert_eq!(items(&r, "KexAlgorithms")[0].0, "sshd_config:2");
}

#[test]
fn plus_lists_append_to_the_default() {
    let r = server("HostKeyAlgorithms +ssh-rsa\n");
    let v = values(&r, "HostKeyAlgorithms");
    assert_eq!(v.len(), 17);
    assert_eq!(v[16], "ssh-rsa");
    assert_eq!(items(&r, "HostKeyAlgorithms")[16].2, Status::NotApproved);
    // The user's approved names are the default's here: kept in order.
    assert_eq!(
        replacement(&r, "HostKeyAlgorithms"),
        Some(
            "HostKeyAlgorithms ecdsa-sha2-nistp256-cert-v01@openssh.com,\
             ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,\
             rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,\
             ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256"
        )
    );
}

#[test]
fn caret_lists_prepend_to_the_default() {
    let r = server("Ciphers ^aes256-gcm@openssh.com\n");
    let v = values(&r, "Ciphers");
    assert_eq!(v[0], "aes256-gcm@openssh.com");
    assert_eq!(v[1], "chacha20-poly1305@openssh.com");
    assert_eq!(v.len(), 6);
}

#[test]
fn wildcards_expand_in_key_algorithm_lists() {
    let r = server("PubkeyAcceptedKeyTypes ecdsa-sha2-*\n");
    assert_eq!(
        values(&r, "PubkeyAcceptedAlgorithms"),
        [
            "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp256-cert-v01@openssh.com",
            "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp384-cert-v01@openssh.com",
            "ecdsa-sha2-nistp521",
            "ecdsa-sha2-nistp521-cert-v01@openssh.com"
        ]
    );
    assert_eq!(
        r.status,
        Overall::NotCompliant,
        "other keywords are still defaults"
    );
    // Not in cipher lists: OpenSSH refuses them; the policy does not know the pattern.
    let r = server("Ciphers aes*\n");
    assert_eq!(
        items(&r, "Ciphers"),
        [("sshd_config:1", "aes*", Status::Unknown)]
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.message.contains("does not support aes*"))
    );
}

#[test]
fn keywords_are_case_insensitive_and_take_equals() {
    let r = server("ciphers=aes128-ctr\nKEXALGORITHMS = ecdh-sha2-nistp256\n");
    assert_eq!(values(&r, "Ciphers"), ["aes128-ctr"]);
    assert_eq!(values(&r, "KexAlgorithms"), ["ecdh-sha2-nistp256"]);
}

#[test]
fn the_first_occurrence_wins() {
    let r = server("Ciphers aes128-ctr\nCiphers chacha20-poly1305@openssh.com\n");
    assert_eq!(values(&r, "Ciphers"), ["aes128-ctr"]);
    assert!(
        r.notes
            .iter()
            .any(|n| n.source == "sshd_config:2" && n.message.contains("first value"))
    );
}

#[test]
fn match_blocks_are_reported_separately() {
    let text = format!(
        "{COMPLIANT}Match User backup\n    PubkeyAcceptedAlgorithms +ssh-ed25519\n\
         Match Address 10.0.0.0/8\n    Ciphers chacha20-poly1305@openssh.com\n"
    );
    let r = server(&text);
    // The global result is unchanged...
    assert!(
        items(&r, "PubkeyAcceptedAlgorithms")
            .iter()
            .all(|(_, _, s)| s.is_approved())
    );
    assert_eq!(values(&r, "Ciphers").len(), 4);
    // ...the blocks are reported with their scope, and count.
    let scoped: Vec<_> = r
        .items
        .iter()
        .filter(|i| i.scope.is_some())
        .map(|i| {
            (
                i.scope.as_deref().unwrap(),
                i.setting.as_str(),
                i.value.as_str(),
                i.verdict,
            )
        })
        .collect();
    assert!(scoped.contains(&(
        "Match User backup",
        "PubkeyAcceptedAlgorithms",
        "ssh-ed25519",
        Status::NotApproved
    )));
    assert!(scoped.contains(&(
        "Match Address 10.0.0.0/8",
        "Ciphers",
        "chacha20-poly1305@openssh.com",
        Status::NotApproved
    )));
    assert_eq!(r.status, Overall::NotCompliant);
    // sshd refuses global-only keywords in a Match block: noted.
    assert!(
        r.notes
            .iter()
            .any(|n| n.source == "sshd_config:9" && n.message.contains("Match block"))
    );
    let fix = r
        .replacements
        .iter()
        .find(|x| x.scope.as_deref() == Some("Match User backup"))
        .unwrap();
    assert!(
        fix.line
            .starts_with("PubkeyAcceptedAlgorithms ecdsa-sha2-nistp256-cert-v01@openssh.com,")
    );
    assert!(!fix.line.contains("ed25519"), "{}", fix.line);
}

#[test]
fn host_blocks_in_ssh_config() {
    let text = format!("Host legacy.example\n  Ciphers aes128-cbc\nHost *\n{COMPLIANT}");
    let r = check_ssh_config(&text, "ssh_config", &NoIncludes);
    assert_eq!(values(&r, "Ciphers").len(), 4, "Host * is global");
    let legacy: Vec<_> = r
        .items
        .iter()
        .filter(|i| i.scope.as_deref() == Some("Host legacy.example"))
        .collect();
    assert_eq!(legacy.len(), 1);
    assert_eq!(legacy[0].value, "aes128-cbc");
    assert_eq!(legacy[0].verdict, Status::NotApproved);
    // No note about Match blocks for ssh.
    assert!(!r.notes.iter().any(|n| n.message.contains("Match block")));
}

#[test]
fn include_lines_are_reported_and_followed_when_resolvable() {
    let r = server(&format!(
        "Include /etc/ssh/sshd_config.d/*.conf\n{COMPLIANT}"
    ));
    assert_eq!(r.status, Overall::Compliant);
    assert!(
        r.notes
            .iter()
            .any(|n| n.source == "sshd_config:1" && n.message.contains("not followed"))
    );

    struct One;
    impl Includes for One {
        fn resolve(&self, _: &str) -> Result<Vec<Included>, String> {
            Ok(vec![Included {
                name: "sshd_config.d/fips.conf".into(),
                text: Ok("Ciphers aes256-gcm@openssh.com\n".into()),
            }])
        }
    }
    // The included file comes first, so its Ciphers line wins over the main file's.
    let text = "Include sshd_config.d/*.conf\nCiphers chacha20-poly1305@openssh.com\n";
    let r = check_sshd_config(text, "sshd_config", &One);
    assert_eq!(
        items(&r, "Ciphers"),
        [(
            "sshd_config.d/fips.conf:1",
            "aes256-gcm@openssh.com",
            Status::Approved
        )]
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.source == "sshd_config:2" && n.message.contains("first value"))
    );

    struct Unreadable;
    impl Includes for Unreadable {
        fn resolve(&self, _: &str) -> Result<Vec<Included>, String> {
            Ok(vec![Included {
                name: "x.conf".into(),
                text: Err("Permission denied".into()),
            }])
        }
    }
    let r = check_sshd_config("Include x.conf\n", "sshd_config", &Unreadable);
    assert_eq!(r.status, Overall::Unreadable);
}

#[test]
fn lines_openssh_refuses_are_unknown() {
    for text in [
        "Ciphers\n",
        "Ciphers aes128-ctr, aes256-ctr\n",
        "Ciphers aes128-ctr,!aes256-ctr\n",
        "MACs -*\n",
    ] {
        let r = server(text);
        let item = r
            .items
            .iter()
            .find(|i| i.source == "sshd_config:1")
            .unwrap();
        assert_eq!(item.verdict, Status::Unknown, "{text}");
        assert!(item.rule.contains("OpenSSH refuses"), "{}", item.rule);
        assert!(item.replacement.is_some());
    }
}

#[test]
fn names_the_policy_does_not_know_are_unknown() {
    let r = server("MACs hmac-sha2-256,hmac-whatever\n");
    assert_eq!(items(&r, "MACs")[1].2, Status::Unknown);
    assert_eq!(replacement(&r, "MACs"), Some("MACs hmac-sha2-256"));
}
