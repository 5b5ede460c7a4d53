//! FTP data connections: accepting and dialling them (PASV/EPSV/PORT/EPRT), TLS on
//! them (PROT P), moving file bytes with TYPE A line-end conversion, and ending them
//! so nothing is lost to a reset.
//!
//! **The data path seam.** [`send`] and [`receive`] are the only functions that move
//! bulk bytes. Today they hand 1 MiB slices to rustls streams (one call seals up to
//! 64 records through the engine's record protection). The batch design wanted later
//! (rustls's `kernel` module: extract the traffic secrets after the handshake and seal
//! many records per write with the engine's `Tls13Sealer`/`Tls12Sealer`) replaces the
//! `DataStream::*Tls` arms here and nothing else.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, StreamOwned};

use super::tls;

/// Bytes moved per read/write call on a data connection.
pub const BUF_SIZE: usize = 1 << 20;

/// A data connection, plain or TLS (server or client side).
#[derive(Debug)]
pub enum DataStream {
    /// PROT C.
    Plain(TcpStream),
    /// PROT P, this side the TLS server.
    ServerTls(Box<StreamOwned<ServerConnection, TcpStream>>),
    /// PROT P, this side the TLS client.
    ClientTls(Box<StreamOwned<ClientConnection, TcpStream>>),
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
        let mut conn = ServerConnection::new(config).map_err(|e| e.to_string())?;
        conn.set_buffer_limit(Some(2 * BUF_SIZE));
        tls::handshake(&mut conn, &mut sock).map_err(|e| format!("TLS handshake failed: {e}"))?;
        if require_reuse && conn.handshake_kind() != Some(rustls::HandshakeKind::Resumed) {
            conn.send_close_notify();
            let _ = conn.write_tls(&mut sock);
            return Err(
                "SSL connection failed: session reuse required (the data connection must resume the control connection's TLS session)"
                    .into(),
            );
        }
        Ok(DataStream::ServerTls(Box::new(StreamOwned::new(
            conn, sock,
        ))))
    }

    /// Runs the client side of the TLS handshake; `config` must be the one the control
    /// connection used, so the session resumes.
    pub fn connect_tls(
        mut sock: TcpStream,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    ) -> io::Result<DataStream> {
        let mut conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
        conn.set_buffer_limit(Some(2 * BUF_SIZE));
        tls::handshake(&mut conn, &mut sock)?;
        Ok(DataStream::ClientTls(Box::new(StreamOwned::new(
            conn, sock,
        ))))
    }

    /// How the TLS handshake went, if TLS.
    pub fn handshake_kind(&self) -> Option<rustls::HandshakeKind> {
        match self {
            DataStream::Plain(_) => None,
            DataStream::ServerTls(s) => s.conn.handshake_kind(),
            DataStream::ClientTls(s) => s.conn.handshake_kind(),
        }
    }

    /// Ends the connection cleanly: close_notify (TLS), FIN, then reads until the peer
    /// closes or `linger` passes. Reading to the end keeps the peer's last bytes from
    /// being lost to a reset and lets a TLS client store the tickets the server sent.
    pub fn finish(self, linger: Duration) -> io::Result<()> {
        let mut sink = [0u8; 16 * 1024];
        match self {
            DataStream::Plain(mut s) => {
                s.flush()?;
                s.shutdown(Shutdown::Write)?;
                drain(&mut s, &mut sink, linger)
            }
            DataStream::ServerTls(mut s) => {
                s.conn.send_close_notify();
                s.flush()?;
                let _ = s.sock.shutdown(Shutdown::Write);
                drain(&mut *s, &mut sink, linger)
            }
            DataStream::ClientTls(mut s) => {
                s.conn.send_close_notify();
                s.flush()?;
                let _ = s.sock.shutdown(Shutdown::Write);
                drain(&mut *s, &mut sink, linger)
            }
        }
    }

    /// The TCP connection underneath; a clone of it can shut the stream down from
    /// another thread (an aborted transfer).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            DataStream::Plain(s) => s,
            DataStream::ServerTls(s) => &s.sock,
            DataStream::ClientTls(s) => &s.sock,
        }
    }

    /// Sets the read and write timeouts of the underlying socket.
    pub fn set_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.tcp().set_read_timeout(t)?;
        self.tcp().set_write_timeout(t)
    }
}

fn drain(r: &mut impl Read, buf: &mut [u8], linger: Duration) -> io::Result<()> {
    let end = Instant::now() + linger;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        match r.read(buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            // The peer closed without close_notify or reset: the transfer itself is done.
            Err(_) => return Ok(()),
        }
    }
}

impl Read for DataStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            DataStream::Plain(s) => s.read(buf),
            DataStream::ServerTls(s) => tls_read(&mut s.conn, &mut s.sock, buf),
            DataStream::ClientTls(s) => tls_read(&mut s.conn, &mut s.sock, buf),
        }
    }
}

/// Reads plaintext, pulling TLS records from the socket only when none is buffered, so
/// every byte that arrived before a socket error (a reset) is handed over before the
/// error. `Ok(0)` means close_notify; a close without it is `UnexpectedEof`.
fn tls_read<D>(
    conn: &mut rustls::ConnectionCommon<D>,
    sock: &mut TcpStream,
    buf: &mut [u8],
) -> io::Result<usize> {
    loop {
        match conn.reader().read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        while conn.wants_write() {
            conn.write_tls(sock)?;
        }
        conn.read_tls(sock)?;
        if let Err(e) = conn.process_new_packets() {
            // Send the alert rustls queued, then fail.
            let _ = conn.write_tls(sock);
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
    }
}

impl Write for DataStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            DataStream::Plain(s) => s.write(buf),
            DataStream::ServerTls(s) => s.write(buf),
            DataStream::ClientTls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            DataStream::Plain(s) => s.flush(),
            DataStream::ServerTls(s) => s.flush(),
            DataStream::ClientTls(s) => s.flush(),
        }
    }
}

/// Copies `from` to the data connection; with `ascii` every bare LF becomes CRLF.
/// Returns the bytes read from `from`.
pub fn send(from: &mut impl Read, to: &mut impl Write, ascii: bool) -> io::Result<u64> {
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

/// Copies the data connection into `to` until the peer ends it; with `ascii` CRLF
/// becomes LF. A TLS peer that closes without close_notify gets `UnexpectedEof`
/// (a possible truncation): the caller decides. Returns the bytes written.
pub fn receive(from: &mut impl Read, to: &mut impl Write, ascii: bool) -> io::Result<u64> {
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
        send(&mut &text[..], &mut wire, true).unwrap();
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
        receive(&mut OneByte(&wire), &mut back, true).unwrap();
        assert_eq!(back, b"a\nb\nc\n\nend\r");
        let mut binary = Vec::new();
        receive(&mut OneByte(&wire), &mut binary, false).unwrap();
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
