//! wirecrypt at both ends of plain FTP and FTPS: our server on 127.0.0.1 in this
//! process, our client in threads beside it, every TLS record sealed and opened by the
//! engine through its rustls provider.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{RootCertStore, SupportedProtocolVersion};
use wirecrypt::Engine;
use wirecrypt_xfer::Protocol;
use wirecrypt_xfer::ftp::{Client, ClientOptions, Server, ServerConfig, ServerHandle, tls};
use wirecrypt_xfer::users::{MIN_ITERATIONS, UsersFile};

use super::case::{Direction, Run, TlsVersion};
use super::cpu;
use super::payload::{SOURCE_NAME, file_sha256};
use super::streams;

const USER: &str = "bench";

/// A running server of ours and the client options that reach it.
pub struct OurFtp {
    server: Option<ServerHandle>,
    /// What the server's threads spend.
    cpu: cpu::CpuAccount,
    addr: SocketAddr,
    options: ClientOptions,
    password: String,
    root: PathBuf,
}

/// The TLS cipher-suite families the harness can ask for, by the names it shows.
pub const FTPS_CIPHERS: [&str; 3] = ["aes-256-gcm", "aes-128-gcm", "chacha20-poly1305"];

/// The rustls suite-name fragment for one of [`FTPS_CIPHERS`].
fn suite_fragment(cipher: &str) -> Option<&'static str> {
    match cipher {
        "aes-256-gcm" => Some("AES_256_GCM"),
        "aes-128-gcm" => Some("AES_128_GCM"),
        "chacha20-poly1305" => Some("CHACHA20_POLY1305"),
        _ => None,
    }
}

impl OurFtp {
    /// Starts a server of ours serving `root`. For FTPS, `version` and `cipher` fix what
    /// the client offers (explicit AUTH TLS, PROT P, the server requiring both).
    pub fn start(
        engine: &Engine,
        protocol: Protocol,
        version: Option<TlsVersion>,
        cipher: &str,
        root: &Path,
    ) -> Result<OurFtp, String> {
        let password = format!("pw-{:x}", std::process::id() ^ 0x5eed);
        let mut users = UsersFile::new().with_iterations(MIN_ITERATIONS);
        users.add(USER, &password).map_err(|e| e.to_string())?;
        let mut config = ServerConfig::new(root, Arc::new(users));
        // A range of its own, clear of other servers a test machine may run.
        config.pasv_ports = 41000..=41999;
        let options = if protocol == Protocol::Ftps {
            let (cert, key) = test_identity()?;
            let provider = tls::engine_provider(engine);
            let versions = versions(version.unwrap_or(TlsVersion::Tls13));
            let server_tls =
                tls::server_config(provider.clone(), versions, vec![cert.clone()], key, None)
                    .map_err(|e| e.to_string())?;
            config = config.with_tls(server_tls, true);
            let client_provider = only_cipher(engine, cipher)?;
            let mut roots = RootCertStore::empty();
            roots.add(cert).map_err(|e| e.to_string())?;
            let client_tls = tls::client_config(
                Arc::new(client_provider),
                versions,
                tls::ServerTrust::Roots(roots),
                None,
            )
            .map_err(|e| e.to_string())?;
            let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
            ClientOptions::explicit(client_tls, name)
        } else {
            ClientOptions::plain()
        };
        let (account, server) = cpu::in_new_account(|| {
            Server::bind("127.0.0.1:0", config)
                .and_then(Server::spawn)
                .map_err(|e| format!("starting our FTP server: {e}"))
        });
        let server = server?;
        let addr = server.local_addr();
        Ok(OurFtp {
            server: Some(server),
            cpu: account,
            addr,
            options,
            password,
            root: root.to_path_buf(),
        })
    }

    /// How our client reaches this server.
    pub fn target(&self) -> FtpTarget {
        FtpTarget {
            addr: self.addr,
            options: self.options.clone(),
            user: USER.into(),
            password: self.password.clone(),
            remote_dir: String::new(),
            upload_dir: Some(self.root.clone()),
            server: cpu::Server::Threads(self.cpu.clone()),
        }
    }

    /// Where this server's CPU time is counted.
    pub fn cpu(&self) -> cpu::Server {
        cpu::Server::Threads(self.cpu.clone())
    }

    /// `user:password` for another client (curl) of this server.
    pub fn credentials(&self) -> String {
        format!("{USER}:{}", self.password)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// An FTP server as our client sees it: where it is, how to log in, where files are.
pub struct FtpTarget {
    /// The control address.
    pub addr: SocketAddr,
    /// Plain, or FTPS with its TLS configuration.
    pub options: ClientOptions,
    /// The account.
    pub user: String,
    /// Its password.
    pub password: String,
    /// The remote directory (with a trailing slash) holding `source.bin` and taking
    /// uploads.
    pub remote_dir: String,
    /// Where uploads land on the server's disk, to be checked there; `None` for a
    /// server on another machine, whose uploads are fetched back to be checked.
    pub upload_dir: Option<PathBuf>,
    /// Where the server's CPU time is counted.
    pub server: cpu::Server,
}

impl FtpTarget {
    /// A logged-in client of this server.
    pub fn login(&self) -> Result<Client, String> {
        let mut c = Client::connect(self.addr, self.options.clone())
            .map_err(|e| format!("connect to {}: {e}", self.addr))?;
        c.login(&self.user, &self.password)
            .map_err(|e| format!("login: {e}"))?;
        Ok(c)
    }

    /// Uploads `source` as the file every download fetches (for a server on another
    /// machine, before its runs).
    pub fn publish(&self, source: &Path) -> Result<(), String> {
        let mut c = self.login()?;
        let mut from = File::open(source).map_err(|e| e.to_string())?;
        c.stor(&format!("{}{SOURCE_NAME}", self.remote_dir), &mut from)
            .map_err(|e| format!("publishing the payload: {e}"))?;
        let _ = c.quit();
        Ok(())
    }
}

impl super::Target for FtpTarget {
    fn run(
        &self,
        direction: Direction,
        streams: usize,
        source: &Path,
        sha256: &[u8; 32],
        sink_dir: &Path,
    ) -> Result<Run, String> {
        let landed = |i| landed(direction, self.upload_dir.as_deref(), sink_dir, i);
        let (meter, clients) = cpu::Meter::our_clients(self.server.clone());
        let timing = streams::run(
            streams,
            Some(&clients),
            |_| self.login(),
            |i, mut c| {
                let remote = |name: &str| format!("{}{name}", self.remote_dir);
                let moved = match direction {
                    Direction::Upload => {
                        let mut from = File::open(source).map_err(|e| e.to_string())?;
                        c.stor(&remote(&format!("up-{i}.bin")), &mut from)
                    }
                    Direction::Download => {
                        let mut to = File::create(landed(i)).map_err(|e| e.to_string())?;
                        c.retr(&remote(SOURCE_NAME), 0, &mut to)
                    }
                }
                .map_err(|e| format!("{direction}: {e}"))?;
                let _ = c.quit();
                if moved == 0 {
                    return Err(format!("{direction} moved nothing"));
                }
                Ok(())
            },
        )?;
        let cpu = meter.finish();
        if direction == Direction::Upload && self.upload_dir.is_none() {
            // Another machine's disk: fetch each upload back (untimed) to check it.
            for i in 0..streams {
                let name = format!("{}up-{i}.bin", self.remote_dir);
                let mut c = self.login()?;
                let mut to = File::create(landed(i)).map_err(|e| e.to_string())?;
                c.retr(&name, 0, &mut to)
                    .map_err(|e| format!("fetching {name} back: {e}"))?;
                let _ = c.command(&format!("DELE {name}"));
                let _ = c.quit();
            }
        }
        let (bytes, verified) = check_landed(streams, landed, sha256)?;
        Ok(Run {
            bytes,
            seconds: timing.seconds,
            handshake_seconds: timing.handshake_seconds,
            cpu,
            verified,
        })
    }
}

/// Where stream `i`'s copy of the payload lands: an upload in the server's `upload_dir`
/// (or, for a server on another machine, where it is fetched back to), a download in
/// `sink_dir`.
pub fn landed(
    direction: Direction,
    upload_dir: Option<&Path>,
    sink_dir: &Path,
    i: usize,
) -> PathBuf {
    match (direction, upload_dir) {
        (Direction::Upload, Some(dir)) => dir.join(format!("up-{i}.bin")),
        (Direction::Upload, None) => sink_dir.join(format!("back-{i}.bin")),
        (Direction::Download, _) => sink_dir.join(format!("down-{i}.bin")),
    }
}

/// The bytes that landed at `landed(i)` for each stream and whether each file matches
/// `sha256`; the files are removed.
pub fn check_landed(
    streams: usize,
    landed: impl Fn(usize) -> PathBuf,
    sha256: &[u8; 32],
) -> Result<(u64, bool), String> {
    let mut verified = true;
    let mut bytes = 0;
    for i in 0..streams {
        let path = landed(i);
        verified &= file_sha256(&path).map_err(|e| format!("{}: {e}", path.display()))? == *sha256;
        bytes += std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
        let _ = std::fs::remove_file(&path);
    }
    Ok((bytes, verified))
}

impl Drop for OurFtp {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
    }
}

fn versions(v: TlsVersion) -> &'static [&'static SupportedProtocolVersion] {
    static TLS12: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    static TLS13: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    match v {
        TlsVersion::Tls12 => &TLS12,
        TlsVersion::Tls13 => &TLS13,
    }
}

/// A throwaway ECDSA P-256 certificate for `localhost` and its key.
fn test_identity() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), String> {
    let key =
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .and_then(|p| p.self_signed(&key))
        .map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().clone(), key))
}

/// Our client's view of a vsftpd: explicit FTPS at `version`, its anonymous account,
/// its throwaway certificate not checked (curl's `--insecure`).
pub fn vsftpd_target(
    engine: &Engine,
    vsftpd: &super::peers::Vsftpd,
    version: TlsVersion,
) -> Result<FtpTarget, String> {
    let client_tls = tls::client_config(
        tls::engine_provider(engine),
        versions(version),
        tls::ServerTrust::Insecure,
        None,
    )
    .map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    Ok(FtpTarget {
        addr: vsftpd.addr(),
        options: ClientOptions::explicit(client_tls, name),
        user: "anonymous".into(),
        password: "bench@".into(),
        remote_dir: "pub/".into(),
        upload_dir: Some(vsftpd.public_dir()),
        server: cpu::Server::Process(vsftpd.pid()),
    })
}

/// Our client's view of a wirecrypt (or any) FTP server on another machine: `protocol`
/// plain or explicit FTPS at `version` with `cipher`, logging in as `user`.
#[allow(clippy::too_many_arguments)]
pub fn remote_target(
    engine: &Engine,
    addr: SocketAddr,
    protocol: Protocol,
    version: Option<TlsVersion>,
    cipher: &str,
    user: &str,
    password: &str,
    trust: Option<tls::ServerTrust>,
) -> Result<FtpTarget, String> {
    let options = match (protocol, trust) {
        (Protocol::Ftps, Some(trust)) => {
            let client_tls = tls::client_config(
                Arc::new(only_cipher(engine, cipher)?),
                versions(version.unwrap_or(TlsVersion::Tls13)),
                trust,
                None,
            )
            .map_err(|e| e.to_string())?;
            ClientOptions::explicit(client_tls, ServerName::IpAddress(addr.ip().into()))
        }
        (Protocol::Ftps, None) => return Err("FTPS needs --ca-file or --insecure".into()),
        _ => ClientOptions::plain(),
    };
    Ok(FtpTarget {
        addr,
        options,
        user: user.into(),
        password: password.into(),
        remote_dir: String::new(),
        upload_dir: None,
        server: cpu::Server::Remote,
    })
}

/// The engine's rustls provider offering only `cipher`'s suites.
fn only_cipher(engine: &Engine, cipher: &str) -> Result<rustls::crypto::CryptoProvider, String> {
    let fragment =
        suite_fragment(cipher).ok_or_else(|| format!("unknown FTPS cipher '{cipher}'"))?;
    let mut provider = (*tls::engine_provider(engine)).clone();
    provider
        .cipher_suites
        .retain(|s| format!("{:?}", s.suite()).contains(fragment));
    if provider.cipher_suites.is_empty() {
        return Err(format!("no {cipher} suite in this engine's TLS provider"));
    }
    Ok(provider)
}
