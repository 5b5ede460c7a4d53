//! Our SSH client against OpenSSH's sshd on 127.0.0.1: every cipher, kex and host-key
//! type, 64 MiB each way with SHA-256 compared, and rekeying mid-transfer.

mod support;

use std::io::Write;

use support::{Sshd, hash_reader, have, send_pattern, sha256_file, user};
use wirecrypt::Engine;
use wirecrypt_xfer::ssh::{Client, ClientConfig, KeyPair};

const MIB: usize = 1024 * 1024;

fn engine() -> Engine {
    Engine::builder().build().unwrap()
}

fn config(sshd: &Sshd) -> ClientConfig {
    let mut c = ClientConfig::new(engine(), &user(), sshd.dir.path("known_hosts"));
    c.identity = Some(KeyPair::read_openssh_file(&sshd.dir.path("id")).unwrap());
    c
}

/// Uploads `size` bytes with `cat > file`, checks the file's hash, downloads it with
/// `cat file` and checks that hash too.
fn round_trip(client: &Client, sshd: &Sshd, size: usize, seed: u64) {
    let file = sshd.dir.path(&format!("data-{seed}.bin"));
    let (r, mut w) = client
        .open_exec(&format!("cat > {}", file.display()))
        .unwrap();
    let sent = send_pattern(&mut w, seed, size, 200_000);
    w.flush().unwrap();
    w.finish().unwrap();
    let st = r.exit_status();
    if st != Some(0) {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert_eq!(st, Some(0), "cat > file failed\n{}", sshd.log());
    drop(w);
    assert_eq!(sha256_file(&file), sent, "upload corrupted");

    let (mut r, w) = client
        .open_exec(&format!("cat {}", file.display()))
        .unwrap();
    drop(w);
    let (n, got) = hash_reader(&mut r);
    assert_eq!(n, size as u64);
    assert_eq!(got, sent, "download corrupted");
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn every_cipher_moves_64_mib_each_way() {
    if !have("sshd", "every_cipher_moves_64_mib_each_way") {
        return;
    }
    let sshd = Sshd::start("ed25519", "");
    for (cipher, mac) in [
        ("aes128-gcm@openssh.com", None),
        ("aes256-gcm@openssh.com", None),
        ("chacha20-poly1305@openssh.com", None),
        ("aes256-ctr", Some("hmac-sha2-256-etm@openssh.com")),
        ("aes128-ctr", Some("hmac-sha2-512")),
    ] {
        let mut c = config(&sshd);
        c.ciphers = Some(vec![cipher.into()]);
        if let Some(m) = mac {
            c.macs = Some(vec![m.into()]);
        }
        let client = Client::connect(("127.0.0.1", sshd.port), c)
            .unwrap_or_else(|e| panic!("{cipher}: {e}\n{}", sshd.log()));
        let n = client.info().negotiated().unwrap();
        assert_eq!(n.cipher_c2s, cipher);
        assert_eq!(n.mac_c2s.as_deref(), mac);
        let start = std::time::Instant::now();
        round_trip(&client, &sshd, 64 * MIB, 7);
        println!(
            "{cipher} {}: 64 MiB up + down in {:.2?}",
            mac.unwrap_or(""),
            start.elapsed()
        );
    }
}

#[test]
fn every_kex_and_host_key_type() {
    if !have("sshd", "every_kex_and_host_key_type") {
        return;
    }
    for host_key in ["ed25519", "ecdsa256", "ecdsa384"] {
        let sshd = Sshd::start(host_key, "");
        for kex in [
            "curve25519-sha256",
            "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256",
            "ecdh-sha2-nistp384",
        ] {
            let mut c = config(&sshd);
            c.kex = Some(vec![kex.into()]);
            let client = Client::connect(("127.0.0.1", sshd.port), c)
                .unwrap_or_else(|e| panic!("{host_key} {kex}: {e}\n{}", sshd.log()));
            let n = client.info().negotiated().unwrap();
            assert_eq!(n.kex, kex);
            assert!(n.strict, "OpenSSH offers strict KEX; we must use it");
            round_trip(&client, &sshd, MIB, 3);
            println!("{host_key} host key, {kex}: ok ({})", n.host_key);
        }
    }
}

#[test]
fn rekeys_mid_transfer_both_ways() {
    if !have("sshd", "rekeys_mid_transfer_both_ways") {
        return;
    }
    // sshd rekeys every MiB; our side every 3 MiB.
    let sshd = Sshd::start("ed25519", "RekeyLimit 1M");
    let mut c = config(&sshd);
    c.rekey_bytes = Some(3 * MIB as u64);
    let client = Client::connect(("127.0.0.1", sshd.port), c).unwrap();
    round_trip(&client, &sshd, 16 * MIB, 11);
    let kexes = client.info().kex_count();
    println!("16 MiB each way: {kexes} key exchanges");
    assert!(
        kexes >= 16,
        "expected a rekey per MiB, saw {kexes} key exchanges"
    );
}

#[test]
fn unknown_and_changed_host_keys_are_refused_unless_accept_new() {
    if !have(
        "sshd",
        "unknown_and_changed_host_keys_are_refused_unless_accept_new",
    ) {
        return;
    }
    let sshd = Sshd::start("ed25519", "");
    // Unknown: an empty known_hosts.
    let empty = sshd.dir.path("empty_known_hosts");
    let mut c = config(&sshd);
    c.known_hosts = empty.clone();
    let err = Client::connect(("127.0.0.1", sshd.port), c.clone()).unwrap_err();
    assert!(err.to_string().contains("no known_hosts entry"), "{err}");
    // accept-new records it; the next strict connection accepts it.
    c.host_key_policy = wirecrypt_xfer::ssh::HostKeyPolicy::AcceptNew;
    Client::connect(("127.0.0.1", sshd.port), c.clone()).unwrap();
    c.host_key_policy = wirecrypt_xfer::ssh::HostKeyPolicy::Strict;
    Client::connect(("127.0.0.1", sshd.port), c.clone()).unwrap();
    // Changed: known_hosts holds another key for the host.
    support::keygen(&sshd.dir.path("other"), "ed25519");
    let other = std::fs::read_to_string(sshd.dir.path("other.pub")).unwrap();
    std::fs::write(&empty, format!("[127.0.0.1]:{} {other}", sshd.port)).unwrap();
    c.host_key_policy = wirecrypt_xfer::ssh::HostKeyPolicy::AcceptNew;
    let err = Client::connect(("127.0.0.1", sshd.port), c).unwrap_err();
    assert!(
        err.to_string().contains("differs from known_hosts"),
        "{err}"
    );
}

#[test]
fn rsa_and_ecdsa_keys_both_ways_and_the_raw_sftp_subsystem() {
    if !have(
        "sshd",
        "rsa_and_ecdsa_keys_both_ways_and_the_raw_sftp_subsystem",
    ) {
        return;
    }
    for (host_key, user_key) in [("rsa", "rsa"), ("ecdsa384", "ecdsa256")] {
        let sshd = Sshd::start_with_user_key(host_key, user_key, "");
        let client = Client::connect(("127.0.0.1", sshd.port), config(&sshd))
            .unwrap_or_else(|e| panic!("{host_key}/{user_key}: {e}\n{}", sshd.log()));
        round_trip(&client, &sshd, MIB, 5);
        // The sftp subsystem, raw: SSH_FXP_INIT version 3 gets SSH_FXP_VERSION 3.
        let (mut r, mut w) = client.open_subsystem("sftp").unwrap();
        w.write_all(&[0, 0, 0, 5, 1, 0, 0, 0, 3]).unwrap();
        let mut head = [0u8; 9];
        std::io::Read::read_exact(&mut r, &mut head).unwrap();
        assert_eq!(head[4], 2, "SSH_FXP_VERSION");
        assert_eq!(&head[5..9], &[0, 0, 0, 3]);
        println!(
            "{host_key} host key, {user_key} user key: ok ({})",
            client.info().negotiated().unwrap().host_key
        );
    }
}
