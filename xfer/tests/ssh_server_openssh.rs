//! OpenSSH's `ssh` client against our server (in-process, on a free port): each cipher
//! through a test subsystem, rekeying, and FIPS mode.

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use support::{TempDir, have, keygen};
use wirecrypt::Engine;
use wirecrypt_xfer::ssh::{
    AuthorizedKeys, KeyPair, Server, ServerConfig, ServerHandle, SubsystemRegistry,
};

const MIB: usize = 1024 * 1024;

/// A test subsystem registry: `echo` copies the channel back; `sink` answers with the
/// hex SHA-256 and length of what it read.
fn subsystems() -> SubsystemRegistry {
    let mut reg = SubsystemRegistry::new();
    reg.register("echo", |mut r, mut w| {
        let _ = std::io::copy(&mut r, &mut w);
    });
    reg.register("sink", |mut r, mut w| {
        let (n, h) = support::hash_reader(&mut r);
        let _ = writeln!(w, "{n} {}", hex(&h));
    });
    reg
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

struct Setup {
    dir: TempDir,
    server: ServerHandle,
}

fn start(engine: Engine, host_key: &str, user_key: &str, rekey: Option<u64>) -> Setup {
    let dir = TempDir::new("ourd");
    keygen(&dir.path("host_key"), host_key);
    keygen(&dir.path("id"), user_key);
    let host = KeyPair::read_openssh_file(&dir.path("host_key")).unwrap();
    let mut cfg = ServerConfig::new(engine, vec![host]);
    cfg.auth.authorized_keys = Some(AuthorizedKeys::read_file(&dir.path("id.pub")).unwrap());
    cfg.subsystems = subsystems();
    cfg.rekey_bytes = rekey;
    let server = Server::bind("127.0.0.1:0", cfg).unwrap().spawn().unwrap();
    let host_pub = std::fs::read_to_string(dir.path("host_key.pub")).unwrap();
    std::fs::write(
        dir.path("known_hosts"),
        format!("[127.0.0.1]:{} {host_pub}", server.local_addr().port()),
    )
    .unwrap();
    Setup { dir, server }
}

fn ssh(s: &Setup, opts: &[&str], subsystem: &str) -> Command {
    ssh_as(s, &s.dir.path("id"), opts, subsystem)
}

fn ssh_as(s: &Setup, identity: &Path, opts: &[&str], subsystem: &str) -> Command {
    let mut c = Command::new("ssh");
    c.args(["-F", "/dev/null", "-p"])
        .arg(s.server.local_addr().port().to_string())
        .arg("-i")
        .arg(identity)
        .args(["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"])
        .args(["-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!(
            "UserKnownHostsFile={}",
            s.dir.path("known_hosts").display()
        ))
        .args(["-o", "GlobalKnownHostsFile=/dev/null"])
        .args(opts)
        .args(["-s", "127.0.0.1", subsystem]);
    c
}

/// Runs `ssh … -s echo` moving `size` pattern bytes through; returns ssh's stderr.
fn echo_through(s: &Setup, opts: &[&str], size: usize) -> String {
    let mut child = ssh(s, opts, "echo")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let h = support::send_pattern(&mut stdin, 5, size, 64 * 1024);
        drop(stdin);
        h
    });
    let mut stdout = child.stdout.take().unwrap();
    let (n, got) = support::hash_reader(&mut stdout);
    let sent = writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ssh {opts:?} failed: {err}");
    assert_eq!(n, size as u64, "{opts:?}: short echo; {err}");
    assert_eq!(got, sent, "{opts:?}: echo corrupted");
    err
}

#[test]
fn openssh_client_through_each_cipher() {
    if !have("ssh", "openssh_client_through_each_cipher") {
        return;
    }
    let s = start(
        Engine::builder().build().unwrap(),
        "ed25519",
        "ed25519",
        None,
    );
    for (cipher, mac) in [
        ("aes128-gcm@openssh.com", None),
        ("aes256-gcm@openssh.com", None),
        ("chacha20-poly1305@openssh.com", None),
        ("aes256-ctr", Some("hmac-sha2-256-etm@openssh.com")),
        ("aes128-ctr", Some("hmac-sha2-512")),
    ] {
        let mut opts = vec!["-c", cipher];
        if let Some(m) = mac {
            opts.extend(["-m", m]);
        }
        let start = std::time::Instant::now();
        echo_through(&s, &opts, 16 * MIB);
        println!(
            "ssh -c {cipher} {}: 16 MiB echoed in {:.2?}",
            mac.unwrap_or(""),
            start.elapsed()
        );
    }
    // The sink subsystem hashes on the server side.
    let mut child = ssh(&s, &[], "sink")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let sent = support::send_pattern(child.stdin.as_mut().unwrap(), 9, 3 * MIB, 50_000);
    drop(child.stdin.take());
    let mut answer = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut answer)
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(answer.trim(), format!("{} {}", 3 * MIB, hex(&sent)));
}

#[test]
fn rekeys_both_ways_with_openssh() {
    if !have("ssh", "rekeys_both_ways_with_openssh") {
        return;
    }
    // OpenSSH rekeys every MiB; our server every 2 MiB.
    let s = start(
        Engine::builder().build().unwrap(),
        "ecdsa256",
        "ecdsa256",
        Some(2 * MIB as u64),
    );
    let err = echo_through(&s, &["-v", "-o", "RekeyLimit=1M"], 16 * MIB);
    let kexes = err.matches("SSH2_MSG_NEWKEYS received").count();
    println!("16 MiB echoed: OpenSSH saw {kexes} key exchanges");
    assert!(kexes >= 16, "expected a rekey per MiB:\n{err}");
}

#[test]
fn fips_server_refuses_chacha_and_accepts_an_approved_offer() {
    if !have(
        "ssh",
        "fips_server_refuses_chacha_and_accepts_an_approved_offer",
    ) {
        return;
    }
    let engine = Engine::builder().fips(true).build().unwrap();
    let s = start(engine, "ecdsa256", "ecdsa256", None);
    let out = ssh(&s, &["-c", "chacha20-poly1305@openssh.com"], "echo")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("no matching cipher"), "{err}");
    assert!(
        !err.contains("chacha20-poly1305@openssh.com,"),
        "we must not offer chacha: {err}"
    );
    // An approved offer works, and the negotiated names are all approved.
    let err = echo_through(&s, &["-v", "-c", "aes256-gcm@openssh.com"], MIB);
    assert!(err.contains("kex: algorithm: ecdh-sha2-nistp256"), "{err}");
    assert!(
        err.contains("host key algorithm: ecdsa-sha2-nistp256"),
        "{err}"
    );
}

#[test]
fn a_key_not_in_authorized_keys_is_refused() {
    if !have("ssh", "wrong_user_key_is_refused_after_limited_attempts") {
        return;
    }
    let s = start(
        Engine::builder().build().unwrap(),
        "ed25519",
        "ed25519",
        None,
    );
    keygen(&s.dir.path("stranger"), "ed25519");
    let out = ssh_as(&s, &s.dir.path("stranger"), &[], "echo")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("Permission denied"), "{err}");
}

#[test]
fn rsa_host_and_user_keys() {
    if !have("ssh", "rsa_host_and_user_keys") {
        return;
    }
    let s = start(Engine::builder().build().unwrap(), "rsa", "rsa", None);
    let err = echo_through(&s, &["-v"], MIB);
    assert!(err.contains("host key algorithm: rsa-sha2-512"), "{err}");
    assert!(err.contains("Authenticated to 127.0.0.1"), "{err}");
    // rsa-sha2-256 for the host key and the user key.
    let opts = [
        "-v",
        "-o",
        "HostKeyAlgorithms=rsa-sha2-256",
        "-o",
        "PubkeyAcceptedAlgorithms=rsa-sha2-256",
    ];
    let err = echo_through(&s, &opts, MIB);
    assert!(err.contains("host key algorithm: rsa-sha2-256"), "{err}");
    assert!(err.contains("Authenticated to 127.0.0.1"), "{err}");
}

#[test]
fn short_rsa_user_keys_are_refused() {
    if !have("ssh", "short_rsa_user_keys_are_refused") {
        return;
    }
    // The 1024-bit key is in authorized_keys; the server still refuses it.
    let s = start(
        Engine::builder().build().unwrap(),
        "ed25519",
        "rsa1024",
        None,
    );
    let out = ssh(&s, &["-v"], "echo")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("Offering public key"), "{err}");
    assert!(!err.contains("Server accepts key"), "{err}");
    assert!(err.contains("Permission denied"), "{err}");
}
