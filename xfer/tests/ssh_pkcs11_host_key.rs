//! The server's host key in a PKCS#11 token (SoftHSM2, made by `scripts/softhsm-token`):
//! an ECDSA P-256 key generated inside the token signs every exchange hash, and
//! OpenSSH's `ssh` checks it through known_hosts — accepting the token's public key and
//! refusing another.
//!
//! Run: `cargo test -p wirecrypt-xfer --features pkcs11 --test ssh_pkcs11_host_key`.
#![cfg(feature = "pkcs11")]

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::{TempDir, have, keygen};
use wirecrypt::Engine;
use wirecrypt::provider::pkcs11::{KeyKind, Pkcs11};
use wirecrypt_xfer::ssh::{AuthorizedKeys, KeyPair, Server, ServerConfig, SubsystemRegistry};

/// Makes a throwaway token and points this process's environment at it; false (with
/// the reason printed) when softhsm2 is missing outside CI.
fn make_token() -> bool {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/softhsm-token");
    let out = Command::new(&script).output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            let msg = format!(
                "cannot make a SoftHSM2 token with {}: {why}",
                script.display()
            );
            if std::env::var_os("CI").is_some() {
                panic!("{msg} (CI is set, so this fails)");
            }
            println!("SKIPPED: {msg}");
            return false;
        }
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            // SAFETY: this file holds one test, which calls this before it starts any
            // thread or reads the environment elsewhere.
            unsafe { std::env::set_var(k, v.trim_matches('\'')) };
        }
    }
    true
}

/// `ssh` to our server at `port`, running the `echo` subsystem on "hello".
fn ssh_echo(dir: &TempDir, port: u16) -> Output {
    let mut child = Command::new("ssh")
        .args(["-F", "/dev/null", "-p", &port.to_string(), "-i"])
        .arg(dir.path("id"))
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.path("known_hosts").display()
        ))
        .args([
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "HostKeyAlgorithms=ecdsa-sha2-nistp256",
            "-s",
            "tester@127.0.0.1",
            "echo",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn openssh_checks_a_host_key_that_signs_inside_the_token() {
    if !have(
        "ssh",
        "openssh_checks_a_host_key_that_signs_inside_the_token",
    ) || !make_token()
    {
        return;
    }
    let label = format!("ssh-host-{}", std::process::id());
    let token = Pkcs11::from_env().unwrap();
    token.generate_key_pair(&label, KeyKind::EcdsaP256).unwrap();
    let host = KeyPair::from_token(&label).unwrap();
    assert_eq!(host.signature_algorithms(), ["ecdsa-sha2-nistp256"]);
    // A label the token does not hold is an error, not a panic.
    assert!(KeyPair::from_token("no-such-label").is_err());

    let dir = TempDir::new("pkcs11-host");
    keygen(&dir.path("id"), "ed25519");
    let mut cfg = ServerConfig::new(Engine::builder().build().unwrap(), vec![host.clone()]);
    cfg.auth.authorized_keys = Some(AuthorizedKeys::read_file(&dir.path("id.pub")).unwrap());
    let mut reg = SubsystemRegistry::new();
    reg.register("echo", |mut r, mut w| {
        let _ = std::io::copy(&mut r, &mut w);
    });
    cfg.subsystems = reg;
    let server = Server::bind("127.0.0.1:0", cfg).unwrap().spawn().unwrap();
    let port = server.local_addr().port();

    // known_hosts lists the token's public key: ssh verifies the signature and talks.
    let public = host.public_key().to_openssh().unwrap();
    std::fs::write(
        dir.path("known_hosts"),
        format!("[127.0.0.1]:{port} {public}\n"),
    )
    .unwrap();
    let out = ssh_echo(&dir, port);
    assert!(
        out.status.success(),
        "ssh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"hello\n");

    // known_hosts lists another P-256 key under the same name: ssh refuses.
    keygen(&dir.path("other"), "ecdsa256");
    let other = std::fs::read_to_string(dir.path("other.pub")).unwrap();
    std::fs::write(
        dir.path("known_hosts"),
        format!("[127.0.0.1]:{port} {other}"),
    )
    .unwrap();
    let out = ssh_echo(&dir, port);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("HOST IDENTIFICATION HAS CHANGED"), "{err}");
    token.delete_key_pair(&label).unwrap();
    println!("OpenSSH accepted the token's host key and refused another");
}
