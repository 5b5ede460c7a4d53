//! Writing packets: [`PacketSealer`].

use std::fmt;

use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use crate::rng::PooledRng;
use crate::{Engine, Error};

use super::limits::{
    KeyUsage, LENGTH_FIELD_LEN, MAX_PACKETS_PER_KEY, MAX_PADDING, MIN_PADDING, PADDING_LENGTH_LEN,
    PacketConfig,
};
use super::mode::{KeyMaterial, Mode};
use super::protection::Protection;

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
pub struct PacketSealer {
    engine: Engine,
    mode: Mode,
    protection: Protection,
    config: PacketConfig,
    seq: u32,
    /// A sequence number to take with the next keys (see [`reset_sequence`](Self::reset_sequence)).
    pending_seq: Option<u32>,
    usage: KeyUsage,
    rng: Box<dyn PaddingRng>,
}

impl PacketSealer {
    /// A sealer in the `none` mode at sequence number 0, with the default
    /// [`PacketConfig`].
    pub fn new(engine: &Engine) -> Self {
        PacketSealer {
            engine: engine.clone(),
            mode: Mode::none(),
            protection: Protection::None,
            config: PacketConfig::default(),
            seq: 0,
            pending_seq: None,
            usage: KeyUsage::default(),
            rng: Box::new(PooledRng::new(engine.rng())),
        }
    }

    /// A sealer already keyed for `mode`, at sequence number 0.
    pub fn with_keys(engine: &Engine, mode: Mode, keys: &KeyMaterial<'_>) -> Result<Self, Error> {
        let mut sealer = Self::new(engine);
        sealer.install_keys(mode, keys)?;
        Ok(sealer)
    }

    /// Replaces the size limits and rekey policy.
    pub fn with_config(mut self, config: PacketConfig) -> Self {
        self.config = config;
        self
    }

    /// Draws padding from `rng` instead of the engine's generator (for tests, or for a
    /// generator the caller already runs).
    pub fn with_rng(mut self, rng: impl PaddingRng + 'static) -> Self {
        self.rng = Box::new(rng);
        self
    }

    /// Continues at sequence number `seq` (a connection handed over mid-stream) — at
    /// once when the current keys have sealed nothing, otherwise from the next keys on
    /// (see [`reset_sequence`](Self::reset_sequence)).
    pub fn with_sequence(mut self, seq: u32) -> Self {
        self.set_sequence(seq);
        self
    }

    /// Moves the sequence number only where no key can seal under a number twice.
    fn set_sequence(&mut self, seq: u32) {
        if self.mode.is_none() || self.usage.packets == 0 {
            self.seq = seq;
            self.pending_seq = None;
        } else {
            self.pending_seq = Some(seq);
        }
    }

    /// Takes new keys, as at `SSH_MSG_NEWKEYS`: the next packet is sealed under `mode`.
    /// The sequence number carries on; the key's usage count starts again.
    ///
    /// On error the sealer keeps its old keys.
    pub fn install_keys(&mut self, mode: Mode, keys: &KeyMaterial<'_>) -> Result<(), Error> {
        self.protection = Protection::new(&self.engine, mode, keys)?;
        self.mode = mode;
        self.usage = KeyUsage::default();
        if let Some(seq) = self.pending_seq.take() {
            self.seq = seq;
        }
        Ok(())
    }

    /// Resets the sequence number to zero: strict key exchange does this at every
    /// `SSH_MSG_NEWKEYS` (OpenSSH `PROTOCOL` §1.10 "kex-strict", the Terrapin fix,
    /// CVE-2023-48795).
    ///
    /// The reset goes only with new keys, since a key that sealed under a sequence number
    /// must not seal under it again (`chacha20-poly1305@openssh.com` uses it as the
    /// nonce): it happens at once when the current keys have sealed nothing (just
    /// installed, or the `none` mode), otherwise at the next
    /// [`install_keys`](Self::install_keys). Either order around `install_keys` works.
    pub fn reset_sequence(&mut self) {
        self.set_sequence(0);
    }

    /// The mode packets are sealed in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The sequence number the next packet will carry.
    pub fn sequence(&self) -> u32 {
        self.seq
    }

    /// The size limits and rekey policy.
    pub fn config(&self) -> &PacketConfig {
        &self.config
    }

    /// What the current key has sealed.
    pub fn usage(&self) -> KeyUsage {
        self.usage
    }

    /// True when the current key has sealed 2^31 packets (RFC 4344 §3.1) or its block
    /// limit (RFC 4344 §3.2, lowered by the configured byte limit): start a key exchange.
    /// Always false in the `none` mode.
    pub fn needs_rekey(&self) -> bool {
        !self.mode.is_none()
            && self
                .usage
                .needs_rekey(self.config.max_blocks(self.mode.block_len()))
    }

    /// Pretends the key has already sealed what `usage` says (to reach the limits).
    #[cfg(test)]
    pub(super) fn set_usage(&mut self, usage: KeyUsage) {
        self.usage = usage;
    }

    /// The `packet_length` field for a payload of `payload_len` bytes.
    fn packet_len(&self, payload_len: usize) -> Result<usize, Error> {
        let max = self.config.max_packet_len();
        let packet_len =
            payload_len.saturating_add(PADDING_LENGTH_LEN + padding_len(self.mode, payload_len));
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
        Ok(LENGTH_FIELD_LEN + self.packet_len(payload_len)? + self.mode.tag_len())
    }

    /// Appends one sealed packet carrying `payload` to `out`.
    pub fn seal(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let total = self.sealed_len(payload.len())?;
        crate::copy::append_with(out, total, |buf| self.seal_into(payload, buf))
    }

    /// Writes one sealed packet carrying `payload` into the front of `out`; returns its
    /// length ([`sealed_len`](Self::sealed_len)).
    ///
    /// Fails, with nothing written and the sequence number unchanged, when the payload
    /// would exceed the maximum packet length, when `out` is too small, when the key has
    /// sealed 2^32 packets ([`Error::RekeyRequired`]), or when the generator fails.
    pub fn seal_into(&mut self, payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        if self.usage.packets >= MAX_PACKETS_PER_KEY && !self.mode.is_none() {
            return Err(Error::RekeyRequired {
                cipher: self.mode.cipher().name,
                packets: self.usage.packets,
            });
        }
        let packet_len = self.packet_len(payload.len())?;
        let total = LENGTH_FIELD_LEN + packet_len + self.mode.tag_len();
        let actual = out.len();
        let out = out.get_mut(..total).ok_or(Error::BufferTooSmall {
            needed: total,
            actual,
        })?;
        let result = self.seal_packet(payload, packet_len, out);
        if result.is_err() {
            // Never leave plaintext where the caller expects a packet.
            out.zeroize();
        }
        result.map(|()| total)
    }

    fn seal_packet(
        &mut self,
        payload: &[u8],
        packet_len: usize,
        out: &mut [u8],
    ) -> Result<(), Error> {
        let (packet, tag) = out.split_at_mut(LENGTH_FIELD_LEN + packet_len);
        let padding = packet_len - PADDING_LENGTH_LEN - payload.len();
        let (head, body) = packet.split_at_mut(LENGTH_FIELD_LEN + PADDING_LENGTH_LEN);
        let (payload_out, padding_out) = body.split_at_mut(payload.len());
        self.rng
            .try_fill_bytes(padding_out)
            .map_err(|e| Error::Rng(format!("SSH padding: {e}")))?;
        // Both fit: the packet is at most MAX_MAX_PACKET bytes, the padding at most 255.
        head[..LENGTH_FIELD_LEN].copy_from_slice(&(packet_len as u32).to_be_bytes());
        head[LENGTH_FIELD_LEN] = padding as u8;
        crate::copy::copy(payload_out, payload);
        self.protection.seal(self.seq, packet, tag)?;
        self.seq = self.seq.wrapping_add(1);
        self.usage.record(packet_len, self.mode.block_len());
        Ok(())
    }
}

impl fmt::Debug for PacketSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketSealer")
            .field("mode", &self.mode)
            .field("protection", &self.protection)
            .field("seq", &self.seq)
            .field("pending_seq", &self.pending_seq)
            .field("usage", &self.usage)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
