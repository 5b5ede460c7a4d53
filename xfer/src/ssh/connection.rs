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

    /// Takes incoming data against our window (copying it into the inbox).
    pub fn receive(&mut self, data: &[u8]) -> Result<()> {
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
        self.inbox.extend(data);
        Ok(())
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
        self.consumed += n as u32;
        let adjust = (self.consumed >= LOCAL_WINDOW / 2 && !self.close_in).then(|| {
            let a = self.consumed;
            self.local_window += a;
            self.consumed = 0;
            a
        });
        (n, adjust)
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
}
