//! Our client against our server on 127.0.0.1: every mode, TLS 1.2 and 1.3, session
//! reuse on every data connection, CCC; and bad input (overlong lines, unknown
//! commands, path escapes, a PASV flood, a data connection from another address, TLS
//! garbage, login failures, timeouts, the connection cap) while a second client keeps
//! transferring unaffected.

mod ftp_common;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::thread;
use std::time::Duration;

use ftp_common::*;
use rustls::HandshakeKind;
use wirecrypt_xfer::ftp::{Client, ClientOptions, FtpError, Retrieved};

fn name() -> rustls::pki_types::ServerName<'static> {
    "localhost".try_into().unwrap()
}

fn session(
    f: &Fixture,
    versions: &[&'static rustls::SupportedProtocolVersion],
    implicit: bool,
) -> Client {
    let cfg = client_tls(&f.id, versions);
    let opts = if implicit {
        ClientOptions::implicit(cfg, name())
    } else {
        ClientOptions::explicit(cfg, name())
    };
    let mut c = Client::connect(f.addr(), opts).unwrap();
    c.login(USER, PASS).unwrap();
    c
}

/// Several uploads and downloads on one session; every data connection resumed.
fn exercise(f: &Fixture, c: &mut Client, tls: bool) {
    for i in 0..3u64 {
        let data = pattern(3 << 20, i + 1);
        let path = format!("f{i}.bin");
        assert_eq!(
            c.stor(&path, &mut data.as_slice()).unwrap(),
            data.len() as u64
        );
        if tls {
            assert_eq!(
                c.last_data_handshake(),
                Some(HandshakeKind::Resumed),
                "upload {i}"
            );
        }
        let mut back = Vec::new();
        c.retr(&path, 0, &mut back).unwrap();
        assert!(back == data, "download {i} differs");
        if tls {
            assert_eq!(
                c.last_data_handshake(),
                Some(HandshakeKind::Resumed),
                "download {i}"
            );
        }
        // resume from the middle
        let mut tail = Vec::new();
        c.retr(&path, 1_000_000, &mut tail).unwrap();
        assert!(tail == data[1_000_000..]);
        assert_eq!(c.size(&path).unwrap(), data.len() as u64);
    }
    let mlsd = c.list("MLSD", "").unwrap();
    assert!(
        mlsd.contains("type=file;size=3145728;") && mlsd.contains(" f2.bin"),
        "{mlsd}"
    );
    let nlst = c.list("NLST", "").unwrap();
    assert_eq!(nlst.lines().count(), 3, "{nlst}");
    assert!(f.root.join("f2.bin").exists());
}

#[test]
fn explicit_tls12_and_tls13_resume_every_data_connection() {
    for v in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let f = fixture(Mode::Explicit, |_| {});
        let mut c = session(&f, &[v], false);
        assert!(c.control_protected());
        exercise(&f, &mut c, true);
        c.quit().unwrap();
        let expected = if v.version == rustls::ProtocolVersion::TLSv1_2 {
            "TLSv1_2"
        } else {
            "TLSv1_3"
        };
        assert!(f.lines().iter().any(|l| l.contains(expected)));
        assert!(f.saw_in_order(&[
            "> AUTH TLS",
            "< 234",
            "> USER",
            "> PASS",
            "> PBSZ 0",
            "> PROT P"
        ]));
        assert!(!f.lines().iter().any(|l| l.contains("refused")));
    }
}

/// Active mode (EPRT): the server dials the client, plain and under TLS 1.2 and 1.3,
/// every protected data connection still resuming the control session.
#[test]
fn active_mode_plain_and_tls12_and_tls13() {
    for v in [
        None,
        Some(&rustls::version::TLS12),
        Some(&rustls::version::TLS13),
    ] {
        let f = fixture(
            if v.is_some() {
                Mode::Explicit
            } else {
                Mode::Plain
            },
            |_| {},
        );
        let mut opts = match v {
            Some(v) => ClientOptions::explicit(client_tls(&f.id, &[v]), name()),
            None => ClientOptions::plain(),
        };
        opts.active = true;
        let mut c = Client::connect(f.addr(), opts).unwrap();
        c.login(USER, PASS).unwrap();
        exercise(&f, &mut c, v.is_some());
        c.quit().unwrap();
        assert!(
            f.saw_in_order(&["> EPRT |1|127.0.0.1|", "< 200", "> STOR f0.bin", "< 150"]),
            "{v:?}: {:?}",
            f.lines()
        );
        assert!(
            !f.lines()
                .iter()
                .any(|l| l.contains("EPSV") || l.contains("PASV")),
            "{v:?}: no passive command in active mode"
        );
    }
}

#[test]
fn implicit_and_plain_sessions() {
    let f = fixture(Mode::Implicit, |_| {});
    let mut c = session(&f, &[&rustls::version::TLS13], true);
    exercise(&f, &mut c, true);
    c.quit().unwrap();

    let f = fixture(Mode::Plain, |_| {});
    let mut c = Client::connect(f.addr(), ClientOptions::plain()).unwrap();
    c.login(USER, PASS).unwrap();
    assert!(!c.control_protected());
    exercise(&f, &mut c, false);
    c.quit().unwrap();
}

#[test]
fn ccc_then_transfers_stay_protected() {
    for v in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let f = fixture(Mode::Explicit, |_| {});
        let mut c = session(&f, &[v], false);
        let r = c.ccc().unwrap();
        assert_eq!(r.code, 200);
        assert!(!c.control_protected());
        assert_eq!(
            c.command("NOOP").unwrap().code,
            200,
            "control continues in clear"
        );
        assert_eq!(c.command("PROT C").unwrap().code, 503, "no PROT after CCC");
        let data = pattern(100_000, 5);
        c.stor("x", &mut data.as_slice()).unwrap();
        assert_eq!(c.last_data_handshake(), Some(HandshakeKind::Resumed));
        let mut back = Vec::new();
        c.retr("x", 0, &mut back).unwrap();
        assert!(back == data);
        c.quit().unwrap();
    }
}

#[test]
fn prot_c_client_gets_522() {
    let f = fixture(Mode::Explicit, |_| {});
    let mut opts = ClientOptions::explicit(client_tls(&f.id, rustls::ALL_VERSIONS), name());
    opts.protect_data = false;
    let mut c = Client::connect(f.addr(), opts).unwrap();
    c.login(USER, PASS).unwrap();
    match c.stor("x", &mut &b"clear"[..]) {
        Err(FtpError::Unexpected { reply, .. }) => assert_eq!(reply.code, 522),
        other => panic!("{other:?}"),
    }
    assert!(!f.root.join("x").exists());
}

fn raw(addr: SocketAddr) -> (BufReader<TcpStream>, TcpStream) {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    assert!(reply(&mut r).starts_with("220"));
    (r, w)
}

fn reply(r: &mut BufReader<TcpStream>) -> String {
    let mut out = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return out;
        }
        out.push_str(&line);
        if line.len() >= 4 && line.as_bytes()[3] == b' ' {
            return out;
        }
    }
}

fn say(r: &mut BufReader<TcpStream>, w: &mut TcpStream, cmd: &str) -> String {
    w.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
    reply(r)
}

fn plain_login(f: &Fixture) -> (BufReader<TcpStream>, TcpStream) {
    let (mut r, mut w) = raw(f.addr());
    assert!(say(&mut r, &mut w, &format!("USER {USER}")).starts_with("331"));
    assert!(say(&mut r, &mut w, &format!("PASS {PASS}")).starts_with("230"));
    (r, w)
}

#[test]
fn bad_input_gets_a_reply_or_a_close_and_other_clients_carry_on() {
    let f = fixture(Mode::Plain, |c| {
        c.max_login_failures = 3;
    });
    // a second client moving 24 MiB the whole time
    let addr = f.addr();
    let busy = thread::spawn(move || {
        let mut c = Client::connect(addr, ClientOptions::plain()).unwrap();
        c.login(USER, PASS).unwrap();
        let data = pattern(24 << 20, 99);
        for _ in 0..2 {
            c.stor("busy.bin", &mut data.as_slice()).unwrap();
            let mut back = Vec::new();
            c.retr("busy.bin", 0, &mut back).unwrap();
            assert!(back == data, "the busy client's data was damaged");
        }
        c.quit().unwrap();
    });

    // overlong lines and unknown commands: a reply, and the session goes on
    let (mut r, mut w) = raw(f.addr());
    w.write_all(&vec![b'A'; 100_000]).unwrap();
    w.write_all(b"\r\n").unwrap();
    assert!(reply(&mut r).starts_with("500"));
    assert!(say(&mut r, &mut w, "XYZZY").starts_with("500"));
    w.write_all(b"\xc3\x28\r\n").unwrap();
    assert!(reply(&mut r).starts_with("501"));
    // multi-byte characters where a command word is expected
    assert!(say(&mut r, &mut w, "PASé x").starts_with("500"));
    assert!(say(&mut r, &mut w, "é").starts_with("500"));
    assert!(say(&mut r, &mut w, "NOOP").starts_with("200"));

    // path escapes
    fs::write(f.dir.path().join("secret"), b"outside the root").unwrap();
    std::os::unix::fs::symlink(f.dir.path().join("secret"), f.root.join("link")).unwrap();
    let (mut r, mut w) = plain_login(&f);
    assert!(say(&mut r, &mut w, "CWD ../../..").starts_with("250"));
    assert!(say(&mut r, &mut w, "PWD").contains("\"/\""));
    for p in ["../secret", "/../secret", "link", "../../../../etc/passwd"] {
        let a = say(&mut r, &mut w, &format!("SIZE {p}"));
        assert!(a.starts_with("550"), "{p}: {a}");
    }
    assert!(say(&mut r, &mut w, "PASV").starts_with("227"));
    assert!(
        say(&mut r, &mut w, "RETR link").starts_with("550"),
        "symlink out of the root"
    );
    assert!(say(&mut r, &mut w, "MKD ../../escape").starts_with("257"));
    assert!(f.root.join("escape").is_dir() && !f.dir.path().join("escape").exists());

    // PASV flood: each PASV replaces the last listener
    let mut ports = Vec::new();
    for _ in 0..200 {
        let a = say(&mut r, &mut w, "EPSV");
        assert!(a.starts_with("229"), "{a}");
        let port: u16 = a
            .split("|||")
            .nth(1)
            .unwrap()
            .trim_end_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .unwrap();
        ports.push(port);
    }
    let open = ports[..ports.len() - 1]
        .iter()
        .filter(|p| **p != *ports.last().unwrap())
        .filter(|p| TcpStream::connect(("127.0.0.1", **p)).is_ok())
        .count();
    // A leak would leave all 199 open. Tests running beside this one bind ephemeral
    // ports too, and one may land on a port freed here: a couple of those are allowed.
    assert!(
        open <= 3,
        "old passive listeners must be closed: {open} of 199 still accept"
    );

    // a data connection from another address (127.0.0.2) is never used
    if have("python3") {
        let a = say(&mut r, &mut w, "EPSV");
        let port: u16 = a
            .split("|||")
            .nth(1)
            .unwrap()
            .trim_end_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .unwrap();
        let py = format!(
            "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.2',0))\ns.connect(('127.0.0.1',{port}))\nprint('connected',flush=True)\ns.settimeout(8)\nprint(repr(s.recv(100)))"
        );
        let mut child = Command::new("python3")
            .args(["-c", &py])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut first).unwrap();
        assert_eq!(first.trim(), "connected");
        fs::write(f.root.join("data"), b"not for strangers").unwrap();
        let a = say(&mut r, &mut w, "RETR data");
        assert!(
            a.starts_with("425"),
            "only the control peer may connect: {a}"
        );
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        child.wait().unwrap();
        assert!(!rest.contains("strangers"), "{rest}");
    }
    assert!(say(&mut r, &mut w, "QUIT").starts_with("221"));

    // login failures: delayed, then the session is closed
    let (mut r, mut w) = raw(f.addr());
    for i in 0..3 {
        assert!(say(&mut r, &mut w, "USER alice").starts_with("331"));
        let a = say(&mut r, &mut w, "PASS wrong");
        assert!(a.starts_with("530"), "{i}: {a}");
    }
    assert!(reply(&mut r).starts_with("421"));
    assert_eq!(reply(&mut r), "", "closed after too many failures");

    busy.join().unwrap();
}

#[test]
fn tls_garbage_and_plain_text_on_tls_ports_close_the_connection() {
    let f = fixture(Mode::Implicit, |_| {});
    for junk in [
        &b"USER alice\r\n"[..],
        &[0x16, 0x03, 0x01, 0xff, 0xff, 1, 2, 3],
        &[0x42; 4096],
    ] {
        let mut s = TcpStream::connect(f.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(junk);
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        assert!(
            !String::from_utf8_lossy(&buf).contains("230"),
            "no login over garbage"
        );
    }
    let g = fixture(Mode::Explicit, |_| {});
    let (mut r, mut w) = raw(g.addr());
    assert!(say(&mut r, &mut w, "AUTH TLS").starts_with("234"));
    w.write_all(&[0x17, 0x03, 0x03, 0x00, 0x10, 0, 0, 0])
        .unwrap();
    let _ = w.shutdown(std::net::Shutdown::Write);
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest);
    // the server is still there for proper clients
    let mut c = session(&f, rustls::ALL_VERSIONS, true);
    c.stor("ok", &mut &b"fine"[..]).unwrap();
    c.quit().unwrap();
}

#[test]
fn pipelined_plain_text_after_auth_is_dropped() {
    let f = fixture(Mode::Explicit, |_| {});
    let (mut r, mut w) = raw(f.addr());
    // STARTTLS injection: a command sent in clear right behind AUTH TLS
    w.write_all(b"AUTH TLS\r\nUSER injected\r\n").unwrap();
    assert!(reply(&mut r).starts_with("234"));
    drop((r, w));
    thread::sleep(Duration::from_millis(200));
    let lines = f.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("dropped bytes pipelined after AUTH")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("USER injected")));
}

#[test]
fn timeouts_and_connection_cap() {
    let f = fixture(Mode::Plain, |c| {
        c.login_timeout = Duration::from_millis(300);
        c.max_connections = 2;
    });
    let (mut r1, _w1) = raw(f.addr());
    let (_r2, _w2) = raw(f.addr());
    // the third is turned away
    let mut s = TcpStream::connect(f.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    assert!(buf.starts_with("421"), "{buf}");
    // an idle login times out with 421 and a close
    let a = reply(&mut r1);
    assert!(a.starts_with("421"), "{a}");
    assert_eq!(reply(&mut r1), "");
}

#[test]
fn mutual_tls_requires_a_client_certificate() {
    let client_id = identity();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client_id.cert.clone()).unwrap();
    // the fixture only lends its root directory and server identity here
    let f = fixture(Mode::Plain, |_| {});
    // a server that demands client certificates signed by `client_id`
    let server_id = &f.id;
    let mtls = wirecrypt_xfer::ftp::tls::server_config(
        engine_provider(),
        rustls::ALL_VERSIONS,
        vec![server_id.cert.clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(server_id.key.clone().into()),
        Some(roots),
    )
    .unwrap();
    let mut cfg = wirecrypt_xfer::ftp::ServerConfig::new(
        &f.root,
        std::sync::Arc::new({
            let mut u = wirecrypt_xfer::users::UsersFile::new()
                .with_iterations(wirecrypt_xfer::users::MIN_ITERATIONS);
            u.add(USER, PASS).unwrap();
            u
        }),
    )
    .with_tls(mtls, true);
    cfg.pasv_ports = 39600..=39699;
    let server = wirecrypt_xfer::ftp::Server::bind("127.0.0.1:0", cfg)
        .unwrap()
        .spawn()
        .unwrap();

    let mut server_roots = rustls::RootCertStore::empty();
    server_roots.add(server_id.cert.clone()).unwrap();
    let with_cert = wirecrypt_xfer::ftp::tls::client_config(
        engine_provider(),
        rustls::ALL_VERSIONS,
        wirecrypt_xfer::ftp::tls::ServerTrust::Roots(server_roots.clone()),
        Some((
            vec![client_id.cert.clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(client_id.key.clone().into()),
        )),
    )
    .unwrap();
    let mut c = Client::connect(
        server.local_addr(),
        ClientOptions::explicit(with_cert, name()),
    )
    .unwrap();
    c.login(USER, PASS).unwrap();
    c.stor("m", &mut &b"mutual"[..]).unwrap();
    assert_eq!(c.last_data_handshake(), Some(HandshakeKind::Resumed));
    c.quit().unwrap();
    assert_eq!(fs::read(f.root.join("m")).unwrap(), b"mutual");

    let without = wirecrypt_xfer::ftp::tls::client_config(
        engine_provider(),
        rustls::ALL_VERSIONS,
        wirecrypt_xfer::ftp::tls::ServerTrust::Roots(server_roots),
        None,
    )
    .unwrap();
    let refused = Client::connect(
        server.local_addr(),
        ClientOptions::explicit(without, name()),
    )
    .and_then(|mut c| c.login(USER, PASS));
    assert!(
        refused.is_err(),
        "a client without a certificate must not get in"
    );
}

#[test]
fn a_certified_key_must_match_its_certificate() {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let (a, b) = (identity(), identity());
    let provider = engine_provider();
    let key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            b.key.clone(),
        )))
        .unwrap();
    let wrong = std::sync::Arc::new(rustls::sign::CertifiedKey::new(
        vec![a.cert.clone()],
        key.clone(),
    ));
    let tls = wirecrypt_xfer::ftp::tls::server_config_certified(
        provider.clone(),
        rustls::ALL_VERSIONS,
        wrong,
        None,
    );
    assert!(tls.is_err(), "a certificate for another key is refused");
    let right = std::sync::Arc::new(rustls::sign::CertifiedKey::new(vec![b.cert.clone()], key));
    assert!(
        wirecrypt_xfer::ftp::tls::server_config_certified(
            provider,
            rustls::ALL_VERSIONS,
            right,
            None
        )
        .is_ok()
    );
}

#[test]
fn type_a_converts_line_ends_on_the_wire() {
    let f = fixture(Mode::Plain, |_| {});
    fs::write(f.root.join("t.txt"), b"one\ntwo\r\nthree\n").unwrap();
    let mut c = Client::connect(f.addr(), ClientOptions::plain()).unwrap();
    c.login(USER, PASS).unwrap();
    assert_eq!(c.command("TYPE A").unwrap().code, 200);
    // the client moves bytes as they are, so this is exactly what the wire carried
    let mut wire = Vec::new();
    c.retr("t.txt", 0, &mut wire).unwrap();
    assert_eq!(wire, b"one\r\ntwo\r\nthree\r\n");
    c.stor("u.txt", &mut &b"a\r\nb\r\n"[..]).unwrap();
    assert_eq!(
        fs::read(f.root.join("u.txt")).unwrap(),
        b"a\nb\n",
        "CRLF stored as LF"
    );
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    let mut raw = Vec::new();
    c.retr("t.txt", 0, &mut raw).unwrap();
    assert_eq!(raw, b"one\ntwo\r\nthree\n", "TYPE I leaves bytes alone");
    c.quit().unwrap();
}

#[test]
fn many_tls13_uploads_in_a_row_keep_resuming() {
    let f = fixture(Mode::Explicit, |_| {});
    let mut c = session(&f, &[&rustls::version::TLS13], false);
    for i in 0..20 {
        c.stor(&format!("u{i}"), &mut &b"small"[..]).unwrap();
        assert_eq!(
            c.last_data_handshake(),
            Some(HandshakeKind::Resumed),
            "upload {i}"
        );
    }
    c.quit().unwrap();
    assert!(!f.lines().iter().any(|l| l.contains("refused")));
}

#[test]
fn garbage_on_a_protected_data_connection_gets_522_and_the_session_goes_on() {
    let f = fixture(Mode::Explicit, |_| {});
    fs::write(f.root.join("f"), b"file").unwrap();
    let mut c = session(&f, rustls::ALL_VERSIONS, false);
    let r = c.command("EPSV").unwrap();
    assert_eq!(r.code, 229);
    let port = wirecrypt_xfer::ftp::client::parse_epsv(&r.text()).unwrap();
    let mut junk = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert_eq!(c.command("RETR f").unwrap().code, 150);
    junk.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x00])
        .unwrap();
    assert_eq!(c.read_reply().unwrap().code, 522);
    // the control connection is intact: a proper transfer follows
    let mut back = Vec::new();
    c.retr("f", 0, &mut back).unwrap();
    assert_eq!(back, b"file");
    c.quit().unwrap();
}

#[test]
fn idle_sessions_time_out_after_login() {
    let f = fixture(Mode::Plain, |c| c.idle_timeout = Duration::from_millis(300));
    let (mut r, mut w) = plain_login(&f);
    assert!(say(&mut r, &mut w, "NOOP").starts_with("200"));
    let a = reply(&mut r);
    assert!(a.starts_with("421"), "{a}");
    assert_eq!(reply(&mut r), "", "closed");
}

#[test]
fn a_peer_with_too_many_failures_is_refused_across_sessions() {
    let f = fixture(Mode::Plain, |c| {
        c.limiter = std::sync::Arc::new(wirecrypt_xfer::users::LoginLimiter::new(
            2,
            Duration::from_secs(60),
            Duration::from_millis(10),
        ));
    });
    for _ in 0..2 {
        let (mut r, mut w) = raw(f.addr());
        assert!(say(&mut r, &mut w, "USER alice").starts_with("331"));
        assert!(say(&mut r, &mut w, "PASS wrong").starts_with("530"));
    }
    // even the right password is refused now, from this address
    let (mut r, mut w) = raw(f.addr());
    assert!(say(&mut r, &mut w, "USER alice").starts_with("331"));
    let a = say(&mut r, &mut w, &format!("PASS {PASS}"));
    assert!(a.starts_with("421"), "{a}");
}

#[test]
fn a_refused_transfer_closes_its_passive_port() {
    let f = fixture(Mode::Plain, |_| {});
    let (mut r, mut w) = plain_login(&f);
    let a = say(&mut r, &mut w, "EPSV");
    let port = wirecrypt_xfer::ftp::client::parse_epsv(&a[4..]).unwrap();
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "offered port is open"
    );
    // ABOR behind Telnet's interrupt sequence (IAC IP, IAC DM), as lftp sends it
    w.write_all(b"\xff\xf4\xff\xf2ABOR\r\n").unwrap();
    assert!(reply(&mut r).starts_with("225"));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "ABOR closed it"
    );
    let a = say(&mut r, &mut w, "EPSV");
    let port = wirecrypt_xfer::ftp::client::parse_epsv(&a[4..]).unwrap();
    assert!(say(&mut r, &mut w, "PORT 127,0,0,1,200,1").starts_with("200"));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "PORT replaced the passive offer"
    );
}

/// ABOR mid-download, plain and under TLS: the server notices it while its data thread
/// is blocked writing to a client that stopped reading, closes the data connection and
/// answers 426 then 226; STAT is answered during a transfer; the session carries on.
#[test]
fn abor_stops_a_running_transfer() {
    for tls in [false, true] {
        let f = fixture(if tls { Mode::Explicit } else { Mode::Plain }, |_| {});
        let big = pattern(48 << 20, 7);
        fs::write(f.root.join("big.bin"), &big).unwrap();
        let mut c = if tls {
            session(&f, &[&rustls::version::TLS13], false)
        } else {
            let mut c = Client::connect(f.addr(), ClientOptions::plain()).unwrap();
            c.login(USER, PASS).unwrap();
            c
        };
        let mut got = Vec::new();
        let started = std::time::Instant::now();
        let r = c.retr_with("big.bin", &mut got, |n| n < (1 << 20)).unwrap();
        let Retrieved::Aborted(n) = r else {
            panic!("tls={tls}: not aborted: {r:?}");
        };
        assert!(n >= 1 << 20 && n < big.len() as u64, "tls={tls}: {n} bytes");
        assert!(
            got[..] == big[..got.len()],
            "tls={tls}: the bytes before ABOR differ"
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "tls={tls}: the abort waited for a timeout"
        );
        assert!(
            f.saw_in_order(&[
                "> RETR big.bin",
                "< 150",
                "> ABOR (during the transfer)",
                "< 426",
                "< 226"
            ]),
            "tls={tls}: {:#?}",
            f.lines()
        );
        assert!(
            f.lines()
                .iter()
                .any(|l| l.contains("transfer aborted by ABOR"))
        );
        // The session is still good: the whole file comes down afterwards.
        let mut again = Vec::new();
        assert_eq!(
            c.retr_with("big.bin", &mut again, |_| true).unwrap(),
            Retrieved::Complete(big.len() as u64)
        );
        assert!(again == big, "tls={tls}: the download after ABOR differs");
        c.quit().unwrap();
    }
}

/// On a raw plain connection: STAT during a transfer gets 213 at once, a pipelined NOOP
/// waits for the transfer's 226, and ABOR after the end gets 225.
#[test]
fn commands_during_a_transfer_wait_or_are_answered() {
    let f = fixture(Mode::Plain, |_| {});
    fs::write(f.root.join("big.bin"), pattern(16 << 20, 3)).unwrap();
    let (mut r, mut w) = plain_login(&f);
    let pasv = say(&mut r, &mut w, "EPSV");
    let port: u16 = pasv
        .split("|||")
        .nth(1)
        .and_then(|p| p.split('|').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{pasv}"));
    let mut data = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert!(say(&mut r, &mut w, "RETR big.bin").starts_with("150"));
    // Nothing is read from the data connection yet: the transfer is stuck mid-way.
    thread::sleep(Duration::from_millis(300));
    assert!(say(&mut r, &mut w, "STAT").starts_with("213"));
    w.write_all(b"NOOP\r\n").unwrap();
    let mut sink = Vec::new();
    data.read_to_end(&mut sink).unwrap();
    assert_eq!(sink.len(), 16 << 20);
    assert!(reply(&mut r).starts_with("226"));
    assert!(reply(&mut r).starts_with("200"), "NOOP after the transfer");
    assert!(say(&mut r, &mut w, "ABOR").starts_with("225"));
}

/// A users-file entry that names a root confines that user to it, as `serve sftp` does;
/// other users keep the server's root, and a user whose root is missing cannot log in.
#[test]
fn a_user_with_a_root_of_their_own_is_confined_to_it() {
    use wirecrypt_xfer::users::UsersFile;
    let mut users = UsersFile::new().with_iterations(1000);
    for name in [USER, "ann", "gone"] {
        users.add(name, PASS).unwrap();
    }
    users.set_root("ann", Some("ann")).unwrap();
    users.set_root("gone", Some("no-such-dir")).unwrap();
    let f = fixture(Mode::Plain, |c| c.users = std::sync::Arc::new(users));
    fs::create_dir(f.root.join("ann")).unwrap();
    fs::write(f.root.join("ann").join("a.txt"), "ann").unwrap();
    fs::write(f.root.join("top.txt"), "top!").unwrap();

    let login = |name: &str| {
        let (mut r, mut w) = raw(f.addr());
        assert!(say(&mut r, &mut w, &format!("USER {name}")).starts_with("331"));
        let reply = say(&mut r, &mut w, &format!("PASS {PASS}"));
        (r, w, reply)
    };
    let (mut r, mut w, reply) = login("ann");
    assert!(reply.starts_with("230"), "{reply}");
    assert!(say(&mut r, &mut w, "SIZE a.txt").starts_with("213 3"));
    for escape in [
        "top.txt",
        "../top.txt",
        "/../top.txt",
        "../ann/a.txt/../../top.txt",
    ] {
        let reply = say(&mut r, &mut w, &format!("SIZE {escape}"));
        assert!(reply.starts_with("550"), "{escape}: {reply}");
    }
    assert!(say(&mut r, &mut w, "CWD ..").starts_with("250"));
    assert!(say(&mut r, &mut w, "SIZE a.txt").starts_with("213 3"));

    let (mut r, mut w, reply) = login(USER);
    assert!(reply.starts_with("230"), "{reply}");
    assert!(say(&mut r, &mut w, "SIZE top.txt").starts_with("213 4"));
    assert!(say(&mut r, &mut w, "SIZE ann/a.txt").starts_with("213 3"));

    let (_r, _w, reply) = login("gone");
    assert!(reply.starts_with("530"), "{reply}");
    assert!(
        f.lines().iter().any(|l| l.contains("root of gone")),
        "{:#?}",
        f.lines()
    );
}
