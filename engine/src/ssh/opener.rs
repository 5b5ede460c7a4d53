//! Reading packets: [`PacketOpener`].
//!
//! See [`PacketOpener`] for the reading protocol and the handling of bad lengths.

use std::fmt;
use std::ops::Range;

use zeroize::Zeroize;

use crate::record::{Opened, Progress, RecordError};
use crate::{Engine, Error};

/// RFC 4253 §7.3: after this message the sender's next packets use the new keys.
const SSH_MSG_NEWKEYS: u8 = 21;

use super::direction::{SshDirection, direction_methods};
use super::limits::{
    KeyUsage, LENGTH_FIELD_LEN, MIN_PACKET_LEN, MIN_PADDING, PADDING_LENGTH_LEN, PacketConfig,
};
use super::mode::{KeyMaterial, Mode};
use super::protection::MAX_HEADER_LEN;

/// Where the opener is in the current packet.
enum State {
    /// Waiting for the first [`Mode::header_len`] bytes.
    Length,
    /// The length is known (or, with `discard`, was invalid and is replaced by the
    /// maximum): waiting for the whole packet.
    Body {
        packet_len: usize,
        discard: bool,
        /// The first read as received, to check the packet begins with it.
        header: [u8; MAX_HEADER_LEN],
        /// Encrypt-and-MAC CTR: that block decrypted.
        first_plain: [u8; MAX_HEADER_LEN],
    },
    /// A packet failed; the connection is over.
    Failed(Error),
}

/// Reads one direction's SSH packets (RFC 4253 §6): learns each packet's length from its
/// first bytes, then authenticates and decrypts the whole packet in the caller's buffer.
///
/// Like [`PacketSealer`](super::PacketSealer), it starts in the `none` mode at sequence
/// number 0 and takes keys at each `SSH_MSG_NEWKEYS`.
///
/// # Learning the length, then reading exactly the rest
///
/// A receiver does not know where a packet ends until it has its length, and the length
/// is protected differently per mode:
///
/// | mode | first read ([`header_len`]) | length checked |
/// |---|---|---|
/// | `none`, `-etm` MACs, `aes*-gcm@openssh.com` | 4 bytes, in clear | at once |
/// | `chacha20-poly1305@openssh.com` | 4 bytes, under its own key | at once, after decrypting it |
/// | CTR with an encrypt-and-MAC MAC | one cipher block (16) | only after the MAC |
///
/// [`decrypt_length`] takes the first read and says how many bytes remain; [`open`] takes
/// the whole packet, checks it and returns where the payload lies.
///
/// # A bad length in encrypt-and-MAC mode
///
/// With `aes*-ctr` and a plain (not `-etm`) MAC, the length is decrypted from the payload's
/// own keystream and acted on before the MAC can be checked — the shape the
/// Albrecht–Paterson–Watson attacks exploit (CVE-2008-5161). Failing at once on a bad
/// length would tell an attacker who flipped length bits whether the result was a valid
/// length. So an invalid decrypted length (too short, too long, not block-aligned) is
/// *not* reported by [`decrypt_length`]: it asks for enough bytes to make the packet
/// exactly as long as the largest one allowed (`4 + max_packet_len + MAC`), and [`open`]
/// then decrypts and MACs those bytes like a real packet and fails with the same
/// [`Error::AuthenticationFailed`] a forged MAC gives. This is OpenSSH's discard
/// (`ssh_packet_start_discard`, which reads on to `PACKET_MAX_SIZE`), applied to CTR too,
/// where OpenSSH itself disconnects at once. A valid but wrong length still shows as a
/// MAC failure after that many bytes; that residue is inherent to encrypt-and-MAC, and
/// the `-etm` and AEAD modes have none of it.
///
/// In every other mode the length is either public or under a key of its own
/// (draft-ietf-sshm-chacha20-poly1305 §10), so a bad one fails at once with a typed error:
/// [`Error::RecordOverflow`] above the maximum, [`Error::Malformed`] below the minimum or
/// off the block size.
///
/// # Failures are final
///
/// An SSH connection cannot recover from a packet that fails to open: a bad MAC ends it
/// (OpenSSH disconnects with "Corrupted MAC on input") and a CTR keystream has moved
/// on. After any failure of [`decrypt_length`] or [`open`] that concerns the data, every
/// later call returns the same error. (Misuse — a buffer of the wrong size, a call out
/// of order — is reported without that.) Nothing is released from a packet that fails:
/// [`open`] wipes the buffer.
///
/// Nothing here allocates; the caller owns every buffer, and a length is bounded before
/// the caller is asked for that many bytes.
///
/// [`header_len`]: PacketOpener::header_len
/// [`decrypt_length`]: PacketOpener::decrypt_length
/// [`open`]: PacketOpener::open
pub struct PacketOpener {
    dir: SshDirection,
    state: State,
}

impl PacketOpener {
    /// An opener in the `none` mode at sequence number 0, with the default
    /// [`PacketConfig`].
    pub fn new(engine: &Engine) -> Self {
        PacketOpener {
            dir: SshDirection::new(engine),
            state: State::Length,
        }
    }

    /// An opener already keyed for `mode`, at sequence number 0.
    pub fn with_keys(engine: &Engine, mode: Mode, keys: &KeyMaterial<'_>) -> Result<Self, Error> {
        let mut opener = Self::new(engine);
        opener.install_keys(mode, keys)?;
        Ok(opener)
    }

    /// Takes new keys, as at `SSH_MSG_NEWKEYS`: the next packet is opened under `mode`.
    /// The sequence number carries on; the key's usage count starts again.
    ///
    /// Refused between [`decrypt_length`](Self::decrypt_length) and
    /// [`open`](Self::open), and after a failure. On error the old keys stay.
    pub fn install_keys(&mut self, mode: Mode, keys: &KeyMaterial<'_>) -> Result<(), Error> {
        match &self.state {
            State::Failed(e) => return Err(e.clone()),
            State::Body { .. } => {
                return Err(Error::Config(
                    "SSH keys cannot change in the middle of a packet".to_owned(),
                ));
            }
            State::Length => {}
        }
        self.dir.install_keys(mode, keys)
    }

    direction_methods!("opened");

    /// How many bytes of the next packet to pass to
    /// [`decrypt_length`](Self::decrypt_length): 4, or 16 for encrypt-and-MAC CTR.
    pub fn header_len(&self) -> usize {
        self.dir.mode.header_len()
    }

    /// The total bytes of the packet under way (header, packet, MAC or tag), once
    /// [`decrypt_length`](Self::decrypt_length) has succeeded.
    pub fn packet_total(&self) -> Option<usize> {
        match self.state {
            State::Body { packet_len, .. } => Some(self.total(packet_len)),
            State::Length | State::Failed(_) => None,
        }
    }

    fn total(&self, packet_len: usize) -> usize {
        LENGTH_FIELD_LEN + packet_len + self.dir.mode.tag_len()
    }

    /// Learns the next packet's length from its first [`header_len`](Self::header_len)
    /// bytes (extra bytes are ignored) and returns how many bytes of the packet remain
    /// to be read after those.
    ///
    /// A bad length fails here with a typed error, except in encrypt-and-MAC CTR modes,
    /// where [`open`](Self::open) reports it after a fixed-size read (see
    /// [`PacketOpener`]).
    pub fn decrypt_length(&mut self, first: &[u8]) -> Result<usize, Error> {
        match &self.state {
            State::Failed(e) => return Err(e.clone()),
            State::Body { .. } => {
                return Err(Error::Config(
                    "decrypt_length called twice for one SSH packet; call open first".to_owned(),
                ));
            }
            State::Length => {}
        }
        // The 2^32nd packet under one key would repeat a sequence number — the MAC's
        // input, the chacha20-poly1305 nonce — as the sealer refuses to send it.
        if let Err(e) = self.dir.check_packet_limit(1) {
            return Err(self.fail(e));
        }
        let header_len = self.header_len();
        let first = first.get(..header_len).ok_or(Error::InputTooShort {
            needed: header_len,
            actual: first.len(),
        })?;
        let mut first_plain = [0u8; MAX_HEADER_LEN];
        let length = match self
            .dir
            .protection
            .packet_length(self.dir.seq, first, &mut first_plain)
        {
            Ok(length) => length,
            Err(e) => return Err(self.fail(e)),
        };
        let (packet_len, discard) = match self.check_length(length) {
            Ok(len) => (len, false),
            Err(_) if self.dir.mode.length_in_first_block() => {
                (self.dir.config.max_packet_len(), true)
            }
            Err(e) => return Err(self.fail(e)),
        };
        let mut header = [0u8; MAX_HEADER_LEN];
        header[..header_len].copy_from_slice(first);
        self.state = State::Body {
            packet_len,
            discard,
            header,
            first_plain,
        };
        Ok(self.total(packet_len) - header_len)
    }

    /// Checks a `packet_length` field against the limits: at least 5, at most the
    /// configured maximum, and block-aligned.
    fn check_length(&self, length: u32) -> Result<usize, Error> {
        let max = self.dir.config.max_packet_len();
        let len = usize::try_from(length).unwrap_or(usize::MAX);
        if len > max {
            return Err(Error::RecordOverflow {
                what: "SSH packet_length",
                length: len,
                max,
            });
        }
        if len < MIN_PACKET_LEN {
            return Err(Error::Malformed(
                "SSH packet_length is below the minimum of 5 bytes",
            ));
        }
        let aligned = if self.dir.mode.length_apart() {
            len
        } else {
            LENGTH_FIELD_LEN + len
        };
        if aligned % self.dir.mode.block_len() != 0 {
            return Err(Error::Malformed(
                "SSH packet length is not a multiple of the cipher block size",
            ));
        }
        debug_assert!(LENGTH_FIELD_LEN + len >= self.header_len());
        Ok(len)
    }

    /// Authenticates and decrypts one whole packet in place — exactly the bytes
    /// announced by [`decrypt_length`](Self::decrypt_length), beginning with the ones
    /// given to it — and returns the payload's range within `packet`.
    ///
    /// Without a preceding `decrypt_length`, it first calls it on the front of `packet`
    /// (for callers that already hold whole packets).
    ///
    /// On failure the packet is wiped and, unless the buffer simply had the wrong size,
    /// the opener is finished (see [`PacketOpener`]).
    pub fn open(&mut self, packet: &mut [u8]) -> Result<Range<usize>, Error> {
        if let State::Length = self.state {
            self.decrypt_length(packet)?;
        }
        let (packet_len, discard, header, mut first_plain) = match &self.state {
            State::Failed(e) => return Err(e.clone()),
            State::Length => unreachable!("decrypt_length leaves Body or Failed"),
            State::Body {
                packet_len,
                discard,
                header,
                first_plain,
            } => (*packet_len, *discard, *header, *first_plain),
        };
        let total = self.total(packet_len);
        if packet.len() < total {
            return Err(Error::InputTooShort {
                needed: total,
                actual: packet.len(),
            });
        }
        if packet.len() > total {
            return Err(Error::Config(format!(
                "SSH packet buffer is {} bytes; the packet is {total}",
                packet.len()
            )));
        }
        let header_len = self.header_len();
        if packet[..header_len] != header[..header_len] {
            return Err(Error::Config(
                "SSH packet does not begin with the bytes given to decrypt_length".to_owned(),
            ));
        }
        let first_plain_len = if self.dir.mode.length_in_first_block() {
            header_len
        } else {
            0
        };
        let (body, tag) = packet.split_at_mut(LENGTH_FIELD_LEN + packet_len);
        let opened =
            self.dir
                .protection
                .open(self.dir.seq, body, tag, &first_plain[..first_plain_len]);
        first_plain.zeroize();
        if let State::Body { first_plain, .. } = &mut self.state {
            first_plain.zeroize();
        }
        let result = match opened {
            // The bytes were processed like a packet's, but the length was invalid.
            _ if discard => Err(Error::AuthenticationFailed),
            Ok(()) => payload_range(body, packet_len),
            Err(e) => Err(e),
        };
        match result {
            Ok(range) => {
                self.dir.record(packet_len);
                self.state = State::Length;
                Ok(range)
            }
            Err(e) => {
                packet.zeroize();
                Err(self.fail(e))
            }
        }
    }

    /// Opens every whole packet at the front of `buf` in place, appending each one's
    /// message number and payload range (within `buf`) to `opened`, and says how much of
    /// `buf` it used and how many more bytes the next packet needs. A packet cut off at
    /// the end may have had its length read already; call again with the buffer starting
    /// at the same packet (the unconsumed bytes moved to the front, more appended).
    ///
    /// Stops after `SSH_MSG_NEWKEYS`, since the keys change there. Failures are those
    /// of [`open`](Self::open): final, and only the failing packet is wiped.
    pub fn open_buffer(
        &mut self,
        buf: &mut [u8],
        opened: &mut Vec<Opened>,
    ) -> Result<Progress, RecordError> {
        self.open_buffer_at_most(buf, opened, usize::MAX)
    }

    /// [`open_buffer`](Self::open_buffer), opening at most `max` packets (a caller's
    /// fixed array of results): on reaching it, stops with `needed` 0.
    pub fn open_buffer_at_most(
        &mut self,
        buf: &mut [u8],
        opened: &mut Vec<Opened>,
        max: usize,
    ) -> Result<Progress, RecordError> {
        self.open_buffer_rich(buf, opened, max)
            .map_err(|e| RecordError::from(&e))
    }

    /// [`open_buffer_at_most`](Self::open_buffer_at_most) with the full error, for the
    /// reader.
    pub(super) fn open_buffer_rich(
        &mut self,
        buf: &mut [u8],
        opened: &mut Vec<Opened>,
        max: usize,
    ) -> Result<Progress, Error> {
        let mut pos = 0;
        for _ in 0..max {
            let rest = buf.len() - pos;
            let total = match self.packet_total() {
                Some(total) => total,
                None => {
                    let header_len = self.header_len();
                    if rest < header_len {
                        return Ok(Progress {
                            consumed: pos,
                            needed: header_len - rest,
                        });
                    }
                    self.decrypt_length(&buf[pos..])?;
                    self.packet_total().expect("decrypt_length succeeded")
                }
            };
            if rest < total {
                return Ok(Progress {
                    consumed: pos,
                    needed: total - rest,
                });
            }
            let range = self.open(&mut buf[pos..pos + total])?;
            let kind = buf
                .get(pos + range.start)
                .copied()
                .filter(|_| !range.is_empty());
            opened.push(Opened {
                kind: kind.unwrap_or(0),
                payload: pos + range.start..pos + range.end,
            });
            pos += total;
            if kind == Some(SSH_MSG_NEWKEYS) {
                break;
            }
        }
        Ok(Progress {
            consumed: pos,
            needed: 0,
        })
    }

    /// Enters the failed state for good and returns the error.
    fn fail(&mut self, e: Error) -> Error {
        self.state = State::Failed(e.clone());
        e
    }
}

/// The payload's range in an opened packet (`4 + packet_len` bytes, in clear), after
/// checking the padding length.
fn payload_range(packet: &[u8], packet_len: usize) -> Result<Range<usize>, Error> {
    let padding = usize::from(packet[LENGTH_FIELD_LEN]);
    if padding < MIN_PADDING {
        return Err(Error::Malformed("SSH padding is shorter than 4 bytes"));
    }
    let payload_len = (packet_len - PADDING_LENGTH_LEN)
        .checked_sub(padding)
        .ok_or(Error::Malformed("SSH padding is longer than the packet"))?;
    let start = LENGTH_FIELD_LEN + PADDING_LENGTH_LEN;
    Ok(start..start + payload_len)
}

impl fmt::Debug for PacketOpener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Length => "awaiting length",
            // Discarding looks the same: not even a debug log tells a bad length apart.
            State::Body { .. } => "awaiting packet",
            State::Failed(_) => "failed",
        };
        f.debug_struct("PacketOpener")
            .field("direction", &self.dir)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
