//! SFTP over our SSH transport, end to end on 127.0.0.1: our client against OpenSSH's
//! sshd (`internal-sftp`), OpenSSH's `sftp` against our server, rekeying in the middle
//! of transfers both ways, and two clients at once.

mod support;

use std::fs::File;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use support::{Sshd, TempDir, have, keygen, send_pattern, sha256_file, user};
use wirecrypt::Engine;
use wirecrypt_xfer::sftp::{ClientOptions, Config, over_ssh};
use wirecrypt_xfer::ssh::{
    AuthorizedKeys, Client, ClientConfig, KeyPair, Server, ServerConfig, ServerHandle,
    SubsystemRegistry,
};
use wirecrypt_xfer::users::UsersFile;

const MIB: usize = 1024 * 1024;

/// The cipher (and MAC, for the CTR modes) pairs every test runs.
const SUITES: [(&str, Option<&str>); 5] = [
    ("aes128-gcm@openssh.com", None),
    ("aes256-gcm@openssh.com", None),
    ("chacha20-poly1305@openssh.com", None),
    ("aes256-ctr", Some("hmac-sha2-256-etm@openssh.com")),
    ("aes128-ctr", Some("hmac-sha2-512")),
];

/// 64 MiB for the first suite, less for the rest: together they stay quick in CI.
fn size_for(i: usize) -> usize {
    if i == 0 { 64 * MIB } else { 8 * MIB }
}

fn engine() -> Engine {
    Engine::builder().build().unwrap()
}

/// Writes `size` pattern bytes to `path`; returns their SHA-256.
fn make_file(path: &Path, size: usize, seed: u64) -> [u8; 32] {
    let mut f = File::create(path).unwrap();
    send_pattern(&mut f, seed, size, 1 << 20)
}

fn client_for_sshd(sshd: &Sshd, cipher: &str, mac: Option<&str>) -> Client {
    let mut c = ClientConfig::new(engine(), &user(), sshd.dir.path("known_hosts"));
    c.identity = Some(KeyPair::read_openssh_file(&sshd.dir.path("id")).unwrap());
    c.ciphers = Some(vec![cipher.into()]);
    if let Some(m) = mac {
        c.macs = Some(vec![m.into()]);
    }
    Client::connect(("127.0.0.1", sshd.port), c)
        .unwrap_or_else(|e| panic!("{cipher}: {e}\n{}", sshd.log()))
}

#[test]
fn our_client_puts_and_gets_through_sshd_with_every_cipher() {
    if !have(
        "sshd",
        "our_client_puts_and_gets_through_sshd_with_every_cipher",
    ) {
        return;
    }
    let sshd = Sshd::start("ed25519", "");
    let local = TempDir::new("sftp-ssh-local");
    for (i, (cipher, mac)) in SUITES.into_iter().enumerate() {
        let size = size_for(i);
        let client = client_for_sshd(&sshd, cipher, mac);
        let n = client.info().negotiated().unwrap();
        assert_eq!(
            (n.cipher_c2s.as_str(), n.cipher_s2c.as_str()),
            (cipher, cipher)
        );
        assert_eq!(n.mac_c2s.as_deref(), mac);
        let mut sftp = over_ssh::open(&client, ClientOptions::default()).unwrap();
        // OpenSSH's server announces limits@openssh.com: full-size requests.
        assert_eq!(sftp.request_sizes(), (261_120, 261_120));
        let src = local.path(&format!("src-{i}"));
        let want = make_file(&src, size, i as u64 + 1);
        let remote = sshd.dir.path(&format!("remote-{i}"));
        let start = std::time::Instant::now();
        assert_eq!(
            sftp.put_file(&src, remote.to_str().unwrap()).unwrap(),
            size as u64
        );
        assert_eq!(sha256_file(&remote), want, "{cipher}: upload corrupted");
        let back = local.path(&format!("back-{i}"));
        assert_eq!(
            sftp.get_file(remote.to_str().unwrap(), &back).unwrap(),
            size as u64
        );
        assert_eq!(sha256_file(&back), want, "{cipher}: download corrupted");
        println!(
            "{cipher} {}: {} MiB put + get in {:.2?}",
            mac.unwrap_or(""),
            size / MIB,
            start.elapsed()
        );
        drop(sftp);
        client.disconnect();
        for p in [&src, &back, &remote] {
            std::fs::remove_file(p).unwrap();
        }
    }
}

#[test]
fn our_client_rekeys_mid_transfer_against_sshd() {
    if !have("sshd", "our_client_rekeys_mid_transfer_against_sshd") {
        return;
    }
    let sshd = Sshd::start("ed25519", "");
    let local = TempDir::new("sftp-ssh-rekey");
    let mut c = ClientConfig::new(engine(), &user(), sshd.dir.path("known_hosts"));
    c.identity = Some(KeyPair::read_openssh_file(&sshd.dir.path("id")).unwrap());
    c.rekey_bytes = Some(MIB as u64);
    let client = Client::connect(("127.0.0.1", sshd.port), c).unwrap();
    let mut sftp = over_ssh::open(&client, ClientOptions::default()).unwrap();
    let src = local.path("src");
    let want = make_file(&src, 16 * MIB, 5);
    let remote = sshd.dir.path("rekeyed");
    sftp.put_file(&src, remote.to_str().unwrap()).unwrap();
    let after_put = client.info().kex_count();
    sftp.get_file(remote.to_str().unwrap(), local.path("back"))
        .unwrap();
    let after_get = client.info().kex_count();
    assert_eq!(sha256_file(&remote), want);
    assert_eq!(sha256_file(&local.path("back")), want);
    // 1 MiB per key: 16 MiB each way cannot pass without several rekeys.
    assert!(
        after_put >= 4,
        "only {after_put} key exchanges by the end of the put"
    );
    assert!(
        after_get >= after_put + 4,
        "only {after_get} key exchanges after the get"
    );
    println!("key exchanges: {after_put} after put, {after_get} after get");
}

/// Our server with the `sftp` subsystem over `root`, an ssh-keygen host key, an
/// authorized_keys file and a users file (user `ann`, password in `password`).
struct OurServer {
    dir: TempDir,
    handle: ServerHandle,
}

const PASSWORD: &str = "correct horse battery";

impl OurServer {
    fn start(adjust: impl FnOnce(&mut ServerConfig)) -> OurServer {
        let dir = TempDir::new("sftp-ours");
        std::fs::create_dir(dir.path("root")).unwrap();
        keygen(&dir.path("host_key"), "ed25519");
        keygen(&dir.path("id"), "ecdsa256");
        let host = KeyPair::read_openssh_file(&dir.path("host_key")).unwrap();
        let mut users = UsersFile::new().with_iterations(1000);
        users.add("ann", PASSWORD).unwrap();
        let mut cfg = ServerConfig::new(engine(), vec![host]);
        cfg.auth.authorized_keys = Some(AuthorizedKeys::read_file(&dir.path("id.pub")).unwrap());
        cfg.auth.password = Some(Arc::new(users));
        let mut reg = SubsystemRegistry::new();
        over_ssh::register(&mut reg, dir.path("root"), Config::default());
        cfg.subsystems = reg;
        adjust(&mut cfg);
        let handle = Server::bind("127.0.0.1:0", cfg).unwrap().spawn().unwrap();
        // known_hosts as ssh-keyscan would write it: our host key for [127.0.0.1]:port.
        let host_pub = std::fs::read_to_string(dir.path("host_key.pub")).unwrap();
        std::fs::write(
            dir.path("known_hosts"),
            format!("[127.0.0.1]:{} {host_pub}", handle.local_addr().port()),
        )
        .unwrap();
        std::fs::write(
            dir.path("askpass"),
            format!("#!/bin/sh\necho '{PASSWORD}'\n"),
        )
        .unwrap();
        std::fs::set_permissions(
            dir.path("askpass"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        OurServer { dir, handle }
    }

    fn root(&self, name: &str) -> std::path::PathBuf {
        self.dir.path("root").join(name)
    }

    /// Runs OpenSSH `sftp -b batch` against the server: publickey with the ssh-keygen
    /// key as `user`, or the users file's password when `password` is set.
    fn sftp(&self, batch: &str, password: bool, extra: &[&str]) -> Output {
        std::fs::write(self.dir.path("batch"), batch).unwrap();
        let mut cmd = Command::new("sftp");
        // `-b` turns on BatchMode (no password prompt) unless an earlier option says
        // otherwise: the first value given wins.
        cmd.args(["-o", "BatchMode=no"])
            .arg("-b")
            .arg(self.dir.path("batch"))
            .args(["-P", &self.handle.local_addr().port().to_string()])
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                self.dir.path("known_hosts").display()
            ))
            .args([
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-F",
                "/dev/null",
            ])
            .args(extra)
            .stdin(Stdio::null());
        if password {
            cmd.args([
                "-o",
                "PreferredAuthentications=password",
                "-o",
                "PubkeyAuthentication=no",
            ])
            .env("SSH_ASKPASS", self.dir.path("askpass"))
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env("DISPLAY", ":0")
            .arg("ann@127.0.0.1");
        } else {
            cmd.arg("-i")
                .arg(self.dir.path("id"))
                .args([
                    "-o",
                    "PreferredAuthentications=publickey",
                    "-o",
                    "IdentitiesOnly=yes",
                ])
                .arg("tester@127.0.0.1");
        }
        cmd.output().unwrap()
    }
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: sftp exited with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn openssh_sftp_runs_every_command_against_our_server_with_every_cipher() {
    if !have(
        "sftp",
        "openssh_sftp_runs_every_command_against_our_server_with_every_cipher",
    ) {
        return;
    }
    let s = OurServer::start(|_| {});
    let local = TempDir::new("sftp-ours-local");
    for (i, (cipher, mac)) in SUITES.into_iter().enumerate() {
        let size = size_for(i);
        let src = local.path(&format!("src-{i}"));
        let want = make_file(&src, size, 40 + i as u64);
        let back = local.path(&format!("back-{i}"));
        let batch = format!(
            "mkdir d{i}\n\
             put {src} d{i}/up\n\
             ls -l d{i}\n\
             get d{i}/up {back}\n\
             rename d{i}/up d{i}/moved\n\
             symlink moved d{i}/link\n\
             chmod 600 d{i}/moved\n\
             ls -l d{i}\n\
             rm d{i}/link\n",
            src = src.display(),
            back = back.display(),
        );
        let macs = mac.map(|m| format!("MACs={m}"));
        let mut extra = vec!["-c", cipher];
        if let Some(m) = &macs {
            extra.extend(["-o", m.as_str()]);
        }
        // Publickey for the GCM suites, the users file's password for the rest.
        let password = i >= 2;
        let out = s.sftp(&batch, password, &extra);
        assert_ok(&out, cipher);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("up") && stdout.contains("moved") && stdout.contains("link"),
            "{cipher}: ls output misses entries:\n{stdout}"
        );
        assert_eq!(sha256_file(&back), want, "{cipher}: get corrupted");
        let moved = s.root(&format!("d{i}/moved"));
        assert_eq!(sha256_file(&moved), want, "{cipher}: put corrupted");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&moved).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(
            !s.root(&format!("d{i}/up")).exists(),
            "rename left the source"
        );
        assert!(
            std::fs::symlink_metadata(s.root(&format!("d{i}/link"))).is_err(),
            "rm left the symlink"
        );
        println!(
            "sftp -c {cipher} ({}): {} MiB, every command",
            if password { "password" } else { "publickey" },
            size / MIB
        );
        std::fs::remove_file(&src).unwrap();
        std::fs::remove_file(&back).unwrap();
    }
}

#[test]
fn a_changed_host_key_is_refused_by_openssh_sftp() {
    if !have("sftp", "a_changed_host_key_is_refused_by_openssh_sftp") {
        return;
    }
    let s = OurServer::start(|_| {});
    // Another key under our server's name: OpenSSH must refuse to talk to it.
    keygen(&s.dir.path("other"), "ed25519");
    let other = std::fs::read_to_string(s.dir.path("other.pub")).unwrap();
    std::fs::write(
        s.dir.path("known_hosts"),
        format!("[127.0.0.1]:{} {other}", s.handle.local_addr().port()),
    )
    .unwrap();
    let out = s.sftp("ls\n", false, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("HOST IDENTIFICATION HAS CHANGED")
            || err.contains("Host key verification failed"),
        "{err}"
    );
}

#[test]
fn both_ends_rekey_mid_transfer_with_openssh_sftp() {
    if !have("sftp", "both_ends_rekey_mid_transfer_with_openssh_sftp") {
        return;
    }
    // Our server rekeys every 2 MiB, OpenSSH every 1 MiB.
    let s = OurServer::start(|cfg| cfg.rekey_bytes = Some(2 * MIB as u64));
    let local = TempDir::new("sftp-ours-rekey");
    let src = local.path("src");
    let want = make_file(&src, 16 * MIB, 77);
    let back = local.path("back");
    let batch = format!("put {} big\nget big {}\n", src.display(), back.display());
    let out = s.sftp(&batch, false, &["-o", "RekeyLimit=1M", "-v"]);
    assert_ok(&out, "rekey");
    assert_eq!(sha256_file(&s.root("big")), want);
    assert_eq!(sha256_file(&back), want);
    let log = String::from_utf8_lossy(&out.stderr);
    let kexes = log.matches("SSH2_MSG_NEWKEYS received").count();
    assert!(
        kexes >= 8,
        "only {kexes} key exchanges seen by OpenSSH:\n{log}"
    );
    println!("OpenSSH saw {kexes} key exchanges");
}

#[test]
fn a_second_client_transfers_at_the_same_time_unaffected() {
    if !have(
        "sftp",
        "a_second_client_transfers_at_the_same_time_unaffected",
    ) {
        return;
    }
    let s = OurServer::start(|_| {});
    let local = TempDir::new("sftp-ours-two");
    let src_a = local.path("a");
    let want_a = make_file(&src_a, 24 * MIB, 1);
    let src_b = local.path("b");
    let want_b = make_file(&src_b, 24 * MIB, 2);
    // OpenSSH's sftp uploads one file while our client uploads and downloads another.
    let batch = format!("put {} a\n", src_a.display());
    let ours = {
        let mut c = ClientConfig::new(engine(), "tester", s.dir.path("known_hosts"));
        c.identity = Some(KeyPair::read_openssh_file(&s.dir.path("id")).unwrap());
        let addr = s.handle.local_addr();
        let src_b = src_b.clone();
        let back = local.path("b-back");
        std::thread::spawn(move || {
            let client = Client::connect(addr, c).unwrap();
            let mut sftp = over_ssh::open(&client, ClientOptions::default()).unwrap();
            sftp.put_file(&src_b, "b").unwrap();
            sftp.get_file("b", &back).unwrap();
            back
        })
    };
    let out = s.sftp(&batch, true, &[]);
    let back = ours.join().unwrap();
    assert_ok(&out, "second client");
    assert_eq!(sha256_file(&s.root("a")), want_a);
    assert_eq!(sha256_file(&s.root("b")), want_b);
    assert_eq!(sha256_file(&back), want_b);
}

#[test]
fn our_client_and_server_with_password_login() {
    if !have("ssh-keygen", "our_client_and_server_with_password_login") {
        return;
    }
    let s = OurServer::start(|_| {});
    let local = TempDir::new("sftp-ours-pw");
    let mut c = ClientConfig::new(engine(), "ann", s.dir.path("known_hosts"));
    c.password = Some(PASSWORD.into());
    let client = Client::connect(s.handle.local_addr(), c).unwrap();
    let mut sftp = over_ssh::open(&client, ClientOptions::default()).unwrap();
    assert_eq!(sftp.request_sizes(), (261_120, 261_120));
    let src = local.path("src");
    let want = make_file(&src, 4 * MIB, 9);
    sftp.put_file(&src, "f").unwrap();
    assert_eq!(sha256_file(&s.root("f")), want);
    // Confined: the root's parent is out of reach.
    assert!(sftp.stat("../host_key").is_err());
    // A wrong password is refused.
    let mut bad = ClientConfig::new(engine(), "ann", s.dir.path("known_hosts"));
    bad.password = Some("wrong".into());
    assert!(Client::connect(s.handle.local_addr(), bad).is_err());
}

#[test]
fn our_server_reassembles_cut_frames_and_ends_on_hostile_lengths() {
    use std::io::Write;
    if !have(
        "ssh-keygen",
        "our_server_reassembles_cut_frames_and_ends_on_hostile_lengths",
    ) {
        return;
    }
    let s = OurServer::start(|_| {});
    let mut c = ClientConfig::new(engine(), "ann", s.dir.path("known_hosts"));
    c.password = Some(PASSWORD.into());
    let client = Client::connect(s.handle.local_addr(), c).unwrap();
    for hostile in [0u32, 300 * 1024, u32::MAX] {
        let (mut r, mut w) = client.open_subsystem(over_ssh::SUBSYSTEM).unwrap();
        // INIT, one byte per CHANNEL_DATA packet: the server puts the frame together.
        for b in [0, 0, 0, 5, 1, 0, 0, 0, 3] {
            w.write_all(&[b]).unwrap();
        }
        let mut version = Vec::new();
        assert!(r.read_message(&mut version, 1 << 20).unwrap());
        assert_eq!(&version[..5], &[2, 0, 0, 0, 3], "VERSION 3");
        w.write_all(&hostile.to_be_bytes()).unwrap();
        // The server may have closed the channel already: this write may fail.
        let _ = w.write_all(&[1; 64]);
        // The server ends the session as failed (exit status 1) and closes the channel.
        assert_eq!(r.exit_status(), Some(1), "length {hostile}");
        assert!(!r.read_message(&mut version, 1 << 20).unwrap());
    }
}
