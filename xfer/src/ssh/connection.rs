//! The connection protocol's state (RFC 4254): channels and their flow-control windows.
//! No I/O here — the driver feeds messages in and sends what this returns.
//!
//! Windows: we never send more than the peer's window allows (OpenSSH 9.6+ drops a
//! peer that overruns it by more than 10%), and we refuse data beyond ours. Our window
//! is [`LOCAL_WINDOW`] (15 MiB, the most OpenSSH's senders handle well) with up to
//! [`LOCAL_MAX_PACKET`] bytes of data per packet; we top it up once half is consumed.

use std::collections::{HashMap, VecDeque};

use crate::ssh::error::{Result, SshError};
use crate::ssh::wire::{Writer, msg};

/// The window we offer on every channel.
pub const LOCAL_WINDOW: u32 = 15 * 1024 * 1024;
/// The largest data packet we accept: room for a whole SFTP message of the largest
/// read or write (261,120 bytes of data and its header) in one packet, and still within
/// the 256 KiB packet limit with CHANNEL_DATA's header, padding and its length byte.
pub const LOCAL_MAX_PACKET: u32 = 256 * 1024 - 64;
/// The largest data payload we send in one packet, whatever the peer allows.
pub const SEND_MAX_DATA: u32 = LOCAL_MAX_PACKET;

// CHANNEL_DATA's 9-byte header, the padding-length byte and at most 19 bytes of padding
// around the largest data must fit the largest packet_length accepted.
const _: () = assert!(LOCAL_MAX_PACKET as usize + 9 + 1 + 19 <= wirecrypt::ssh::PACKET_MAX_SIZE);
// An SFTP DATA reply to the largest read (13 bytes of header) and a WRITE of the largest
// size (25 bytes of header and the handle, ours 4 bytes) each fit one packet.
const _: () = assert!(crate::sftp::codec::MAX_DATA_LEN as usize + 64 <= LOCAL_MAX_PACKET as usize);

/// One channel's state.
#[derive(Debug, Default)]
pub struct Channel {
    /// The peer's number for the channel.
    pub remote_id: u32,
    /// Bytes we may still send.
    pub remote_window: u64,
    /// The largest data packet the peer accepts.
    pub remote_max_packet: u32,
    /// Bytes the peer may still send us.
    pub local_window: u32,
    /// Bytes consumed by the reader and not yet given back by WINDOW_ADJUST.
    pub consumed: u32,
    /// Received data not read yet, copied once out of the receive buffer where it was
    /// decrypted. Bounded by [`LOCAL_WINDOW`]: data past the window is refused.
    pub inbox: VecDeque<u8>,
    /// Once the reader asks for whole messages, received data goes here instead of the
    /// inbox, copied once into the buffer of the message it belongs to.
    pub framer: Option<Framer>,
    /// The peer sent EOF.
    pub eof_in: bool,
    /// We sent EOF.
    pub eof_out: bool,
    /// The peer sent CLOSE.
    pub close_in: bool,
    /// We sent CLOSE.
    pub close_out: bool,
    /// The peer confirmed (or refused, `Err`) the open.
    pub opened: Option<std::result::Result<(), String>>,
    /// Replies to our want-reply channel requests, in order.
    pub replies: VecDeque<bool>,
    /// `exit-status` from the peer.
    pub exit_status: Option<u32>,
    /// Reader and writer halves still alive (the channel is kept until they are gone).
    pub held: u32,
    /// We gave up waiting for the open's answer; a late confirmation gets CLOSE.
    pub abandoned: bool,
}

impl Channel {
    /// A channel we opened, waiting for confirmation.
    pub fn opening() -> Self {
        Channel {
            local_window: LOCAL_WINDOW,
            ..Default::default()
        }
    }

    /// A channel the peer opened, confirmed by us.
    pub fn accepted(remote_id: u32, window: u32, max_packet: u32) -> Self {
        Channel {
            remote_id,
            remote_window: u64::from(window),
            remote_max_packet: max_packet,
            local_window: LOCAL_WINDOW,
            opened: Some(Ok(())),
            ..Default::default()
        }
    }

    /// Takes incoming data against our window (copying it into the inbox, or into the
    /// messages it completes). Returns whether a reader may have something new: always
    /// for a byte stream, and for messages only when one is complete or broken.
    pub fn receive(&mut self, data: &[u8]) -> Result<bool> {
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        if len > self.local_window || len > LOCAL_MAX_PACKET {
            return Err(SshError::protocol(format!(
                "peer sent {len} bytes of channel data past our window ({} left)",
                self.local_window
            )));
        }
        if self.eof_in || self.close_in {
            return Err(SshError::protocol("channel data after EOF"));
        }
        self.local_window -= len;
        match &mut self.framer {
            Some(f) => Ok(f.feed(data)),
            None => {
                self.inbox.extend(data);
                Ok(true)
            }
        }
    }

    /// Switches the channel to whole messages of at most `max` bytes ([`Framer`]);
    /// what the inbox holds is framed first. Does nothing the second time.
    pub fn frame_messages(&mut self, max: u32) -> &mut Framer {
        let inbox = &mut self.inbox;
        self.framer.get_or_insert_with(|| {
            let mut f = Framer::new(max);
            let (a, b) = inbox.as_slices();
            f.feed(a);
            f.feed(b);
            *inbox = VecDeque::new();
            f
        })
    }

    /// Counts `n` bytes as read; returns the window increment to send, when due.
    pub fn consume(&mut self, n: usize) -> Option<u32> {
        self.consumed += n as u32;
        (self.consumed >= LOCAL_WINDOW / 2 && !self.close_in).then(|| {
            let a = self.consumed;
            self.local_window += a;
            self.consumed = 0;
            a
        })
    }

    /// Copies received data into `buf`; returns bytes copied and, when due, the window
    /// increment to send.
    pub fn read_into(&mut self, buf: &mut [u8]) -> (usize, Option<u32>) {
        let n = buf.len().min(self.inbox.len());
        let (a, b) = self.inbox.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        self.inbox.drain(..n);
        (n, self.consume(n))
    }

    /// How many bytes may go out in the next data packet (0: wait for a window).
    pub fn sendable(&self, want: usize) -> usize {
        let cap = u64::from(self.remote_max_packet.min(SEND_MAX_DATA));
        (want as u64).min(self.remote_window).min(cap) as usize
    }

    /// Records `n` bytes sent.
    pub fn sent(&mut self, n: usize) {
        self.remote_window -= n as u64;
    }

    /// Takes a WINDOW_ADJUST.
    pub fn adjust(&mut self, add: u32) -> Result<()> {
        self.remote_window += u64::from(add);
        if self.remote_window > u64::from(u32::MAX) {
            return Err(SshError::protocol("channel window grew past 2^32 - 1"));
        }
        Ok(())
    }
}

/// Received channel data cut into messages that each begin with their length (a
/// big-endian `u32`, as SFTP frames its packets), every byte copied once: from the
/// receive buffer where it was decrypted into its message's buffer. Buffers come back
/// through [`recycle`](Self::recycle), so a long transfer allocates none.
#[derive(Debug, Default)]
pub struct Framer {
    /// The longest message body accepted.
    max: u32,
    /// The length field of the next message, as far as it has come.
    header: [u8; 4],
    header_got: usize,
    /// The body being filled and its length.
    current: Option<(Vec<u8>, usize)>,
    /// Whole message bodies, oldest first.
    done: VecDeque<Vec<u8>>,
    /// Empty buffers for the next messages.
    spares: Vec<Vec<u8>>,
    /// A length field outside `1..=max`: no message can follow.
    bad_length: Option<u32>,
}

/// Spare buffers a [`Framer`] keeps (more are dropped).
const FRAMER_SPARES: usize = 8;

impl Framer {
    /// A framer for message bodies of 1 to `max` bytes.
    pub fn new(max: u32) -> Self {
        Framer {
            max,
            ..Default::default()
        }
    }

    /// Cuts `data` into messages; returns whether one completed or the stream broke.
    pub fn feed(&mut self, mut data: &[u8]) -> bool {
        let mut news = false;
        while !data.is_empty() && self.bad_length.is_none() {
            match &mut self.current {
                Some((body, len)) => {
                    let take = (*len - body.len()).min(data.len());
                    body.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if body.len() == *len {
                        let (body, _) = self.current.take().expect("a body is being filled");
                        self.done.push_back(body);
                        news = true;
                    }
                }
                None => {
                    let take = (4 - self.header_got).min(data.len());
                    self.header[self.header_got..self.header_got + take]
                        .copy_from_slice(&data[..take]);
                    self.header_got += take;
                    data = &data[take..];
                    if self.header_got < 4 {
                        break;
                    }
                    self.header_got = 0;
                    let len = u32::from_be_bytes(self.header);
                    if len == 0 || len > self.max {
                        self.bad_length = Some(len);
                        return true;
                    }
                    let mut body = self.spares.pop().unwrap_or_default();
                    body.clear();
                    body.reserve_exact(len as usize);
                    self.current = Some((body, len as usize));
                }
            }
        }
        news
    }

    /// The oldest whole message body.
    pub fn pop(&mut self) -> Option<Vec<u8>> {
        self.done.pop_front()
    }

    /// A length field outside `1..=max`, once one came.
    pub fn bad_length(&self) -> Option<u32> {
        self.bad_length
    }

    /// Bytes of a message that has begun and is not whole yet.
    pub fn partial(&self) -> bool {
        self.header_got > 0 || self.current.is_some()
    }

    /// Keeps an empty buffer for a later message.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if buf.capacity() > 0 && self.spares.len() < FRAMER_SPARES {
            self.spares.push(buf);
        }
    }
}

/// Every channel of a connection, by our number.
#[derive(Debug, Default)]
pub struct Channels {
    map: HashMap<u32, Channel>,
    next_id: u32,
}

/// The most channels one connection may have open at once (OpenSSH's `MaxSessions`
/// default). With [`LOCAL_WINDOW`] each, this bounds what a peer can make us buffer.
pub const MAX_CHANNELS: usize = 10;

impl Channels {
    /// Adds a channel; returns our number for it.
    pub fn insert(&mut self, ch: Channel) -> Result<u32> {
        if self.map.len() >= MAX_CHANNELS {
            return Err(SshError::Channel(format!(
                "more than {MAX_CHANNELS} channels open"
            )));
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.map.insert(id, ch);
        Ok(id)
    }

    /// The channel with our number `id`.
    pub fn get(&mut self, id: u32) -> Result<&mut Channel> {
        self.map
            .get_mut(&id)
            .ok_or_else(|| SshError::protocol(format!("message for unknown channel {id}")))
    }

    /// Forgets a channel once CLOSE went both ways.
    pub fn remove_if_closed(&mut self, id: u32) {
        if self
            .map
            .get(&id)
            .is_some_and(|c| c.close_in && c.close_out && c.held == 0)
        {
            self.map.remove(&id);
        }
    }
}

/// CHANNEL_OPEN "session".
pub fn open_session(local_id: u32) -> Vec<u8> {
    Writer::msg(msg::CHANNEL_OPEN)
        .str("session")
        .u32(local_id)
        .u32(LOCAL_WINDOW)
        .u32(LOCAL_MAX_PACKET)
        .finish()
}

/// CHANNEL_WINDOW_ADJUST.
pub fn window_adjust(remote_id: u32, add: u32) -> Vec<u8> {
    Writer::msg(msg::CHANNEL_WINDOW_ADJUST)
        .u32(remote_id)
        .u32(add)
        .finish()
}

/// A message with only the recipient channel (EOF, CLOSE, SUCCESS, FAILURE).
pub fn simple(m: u8, remote_id: u32) -> Vec<u8> {
    Writer::msg(m).u32(remote_id).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_bound_both_directions() {
        let mut ch = Channel::accepted(5, 100, 40);
        assert_eq!(ch.sendable(1000), 40);
        ch.sent(40);
        ch.sent(40);
        assert_eq!(ch.sendable(1000), 20);
        ch.sent(20);
        assert_eq!(ch.sendable(1000), 0);
        ch.adjust(10).unwrap();
        assert_eq!(ch.sendable(1000), 10);
        assert!(ch.adjust(u32::MAX).is_err());

        let mut ch = Channel::accepted(5, 0, 0);
        ch.local_window = 10;
        assert!(ch.receive(&[0; 11]).is_err());
        ch.receive(&[1; 10]).unwrap();
        let mut buf = [0; 4];
        assert_eq!(ch.read_into(&mut buf).0, 4);
        assert_eq!(ch.local_window, 0);
    }

    #[test]
    fn window_is_topped_up_after_half_is_read() {
        let mut ch = Channel::accepted(1, 0, 0);
        let chunk = vec![7u8; LOCAL_MAX_PACKET as usize];
        let mut got = 0u64;
        let mut adjusted = 0u64;
        let mut buf = vec![0u8; 100_000];
        for _ in 0..40 {
            ch.receive(&chunk).unwrap();
            loop {
                let (n, adj) = ch.read_into(&mut buf);
                if n == 0 {
                    break;
                }
                got += n as u64;
                adjusted += u64::from(adj.unwrap_or(0));
            }
        }
        assert_eq!(got, 40 * u64::from(LOCAL_MAX_PACKET));
        assert!(adjusted >= got - u64::from(LOCAL_WINDOW / 2));
        assert_eq!(
            u64::from(ch.local_window),
            u64::from(LOCAL_WINDOW) - got + adjusted
        );
    }

    /// `bodies` framed as SFTP frames them: each after its length.
    fn framed(bodies: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for b in bodies {
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        }
        out
    }

    #[test]
    fn framer_cuts_messages_wherever_the_data_breaks() {
        let long = vec![9u8; 5000];
        let bodies: [&[u8]; 4] = [b"a", &long, b"xyz", &long[..300]];
        let wire = framed(&bodies);
        for chunk in [1, 3, 4, 5, 1000, wire.len()] {
            let mut f = Framer::new(5000);
            let mut got = Vec::new();
            for part in wire.chunks(chunk) {
                let news = f.feed(part);
                let before = got.len();
                while let Some(m) = f.pop() {
                    got.push(m);
                }
                assert_eq!(news, got.len() > before, "chunk {chunk}");
            }
            assert!(!f.partial());
            assert_eq!(got, bodies.map(<[u8]>::to_vec), "chunk {chunk}");
        }
    }

    #[test]
    fn framer_refuses_lengths_outside_bounds_and_reuses_buffers() {
        for bad in [0u32, 101] {
            let mut f = Framer::new(100);
            let mut wire = bad.to_be_bytes().to_vec();
            wire.extend_from_slice(&[1; 200]);
            assert!(f.feed(&wire));
            assert_eq!(f.bad_length(), Some(bad));
            assert!(f.pop().is_none());
            // Nothing after a bad length is taken as a message.
            assert!(!f.feed(&framed(&[b"ok"])));
            assert!(f.pop().is_none());
        }
        let mut f = Framer::new(100);
        f.recycle(Vec::with_capacity(100));
        let spare = f.spares[0].as_ptr();
        assert!(!f.feed(&[0, 0, 0, 50, 1]));
        assert!(f.partial());
        assert!(f.feed(&[2; 49]));
        let m = f.pop().unwrap();
        assert_eq!(m.as_ptr(), spare, "the spare buffer was used");
        assert_eq!(m.len(), 50);
    }

    #[test]
    fn framed_messages_count_against_the_window_until_read() {
        let mut ch = Channel::accepted(1, 0, 0);
        assert!(
            ch.receive(&[0, 0, 0, 2]).unwrap(),
            "a byte stream always wakes its reader"
        );
        ch.frame_messages(1000);
        // What the inbox held before the switch is framed too.
        assert!(ch.receive(&[7, 7]).unwrap());
        assert!(!ch.receive(&[0, 0]).unwrap());
        assert_eq!(ch.local_window, LOCAL_WINDOW - 8);
        let m = ch.framer.as_mut().unwrap().pop().unwrap();
        assert_eq!(m, [7, 7]);
        assert_eq!(ch.consume(m.len() + 4), None);
        assert_eq!(ch.consumed, 6);
    }
}
