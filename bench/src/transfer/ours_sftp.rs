//! wirecrypt at SFTP's ends: our SSH server with the `sftp` subsystem on 127.0.0.1 in
//! this process, and our SSH client with the pipelined SFTP client in threads beside
//! it — every packet sealed and opened by the engine. The same client also measures
//! against OpenSSH's sshd, and the same server against OpenSSH's `sftp`.

use std::path::{Path, PathBuf};

use wirecrypt::Engine;
use wirecrypt_xfer::sftp::{self, ClientOptions, Config, over_ssh};
use wirecrypt_xfer::ssh::{
    AuthorizedKeys, Client, ClientConfig, KeyPair, Server, ServerConfig, ServerHandle,
};

use super::case::{Direction, Run};
use super::cpu;
use super::ours_ftp::{check_landed, landed};
use super::payload::{SOURCE_NAME, Scratch};
use super::peers::SftpLogin;
use super::streams;

const USER: &str = "bench";

/// Splits a plan cipher (`cipher` or `cipher+mac`) into its SSH names.
pub fn split_cipher(cipher: &str) -> (&str, Option<&str>) {
    cipher
        .split_once('+')
        .map_or((cipher, None), |(c, m)| (c, Some(m)))
}

/// An ECDSA P-256 key from the engine's generator (P-256 also passes in FIPS mode).
fn new_key(engine: &Engine) -> Result<ssh_key::PrivateKey, String> {
    ssh_key::PrivateKey::random(
        &mut engine.rng(),
        ssh_key::Algorithm::Ecdsa {
            curve: ssh_key::EcdsaCurve::NistP256,
        },
    )
    .map_err(|e| format!("generating a key: {e}"))
}

/// Our SSH server serving `root` over SFTP, and what a client needs to log in.
pub struct OurSftp {
    server: Option<ServerHandle>,
    /// What the server's threads spend.
    cpu: cpu::CpuAccount,
    root: PathBuf,
    keys: Scratch,
    user_private: ssh_key::PrivateKey,
    user_key: KeyPair,
    host_key: KeyPair,
}

impl OurSftp {
    /// Starts the server on `engine` with `root` (holding the payload) as its root.
    pub fn start(engine: &Engine, root: &Path) -> Result<OurSftp, String> {
        let host_key = KeyPair::new(new_key(engine)?).map_err(|e| e.to_string())?;
        let user_private = new_key(engine)?;
        let user_key = KeyPair::new(user_private.clone()).map_err(|e| e.to_string())?;
        let mut config = ServerConfig::new(engine.clone(), vec![host_key.clone()]);
        config.auth.authorized_keys = Some(AuthorizedKeys::from_keys(vec![
            user_key.public_key().clone(),
        ]));
        // Hundreds of sessions per run: their log lines would bury the table.
        config.log_sessions = false;
        over_ssh::register(&mut config.subsystems, root, Config::default());
        let (account, server) = cpu::in_new_account(|| {
            Server::bind("127.0.0.1:0", config)
                .and_then(Server::spawn)
                .map_err(|e| format!("starting our SSH server: {e}"))
        });
        let server = server?;
        let keys = Scratch::new("ssh-keys").map_err(|e| e.to_string())?;
        let ours = OurSftp {
            server: Some(server),
            cpu: account,
            root: root.to_path_buf(),
            keys,
            user_private,
            user_key,
            host_key,
        };
        ours.write_client_files()?;
        Ok(ours)
    }

    fn port(&self) -> u16 {
        self.server.as_ref().map_or(0, |s| s.local_addr().port())
    }

    /// known_hosts for our host key, and the user key as a file for OpenSSH's sftp.
    fn write_client_files(&self) -> Result<(), String> {
        let public = self
            .host_key
            .public_key()
            .to_openssh()
            .map_err(|e| e.to_string())?;
        std::fs::write(
            self.keys.path().join("known_hosts"),
            format!("[127.0.0.1]:{} {public}\n", self.port()),
        )
        .map_err(|e| e.to_string())?;
        let private = self
            .user_private
            .to_openssh(ssh_key::LineEnding::LF)
            .map_err(|e| e.to_string())?;
        let id = self.keys.path().join("id");
        std::fs::write(&id, private.as_bytes()).map_err(|e| e.to_string())?;
        // OpenSSH refuses a private key others can read.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&id, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())
    }

    /// How our client reaches this server with `cipher`.
    pub fn target(&self, engine: &Engine, cipher: &str) -> SftpTarget {
        SftpTarget {
            addr: ([127, 0, 0, 1], self.port()).into(),
            engine: engine.clone(),
            user: USER.into(),
            login: Login::Key(self.user_key.clone()),
            known_hosts: self.keys.path().join("known_hosts"),
            cipher: cipher.into(),
            remote_dir: "/".into(),
            upload_dir: Some(self.root.clone()),
            server: cpu::Server::Threads(self.cpu.clone()),
        }
    }

    /// How OpenSSH's sftp reaches this server.
    pub fn openssh_login(&self) -> SftpLogin {
        SftpLogin {
            port: self.port(),
            user: USER.into(),
            key: self.keys.path().join("id"),
            known_hosts: self.keys.path().join("known_hosts"),
            remote_dir: "/".into(),
            upload_dir: self.root.clone(),
            server: cpu::Server::Threads(self.cpu.clone()),
        }
    }
}

impl Drop for OurSftp {
    fn drop(&mut self) {
        // Stops accepting; sessions still open end with their clients.
        drop(self.server.take());
    }
}

/// An SFTP server as our client sees it.
pub struct SftpTarget {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// Our client's engine.
    pub engine: Engine,
    /// The account.
    pub user: String,
    /// How the account logs in.
    pub login: Login,
    /// known_hosts holding the server's key.
    pub known_hosts: PathBuf,
    /// `cipher` or `cipher+mac`.
    pub cipher: String,
    /// The remote directory (empty, or with a trailing slash) holding `source.bin` and
    /// taking uploads.
    pub remote_dir: String,
    /// Where uploads land on this machine's disk; `None` for a server on another
    /// machine, whose uploads are fetched back (untimed) to be checked.
    pub upload_dir: Option<PathBuf>,
    /// Where the server's CPU time is counted.
    pub server: cpu::Server,
}

/// How our client logs in.
#[derive(Clone)]
pub enum Login {
    /// With this key.
    Key(KeyPair),
    /// With this password (never printed).
    Password(String),
}

/// A connection and the SFTP session on it (the session ends first).
struct Session {
    sftp: sftp::Client,
    ssh: Client,
}

impl SftpTarget {
    fn connect(&self) -> Result<Session, String> {
        let mut c = ClientConfig::new(self.engine.clone(), &self.user, &self.known_hosts);
        match &self.login {
            Login::Key(k) => c.identity = Some(k.clone()),
            Login::Password(p) => c.password = Some(p.clone()),
        }
        let (cipher, mac) = split_cipher(&self.cipher);
        c.ciphers = Some(vec![cipher.into()]);
        if let Some(m) = mac {
            c.macs = Some(vec![m.into()]);
        }
        let ssh = Client::connect(self.addr, c).map_err(|e| format!("ssh {}: {e}", self.addr))?;
        let sftp = over_ssh::open(&ssh, ClientOptions::default()).map_err(|e| e.to_string())?;
        Ok(Session { sftp, ssh })
    }

    /// Uploads `source` as the file every download fetches (for a server on another
    /// machine, before its runs).
    pub fn publish(&self, source: &Path) -> Result<(), String> {
        let Session { mut sftp, ssh } = self.connect()?;
        sftp.put_file(source, &format!("{}{SOURCE_NAME}", self.remote_dir))
            .map_err(|e| format!("publishing the payload: {e}"))?;
        drop(sftp);
        ssh.disconnect();
        Ok(())
    }
}

impl super::Target for SftpTarget {
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
            |_| self.connect(),
            |i, s| {
                let Session { mut sftp, ssh } = s;
                let moved = match direction {
                    Direction::Upload => {
                        sftp.put_file(source, &format!("{}up-{i}.bin", self.remote_dir))
                    }
                    Direction::Download => {
                        sftp.get_file(&format!("{}{SOURCE_NAME}", self.remote_dir), landed(i))
                    }
                }
                .map_err(|e| format!("{direction}: {e}"))?;
                drop(sftp);
                ssh.disconnect();
                if moved == 0 {
                    return Err(format!("{direction} moved nothing"));
                }
                Ok(())
            },
        )?;
        let cpu = meter.finish();
        if direction == Direction::Upload && self.upload_dir.is_none() {
            // Another machine's disk: fetch each upload back (untimed) to check it.
            let Session { mut sftp, ssh } = self.connect()?;
            for i in 0..streams {
                let name = format!("{}up-{i}.bin", self.remote_dir);
                sftp.get_file(&name, landed(i))
                    .map_err(|e| format!("fetching {name} back: {e}"))?;
                let _ = sftp.remove(&name);
            }
            drop(sftp);
            ssh.disconnect();
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
