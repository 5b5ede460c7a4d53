//! Our client against a real vsftpd 3.0.3 that the test starts on 127.0.0.1 with
//! `ssl_enable=YES`, `force_local_data_ssl=YES` (and its anonymous twin),
//! `require_ssl_reuse=YES` and a temporary RSA certificate: 64 MiB up and down with
//! TLS 1.2 and with TLS 1.3, SHA-256 compared, every data connection resuming the
//! control session; active mode (vsftpd dialling our client); and vsftpd's own 522
//! for a PROT C transfer.
//!
//! vsftpd must run as root (it drops to its `ftp` user per session); the anonymous
//! account writing into `pub/` avoids creating a system user.

mod ftp_common;

use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ftp_common::*;
use rustls::HandshakeKind;
use wirecrypt_xfer::ftp::{Client, ClientOptions, FtpError, tls};

struct Vsftpd {
    child: Child,
    addr: SocketAddr,
    dir: TempDir,
    cert: std::path::PathBuf,
}

impl Drop for Vsftpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn ftp_user_exists() -> bool {
    Command::new("getent")
        .args(["passwd", "ftp"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Starts vsftpd, or says why it cannot (a failure under CI).
fn vsftpd() -> Option<Vsftpd> {
    if !have("vsftpd") || !have("openssl") {
        return None;
    }
    for (ok, why) in [
        (is_root(), "vsftpd needs root"),
        (ftp_user_exists(), "vsftpd's `ftp` user is missing"),
        (
            Path::new("/var/run/vsftpd/empty").is_dir(),
            "/var/run/vsftpd/empty is missing",
        ),
    ] {
        if !ok {
            if std::env::var_os("CI").is_some() {
                panic!("{why}");
            }
            eprintln!("SKIP: {why}");
            return None;
        }
    }
    let dir = TempDir::new("vsftpd");
    let d = dir.path();
    let anon = d.join("anon");
    fs::create_dir_all(anon.join("pub")).unwrap();
    // vsftpd refuses a chroot it could write to; uploads go to pub/.
    fs::set_permissions(&anon, fs::Permissions::from_mode(0o555)).unwrap();
    let st = Command::new("chown")
        .args(["ftp:ftp"])
        .arg(anon.join("pub"))
        .status()
        .unwrap();
    assert!(st.success());
    let (cert, key) = (d.join("cert.pem"), d.join("key.pem"));
    let (ok, _, err) = run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    assert!(ok, "openssl: {err}");
    let port = free_port();
    let pasv = 20000 + (std::process::id() % 200) as u16 * 50;
    let conf = format!(
        "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n\
         anonymous_enable=YES\nlocal_enable=NO\nwrite_enable=YES\nanon_upload_enable=YES\n\
         anon_other_write_enable=YES\nanon_umask=022\nanon_root={anon}\nno_anon_password=YES\nftp_username=ftp\n\
         ssl_enable=YES\nallow_anon_ssl=YES\nforce_anon_data_ssl=YES\nforce_anon_logins_ssl=YES\n\
         force_local_data_ssl=YES\nforce_local_logins_ssl=YES\nrequire_ssl_reuse=YES\n\
         rsa_cert_file={cert}\nrsa_private_key_file={key}\npasv_enable=YES\n\
         port_enable=YES\nconnect_from_port_20=NO\n\
         pasv_min_port={pasv}\npasv_max_port={pmax}\nseccomp_sandbox=NO\nisolate=NO\n\
         isolate_network=NO\nsecure_chroot_dir=/var/run/vsftpd/empty\nxferlog_enable=NO\n\
         vsftpd_log_file={log}\nlog_ftp_protocol=YES\n",
        anon = anon.display(),
        cert = cert.display(),
        key = key.display(),
        pmax = pasv + 49,
        log = d.join("vsftpd.log").display(),
    );
    let conf_path = d.join("vsftpd.conf");
    fs::write(&conf_path, conf).unwrap();
    let child = Command::new("vsftpd")
        .arg(&conf_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "vsftpd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Vsftpd {
        child,
        addr,
        dir,
        cert,
    })
}

fn client(v: &Vsftpd, version: &'static rustls::SupportedProtocolVersion, protect: bool) -> Client {
    client_in(v, version, protect, false)
}

fn client_in(
    v: &Vsftpd,
    version: &'static rustls::SupportedProtocolVersion,
    protect: bool,
    active: bool,
) -> Client {
    let mut roots = rustls::RootCertStore::empty();
    for c in tls::load_certs(&v.cert).unwrap() {
        roots.add(c).unwrap();
    }
    let cfg: Arc<rustls::ClientConfig> = tls::client_config(
        engine_provider(),
        &[version],
        tls::ServerTrust::Roots(roots),
        None,
    )
    .unwrap();
    let mut opts = ClientOptions::explicit(cfg, "localhost".try_into().unwrap());
    opts.protect_data = protect;
    opts.active = active;
    let mut c = Client::connect(v.addr, opts).unwrap();
    c.login("anonymous", "x").unwrap();
    c
}

fn log(v: &Vsftpd) -> String {
    fs::read_to_string(v.dir.path().join("vsftpd.log")).unwrap_or_default()
}

#[test]
fn our_client_moves_64_mib_both_ways_with_tls12_and_tls13() {
    let Some(v) = vsftpd() else { return };
    let data = pattern(64 << 20, 2026);
    let want = sha256(&data);
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let mut c = client(&v, version, true);
        let name = format!("pub/big-{:?}.bin", version.version);
        c.stor(&name, &mut data.as_slice()).unwrap();
        assert_eq!(c.last_data_handshake(), Some(HandshakeKind::Resumed));
        assert_eq!(
            sha256_file(&v.dir.path().join("anon").join(&name)),
            want,
            "upload {:?}",
            version.version
        );
        let mut back = Vec::with_capacity(data.len());
        c.retr(&name, 0, &mut back).unwrap();
        assert_eq!(c.last_data_handshake(), Some(HandshakeKind::Resumed));
        assert_eq!(sha256(&back), want, "download {:?}", version.version);
        // several more data connections in a row: tickets never run dry
        for i in 0..4 {
            let small = pattern(10_000, i);
            c.stor(&format!("pub/s{i}"), &mut small.as_slice()).unwrap();
            let mut b = Vec::new();
            c.retr(&format!("pub/s{i}"), 0, &mut b).unwrap();
            assert!(b == small, "{:?} round {i}\n{}", version.version, log(&v));
        }
        let listing = c.list("LIST", "pub").unwrap();
        assert!(listing.contains("s3"), "{listing}");
        c.quit().unwrap();
    }
}

#[test]
fn vsftpd_answers_522_to_an_unprotected_transfer() {
    let Some(v) = vsftpd() else { return };
    let mut c = client(&v, &rustls::version::TLS12, false);
    match c.list("LIST", "") {
        Err(FtpError::Unexpected { reply, .. }) => assert_eq!(reply.code, 522, "{reply}"),
        other => panic!("{other:?}"),
    }
}

/// Active mode: vsftpd dials our client (EPRT) for every data connection, TLS 1.2 and
/// TLS 1.3, each connection resuming the control session as `require_ssl_reuse` wants.
#[test]
fn our_client_in_active_mode_with_tls12_and_tls13() {
    let Some(v) = vsftpd() else { return };
    let data = pattern(4 << 20, 77);
    let want = sha256(&data);
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let mut c = client_in(&v, version, true, true);
        let name = format!("pub/active-{:?}.bin", version.version);
        c.stor(&name, &mut data.as_slice()).unwrap();
        assert_eq!(c.last_data_handshake(), Some(HandshakeKind::Resumed));
        assert_eq!(sha256_file(&v.dir.path().join("anon").join(&name)), want);
        let mut back = Vec::new();
        c.retr(&name, 0, &mut back).unwrap();
        assert_eq!(c.last_data_handshake(), Some(HandshakeKind::Resumed));
        assert_eq!(sha256(&back), want, "download {:?}", version.version);
        let listing = c.list("NLST", "pub").unwrap();
        assert!(listing.contains("active-"), "{listing}");
        let count = |p: &[&str]| {
            c.transcript()
                .iter()
                .filter(|l| p.iter().any(|p| l.starts_with(p)))
                .count()
        };
        assert_eq!(
            count(&["> EPRT"]),
            count(&["> STOR", "> RETR", "> NLST"]),
            "one EPRT per data connection: {:?}",
            c.transcript()
        );
        assert!(
            !c.transcript()
                .iter()
                .any(|l| l.contains("EPSV") || l.contains("PASV"))
        );
        c.quit().unwrap();
    }
}
