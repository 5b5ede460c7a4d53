//! The blocking FTP/FTPS server: one thread per session, driving
//! [`control::Session`](super::control::Session) over real sockets.
//!
//! ```no_run
//! use std::sync::Arc;
//! use wirecrypt_xfer::ftp::{Server, ServerConfig};
//! use wirecrypt_xfer::users::UsersFile;
//!
//! let users = Arc::new(UsersFile::load("users")?);
//! let config = ServerConfig::new("/srv/ftp", users);
//! let server = Server::bind("127.0.0.1:2121", config)?;
//! server.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::ops::RangeInclusive;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustls::{ServerConnection, StreamOwned};

use super::control::{
    Action, CccPolicy, DataMode, DuringTransfer, FsOp, FsOutcome, LineError, LineReader, Policy,
    Reply, Session, Transfer, TransferError, TransferKind, aborted_replies, during_transfer,
    greeting,
};
use super::data::{self, DataStream};
use super::fs::{self, FtpRoot};
use super::tls;
use crate::cpu;
use crate::users::{LoginLimiter, UsersFile};

/// Everything a server needs; built with [`ServerConfig::new`] and adjusted field by
/// field.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The directory every session is confined to.
    pub root: PathBuf,
    /// Who may log in.
    pub users: Arc<UsersFile>,
    /// TLS (FTPS); `None` serves plain FTP only. Build it with
    /// [`tls::server_config`]; each session uses a private copy ([`tls::per_session`]).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Implicit FTPS: TLS from the first byte.
    pub implicit_tls: bool,
    /// Refuse USER/PASS before AUTH TLS and answer 522 to unprotected transfers.
    pub require_tls: bool,
    /// Data connections must resume the control connection's TLS session (vsftpd's
    /// `require_ssl_reuse`, on by default); others get 522.
    pub require_tls_reuse: bool,
    /// What CCC does.
    pub ccc: CccPolicy,
    /// Ports for passive data connections.
    pub pasv_ports: RangeInclusive<u16>,
    /// At most this many sessions at once; more get 421.
    pub max_connections: usize,
    /// Time to complete the login.
    pub login_timeout: Duration,
    /// Time a logged-in session may sit idle.
    pub idle_timeout: Duration,
    /// Time for a data connection to arrive and for each read/write on it.
    pub data_timeout: Duration,
    /// Failed-login throttling, shared by all sessions.
    pub limiter: Arc<LoginLimiter>,
    /// Failed logins allowed per session before it is closed.
    pub max_login_failures: u32,
    /// When set, commands (PASS redacted) and reply codes are recorded here.
    pub transcript: Option<Transcript>,
}

impl ServerConfig {
    /// A plain-FTP configuration with the defaults: passive ports 50000-50999, 64
    /// connections, 60 s to log in, 300 s idle, 30 s for data connections.
    pub fn new(root: impl Into<PathBuf>, users: Arc<UsersFile>) -> Self {
        ServerConfig {
            root: root.into(),
            users,
            tls: None,
            implicit_tls: false,
            require_tls: false,
            require_tls_reuse: true,
            ccc: CccPolicy::Allow,
            pasv_ports: 50000..=50999,
            max_connections: 64,
            login_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(30),
            limiter: Arc::new(LoginLimiter::default()),
            max_login_failures: 3,
            transcript: None,
        }
    }

    /// Adds explicit FTPS (AUTH TLS) with `tls`; `require` makes TLS mandatory for
    /// login and data.
    pub fn with_tls(mut self, tls: Arc<rustls::ServerConfig>, require: bool) -> Self {
        self.tls = Some(tls);
        self.require_tls = require;
        self
    }
}

/// A shared record of what sessions said: `#id> COMMAND` and `#id< code`.
#[derive(Clone, Debug, Default)]
pub struct Transcript(Arc<Mutex<Vec<String>>>);

const TRANSCRIPT_MAX: usize = 100_000;

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&self, line: String) {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if v.len() < TRANSCRIPT_MAX {
            v.push(line);
        }
    }

    /// Everything recorded so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A bound FTP server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: ServerConfig,
    root: FtpRoot,
    active: AtomicUsize,
    next_port: AtomicU16,
    next_id: AtomicU64,
    stop: AtomicBool,
}

/// A server running on its own thread; [`ServerHandle::shutdown`] stops accepting.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sessions currently open.
    pub fn active_sessions(&self) -> usize {
        self.shared.active.load(Ordering::SeqCst)
    }

    /// Stops accepting new sessions (open sessions run to their end).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Server {
    /// Binds the control listener. Fails if the root is not a directory or implicit
    /// TLS is asked for without a TLS configuration.
    pub fn bind(addr: impl ToSocketAddrs, config: ServerConfig) -> io::Result<Server> {
        if (config.implicit_tls || config.require_tls) && config.tls.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "implicit or required TLS needs a TLS configuration",
            ));
        }
        if config.pasv_ports.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "empty passive port range",
            ));
        }
        let root = FtpRoot::new(&config.root)?;
        let listener = TcpListener::bind(addr)?;
        let start = *config.pasv_ports.start();
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                config,
                root,
                active: AtomicUsize::new(0),
                next_port: AtomicU16::new(start),
                next_id: AtomicU64::new(1),
                stop: AtomicBool::new(false),
            }),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Runs the accept loop on a new thread.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let addr = self.local_addr()?;
        let shared = self.shared.clone();
        let thread = cpu::spawn(
            thread::Builder::new().name("ftp-accept".into()),
            move || self.run(),
        )?;
        Ok(ServerHandle {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    /// Accepts sessions until stopped, each on its own thread.
    pub fn run(self) -> io::Result<()> {
        for conn in self.listener.incoming() {
            if self.shared.stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(mut sock) = conn else {
                // Out of descriptors, say: do not spin.
                thread::sleep(Duration::from_millis(50));
                continue;
            };
            let shared = self.shared.clone();
            if shared.active.fetch_add(1, Ordering::SeqCst) >= shared.config.max_connections {
                shared.active.fetch_sub(1, Ordering::SeqCst);
                // Plain text even for implicit TLS: the session never starts.
                let _ = sock.write_all(&Reply::new(421, "Too many connections.").to_wire());
                continue;
            }
            let spawned = cpu::spawn(thread::Builder::new().name("ftp-session".into()), {
                let shared = shared.clone();
                move || {
                    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
                    let _ = run_session(&shared, sock, id);
                    shared.active.fetch_sub(1, Ordering::SeqCst);
                }
            });
            if spawned.is_err() {
                shared.active.fetch_sub(1, Ordering::SeqCst);
            }
        }
        Ok(())
    }
}

/// The control connection, in clear or under TLS.
enum Control {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
    /// Only while switching.
    Gone,
}

impl Control {
    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Control::Plain(s) => Some(s),
            Control::Tls(s) => Some(&s.sock),
            Control::Gone => None,
        }
    }

    fn send(&mut self, r: &Reply) -> io::Result<()> {
        let wire = r.to_wire();
        match self {
            Control::Plain(s) => s.write_all(&wire),
            Control::Tls(s) => {
                s.write_all(&wire)?;
                s.flush()
            }
            Control::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    /// Whether bytes already read from the socket wait to be returned by
    /// [`recv`](Self::recv) (TLS decrypts whole records, and a record may hold several
    /// lines): then polling the socket would wait for nothing.
    fn has_buffered_input(&mut self) -> bool {
        match self {
            Control::Tls(s) => s
                .conn
                .process_new_packets()
                .map_or(true, |state| state.plaintext_bytes_to_read() > 0),
            Control::Plain(_) | Control::Gone => false,
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Control::Plain(s) => s.read(buf),
            Control::Tls(s) => s.read(buf),
            Control::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }
}

struct Ctx<'a> {
    shared: &'a Shared,
    id: u64,
    peer: IpAddr,
    local: IpAddr,
    tls: Option<tls::SessionTls>,
    pasv: Option<TcpListener>,
    failures: u32,
    /// The logged-in user's own root, when their users-file entry names one.
    user_root: Option<FtpRoot>,
}

impl Ctx<'_> {
    /// The tree this session works in: the user's own root, or the server's.
    fn root(&self) -> &FtpRoot {
        self.user_root.as_ref().unwrap_or(&self.shared.root)
    }

    fn log(&self, line: String) {
        if let Some(t) = &self.shared.config.transcript {
            t.push(format!("#{} {line}", self.id));
        }
    }

    fn reply(&self, ctl: &mut Control, r: &Reply) -> io::Result<()> {
        self.log(format!("< {}", r.code));
        ctl.send(r)
    }
}

fn run_session(shared: &Shared, sock: TcpStream, id: u64) -> io::Result<()> {
    let cfg = &shared.config;
    let peer = sock.peer_addr()?.ip();
    let local = sock.local_addr()?.ip();
    sock.set_nodelay(true)?;
    sock.set_read_timeout(Some(cfg.login_timeout))?;
    sock.set_write_timeout(Some(cfg.data_timeout))?;
    let mut cx = Ctx {
        shared,
        id,
        peer,
        local,
        tls: cfg.tls.as_ref().map(tls::per_session),
        pasv: None,
        failures: 0,
        user_root: None,
    };
    cx.log(format!("connect {peer}"));
    let mut ctl = if cfg.implicit_tls {
        start_tls(&cx, sock)?
    } else {
        Control::Plain(sock)
    };
    let mut session = Session::new(Policy {
        tls_available: cfg.tls.is_some(),
        implicit_tls: cfg.implicit_tls,
        require_tls_login: cfg.require_tls,
        require_tls_data: cfg.require_tls,
        ccc: cfg.ccc,
        peer,
    });
    cx.reply(&mut ctl, &greeting())?;

    let mut lines = LineReader::new();
    // Commands that arrived during a transfer and wait for its end, oldest first.
    let mut deferred = VecDeque::new();
    let mut buf = [0u8; 4096];
    loop {
        let next = match deferred.pop_front() {
            Some(l) => Some(Ok(l)),
            None => lines.next_line(),
        };
        let line = match next {
            Some(Ok(l)) => l,
            Some(Err(LineError::TooLong)) => {
                cx.log("> <line too long>".into());
                cx.reply(&mut ctl, &Reply::new(500, "Command line too long."))?;
                continue;
            }
            Some(Err(LineError::NotUtf8)) => {
                cx.reply(&mut ctl, &Reply::new(501, "Command is not UTF-8."))?;
                continue;
            }
            None => {
                let timeout = if session.user().is_some() {
                    cfg.idle_timeout
                } else {
                    cfg.login_timeout
                };
                if let Some(t) = ctl.tcp() {
                    t.set_read_timeout(Some(timeout))?;
                }
                match ctl.recv(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => lines.feed(&buf[..n]),
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        let _ = cx.reply(&mut ctl, &Reply::new(421, "Timeout."));
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                }
                continue;
            }
        };
        let shown = if line
            .get(..4)
            .is_some_and(|v| v.eq_ignore_ascii_case("PASS"))
        {
            "PASS <redacted>".to_owned()
        } else {
            line.clone()
        };
        cx.log(format!("> {shown}"));

        let action = session.handle(&line);
        if session.data_mode() != DataMode::Passive && !matches!(action, Action::Transfer(_)) {
            // A refused transfer, PORT or ABOR ends the passive offer: close its port.
            cx.pasv = None;
        }
        match action {
            Action::Reply(r) => cx.reply(&mut ctl, &r)?,
            Action::Close(r) => {
                let _ = cx.reply(&mut ctl, &r);
                if let Control::Tls(mut s) = ctl {
                    s.conn.send_close_notify();
                    let _ = s.flush();
                }
                return Ok(());
            }
            Action::StartTls(r) => {
                cx.reply(&mut ctl, &r)?;
                if lines.has_pending() {
                    // Sent in clear before the handshake: never treat it as protected.
                    cx.log("dropped bytes pipelined after AUTH".into());
                    lines.clear();
                }
                let Control::Plain(sock) = std::mem::replace(&mut ctl, Control::Gone) else {
                    return Ok(());
                };
                ctl = start_tls(&cx, sock)?;
            }
            Action::ClearControl(r) => {
                cx.reply(&mut ctl, &r)?;
                let Control::Tls(s) = std::mem::replace(&mut ctl, Control::Gone) else {
                    return Ok(());
                };
                let StreamOwned { mut conn, sock } = *s;
                conn.send_close_notify();
                ctl = Control::Plain(tls::clear_after_close_notify(conn.into(), sock)?);
                lines.clear();
            }
            Action::Login { user, password } => {
                let limiter = &cfg.limiter;
                if !limiter.allowed(cx.peer) {
                    cx.reply(
                        &mut ctl,
                        &Reply::new(421, "Too many failed logins; try later."),
                    )?;
                    return Ok(());
                }
                let mut ok = cfg.users.verify(&user, &password.0);
                drop(password);
                if ok {
                    // A user whose root cannot be opened cannot log in (and is told no
                    // more than for a wrong password; the log says why).
                    match user_root(cfg, &user) {
                        Ok(root) => cx.user_root = root,
                        Err(e) => {
                            cx.log(format!("root of {}: {e}", user.escape_debug()));
                            ok = false;
                        }
                    }
                }
                if ok {
                    limiter.succeeded(cx.peer);
                } else {
                    thread::sleep(limiter.failed(cx.peer));
                    cx.failures += 1;
                }
                let r = session.login_done(&user, ok);
                cx.reply(&mut ctl, &r)?;
                if !ok && cx.failures >= cfg.max_login_failures {
                    cx.reply(&mut ctl, &Reply::new(421, "Too many failed logins."))?;
                    return Ok(());
                }
            }
            Action::OpenPassive { extended } => {
                cx.pasv = None; // a new PASV replaces the old listener (no flood)
                let addr = open_passive(&mut cx);
                let r = session.passive_ready(addr, extended);
                cx.reply(&mut ctl, &r)?;
            }
            Action::Fs(op) => {
                let result = do_fs(cx.root(), &op);
                let r = session.fs_done(result);
                cx.reply(&mut ctl, &r)?;
            }
            Action::Transfer(t) => match open_transfer(&mut cx, &mut ctl, &t) {
                Err(e) => {
                    let r = session.transfer_done(Err(e));
                    cx.reply(&mut ctl, &r)?;
                }
                Ok(job) => {
                    let watch = Watch {
                        ctl: &mut ctl,
                        lines: &mut lines,
                        deferred: &mut deferred,
                    };
                    match watch_transfer(&cx, watch, job)? {
                        Watched::Done(result) => {
                            let r = session.transfer_done(result);
                            cx.reply(&mut ctl, &r)?;
                        }
                        Watched::Aborted => {
                            for r in aborted_replies() {
                                cx.reply(&mut ctl, &r)?;
                            }
                        }
                    }
                }
            },
        }
    }
}

/// The root `user` is confined to when their users-file entry names one of their own
/// (relative to the server's root, or absolute); `None` keeps the server's.
fn user_root(cfg: &ServerConfig, user: &str) -> io::Result<Option<FtpRoot>> {
    if cfg.users.root(user).is_none() {
        return Ok(None);
    }
    FtpRoot::new(&cfg.users.root_for(user, &cfg.root)).map(Some)
}

fn start_tls(cx: &Ctx<'_>, mut sock: TcpStream) -> io::Result<Control> {
    let config = cx
        .tls
        .as_ref()
        .map(|t| t.control.clone())
        .ok_or_else(|| io::Error::other("no TLS configuration"))?;
    let mut conn = ServerConnection::new(config).map_err(io::Error::other)?;
    if let Err(e) = tls::handshake(&mut conn, &mut sock) {
        cx.log(format!("TLS handshake failed: {e}"));
        return Err(e);
    }
    cx.log(format!(
        "TLS {:?} {:?}",
        conn.protocol_version(),
        conn.negotiated_cipher_suite().map(|s| s.suite())
    ));
    Ok(Control::Tls(Box::new(StreamOwned::new(conn, sock))))
}

fn open_passive(cx: &mut Ctx<'_>) -> Option<SocketAddr> {
    let range = &cx.shared.config.pasv_ports;
    let (lo, hi) = (*range.start(), *range.end());
    let span = u32::from(hi - lo) + 1;
    for _ in 0..span.min(1000) {
        let port = cx
            .shared
            .next_port
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |p| {
                Some(if p >= hi || p < lo { lo } else { p + 1 })
            })
            .unwrap_or(lo)
            .clamp(lo, hi);
        if let Ok(l) = TcpListener::bind((cx.local, port)) {
            let addr = l.local_addr().ok();
            cx.pasv = Some(l);
            return addr;
        }
    }
    None
}

/// Where a transfer's bytes come from or go to.
enum Source {
    File(std::fs::File),
    Bytes(Vec<u8>),
    Sink(std::fs::File),
}

/// A transfer whose data connection is open: it moves its bytes on a thread of its own
/// while the session thread keeps reading the control connection.
struct Job {
    stream: DataStream,
    source: Source,
    ascii: bool,
}

/// How often the session thread looks at the control connection during a transfer.
const CONTROL_POLL: Duration = Duration::from_millis(50);

/// Opens the file and the data connection of `t` and sends the 150 reply.
fn open_transfer(cx: &mut Ctx<'_>, ctl: &mut Control, t: &Transfer) -> Result<Job, TransferError> {
    let cfg = &cx.shared.config;
    let root = cx.root();
    // Open the source or target first: a missing file is 550 without a data connection.
    let source = match t.kind {
        TransferKind::Retr => Source::File(
            root.open_read(&t.path, t.offset)
                .map_err(TransferError::File)?,
        ),
        TransferKind::Stor => Source::Sink(
            root.open_write(&t.path, false, t.offset)
                .map_err(TransferError::File)?,
        ),
        TransferKind::Appe => Source::Sink(
            root.open_write(&t.path, true, 0)
                .map_err(TransferError::File)?,
        ),
        TransferKind::List | TransferKind::Nlst | TransferKind::Mlsd => {
            let entries = root.list(&t.path).map_err(TransferError::File)?;
            let mut text = String::new();
            for e in &entries {
                let line = match t.kind {
                    TransferKind::List => fs::list_line(e),
                    TransferKind::Nlst => e.name.clone(),
                    _ => fs::mlsx_line(e),
                };
                text.push_str(&line);
                text.push_str("\r\n");
            }
            Source::Bytes(text.into_bytes())
        }
    };

    let deadline = Instant::now() + cfg.data_timeout;
    let sock = match t.mode {
        DataMode::Passive => {
            let listener = cx.pasv.take().ok_or(TransferError::NoConnection)?;
            data::accept_from(&listener, cx.peer, deadline)
        }
        DataMode::Active(addr) => data::connect(addr, cfg.data_timeout),
        DataMode::None => return Err(TransferError::NoConnection),
    }
    .map_err(|_| TransferError::NoConnection)?;
    let _ = sock.set_read_timeout(Some(cfg.data_timeout));
    let _ = sock.set_write_timeout(Some(cfg.data_timeout));

    let what = match t.kind {
        TransferKind::List | TransferKind::Nlst | TransferKind::Mlsd => "directory listing",
        _ if t.ascii => "ASCII data",
        _ => "BINARY data",
    };
    cx.reply(ctl, &Reply::new(150, format!("Opening {what} connection.")))
        .map_err(TransferError::Local)?;

    let stream = if t.protect {
        let tls = cx.tls.as_ref().ok_or(TransferError::NoConnection)?;
        let config = if matches!(source, Source::Sink(_)) {
            tls.upload.clone()
        } else {
            tls.download.clone()
        };
        match DataStream::accept_tls(sock, config, cfg.require_tls_reuse) {
            Ok(s) => s,
            Err(why) => {
                cx.log(format!("data TLS refused: {why}"));
                return Err(TransferError::TlsRequired(why));
            }
        }
    } else {
        DataStream::Plain(sock)
    };
    if let Some(kind) = stream.handshake_kind() {
        cx.log(format!("data TLS {kind:?}"));
    }

    Ok(Job {
        stream,
        source,
        ascii: t.ascii,
    })
}

impl Job {
    /// Moves the bytes and ends the data connection; a note for the transcript when an
    /// upload ended without close_notify.
    fn run(self) -> (Result<(), TransferError>, Option<String>) {
        let Job {
            mut stream,
            source,
            ascii,
        } = self;
        let linger = Duration::from_secs(2);
        let result = match source {
            Source::File(mut f) => data::send(&mut f, &mut stream, ascii)
                .map_err(|e| classify(&e))
                .and_then(|_| stream.finish(linger).map_err(|_| TransferError::Aborted)),
            Source::Bytes(b) => data::send(&mut b.as_slice(), &mut stream, false)
                .map_err(|e| classify(&e))
                .and_then(|_| stream.finish(linger).map_err(|_| TransferError::Aborted)),
            Source::Sink(mut f) => {
                let mut note = None;
                match data::receive(&mut stream, &mut f, ascii) {
                    Ok(_) => {}
                    // A peer that closed without close_notify, or whose close turned into
                    // a reset because it never read the ticket sent to it (curl 7.88):
                    // the bytes that arrived are kept, as plain FTP would keep them.
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                        ) =>
                    {
                        note = Some(format!(
                            "data connection ended without close_notify ({})",
                            e.kind()
                        ));
                    }
                    Err(e) => return (Err(classify(&e)), None),
                }
                let synced = f.sync_data().map_err(TransferError::Local);
                let _ = stream.finish(Duration::from_millis(200));
                return (synced, note);
            }
        };
        (result, None)
    }
}

/// What [`wait_for_either`] saw.
enum Ready {
    /// The control connection has bytes (or its end) to read.
    Control,
    /// The data mover has ended (or is about to).
    Mover,
    /// Neither, within [`CONTROL_POLL`].
    Neither,
}

/// Waits, at most [`CONTROL_POLL`], until the control connection is readable or the
/// mover's end closes the pipe whose reading end is `done`.
fn wait_for_either(ctl: &Control, done: &impl AsFd) -> io::Result<Ready> {
    let Some(tcp) = ctl.tcp() else {
        return Err(io::ErrorKind::NotConnected.into());
    };
    let mut fds = [
        PollFd::new(tcp, PollFlags::IN),
        PollFd::new(done, PollFlags::IN),
    ];
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: CONTROL_POLL.as_nanos() as _,
    };
    match rustix::event::poll(&mut fds, Some(&timeout)) {
        Ok(_) => {}
        Err(rustix::io::Errno::INTR) => return Ok(Ready::Neither),
        Err(e) => return Err(e.into()),
    }
    if !fds[1].revents().is_empty() {
        Ok(Ready::Mover)
    } else if !fds[0].revents().is_empty() {
        Ok(Ready::Control)
    } else {
        Ok(Ready::Neither)
    }
}

/// The session's control-connection state a watched transfer reads into.
struct Watch<'a> {
    ctl: &'a mut Control,
    lines: &'a mut LineReader,
    deferred: &'a mut VecDeque<String>,
}

/// How a watched transfer ended.
enum Watched {
    /// It ran to its end, well or badly.
    Done(Result<(), TransferError>),
    /// ABOR stopped it (426, then 226).
    Aborted,
}

/// Runs `job` on its own thread while this one reads the control connection, so that
/// ABOR stops the transfer at once and STAT is answered (RFC 959 §4.1.3); other commands
/// wait in `deferred`. Closing the data socket is what stops the transfer: the mover's
/// next read or write fails. An error is the control connection's: the session ends.
fn watch_transfer(cx: &Ctx<'_>, w: Watch<'_>, job: Job) -> io::Result<Watched> {
    let kill = job.stream.tcp().try_clone()?;
    let stop = || {
        let _ = kill.shutdown(Shutdown::Both);
    };
    // The mover closes `done_tx` as it ends, which wakes the poll below at once: the
    // 226 reply must not wait for the control connection's poll interval to run out.
    let (done_rx, done_tx) = rustix::pipe::pipe()?;
    thread::scope(|scope| {
        let mover = cpu::spawn_scoped(thread::Builder::new().name("ftp-data".into()), scope, {
            move || {
                let ended = job.run();
                drop(done_tx);
                ended
            }
        })?;
        let mut aborted = false;
        let mut failed = None;
        if let Some(t) = w.ctl.tcp() {
            t.set_read_timeout(Some(CONTROL_POLL))?;
        }
        let mut buf = [0u8; 4096];
        'watch: while !mover.is_finished() {
            while let Some(line) = w.lines.next_line() {
                let Ok(line) = line else {
                    cx.reply(w.ctl, &Reply::new(500, "Command line not understood."))?;
                    continue;
                };
                cx.log(format!("> {line} (during the transfer)"));
                match during_transfer(&line) {
                    DuringTransfer::Abort => {
                        aborted = true;
                        stop();
                        break 'watch;
                    }
                    DuringTransfer::Reply(r) => cx.reply(w.ctl, &r)?,
                    DuringTransfer::Later => w.deferred.push_back(line),
                }
            }
            if !w.ctl.has_buffered_input() {
                match wait_for_either(w.ctl, &done_rx) {
                    Ok(Ready::Control) => {}
                    Ok(Ready::Neither) => continue,
                    // The mover is ending: join it without another poll interval.
                    Ok(Ready::Mover) => break,
                    Err(e) => {
                        failed = Some(e);
                        stop();
                        break;
                    }
                }
            }
            match w.ctl.recv(&mut buf) {
                Ok(0) => {
                    failed = Some(io::Error::from(io::ErrorKind::ConnectionAborted));
                    stop();
                    break;
                }
                Ok(n) => w.lines.feed(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => {
                    failed = Some(e);
                    stop();
                    break;
                }
            }
        }
        let (result, note) = mover.join().unwrap_or_else(|_| {
            (
                Err(TransferError::Local(io::Error::other("data mover failed"))),
                None,
            )
        });
        if let Some(note) = note {
            cx.log(note);
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if aborted {
            cx.log("transfer aborted by ABOR".into());
            return Ok(Watched::Aborted);
        }
        Ok(Watched::Done(result))
    })
}

fn classify(e: &io::Error) -> TransferError {
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            TransferError::Local(io::Error::from(e.kind()))
        }
        _ => TransferError::Aborted,
    }
}

fn do_fs(root: &FtpRoot, op: &FsOp) -> io::Result<FsOutcome> {
    match op {
        FsOp::Cwd(p) => root.is_dir(p).map(|_| FsOutcome::Done),
        FsOp::Mkd(p) => root.mkdir(p).map(|_| FsOutcome::Done),
        FsOp::Rmd(p) => root.rmdir(p).map(|_| FsOutcome::Done),
        FsOp::Dele(p) => root.remove(p).map(|_| FsOutcome::Done),
        FsOp::Rnfr(p) => root.exists(p).map(|_| FsOutcome::Done),
        FsOp::Rename(a, b) => root.rename(a, b).map(|_| FsOutcome::Done),
        FsOp::Size(p) => {
            let e = root.stat(p)?;
            if e.is_dir {
                return Err(io::ErrorKind::IsADirectory.into());
            }
            Ok(FsOutcome::Size(e.size))
        }
        FsOp::Mdtm(p) => Ok(FsOutcome::Time(fs::time_val(root.stat(p)?.mtime))),
        FsOp::Mlst(p) => Ok(FsOutcome::Lines(vec![format!(
            " {}",
            fs::mlsx_line(&root.stat(p)?)
        )])),
        FsOp::Stat(p) => Ok(FsOutcome::Lines(
            root.list(p)?.iter().map(fs::list_line).collect(),
        )),
    }
}
