//! The blocking SSH client: [`Client::connect`] runs the handshake and user
//! authentication on the calling thread, then starts one reading thread for the
//! connection; channels are used from any thread.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ssh_key::PublicKey;
use wirecrypt::Engine;
use wirecrypt::ssh::PacketConfig;

use super::channel::{ChannelReader, ChannelWriter};
use super::session::Conn;
use super::transport::{ConnectionInfo, Side, Transport};
use crate::ssh::auth;
use crate::ssh::error::{Result, SshError};
use crate::ssh::hostkey::{HostCheck, KeyPair, KnownHosts};
use crate::ssh::transport::negotiate::{HOST_KEY_ALGORITHMS, Preferences};
use crate::ssh::wire::{Reader, Writer, msg};

/// What the client does with a host key known_hosts does not list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HostKeyPolicy {
    /// Refuse unknown and changed keys (OpenSSH `StrictHostKeyChecking yes`).
    #[default]
    Strict,
    /// Accept and record a key for a host with no entry; refuse changed keys
    /// (OpenSSH `accept-new`).
    AcceptNew,
}

/// Everything [`Client::connect`] needs.
#[derive(Clone)]
pub struct ClientConfig {
    /// The engine whose packet layer protects the connection (its FIPS mode narrows
    /// every algorithm list to what the policy approves).
    pub engine: Engine,
    /// The user to log in as.
    pub user: String,
    /// The key for `publickey` authentication.
    pub identity: Option<KeyPair>,
    /// A password, tried after the key.
    pub password: Option<String>,
    /// The known_hosts file.
    pub known_hosts: PathBuf,
    /// Unknown host keys: refuse, or accept and record.
    pub host_key_policy: HostKeyPolicy,
    /// The host name known_hosts is searched for (default: the IP address connected to).
    pub host_name: Option<String>,
    /// Ciphers to offer, best first (default: all, see
    /// [`negotiate::CIPHERS`](crate::ssh::transport::negotiate::CIPHERS)).
    pub ciphers: Option<Vec<String>>,
    /// MACs to offer (default: the HMAC-SHA-2 family).
    pub macs: Option<Vec<String>>,
    /// Key exchanges to offer.
    pub kex: Option<Vec<String>>,
    /// Host-key algorithms to accept.
    pub host_key_algorithms: Option<Vec<String>>,
    /// Rekey after this many bytes per key (default 1 GiB).
    pub rekey_bytes: Option<u64>,
    /// How long the handshake and login may take.
    pub login_timeout: Duration,
    /// How long opening a channel (and its subsystem or exec request) may wait for
    /// the server's answer.
    pub channel_timeout: Duration,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("user", &self.user)
            .field("identity", &self.identity)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("known_hosts", &self.known_hosts)
            .field("host_key_policy", &self.host_key_policy)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// A configuration for `user` checking host keys against `known_hosts`.
    pub fn new(engine: Engine, user: &str, known_hosts: impl Into<PathBuf>) -> Self {
        ClientConfig {
            engine,
            user: user.to_owned(),
            identity: None,
            password: None,
            known_hosts: known_hosts.into(),
            host_key_policy: HostKeyPolicy::Strict,
            host_name: None,
            ciphers: None,
            macs: None,
            kex: None,
            host_key_algorithms: None,
            rekey_bytes: None,
            login_timeout: Duration::from_secs(30),
            channel_timeout: Duration::from_secs(30),
        }
    }

    pub(crate) fn preferences(&self) -> Result<Preferences> {
        let hk = self
            .host_key_algorithms
            .clone()
            .unwrap_or_else(|| HOST_KEY_ALGORITHMS.iter().map(|s| (*s).into()).collect());
        let mut p = Preferences::new(hk);
        if let Some(c) = &self.ciphers {
            p.ciphers = c.clone();
        }
        if let Some(m) = &self.macs {
            p.macs = m.clone();
        }
        if let Some(k) = &self.kex {
            p.kex = k.clone();
        }
        if self.engine.fips_mode() {
            p = p.fips_only();
        }
        p.validate()?;
        Ok(p)
    }
}

pub(crate) fn packet_config(rekey_bytes: Option<u64>) -> Result<PacketConfig> {
    let cfg = PacketConfig::new();
    Ok(match rekey_bytes {
        Some(b) => cfg.with_rekey_bytes(Some(b))?,
        None => cfg,
    })
}

/// A connected, authenticated SSH client.
pub struct Client {
    conn: Arc<Conn>,
    info: Arc<ConnectionInfo>,
    reader: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to `addr`, checks the host key, and logs in.
    pub fn connect(addr: impl ToSocketAddrs, config: ClientConfig) -> Result<Client> {
        let prefs = config.preferences()?;
        let addr: SocketAddr = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| SshError::Io(std::io::Error::other("no address to connect to")))?;
        let stream = TcpStream::connect_timeout(&addr, config.login_timeout)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(config.login_timeout))?;
        let host = config
            .host_name
            .clone()
            .unwrap_or_else(|| addr.ip().to_string());
        let port = addr.port();
        let mut known = KnownHosts::load(&config.known_hosts)?;
        let policy = config.host_key_policy;
        let check = move |key: &PublicKey| -> Result<()> {
            match known.check(&host, port, key) {
                HostCheck::Known => Ok(()),
                HostCheck::Unknown if policy == HostKeyPolicy::AcceptNew => {
                    known.record(&host, port, key)
                }
                HostCheck::Unknown => Err(SshError::HostKey(format!(
                    "no known_hosts entry for {host} port {port} ({} {}); \
                     accept-new would record it",
                    key.algorithm().as_str(),
                    key.fingerprint(Default::default())
                ))),
                HostCheck::Changed => Err(SshError::HostKey(format!(
                    "the host key of {host} port {port} differs from known_hosts ({}): \
                     possible man-in-the-middle attack",
                    key.fingerprint(Default::default())
                ))),
                HostCheck::Revoked => Err(SshError::HostKey(format!(
                    "the host key of {host} port {port} is marked @revoked"
                ))),
            }
        };
        let side = Side {
            engine: config.engine.clone(),
            prefs,
            packet: packet_config(config.rekey_bytes)?,
            host_keys: Vec::new(),
            check_host: Some(Box::new(check)),
            server_sig_algs: Vec::new(),
        };
        let mut t = Transport::handshake(stream.try_clone()?, side)?;
        if let Err(e) = login(&mut t, &config) {
            t.link.disconnect(e.disconnect_reason(), &e.to_string());
            t.linger();
            return Err(e);
        }
        stream.set_read_timeout(None)?;
        let conn = Conn::new(t.link.clone(), config.channel_timeout, None);
        let info = t.info.clone();
        let c2 = conn.clone();
        let reader = crate::cpu::spawn(
            std::thread::Builder::new().name("ssh-client-read".into()),
            move || c2.run(t, None),
        )?;
        Ok(Client {
            conn,
            info,
            reader: Mutex::new(Some(reader)),
        })
    }

    /// Opens a session channel running subsystem `name` (`"sftp"`) and returns its
    /// two halves.
    pub fn open_subsystem(&self, name: &str) -> Result<(ChannelReader, ChannelWriter)> {
        self.conn.open_request("subsystem", name)
    }

    /// Opens a session channel running `command` on the server (`exec`).
    pub fn open_exec(&self, command: &str) -> Result<(ChannelReader, ChannelWriter)> {
        self.conn.open_request("exec", command)
    }

    /// What the key exchanges agreed on, and how many ran.
    pub fn info(&self) -> &ConnectionInfo {
        &self.info
    }

    /// Sends DISCONNECT and waits for the reading thread to end.
    pub fn disconnect(&self) {
        self.conn
            .link
            .disconnect(crate::ssh::wire::disconnect::BY_APPLICATION, "bye");
        self.conn.wake_all();
        if let Some(h) = self.reader.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = h.join();
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.disconnect();
    }
}

fn login(t: &mut Transport, config: &ClientConfig) -> Result<()> {
    t.link.send(
        &Writer::msg(msg::SERVICE_REQUEST)
            .str(auth::USERAUTH)
            .finish(),
    )?;
    let p = t.next()?;
    if p[0] != msg::SERVICE_ACCEPT {
        return Err(SshError::protocol(format!(
            "expected SERVICE_ACCEPT, got message {}",
            p[0]
        )));
    }
    let mut attempts = Vec::new();
    if let Some(key) = &config.identity {
        let sid = t.session_id().to_vec();
        attempts.push((
            "publickey",
            auth::publickey_request(&sid, &config.user, key, t.peer_sig_algs.as_deref())?,
        ));
    }
    if let Some(pw) = &config.password {
        attempts.push(("password", auth::password_request(&config.user, pw)));
    }
    let mut tried = Vec::new();
    for (method, req) in attempts {
        t.link.send(&req)?;
        tried.push(method);
        loop {
            let p = t.next()?;
            match p[0] {
                msg::USERAUTH_SUCCESS => return Ok(()),
                msg::USERAUTH_FAILURE => break,
                msg::USERAUTH_BANNER => continue,
                m => {
                    let _ = Reader::new(&p);
                    return Err(SshError::protocol(format!(
                        "unexpected message {m} during authentication"
                    )));
                }
            }
        }
    }
    Err(SshError::Auth(format!(
        "the server accepted none of: {}",
        if tried.is_empty() {
            "(no credentials configured)".to_owned()
        } else {
            tried.join(", ")
        }
    )))
}
