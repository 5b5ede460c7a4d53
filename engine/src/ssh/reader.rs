//! [`PacketReader`]: a [`PacketOpener`] fed from arbitrary chunks of a byte stream.

use std::fmt;
use std::ops::Range;

use zeroize::Zeroize;

use crate::Error;
use crate::record::Opened;

use super::mode::{KeyMaterial, Mode};
use super::opener::PacketOpener;

/// Reassembles SSH packets from a byte stream cut anywhere, and opens them.
///
/// Feed it whatever a socket read returned; it takes bytes up to the end of the current
/// packet and hands back the payload when a packet is complete. Its buffer grows only
/// with bytes actually received — never to a length a peer merely claimed — and the
/// bytes of a packet are wiped when it is finished with or fails.
///
/// It is a thin layer over [`PacketOpener::open_buffer`], for callers whose bytes arrive
/// in someone else's buffer; a caller that owns its receive buffer can call
/// `open_buffer` on it directly and skip this copy.
///
/// # Key changes
///
/// How many bytes a packet's first read needs depends on the mode (4, or 16 for
/// encrypt-and-MAC CTR), so it is asked of the opener whenever a packet's first bytes
/// are gathered, never remembered from the keys before: keys installed with
/// [`install_keys`](Self::install_keys) (or through [`opener_mut`](Self::opener_mut))
/// between packets take effect, header length included, from the next byte fed. Keys
/// can only change between packets: `install_keys` refuses while part of a packet is
/// buffered.
pub struct PacketReader {
    opener: PacketOpener,
    buf: Vec<u8>,
    /// What the opener last said the current packet still needs, once it has seen some
    /// of it. Until then the opener's [`header_len`](PacketOpener::header_len) is what
    /// is wanted (asked afresh, so keys installed between packets reframe).
    needed: Option<usize>,
    /// The opener's report of the packet completed by the last call (reused).
    opened: Vec<Opened>,
    /// The payload of the packet completed by the last call, inside `buf`.
    done: Option<Range<usize>>,
}

impl PacketReader {
    /// A reader on `opener`.
    pub fn new(opener: PacketOpener) -> Self {
        PacketReader {
            opener,
            buf: Vec::new(),
            needed: None,
            opened: Vec::with_capacity(1),
            done: None,
        }
    }

    /// The opener, to inspect its sequence number and usage.
    pub fn opener(&self) -> &PacketOpener {
        &self.opener
    }

    /// The opener, to install keys or reset the sequence number between packets.
    ///
    /// Prefer [`install_keys`](Self::install_keys), which also refuses a key change in
    /// the middle of a packet.
    pub fn opener_mut(&mut self) -> &mut PacketOpener {
        self.finish_packet();
        &mut self.opener
    }

    /// Takes new keys at `SSH_MSG_NEWKEYS` (see [`PacketOpener::install_keys`]): the
    /// next packet is framed and opened under `mode`.
    ///
    /// Refused while bytes of a packet are buffered — keys change only between
    /// packets — and after a failure. On error the old keys stay.
    pub fn install_keys(&mut self, mode: Mode, keys: &KeyMaterial<'_>) -> Result<(), Error> {
        self.between_packets()?;
        self.opener.install_keys(mode, keys)
    }

    /// Resets the sequence number to zero, as strict key exchange does at
    /// `SSH_MSG_NEWKEYS` (see [`PacketOpener::reset_sequence`]). Refused while bytes of
    /// a packet are buffered.
    pub fn reset_sequence(&mut self) -> Result<(), Error> {
        self.between_packets()?;
        self.opener.reset_sequence();
        Ok(())
    }

    /// Finishes the last completed packet and checks that no later one has begun.
    fn between_packets(&mut self) -> Result<(), Error> {
        self.finish_packet();
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(Error::Config(
                "SSH keys cannot change in the middle of a packet".to_owned(),
            ))
        }
    }

    /// The bytes still needed before the current packet can progress (at least 1).
    pub fn wanted(&self) -> usize {
        if self.done.is_some() {
            self.opener.header_len()
        } else {
            self.needed
                .unwrap_or_else(|| self.opener.header_len() - self.buf.len())
        }
    }

    /// Takes bytes from the front of `input`, up to the end of the current packet.
    /// Returns how many it took and, when they completed a packet, its payload (valid
    /// until the next call).
    ///
    /// Errors are the opener's; after one the connection is over.
    pub fn feed(&mut self, input: &[u8]) -> Result<(usize, Option<&[u8]>), Error> {
        self.finish_packet();
        let mut taken = 0;
        loop {
            let want = self.wanted();
            let take = want.min(input.len() - taken);
            self.buf.extend_from_slice(&input[taken..taken + take]);
            taken += take;
            if take < want {
                self.needed = Some(want - take);
                return Ok((taken, None));
            }
            self.opened.clear();
            match self
                .opener
                .open_buffer_rich(&mut self.buf, &mut self.opened, usize::MAX)
            {
                Ok(_) if !self.opened.is_empty() => {
                    let range = self.opened[0].payload.clone();
                    self.done = Some(range.clone());
                    self.needed = None;
                    return Ok((taken, Some(&self.buf[range])));
                }
                Ok(progress) => self.needed = Some(progress.needed),
                Err(e) => {
                    self.wipe();
                    return Err(e);
                }
            }
        }
    }

    /// The buffer's capacity: it must track bytes received, not lengths claimed.
    #[cfg(test)]
    pub(super) fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Wipes the last completed packet and starts the next.
    fn finish_packet(&mut self) {
        if self.done.take().is_some() {
            self.wipe();
        }
    }

    /// Wipes the bytes held (only those: the rest of the capacity holds nothing) and
    /// empties the buffer.
    fn wipe(&mut self) {
        self.buf.as_mut_slice().zeroize();
        self.buf.clear();
        self.needed = None;
    }
}

impl fmt::Debug for PacketReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketReader")
            .field("opener", &self.opener)
            .field("buffered", &self.buf.len())
            .finish_non_exhaustive()
    }
}

impl Drop for PacketReader {
    fn drop(&mut self) {
        self.wipe();
    }
}
