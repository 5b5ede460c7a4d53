//! The connection layer's driver: the reading thread's dispatch of connection messages,
//! the subsystem registry, and what the channel halves ([`super::channel`]) share.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::channel::{ChannelReader, ChannelWriter};
use super::link::Link;
use super::transport::Transport;
use crate::ssh::connection::{self, Channel, Channels, LOCAL_MAX_PACKET, LOCAL_WINDOW};
use crate::ssh::error::{Result, SshError};
use crate::ssh::wire::{Reader, Writer, msg};

/// A server-side subsystem: runs on its own thread with the channel's two halves and
/// returns its exit status when it is done; the channel then gets `exit-status`, EOF and
/// CLOSE, in that order, as OpenSSH sends them.
pub type SubsystemHandler = Arc<dyn Fn(ChannelReader, ChannelWriter) -> u32 + Send + Sync>;

/// What a subsystem handler returns, as the channel's `exit-status` (RFC 4254 §6.10):
/// `()` and `Ok` are 0, `Err` is 1, a `u32` is itself.
pub trait ExitStatus {
    /// The status to send.
    fn exit_status(self) -> u32;
}

impl ExitStatus for () {
    fn exit_status(self) -> u32 {
        0
    }
}

impl ExitStatus for u32 {
    fn exit_status(self) -> u32 {
        self
    }
}

impl<E> ExitStatus for std::result::Result<(), E> {
    fn exit_status(self) -> u32 {
        match self {
            Ok(()) => 0,
            Err(_) => 1,
        }
    }
}

/// The exit status of a subsystem whose handler panicked.
const PANICKED: u32 = 2;

/// Subsystem name → handler (`"sftp"` → the SFTP server).
#[derive(Clone, Default)]
pub struct SubsystemRegistry {
    map: HashMap<String, SubsystemHandler>,
}

impl std::fmt::Debug for SubsystemRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.map.keys()).finish()
    }
}

impl SubsystemRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for subsystem `name`, replacing any earlier one. What it
    /// returns becomes the channel's exit status ([`ExitStatus`]).
    pub fn register<S: ExitStatus>(
        &mut self,
        name: &str,
        handler: impl Fn(ChannelReader, ChannelWriter) -> S + Send + Sync + 'static,
    ) -> &mut Self {
        self.map.insert(
            name.to_owned(),
            Arc::new(move |r, w| handler(r, w).exit_status()),
        );
        self
    }

    fn get(&self, name: &str) -> Option<SubsystemHandler> {
        self.map.get(name).cloned()
    }
}

/// State shared by the reading thread and every channel half.
pub(crate) struct Conn {
    pub(crate) link: Arc<Link>,
    /// The user the peer logged in as (server side).
    pub(super) user: Option<String>,
    chans: Mutex<Channels>,
    cv: Condvar,
    /// How long opening a channel, or a channel request, may wait for the peer.
    reply_timeout: Duration,
}

pub(super) fn broken(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, e.to_string())
}

impl Conn {
    pub(crate) fn new(link: Arc<Link>, reply_timeout: Duration, user: Option<String>) -> Arc<Self> {
        Arc::new(Conn {
            link,
            user,
            chans: Mutex::new(Channels::default()),
            cv: Condvar::new(),
            reply_timeout,
        })
    }

    pub(super) fn chans(&self) -> MutexGuard<'_, Channels> {
        self.chans.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn wait<'a>(&self, g: MutexGuard<'a, Channels>) -> MutexGuard<'a, Channels> {
        self.cv.wait(g).unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a reply to `what` until `deadline`; a peer that never answers is an
    /// error rather than a hang.
    fn wait_reply<'a>(
        &self,
        g: MutexGuard<'a, Channels>,
        deadline: Instant,
        what: &str,
    ) -> Result<MutexGuard<'a, Channels>> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(SshError::Channel(format!(
                "no answer to {what} within {:?}",
                self.reply_timeout
            )));
        }
        let (g, _) = self
            .cv
            .wait_timeout(g, left)
            .unwrap_or_else(|e| e.into_inner());
        Ok(g)
    }

    /// Wakes every waiter after the connection died.
    pub(crate) fn wake_all(&self) {
        let _g = self.chans();
        self.cv.notify_all();
    }

    /// Opens a session channel, asks for `kind` (`subsystem`, `exec`) with `arg`, and
    /// returns the channel's two halves.
    pub(crate) fn open_request(
        self: &Arc<Self>,
        kind: &str,
        arg: &str,
    ) -> Result<(ChannelReader, ChannelWriter)> {
        let id = self.open_session()?;
        let halves = self.request(id, kind, arg).map(|()| self.halves(id));
        if halves.is_err() {
            self.close(id);
        }
        // The halves hold the channel now (or nobody does).
        self.release(id);
        halves
    }

    /// Opens a session channel and waits for the peer's answer. The channel is held
    /// once for the caller, who must [`release`](Self::release) it: a subsystem that
    /// ends at once can be closed both ways before the caller has seen the answer to
    /// its request, and must not be forgotten before then.
    pub(crate) fn open_session(self: &Arc<Self>) -> Result<u32> {
        let mut ch = Channel::opening();
        ch.held = 1;
        let id = self.chans().insert(ch)?;
        if let Err(e) = self.link.send(&connection::open_session(id)) {
            self.release(id);
            return Err(e);
        }
        let deadline = Instant::now() + self.reply_timeout;
        let mut g = self.chans();
        loop {
            if let Some(why) = self.link.dead() {
                drop(g);
                self.release(id);
                return Err(SshError::Closed(why));
            }
            match g.get(id)?.opened.clone() {
                Some(Ok(())) => return Ok(id),
                Some(Err(e)) => {
                    drop(g);
                    self.release(id);
                    return Err(SshError::Channel(e));
                }
                None => match self.wait_reply(g, deadline, "CHANNEL_OPEN session") {
                    Ok(next) => g = next,
                    Err(e) => {
                        // A late confirmation finds the channel closed and is answered
                        // with CLOSE.
                        self.close_abandoned(id);
                        self.release(id);
                        return Err(e);
                    }
                },
            }
        }
    }

    /// Sends a channel request with want-reply and waits for SUCCESS or FAILURE.
    pub(crate) fn request(&self, id: u32, kind: &str, arg: &str) -> Result<()> {
        let rid = self.chans().get(id)?.remote_id;
        self.link.send(
            &Writer::msg(msg::CHANNEL_REQUEST)
                .u32(rid)
                .str(kind)
                .bool(true)
                .str(arg)
                .finish(),
        )?;
        let deadline = Instant::now() + self.reply_timeout;
        let mut g = self.chans();
        loop {
            if let Some(why) = self.link.dead() {
                return Err(SshError::Closed(why));
            }
            match g.get(id)?.replies.pop_front() {
                Some(true) => return Ok(()),
                Some(false) => {
                    return Err(SshError::Channel(format!(
                        "the peer refused {kind} {arg:?}"
                    )));
                }
                None => {
                    g = self.wait_reply(g, deadline, &format!("channel request {kind}"))?;
                }
            }
        }
    }

    /// Marks a channel whose open timed out as abandoned: a confirmation arriving later
    /// is answered with CLOSE, a failure just forgets it.
    fn close_abandoned(&self, id: u32) {
        let mut g = self.chans();
        if let Ok(ch) = g.get(id) {
            ch.abandoned = true;
        }
    }

    /// The two halves of channel `id`.
    pub(crate) fn halves(self: &Arc<Self>, id: u32) -> (ChannelReader, ChannelWriter) {
        if let Ok(ch) = self.chans().get(id) {
            ch.held += 2;
        }
        (
            ChannelReader {
                conn: self.clone(),
                id,
            },
            ChannelWriter {
                conn: self.clone(),
                id,
                eof_sent: false,
                eof_on_drop: true,
            },
        )
    }

    /// One half of channel `id` is gone; forget the channel once both are and it is
    /// closed both ways.
    pub(super) fn release(&self, id: u32) {
        let mut g = self.chans();
        if let Ok(ch) = g.get(id) {
            ch.held = ch.held.saturating_sub(1);
        }
        g.remove_if_closed(id);
    }

    /// Sends EOF (once) on channel `id`.
    pub(super) fn send_eof(&self, id: u32) -> Result<()> {
        let rid = {
            let mut g = self.chans();
            let ch = g.get(id)?;
            if ch.eof_out || ch.close_out {
                return Ok(());
            }
            ch.eof_out = true;
            ch.remote_id
        };
        self.link.send(&connection::simple(msg::CHANNEL_EOF, rid))
    }

    /// Sends CLOSE (once) on channel `id`.
    pub(crate) fn close(&self, id: u32) {
        let rid = {
            let mut g = self.chans();
            let Ok(ch) = g.get(id) else { return };
            if ch.close_out {
                return;
            }
            ch.close_out = true;
            let rid = ch.remote_id;
            g.remove_if_closed(id);
            rid
        };
        let _ = self.link.send(&connection::simple(msg::CHANNEL_CLOSE, rid));
    }

    /// Runs the reading thread until the connection ends.
    pub(crate) fn run(self: &Arc<Self>, mut t: Transport, subsystems: Option<&SubsystemRegistry>) {
        while let Ok(r) = t.next_range() {
            let seq = t.last_seq;
            if let Err(e) = self.dispatch(t.payload(r), seq, subsystems) {
                t.link.disconnect(e.disconnect_reason(), &e.to_string());
                t.linger();
                break;
            }
        }
        self.wake_all();
    }

    fn dispatch(
        self: &Arc<Self>,
        p: &[u8],
        seq: u32,
        subsystems: Option<&SubsystemRegistry>,
    ) -> Result<()> {
        let mut r = Reader::new(&p[1..]);
        match p[0] {
            msg::GLOBAL_REQUEST => {
                let _name = r.str()?;
                if r.bool()? {
                    self.link
                        .queue_conn(Writer::msg(msg::REQUEST_FAILURE).finish());
                }
            }
            msg::REQUEST_SUCCESS | msg::REQUEST_FAILURE => {}
            // RFC 4252 §5.1: requests after success are ignored.
            msg::USERAUTH_REQUEST | msg::SERVICE_REQUEST => {}
            msg::CHANNEL_OPEN => {
                let kind = r.str()?;
                let sender = r.u32()?;
                let window = r.u32()?;
                let max_packet = r.u32()?;
                let refuse = |code: u32, why: &str| {
                    Writer::msg(msg::CHANNEL_OPEN_FAILURE)
                        .u32(sender)
                        .u32(code)
                        .str(why)
                        .str("")
                        .finish()
                };
                if subsystems.is_none() || kind != "session" {
                    self.link.queue_conn(refuse(3, "unsupported channel type"));
                    return Ok(());
                }
                let id = match self
                    .chans()
                    .insert(Channel::accepted(sender, window, max_packet))
                {
                    Ok(id) => id,
                    Err(_) => {
                        self.link.queue_conn(refuse(4, "too many channels"));
                        return Ok(());
                    }
                };
                self.link.queue_conn(
                    Writer::msg(msg::CHANNEL_OPEN_CONFIRMATION)
                        .u32(sender)
                        .u32(id)
                        .u32(LOCAL_WINDOW)
                        .u32(LOCAL_MAX_PACKET)
                        .finish(),
                );
            }
            msg::CHANNEL_OPEN_CONFIRMATION => {
                let id = r.u32()?;
                let mut g = self.chans();
                let ch = g.get(id)?;
                if ch.opened.is_some() {
                    return Err(SshError::protocol("channel confirmed twice"));
                }
                ch.remote_id = r.u32()?;
                ch.remote_window = u64::from(r.u32()?);
                ch.remote_max_packet = r.u32()?;
                ch.opened = Some(Ok(()));
                if ch.abandoned {
                    ch.close_out = true;
                    let rid = ch.remote_id;
                    drop(g);
                    self.link
                        .queue_conn(connection::simple(msg::CHANNEL_CLOSE, rid));
                    return Ok(());
                }
                self.cv.notify_all();
            }
            msg::CHANNEL_OPEN_FAILURE => {
                let id = r.u32()?;
                let code = r.u32()?;
                let why = r.str().unwrap_or("");
                let mut g = self.chans();
                let ch = g.get(id)?;
                ch.opened = Some(Err(format!("open refused (code {code}): {why}")));
                ch.close_in = true;
                ch.close_out = true;
                self.cv.notify_all();
            }
            msg::CHANNEL_WINDOW_ADJUST => {
                let id = r.u32()?;
                let add = r.u32()?;
                self.chans().get(id)?.adjust(add)?;
                self.cv.notify_all();
            }
            msg::CHANNEL_DATA => {
                let id = r.u32()?;
                let data = r.string()?;
                r.end()?;
                // The one copy of received data: from the receive buffer, where it was
                // decrypted, into the channel's inbox or the message it belongs to. A
                // reader of messages is woken only when one is whole.
                if self.chans().get(id)?.receive(data)? {
                    self.cv.notify_all();
                }
            }
            msg::CHANNEL_EXTENDED_DATA => {
                // stderr: counted against the window, then dropped and given back.
                let id = r.u32()?;
                let _code = r.u32()?;
                let data = r.string()?;
                let mut g = self.chans();
                let ch = g.get(id)?;
                let len = data.len() as u32;
                if len > ch.local_window {
                    return Err(SshError::protocol("extended data past our window"));
                }
                let rid = ch.remote_id;
                drop(g);
                if len > 0 {
                    self.link.queue_conn(connection::window_adjust(rid, len));
                }
            }
            msg::CHANNEL_EOF => {
                let id = r.u32()?;
                self.chans().get(id)?.eof_in = true;
                self.cv.notify_all();
            }
            msg::CHANNEL_CLOSE => {
                let id = r.u32()?;
                let mut g = self.chans();
                let ch = g.get(id)?;
                ch.close_in = true;
                let reply = (!ch.close_out).then_some(ch.remote_id);
                ch.close_out = true;
                g.remove_if_closed(id);
                drop(g);
                if let Some(rid) = reply {
                    self.link
                        .queue_conn(connection::simple(msg::CHANNEL_CLOSE, rid));
                }
                self.cv.notify_all();
            }
            msg::CHANNEL_REQUEST => {
                let id = r.u32()?;
                let kind = r.str()?;
                let want_reply = r.bool()?;
                let rid = self.chans().get(id)?.remote_id;
                let ok = match (kind, subsystems) {
                    ("exit-status", _) => {
                        let status = r.u32()?;
                        self.chans().get(id)?.exit_status = Some(status);
                        self.cv.notify_all();
                        true
                    }
                    ("subsystem", Some(reg)) => {
                        let name = r.str()?;
                        match reg.get(name) {
                            Some(handler) => {
                                self.start_subsystem(id, rid, want_reply, handler);
                                return Ok(());
                            }
                            None => false,
                        }
                    }
                    _ => false,
                };
                if want_reply {
                    let m = if ok {
                        msg::CHANNEL_SUCCESS
                    } else {
                        msg::CHANNEL_FAILURE
                    };
                    self.link.queue_conn(connection::simple(m, rid));
                }
            }
            m @ (msg::CHANNEL_SUCCESS | msg::CHANNEL_FAILURE) => {
                let id = r.u32()?;
                self.chans()
                    .get(id)?
                    .replies
                    .push_back(m == msg::CHANNEL_SUCCESS);
                self.cv.notify_all();
            }
            _ => {
                self.link
                    .queue_conn(Writer::msg(msg::UNIMPLEMENTED).u32(seq).finish());
            }
        }
        Ok(())
    }

    fn start_subsystem(self: &Arc<Self>, id: u32, rid: u32, want_reply: bool, h: SubsystemHandler) {
        if want_reply {
            self.link
                .queue_conn(connection::simple(msg::CHANNEL_SUCCESS, rid));
        }
        let conn = self.clone();
        let spawned = crate::cpu::spawn(
            std::thread::Builder::new().name("ssh-subsystem".into()),
            move || {
                // Closes the channel when the handler returns — or panics.
                let mut end = EndSubsystem {
                    conn: conn.clone(),
                    id,
                    rid,
                    status: PANICKED,
                };
                let (r, mut w) = conn.halves(id);
                // EOF waits for the exit status, which comes first.
                w.eof_on_drop = false;
                end.status = h(r, w);
            },
        );
        if spawned.is_err() {
            // No thread to run the handler: the channel ends at once.
            self.close_abandoned(id);
        }
    }
}

/// Ends a subsystem's channel: exit-status, EOF, CLOSE (unless the peer closed it first).
struct EndSubsystem {
    conn: Arc<Conn>,
    id: u32,
    rid: u32,
    /// The handler's status, or [`PANICKED`] until it returns.
    status: u32,
}

impl Drop for EndSubsystem {
    fn drop(&mut self) {
        let closed = self
            .conn
            .chans()
            .get(self.id)
            .map(|c| c.close_out)
            .unwrap_or(true);
        if closed {
            return;
        }
        // Sent even after a panic: the client learns the session failed rather than
        // seeing a clean end. (An EOF the handler sent itself is already out.)
        let exit = Writer::msg(msg::CHANNEL_REQUEST)
            .u32(self.rid)
            .str("exit-status")
            .bool(false)
            .u32(self.status)
            .finish();
        let _ = self.conn.link.send(&exit);
        let _ = self.conn.send_eof(self.id);
        self.conn.close(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send<T: Send>() {}
    fn sync<T: Sync>() {}

    /// A connection layer whose link writes plaintext packets to a socket the test
    /// reads: no key exchange, so the dispatcher is exercised on its own.
    fn plain_conn(timeout: Duration) -> (Arc<Conn>, std::net::TcpStream) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ours = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (peer, _) = l.accept().unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let engine = wirecrypt::Engine::builder().build().unwrap();
        let prefs = crate::ssh::transport::negotiate::Preferences::new(vec!["ssh-ed25519".into()]);
        let link = Link::new(
            &ours,
            wirecrypt::ssh::PacketSealer::new(&engine),
            prefs,
            true,
        )
        .unwrap();
        (Conn::new(link, timeout, None), peer)
    }

    /// The next packet's payload on `peer`.
    fn read_plain(peer: &mut std::net::TcpStream) -> Vec<u8> {
        use std::io::Read;
        let engine = wirecrypt::Engine::builder().build().unwrap();
        let mut reader =
            wirecrypt::ssh::PacketReader::new(wirecrypt::ssh::PacketOpener::new(&engine));
        let mut buf = [0u8; 4096];
        loop {
            let n = peer.read(&mut buf).unwrap();
            assert!(n > 0, "the link closed");
            let (taken, payload) = reader.feed(&buf[..n]).unwrap();
            assert_eq!(taken, n, "one packet expected");
            if let Some(p) = payload {
                return p.to_vec();
            }
        }
    }

    #[test]
    fn an_unknown_message_after_login_gets_unimplemented_with_its_sequence_number() {
        let (conn, mut peer) = plain_conn(Duration::from_secs(5));
        // 200 is no message number of the connection protocol (RFC 4250 §4.1.2).
        conn.dispatch(&[200, 1, 2, 3], 41, None).unwrap();
        let p = read_plain(&mut peer);
        assert_eq!(p[0], msg::UNIMPLEMENTED);
        assert_eq!(&p[1..], &41u32.to_be_bytes());
        // The connection carries on: a channel open is still answered.
        let open = connection::open_session(9);
        conn.dispatch(&open, 42, None).unwrap();
        let p = read_plain(&mut peer);
        assert_eq!(p[0], msg::CHANNEL_OPEN_FAILURE, "a client refuses opens");
    }

    #[test]
    fn opening_a_channel_the_peer_never_answers_times_out() {
        let (conn, mut peer) = plain_conn(Duration::from_millis(300));
        let start = Instant::now();
        let err = conn.open_session().unwrap_err();
        assert!(
            matches!(&err, SshError::Channel(m) if m.contains("no answer")),
            "{err:?}"
        );
        assert!(start.elapsed() >= Duration::from_millis(300));
        assert_eq!(read_plain(&mut peer)[0], msg::CHANNEL_OPEN);
        // A confirmation arriving after we gave up is answered with CLOSE.
        let confirm = Writer::msg(msg::CHANNEL_OPEN_CONFIRMATION)
            .u32(0)
            .u32(77)
            .u32(1 << 20)
            .u32(32768)
            .finish();
        conn.dispatch(&confirm, 1, None).unwrap();
        let p = read_plain(&mut peer);
        assert_eq!(p[0], msg::CHANNEL_CLOSE);
        assert_eq!(&p[1..5], &77u32.to_be_bytes());
    }

    #[test]
    fn a_subsystem_sends_exit_status_then_eof_then_close() {
        use std::io::{Read, Write};
        let (conn, mut peer) = plain_conn(Duration::from_secs(5));
        let id = conn
            .chans()
            .insert(Channel::accepted(7, 1 << 20, 32768))
            .unwrap();
        conn.start_subsystem(
            id,
            7,
            false,
            Arc::new(|_r, mut w| {
                w.write_all(b"out").unwrap();
                5
            }),
        );
        // The peer's side: every packet of the link, in order, whatever the reads return.
        let engine = wirecrypt::Engine::builder().build().unwrap();
        let mut rx =
            super::super::recv::RecvBuf::new(wirecrypt::ssh::PacketOpener::new(&engine), 4096, &[]);
        let mut got = Vec::new();
        loop {
            while let Some((_, r)) = rx.next_packet().unwrap() {
                got.push(rx.payload(r).to_vec());
            }
            if got.len() >= 4 {
                break;
            }
            let n = peer.read(rx.spare()).unwrap();
            assert!(n > 0, "the link closed after {} packets", got.len());
            rx.received(n);
        }
        let kinds: Vec<u8> = got.iter().map(|p| p[0]).collect();
        assert_eq!(
            kinds,
            [
                msg::CHANNEL_DATA,
                msg::CHANNEL_REQUEST,
                msg::CHANNEL_EOF,
                msg::CHANNEL_CLOSE
            ]
        );
        let mut r = Reader::new(&got[1][1..]);
        assert_eq!(r.u32().unwrap(), 7);
        assert_eq!(r.str().unwrap(), "exit-status");
        assert!(!r.bool().unwrap());
        assert_eq!(r.u32().unwrap(), 5);
        for p in &got[2..] {
            assert_eq!(&p[1..5], &7u32.to_be_bytes());
        }
    }

    #[test]
    fn halves_move_to_other_threads() {
        // The SFTP layer runs each half on a thread of its own.
        send::<ChannelReader>();
        send::<ChannelWriter>();
        send::<SubsystemRegistry>();
        sync::<crate::ssh::Client>();
        send::<crate::ssh::Client>();
    }
}
