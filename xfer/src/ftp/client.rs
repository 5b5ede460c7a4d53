//! The blocking FTP/FTPS client: plain FTP, explicit FTPS (AUTH TLS, PBSZ 0, PROT P)
//! and implicit FTPS, on the engine's rustls provider.
//!
//! Data connections are passive (EPSV, then PASV) unless [`ClientOptions::active`]
//! asks for active mode (EPRT, then PORT). Every data connection resumes the control connection's TLS session (one shared
//! `Arc<ClientConfig>` and one server name), as vsftpd's `require_ssl_reuse` and our
//! own server demand, with TLS 1.2 and 1.3. Each data connection is read to its end —
//! uploads included — so the TLS 1.3 tickets the server sends on it are stored and the
//! next data connection can resume too.
//!
//! ```no_run
//! use std::sync::Arc;
//! use wirecrypt_xfer::ftp::{Client, ClientOptions, tls};
//! # fn config() -> Arc<rustls::ClientConfig> { unimplemented!() }
//! let opts = ClientOptions::explicit(config(), "localhost".try_into()?);
//! let mut ftp = Client::connect("127.0.0.1:21".parse()?, opts)?;
//! ftp.login("alice", "secret")?;
//! let mut out = Vec::new();
//! ftp.retr("file.bin", 0, &mut out)?;
//! ftp.quit()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, HandshakeKind, StreamOwned};

use super::control::{LineError, LineReader, Reply, ReplyParser};
use super::data::{self, DataStream};
use super::tls;

/// How the control connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Plain FTP.
    Plain,
    /// AUTH TLS after the greeting (RFC 4217).
    Explicit,
    /// TLS from the first byte (`ftps://`, port 990 by custom).
    Implicit,
}

/// Client settings.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Plain, explicit or implicit.
    pub security: Security,
    /// The TLS configuration (required unless `Plain`); build it with
    /// [`tls::client_config`].
    pub tls: Option<Arc<ClientConfig>>,
    /// The name the server's certificate must carry (an IP address works too).
    pub server_name: ServerName<'static>,
    /// PROT P (true, the default) or PROT C once TLS is up.
    pub protect_data: bool,
    /// Timeout for every read, write and connect.
    pub timeout: Duration,
    /// Active mode: the server connects to a port this client opens on the control
    /// connection's local address (EPRT, or PORT where the server lacks EPRT) instead
    /// of the client connecting to the server's (EPSV/PASV, the default). Only the
    /// control connection's peer address is accepted on that port.
    pub active: bool,
}

impl ClientOptions {
    /// Plain FTP.
    pub fn plain() -> Self {
        ClientOptions {
            security: Security::Plain,
            tls: None,
            server_name: ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
            protect_data: false,
            timeout: Duration::from_secs(30),
            active: false,
        }
    }

    /// Explicit FTPS with protected data connections.
    pub fn explicit(tls: Arc<ClientConfig>, server_name: ServerName<'static>) -> Self {
        ClientOptions {
            security: Security::Explicit,
            tls: Some(tls),
            server_name,
            protect_data: true,
            timeout: Duration::from_secs(30),
            active: false,
        }
    }

    /// Implicit FTPS with protected data connections.
    pub fn implicit(tls: Arc<ClientConfig>, server_name: ServerName<'static>) -> Self {
        ClientOptions {
            security: Security::Implicit,
            ..Self::explicit(tls, server_name)
        }
    }
}

/// What can go wrong for the client.
#[derive(Debug, thiserror::Error)]
pub enum FtpError {
    /// A socket or file error.
    #[error("I/O: {0}")]
    Io(#[from] io::Error),
    /// The server answered something other than what the step needs.
    #[error("unexpected reply to {command}: {reply}")]
    Unexpected {
        /// The command sent (PASS redacted).
        command: String,
        /// What came back.
        reply: Reply,
    },
    /// The server broke the protocol (malformed reply, oversized line).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// TLS setup failed.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// TLS was asked for without a configuration.
    #[error("TLS needs a ClientConfig")]
    NoTlsConfig,
}

enum Ctl {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    Gone,
}

impl Ctl {
    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            Ctl::Plain(s) => s.write_all(b),
            Ctl::Tls(s) => {
                s.write_all(b)?;
                s.flush()
            }
            Ctl::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        match self {
            Ctl::Plain(s) => s.read(b),
            Ctl::Tls(s) => s.read(b),
            Ctl::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }
    fn local_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Ctl::Plain(s) => s.local_addr(),
            Ctl::Tls(s) => s.sock.local_addr(),
            Ctl::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }
}

/// A connected FTP client.
pub struct Client {
    ctl: Ctl,
    lines: LineReader,
    peer: SocketAddr,
    opts: ClientOptions,
    data_tls: bool,
    last_data_handshake: Option<HandshakeKind>,
    log: Vec<String>,
    tickets: Option<Arc<tls::CountingStore>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("peer", &self.peer)
            .field("security", &self.opts.security)
            .finish()
    }
}

type Result<T> = std::result::Result<T, FtpError>;

/// TLS sessions one control connection remembers: TLS 1.3 tickets are used once each,
/// and a server sends a few per handshake.
const SESSION_CACHE: usize = 32;

impl Client {
    /// Connects, reads the greeting and, for explicit FTPS, runs AUTH TLS.
    ///
    /// Each connection keeps its own TLS session cache, so that its data connections
    /// resume this control connection's session and never a ticket of another session
    /// to the same server (which a server enforcing reuse answers with 522). The cache
    /// counts its TLS 1.3 tickets so uploads can tell when to refill them.
    pub fn connect(addr: SocketAddr, mut opts: ClientOptions) -> Result<Client> {
        let tickets = opts.tls.as_mut().map(|cfg| {
            let store = Arc::new(tls::CountingStore::new(SESSION_CACHE));
            let mut own = (**cfg).clone();
            own.resumption = rustls::client::Resumption::store(store.clone());
            // Data connections hand their traffic secrets to the engine (data.rs).
            own.enable_secret_extraction = true;
            *cfg = Arc::new(own);
            store
        });
        let sock = TcpStream::connect_timeout(&addr, opts.timeout)?;
        sock.set_read_timeout(Some(opts.timeout))?;
        sock.set_write_timeout(Some(opts.timeout))?;
        sock.set_nodelay(true)?;
        let mut c = Client {
            ctl: Ctl::Plain(sock),
            lines: LineReader::new(),
            peer: addr,
            opts,
            data_tls: false,
            last_data_handshake: None,
            log: Vec::new(),
            tickets,
        };
        if c.opts.security == Security::Implicit {
            c.start_tls()?;
        }
        c.expect("<greeting>", &[220])?;
        if c.opts.security == Security::Explicit {
            c.command_expect("AUTH TLS", &[234])?;
            c.start_tls()?;
        }
        Ok(c)
    }

    fn start_tls(&mut self) -> Result<()> {
        let cfg = self.opts.tls.clone().ok_or(FtpError::NoTlsConfig)?;
        let Ctl::Plain(mut sock) = std::mem::replace(&mut self.ctl, Ctl::Gone) else {
            return Err(FtpError::Protocol("TLS already active".into()));
        };
        let mut conn = ClientConnection::new(cfg, self.opts.server_name.clone())?;
        tls::handshake(&mut conn, &mut sock)?;
        self.ctl = Ctl::Tls(Box::new(StreamOwned::new(conn, sock)));
        Ok(())
    }

    /// Logs in; with TLS also sends PBSZ 0 and PROT P (or C), in RFC 4217 order.
    pub fn login(&mut self, user: &str, password: &str) -> Result<()> {
        let r = self.command_expect(&format!("USER {user}"), &[230, 331])?;
        if r.code == 331 {
            self.command_expect(&format!("PASS {password}"), &[230, 202])?;
        }
        if matches!(self.ctl, Ctl::Tls(_)) {
            self.command_expect("PBSZ 0", &[200])?;
            if self.opts.protect_data {
                self.command_expect("PROT P", &[200])?;
                self.data_tls = true;
            } else {
                self.command_expect("PROT C", &[200])?;
            }
        }
        self.command_expect("TYPE I", &[200])?;
        Ok(())
    }

    /// Sends one command line and returns the reply, whatever its code.
    pub fn command(&mut self, line: &str) -> Result<Reply> {
        let shown = if line.starts_with("PASS ") {
            "PASS <redacted>"
        } else {
            line
        };
        self.log.push(format!("> {shown}"));
        self.ctl.write_all(format!("{line}\r\n").as_bytes())?;
        self.read_reply()
    }

    fn command_expect(&mut self, line: &str, ok: &[u16]) -> Result<Reply> {
        let r = self.command(line)?;
        if ok.contains(&r.code) {
            Ok(r)
        } else {
            let command = if line.starts_with("PASS ") {
                "PASS".to_owned()
            } else {
                line.to_owned()
            };
            Err(FtpError::Unexpected { command, reply: r })
        }
    }

    fn expect(&mut self, what: &str, ok: &[u16]) -> Result<Reply> {
        let r = self.read_reply()?;
        if ok.contains(&r.code) {
            Ok(r)
        } else {
            Err(FtpError::Unexpected {
                command: what.into(),
                reply: r,
            })
        }
    }

    /// Reads one (possibly multi-line) reply.
    pub fn read_reply(&mut self) -> Result<Reply> {
        let mut parser = ReplyParser::new();
        let mut buf = [0u8; 4096];
        loop {
            while let Some(line) = self.lines.next_line() {
                let line = line.map_err(|e| match e {
                    LineError::TooLong => FtpError::Protocol("reply line too long".into()),
                    LineError::NotUtf8 => FtpError::Protocol("reply is not UTF-8".into()),
                })?;
                if let Some(r) = parser.push(&line).map_err(FtpError::Protocol)? {
                    self.log.push(format!("< {}", r.code));
                    return Ok(r);
                }
            }
            let n = self.ctl.read(&mut buf)?;
            if n == 0 {
                return Err(FtpError::Protocol("control connection closed".into()));
            }
            self.lines.feed(&buf[..n]);
        }
    }

    /// Commands sent (PASS redacted) and reply codes received, in order.
    pub fn transcript(&self) -> &[String] {
        &self.log
    }

    /// How the last data connection's TLS handshake went (`Resumed` when it reused
    /// the control session).
    pub fn last_data_handshake(&self) -> Option<HandshakeKind> {
        self.last_data_handshake
    }

    /// True while the control connection is TLS.
    pub fn control_protected(&self) -> bool {
        matches!(self.ctl, Ctl::Tls(_))
    }

    /// Opens a passive data connection: EPSV, or PASV when the server lacks EPSV. The
    /// address is always the control connection's peer (a PASV reply naming another
    /// host is not followed).
    fn open_passive(&mut self) -> Result<TcpStream> {
        let r = self.command("EPSV")?;
        let port = if r.code == 229 {
            parse_epsv(&r.text()).ok_or_else(|| FtpError::Protocol("bad EPSV reply".into()))?
        } else {
            let r = self.command_expect("PASV", &[227])?;
            parse_pasv(&r.text()).ok_or_else(|| FtpError::Protocol("bad PASV reply".into()))?
        };
        let addr = SocketAddr::new(self.peer.ip(), port);
        let s = TcpStream::connect_timeout(&addr, self.opts.timeout)?;
        s.set_read_timeout(Some(self.opts.timeout))?;
        s.set_write_timeout(Some(self.opts.timeout))?;
        s.set_nodelay(true)?;
        Ok(s)
    }

    /// Opens a port for an active data connection on the control connection's local
    /// address and tells the server: EPRT (RFC 2428), or PORT when the server does not
    /// know EPRT (500/502) and the address is IPv4.
    fn open_active(&mut self) -> Result<TcpListener> {
        let local = self.ctl.local_addr()?;
        let listener = TcpListener::bind(SocketAddr::new(local.ip(), 0))?;
        let port = listener.local_addr()?.port();
        let family = if local.is_ipv4() { 1 } else { 2 };
        let r = self.command(&format!("EPRT |{family}|{}|{port}|", local.ip()))?;
        match (r.code, local.ip()) {
            (200, _) => {}
            (500 | 502, IpAddr::V4(ip)) => {
                let [a, b, c, d] = ip.octets();
                let line = format!("PORT {a},{b},{c},{d},{},{}", port >> 8, port & 0xff);
                self.command_expect(&line, &[200])?;
            }
            _ => {
                return Err(FtpError::Unexpected {
                    command: "EPRT".into(),
                    reply: r,
                });
            }
        }
        Ok(listener)
    }

    /// Sends a data command over a fresh passive or active connection and returns the
    /// open (TLS if PROT P) data stream after the 150/125 preliminary reply.
    fn data_command(&mut self, line: &str) -> Result<DataStream> {
        let sock = if self.opts.active {
            let listener = self.open_active()?;
            self.command_expect(line, &[125, 150])?;
            // The server dials in around its 150 reply; only its address is taken.
            let deadline = Instant::now() + self.opts.timeout;
            let s = data::accept_from(&listener, self.peer.ip(), deadline)?;
            s.set_read_timeout(Some(self.opts.timeout))?;
            s.set_write_timeout(Some(self.opts.timeout))?;
            s
        } else {
            let s = self.open_passive()?;
            self.command_expect(line, &[125, 150])?;
            s
        };
        if self.data_tls {
            let cfg = self.opts.tls.clone().ok_or(FtpError::NoTlsConfig)?;
            let s = DataStream::connect_tls(sock, cfg, self.opts.server_name.clone())?;
            self.last_data_handshake = s.handshake_kind();
            Ok(s)
        } else {
            self.last_data_handshake = None;
            Ok(DataStream::Plain(sock))
        }
    }

    /// Downloads `path` from byte `offset` (REST) into `to`; returns the bytes written.
    pub fn retr(&mut self, path: &str, offset: u64, to: &mut impl Write) -> Result<u64> {
        if offset > 0 {
            self.command_expect(&format!("REST {offset}"), &[350])?;
        }
        let mut s = self.data_command(&format!("RETR {path}"))?;
        let n = data::receive(&mut s, to, false)?;
        s.finish(Duration::from_secs(2))?;
        self.expect("RETR", &[226, 250])?;
        Ok(n)
    }

    /// Downloads `path` into `to` like [`Client::retr`], asking `go_on` after every
    /// chunk (with the bytes written so far) whether to continue. When it says no, the
    /// transfer is aborted the RFC 959 way: ABOR on the control connection while the
    /// data connection is still open, the rest of the data read and dropped until the
    /// server closes it, then the server's replies (426 and 226, or 226 and 225/226 when
    /// the transfer had already ended). The session stays usable.
    pub fn retr_with(
        &mut self,
        path: &str,
        to: &mut impl Write,
        mut go_on: impl FnMut(u64) -> bool,
    ) -> Result<Retrieved> {
        let mut s = self.data_command(&format!("RETR {path}"))?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut n = 0u64;
        loop {
            let got = s.read(&mut buf)?;
            if got == 0 {
                s.finish(Duration::from_secs(2))?;
                self.expect("RETR", &[226, 250])?;
                return Ok(Retrieved::Complete(n));
            }
            to.write_all(&buf[..got])?;
            n += got as u64;
            if !go_on(n) {
                break;
            }
        }
        self.log.push("> ABOR".into());
        self.ctl.write_all(b"ABOR\r\n")?;
        // A server that stops at once closes the data connection (an error or EOF
        // here); one that does not is read to its end.
        while matches!(s.read(&mut buf), Ok(k) if k > 0) {}
        drop(s);
        let first = self.read_reply()?;
        match first.code {
            426 => {
                self.expect("ABOR", &[225, 226])?;
                Ok(Retrieved::Aborted(n))
            }
            226 | 250 => {
                self.expect("ABOR", &[225, 226])?;
                Ok(Retrieved::Complete(n))
            }
            _ => Err(FtpError::Unexpected {
                command: "ABOR".into(),
                reply: first,
            }),
        }
    }

    /// Uploads `from` to `path` (STOR); returns the bytes sent.
    pub fn stor(&mut self, path: &str, from: &mut impl Read) -> Result<u64> {
        self.upload(&format!("STOR {path}"), from)
    }

    /// Appends `from` to `path` (APPE): resumes an interrupted upload.
    pub fn appe(&mut self, path: &str, from: &mut impl Read) -> Result<u64> {
        self.upload(&format!("APPE {path}"), from)
    }

    fn upload(&mut self, line: &str, from: &mut impl Read) -> Result<u64> {
        let mut s = self.data_command(line)?;
        let n = data::send(from, &mut s, false)?;
        // close_notify, FIN, then read to the server's close: stores its tickets.
        s.finish(Duration::from_secs(5))?;
        self.expect(line, &[226, 250])?;
        self.refill_tickets(line.split_once(' ').map_or("", |(_, p)| p))?;
        Ok(n)
    }

    /// TLS 1.3 tickets are used once each, and a server may send none on upload
    /// connections (ours does not: clients that never read them would reset the
    /// connection and lose data). When the last two are all that is left, a one-line
    /// NLST of the file just written — a download connection — fetches new ones.
    fn refill_tickets(&mut self, path: &str) -> Result<()> {
        let Some(store) = self.tickets.clone() else {
            return Ok(());
        };
        let tls13 = match &self.ctl {
            Ctl::Tls(s) => s.conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3),
            _ => false,
        };
        if !self.data_tls || !tls13 || store.tls13_tickets(&self.opts.server_name) > 2 {
            return Ok(());
        }
        self.list("NLST", path).map(|_| ())
    }

    /// A directory listing: `LIST`, `NLST` or `MLSD` (`verb`), as text.
    pub fn list(&mut self, verb: &str, path: &str) -> Result<String> {
        let line = if path.is_empty() {
            verb.to_owned()
        } else {
            format!("{verb} {path}")
        };
        let mut s = self.data_command(&line)?;
        let mut out = Vec::new();
        data::receive(&mut s, &mut out, false)?;
        s.finish(Duration::from_secs(2))?;
        self.expect(verb, &[226, 250])?;
        String::from_utf8(out).map_err(|_| FtpError::Protocol("listing is not UTF-8".into()))
    }

    /// SIZE.
    pub fn size(&mut self, path: &str) -> Result<u64> {
        let r = self.command_expect(&format!("SIZE {path}"), &[213])?;
        r.text()
            .trim()
            .parse()
            .map_err(|_| FtpError::Protocol("bad SIZE reply".into()))
    }

    /// CCC: ends TLS on the control connection (close_notify both ways) and carries on
    /// in clear; data connections keep their PROT level.
    pub fn ccc(&mut self) -> Result<Reply> {
        let r = self.command("CCC")?;
        if r.code != 200 {
            return Ok(r);
        }
        let Ctl::Tls(s) = std::mem::replace(&mut self.ctl, Ctl::Gone) else {
            return Err(FtpError::Protocol(
                "CCC accepted on a clear connection".into(),
            ));
        };
        let StreamOwned { mut conn, sock } = *s;
        conn.send_close_notify();
        self.ctl = Ctl::Plain(tls::clear_after_close_notify(conn.into(), sock)?);
        Ok(r)
    }

    /// QUIT.
    pub fn quit(mut self) -> Result<()> {
        self.command_expect("QUIT", &[221])?;
        if let Ctl::Tls(mut s) = std::mem::replace(&mut self.ctl, Ctl::Gone) {
            s.conn.send_close_notify();
            let _ = s.flush();
        }
        Ok(())
    }
}

/// How [`Client::retr_with`] ended, with the bytes written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retrieved {
    /// The whole file arrived.
    Complete(u64),
    /// The caller stopped it and the server confirmed the abort (426, then 226).
    Aborted(u64),
}

/// The port in `Entering Extended Passive Mode (|||port|)`.
pub fn parse_epsv(text: &str) -> Option<u16> {
    let inner = text.get(text.find('(')? + 1..text.rfind(')')?)?;
    let d = inner.chars().next()?;
    let parts: Vec<&str> = inner.split(d).collect();
    match parts[..] {
        ["", "", "", port, ""] => port.parse().ok(),
        _ => None,
    }
}

/// The port in `Entering Passive Mode (h1,h2,h3,h4,p1,p2)`.
pub fn parse_pasv(text: &str) -> Option<u16> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let nums: Vec<u16> = text[start..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(6)
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    match nums[..] {
        [_, _, _, _, p1, p2] if p1 < 256 && p2 < 256 => Some(p1 << 8 | p2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};

    use super::*;

    /// A server that does not know EPRT gets PORT instead, and the data connection it
    /// dials to that address carries the listing.
    #[test]
    fn active_mode_falls_back_to_port() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (sock, _) = l.accept().unwrap();
            let mut w = sock.try_clone().unwrap();
            let mut r = BufReader::new(sock);
            let mut seen = Vec::new();
            w.write_all(b"220 hello\r\n").unwrap();
            let mut port = None;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap() == 0 {
                    return seen;
                }
                let line = line.trim_end().to_owned();
                let reply: &[u8] = match line.split(' ').next().unwrap() {
                    "USER" => b"230 in\r\n",
                    "TYPE" => b"200 ok\r\n",
                    "EPRT" => b"500 unknown command\r\n",
                    "PORT" => {
                        let n: Vec<u16> =
                            line[5..].split(',').map(|x| x.parse().unwrap()).collect();
                        port = Some(n[4] << 8 | n[5]);
                        b"200 ok\r\n"
                    }
                    "NLST" => {
                        let mut d = TcpStream::connect(("127.0.0.1", port.unwrap())).unwrap();
                        w.write_all(b"150 here\r\n").unwrap();
                        d.write_all(b"a\r\nb\r\n").unwrap();
                        drop(d);
                        b"226 done\r\n"
                    }
                    _ => b"221 bye\r\n",
                };
                seen.push(line);
                w.write_all(reply).unwrap();
            }
        });
        let mut opts = ClientOptions::plain();
        opts.active = true;
        let mut c = Client::connect(addr, opts).unwrap();
        c.login("u", "p").unwrap();
        assert_eq!(c.list("NLST", "").unwrap(), "a\r\nb\r\n");
        c.quit().unwrap();
        let seen = server.join().unwrap();
        assert!(
            seen.iter().any(|l| l.starts_with("EPRT |1|127.0.0.1|")),
            "{seen:?}"
        );
        assert!(
            seen.iter().any(|l| l.starts_with("PORT 127,0,0,1,")),
            "{seen:?}"
        );
    }

    #[test]
    fn passive_replies_parse() {
        assert_eq!(
            parse_epsv("Entering Extended Passive Mode (|||51234|)"),
            Some(51234)
        );
        assert_eq!(parse_epsv("ok (!!!2121!)"), Some(2121));
        assert_eq!(parse_epsv("no parens"), None);
        assert_eq!(parse_epsv("(|||x|)"), None);
        assert_eq!(parse_epsv(")("), None, "a hostile reply is no panic");
        assert_eq!(parse_epsv("(é)"), None);
        assert_eq!(
            parse_pasv("Entering Passive Mode (127,0,0,1,200,2)."),
            Some(51202)
        );
        assert_eq!(parse_pasv("Entering Passive Mode (127,0,0,1,300,2)."), None);
        assert_eq!(parse_pasv("=127,0,0,1,4,1"), Some(1025));
    }
}
