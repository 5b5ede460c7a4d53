//! The receive buffer of a connection: socket reads land here and packets are opened
//! where they landed ([`PacketOpener::open_buffer`]), so each payload is handed upward
//! as a range of this buffer — no reassembly copy, no copy into a payload `Vec`.
//!
//! A batch is every whole packet the buffer holds, up to and including NEWKEYS (the
//! opener stops there, so the packets after it wait for the new keys). A packet cut off
//! at the end of the buffer stays where it is; when it needs more room than is left,
//! its bytes move to the front, and the buffer grows only to what the opener asks for,
//! which it has bounded by the largest packet allowed.

use std::ops::Range;

use wirecrypt::record::{Opened, RecordError};
use wirecrypt::ssh::PacketOpener;
use zeroize::Zeroize;

/// Socket bytes and the packets opened in them (see the module docs).
pub(crate) struct RecvBuf {
    opener: PacketOpener,
    buf: Vec<u8>,
    /// The first byte not yet opened.
    start: usize,
    /// The end of the bytes received.
    end: usize,
    /// The packets of the current batch, ranges within `buf`.
    opened: Vec<Opened>,
    /// The next packet of the batch to hand up.
    next: usize,
    /// The sequence number of the batch's first packet.
    batch_seq: u32,
    /// Where the current batch's plaintext begins (it ends at `start`).
    plain_from: usize,
    /// The bytes the next packet still needs past `end`, as the opener last said.
    needed: usize,
    /// A failure met after some packets of the batch opened: reported once they are
    /// handed up, so a DISCONNECT in front of garbage is still read.
    failed: Option<RecordError>,
}

impl RecvBuf {
    /// A buffer of `capacity` bytes for `opener`, holding `initial` (what came after the
    /// version line).
    pub(crate) fn new(opener: PacketOpener, capacity: usize, initial: &[u8]) -> Self {
        let mut buf = vec![0u8; capacity.max(initial.len())];
        buf[..initial.len()].copy_from_slice(initial);
        let needed = opener.header_len();
        RecvBuf {
            opener,
            buf,
            start: 0,
            end: initial.len(),
            opened: Vec::with_capacity(16),
            next: 0,
            batch_seq: 0,
            plain_from: 0,
            needed,
            failed: None,
        }
    }

    /// The opener, for its sequence number and usage.
    pub(crate) fn opener(&self) -> &PacketOpener {
        &self.opener
    }

    /// Replaces the opener at NEWKEYS. Only between batches: the batch that ended with
    /// NEWKEYS has been handed up, and no byte after it has been opened.
    pub(crate) fn set_opener(&mut self, opener: PacketOpener) {
        debug_assert!(self.next >= self.opened.len(), "keys change mid-batch");
        self.opener = opener;
    }

    /// The payload of a packet handed up by [`next_packet`](Self::next_packet); valid
    /// until the next call to it.
    pub(crate) fn payload(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// The next opened packet — its sequence number and payload range — or `None` when
    /// the buffer needs more bytes ([`spare`](Self::spare), then
    /// [`received`](Self::received)). Failures are final.
    pub(crate) fn next_packet(&mut self) -> Result<Option<(u32, Range<usize>)>, RecordError> {
        loop {
            if let Some(o) = self.opened.get(self.next) {
                let seq = self.batch_seq.wrapping_add(self.next as u32);
                self.next += 1;
                return Ok(Some((seq, o.payload.clone())));
            }
            if let Some(e) = self.failed {
                return Err(e);
            }
            self.end_batch();
            if self.start == self.end {
                return Ok(None);
            }
            self.batch_seq = self.opener.sequence();
            self.plain_from = self.start;
            let base = self.start;
            let result = self
                .opener
                .open_buffer(&mut self.buf[base..self.end], &mut self.opened);
            for o in &mut self.opened {
                o.payload = base + o.payload.start..base + o.payload.end;
            }
            match result {
                Ok(progress) => {
                    self.start += progress.consumed;
                    self.needed = progress.needed;
                    if self.opened.is_empty() {
                        return Ok(None);
                    }
                }
                Err(e) if self.opened.is_empty() => return Err(e),
                Err(e) => {
                    // The packets before the failing one are handed up first; their
                    // plaintext ends where the last of them does.
                    self.start = self.opened.last().map_or(base, |o| o.payload.end);
                    self.failed = Some(e);
                }
            }
        }
    }

    /// Wipes the plaintext of the batch handed up and forgets it.
    fn end_batch(&mut self) {
        self.buf[self.plain_from..self.start].zeroize();
        self.plain_from = self.start;
        self.opened.clear();
        self.next = 0;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            self.plain_from = 0;
        }
    }

    /// Free space to read socket bytes into, at least what the next packet needs:
    /// a packet cut off at the end moves to the front when the tail is too short, and
    /// the buffer grows when even that is not enough (to at most one packet plus what
    /// is already there, a size the opener has bounded).
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        self.end_batch();
        let want = self.needed.max(1);
        if self.buf.len() - self.end < want {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                self.plain_from = 0;
            }
            if self.buf.len() - self.end < want {
                self.buf.resize(self.end + want, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// Takes `n` bytes just read into [`spare`](Self::spare).
    pub(crate) fn received(&mut self, n: usize) {
        self.end += n;
        debug_assert!(self.end <= self.buf.len());
    }

    /// The whole buffer, to drain the socket into after the connection failed.
    pub(crate) fn scratch(&mut self) -> &mut [u8] {
        self.buf.zeroize();
        self.opened.clear();
        self.next = 0;
        self.start = 0;
        self.end = 0;
        self.plain_from = 0;
        &mut self.buf
    }
}

impl Drop for RecvBuf {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirecrypt::Engine;
    use wirecrypt::ssh::{KeyMaterial, Mode, PacketSealer};

    fn engine() -> Engine {
        Engine::builder().build().unwrap()
    }

    /// aes128-gcm@openssh.com and a fixed key for it.
    fn aes128_gcm() -> (Mode, KeyMaterial<'static>) {
        let keys = KeyMaterial {
            iv: &[1; 12],
            key: &[2; 16],
            mac_key: &[],
        };
        (Mode::new("aes128-gcm@openssh.com", None).unwrap(), keys)
    }

    /// Packets with payloads `[kind, i, i, ...]` of growing length, sealed in `mode`.
    fn stream(sealer: &mut PacketSealer, kinds: &[u8], len: usize) -> Vec<u8> {
        let mut wire = Vec::new();
        for (i, &k) in kinds.iter().enumerate() {
            let mut p = vec![i as u8; len + i];
            p[0] = k;
            sealer.seal(&p, &mut wire).unwrap();
        }
        wire
    }

    /// Feeds `wire` in chunks of `chunk` bytes and collects every payload.
    fn drain(rx: &mut RecvBuf, wire: &[u8], chunk: usize) -> Vec<(u32, Vec<u8>)> {
        let mut out = Vec::new();
        let mut fed = 0;
        loop {
            while let Some((seq, r)) = rx.next_packet().unwrap() {
                out.push((seq, rx.payload(r).to_vec()));
            }
            if fed == wire.len() {
                return out;
            }
            let spare = rx.spare();
            let n = chunk.min(spare.len()).min(wire.len() - fed);
            spare[..n].copy_from_slice(&wire[fed..fed + n]);
            fed += n;
            rx.received(n);
        }
    }

    #[test]
    fn packets_cut_anywhere_open_in_place_with_their_sequence_numbers() {
        let e = engine();
        let (mode, keys) = aes128_gcm();
        let mut sealer = PacketSealer::with_keys(&e, mode, &keys).unwrap();
        let wire = stream(&mut sealer, &[94; 40], 3000);
        for chunk in [1, 7, 4096, 1 << 20] {
            let opener = PacketOpener::with_keys(&e, mode, &keys).unwrap();
            // A small buffer, so packets straddle its end and move to the front.
            let mut rx = RecvBuf::new(opener, 5000, &[]);
            let got = drain(&mut rx, &wire, chunk);
            assert_eq!(got.len(), 40, "chunk {chunk}");
            for (i, (seq, p)) in got.iter().enumerate() {
                assert_eq!(*seq, i as u32);
                assert_eq!(p.len(), 3000 + i);
                assert_eq!(p[0], 94);
                assert!(p[1..].iter().all(|&b| b == i as u8));
            }
            assert!(rx.buf.len() <= 5000 + 3100, "grew to {}", rx.buf.len());
        }
    }

    #[test]
    fn a_batch_stops_at_newkeys_and_the_rest_waits_for_the_new_opener() {
        let e = engine();
        let mut plain = PacketSealer::new(&e);
        let mut wire = stream(&mut plain, &[20, 21], 10);
        let keys = KeyMaterial {
            iv: &[3; 12],
            key: &[4; 32],
            mac_key: &[],
        };
        let mode = Mode::new("aes256-gcm@openssh.com", None).unwrap();
        let mut sealed = PacketSealer::with_keys(&e, mode, &keys)
            .unwrap()
            .with_sequence(2);
        wire.extend(stream(&mut sealed, &[94, 94], 100));
        let mut rx = RecvBuf::new(PacketOpener::new(&e), 1 << 16, &wire);
        let (_, r) = rx.next_packet().unwrap().unwrap();
        assert_eq!(rx.payload(r)[0], 20);
        let (seq, r) = rx.next_packet().unwrap().unwrap();
        assert_eq!((seq, rx.payload(r)[0]), (1, 21));
        rx.set_opener(
            PacketOpener::with_keys(&e, mode, &keys)
                .unwrap()
                .with_sequence(2),
        );
        for want in [2, 3] {
            let (seq, r) = rx.next_packet().unwrap().unwrap();
            assert_eq!(seq, want);
            assert_eq!(rx.payload(r).len(), 100 + want as usize - 2);
        }
        assert!(rx.next_packet().unwrap().is_none());
        // Every packet handed up is wiped once the batch is over.
        assert!(rx.buf[..wire.len()].iter().all(|&b| b == 0));
    }

    #[test]
    fn a_bad_packet_after_good_ones_fails_after_they_are_handed_up() {
        let e = engine();
        let (mode, keys) = aes128_gcm();
        let mut sealer = PacketSealer::with_keys(&e, mode, &keys).unwrap();
        let mut wire = stream(&mut sealer, &[1, 94, 94], 50);
        let last = wire.len() - 1;
        wire[last] ^= 1;
        let opener = PacketOpener::with_keys(&e, mode, &keys).unwrap();
        let mut rx = RecvBuf::new(opener, 1 << 16, &wire);
        assert!(rx.next_packet().unwrap().is_some());
        assert!(rx.next_packet().unwrap().is_some());
        assert_eq!(
            rx.next_packet().unwrap_err(),
            RecordError::AuthenticationFailed
        );
        assert_eq!(
            rx.next_packet().unwrap_err(),
            RecordError::AuthenticationFailed
        );
    }
}
