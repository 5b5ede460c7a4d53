//! `wirecrypt token` against a throwaway SoftHSM2 token: generate server keys in the
//! token, show them (OpenSSL parses the public key), refuse duplicates, delete.
//! Without softhsm2 it fails when `CI` is set and skips with a reason otherwise.
#![cfg(feature = "pkcs11")]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;

fn wirecrypt(env: &[(String, String)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirecrypt"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("wirecrypt runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What `openssl pkey` makes of a PEM public key.
fn openssl_reads(pem: &str) -> String {
    let mut child = Command::new("openssl")
        .args(["pkey", "-pubin", "-noout", "-text"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pem.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl rejects the key: {}",
        text(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn token_keys_from_the_command_line() {
    let Some(token) = common::softhsm_token() else {
        return;
    };
    let env = &token.vars;
    let pin_file = env
        .iter()
        .find(|(k, _)| k == "WIRECRYPT_PKCS11_PIN_FILE")
        .map(|(_, v)| v.clone())
        .expect("the script names a PIN file");
    let pin = std::fs::read_to_string(Path::new(&pin_file)).unwrap();
    let env = env.as_slice();
    for (kind, openssl_says) in [
        ("ecdsa-p256", "prime256v1"),
        ("rsa-2048", "Public-Key: (2048 bit)"),
    ] {
        let label = format!("cli-{kind}");
        let made = wirecrypt(env, &["token", "keygen", "--label", &label, "--kind", kind]);
        let said = text(&made);
        assert!(made.status.success(), "{said}");
        assert!(said.contains("pair-wise consistency test passed"), "{said}");
        assert!(!said.contains(pin.trim()), "the PIN was printed");
        println!("$ wirecrypt token keygen --label {label} --kind {kind}\n{said}");

        let shown = wirecrypt(env, &["token", "show", "--label", &label]);
        let said = text(&shown);
        assert!(shown.status.success(), "{said}");
        let start = said.find("-----BEGIN PUBLIC KEY-----").expect("a PEM key");
        let parsed = openssl_reads(&said[start..]);
        assert!(parsed.contains(openssl_says), "{parsed}");
        assert!(said.contains(if kind == "rsa-2048" {
            "rsa_pss_rsae_sha256"
        } else {
            "ecdsa_secp256r1_sha256"
        }));

        let again = wirecrypt(env, &["token", "keygen", "--label", &label, "--kind", kind]);
        assert_eq!(again.status.code(), Some(1), "{}", text(&again));
        assert!(text(&again).contains("already holds a key labelled"));

        let gone = wirecrypt(env, &["token", "delete", "--label", &label]);
        assert!(gone.status.success(), "{}", text(&gone));
        assert!(text(&gone).contains("deleted 2 key objects"));
        let missing = wirecrypt(env, &["token", "show", "--label", &label]);
        assert_eq!(missing.status.code(), Some(1));
        assert!(text(&missing).contains("no private key labelled"));
    }
    let bad = wirecrypt(env, &["token", "keygen", "--label", "x", "--kind", "dsa"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).contains("valid kinds are: ecdsa-p256, rsa-2048"));
    let nothing = wirecrypt(env, &["token", "delete", "--label", "never-made"]);
    assert_eq!(nothing.status.code(), Some(1));
}

#[test]
fn token_without_configuration_says_what_to_set() {
    let out = Command::new(env!("CARGO_BIN_EXE_wirecrypt"))
        .args(["token", "show", "--label", "x"])
        .env_remove("WIRECRYPT_PKCS11_MODULE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("set WIRECRYPT_PKCS11_MODULE"),
        "{}",
        text(&out)
    );
}
