//! The blocking SSH server: an accept loop, a thread per connection (which reads the
//! socket), and a thread per subsystem channel (which writes).

use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wirecrypt::Engine;

use super::client::packet_config;
use super::session::{Conn, SubsystemRegistry};
use super::transport::{Side, Transport};
use crate::ssh::auth::{self, Decision, ServerAuth, ServerAuthState};
use crate::ssh::error::{Result, SshError};
use crate::ssh::hostkey::KeyPair;
use crate::ssh::transport::negotiate::Preferences;
use crate::ssh::wire::{Reader, Writer, disconnect, msg};

/// Everything a [`Server`] needs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The engine whose packet layer protects connections (its FIPS mode narrows every
    /// algorithm list to what the policy approves).
    pub engine: Engine,
    /// Host keys (one per algorithm family).
    pub host_keys: Vec<Arc<KeyPair>>,
    /// User authentication.
    pub auth: ServerAuth,
    /// Subsystems offered on session channels.
    pub subsystems: SubsystemRegistry,
    /// Ciphers to accept, best first (default: all).
    pub ciphers: Option<Vec<String>>,
    /// MACs to accept, best first (default: the HMAC-SHA-2 family).
    pub macs: Option<Vec<String>>,
    /// Key exchanges to accept, best first (default: all).
    pub kex: Option<Vec<String>>,
    /// Most connections at once; more are refused.
    pub max_connections: usize,
    /// How long the handshake and login may take.
    pub login_timeout: Duration,
    /// How long a logged-in client may send nothing before it is disconnected
    /// (`None`: forever). Channel traffic, window adjustments and rekeys all count.
    pub idle_timeout: Option<Duration>,
    /// Rekey after this many bytes per key (default 1 GiB).
    pub rekey_bytes: Option<u64>,
    /// Write a line to standard error per login, logout and failed connection (on by
    /// default; a benchmark running many sessions turns it off).
    pub log_sessions: bool,
}

impl ServerConfig {
    /// A configuration with `host_keys` and default limits, no subsystems and no users.
    pub fn new(engine: Engine, host_keys: Vec<KeyPair>) -> Self {
        ServerConfig {
            engine,
            host_keys: host_keys.into_iter().map(Arc::new).collect(),
            auth: ServerAuth::default(),
            subsystems: SubsystemRegistry::new(),
            ciphers: None,
            macs: None,
            kex: None,
            max_connections: 64,
            login_timeout: Duration::from_secs(30),
            idle_timeout: Some(Duration::from_secs(600)),
            rekey_bytes: None,
            log_sessions: true,
        }
    }

    fn preferences(&self) -> Result<Preferences> {
        let hk = self
            .host_keys
            .iter()
            .flat_map(|k| k.signature_algorithms())
            .collect();
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

/// A listening SSH server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    config: Arc<ServerConfig>,
}

/// A server running on a background thread; dropping it stops accepting.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Server {
    /// Binds `addr`.
    pub fn bind(addr: impl ToSocketAddrs, config: ServerConfig) -> Result<Server> {
        if config.host_keys.is_empty() {
            return Err(SshError::Key("a server needs at least one host key".into()));
        }
        config.preferences()?;
        Ok(Server {
            listener: TcpListener::bind(addr)?,
            config: Arc::new(config),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Accepts connections on a background thread.
    pub fn spawn(self) -> Result<ServerHandle> {
        let addr = self.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let thread = crate::cpu::spawn(
            std::thread::Builder::new().name("ssh-accept".into()),
            move || self.serve_until(&s2),
        )?;
        Ok(ServerHandle {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// Accepts connections forever.
    pub fn serve(self) {
        self.serve_until(&AtomicBool::new(false));
    }

    fn serve_until(self, stop: &AtomicBool) {
        let active = Arc::new(AtomicUsize::new(0));
        for stream in self.listener.incoming() {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let Ok(stream) = stream else { continue };
            if active.fetch_add(1, Ordering::SeqCst) >= self.config.max_connections {
                active.fetch_sub(1, Ordering::SeqCst);
                eprintln!(
                    "ssh: connection refused: {} at once",
                    self.config.max_connections
                );
                continue;
            }
            let config = self.config.clone();
            let active = active.clone();
            let spawned = crate::cpu::spawn(
                std::thread::Builder::new().name("ssh-conn".into()),
                move || {
                    let peer = peer_name(&stream);
                    let ended = serve_connection(stream, &config);
                    if config.log_sessions {
                        match ended {
                            Ok(user) => {
                                eprintln!("ssh: {peer}: {} logged out", user.escape_debug())
                            }
                            Err(e) => eprintln!("ssh: {peer}: {e}"),
                        }
                    }
                    active.fetch_sub(1, Ordering::SeqCst);
                },
            );
            if spawned.is_err() {
                eprintln!("ssh: could not start a connection thread");
            }
        }
    }
}

fn serve_connection(stream: TcpStream, config: &ServerConfig) -> Result<String> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(config.login_timeout))?;
    let side = Side {
        engine: config.engine.clone(),
        prefs: config.preferences()?,
        packet: packet_config(config.rekey_bytes)?,
        host_keys: config.host_keys.clone(),
        check_host: None,
        server_sig_algs: if config.engine.fips_mode() {
            config
                .auth
                .key_algorithms
                .iter()
                .filter(|a| wirecrypt::fips::policy::ssh_key(a).status.is_approved())
                .cloned()
                .collect()
        } else {
            config.auth.key_algorithms.clone()
        },
    };
    let mut t = Transport::handshake(stream.try_clone()?, side)?;
    let user = match login(&mut t, config) {
        Ok(u) => u,
        Err(e) => {
            t.link.disconnect(e.disconnect_reason(), &e.to_string());
            t.linger();
            return Err(e);
        }
    };
    if config.log_sessions {
        eprintln!(
            "ssh: {}: {} logged in",
            peer_name(&stream),
            user.escape_debug()
        );
    }
    stream.set_read_timeout(config.idle_timeout)?;
    // The server opens no channels itself; the timeout only bounds its requests.
    let conn = Conn::new(t.link.clone(), config.login_timeout, Some(user.clone()));
    conn.run(t, Some(&config.subsystems));
    Ok(user)
}

/// The peer's address for a log line (user names are escaped where they are printed:
/// they come from the peer).
fn peer_name(stream: &TcpStream) -> String {
    stream
        .peer_addr()
        .map_or_else(|_| "unknown peer".to_string(), |a| a.to_string())
}

fn login(t: &mut Transport, config: &ServerConfig) -> Result<String> {
    let p = t.next()?;
    let mut r = Reader::new(&p[1..]);
    if p[0] != msg::SERVICE_REQUEST || r.str()? != auth::USERAUTH {
        return Err(SshError::protocol("expected SERVICE_REQUEST ssh-userauth"));
    }
    t.link.send(
        &Writer::msg(msg::SERVICE_ACCEPT)
            .str(auth::USERAUTH)
            .finish(),
    )?;
    let mut auth_cfg = config.auth.clone();
    if config.engine.fips_mode() {
        auth_cfg
            .key_algorithms
            .retain(|a| wirecrypt::fips::policy::ssh_key(a).status.is_approved());
    }
    let delay = auth_cfg.failure_delay;
    let mut state = ServerAuthState::new(auth_cfg);
    loop {
        let p = t.next()?;
        if p[0] != msg::USERAUTH_REQUEST {
            return Err(SshError::protocol(format!(
                "message {} before authentication",
                p[0]
            )));
        }
        let sid = t.session_id().to_vec();
        match state.decide(&sid, &p)? {
            Decision::Success(user) => {
                t.link.send(&Writer::msg(msg::USERAUTH_SUCCESS).finish())?;
                return Ok(user);
            }
            Decision::Reply(m) => t.link.send(&m)?,
            Decision::Failure(m) => {
                std::thread::sleep(delay);
                t.link.send(&m)?;
            }
            Decision::TooMany => {
                std::thread::sleep(delay);
                let e = SshError::Auth("too many failed attempts".into());
                t.link
                    .disconnect(disconnect::NO_MORE_AUTH_METHODS_AVAILABLE, &e.to_string());
                t.linger();
                return Err(e);
            }
        }
    }
}
