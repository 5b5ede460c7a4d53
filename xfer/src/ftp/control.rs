//! The FTP control connection as a state machine (RFC 959, 2389, 2428, 3659, 4217).
//!
//! No I/O happens here. The server driver feeds each command line to
//! [`Session::handle`] and gets an [`Action`]: a reply to send, or work that needs
//! sockets or the filesystem (a TLS handshake, a passive listener, a transfer, a file
//! operation), whose outcome it reports back through the `*_done`/`*_ready` methods to
//! get the reply. Every policy decision — which commands need a login, TLS before
//! USER/PASS, 522 for unprotected transfers, the CCC answers — lives here and is tested
//! here, without a network.
//!
//! Paths are resolved against a virtual root: `..` never climbs above `/`, so the
//! driver only ever sees a [`VPath`] of plain components to map under its root.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// The longest command line accepted, CRLF included (RFC 959 sets no limit; 4 KiB is
/// far above any path a client sends and bounds the buffer per session).
pub const MAX_LINE: usize = 4096;

/// A reply: a three-digit code and one or more lines of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The reply code.
    pub code: u16,
    /// The text lines; more than one makes a multi-line reply.
    pub lines: Vec<String>,
}

impl Reply {
    /// A single-line reply.
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        Reply {
            code,
            lines: vec![text.into()],
        }
    }

    /// A multi-line reply (RFC 959 §4.2): `code-first`, ` middle`…, `code last`.
    pub fn multi(code: u16, lines: Vec<String>) -> Self {
        Reply { code, lines }
    }

    /// The reply as it goes on the wire, CRLF-terminated.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = String::new();
        let n = self.lines.len();
        for (i, line) in self.lines.iter().enumerate() {
            // Never let a line break inside the text start a new reply.
            let line = line.replace(['\r', '\n'], " ");
            if n == 1 {
                out.push_str(&format!("{} {line}\r\n", self.code));
            } else if i == 0 {
                out.push_str(&format!("{}-{line}\r\n", self.code));
            } else if i == n - 1 {
                out.push_str(&format!("{} {line}\r\n", self.code));
            } else {
                out.push_str(&format!(" {line}\r\n"));
            }
        }
        out.into_bytes()
    }

    /// The whole text, lines joined with newlines.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.text())
    }
}

/// A complaint from the line reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineError {
    /// The line was longer than [`MAX_LINE`]; it was discarded up to its end.
    TooLong,
    /// The line is not UTF-8 (RFC 2640 paths are UTF-8).
    NotUtf8,
}

/// Splits a byte stream into CRLF (or bare LF) terminated lines, never holding more
/// than [`MAX_LINE`] bytes: an overlong line is dropped and reported once.
#[derive(Debug, Default)]
pub struct LineReader {
    buf: Vec<u8>,
    discarding: bool,
    /// Length of the unfinished line at the end of `buf`, kept as bytes arrive so that
    /// each byte costs the same whatever the line's length (rescanning the line for
    /// every byte made a 4 KiB line cost millions of steps: a cheap way to burn CPU).
    partial: usize,
    /// Where the lines not yet taken begin in `buf`: taking a line moves this instead
    /// of shifting the rest of the buffer (which made a read full of short lines cost
    /// time quadratic in its size).
    start: usize,
}

impl LineReader {
    /// An empty reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes. Bytes beyond the limit of an unfinished line are
    /// dropped at once, so memory stays bounded whatever the peer sends.
    pub fn feed(&mut self, data: &[u8]) {
        for &b in data {
            if self.discarding {
                if b == b'\n' {
                    self.discarding = false;
                    self.buf.push(0); // marker: a too-long line ended here
                    self.buf.push(b'\n');
                }
                continue;
            }
            self.buf.push(b);
            if b == b'\n' {
                self.partial = 0;
                continue;
            }
            self.partial += 1;
            if self.partial > MAX_LINE {
                let keep = self.buf.len() - self.partial;
                self.buf.truncate(keep);
                self.partial = 0;
                self.discarding = true;
            }
        }
    }

    /// The next complete line without its line end, if one has arrived.
    pub fn next_line(&mut self) -> Option<Result<String, LineError>> {
        let end = self.start + self.buf[self.start..].iter().position(|&b| b == b'\n')?;
        let mut line = &self.buf[self.start..end];
        self.start = end + 1;
        let taken = if line == [0] {
            Err(LineError::TooLong)
        } else {
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            String::from_utf8(strip_telnet(line)).map_err(|_| LineError::NotUtf8)
        };
        // Taken lines are dropped once they are most of the buffer: each byte moves at
        // most once more.
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        Some(taken)
    }

    /// True when bytes are buffered beyond the lines already taken. After `AUTH TLS`
    /// such bytes were sent in clear before the handshake and must be dropped, never
    /// read as if protected (the STARTTLS command-injection flaw).
    pub fn has_pending(&self) -> bool {
        self.buf.len() > self.start || self.discarding
    }

    /// Drops everything buffered.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.discarding = false;
        self.partial = 0;
        self.start = 0;
    }
}

/// Drops Telnet commands from a control line (RFC 959 speaks Telnet): clients send
/// `IAC IP IAC DM` before ABOR (lftp does), and option negotiation is three bytes.
/// `IAC IAC` stands for a literal 0xFF.
fn strip_telnet(line: &[u8]) -> Vec<u8> {
    const IAC: u8 = 0xff;
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] != IAC {
            out.push(line[i]);
            i += 1;
            continue;
        }
        match line.get(i + 1) {
            Some(&IAC) => {
                out.push(IAC);
                i += 2;
            }
            // WILL, WONT, DO, DONT carry an option byte.
            Some(0xfb..=0xfe) => i += 3,
            Some(_) => i += 2,
            None => i += 1,
        }
    }
    out
}

/// A path below the session's root: plain components, never `.`/`..`/empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VPath(Vec<String>);

impl VPath {
    /// The root.
    pub fn root() -> Self {
        VPath(Vec::new())
    }

    /// Resolves `arg` (absolute or relative to `self`) the way a chroot would: `..` at
    /// the root stays at the root. NUL bytes are refused.
    pub fn resolve(&self, arg: &str) -> Option<VPath> {
        if arg.contains('\0') {
            return None;
        }
        let mut parts = if arg.starts_with('/') {
            Vec::new()
        } else {
            self.0.clone()
        };
        for c in arg.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                c => parts.push(c.to_owned()),
            }
        }
        Some(VPath(parts))
    }

    /// The components, outermost first.
    pub fn components(&self) -> &[String] {
        &self.0
    }

    /// The last component, or `None` at the root.
    pub fn file_name(&self) -> Option<&str> {
        self.0.last().map(String::as_str)
    }

    /// True at the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for VPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("/");
        }
        for c in &self.0 {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

/// What a server does with CCC (RFC 4217 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CccPolicy {
    /// CCC is not offered: 500.
    Disabled,
    /// CCC is understood but refused by policy: 534.
    Refuse,
    /// CCC is honoured: 200, then the control connection continues in clear.
    Allow,
}

/// The server's policy for one session.
#[derive(Clone, Debug)]
pub struct Policy {
    /// TLS can be negotiated (a certificate is configured).
    pub tls_available: bool,
    /// The control connection is TLS from the first byte (implicit FTPS).
    pub implicit_tls: bool,
    /// USER and PASS are refused until AUTH TLS has protected the control connection.
    pub require_tls_login: bool,
    /// Transfers on an unprotected data connection (no PROT P) are refused with 522.
    pub require_tls_data: bool,
    /// What CCC does.
    pub ccc: CccPolicy,
    /// The control connection's peer: PORT/EPRT may only name this address.
    pub peer: IpAddr,
}

impl Policy {
    /// Plain FTP: no TLS at all.
    pub fn plain(peer: IpAddr) -> Self {
        Policy {
            tls_available: false,
            implicit_tls: false,
            require_tls_login: false,
            require_tls_data: false,
            ccc: CccPolicy::Disabled,
            peer,
        }
    }
}

/// The data protection level set by PROT (RFC 4217 §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prot {
    /// C: data in clear.
    Clear,
    /// P: data connections are TLS.
    Private,
}

/// How the next data connection is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataMode {
    /// None chosen yet.
    None,
    /// The server listens (PASV/EPSV); the driver holds the listener.
    Passive,
    /// The server connects to this address (PORT/EPRT).
    Active(SocketAddr),
}

/// The kind of transfer a data command asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferKind {
    /// RETR: file to client.
    Retr,
    /// STOR: client to file (truncating, or from the REST offset).
    Stor,
    /// APPE: client appended to file.
    Appe,
    /// LIST: `ls -l` style listing.
    List,
    /// NLST: names only.
    Nlst,
    /// MLSD: RFC 3659 machine listing.
    Mlsd,
}

/// A transfer the driver must carry out: open the data connection (TLS if `protect`),
/// reply 150, move the bytes, reply with [`Session::transfer_done`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// What to do.
    pub kind: TransferKind,
    /// The file or directory.
    pub path: VPath,
    /// REST offset for RETR/STOR.
    pub offset: u64,
    /// TYPE A: convert line ends.
    pub ascii: bool,
    /// PROT P: the data connection is TLS.
    pub protect: bool,
    /// How to connect.
    pub mode: DataMode,
}

/// A filesystem operation for the driver; the reply comes from [`Session::fs_done`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FsOp {
    /// CWD/CDUP: the directory must exist.
    Cwd(VPath),
    /// MKD.
    Mkd(VPath),
    /// RMD.
    Rmd(VPath),
    /// DELE.
    Dele(VPath),
    /// RNFR: the source must exist.
    Rnfr(VPath),
    /// RNTO, with the RNFR source.
    Rename(VPath, VPath),
    /// SIZE.
    Size(VPath),
    /// MDTM.
    Mdtm(VPath),
    /// MLST: one fact line.
    Mlst(VPath),
    /// STAT with a path: a listing over the control connection.
    Stat(VPath),
}

/// The outcome of an [`FsOp`] as the driver reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FsOutcome {
    /// Done, nothing to say.
    Done,
    /// A number (SIZE).
    Size(u64),
    /// A time as `YYYYMMDDHHMMSS` (MDTM).
    Time(String),
    /// Lines of text (MLST facts, STAT listing).
    Lines(Vec<String>),
}

/// What the driver must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this reply.
    Reply(Reply),
    /// Send this reply and close the connection.
    Close(Reply),
    /// Send this reply (234) in clear, then run the TLS handshake as server; any
    /// bytes buffered after the AUTH line must be discarded.
    StartTls(Reply),
    /// Check these credentials, then call [`Session::login_done`].
    Login {
        /// The user name.
        user: String,
        /// The password: never log it.
        password: Password,
    },
    /// Open a passive listener, then call [`Session::passive_ready`].
    OpenPassive {
        /// EPSV (229) rather than PASV (227).
        extended: bool,
    },
    /// Carry out a transfer.
    Transfer(Transfer),
    /// Carry out a filesystem operation, then call [`Session::fs_done`].
    Fs(FsOp),
    /// Send this reply (200) over TLS, then close_notify and continue in clear.
    ClearControl(Reply),
}

/// A password in transit to the users file; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Login {
    NeedUser,
    NeedPass(String),
    In(String),
}

/// The state of one control connection.
#[derive(Debug)]
pub struct Session {
    policy: Policy,
    login: Login,
    control_tls: bool,
    pbsz: bool,
    prot: Prot,
    ccc_done: bool,
    ascii: bool,
    rest: u64,
    rnfr: Option<VPath>,
    cwd: VPath,
    data: DataMode,
    epsv_all: bool,
    pending_fs: Option<FsOp>,
}

/// Reply to send when the greeting is due.
pub fn greeting() -> Reply {
    Reply::new(220, "wirecrypt FTP server ready")
}

impl Session {
    /// A new session under `policy`; with implicit TLS the control connection starts
    /// protected and PROT P is assumed.
    pub fn new(policy: Policy) -> Self {
        let implicit = policy.implicit_tls;
        Session {
            policy,
            login: Login::NeedUser,
            control_tls: implicit,
            pbsz: implicit,
            prot: if implicit { Prot::Private } else { Prot::Clear },
            ccc_done: false,
            ascii: false,
            rest: 0,
            rnfr: None,
            cwd: VPath::root(),
            data: DataMode::None,
            epsv_all: false,
            pending_fs: None,
        }
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&str> {
        match &self.login {
            Login::In(u) => Some(u),
            _ => None,
        }
    }

    /// The working directory.
    pub fn cwd(&self) -> &VPath {
        &self.cwd
    }

    /// True while the control connection is TLS.
    pub fn control_protected(&self) -> bool {
        self.control_tls
    }

    /// The current PROT level.
    pub fn prot(&self) -> Prot {
        self.prot
    }

    /// How the next data connection will be made (`None` once used or refused).
    pub fn data_mode(&self) -> DataMode {
        self.data
    }

    /// Handles one command line.
    pub fn handle(&mut self, line: &str) -> Action {
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v, a),
            None => (line, ""),
        };
        let verb = verb.to_ascii_uppercase();
        let reply = |code, text: &str| Action::Reply(Reply::new(code, text));
        // REST holds until the next transfer (clients send PASV/TYPE in between).
        let rest = if matches!(verb.as_str(), "RETR" | "STOR" | "APPE") {
            std::mem::take(&mut self.rest)
        } else {
            self.rest
        };
        if !matches!(verb.as_str(), "RNTO") && verb != "RNFR" {
            self.rnfr = None;
        }

        match verb.as_str() {
            "QUIT" => return Action::Close(Reply::new(221, "Goodbye.")),
            "NOOP" => return reply(200, "NOOP ok."),
            "SYST" => return reply(215, "UNIX Type: L8"),
            "FEAT" => return Action::Reply(self.features()),
            "OPTS" => {
                return match arg.to_ascii_uppercase().as_str() {
                    "UTF8 ON" | "UTF8" => reply(200, "Always in UTF8 mode."),
                    _ => reply(501, "Option not understood."),
                };
            }
            "AUTH" => return self.auth(arg),
            "PBSZ" => return self.pbsz(arg),
            "PROT" => return self.prot_cmd(arg),
            "CCC" => return self.ccc(),
            "USER" => return self.user_cmd(arg),
            "PASS" => return self.pass_cmd(arg),
            _ => {}
        }

        if !is_known(&verb) {
            return reply(500, "Unknown command.");
        }
        if self.user().is_none() {
            return reply(530, "Please login with USER and PASS.");
        }

        let path_arg = |s: &Self, a: &str| -> Result<VPath, Action> {
            if a.is_empty() {
                return Err(reply(501, "Missing path argument."));
            }
            s.cwd.resolve(a).ok_or_else(|| reply(501, "Invalid path."))
        };

        match verb.as_str() {
            "ACCT" => reply(202, "ACCT not needed."),
            "PWD" | "XPWD" => Action::Reply(Reply::new(
                257,
                format!(
                    "\"{}\" is the current directory",
                    quote(&self.cwd.to_string())
                ),
            )),
            "CWD" | "XCWD" => match path_arg(self, arg) {
                Ok(p) => self.fs(FsOp::Cwd(p)),
                Err(a) => a,
            },
            "CDUP" | "XCUP" => {
                let p = self.cwd.resolve("..").unwrap_or_default();
                self.fs(FsOp::Cwd(p))
            }
            "TYPE" => match arg.to_ascii_uppercase().as_str() {
                "A" | "A N" => {
                    self.ascii = true;
                    reply(200, "Switching to ASCII mode.")
                }
                "I" | "L 8" => {
                    self.ascii = false;
                    reply(200, "Switching to Binary mode.")
                }
                "" => reply(501, "TYPE needs an argument."),
                _ => reply(504, "Unsupported TYPE."),
            },
            "MODE" => match arg.to_ascii_uppercase().as_str() {
                "S" => reply(200, "Mode set to S."),
                "" => reply(501, "MODE needs an argument."),
                _ => reply(504, "Only MODE S is supported."),
            },
            "STRU" => match arg.to_ascii_uppercase().as_str() {
                "F" => reply(200, "Structure set to F."),
                "" => reply(501, "STRU needs an argument."),
                _ => reply(504, "Only STRU F is supported."),
            },
            "PASV" => {
                if self.epsv_all {
                    return reply(501, "PASV not allowed after EPSV ALL.");
                }
                Action::OpenPassive { extended: false }
            }
            "EPSV" => match arg.to_ascii_uppercase().as_str() {
                "" => Action::OpenPassive { extended: true },
                "1" if self.policy.peer.is_ipv4() => Action::OpenPassive { extended: true },
                "2" if self.policy.peer.is_ipv6() => Action::OpenPassive { extended: true },
                "1" | "2" => reply(522, "Network protocol not supported, use (1,2)"),
                "ALL" => {
                    self.epsv_all = true;
                    reply(200, "EPSV ALL ok.")
                }
                _ => reply(501, "Bad EPSV argument."),
            },
            "PORT" | "EPRT" => {
                if self.epsv_all {
                    return reply(501, "PORT not allowed after EPSV ALL.");
                }
                let parsed = if verb == "PORT" {
                    parse_port(arg)
                } else {
                    parse_eprt(arg)
                };
                match parsed {
                    Err(r) => Action::Reply(r),
                    Ok(addr) if addr.ip() != self.policy.peer => reply(
                        500,
                        "Illegal PORT command: not the control connection's address.",
                    ),
                    Ok(addr) if addr.port() < 1024 => {
                        reply(500, "Illegal PORT command: privileged port.")
                    }
                    Ok(addr) => {
                        self.data = DataMode::Active(addr);
                        reply(200, "PORT command successful.")
                    }
                }
            }
            "REST" => match arg.parse::<u64>() {
                Ok(n) => {
                    self.rest = n;
                    Action::Reply(Reply::new(350, format!("Restart position accepted ({n}).")))
                }
                Err(_) => {
                    self.rest = 0;
                    reply(501, "REST needs a byte offset.")
                }
            },
            "RETR" | "STOR" | "APPE" => match path_arg(self, arg) {
                Ok(p) => {
                    let kind = match verb.as_str() {
                        "RETR" => TransferKind::Retr,
                        "STOR" => TransferKind::Stor,
                        _ => TransferKind::Appe,
                    };
                    let offset = if kind == TransferKind::Appe { 0 } else { rest };
                    self.transfer(kind, p, offset)
                }
                Err(a) => a,
            },
            "LIST" | "NLST" | "MLSD" => {
                // Options such as `-la` (sent by many clients) are not paths.
                let a = if arg.starts_with('-') {
                    arg.split_once(' ')
                        .map_or("", |(_, rest)| rest.trim_start())
                } else {
                    arg
                };
                let Some(p) = self.cwd.resolve(a) else {
                    return reply(501, "Invalid path.");
                };
                let kind = match verb.as_str() {
                    "LIST" => TransferKind::List,
                    "NLST" => TransferKind::Nlst,
                    _ => TransferKind::Mlsd,
                };
                self.transfer(kind, p, 0)
            }
            "MLST" => match self.cwd.resolve(arg) {
                Some(p) => self.fs(FsOp::Mlst(p)),
                None => reply(501, "Invalid path."),
            },
            "SIZE" => match path_arg(self, arg) {
                Ok(p) => self.fs(FsOp::Size(p)),
                Err(a) => a,
            },
            "MDTM" => match path_arg(self, arg) {
                Ok(p) => self.fs(FsOp::Mdtm(p)),
                Err(a) => a,
            },
            "DELE" => match path_arg(self, arg) {
                Ok(p) => self.fs(FsOp::Dele(p)),
                Err(a) => a,
            },
            "MKD" | "XMKD" => match path_arg(self, arg) {
                Ok(p) => self.fs(FsOp::Mkd(p)),
                Err(a) => a,
            },
            "RMD" | "XRMD" => match path_arg(self, arg) {
                Ok(p) if p.is_root() => reply(550, "Cannot remove the root."),
                Ok(p) => self.fs(FsOp::Rmd(p)),
                Err(a) => a,
            },
            "RNFR" => match path_arg(self, arg) {
                Ok(p) => self.fs(FsOp::Rnfr(p)),
                Err(a) => a,
            },
            "RNTO" => match (self.rnfr.take(), path_arg(self, arg)) {
                (None, _) => reply(503, "RNFR required first."),
                (Some(_), Err(a)) => a,
                (Some(from), Ok(to)) => self.fs(FsOp::Rename(from, to)),
            },
            "ABOR" => {
                self.data = DataMode::None;
                reply(225, "No transfer to abort.")
            }
            "STAT" => {
                if arg.is_empty() {
                    Action::Reply(self.status())
                } else {
                    match self.cwd.resolve(arg) {
                        Some(p) => self.fs(FsOp::Stat(p)),
                        None => reply(501, "Invalid path."),
                    }
                }
            }
            "HELP" => reply(214, "See FEAT."),
            _ => reply(502, "Command not implemented."),
        }
    }

    fn features(&self) -> Reply {
        let mut lines = vec!["Features:".to_owned()];
        if self.policy.tls_available {
            lines.extend(["AUTH TLS", "AUTH SSL", "PBSZ", "PROT"].map(String::from));
            if self.policy.ccc == CccPolicy::Allow {
                lines.push("CCC".into());
            }
        }
        lines.extend(
            [
                "EPRT",
                "EPSV",
                "MDTM",
                "MLST type*;size*;modify*;",
                "PASV",
                "REST STREAM",
                "SIZE",
                "TVFS",
                "UTF8",
            ]
            .map(String::from),
        );
        lines.push("End".into());
        Reply::multi(211, lines)
    }

    fn status(&self) -> Reply {
        let lines = vec![
            "FTP server status:".to_owned(),
            format!("Connected to {}", self.policy.peer),
            format!("Logged in as {}", self.user().unwrap_or("-")),
            format!("TYPE: {}", if self.ascii { "ASCII" } else { "BINARY" }),
            format!(
                "Control connection: {}",
                if self.control_tls { "TLS" } else { "plain" }
            ),
            format!(
                "Data connections: {}",
                if self.prot == Prot::Private {
                    "TLS"
                } else {
                    "plain"
                }
            ),
            "End of status".to_owned(),
        ];
        Reply::multi(211, lines)
    }

    fn auth(&mut self, arg: &str) -> Action {
        if !self.policy.tls_available {
            return Action::Reply(Reply::new(502, "TLS is not configured."));
        }
        if self.control_tls {
            return Action::Reply(Reply::new(503, "Already using TLS."));
        }
        if self.ccc_done {
            return Action::Reply(Reply::new(503, "TLS was cleared (CCC)."));
        }
        match arg.to_ascii_uppercase().as_str() {
            "TLS" | "TLS-C" | "SSL" | "TLS-P" => {
                // RFC 4217 §4: a successful AUTH resets the login state.
                self.control_tls = true;
                self.login = Login::NeedUser;
                self.pbsz = false;
                self.prot = Prot::Clear;
                Action::StartTls(Reply::new(234, "Proceed with negotiation."))
            }
            "" => Action::Reply(Reply::new(501, "AUTH needs a mechanism.")),
            _ => Action::Reply(Reply::new(504, "Unsupported AUTH mechanism.")),
        }
    }

    fn pbsz(&mut self, arg: &str) -> Action {
        if !self.control_tls || self.ccc_done {
            return Action::Reply(Reply::new(503, "PBSZ needs a TLS control connection."));
        }
        if arg.parse::<u64>().is_err() {
            return Action::Reply(Reply::new(501, "PBSZ needs a number."));
        }
        self.pbsz = true;
        Action::Reply(Reply::new(200, "PBSZ=0"))
    }

    fn prot_cmd(&mut self, arg: &str) -> Action {
        if !self.control_tls || self.ccc_done {
            return Action::Reply(Reply::new(503, "PROT needs a TLS control connection."));
        }
        if !self.pbsz {
            return Action::Reply(Reply::new(503, "PBSZ first."));
        }
        match arg.to_ascii_uppercase().as_str() {
            "C" => {
                self.prot = Prot::Clear;
                Action::Reply(Reply::new(200, "PROT now Clear."))
            }
            "P" => {
                self.prot = Prot::Private;
                Action::Reply(Reply::new(200, "PROT now Private."))
            }
            "S" | "E" => Action::Reply(Reply::new(536, "PROT level not supported.")),
            _ => Action::Reply(Reply::new(504, "Unknown PROT level.")),
        }
    }

    fn ccc(&mut self) -> Action {
        if !self.policy.tls_available || self.policy.ccc == CccPolicy::Disabled {
            return Action::Reply(Reply::new(500, "CCC not understood."));
        }
        if !self.control_tls {
            return Action::Reply(Reply::new(
                533,
                "Control connection is not protected with TLS.",
            ));
        }
        if self.policy.ccc == CccPolicy::Refuse || self.policy.implicit_tls {
            return Action::Reply(Reply::new(534, "CCC refused by server policy."));
        }
        self.control_tls = false;
        self.ccc_done = true;
        Action::ClearControl(Reply::new(200, "Clearing the control connection."))
    }

    fn user_cmd(&mut self, arg: &str) -> Action {
        if self.policy.require_tls_login && !self.control_tls {
            return Action::Reply(Reply::new(
                530,
                "This server requires TLS (AUTH TLS) before login.",
            ));
        }
        if arg.is_empty() {
            return Action::Reply(Reply::new(501, "USER needs a name."));
        }
        self.login = Login::NeedPass(arg.to_owned());
        Action::Reply(Reply::new(331, "Please specify the password."))
    }

    fn pass_cmd(&mut self, arg: &str) -> Action {
        if self.policy.require_tls_login && !self.control_tls {
            return Action::Reply(Reply::new(
                530,
                "This server requires TLS (AUTH TLS) before login.",
            ));
        }
        match std::mem::replace(&mut self.login, Login::NeedUser) {
            Login::NeedPass(user) => Action::Login {
                user,
                password: Password(arg.to_owned()),
            },
            Login::In(u) => {
                self.login = Login::In(u);
                Action::Reply(Reply::new(230, "Already logged in."))
            }
            Login::NeedUser => Action::Reply(Reply::new(503, "Login with USER first.")),
        }
    }

    /// The outcome of an [`Action::Login`] check.
    pub fn login_done(&mut self, user: &str, ok: bool) -> Reply {
        if ok {
            self.login = Login::In(user.to_owned());
            self.cwd = VPath::root();
            Reply::new(230, "Login successful.")
        } else {
            self.login = Login::NeedUser;
            Reply::new(530, "Login incorrect.")
        }
    }

    fn transfer(&mut self, kind: TransferKind, path: VPath, offset: u64) -> Action {
        if self.policy.require_tls_data && self.prot != Prot::Private {
            self.data = DataMode::None;
            return Action::Reply(Reply::new(522, "Data connections must be encrypted."));
        }
        let mode = std::mem::replace(&mut self.data, DataMode::None);
        if mode == DataMode::None {
            return Action::Reply(Reply::new(425, "Use PORT or PASV first."));
        }
        Action::Transfer(Transfer {
            kind,
            path,
            offset,
            ascii: self.ascii
                && matches!(
                    kind,
                    TransferKind::Retr | TransferKind::Stor | TransferKind::Appe
                ),
            protect: self.prot == Prot::Private,
            mode,
        })
    }

    /// The driver opened a passive listener at `addr` (or failed: `None`).
    pub fn passive_ready(&mut self, addr: Option<SocketAddr>, extended: bool) -> Reply {
        let Some(addr) = addr else {
            self.data = DataMode::None;
            return Reply::new(425, "Cannot open a passive connection.");
        };
        self.data = DataMode::Passive;
        if extended {
            return Reply::new(
                229,
                format!("Entering Extended Passive Mode (|||{}|)", addr.port()),
            );
        }
        match addr.ip() {
            IpAddr::V4(ip) => {
                let [a, b, c, d] = ip.octets();
                let (p1, p2) = (addr.port() >> 8, addr.port() & 0xff);
                Reply::new(
                    227,
                    format!("Entering Passive Mode ({a},{b},{c},{d},{p1},{p2})."),
                )
            }
            IpAddr::V6(_) => {
                self.data = DataMode::None;
                Reply::new(522, "PASV is IPv4 only; use EPSV.")
            }
        }
    }

    fn fs(&mut self, op: FsOp) -> Action {
        self.pending_fs = Some(op.clone());
        Action::Fs(op)
    }

    /// The outcome of the last [`Action::Fs`]; `Err` carries the OS error.
    pub fn fs_done(&mut self, result: Result<FsOutcome, std::io::Error>) -> Reply {
        let Some(op) = self.pending_fs.take() else {
            return Reply::new(503, "No operation pending.");
        };
        let out = match result {
            Ok(o) => o,
            Err(e) => return fs_error(&e),
        };
        match (op, out) {
            (FsOp::Cwd(p), _) => {
                self.cwd = p;
                Reply::new(250, "Directory successfully changed.")
            }
            (FsOp::Mkd(p), _) => Reply::new(257, format!("\"{}\" created", quote(&p.to_string()))),
            (FsOp::Rmd(_), _) => Reply::new(250, "Remove directory operation successful."),
            (FsOp::Dele(_), _) => Reply::new(250, "Delete operation successful."),
            (FsOp::Rnfr(p), _) => {
                self.rnfr = Some(p);
                Reply::new(350, "Ready for RNTO.")
            }
            (FsOp::Rename(..), _) => Reply::new(250, "Rename successful."),
            (FsOp::Size(_), FsOutcome::Size(n)) => Reply::new(213, n.to_string()),
            (FsOp::Mdtm(_), FsOutcome::Time(t)) => Reply::new(213, t),
            (FsOp::Mlst(p), FsOutcome::Lines(facts)) => {
                let mut lines = vec![format!("Listing {p}")];
                lines.extend(facts);
                lines.push("End".into());
                Reply::multi(250, lines)
            }
            (FsOp::Stat(p), FsOutcome::Lines(list)) => {
                let mut lines = vec![format!("Status of {p}:")];
                lines.extend(list);
                lines.push("End of status".into());
                Reply::multi(213, lines)
            }
            _ => Reply::new(451, "Local error in processing."),
        }
    }

    /// The reply after a transfer: `Ok(())`, or an error saying how it failed.
    pub fn transfer_done(&mut self, result: Result<(), TransferError>) -> Reply {
        match result {
            Ok(()) => Reply::new(226, "Transfer complete."),
            Err(TransferError::NoConnection) => Reply::new(425, "Cannot open data connection."),
            Err(TransferError::TlsRequired(why)) => Reply::new(522, why),
            Err(TransferError::Aborted) => Reply::new(426, "Connection closed; transfer aborted."),
            Err(TransferError::File(e)) => fs_error(&e),
            Err(TransferError::Local(e)) => Reply::new(451, format!("Local error: {}", e.kind())),
        }
    }
}

/// What a command that arrives while a transfer runs calls for. RFC 959 §4.1.3 names
/// the commands a server attends to mid-transfer: ABOR, STAT (and QUIT, which waits for
/// the transfer to end, so it is simply handled after it like everything else).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DuringTransfer {
    /// Stop the transfer, close the data connection, then send [`aborted_replies`].
    Abort,
    /// Answer now; the transfer goes on.
    Reply(Reply),
    /// Keep the line and handle it once the transfer has ended (pipelined commands).
    Later,
}

/// Classifies a command line received while a transfer runs.
pub fn during_transfer(line: &str) -> DuringTransfer {
    let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
    if verb.eq_ignore_ascii_case("ABOR") {
        DuringTransfer::Abort
    } else if verb.eq_ignore_ascii_case("STAT") && arg.trim().is_empty() {
        DuringTransfer::Reply(Reply::new(213, "Transfer in progress."))
    } else {
        DuringTransfer::Later
    }
}

/// The replies to an ABOR that stopped a transfer (RFC 959 §4.1.3): 426 for the
/// transfer, then 226 for the ABOR itself.
pub fn aborted_replies() -> [Reply; 2] {
    [
        Reply::new(426, "Connection closed; transfer aborted."),
        Reply::new(226, "ABOR successful."),
    ]
}

/// How a transfer failed, for [`Session::transfer_done`].
#[derive(Debug)]
pub enum TransferError {
    /// The data connection never came (timeout, refused, wrong peer).
    NoConnection,
    /// The data connection's TLS failed or did not resume the control session (522).
    TlsRequired(String),
    /// The data connection broke mid-transfer (426).
    Aborted,
    /// The file could not be opened or created (550 family).
    File(std::io::Error),
    /// A local error during the transfer (451).
    Local(std::io::Error),
}

fn fs_error(e: &std::io::Error) -> Reply {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => Reply::new(550, "No such file or directory."),
        K::PermissionDenied => Reply::new(550, "Permission denied."),
        K::AlreadyExists => Reply::new(550, "File exists."),
        K::InvalidInput | K::InvalidFilename => Reply::new(553, "File name not allowed."),
        K::DirectoryNotEmpty => Reply::new(550, "Directory not empty."),
        K::NotADirectory => Reply::new(550, "Not a directory."),
        K::IsADirectory => Reply::new(550, "Is a directory."),
        _ => Reply::new(550, "Operation failed."),
    }
}

/// Doubles quotes in a path for a 257 reply (RFC 959 appendix II).
fn quote(s: &str) -> String {
    s.replace('"', "\"\"")
}

fn is_known(verb: &str) -> bool {
    matches!(
        verb,
        "ACCT"
            | "PWD"
            | "XPWD"
            | "CWD"
            | "XCWD"
            | "CDUP"
            | "XCUP"
            | "TYPE"
            | "MODE"
            | "STRU"
            | "PASV"
            | "EPSV"
            | "PORT"
            | "EPRT"
            | "LIST"
            | "NLST"
            | "MLSD"
            | "MLST"
            | "SIZE"
            | "MDTM"
            | "RETR"
            | "STOR"
            | "APPE"
            | "REST"
            | "DELE"
            | "MKD"
            | "XMKD"
            | "RMD"
            | "XRMD"
            | "RNFR"
            | "RNTO"
            | "ABOR"
            | "STAT"
            | "HELP"
    )
}

/// Parses PORT's `h1,h2,h3,h4,p1,p2`.
pub fn parse_port(arg: &str) -> Result<SocketAddr, Reply> {
    let bad = || Reply::new(501, "Bad PORT argument.");
    let n: Vec<u8> = arg
        .split(',')
        .map(|s| s.trim().parse::<u8>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let [a, b, c, d, p1, p2] = n[..] else {
        return Err(bad());
    };
    Ok(SocketAddr::from((
        [a, b, c, d],
        u16::from(p1) << 8 | u16::from(p2),
    )))
}

/// Parses EPRT's `|proto|addr|port|` (RFC 2428), any delimiter.
pub fn parse_eprt(arg: &str) -> Result<SocketAddr, Reply> {
    let bad = || Reply::new(501, "Bad EPRT argument.");
    let d = arg.chars().next().ok_or_else(bad)?;
    if !(33..=126).contains(&(d as u32)) {
        return Err(bad());
    }
    let parts: Vec<&str> = arg.split(d).collect();
    let ["", proto, addr, port, ""] = parts[..] else {
        return Err(bad());
    };
    let port: u16 = port.parse().map_err(|_| bad())?;
    let ip: IpAddr = match proto {
        "1" => IpAddr::V4(addr.parse().map_err(|_| bad())?),
        "2" => IpAddr::V6(addr.parse().map_err(|_| bad())?),
        _ => return Err(Reply::new(522, "Network protocol not supported, use (1,2)")),
    };
    Ok(SocketAddr::new(ip, port))
}

/// Reassembles server replies (single- and multi-line) from lines, for clients.
#[derive(Debug, Default)]
pub struct ReplyParser {
    code: Option<u16>,
    lines: Vec<String>,
}

impl ReplyParser {
    /// An empty parser.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one line; returns the reply when it is complete, or an error for a line
    /// that is not a reply.
    pub fn push(&mut self, line: &str) -> Result<Option<Reply>, String> {
        let head = line.get(..3).and_then(|c| c.parse::<u16>().ok());
        let sep = line.as_bytes().get(3).copied();
        let text = line.get(4..).unwrap_or("").to_owned();
        match self.code {
            None => {
                let code = head
                    .filter(|c| (100..600).contains(c))
                    .ok_or_else(|| "malformed reply line".to_owned())?;
                match sep {
                    Some(b'-') => {
                        self.code = Some(code);
                        self.lines.push(text);
                        Ok(None)
                    }
                    Some(b' ') | None => Ok(Some(Reply::new(code, text))),
                    _ => Err("malformed reply line".into()),
                }
            }
            Some(code) => {
                if head == Some(code) && sep != Some(b'-') {
                    self.lines.push(text);
                    self.code = None;
                    Ok(Some(Reply::multi(code, std::mem::take(&mut self.lines))))
                } else {
                    if self.lines.len() > 10_000 {
                        return Err("multi-line reply too long".into());
                    }
                    self.lines.push(line.trim_start().to_owned());
                    Ok(None)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
