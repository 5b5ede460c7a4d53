//! [`PacketReservation`]: SSH packets reserved from a [`PacketSealer`] — sequence
//! numbers, lengths, padding and each packet's place in the keystream fixed up front — to
//! be sealed on several threads while one writer sends them in order.
//!
//! [`PacketSealer`]: super::PacketSealer

use std::fmt;
use std::ops::Range;

use zeroize::Zeroize;

use super::limits::{LENGTH_FIELD_LEN, MIN_PADDING, PADDING_LENGTH_LEN};
use super::protection::SealPoint;

/// The most padding a packet takes: the minimum that aligns it is at most the largest
/// block (16) plus three bytes.
pub(super) const MAX_MIN_PADDING: usize = 16 + MIN_PADDING - 1;

/// Packets reserved by [`PacketSealer::reserve`](super::PacketSealer::reserve), one
/// [`PacketTicket`] each, in the order they go on the wire.
///
/// A reservation fixes every packet's length when it is made: in the CTR modes one
/// keystream runs across packets (RFC 4344 §4), so where a packet's keystream starts
/// depends on the lengths of all the packets before it. With the lengths known, each
/// ticket carries its own starting point and workers may seal in any order.
pub struct PacketReservation {
    tickets: std::vec::IntoIter<PacketTicket>,
    wire_len: usize,
}

impl PacketReservation {
    pub(super) fn new(tickets: Vec<PacketTicket>, wire_len: usize) -> Self {
        PacketReservation {
            tickets: tickets.into_iter(),
            wire_len,
        }
    }

    /// The bytes on the wire of all the reserved packets, back to back.
    pub fn wire_len(&self) -> usize {
        self.wire_len
    }

    /// How many tickets remain.
    pub fn len(&self) -> usize {
        self.tickets.len()
    }

    /// True when every ticket has been taken.
    pub fn is_empty(&self) -> bool {
        self.tickets.len() == 0
    }
}

impl Iterator for PacketReservation {
    type Item = PacketTicket;

    fn next(&mut self) -> Option<PacketTicket> {
        self.tickets.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.tickets.size_hint()
    }
}

impl ExactSizeIterator for PacketReservation {}

impl fmt::Debug for PacketReservation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketReservation")
            .field("tickets", &self.len())
            .field("wire_len", &self.wire_len)
            .finish()
    }
}

/// One reserved packet: seals one packet of the length it was reserved for, once (it is
/// not `Clone`), under the keys it was reserved under.
pub struct PacketTicket {
    pub(super) epoch: u64,
    pub(super) seq: u32,
    pub(super) point: SealPoint,
    pub(super) payload_len: usize,
    pub(super) packet_len: usize,
    pub(super) tag_len: usize,
    /// The random padding, drawn at reservation in packet order (so the padding
    /// generator is used exactly as sealing one packet at a time would use it).
    pub(super) padding: [u8; MAX_MIN_PADDING],
}

impl PacketTicket {
    /// The sequence number the packet carries.
    pub fn sequence(&self) -> u32 {
        self.seq
    }

    /// The payload length it was reserved for.
    pub fn payload_len(&self) -> usize {
        self.payload_len
    }

    /// The packet's bytes on the wire: length field, packet, MAC or tag.
    pub fn wire_len(&self) -> usize {
        LENGTH_FIELD_LEN + self.packet_len + self.tag_len
    }

    /// Where the payload lies within the packet's [`wire_len`](Self::wire_len) bytes.
    pub fn payload_range(&self) -> Range<usize> {
        let start = LENGTH_FIELD_LEN + PADDING_LENGTH_LEN;
        start..start + self.payload_len
    }

    /// The padding's length.
    pub(super) fn padding_len(&self) -> usize {
        self.packet_len - PADDING_LENGTH_LEN - self.payload_len
    }
}

impl Drop for PacketTicket {
    fn drop(&mut self) {
        self.padding.zeroize();
    }
}

impl fmt::Debug for PacketTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketTicket")
            .field("sequence", &self.seq)
            .field("payload_len", &self.payload_len)
            .field("wire_len", &self.wire_len())
            .finish_non_exhaustive()
    }
}

// Workers share the sealer and take tickets across threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<super::PacketSealer>();
    send_sync::<PacketTicket>();
    send_sync::<PacketReservation>();
};
