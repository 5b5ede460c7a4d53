//! Our client against our server on 127.0.0.1: rekeying with low limits on both sides,
//! password authentication through the hook with limited, delayed failures, and FIPS
//! mode on both ends.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use support::ours::{MIB, client_config, echo, start, start_with};
use wirecrypt::Engine;
use wirecrypt_xfer::ssh::{Client, PasswordCheck, SshError};

#[test]
fn our_client_and_server_rekey_with_low_limits_mid_transfer() {
    let s = start(Some(MIB as u64));
    let kexes = echo(
        s.server.local_addr(),
        client_config(&s, Some(MIB as u64)),
        24 * MIB,
    );
    println!("24 MiB echoed between our client and server: {kexes} key exchanges");
    assert!(kexes >= 24, "expected a rekey per MiB, saw {kexes}");
}

struct OnePassword;

impl PasswordCheck for OnePassword {
    fn check(&self, user: &str, password: &str) -> bool {
        user == "tester" && password == "correct horse"
    }
}

#[test]
fn password_hook_with_limited_and_delayed_failures() {
    let delay = Duration::from_millis(200);
    let s = start_with(None, |cfg| {
        cfg.auth.password = Some(Arc::new(OnePassword));
        cfg.auth.max_attempts = 2;
        cfg.auth.failure_delay = delay;
    });
    let addr = s.server.local_addr();
    let mut cfg = client_config(&s, None);
    cfg.identity = None;
    cfg.password = Some("correct horse".into());
    echo(addr, cfg.clone(), MIB);

    cfg.password = Some("wrong".into());
    let started = Instant::now();
    let err = Client::connect(addr, cfg.clone()).unwrap_err();
    assert!(matches!(err, SshError::Auth(_)), "{err:?}");
    assert!(started.elapsed() >= delay, "a failure must be delayed");

    // A key the server does not know, then the wrong password: the second failure
    // reaches the limit and the server disconnects (reason 14, no more auth methods).
    cfg.identity = Some(wirecrypt_xfer::ssh::KeyPair::new(stranger()).unwrap());
    let err = Client::connect(addr, cfg).unwrap_err();
    assert!(
        matches!(err, SshError::Disconnected { code: 14, .. }),
        "{err:?}"
    );
    println!("after two failures: {err}");
}

fn stranger() -> ssh_key::PrivateKey {
    ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[99; 32]))
}

#[test]
fn fips_mode_on_both_ends_negotiates_only_approved_names() {
    // FIPS mode refuses Ed25519 keys, so both keys are ECDSA P-256 here.
    let host = ecdsa();
    let user = ecdsa();
    let s = start_with(None, |cfg| {
        cfg.engine = Engine::builder().fips(true).build().unwrap();
        cfg.host_keys = vec![Arc::new(host.clone())];
        cfg.auth.authorized_keys = Some(wirecrypt_xfer::ssh::AuthorizedKeys::from_keys(vec![
            user.public_key().clone(),
        ]));
    });
    let kh = s.dir.path("known_hosts");
    std::fs::write(
        &kh,
        format!(
            "[127.0.0.1]:{} {}\n",
            s.server.local_addr().port(),
            host.public_key().to_openssh().unwrap()
        ),
    )
    .unwrap();
    let mut cfg = client_config(&s, None);
    cfg.engine = Engine::builder().fips(true).build().unwrap();
    cfg.identity = Some(user);
    let client = Client::connect(s.server.local_addr(), cfg).unwrap();
    let n = client.info().negotiated().unwrap();
    for (kind, name) in [
        (wirecrypt::fips::policy::Kind::SshKex, n.kex.as_str()),
        (wirecrypt::fips::policy::Kind::SshKey, n.host_key.as_str()),
        (
            wirecrypt::fips::policy::Kind::SshCipher,
            n.cipher_c2s.as_str(),
        ),
        (
            wirecrypt::fips::policy::Kind::SshCipher,
            n.cipher_s2c.as_str(),
        ),
    ] {
        assert!(
            wirecrypt::fips::policy::lookup(kind, name)
                .status
                .is_approved(),
            "{name} is not approved"
        );
    }
    println!(
        "FIPS both ends: {} / {} / {}",
        n.kex, n.host_key, n.cipher_c2s
    );
}

fn ecdsa() -> wirecrypt_xfer::ssh::KeyPair {
    let mut rng = Engine::builder().build().unwrap().rng();
    let key = ssh_key::PrivateKey::random(
        &mut rng,
        ssh_key::Algorithm::Ecdsa {
            curve: ssh_key::EcdsaCurve::NistP256,
        },
    )
    .unwrap();
    wirecrypt_xfer::ssh::KeyPair::new(key).unwrap()
}

#[test]
fn the_server_disconnects_idle_clients_but_not_busy_ones() {
    use std::io::{Read, Write};
    let idle = Duration::from_millis(500);
    let s = start_with(None, |cfg| cfg.idle_timeout = Some(idle));
    let addr = s.server.local_addr();

    let quiet = Client::connect(addr, client_config(&s, None)).unwrap();
    let busy = Client::connect(addr, client_config(&s, None)).unwrap();
    let (mut r, mut w) = busy.open_subsystem("echo").unwrap();
    // The busy client sends a little every 100 ms, for three times the idle timeout.
    let started = Instant::now();
    let mut byte = [0u8; 1];
    while started.elapsed() < idle * 3 {
        w.write_all(b"x").unwrap();
        w.flush().unwrap();
        r.read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"x");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The quiet one has been disconnected by now.
    let err = quiet.open_subsystem("echo").unwrap_err();
    assert!(
        matches!(&err, SshError::Closed(why) if why.contains("timeout")),
        "{err:?}"
    );
    println!("idle client: {err}");
    // The busy one still works.
    w.write_all(b"y").unwrap();
    w.flush().unwrap();
    r.read_exact(&mut byte).unwrap();
    assert_eq!(&byte, b"y");
}

#[test]
fn a_subsystem_ends_with_the_exit_status_its_handler_returned() {
    use std::io::{Read, Write};
    let s = start_with(None, |cfg| {
        cfg.subsystems
            .register("ok", |mut r, _w| {
                let _ = std::io::copy(&mut r, &mut std::io::sink());
            })
            .register("three", |_r, mut w| {
                let _ = w.write_all(b"bye");
                3u32
            })
            .register("fails", |_r, _w| -> Result<(), &str> { Err("refused") })
            .register("panics", |_r, _w| -> () { panic!("a handler bug") });
    });
    let client = Client::connect(s.server.local_addr(), client_config(&s, None)).unwrap();
    for (name, sent, want) in [
        ("ok", &b""[..], 0),
        ("three", &b"bye"[..], 3),
        ("fails", &b""[..], 1),
        ("panics", &b""[..], 2),
    ] {
        let (mut r, mut w) = client.open_subsystem(name).unwrap();
        w.finish().unwrap();
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert_eq!(got, sent, "{name}");
        assert_eq!(r.exit_status(), Some(want), "{name}");
    }
}

#[test]
fn the_sftp_subsystem_exits_0_after_a_clean_end_and_1_after_bad_input() {
    use std::io::{Read, Write};
    use wirecrypt_xfer::sftp::{Config, codec, over_ssh};
    let root = support::TempDir::new("sftp-exit");
    let root_path = root.path("");
    let s = start_with(None, |cfg| {
        over_ssh::register(&mut cfg.subsystems, root_path, Config::default());
    });
    let client = Client::connect(s.server.local_addr(), client_config(&s, None)).unwrap();

    // INIT, VERSION, then EOF from the client: a clean end.
    let (mut r, mut w) = client.open_subsystem(over_ssh::SUBSYSTEM).unwrap();
    w.write_all(&codec::encode_init(3)).unwrap();
    let version = codec::read_frame(&mut r).unwrap().unwrap();
    assert_eq!(version[0], codec::fxp::VERSION);
    w.finish().unwrap();
    r.read_to_end(&mut Vec::new()).unwrap();
    assert_eq!(r.exit_status(), Some(0));

    // A packet length no SFTP packet can have: the session fails.
    let (mut r, mut w) = client.open_subsystem(over_ssh::SUBSYSTEM).unwrap();
    // One write (one packet): the server may close the channel as soon as it reads
    // the length, and a second write would then fail.
    let mut bad = u32::MAX.to_be_bytes().to_vec();
    bad.extend_from_slice(&[1; 16]);
    w.write_all(&bad).unwrap();
    r.read_to_end(&mut Vec::new()).unwrap();
    assert_eq!(r.exit_status(), Some(1));
}

#[test]
fn each_user_of_the_users_file_is_confined_to_their_own_root() {
    use wirecrypt_xfer::sftp::{ClientOptions, Config, over_ssh};
    use wirecrypt_xfer::users::UsersFile;
    let top = support::TempDir::new("sftp-user-roots");
    // ann's root is relative (under the server's), bob's absolute; cy has none.
    for (dir, file) in [("ann", "a.txt"), ("bob", "b.txt"), ("shared", "s.txt")] {
        std::fs::create_dir_all(top.path("srv").join(dir)).unwrap();
        std::fs::write(top.path("srv").join(dir).join(file), dir).unwrap();
    }
    std::fs::create_dir(top.path("bob-home")).unwrap();
    std::fs::write(top.path("bob-home").join("b.txt"), "bob").unwrap();
    let mut users = UsersFile::new().with_iterations(1000);
    for name in ["ann", "bob", "cy"] {
        users.add(name, &format!("{name} pw")).unwrap();
    }
    users.set_root("ann", Some("ann")).unwrap();
    let bob_home = top.path("bob-home");
    users
        .set_root("bob", Some(bob_home.to_str().unwrap()))
        .unwrap();
    // Through the file, as `serve sftp --users` reads it.
    users.save(top.path("users")).unwrap();
    let users = Arc::new(UsersFile::load(top.path("users")).unwrap());
    let server_root = top.path("srv");
    let s = start_with(None, |cfg| {
        cfg.auth.password = Some(users.clone());
        over_ssh::register_with_users(
            &mut cfg.subsystems,
            server_root,
            users.clone(),
            Config::default(),
        );
    });
    let login = |name: &str| {
        let mut cfg = client_config(&s, None);
        cfg.identity = None;
        cfg.user = name.into();
        cfg.password = Some(format!("{name} pw"));
        let client = Client::connect(s.server.local_addr(), cfg).unwrap();
        let sftp = over_ssh::open(&client, ClientOptions::default()).unwrap();
        (client, sftp)
    };
    let listing = |sftp: &mut wirecrypt_xfer::sftp::Client| {
        let mut names: Vec<String> = sftp
            .read_dir("/")
            .unwrap()
            .into_iter()
            .map(|e| String::from_utf8(e.filename).unwrap())
            .filter(|n| n != "." && n != "..")
            .collect();
        names.sort();
        names
    };

    let (_ann_ssh, mut ann) = login("ann");
    let (_bob_ssh, mut bob) = login("bob");
    let (_cy_ssh, mut cy) = login("cy");
    assert_eq!(listing(&mut ann), ["a.txt"]);
    assert_eq!(listing(&mut bob), ["b.txt"]);
    assert_eq!(listing(&mut cy), ["ann", "bob", "shared"]);
    let read = |sftp: &mut wirecrypt_xfer::sftp::Client, path: &str| {
        let local = top.path("got");
        sftp.get_file(path, &local)
            .map(|_| std::fs::read_to_string(&local).unwrap())
    };
    assert_eq!(read(&mut ann, "/a.txt").unwrap(), "ann");
    assert_eq!(read(&mut bob, "b.txt").unwrap(), "bob");

    // Escapes from ann's root: `..`, an absolute path, a symlink out of it.
    for path in ["../bob/b.txt", "/../shared/s.txt", "../../bob-home/b.txt"] {
        let err = read(&mut ann, path).unwrap_err();
        assert!(err.status_code().is_some(), "{path}: {err}");
    }
    assert_eq!(ann.realpath("/..").unwrap(), b"/");
    ann.symlink(bob_home.to_str().unwrap(), "out").unwrap();
    assert!(
        read(&mut ann, "out/b.txt")
            .unwrap_err()
            .status_code()
            .is_some()
    );
    ann.symlink("../shared", "up").unwrap();
    assert!(
        read(&mut ann, "up/s.txt")
            .unwrap_err()
            .status_code()
            .is_some()
    );
    // `..` at her root stays at her root: what ann writes lands in her tree only.
    std::fs::write(top.path("up.txt"), "from ann").unwrap();
    ann.put_file(top.path("up.txt"), "../new.txt").unwrap();
    assert_eq!(
        std::fs::read_to_string(top.path("srv").join("ann").join("new.txt")).unwrap(),
        "from ann"
    );
    assert!(!top.path("srv").join("new.txt").exists());
    assert!(!top.path("new.txt").exists());
}
