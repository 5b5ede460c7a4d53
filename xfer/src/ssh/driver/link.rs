//! The sending half of a connection, shared by every thread that sends.
//!
//! Two locks: the outbox (a queue of messages plus the key-exchange flags; never held
//! across I/O) and the wire (the sealer and the socket; held while a packet is written).
//! The thread that reads the socket never blocks on the wire: it queues what it has to
//! send and flushes only when the wire is free; whoever holds the wire flushes the queue
//! before it lets go. So a writer stuck in `write` (the peer's window of TCP is full) can
//! never stop the reader that would let it drain.
//!
//! During a key exchange (from our KEXINIT to our NEWKEYS) only key-exchange messages go
//! out: application data waits, connection messages from the reader wait in `deferred`.

use std::collections::VecDeque;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use wirecrypt::ssh::{Mode, PacketSealer};

use crate::ssh::error::{Result, SshError};
use crate::ssh::transport::kex::DirectionKeys;
use crate::ssh::transport::negotiate::{KexInit, Preferences};
use crate::ssh::wire::{Writer, msg};

/// Writes a packet's payload in place.
pub(crate) type Fill<'a> = dyn FnMut(&mut [u8]) -> std::io::Result<()> + 'a;

/// One item of the outgoing queue.
pub(crate) enum Out {
    /// A message payload to seal and send.
    Packet(Vec<u8>),
    /// New outgoing keys, right after our NEWKEYS went out.
    NewKeys {
        mode: Mode,
        keys: DirectionKeys,
        reset_sequence: bool,
    },
    /// Our DISCONNECT: the last thing that goes out.
    Disconnect(Vec<u8>),
}

#[derive(Default)]
struct Outbox {
    queue: VecDeque<Out>,
    /// Our KEXINIT is out (or queued) and our NEWKEYS is not.
    kex_pending: bool,
    /// The payload of our KEXINIT for the exchange under way.
    our_kexinit: Option<Vec<u8>>,
    /// Connection messages held back by a key exchange.
    deferred: Vec<Vec<u8>>,
    /// Whether the first exchange is done (later KEXINITs carry no markers).
    first_done: bool,
    /// Set once the connection failed or closed.
    dead: Option<String>,
    /// `dead` holds a failed write's error and the reading thread has not ended yet: the
    /// peer's DISCONNECT may still be in the receive buffer, and its reason says more
    /// than our "broken pipe".
    provisional: bool,
    /// Our DISCONNECT is queued with this reason: no application data goes out any more,
    /// and whoever holds the wire writes the DISCONNECT when its current write ends.
    closing: Option<String>,
    /// Our DISCONNECT has been written.
    disconnect_sent: bool,
}

struct Wire {
    stream: TcpStream,
    sealer: PacketSealer,
    /// The packet being sealed; it only grows, so nothing is zero-filled per packet.
    buf: Vec<u8>,
    /// Where the sealer puts the payload in `buf` (reused).
    slots: Vec<std::ops::Range<usize>>,
}

/// Copies `parts` one after another into the front of `slot` (a packet's payload slot
/// of their total length).
fn copy_parts(mut slot: &mut [u8], parts: &[&[u8]]) {
    for p in parts {
        let (here, rest) = slot.split_at_mut(p.len());
        here.copy_from_slice(p);
        slot = rest;
    }
}

impl Wire {
    fn write_packet(&mut self, payload: &[u8]) -> Result<()> {
        let filled = self.write_with(payload.len(), &mut |slot| {
            slot.copy_from_slice(payload);
            Ok(())
        })?;
        filled.map_err(SshError::Io)
    }

    /// Seals one packet of a `len`-byte payload that `fill` writes in place (file data
    /// read straight into the packet), and writes it. A `fill` that fails sends nothing
    /// and its error comes back inside `Ok`: the connection is fine.
    fn write_with(&mut self, len: usize, fill: &mut Fill<'_>) -> Result<std::io::Result<()>> {
        let total = self.sealer.slots(&[len], &mut self.slots)?;
        if self.buf.len() < total {
            self.buf.resize(total, 0);
        }
        let slot = self.slots[0].clone();
        if let Err(e) = fill(&mut self.buf[slot]) {
            return Ok(Err(e));
        }
        let n = self
            .sealer
            .seal_batch(&mut self.buf[..total], &[len])
            .map_err(wirecrypt::Error::from)?;
        self.stream.write_all(&self.buf[..n])?;
        Ok(Ok(()))
    }

    fn process(&mut self, item: Out) -> Result<()> {
        match item {
            Out::Packet(p) | Out::Disconnect(p) => self.write_packet(&p)?,
            Out::NewKeys {
                mode,
                keys,
                reset_sequence,
            } => {
                self.sealer.install_keys(mode, &keys.material())?;
                if reset_sequence {
                    self.sealer.reset_sequence();
                }
            }
        }
        Ok(())
    }
}

/// The sending half (see the module docs).
pub(crate) struct Link {
    outbox: Mutex<Outbox>,
    cv: Condvar,
    wire: Mutex<Wire>,
    shutdown: TcpStream,
    prefs: Preferences,
    is_client: bool,
}

/// How long the reading side waits for the peer to close after our DISCONNECT.
pub(crate) const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge the connection's teardown.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn cookie() -> [u8; 16] {
    let mut c = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut c)
        .expect("system random generator");
    c
}

impl Link {
    pub(crate) fn new(
        stream: &TcpStream,
        sealer: PacketSealer,
        prefs: Preferences,
        is_client: bool,
    ) -> Result<Arc<Self>> {
        Ok(Arc::new(Link {
            outbox: Mutex::new(Outbox::default()),
            cv: Condvar::new(),
            wire: Mutex::new(Wire {
                stream: stream.try_clone()?,
                sealer,
                buf: Vec::new(),
                slots: Vec::with_capacity(1),
            }),
            shutdown: stream.try_clone()?,
            prefs,
            is_client,
        }))
    }

    fn dead_error(why: &str) -> SshError {
        SshError::Closed(why.to_owned())
    }

    /// Queues our KEXINIT unless one is already out; returns its payload.
    fn start_kex_locked(&self, ob: &mut Outbox) -> Vec<u8> {
        if let Some(p) = &ob.our_kexinit {
            return p.clone();
        }
        let p = KexInit::ours(&self.prefs, self.is_client, !ob.first_done).encode(cookie());
        ob.queue.push_back(Out::Packet(p.clone()));
        ob.kex_pending = true;
        ob.our_kexinit = Some(p.clone());
        p
    }

    /// Starts a key exchange (if none is under way) and returns our KEXINIT payload.
    pub(crate) fn kexinit(&self) -> Vec<u8> {
        let p = {
            let mut ob = lock(&self.outbox);
            self.start_kex_locked(&mut ob)
        };
        self.try_flush();
        p
    }

    /// Queues a key-exchange message (allowed while a key exchange is under way).
    pub(crate) fn queue_kex(&self, payload: Vec<u8>) {
        lock(&self.outbox).queue.push_back(Out::Packet(payload));
        self.try_flush();
    }

    /// Ends our half of a key exchange: NEWKEYS, the new keys, then `after` (EXT_INFO)
    /// and whatever connection messages waited.
    pub(crate) fn finish_kex(&self, newkeys: Out, after: Option<Vec<u8>>) {
        {
            let mut ob = lock(&self.outbox);
            ob.queue
                .push_back(Out::Packet(Writer::msg(msg::NEWKEYS).finish()));
            ob.queue.push_back(newkeys);
            if let Some(p) = after {
                ob.queue.push_back(Out::Packet(p));
            }
            let deferred = std::mem::take(&mut ob.deferred);
            ob.queue.extend(deferred.into_iter().map(Out::Packet));
            ob.kex_pending = false;
            ob.our_kexinit = None;
            ob.first_done = true;
        }
        self.cv.notify_all();
        self.try_flush();
    }

    /// Queues a connection message from the reading thread; never blocks on the wire.
    pub(crate) fn queue_conn(&self, payload: Vec<u8>) {
        {
            let mut ob = lock(&self.outbox);
            if ob.kex_pending {
                ob.deferred.push(payload);
            } else {
                ob.queue.push_back(Out::Packet(payload));
            }
        }
        self.try_flush();
    }

    /// Writes queued items if the wire is free; see the module docs for why this
    /// cannot lose an item.
    pub(crate) fn try_flush(&self) {
        loop {
            if lock(&self.outbox).queue.is_empty() {
                return;
            }
            let Ok(mut wire) = self.wire.try_lock() else {
                return;
            };
            if let Err(e) = self.drain(&mut wire) {
                drop(wire);
                self.write_failed(&e.to_string());
                return;
            }
        }
    }

    /// Writes one queued item; a written DISCONNECT wakes [`disconnect`](Self::disconnect).
    fn process(&self, wire: &mut Wire, item: Out) -> Result<()> {
        let is_disconnect = matches!(item, Out::Disconnect(_));
        wire.process(item)?;
        if is_disconnect {
            lock(&self.outbox).disconnect_sent = true;
            self.cv.notify_all();
        }
        Ok(())
    }

    fn drain(&self, wire: &mut Wire) -> Result<()> {
        loop {
            let item = {
                let mut ob = lock(&self.outbox);
                if let Some(why) = &ob.dead {
                    return Err(Self::dead_error(why));
                }
                ob.queue.pop_front()
            };
            match item {
                Some(item) => self.process(wire, item)?,
                None => return Ok(()),
            }
        }
    }

    /// Sends one application message, blocking while a key exchange is under way, and
    /// starting one first when the sealer's key has done enough.
    pub(crate) fn send(&self, payload: &[u8]) -> Result<()> {
        self.send_parts(&[payload])
    }

    /// Like [`send`](Self::send), for a message whose payload is `parts` one after
    /// another: each is copied once, into the packet being sealed.
    pub(crate) fn send_parts(&self, parts: &[&[u8]]) -> Result<()> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let filled = self.send_with(len, &mut |slot| {
            copy_parts(slot, parts);
            Ok(())
        })?;
        filled.map_err(SshError::Io)
    }

    /// Like [`send`](Self::send), for a `len`-byte message that `fill` writes straight
    /// into the packet being sealed. If `fill` fails, nothing is sent and its error
    /// comes back inside `Ok`.
    pub(crate) fn send_with(&self, len: usize, fill: &mut Fill<'_>) -> Result<std::io::Result<()>> {
        loop {
            let mut wire = lock(&self.wire);
            let mut ob = lock(&self.outbox);
            if let Some(why) = &ob.dead {
                return Err(Self::dead_error(why));
            }
            if let Some(item) = ob.queue.pop_front() {
                drop(ob);
                if let Err(e) = self.process(&mut wire, item) {
                    drop(wire);
                    self.write_failed(&e.to_string());
                    return Err(e);
                }
                continue;
            }
            if let Some(why) = &ob.closing {
                return Err(Self::dead_error(why));
            }
            if !ob.kex_pending && ob.first_done && wire.sealer.needs_rekey() {
                self.start_kex_locked(&mut ob);
                continue;
            }
            if ob.kex_pending {
                drop(wire);
                while ob.kex_pending && ob.dead.is_none() && ob.closing.is_none() {
                    ob = self.cv.wait(ob).unwrap_or_else(|e| e.into_inner());
                }
                continue;
            }
            drop(ob);
            let result = wire.write_with(len, fill);
            drop(wire);
            match result {
                Err(e) => {
                    self.write_failed(&e.to_string());
                    return Err(e);
                }
                Ok(filled) => {
                    self.try_flush();
                    return Ok(filled);
                }
            }
        }
    }

    /// True when our sending key asks for a rekey and none is under way.
    pub(crate) fn sealer_wants_rekey(&self) -> bool {
        let ob = lock(&self.outbox);
        if ob.kex_pending || !ob.first_done {
            return false;
        }
        drop(ob);
        self.wire.try_lock().is_ok_and(|w| w.sealer.needs_rekey())
    }

    /// Sends DISCONNECT (best effort) and ends the connection. Only our sending side is
    /// shut: the peer reads the DISCONNECT and closes, which the reading thread sees;
    /// closing both sides at once could reset the connection and lose the message.
    ///
    /// If another thread holds the wire (a large write stuck on a full TCP window), the
    /// DISCONNECT goes out when that write ends; we wait for it at most [`LINGER`].
    pub(crate) fn disconnect(&self, code: u32, text: &str) {
        let p = Writer::msg(msg::DISCONNECT)
            .u32(code)
            .str(text)
            .str("")
            .finish();
        {
            let mut ob = lock(&self.outbox);
            if ob.dead.is_some() || ob.closing.is_some() {
                return;
            }
            // DISCONNECT goes out even in the middle of a key exchange.
            ob.queue.push_back(Out::Disconnect(p));
            ob.closing = Some(text.to_owned());
        }
        self.cv.notify_all();
        self.try_flush();
        {
            let deadline = std::time::Instant::now() + LINGER;
            let mut ob = lock(&self.outbox);
            while !ob.disconnect_sent && ob.dead.is_none() {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                ob = self
                    .cv
                    .wait_timeout(ob, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            if ob.dead.is_none() {
                ob.dead = Some(text.to_owned());
            }
        }
        self.cv.notify_all();
        // A peer that never closes must not keep the reading thread forever.
        let _ = self.shutdown.set_read_timeout(Some(LINGER));
        let _ = self.shutdown.shutdown(Shutdown::Write);
    }

    /// Marks the connection dead, wakes every waiter and shuts the socket. The reading
    /// thread's end calls this (or [`peer_disconnected`](Self::peer_disconnected)), which
    /// makes a provisional reason final.
    pub(crate) fn kill(&self, why: &str) {
        self.end(why, false);
    }

    /// The reading thread's end on the peer's DISCONNECT: its reason replaces a failed
    /// write's error, which was only the symptom of the peer closing.
    pub(crate) fn peer_disconnected(&self, why: &str) {
        self.end(why, true);
    }

    fn end(&self, why: &str, replaces_provisional: bool) {
        {
            let mut ob = lock(&self.outbox);
            if ob.dead.is_none() || (ob.provisional && replaces_provisional) {
                ob.dead = Some(why.to_owned());
            }
            ob.provisional = false;
        }
        self.cv.notify_all();
        let _ = self.shutdown.shutdown(Shutdown::Both);
    }

    /// A write failed: senders fail from now on, and the socket is shut so the reading
    /// thread ends soon (on Linux, data already received stays readable after a read
    /// shutdown, so a DISCONNECT the peer sent before closing is still seen). Readers of
    /// [`dead`](Self::dead) wait for that thread's verdict.
    fn write_failed(&self, why: &str) {
        {
            let mut ob = lock(&self.outbox);
            if ob.dead.is_none() {
                ob.dead = Some(why.to_owned());
                ob.provisional = true;
            }
        }
        self.cv.notify_all();
        let _ = self.shutdown.shutdown(Shutdown::Both);
    }

    /// Why the connection died, once that is settled (a failed write is settled by the
    /// reading thread's end).
    pub(crate) fn dead(&self) -> Option<String> {
        let ob = lock(&self.outbox);
        if ob.provisional {
            return None;
        }
        ob.dead.clone()
    }
}
