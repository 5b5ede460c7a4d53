//! One rustls connection on 127.0.0.1: the client sends `len` bytes, then the server
//! sends `len` bytes back, each end hashing what it sent and what it received. Errors
//! come back as values, not panics, so fault tests can show that a transfer broken
//! midway is reported as broken by both ends and never as complete.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, StreamOwned};

/// Bytes are written and hashed in pieces of this size.
const PIECE: usize = 64 << 10;

/// No read or write waits longer than this: a broken peer fails the test, never hangs it.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// What one direction carried: bytes and SHA-256, as sent and as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    /// SHA-256 of the bytes the sender wrote.
    pub sent: Vec<u8>,
    /// SHA-256 of the bytes the receiver read.
    pub received: Vec<u8>,
}

/// A completed transfer.
#[derive(Debug, Clone)]
pub struct Transfer {
    /// The cipher suite rustls negotiated.
    pub suite: String,
    /// Client to server.
    pub upload: Leg,
    /// Server to client.
    pub download: Leg,
}

/// A deterministic stream of bytes, one piece at a time.
pub fn pattern(piece: usize, buf: &mut [u8]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = ((piece * 31 + i * 7) ^ (i >> 8)) as u8;
    }
}

/// Writes `len` bytes (a multiple of 64 KiB is exact; the rest is rounded down to
/// whole pieces) and returns their SHA-256. `midway` runs once, after half of them.
fn send(
    stream: &mut impl Write,
    len: usize,
    mut midway: Option<Box<dyn FnOnce() + Send>>,
) -> Result<Vec<u8>, String> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; PIECE];
    let pieces = len / PIECE;
    for piece in 0..pieces {
        if let Some(f) = midway.take_if(|_| piece == pieces / 2) {
            f();
        }
        pattern(piece, &mut buf);
        ctx.update(&buf);
        stream
            .write_all(&buf)
            .map_err(|e| format!("write failed after {} bytes: {e}", piece * PIECE))?;
    }
    stream.flush().map_err(|e| format!("flush failed: {e}"))?;
    Ok(ctx.finish().as_ref().to_vec())
}

/// Reads exactly `len` bytes (rounded down as in [`send`]) and returns their SHA-256;
/// an early end of stream is an error.
fn receive(stream: &mut impl Read, len: usize) -> Result<Vec<u8>, String> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; PIECE];
    let total = len / PIECE * PIECE;
    let mut left = total;
    while left > 0 {
        let n = stream
            .read(&mut buf[..left.min(PIECE)])
            .map_err(|e| format!("read failed after {} of {total} bytes: {e}", total - left))?;
        if n == 0 {
            return Err(format!(
                "the peer closed after {} of {total} bytes",
                total - left
            ));
        }
        ctx.update(&buf[..n]);
        left -= n;
    }
    Ok(ctx.finish().as_ref().to_vec())
}

/// Runs one connection: `len` bytes up, then `len` bytes down. `midway` runs in the
/// client after half the upload. Any failure on either end is an error naming the end.
pub fn run(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    len: usize,
    midway: Option<Box<dyn FnOnce() + Send>>,
) -> Result<Transfer, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = thread::spawn(move || -> Result<(Vec<u8>, Vec<u8>), String> {
        let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
        timeouts(&tcp)?;
        let conn = ServerConnection::new(server).map_err(|e| e.to_string())?;
        let mut tls = StreamOwned::new(conn, tcp);
        let got = receive(&mut tls, len)?;
        let sent = send(&mut tls, len, None)?;
        tls.conn.send_close_notify();
        tls.flush().map_err(|e| format!("close_notify: {e}"))?;
        Ok((got, sent))
    });
    let client_side = (|| -> Result<(String, Vec<u8>, Vec<u8>), String> {
        let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        timeouts(&tcp)?;
        let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
        let conn = ClientConnection::new(client, name).map_err(|e| e.to_string())?;
        let mut tls = StreamOwned::new(conn, tcp);
        let sent = send(&mut tls, len, midway)?;
        let got = receive(&mut tls, len)?;
        let suite = tls
            .conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default();
        Ok((suite, sent, got))
    })();
    let server_side = server
        .join()
        .unwrap_or_else(|_| Err("the server thread panicked".to_owned()));
    match (client_side, server_side) {
        (Ok((suite, up_sent, down_got)), Ok((up_got, down_sent))) => Ok(Transfer {
            suite,
            upload: Leg {
                sent: up_sent,
                received: up_got,
            },
            download: Leg {
                sent: down_sent,
                received: down_got,
            },
        }),
        (client, server) => Err(format!(
            "client: {}; server: {}",
            client.err().unwrap_or_else(|| "ok".to_owned()),
            server.err().unwrap_or_else(|| "ok".to_owned())
        )),
    }
}

fn timeouts(tcp: &TcpStream) -> Result<(), String> {
    tcp.set_read_timeout(Some(IO_TIMEOUT))
        .and_then(|()| tcp.set_write_timeout(Some(IO_TIMEOUT)))
        .map_err(|e| e.to_string())
}
