//! Writing packets: [`PacketSealer`].

use std::fmt;
use std::ops::Range;
use std::sync::Mutex;

use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use crate::record::RecordError;
use crate::rng::PooledRng;
use crate::{Engine, Error};

use super::direction::{SshDirection, direction_methods};
use super::limits::{
    KeyUsage, LENGTH_FIELD_LEN, MAX_PADDING, MIN_PADDING, PADDING_LENGTH_LEN, PacketConfig,
};
use super::mode::{KeyMaterial, Mode};
use super::reservation::{MAX_MIN_PADDING, PacketReservation, PacketTicket};

/// A cryptographic random generator the sealer may own (the padding source).
pub trait PaddingRng: RngCore + CryptoRng + Send {}

impl<T: RngCore + CryptoRng + Send> PaddingRng for T {}

/// The padding for `payload_len` bytes of payload in `mode`: the least length of at least
/// four bytes that makes the packet a multiple of the block size — the whole packet, or
/// for encrypt-then-MAC and AEAD modes everything after the length field (RFC 4253 §6,
/// OpenSSH `packet.c`). At most `block + 3` bytes, well under the 255 the field allows.
pub fn padding_len(mode: Mode, payload_len: usize) -> usize {
    let length_field = if mode.length_apart() {
        0
    } else {
        LENGTH_FIELD_LEN
    };
    let block = mode.block_len();
    let unpadded = length_field + PADDING_LENGTH_LEN + payload_len % block;
    let pad = block - unpadded % block;
    if pad < MIN_PADDING { pad + block } else { pad }
}

// The largest block (16) still pads within the one-byte field.
const _: () = assert!(16 + MIN_PADDING - 1 <= MAX_PADDING);

/// Writes one direction's SSH packets (RFC 4253 §6): frames and pads each payload,
/// encrypts and authenticates it under the current [`Mode`], and numbers it.
///
/// A sealer starts in the `none` mode with sequence number 0 — the state of a new
/// connection — and takes keys at each `SSH_MSG_NEWKEYS` with
/// [`install_keys`](Self::install_keys). The sequence number runs on across key changes
/// and wraps at 2^32 (RFC 4253 §6.4) unless strict key exchange resets it
/// ([`reset_sequence`](Self::reset_sequence)).
///
/// Padding is the minimum that aligns the packet, and its bytes come from the engine's
/// health-tested generator ([`Engine::rng`]), drawn 256 bytes at a time, unless
/// [`with_rng`](Self::with_rng) says otherwise.
///
/// Packets may also be [reserved](Self::reserve) and sealed on several threads at once
/// ([`seal_reserved`](Self::seal_reserved) takes `&self`; the sealer is `Sync`).
pub struct PacketSealer {
    dir: SshDirection,
    /// Only `&mut self` calls draw padding, so the lock is never contended; it makes the
    /// sealer `Sync`.
    rng: Mutex<Box<dyn PaddingRng>>,
    /// Set when sealing failed part-way: the keystream or counter has moved on.
    failed: Option<RecordError>,
}

impl PacketSealer {
    /// A sealer in the `none` mode at sequence number 0, with the default
    /// [`PacketConfig`].
    pub fn new(engine: &Engine) -> Self {
        PacketSealer {
            dir: SshDirection::new(engine),
            rng: Mutex::new(Box::new(PooledRng::new(engine.rng()))),
            failed: None,
        }
    }

    /// A sealer already keyed for `mode`, at sequence number 0.
    pub fn with_keys(engine: &Engine, mode: Mode, keys: &KeyMaterial<'_>) -> Result<Self, Error> {
        let mut sealer = Self::new(engine);
        sealer.install_keys(mode, keys)?;
        Ok(sealer)
    }

    /// Draws padding from `rng` instead of the engine's generator (for tests, or for a
    /// generator the caller already runs).
    pub fn with_rng(mut self, rng: impl PaddingRng + 'static) -> Self {
        self.rng = Mutex::new(Box::new(rng));
        self
    }

    /// Takes new keys, as at `SSH_MSG_NEWKEYS`: the next packet is sealed under `mode`.
    /// The sequence number carries on; the key's usage count starts again.
    ///
    /// On error the sealer keeps its old keys.
    pub fn install_keys(&mut self, mode: Mode, keys: &KeyMaterial<'_>) -> Result<(), Error> {
        self.dir.install_keys(mode, keys)
    }

    direction_methods!("sealed");

    /// The `packet_length` field for a payload of `payload_len` bytes.
    fn packet_len(&self, payload_len: usize) -> Result<usize, Error> {
        let max = self.dir.config.max_packet_len();
        let packet_len = payload_len
            .saturating_add(PADDING_LENGTH_LEN + padding_len(self.dir.mode, payload_len));
        if packet_len > max {
            return Err(Error::RecordOverflow {
                what: "SSH packet_length",
                length: packet_len,
                max,
            });
        }
        Ok(packet_len)
    }

    /// The bytes on the wire for a payload of `payload_len` bytes: the length field, the
    /// packet, and the MAC or tag.
    pub fn sealed_len(&self, payload_len: usize) -> Result<usize, Error> {
        Ok(LENGTH_FIELD_LEN + self.packet_len(payload_len)? + self.dir.mode.tag_len())
    }

    /// Where a packet's payload starts within it: after the length and padding-length
    /// fields.
    pub fn payload_offset(&self) -> usize {
        LENGTH_FIELD_LEN + PADDING_LENGTH_LEN
    }

    /// Lays out a batch of packets back to back from the start of the wire buffer, with
    /// `payload_lens[i]` bytes of payload in packet `i`: fills `slots` with where each
    /// payload goes and returns the batch's wire length. Read the payloads (an SFTP
    /// read's data, say) into the slots, then call [`seal_batch`](Self::seal_batch).
    pub fn slots(
        &self,
        payload_lens: &[usize],
        slots: &mut Vec<Range<usize>>,
    ) -> Result<usize, Error> {
        slots.clear();
        let mut at = 0;
        for &len in payload_lens {
            let start = at + self.payload_offset();
            slots.push(start..start + len);
            at += self.sealed_len(len)?;
        }
        Ok(at)
    }

    /// Checks a batch before any cryptography: the sealer is sound, the key may seal
    /// that many more packets, every payload fits, and so does the wire buffer. Returns
    /// the batch's wire length.
    fn check_batch(
        &self,
        lens: impl Iterator<Item = usize>,
        count: usize,
        wire_len: usize,
    ) -> Result<usize, Error> {
        if let Some(e) = self.failed {
            return Err(e.into());
        }
        self.dir.check_packet_limit(count as u64)?;
        let mut total = 0;
        for len in lens {
            total += self.sealed_len(len)?;
        }
        if wire_len < total {
            return Err(Error::BufferTooSmall {
                needed: total,
                actual: wire_len,
            });
        }
        Ok(total)
    }

    /// Seals a batch of packets laid out as [`slots`](Self::slots) says, their payloads
    /// already in place in `wire`: writes each length, padding length and random
    /// padding, encrypts and authenticates in place, and returns the wire length to
    /// write. No payload byte is copied.
    ///
    /// Everything is checked before any cryptography; if sealing itself fails, the batch
    /// is wiped and the sealer is finished (its keystream or counter has moved on).
    pub fn seal_batch(
        &mut self,
        wire: &mut [u8],
        payload_lens: &[usize],
    ) -> Result<usize, RecordError> {
        let total =
            self.check_batch(payload_lens.iter().copied(), payload_lens.len(), wire.len())?;
        let mut at = 0;
        for &len in payload_lens {
            let packet_len = self.packet_len(len).map_err(RecordError::from)?;
            let end = at + LENGTH_FIELD_LEN + packet_len + self.dir.mode.tag_len();
            if let Err(e) = self.seal_framed(&mut wire[at..end], len, packet_len) {
                wire[..total].zeroize();
                return Err(self.fail(&e));
            }
            at = end;
        }
        Ok(total)
    }

    /// Seals one packet per slice of `payloads` into `wire`, back to back; returns the
    /// wire length. Each payload is copied once, into its slot (its padding-length byte
    /// and padding share one cipher input with it). Failures as for
    /// [`seal_batch`](Self::seal_batch).
    pub fn seal_from(&mut self, payloads: &[&[u8]], wire: &mut [u8]) -> Result<usize, RecordError> {
        self.seal_from_rich(payloads, wire)
            .map_err(|e| RecordError::from(&e))
    }

    /// [`seal_from`](Self::seal_from) with the full error.
    fn seal_from_rich(&mut self, payloads: &[&[u8]], wire: &mut [u8]) -> Result<usize, Error> {
        let total =
            self.check_batch(payloads.iter().map(|p| p.len()), payloads.len(), wire.len())?;
        let mut at = 0;
        for p in payloads {
            let packet_len = self.packet_len(p.len())?;
            let end = at + LENGTH_FIELD_LEN + packet_len + self.dir.mode.tag_len();
            let start = at + self.payload_offset();
            crate::copy::copy(&mut wire[start..start + p.len()], p);
            if let Err(e) = self.seal_framed(&mut wire[at..end], p.len(), packet_len) {
                wire[..total].zeroize();
                self.fail(&e);
                return Err(e);
            }
            at = end;
        }
        Ok(total)
    }

    /// Appends one sealed packet carrying `payload` to `out`. The payload is copied once,
    /// into the packet; nothing is zero-filled first.
    pub fn seal(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let total = self.check_batch(std::iter::once(payload.len()), 1, usize::MAX)?;
        let packet_len = self.packet_len(payload.len())?;
        let start = out.len();
        out.reserve(total);
        // The length fields, the payload, then the padding and tag, all written below.
        out.resize(start + self.payload_offset(), 0);
        out.extend_from_slice(payload);
        out.resize(start + total, 0);
        if let Err(e) = self.seal_framed(&mut out[start..], payload.len(), packet_len) {
            out[start..].zeroize();
            out.truncate(start);
            self.fail(&e);
            return Err(e);
        }
        Ok(())
    }

    /// Writes one sealed packet carrying `payload` into the front of `out`; returns its
    /// length ([`sealed_len`](Self::sealed_len)).
    ///
    /// Fails, with nothing written and the sequence number unchanged, when the payload
    /// would exceed the maximum packet length, when `out` is too small, when the key has
    /// sealed 2^32 packets ([`Error::RekeyRequired`]); when the generator or the key
    /// fails, `out` is wiped and the sealer is finished.
    pub fn seal_into(&mut self, payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        self.seal_from_rich(&[payload], out)
    }

    /// Frames and seals one packet in `out` (exactly its length), whose payload of
    /// `payload_len` bytes is already in place: draws the padding, writes the length
    /// fields, protects the packet and numbers it.
    fn seal_framed(
        &mut self,
        out: &mut [u8],
        payload_len: usize,
        packet_len: usize,
    ) -> Result<(), Error> {
        let (packet, tag) = out.split_at_mut(LENGTH_FIELD_LEN + packet_len);
        let padding = packet_len - PADDING_LENGTH_LEN - payload_len;
        self.draw_padding(&mut packet[LENGTH_FIELD_LEN + PADDING_LENGTH_LEN + payload_len..])?;
        write_lengths(packet, padding);
        self.dir.protection.seal(self.dir.seq, packet, tag)?;
        self.dir.record(packet_len);
        Ok(())
    }

    /// Fills `padding` from the padding generator.
    fn draw_padding(&mut self, padding: &mut [u8]) -> Result<(), Error> {
        let rng = self.rng.get_mut().unwrap_or_else(|e| e.into_inner());
        rng.try_fill_bytes(padding)
            .map_err(|e| Error::Rng(format!("SSH padding: {e}")))
    }

    /// Reserves the next packets, one per entry of `payload_lens` (each packet's payload
    /// length), to be sealed by [`seal_reserved`](Self::seal_reserved) on any thread
    /// while one writer sends them in ticket order.
    ///
    /// Everything a packet's protection depends on is fixed here: its sequence number,
    /// its length, its random padding, its GCM invocation counter and, for the CTR
    /// modes, where its keystream starts — which is why the lengths come first: one
    /// keystream runs across packets (RFC 4344 §4). The packets count against the key's
    /// limits at once ([`needs_rekey`](Self::needs_rekey), the 2^32-packet refusal), as
    /// if sealed; later packets sealed in turn follow them.
    pub fn reserve(&mut self, payload_lens: &[usize]) -> Result<PacketReservation, RecordError> {
        let wire_len =
            self.check_batch(payload_lens.iter().copied(), payload_lens.len(), usize::MAX)?;
        let mut tickets = Vec::with_capacity(payload_lens.len());
        for &len in payload_lens {
            let packet_len = self.packet_len(len).map_err(RecordError::from)?;
            let mut ticket = PacketTicket {
                epoch: self.dir.epoch,
                seq: self.dir.seq,
                point: self.dir.protection.next_point(),
                payload_len: len,
                packet_len,
                tag_len: self.dir.mode.tag_len(),
                padding: [0; MAX_MIN_PADDING],
            };
            let padding = ticket.padding_len();
            // Never fails: the minimum padding of a 16-byte block is at most 19 bytes.
            let Some(padding) = ticket.padding.get_mut(..padding) else {
                return Err(RecordError::Misuse(
                    "padding longer than a reservation holds",
                ));
            };
            if let Err(e) = self.draw_padding(padding) {
                return Err(self.fail(&e));
            }
            tickets.push(ticket);
            self.dir.protection.skip(LENGTH_FIELD_LEN + packet_len);
            self.dir.record(packet_len);
        }
        // The keystream of packets sealed in turn starts after the reserved ones.
        if let Err(e) = self.dir.protection.resume() {
            return Err(self.fail(&e));
        }
        Ok(PacketReservation::new(tickets, wire_len))
    }

    /// Seals one reserved packet: `packet` is exactly the ticket's
    /// [`wire_len`](PacketTicket::wire_len) bytes with the payload already at its
    /// [`payload_range`](PacketTicket::payload_range). The ticket is used up; the bytes
    /// are those [`seal`](Self::seal) would have written for that packet in turn.
    ///
    /// Refused (a [`RecordError::Misuse`], nothing written) for a ticket from other keys
    /// — another sealer, or this one before [`install_keys`](Self::install_keys) — or a
    /// buffer of another length; refused once the sealer has failed. If sealing itself
    /// fails the packet is wiped: the stream cannot go on past it.
    pub fn seal_reserved(
        &self,
        ticket: PacketTicket,
        packet: &mut [u8],
    ) -> Result<usize, RecordError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if ticket.epoch != self.dir.epoch {
            return Err(RecordError::Misuse(
                "a reserved packet from another sealer or from keys since replaced",
            ));
        }
        if packet.len() != ticket.wire_len() {
            return Err(RecordError::Misuse(
                "a reserved packet's buffer is not the length its reservation fixed",
            ));
        }
        let padding = ticket.padding_len();
        let (framed, tag) = packet.split_at_mut(LENGTH_FIELD_LEN + ticket.packet_len);
        framed[LENGTH_FIELD_LEN + PADDING_LENGTH_LEN + ticket.payload_len..]
            .copy_from_slice(&ticket.padding[..padding]);
        write_lengths(framed, padding);
        if let Err(e) = self
            .dir
            .protection
            .seal_at(ticket.seq, ticket.point, framed, tag)
        {
            packet.zeroize();
            return Err(RecordError::from(&e));
        }
        Ok(packet.len())
    }

    /// Sealing failed after the keystream or counter may have moved: the sealer is
    /// finished, and every later call returns this.
    fn fail(&mut self, e: &Error) -> RecordError {
        *self.failed.get_or_insert(RecordError::from(e))
    }
}

/// Writes `packet_length` and `padding_length` at the front of `packet` (length field
/// included).
fn write_lengths(packet: &mut [u8], padding: usize) {
    // Both fit: the packet is at most MAX_MAX_PACKET bytes, the padding at most 255.
    let packet_len = packet.len() - LENGTH_FIELD_LEN;
    packet[..LENGTH_FIELD_LEN].copy_from_slice(&(packet_len as u32).to_be_bytes());
    packet[LENGTH_FIELD_LEN] = padding as u8;
}

impl fmt::Debug for PacketSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketSealer")
            .field("direction", &self.dir)
            .finish_non_exhaustive()
    }
}
