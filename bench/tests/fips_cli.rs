//! `wirecrypt fips check`, run as a user runs it, on the configuration files kept in
//! `engine/tests/data/fips/`.
//!
//! The tests that expand cipher strings with the installed `openssl` need the `openssl`
//! command: in CI (`CI` set) its absence fails them; elsewhere they say why they skip.

use std::process::{Command, Output};

fn data(name: &str) -> String {
    format!(
        "{}/../engine/tests/data/fips/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn wirecrypt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirecrypt"))
        .arg("fips")
        .arg("check")
        .args(args)
        .env_remove("WIRECRYPT_FIPS")
        .output()
        .expect("the wirecrypt binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn debian12_sshd_config_is_not_compliant() {
    let file = data("debian12-sshd_config");
    let out = wirecrypt(&["--sshd-config", &file, "--no-follow-includes"]);
    exit(&out, 1);
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.contains("chacha20-poly1305@openssh.com"))
        .expect("a chacha20 line");
    assert!(line.starts_with(&format!("{file}:default")), "{line}");
    assert!(
        line.contains("Ciphers") && line.contains("NOT APPROVED"),
        "{line}"
    );
    assert!(
        line.contains("ChaCha20-Poly1305 is not a NIST-approved cipher"),
        "{line}"
    );
    assert!(text.contains(
        "    Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr\n"
    ));
    assert!(text.contains("Include /etc/ssh/sshd_config.d/*.conf: not followed"));
    let summary = text.lines().last().unwrap();
    assert!(summary.starts_with("NOT COMPLIANT: "), "{summary}");
    assert!(summary.contains("FIPS policy"), "{summary}");
    let lower = text.to_lowercase();
    assert!(!lower.contains("validated") && !lower.contains("certified"));
}

#[test]
fn rhel_fips_settings_without_sha1_are_compliant() {
    let out = wirecrypt(&["--sshd-config", &data("sshd_config-rhel9-fips-no-sha1")]);
    exit(&out, 0);
    assert!(
        stdout(&out)
            .lines()
            .last()
            .unwrap()
            .starts_with("COMPLIANT: ")
    );
    // RHEL's own list still has HMAC-SHA-1, which this policy refuses.
    let out = wirecrypt(&["--sshd-config", &data("rhel9-fips-opensshserver.config")]);
    exit(&out, 1);
    assert!(stdout(&out).contains("hmac-sha1"));
}

#[test]
fn ssh_config_and_json() {
    let out = wirecrypt(&[
        "--ssh-config",
        &data("debian12-ssh_config"),
        "--no-follow-includes",
        "--json",
    ]);
    exit(&out, 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(v["status"], "not_compliant");
    let item = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["value"] == "curve25519-sha256")
        .unwrap();
    assert_eq!(item["setting"], "KexAlgorithms");
    assert_eq!(item["verdict"], "not_approved");
    assert!(
        item["source"]
            .as_str()
            .unwrap()
            .ends_with("debian12-ssh_config:default")
    );
    assert!(item["source_doc"].as_str().unwrap().contains("SP 800-56A"));
    assert!(
        item["replacement"]
            .as_str()
            .unwrap()
            .starts_with("KexAlgorithms ecdh-sha2-nistp256,")
    );
    assert!(v["replacements"].as_array().unwrap().len() >= 5);
}

#[test]
fn tls_ciphersuites() {
    let out = wirecrypt(&[
        "--tls-ciphersuites",
        "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
    ]);
    exit(&out, 0);
    let out = wirecrypt(&[
        "--tls-ciphersuites",
        "TLS_AES_128_GCM_SHA256,TLS_CHACHA20_POLY1305_SHA256",
    ]);
    exit(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains("TLS_CHACHA20_POLY1305_SHA256  NOT APPROVED"),
        "{text}"
    );
    assert!(text.contains("    TLS_AES_128_GCM_SHA256\n"), "{text}");
}

#[test]
fn tls_cipher_string_with_the_builtin_expander() {
    let out = wirecrypt(&[
        "--tls-cipher-string",
        "ECDHE+AESGCM:ECDHE+CHACHA20",
        "--cipher-expander",
        "builtin",
    ]);
    exit(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("built-in subset"), "{text}");
    assert!(text.contains("ECDHE-RSA-CHACHA20-POLY1305"));
    assert!(text.contains(
        "    ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:\
         ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256\n"
    ));
    let out = wirecrypt(&[
        "--tls-cipher-string",
        "ECDHE+AESGCM",
        "--cipher-expander",
        "builtin",
    ]);
    exit(&out, 0);
}

fn openssl_present() -> bool {
    match Command::new("openssl").arg("version").output() {
        Ok(o) if o.status.success() => true,
        _ if std::env::var_os("CI").is_some() => panic!("the openssl command is required in CI"),
        _ => {
            eprintln!("skipped: no openssl command");
            false
        }
    }
}

#[test]
fn tls_cipher_string_with_openssl() {
    if !openssl_present() {
        return;
    }
    let out = wirecrypt(&[
        "--tls-cipher-string",
        "HIGH:!aNULL:!MD5",
        "--cipher-expander",
        "openssl",
    ]);
    exit(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains("expanded by the installed OpenSSL (OpenSSL "),
        "{text}"
    );
    assert!(text.contains("ECDHE-RSA-AES256-GCM-SHA384"));
    // auto picks openssl when it is there.
    let out = wirecrypt(&["--tls-cipher-string", "ECDHE+AESGCM"]);
    assert!(stdout(&out).contains("expanded by the installed OpenSSL"));
}

#[test]
fn vsftpd_configs() {
    let out = wirecrypt(&[
        "--vsftpd-config",
        &data("debian12-vsftpd.conf"),
        "--cipher-expander",
        "builtin",
    ]);
    exit(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("    ssl_enable=YES\n"), "{text}");
    assert!(text.contains("    ssl_tlsv1=NO\n"), "{text}");
    let out = wirecrypt(&[
        "--vsftpd-config",
        &data("vsftpd-fips.conf"),
        "--cipher-expander",
        "builtin",
    ]);
    exit(&out, 0);
    let out = wirecrypt(&[
        "--vsftpd-config",
        &data("vsftpd-ssl-high.conf"),
        "--cipher-expander",
        "builtin",
    ]);
    exit(&out, 1);
}

#[test]
fn unreadable_input_exits_2() {
    let out = wirecrypt(&["--sshd-config", "/nonexistent/sshd_config"]);
    exit(&out, 2);
    let text = stdout(&out);
    assert!(
        text.contains("/nonexistent/sshd_config: cannot read"),
        "{text}"
    );
    assert!(text.lines().last().unwrap().starts_with("UNREADABLE"));
    // Unreadable wins over not compliant.
    let out = wirecrypt(&[
        "--sshd-config",
        &data("debian12-sshd_config"),
        "--vsftpd-config",
        "/nonexistent/vsftpd.conf",
    ]);
    exit(&out, 2);
}

#[test]
fn several_inputs_in_one_report() {
    let out = wirecrypt(&[
        "--sshd-config",
        &data("sshd_config-rhel9-fips-no-sha1"),
        "--vsftpd-config",
        &data("vsftpd-fips.conf"),
        "--tls-ciphersuites",
        "TLS_AES_256_GCM_SHA384",
        "--cipher-expander",
        "builtin",
        "--json",
    ]);
    exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["inputs"].as_array().unwrap().len(), 3);
}

#[test]
fn no_input_is_a_usage_error() {
    let out = wirecrypt(&[]);
    exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sshd-config"));
}

/// A stand-in `openssl` that writes each argument list and its `OPENSSL_*` environment
/// to a log, so the test can see exactly what `wirecrypt fips check` ran.
fn logging_openssl(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let log = dir.join("calls.log");
    let script = dir.join("openssl");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             printf 'argv:' >> '{log}'\n\
             for a in \"$@\"; do printf ' [%s]' \"$a\" >> '{log}'; done\n\
             printf '\\n' >> '{log}'\n\
             env | grep '^OPENSSL_' | sed 's/^/env: /' >> '{log}'\n\
             [ \"$1\" = version ] && echo 'OpenSSL 3.0.0 (logging stand-in)'\n\
             exit 0\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    log
}

#[test]
fn cipher_strings_never_become_openssl_options() {
    let dir = std::env::temp_dir().join(format!("wirecrypt-openssl-args-{}", std::process::id()));
    let log = logging_openssl(&dir);
    let conf = dir.join("vsftpd.conf");
    std::fs::write(
        &conf,
        "ssl_enable=YES\nssl_ciphers=-provider=/nonexistent/evil.so\n",
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_wirecrypt"))
            .args(["fips", "check", "--cipher-expander", "openssl"])
            .args(args)
            .env("PATH", &path)
            .env("OPENSSL_CONF", "/nonexistent/evil.cnf")
            .env("OPENSSL_MODULES", "/nonexistent/modules")
            .env_remove("WIRECRYPT_FIPS")
            .output()
            .expect("the wirecrypt binary runs")
    };
    let from_file = run(&["--vsftpd-config", conf.to_str().unwrap()]);
    let from_flag = run(&["--tls-cipher-string", " -engine=evil"]);
    let benign = run(&["--tls-cipher-string", "AESGCM"]);
    let calls = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    for out in [&from_file, &from_flag] {
        assert!(
            stdout(out).contains("begins with '-'"),
            "{}\n{}",
            stdout(out),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(benign.status.code().is_some());
    assert!(
        !calls.contains("evil"),
        "a hostile cipher string reached openssl:\n{calls}"
    );
    assert!(
        calls.contains("[-V] [--] [AESGCM]"),
        "options are not ended before the cipher string:\n{calls}"
    );
    assert!(
        !calls.contains("env: OPENSSL_"),
        "openssl ran with the caller's OPENSSL_* environment:\n{calls}"
    );
}
