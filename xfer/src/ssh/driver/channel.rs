//! The two halves of a channel as byte streams: [`ChannelReader`] (`Read`) and
//! [`ChannelWriter`] (`Write`), for the SFTP layer and any other subsystem.

use std::io;
use std::sync::Arc;

use super::session::{Conn, broken};
use crate::ssh::connection;
use crate::ssh::wire::msg;

/// The receiving half of a channel: the peer's data as a byte stream. `read` returns 0
/// at the peer's EOF or CLOSE. Reading gives window back to the peer.
pub struct ChannelReader {
    pub(super) conn: Arc<Conn>,
    pub(super) id: u32,
}

impl std::fmt::Debug for ChannelReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelReader")
            .field("id", &self.id)
            .finish()
    }
}

impl ChannelReader {
    /// On a server, the user the peer logged in as (a subsystem confines itself by it);
    /// `None` on a client.
    pub fn user(&self) -> Option<&str> {
        self.conn.user.as_deref()
    }

    /// Opens the peer's window by `adjust` bytes, when consuming made that due (called
    /// with the channel table's lock released).
    fn grant(&self, remote_id: u32, adjust: Option<u32>) {
        if let Some(add) = adjust {
            self.conn
                .link
                .queue_conn(connection::window_adjust(remote_id, add));
        }
    }

    /// Waits for the peer's `exit-status` (or the channel's end) and returns it.
    pub fn exit_status(&self) -> Option<u32> {
        let mut g = self.conn.chans();
        loop {
            match g.get(self.id) {
                Ok(ch) if ch.exit_status.is_some() => return ch.exit_status,
                Ok(ch) if !ch.close_in && self.conn.link.dead().is_none() => {}
                _ => return None,
            }
            g = self.conn.wait(g);
        }
    }
}

/// A message length outside what [`ChannelReader::read_message`] was asked to accept
/// (the error's inner value, kind [`io::ErrorKind::InvalidData`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadMessageLength(pub u32);

impl std::fmt::Display for BadMessageLength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "message length {} out of bounds", self.0)
    }
}

impl std::error::Error for BadMessageLength {}

impl ChannelReader {
    /// Reads the next message of a stream where each message begins with its length
    /// (a big-endian `u32`, as SFTP frames its packets), putting its body in `body`.
    /// Returns `false` at the peer's EOF or CLOSE between messages.
    ///
    /// From the first call on, the channel cuts what it receives into messages as it
    /// arrives: each byte is copied once, from where it was decrypted into its
    /// message's buffer, and this reader wakes once per message. The buffer `body` held
    /// is kept for a later message. Mixing this with [`Read`](io::Read) on one channel
    /// loses data.
    ///
    /// A length of 0 or above `max` fails with [`BadMessageLength`]; a stream that ends
    /// inside a message fails with [`io::ErrorKind::UnexpectedEof`].
    pub fn read_message(&mut self, body: &mut Vec<u8>, max: u32) -> io::Result<bool> {
        self.message(body, max, true)
            .map(|got| got.expect("a waiting read returns a message or the end"))
    }

    /// Like [`read_message`](Self::read_message), but returns `Ok(None)` at once when no
    /// whole message has arrived.
    pub fn try_read_message(&mut self, body: &mut Vec<u8>, max: u32) -> io::Result<Option<bool>> {
        self.message(body, max, false)
    }

    fn message(&mut self, body: &mut Vec<u8>, max: u32, wait: bool) -> io::Result<Option<bool>> {
        let mut g = self.conn.chans();
        loop {
            let Ok(ch) = g.get(self.id) else {
                return Ok(Some(false));
            };
            let framer = ch.frame_messages(max);
            if let Some(next) = framer.pop() {
                let old = std::mem::replace(body, next);
                framer.recycle(old);
                let adjust = ch.consume(body.len() + 4);
                let rid = ch.remote_id;
                drop(g);
                self.grant(rid, adjust);
                return Ok(Some(true));
            }
            if let Some(len) = framer.bad_length() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    BadMessageLength(len),
                ));
            }
            let partial = framer.partial();
            if ch.eof_in || ch.close_in {
                if partial {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the channel ended inside a message",
                    ));
                }
                return Ok(Some(false));
            }
            if let Some(why) = self.conn.link.dead() {
                return Err(broken(why));
            }
            if !wait {
                return Ok(None);
            }
            g = self.conn.wait(g);
        }
    }
}

impl io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut g = self.conn.chans();
        loop {
            let Ok(ch) = g.get(self.id) else {
                return Ok(0);
            };
            if !ch.inbox.is_empty() {
                let (n, adjust) = ch.read_into(buf);
                let rid = ch.remote_id;
                drop(g);
                self.grant(rid, adjust);
                return Ok(n);
            }
            if ch.eof_in || ch.close_in {
                return Ok(0);
            }
            if let Some(why) = self.conn.link.dead() {
                return Err(broken(why));
            }
            g = self.conn.wait(g);
        }
    }
}

/// The sending half of a channel: bytes written become CHANNEL_DATA, never more than the
/// peer's window allows. [`finish`](Self::finish) (or dropping it) sends EOF.
pub struct ChannelWriter {
    pub(super) conn: Arc<Conn>,
    pub(super) id: u32,
    pub(super) eof_sent: bool,
    /// Dropping sends EOF (a subsystem's writer leaves it to the end of the subsystem,
    /// after the exit status).
    pub(super) eof_on_drop: bool,
}

impl std::fmt::Debug for ChannelWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelWriter")
            .field("id", &self.id)
            .finish()
    }
}

impl ChannelWriter {
    /// Sends EOF: the peer reads end-of-stream after the data written so far.
    pub fn finish(&mut self) -> io::Result<()> {
        if !self.eof_sent {
            self.eof_sent = true;
            self.conn.send_eof(self.id).map_err(broken)?;
        }
        Ok(())
    }

    /// Sends CLOSE: the channel is over in both directions.
    pub fn close(mut self) {
        let _ = self.finish();
        self.conn.close(self.id);
    }
}

impl ChannelWriter {
    /// Waits until up to `want` bytes may go out in one packet; returns how many and
    /// the peer's channel number, with the bytes counted as sent.
    fn reserve(&mut self, want: usize) -> io::Result<(usize, u32)> {
        if self.eof_sent {
            return Err(broken("write after EOF"));
        }
        let mut g = self.conn.chans();
        loop {
            if let Some(why) = self.conn.link.dead() {
                return Err(broken(why));
            }
            let ch = g.get(self.id).map_err(broken)?;
            if ch.close_in || ch.close_out {
                return Err(broken("channel closed by the peer"));
            }
            let n = ch.sendable(want);
            if n > 0 {
                ch.sent(n);
                return Ok((n, ch.remote_id));
            }
            g = self.conn.wait(g);
        }
    }

    /// Sends `len` bytes that `fill` writes straight into the packets carrying them
    /// (called with each packet's share: its offset in the `len` bytes and where it
    /// goes), in as few packets as the peer's window and packet size allow. So data
    /// read from a file is copied once, by the read, into the packet where it is
    /// encrypted.
    ///
    /// If `fill` fails, its error is returned and the bytes before that packet have
    /// been sent: the stream is cut off mid-message, and the caller must give it up.
    pub(crate) fn write_with(
        &mut self,
        len: usize,
        fill: &mut dyn FnMut(usize, &mut [u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut done = 0;
        while done < len {
            let (n, rid) = self.reserve(len - done)?;
            let header = data_header(rid, n);
            self.conn
                .link
                .send_with(9 + n, &mut |slot| {
                    slot[..9].copy_from_slice(&header);
                    fill(done, &mut slot[9..])
                })
                .map_err(broken)??;
            done += n;
        }
        Ok(())
    }
}

/// CHANNEL_DATA's header for `n` bytes on the peer's channel `rid`.
fn data_header(rid: u32, n: usize) -> [u8; 9] {
    let mut header = [0u8; 9];
    header[0] = msg::CHANNEL_DATA;
    header[1..5].copy_from_slice(&rid.to_be_bytes());
    header[5..9].copy_from_slice(&(n as u32).to_be_bytes());
    header
}

impl io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let (n, rid) = self.reserve(buf.len())?;
        // The header and the data go straight into the packet being sealed: the data
        // is copied once, from the caller's buffer (an SFTP DATA reply read from the
        // file) into the packet, and encrypted there.
        self.conn
            .link
            .send_parts(&[&data_header(rid, n), &buf[..n]])
            .map_err(broken)?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        if self.eof_on_drop {
            let _ = self.finish();
        }
        self.conn.release(self.id);
    }
}

impl Drop for ChannelReader {
    fn drop(&mut self) {
        self.conn.release(self.id);
    }
}
