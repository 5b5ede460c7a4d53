//! FTP data connections: accepting and dialling them (PASV/EPSV/PORT/EPRT), TLS on
//! them (PROT P), moving file bytes with TYPE A line-end conversion, and ending them
//! so nothing is lost to a reset.
//!
//! # Protected data connections: the engine seals and opens in batches
//!
//! rustls runs each data connection's handshake, then hands the traffic secrets over
//! and the engine's record layer carries the connection ([`TlsData`]):
//!
//! * the sender lays out [`BATCH`] records of 16 KiB in one wire buffer
//!   ([`TlsSealer::slots`]), reads the file straight into them (one `readv` for a file
//!   or any reader with `read_vectored`), seals the whole batch in one call
//!   ([`TlsSealer::seal_batch`]) and writes about 1 MiB at once;
//! * the receiver opens every whole record a socket read brought in place, in its
//!   receive buffer ([`TlsOpener::open_buffer`]), and writes the payloads to the file
//!   from there (one `writev`);
//! * TYPE A text and listings go through [`DataStream`]'s `Read`/`Write`, which seal
//!   from the caller's slices ([`TlsSealer::seal_from`]) and copy out of the receive
//!   buffer.
//!
//! **Why rustls's `kernel` module** (`dangerous_into_kernel_connection` on the
//! unbuffered connections) rather than `dangerous_extract_secrets` on a buffered one:
//!
//! * the unbuffered API works on our receive buffer and says exactly how much of it the
//!   handshake used. A buffered connection may already hold records past the handshake
//!   (the first data, a ticket) in its own buffer, which extraction would silently drop;
//! * the `KernelConnection` it leaves behind still stores the TLS 1.3 tickets a server
//!   sends on a data connection — the client needs them, since rustls resumes with each
//!   ticket once and the next data connection must resume — and derives the next
//!   secrets for a KeyUpdate. With bare extracted secrets both would be ours to refuse
//!   or to rebuild.
//!
//! What is left to us, and done here: post-handshake messages (tickets to the kernel
//! connection, KeyUpdate in both directions, and our own KeyUpdate before the sealer's
//! confidentiality limit under TLS 1.3; TLS 1.2 has none and its sealer refuses to go
//! past the limit), alerts, and close_notify. Each transfer ends with close_notify from
//! the sender, and the receiver requires it: a connection closed without one is
//! `UnexpectedEof` (a possible truncation), a record that fails to open is
//! `InvalidData`, and in both cases no unauthenticated byte reaches the caller.
//!
//! The keys come from [`rustls_provider::record_keys`]: the engine that served the
//! handshake's suite, so provider choice and FIPS policy carry over unchanged.

use std::collections::VecDeque;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::{ClientConnectionData, UnbufferedClientConnection};
use rustls::kernel::KernelConnection;
use rustls::pki_types::ServerName;
use rustls::server::{ServerConnectionData, UnbufferedServerConnection};
use rustls::unbuffered::{
    ConnectionState, EncodeError, UnbufferedConnectionCommon, UnbufferedStatus,
};
use rustls::{
    ClientConfig, ConnectionTrafficSecrets, ExtractedSecrets, HandshakeKind, ProtocolVersion,
    ServerConfig, SupportedCipherSuite,
};
use wirecrypt::record::Opened;
use wirecrypt::tls::{
    ContentType, MAX_PLAINTEXT, MAX_TLS12_CIPHERTEXT, MAX_TLS13_CIPHERTEXT, TlsOpener, TlsSealer,
    rustls_provider,
};

/// Bytes moved per read/write call on a plain data connection.
pub const BUF_SIZE: usize = 1 << 20;

/// Records sealed per write on a protected data connection (1 MiB of content).
pub const BATCH: usize = 64;

/// The largest whole record either version may send, header included.
const MAX_RECORD: usize = wirecrypt::tls::HEADER_LEN
    + if MAX_TLS12_CIPHERTEXT > MAX_TLS13_CIPHERTEXT {
        MAX_TLS12_CIPHERTEXT
    } else {
        MAX_TLS13_CIPHERTEXT
    };

/// The receive buffer: a batch of full records and room for two more.
const RECV_SIZE: usize = BATCH * (MAX_PLAINTEXT + 64) + 2 * MAX_RECORD;

/// Post-handshake messages may span records; more than this waiting is an attack.
const MAX_POST_HANDSHAKE: usize = 64 * 1024;

/// A data connection, plain or TLS.
#[derive(Debug)]
pub enum DataStream {
    /// PROT C.
    Plain(TcpStream),
    /// PROT P, either side of the handshake.
    Tls(Box<TlsData>),
}

impl DataStream {
    /// Runs the server side of the TLS handshake on `sock` with this FTP session's
    /// configuration. With `require_reuse` the handshake must have resumed the control
    /// connection's session (the only sessions in that configuration's store).
    pub fn accept_tls(
        mut sock: TcpStream,
        config: Arc<ServerConfig>,
        require_reuse: bool,
    ) -> Result<DataStream, String> {
        let config = if config.enable_secret_extraction {
            config
        } else {
            let mut own = (*config).clone();
            own.enable_secret_extraction = true;
            Arc::new(own)
        };
        let failed = |e: &dyn std::fmt::Display| format!("TLS handshake failed: {e}");
        let mut conn = UnbufferedServerConnection::new(config).map_err(|e| failed(&e))?;
        let mut rx = RecvBuf::new();
        let early = handshake(&mut conn, &mut sock, &mut rx).map_err(|e| failed(&e))?;
        let kind = conn.handshake_kind();
        let (secrets, kernel) = conn
            .dangerous_into_kernel_connection()
            .map_err(|e| failed(&e))?;
        let mut tls = TlsData::new(sock, Kernel::Server(kernel), secrets, kind, rx, early)
            .map_err(|e| failed(&e))?;
        if require_reuse && kind != Some(HandshakeKind::Resumed) {
            let _ = tls.close_notify();
            return Err(
                "SSL connection failed: session reuse required (the data connection must resume the control connection's TLS session)"
                    .into(),
            );
        }
        Ok(DataStream::Tls(Box::new(tls)))
    }

    /// Runs the client side of the TLS handshake; `config` must be the one the control
    /// connection used (or a copy sharing its session store), so the session resumes.
    pub fn connect_tls(
        mut sock: TcpStream,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    ) -> io::Result<DataStream> {
        let config = if config.enable_secret_extraction {
            config
        } else {
            // A copy shares the session store, so resumption is unaffected.
            let mut own = (*config).clone();
            own.enable_secret_extraction = true;
            Arc::new(own)
        };
        let mut conn = UnbufferedClientConnection::new(config, name).map_err(tls_error)?;
        let mut rx = RecvBuf::new();
        let early = handshake(&mut conn, &mut sock, &mut rx)?;
        let kind = conn.handshake_kind();
        let (secrets, kernel) = conn.dangerous_into_kernel_connection().map_err(tls_error)?;
        let tls = TlsData::new(sock, Kernel::Client(kernel), secrets, kind, rx, early)?;
        Ok(DataStream::Tls(Box::new(tls)))
    }

    /// How the TLS handshake went, if TLS.
    pub fn handshake_kind(&self) -> Option<HandshakeKind> {
        match self {
            DataStream::Plain(_) => None,
            DataStream::Tls(t) => t.handshake,
        }
    }

    /// Ends the connection cleanly: close_notify (TLS), FIN, then reads until the peer
    /// closes or `linger` passes. Reading to the end keeps the peer's last bytes from
    /// being lost to a reset and lets a TLS client store the tickets the server sent.
    pub fn finish(self, linger: Duration) -> io::Result<()> {
        match self {
            DataStream::Plain(mut s) => {
                s.flush()?;
                s.shutdown(Shutdown::Write)?;
                let mut sink = [0u8; 16 * 1024];
                let end = Instant::now() + linger;
                // The peer closed or reset: the transfer itself is done either way.
                while Instant::now() < end && matches!(s.read(&mut sink), Ok(n) if n > 0) {}
                Ok(())
            }
            DataStream::Tls(mut t) => {
                t.close_notify()?;
                let _ = t.sock.shutdown(Shutdown::Write);
                t.drain(linger);
                Ok(())
            }
        }
    }

    /// The TCP connection underneath; a clone of it can shut the stream down from
    /// another thread (an aborted transfer).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            DataStream::Plain(s) => s,
            DataStream::Tls(t) => &t.sock,
        }
    }

    /// Sets the read and write timeouts of the underlying socket.
    pub fn set_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.tcp().set_read_timeout(t)?;
        self.tcp().set_write_timeout(t)
    }
}

impl Read for DataStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            DataStream::Plain(s) => s.read(buf),
            DataStream::Tls(t) => t.read(buf),
        }
    }
}

impl Write for DataStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            DataStream::Plain(s) => s.write(buf),
            DataStream::Tls(t) => t.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            DataStream::Plain(s) => s.flush(),
            DataStream::Tls(t) => t.sock.flush(),
        }
    }
}

/// rustls's side of a connection after the handshake: it stores tickets (client) and
/// derives KeyUpdate secrets.
enum Kernel {
    Client(KernelConnection<ClientConnectionData>),
    Server(KernelConnection<ServerConnectionData>),
}

impl Kernel {
    fn update_tx(&mut self) -> Result<(u64, ConnectionTrafficSecrets), rustls::Error> {
        match self {
            Kernel::Client(k) => k.update_tx_secret(),
            Kernel::Server(k) => k.update_tx_secret(),
        }
    }

    fn update_rx(&mut self) -> Result<(u64, ConnectionTrafficSecrets), rustls::Error> {
        match self {
            Kernel::Client(k) => k.update_rx_secret(),
            Kernel::Server(k) => k.update_rx_secret(),
        }
    }

    fn new_session_ticket(&mut self, payload: &[u8]) -> io::Result<()> {
        match self {
            Kernel::Client(k) => k.handle_new_session_ticket(payload).map_err(tls_error),
            Kernel::Server(_) => Err(invalid("a TLS client sent a NewSessionTicket")),
        }
    }
}

/// A protected data connection after its handshake: records sealed and opened by the
/// engine, in batches, on buffers this type owns.
pub struct TlsData {
    sock: TcpStream,
    kernel: Kernel,
    suite: SupportedCipherSuite,
    version: Option<ProtocolVersion>,
    handshake: Option<HandshakeKind>,
    sealer: TlsSealer,
    opener: TlsOpener,
    rx: RecvBuf,
    /// Application data rustls opened while finishing the handshake, handed out first.
    early: Vec<u8>,
    early_at: usize,
    /// A post-handshake message split across records, waiting for its rest.
    post_handshake: Vec<u8>,
    peer_closed: bool,
    sent_close: bool,
    /// Where records are laid out and sealed before one write.
    wire: Vec<u8>,
    slots: Vec<Range<usize>>,
    lens: Vec<usize>,
    opened: Vec<Opened>,
}

impl std::fmt::Debug for TlsData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsData")
            .field("suite", &self.suite.suite())
            .field("version", &self.version)
            .field("handshake", &self.handshake)
            .field("peer_closed", &self.peer_closed)
            .finish_non_exhaustive()
    }
}

/// What the handshake left besides the secrets.
#[derive(Default)]
struct Early {
    plain: Vec<u8>,
    peer_closed: bool,
}

impl TlsData {
    fn new(
        sock: TcpStream,
        kernel: Kernel,
        secrets: ExtractedSecrets,
        handshake: Option<HandshakeKind>,
        rx: RecvBuf,
        early: Early,
    ) -> io::Result<TlsData> {
        let (suite, version) = match &kernel {
            Kernel::Client(k) => (k.negotiated_cipher_suite(), k.protocol_version()),
            Kernel::Server(k) => (k.negotiated_cipher_suite(), k.protocol_version()),
        };
        let ExtractedSecrets {
            tx: (tx_seq, tx),
            rx: (rx_seq, rx_secrets),
        } = secrets;
        let sealer = TlsSealer::new(record_keys(suite, &tx)?).with_sequence(tx_seq);
        let opener = TlsOpener::new(record_keys(suite, &rx_secrets)?).with_sequence(rx_seq);
        Ok(TlsData {
            sock,
            kernel,
            suite,
            version: Some(version),
            handshake,
            sealer,
            opener,
            rx,
            early: early.plain,
            early_at: 0,
            post_handshake: Vec::new(),
            peer_closed: early.peer_closed,
            sent_close: false,
            wire: Vec::new(),
            slots: Vec::with_capacity(BATCH),
            lens: Vec::with_capacity(BATCH),
            opened: Vec::with_capacity(BATCH),
        })
    }

    fn tls13(&self) -> bool {
        self.version == Some(ProtocolVersion::TLSv1_3)
    }

    // ---- sending ----

    /// Seals `data` as records of type `typ` (up to 16 KiB each, a batch per write)
    /// and writes them.
    fn send_records(&mut self, typ: ContentType, data: &[u8]) -> io::Result<()> {
        for batch in data.chunks(BATCH * MAX_PLAINTEXT) {
            self.key_update_if_due()?;
            let contents: Vec<&[u8]> = batch.chunks(MAX_PLAINTEXT).collect();
            let need: usize = contents
                .iter()
                .map(|c| self.sealer.record_len(c.len()))
                .sum();
            if self.wire.len() < need {
                self.wire.resize(need, 0);
            }
            let n = self
                .sealer
                .seal_from(typ, &contents, &mut self.wire)
                .map_err(record_error)?;
            self.sock.write_all(&self.wire[..n])?;
        }
        Ok(())
    }

    /// TLS 1.3: a KeyUpdate before the key nears its confidentiality limit (RFC 8446
    /// §5.5), sealed under the old key; the next records use the new one.
    fn key_update_if_due(&mut self) -> io::Result<()> {
        if self.tls13() && self.sealer.needs_key_update() {
            self.send_key_update(false)?;
        }
        Ok(())
    }

    /// Sends KeyUpdate (asking the peer to update too when `request`) and moves this
    /// side to the next traffic secret.
    fn send_key_update(&mut self, request: bool) -> io::Result<()> {
        let msg = [24, 0, 0, 1, u8::from(request)];
        let n = self
            .sealer
            .seal_into(ContentType::Handshake, &msg, {
                self.wire.resize(self.wire.len().max(MAX_RECORD), 0);
                &mut self.wire
            })
            .map_err(|e| invalid(&format!("sealing KeyUpdate: {e}")))?;
        self.sock.write_all(&self.wire[..n])?;
        let (seq, secrets) = self.kernel.update_tx().map_err(tls_error)?;
        self.sealer = TlsSealer::new(record_keys(self.suite, &secrets)?).with_sequence(seq);
        Ok(())
    }

    /// Reads `from` to its end straight into a batch of record slots at a time, seals
    /// each batch in one call and writes it in one go. Returns the bytes read.
    fn send_from(&mut self, from: &mut impl Read) -> io::Result<u64> {
        let full = [MAX_PLAINTEXT; BATCH];
        let mut total = 0u64;
        loop {
            self.key_update_if_due()?;
            let wire_len = self
                .sealer
                .slots(&full, &mut self.slots)
                .map_err(record_error)?;
            if self.wire.len() < wire_len {
                self.wire.resize(wire_len, 0);
            }
            let (got, eof) = read_slots(from, &mut self.wire, &self.slots)?;
            total += got as u64;
            self.lens.clear();
            let mut left = got;
            for s in &self.slots {
                if left == 0 {
                    break;
                }
                let n = left.min(s.len());
                self.lens.push(n);
                left -= n;
            }
            if !self.lens.is_empty() {
                let n = self
                    .sealer
                    .seal_batch(ContentType::ApplicationData, &mut self.wire, &self.lens)
                    .map_err(record_error)?;
                self.sock.write_all(&self.wire[..n])?;
            }
            if eof {
                return Ok(total);
            }
        }
    }

    /// Sends close_notify once.
    fn close_notify(&mut self) -> io::Result<()> {
        if !self.sent_close {
            self.sent_close = true;
            // warning(1), close_notify(0)
            self.send_records(ContentType::Alert, &[1, 0])?;
        }
        Ok(())
    }

    // ---- receiving ----

    /// Makes opened application data ready to hand out, reading the socket when no
    /// whole record is buffered. `Ok(false)` after the peer's close_notify; a close
    /// without one is `UnexpectedEof`.
    fn pump(&mut self) -> io::Result<bool> {
        debug_assert!(self.rx.ready.is_empty());
        loop {
            if self.peer_closed {
                return Ok(false);
            }
            let rx = &mut self.rx;
            self.opened.clear();
            let progress = self
                .opener
                .open_buffer(&mut rx.buf[rx.start..rx.end], &mut self.opened)
                .map_err(record_error)?;
            let base = rx.start;
            rx.start += progress.consumed;
            let mut stopped_at = None;
            for o in &self.opened {
                let range = base + o.payload.start..base + o.payload.end;
                if o.kind == ContentType::ApplicationData.to_u8() {
                    if !self.post_handshake.is_empty() {
                        return Err(invalid(
                            "application data inside a split post-handshake message",
                        ));
                    }
                    if !range.is_empty() {
                        self.rx.ready.push_back(range);
                    }
                } else {
                    // open_buffer stops after any other record: it is the last one.
                    stopped_at = Some((o.kind, range));
                }
            }
            if let Some((kind, range)) = stopped_at {
                let payload = self.rx.buf[range].to_vec();
                self.control_record(kind, &payload)?;
            }
            if !self.rx.ready.is_empty() {
                return Ok(true);
            }
            if progress.needed == 0 {
                continue;
            }
            if self.peer_closed {
                return Ok(false);
            }
            if self.rx.read_more(&mut self.sock, progress.needed)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the TLS data connection closed without close_notify: the transfer may be truncated",
                ));
            }
        }
    }

    /// Handles a record that is not application data.
    fn control_record(&mut self, kind: u8, payload: &[u8]) -> io::Result<()> {
        match ContentType::from_u8(kind) {
            Ok(ContentType::Alert) => match payload {
                [_, 0] => {
                    self.peer_closed = true;
                    Ok(())
                }
                // user_canceled is a warning; close_notify follows.
                [_, 90] => Ok(()),
                [_, desc] => Err(invalid(&format!(
                    "the peer sent TLS alert {desc} on the data connection"
                ))),
                _ => Err(invalid("malformed TLS alert")),
            },
            Ok(ContentType::Handshake) => {
                if self.post_handshake.len() + payload.len() > MAX_POST_HANDSHAKE {
                    return Err(invalid("post-handshake message too large"));
                }
                self.post_handshake.extend_from_slice(payload);
                self.post_handshake_messages()
            }
            _ => Err(invalid(&format!(
                "unexpected TLS record type {kind} on the data connection"
            ))),
        }
    }

    /// Handles every whole post-handshake message buffered: tickets and KeyUpdate.
    fn post_handshake_messages(&mut self) -> io::Result<()> {
        loop {
            let buf = &self.post_handshake;
            if buf.len() < 4 {
                return Ok(());
            }
            let len = usize::from(buf[1]) << 16 | usize::from(buf[2]) << 8 | usize::from(buf[3]);
            if buf.len() < 4 + len {
                return Ok(());
            }
            let typ = buf[0];
            let body: Vec<u8> = buf[4..4 + len].to_vec();
            self.post_handshake.drain(..4 + len);
            match typ {
                // NewSessionTicket: stored for the next data connection's resumption.
                4 => self.kernel.new_session_ticket(&body)?,
                24 if self.tls13() => self.key_update_received(&body)?,
                0 => return Err(invalid("the peer asked for renegotiation (not supported)")),
                t => {
                    return Err(invalid(&format!(
                        "unexpected post-handshake message type {t} on the data connection"
                    )));
                }
            }
        }
    }

    /// The peer moved to its next traffic secret; when it asks, this side follows.
    fn key_update_received(&mut self, body: &[u8]) -> io::Result<()> {
        let request = match body {
            [0] => false,
            [1] => true,
            _ => return Err(invalid("malformed KeyUpdate")),
        };
        let (seq, secrets) = self.kernel.update_rx().map_err(tls_error)?;
        self.opener = TlsOpener::new(record_keys(self.suite, &secrets)?).with_sequence(seq);
        if request && !self.sent_close {
            self.send_key_update(false)?;
        }
        Ok(())
    }

    /// Copies received plaintext into `out`.
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.early_at < self.early.len() {
            let n = out.len().min(self.early.len() - self.early_at);
            out[..n].copy_from_slice(&self.early[self.early_at..self.early_at + n]);
            self.early_at += n;
            return Ok(n);
        }
        loop {
            if let Some(r) = self.rx.ready.front_mut() {
                let n = out.len().min(r.len());
                out[..n].copy_from_slice(&self.rx.buf[r.start..r.start + n]);
                r.start += n;
                if r.start >= r.end {
                    self.rx.ready.pop_front();
                }
                return Ok(n);
            }
            if !self.pump()? {
                return Ok(0);
            }
        }
    }

    /// Writes everything received up to close_notify into `to`, straight from the
    /// receive buffer. Returns the bytes written.
    fn receive_into(&mut self, to: &mut impl Write) -> io::Result<u64> {
        let mut total = 0u64;
        if self.early_at < self.early.len() {
            to.write_all(&self.early[self.early_at..])?;
            total += (self.early.len() - self.early_at) as u64;
            self.early_at = self.early.len();
        }
        loop {
            if self.rx.ready.is_empty() && !self.pump()? {
                return Ok(total);
            }
            total += self.rx.write_ready(to)? as u64;
        }
    }

    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(BATCH * MAX_PLAINTEXT);
        self.send_records(ContentType::ApplicationData, &data[..n])?;
        Ok(n)
    }

    /// Reads and opens what the peer still sends (tickets, its close_notify) until it
    /// closes or `linger` passes; application data is dropped.
    fn drain(&mut self, linger: Duration) {
        let end = Instant::now() + linger;
        while Instant::now() < end {
            self.rx.ready.clear();
            if !matches!(self.pump(), Ok(true)) {
                return;
            }
        }
    }
}

/// Received bytes: `buf[start..end]` not yet opened; `ready` the opened application
/// data (all before `start`) not yet handed out.
struct RecvBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    ready: VecDeque<Range<usize>>,
}

impl RecvBuf {
    fn new() -> Self {
        RecvBuf {
            buf: vec![0u8; RECV_SIZE],
            start: 0,
            end: 0,
            ready: VecDeque::with_capacity(BATCH),
        }
    }

    /// Reads at least one more byte from `sock` (0 at EOF), first moving the unopened
    /// bytes to the front when fewer than `needed` bytes, or less than a whole record,
    /// fit behind them.
    fn read_more(&mut self, sock: &mut TcpStream, needed: usize) -> io::Result<usize> {
        debug_assert!(self.ready.is_empty());
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.buf.len() - self.end < needed.max(MAX_RECORD) {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Err(invalid(
                "a handshake message larger than the receive buffer",
            ));
        }
        loop {
            match sock.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes every ready payload to `to` (vectored) and forgets them.
    fn write_ready(&mut self, to: &mut impl Write) -> io::Result<usize> {
        let mut slices: Vec<IoSlice<'_>> = self
            .ready
            .iter()
            .map(|r| IoSlice::new(&self.buf[r.clone()]))
            .collect();
        let total: usize = self.ready.iter().map(|r| r.len()).sum();
        let mut view = &mut slices[..];
        while !view.is_empty() {
            match to.write_vectored(view) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut view, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.ready.clear();
        Ok(total)
    }
}

/// Reads from `from` into the slots of `wire` until all are full or `from` ends:
/// the bytes read and whether it ended.
fn read_slots(
    from: &mut impl Read,
    wire: &mut [u8],
    slots: &[Range<usize>],
) -> io::Result<(usize, bool)> {
    let mut bufs = Vec::with_capacity(slots.len());
    let mut rest = wire;
    let mut at = 0;
    for s in slots {
        let (_, tail) = rest.split_at_mut(s.start - at);
        let (slot, tail) = tail.split_at_mut(s.len());
        bufs.push(IoSliceMut::new(slot));
        rest = tail;
        at = s.end;
    }
    let mut got = 0;
    let mut view = &mut bufs[..];
    while !view.is_empty() {
        match from.read_vectored(view) {
            Ok(0) => return Ok((got, true)),
            Ok(n) => {
                got += n;
                IoSliceMut::advance_slices(&mut view, n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((got, false))
}

/// The two unbuffered connections, driven by one handshake loop.
trait Unbuffered {
    type Data;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data>;
    fn common(&self) -> &UnbufferedConnectionCommon<Self::Data>;
}

impl Unbuffered for UnbufferedClientConnection {
    type Data = ClientConnectionData;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, ClientConnectionData> {
        self.process_tls_records(incoming)
    }
    fn common(&self) -> &UnbufferedConnectionCommon<ClientConnectionData> {
        self
    }
}

impl Unbuffered for UnbufferedServerConnection {
    type Data = ServerConnectionData;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, ServerConnectionData> {
        self.process_tls_records(incoming)
    }
    fn common(&self) -> &UnbufferedConnectionCommon<ServerConnectionData> {
        self
    }
}

/// Runs a handshake to completion on our receive buffer: afterwards `rx` holds exactly
/// the bytes rustls did not use (records for the engine to open), and nothing is left
/// to send, as `dangerous_into_kernel_connection` requires.
fn handshake<C: Unbuffered>(
    conn: &mut C,
    sock: &mut TcpStream,
    rx: &mut RecvBuf,
) -> io::Result<Early> {
    let mut out = vec![0u8; 16 * 1024];
    let mut out_len = 0;
    let mut early = Early::default();
    loop {
        let UnbufferedStatus { mut discard, state } = conn.process(&mut rx.buf[rx.start..rx.end]);
        let mut read = false;
        let mut traffic = false;
        match state.map_err(tls_error)? {
            ConnectionState::EncodeTlsData(mut e) => loop {
                match e.encode(&mut out[out_len..]) {
                    Ok(n) => {
                        out_len += n;
                        break;
                    }
                    Err(EncodeError::InsufficientSize(s)) => {
                        out.resize(out_len + s.required_size, 0)
                    }
                    Err(e) => return Err(invalid(&e.to_string())),
                }
            },
            ConnectionState::TransmitTlsData(t) => {
                sock.write_all(&out[..out_len])?;
                out_len = 0;
                t.done();
            }
            ConnectionState::BlockedHandshake => read = true,
            // Data that came with the end of the handshake, opened by rustls (through
            // the engine's provider all the same).
            ConnectionState::ReadTraffic(mut r) => {
                while let Some(record) = r.next_record() {
                    let record = record.map_err(tls_error)?;
                    discard += record.discard;
                    early.plain.extend_from_slice(record.payload);
                }
            }
            ConnectionState::PeerClosed => early.peer_closed = true,
            ConnectionState::WriteTraffic(_) => traffic = true,
            ConnectionState::Closed => return Err(invalid("TLS closed during the handshake")),
            _ => return Err(invalid("unexpected TLS state during the handshake")),
        }
        rx.start += discard;
        if traffic {
            // A TLS 1.3 server may send before the client's Finished has arrived;
            // the handshake is over only when that is in.
            if !conn.common().is_handshaking() {
                return Ok(early);
            }
            read = true;
        }
        if read && rx.read_more(sock, 1)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the data connection during the TLS handshake",
            ));
        }
    }
}

/// The engine's keys for one direction of this connection.
fn record_keys(
    suite: SupportedCipherSuite,
    secrets: &ConnectionTrafficSecrets,
) -> io::Result<wirecrypt::tls::TlsKeys> {
    rustls_provider::record_keys(suite, secrets)
        .map_err(|e| io::Error::other(format!("keying the data connection: {e}")))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

fn record_error(e: wirecrypt::record::RecordError) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("TLS data connection: {e}"),
    )
}

/// Copies `from` to the data connection; with `ascii` every bare LF becomes CRLF.
/// Returns the bytes read from `from`. Binary data on a protected connection is read
/// straight into record slots and sealed in batches.
pub fn send(from: &mut impl Read, to: &mut DataStream, ascii: bool) -> io::Result<u64> {
    match to {
        DataStream::Tls(t) if !ascii => t.send_from(from),
        _ => copy_out(from, to, ascii),
    }
}

/// Copies the data connection into `to` until the peer ends it; with `ascii` CRLF
/// becomes LF. A TLS peer that closes without close_notify gets `UnexpectedEof`
/// (a possible truncation): the caller decides. Returns the bytes written.
pub fn receive(from: &mut DataStream, to: &mut impl Write, ascii: bool) -> io::Result<u64> {
    match from {
        DataStream::Tls(t) if !ascii => {
            let n = t.receive_into(to)?;
            to.flush()?;
            Ok(n)
        }
        _ => copy_in(from, to, ascii),
    }
}

/// [`send`] through `Read`/`Write`.
fn copy_out(from: &mut impl Read, to: &mut impl Write, ascii: bool) -> io::Result<u64> {
    let mut buf = vec![0u8; BUF_SIZE];
    let mut conv = Vec::new();
    let mut last_cr = false;
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if ascii {
            conv.clear();
            for &b in &buf[..n] {
                if b == b'\n' && !last_cr {
                    conv.push(b'\r');
                }
                conv.push(b);
                last_cr = b == b'\r';
            }
            to.write_all(&conv)?;
        } else {
            to.write_all(&buf[..n])?;
        }
    }
    to.flush()?;
    Ok(total)
}

/// [`receive`] through `Read`/`Write`.
fn copy_in(from: &mut impl Read, to: &mut impl Write, ascii: bool) -> io::Result<u64> {
    let mut buf = vec![0u8; BUF_SIZE];
    let mut conv = Vec::new();
    let mut pending_cr = false;
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if ascii {
            conv.clear();
            for &b in &buf[..n] {
                if pending_cr && b != b'\n' {
                    conv.push(b'\r');
                }
                pending_cr = b == b'\r';
                if !pending_cr {
                    conv.push(b);
                }
            }
            to.write_all(&conv)?;
            total += conv.len() as u64;
        } else {
            to.write_all(&buf[..n])?;
            total += n as u64;
        }
    }
    if pending_cr {
        to.write_all(b"\r")?;
        total += 1;
    }
    to.flush()?;
    Ok(total)
}

/// Waits until `deadline` for a connection on `listener` from `peer`; connections
/// from any other address are closed at once (no data goes to a third party).
pub fn accept_from(
    listener: &TcpListener,
    peer: IpAddr,
    deadline: Instant,
) -> io::Result<TcpStream> {
    listener.set_nonblocking(true)?;
    loop {
        match listener.accept() {
            Ok((s, from)) if from.ip() == peer => {
                s.set_nonblocking(false)?;
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Ok((s, _)) => drop(s),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(io::Error::from(io::ErrorKind::TimedOut));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Dials an active-mode data connection (PORT/EPRT).
pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_nodelay(true)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_conversion_round_trips_across_chunk_edges() {
        let text = b"a\nb\r\nc\n\nend\r";
        let mut wire = Vec::new();
        copy_out(&mut &text[..], &mut wire, true).unwrap();
        assert_eq!(wire, b"a\r\nb\r\nc\r\n\r\nend\r");
        // feed the wire form one byte at a time so CR and LF land in different reads
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let mut back = Vec::new();
        copy_in(&mut OneByte(&wire), &mut back, true).unwrap();
        assert_eq!(back, b"a\nb\nc\n\nend\r");
        let mut binary = Vec::new();
        copy_in(&mut OneByte(&wire), &mut binary, false).unwrap();
        assert_eq!(binary, wire, "TYPE I leaves bytes alone");
    }

    #[test]
    fn accept_from_ignores_other_addresses() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        // 127.0.0.2 is loopback too, but not the control connection's peer
        let stranger = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1));
        let deadline = Instant::now() + Duration::from_millis(300);
        let r = accept_from(&l, "127.0.0.9".parse().unwrap(), deadline);
        assert_eq!(r.unwrap_err().kind(), io::ErrorKind::TimedOut);
        drop(stranger);
        let _c = TcpStream::connect(addr).unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        assert!(accept_from(&l, "127.0.0.1".parse().unwrap(), deadline).is_ok());
    }
}

/// The engine path against rustls's own record layer as the peer: key updates both
/// ways, tickets, truncation and tampering.
#[cfg(test)]
mod engine_path_tests {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use rustls::{ClientConnection, ServerConnection, StreamOwned};

    use super::*;
    use crate::ftp::tls;

    fn engine_provider() -> Arc<rustls::crypto::CryptoProvider> {
        tls::engine_provider(&wirecrypt::Engine::builder().build().unwrap())
    }

    fn server_config(version: &'static rustls::SupportedProtocolVersion) -> Arc<ServerConfig> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        tls::server_config(
            engine_provider(),
            &[version],
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            None,
        )
        .unwrap()
    }

    fn client_config(
        version: &'static rustls::SupportedProtocolVersion,
    ) -> (Arc<ClientConfig>, Arc<tls::CountingStore>) {
        let cfg = tls::client_config(
            engine_provider(),
            &[version],
            tls::ServerTrust::Insecure,
            None,
        )
        .unwrap();
        let store = Arc::new(tls::CountingStore::new(8));
        let mut own = (*cfg).clone();
        own.resumption = rustls::client::Resumption::store(store.clone());
        (Arc::new(own), store)
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 13) as u8)
            .collect()
    }

    fn name() -> ServerName<'static> {
        ServerName::try_from("localhost").unwrap()
    }

    /// Runs `peer` on a rustls server connection on another thread; returns our
    /// client's socket and the peer's thread.
    fn rustls_server<T: Send + 'static>(
        version: &'static rustls::SupportedProtocolVersion,
        peer: impl FnOnce(StreamOwned<ServerConnection, TcpStream>) -> T + Send + 'static,
    ) -> (TcpStream, std::thread::JoinHandle<T>) {
        let cfg = server_config(version);
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (mut sock, _) = l.accept().unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut conn = ServerConnection::new(cfg).unwrap();
            tls::handshake(&mut conn, &mut sock).unwrap();
            peer(StreamOwned::new(conn, sock))
        });
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        (sock, t)
    }

    #[test]
    fn key_updates_both_ways_and_tickets_on_a_client_data_connection() {
        let (a, b, c) = (
            pattern(3 << 20, 1),
            pattern(3 << 20, 2),
            pattern(5 << 20, 3),
        );
        let (a2, b2) = (a.clone(), b.clone());
        let (sock, peer) = rustls_server(&rustls::version::TLS13, move |mut s| {
            s.write_all(&a2).unwrap();
            // KeyUpdate, update_requested: our side must follow and answer.
            s.conn.refresh_traffic_keys().unwrap();
            s.write_all(&b2).unwrap();
            s.conn.send_close_notify();
            s.flush().unwrap();
            let mut up = Vec::new();
            s.read_to_end(&mut up).map(|_| up)
        });
        let (cfg, store) = client_config(&rustls::version::TLS13);
        let mut stream = DataStream::connect_tls(sock, cfg, name()).unwrap();
        assert!(matches!(stream, DataStream::Tls(_)));
        let mut got = Vec::new();
        receive(&mut stream, &mut got, false).unwrap();
        assert!(
            got.len() == a.len() + b.len() && got[..a.len()] == a[..] && got[a.len()..] == b[..]
        );
        assert_eq!(
            send(&mut c.as_slice(), &mut stream, false).unwrap(),
            c.len() as u64
        );
        stream.finish(Duration::from_secs(5)).unwrap();
        let up = peer
            .join()
            .unwrap()
            .expect("the peer read our close_notify");
        assert!(
            up == c,
            "the upload, sealed after our KeyUpdate, arrived intact"
        );
        assert!(
            store.tls13_tickets(&name()) >= 1,
            "the tickets the server sent were stored for the next data connection"
        );
    }

    #[test]
    fn a_server_data_connection_follows_the_clients_key_update() {
        let cfg = server_config(&rustls::version::TLS13);
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let (a, b) = (pattern(2 << 20, 4), pattern(2 << 20, 5));
        let (a2, b2) = (a.clone(), b.clone());
        let (client_cfg, _) = client_config(&rustls::version::TLS13);
        let peer = std::thread::spawn(move || {
            let mut sock = TcpStream::connect(addr).unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut conn = ClientConnection::new(client_cfg, name()).unwrap();
            tls::handshake(&mut conn, &mut sock).unwrap();
            let mut s = StreamOwned::new(conn, sock);
            s.write_all(&a2).unwrap();
            s.conn.refresh_traffic_keys().unwrap();
            s.write_all(&b2).unwrap();
            s.conn.send_close_notify();
            s.flush().unwrap();
            let mut down = Vec::new();
            s.read_to_end(&mut down).map(|_| down)
        });
        let (sock, _) = l.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut stream = DataStream::accept_tls(sock, cfg, false).unwrap();
        let mut got = Vec::new();
        receive(&mut stream, &mut got, false).unwrap();
        assert!(
            got.len() == a.len() + b.len() && got[..a.len()] == a[..] && got[a.len()..] == b[..]
        );
        let reply = pattern(1 << 20, 6);
        send(&mut reply.as_slice(), &mut stream, false).unwrap();
        stream.finish(Duration::from_secs(5)).unwrap();
        assert!(peer.join().unwrap().unwrap() == reply);
    }

    #[test]
    fn a_data_connection_closed_without_close_notify_is_truncated_not_short() {
        for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
            let data = pattern(100_000, 7);
            let d2 = data.clone();
            let (sock, peer) = rustls_server(version, move |mut s| {
                s.write_all(&d2).unwrap();
                s.flush().unwrap();
                s.sock.shutdown(Shutdown::Both).unwrap();
            });
            let (cfg, _) = client_config(version);
            let mut stream = DataStream::connect_tls(sock, cfg, name()).unwrap();
            let mut got = Vec::new();
            let err = receive(&mut stream, &mut got, false).unwrap_err();
            assert_eq!(
                err.kind(),
                io::ErrorKind::UnexpectedEof,
                "{version:?}: {err}"
            );
            assert!(
                got == data,
                "{version:?}: everything sealed arrived before the error"
            );
            peer.join().unwrap();
        }
    }

    #[test]
    fn a_tampered_record_is_an_error_and_nothing_past_it_is_released() {
        for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
            let data = pattern(64 * 1024, 8);
            let d2 = data.clone();
            let (sock, peer) = rustls_server(version, move |mut s| {
                // Let the client finish its handshake first, so the engine (not rustls)
                // meets the bad record; either must refuse it.
                std::thread::sleep(Duration::from_millis(100));
                s.conn.writer().write_all(&d2).unwrap();
                let mut wire = Vec::new();
                while s.conn.wants_write() {
                    s.conn.write_tls(&mut wire).unwrap();
                }
                // a bit flipped inside the second record
                let first = 5 + usize::from(u16::from_be_bytes([wire[3], wire[4]]));
                wire[first + 200] ^= 0x20;
                let _ = s.sock.write_all(&wire);
                let _ = s.sock.shutdown(Shutdown::Write);
            });
            let (cfg, _) = client_config(version);
            let mut got = Vec::new();
            let err = DataStream::connect_tls(sock, cfg, name())
                .and_then(|mut stream| receive(&mut stream, &mut got, false))
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{version:?}: {err}");
            assert!(
                got.len() <= MAX_PLAINTEXT && got[..] == data[..got.len()],
                "{version:?}: only the first record (authenticated) may have been released"
            );
            peer.join().unwrap();
        }
    }
}
