//! [`PacketReader`]: a [`PacketOpener`] fed from arbitrary chunks of a byte stream.

use std::fmt;
use std::ops::Range;

use zeroize::Zeroize;

use crate::Error;

use super::opener::PacketOpener;

/// Reassembles SSH packets from a byte stream cut anywhere, and opens them.
///
/// Feed it whatever a socket read returned; it takes bytes up to the end of the current
/// packet and hands back the payload when a packet is complete. Its buffer grows only
/// with bytes actually received — never to a length a peer merely claimed — and is wiped
/// whenever a packet is finished with or fails.
pub struct PacketReader {
    opener: PacketOpener,
    buf: Vec<u8>,
    /// Bytes the current packet needs in total, as known so far.
    target: usize,
    /// Whether `decrypt_length` has run for the current packet.
    length_known: bool,
    /// The payload of the packet completed by the last call, inside `buf`.
    done: Option<Range<usize>>,
}

impl PacketReader {
    /// A reader on `opener`.
    pub fn new(opener: PacketOpener) -> Self {
        let target = opener.header_len();
        PacketReader {
            opener,
            buf: Vec::new(),
            target,
            length_known: false,
            done: None,
        }
    }

    /// The opener, to inspect its sequence number and usage.
    pub fn opener(&self) -> &PacketOpener {
        &self.opener
    }

    /// The opener, to install keys or reset the sequence number between packets.
    pub fn opener_mut(&mut self) -> &mut PacketOpener {
        self.finish_packet();
        &mut self.opener
    }

    /// The bytes still needed before the current packet can progress (at least 1).
    pub fn wanted(&self) -> usize {
        if self.done.is_some() {
            self.opener.header_len()
        } else {
            self.target - self.buf.len()
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
            let want = self.target - self.buf.len();
            let take = want.min(input.len() - taken);
            self.buf.extend_from_slice(&input[taken..taken + take]);
            taken += take;
            if self.buf.len() < self.target {
                return Ok((taken, None));
            }
            if self.length_known {
                let opened = self.opener.open(&mut self.buf);
                return match opened {
                    Ok(range) => {
                        self.done = Some(range.clone());
                        Ok((taken, Some(&self.buf[range])))
                    }
                    Err(e) => {
                        self.buf.zeroize();
                        Err(e)
                    }
                };
            }
            let rest = self.opener.decrypt_length(&self.buf)?;
            self.target += rest;
            self.length_known = true;
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
            self.buf.zeroize();
            self.target = self.opener.header_len();
            self.length_known = false;
        }
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
        self.buf.zeroize();
    }
}
