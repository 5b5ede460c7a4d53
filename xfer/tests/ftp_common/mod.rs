//! Helpers for the FTP tests: temporary directories, certificates, an in-process
//! server, outside programs (present, or skipped outside CI), SHA-256.

#![allow(dead_code)]

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use wirecrypt::Engine;
use wirecrypt_xfer::ftp::Server;
use wirecrypt_xfer::ftp::{ServerConfig, ServerHandle, Transcript, tls};
use wirecrypt_xfer::users::{LoginLimiter, MIN_ITERATIONS, UsersFile};

pub const USER: &str = "alice";
pub const PASS: &str = "s3cret-pw";

/// True if `program` can run. Missing: a failure under `CI`, else a printed skip.
pub fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{program} is required in CI (scripts/setup installs it)");
        }
        eprintln!("SKIP: {program} not installed (scripts/setup installs it)");
    }
    found
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "wirecrypt-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A self-signed ECDSA certificate for localhost and 127.0.0.1.
pub struct Identity {
    pub cert: CertificateDer<'static>,
    pub key: Vec<u8>,
    pub cert_pem: String,
}

pub fn identity() -> Identity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    Identity {
        cert_pem: cert.pem(),
        cert: cert.der().clone(),
        key: key.serialize_der(),
    }
}

pub fn engine_provider() -> Arc<rustls::crypto::CryptoProvider> {
    tls::engine_provider(&Engine::builder().build().unwrap())
}

pub fn server_tls(id: &Identity) -> Arc<rustls::ServerConfig> {
    tls::server_config(
        engine_provider(),
        rustls::ALL_VERSIONS,
        vec![id.cert.clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.clone())),
        None,
    )
    .unwrap()
}

pub fn client_tls(
    id: &Identity,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(id.cert.clone()).unwrap();
    tls::client_config(
        engine_provider(),
        versions,
        tls::ServerTrust::Roots(roots),
        None,
    )
    .unwrap()
}

/// An in-process server on 127.0.0.1 with a temporary root and one user.
pub struct Fixture {
    pub dir: TempDir,
    pub root: PathBuf,
    pub id: Identity,
    pub ca: PathBuf,
    pub transcript: Transcript,
    pub server: ServerHandle,
}

impl Fixture {
    pub fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }
    pub fn port(&self) -> u16 {
        self.addr().port()
    }
    pub fn lines(&self) -> Vec<String> {
        self.transcript.lines()
    }
    /// True if some session's transcript has these entries in this order (each the
    /// start of a line, after the session tag).
    pub fn saw_in_order(&self, wanted: &[&str]) -> bool {
        let lines = self.lines();
        let mut it = lines.iter();
        wanted.iter().all(|w| {
            it.by_ref().any(|l| {
                l.split_once(' ')
                    .is_some_and(|(_, rest)| rest.starts_with(w))
            })
        })
    }
}

static PASV_BLOCK: AtomicU32 = AtomicU32::new(0);

pub enum Mode {
    Plain,
    Explicit,
    Implicit,
}

pub fn fixture(mode: Mode, adjust: impl FnOnce(&mut ServerConfig)) -> Fixture {
    let dir = TempDir::new("ftp");
    let root = dir.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let mut users = UsersFile::new().with_iterations(MIN_ITERATIONS);
    users.add(USER, PASS).unwrap();
    let id = identity();
    let ca = dir.path().join("ca.pem");
    fs::write(&ca, &id.cert_pem).unwrap();
    let transcript = Transcript::new();
    let mut cfg = ServerConfig::new(&root, Arc::new(users));
    let block = PASV_BLOCK.fetch_add(1, Ordering::SeqCst) % 100;
    let base = 40000 + (std::process::id() % 10) as u16 * 1000 + block as u16 * 10;
    cfg.pasv_ports = base..=base + 9;
    cfg.transcript = Some(transcript.clone());
    cfg.data_timeout = Duration::from_secs(5);
    cfg.limiter = Arc::new(LoginLimiter::new(
        100,
        Duration::from_secs(60),
        Duration::from_millis(50),
    ));
    match mode {
        Mode::Plain => {}
        Mode::Explicit => cfg = cfg.with_tls(server_tls(&id), true),
        Mode::Implicit => {
            cfg = cfg.with_tls(server_tls(&id), true);
            cfg.implicit_tls = true;
        }
    }
    adjust(&mut cfg);
    let server = Server::bind("127.0.0.1:0", cfg).unwrap().spawn().unwrap();
    Fixture {
        dir,
        root,
        id,
        ca,
        transcript,
        server,
    }
}

/// Deterministic pseudo-random bytes.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256(data: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, data))
}

pub fn sha256_file(p: &Path) -> String {
    sha256(&fs::read(p).unwrap())
}

/// Runs a command; returns (success, stdout, stderr).
pub fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("spawn");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
