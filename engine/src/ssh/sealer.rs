//! Writing packets: [`PacketSealer`].

use std::fmt;

use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use crate::{Engine, EngineRng, Error};

use super::limits::{
    KeyUsage, LENGTH_FIELD_LEN, MAX_PACKETS_PER_KEY, MAX_PADDING, MIN_PADDING, PADDING_LENGTH_LEN,
    PacketConfig,
};
use super::mode::{KeyMaterial, Mode};
use super::protection::Protection;

/// A cryptographic random generator the sealer may own (the padding source).
pub trait PaddingRng: RngCore + CryptoRng + Send {}

impl<T: RngCore + CryptoRng + Send> PaddingRng for T {}

/// The engine's generator drawn a pool at a time: one draw (about 1 µs, a system call)
/// pads a dozen or more packets, where a draw per packet cost more than sealing a small
/// packet. Bytes are wiped from the pool as they are handed out, the rest on drop.
struct PaddingPool {
    rng: EngineRng,
    pool: [u8; POOL],
    used: usize,
}

/// Bytes drawn from the generator at a time for padding.
const POOL: usize = 256;

impl PaddingPool {
    fn new(rng: EngineRng) -> Self {
        PaddingPool {
            rng,
            pool: [0; POOL],
            used: POOL,
        }
    }

    fn fill(&mut self, out: &mut [u8]) -> Result<(), Error> {
        let mut written = 0;
        while written < out.len() {
            if self.used == POOL {
                // On failure the generator wipes the pool and stays failed.
                self.rng.fill(&mut self.pool)?;
                self.used = 0;
            }
            let n = (out.len() - written).min(POOL - self.used);
            let taken = &mut self.pool[self.used..self.used + n];
            out[written..written + n].copy_from_slice(taken);
            taken.zeroize();
            self.used += n;
            written += n;
        }
        Ok(())
    }
}

impl Drop for PaddingPool {
    fn drop(&mut self) {
        self.pool.zeroize();
    }
}

impl RngCore for PaddingPool {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if let Err(e) = self.fill(dest) {
            panic!("wirecrypt RNG: {e}");
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill(dest).map_err(rand_core::Error::new)
    }
}

impl CryptoRng for PaddingPool {}

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
            usage: KeyUsage::default(),
            rng: Box::new(PaddingPool::new(engine.rng())),
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

    /// Continues at sequence number `seq` (a connection handed over mid-stream).
    pub fn with_sequence(mut self, seq: u32) -> Self {
        self.seq = seq;
        self
    }

    /// Takes new keys, as at `SSH_MSG_NEWKEYS`: the next packet is sealed under `mode`.
    /// The sequence number carries on; the key's usage count starts again.
    ///
    /// On error the sealer keeps its old keys.
    pub fn install_keys(&mut self, mode: Mode, keys: &KeyMaterial<'_>) -> Result<(), Error> {
        self.protection = Protection::new(&self.engine, mode, keys)?;
        self.mode = mode;
        self.usage = KeyUsage::default();
        Ok(())
    }

    /// Resets the sequence number to zero: strict key exchange does this after every
    /// `SSH_MSG_NEWKEYS` (OpenSSH `PROTOCOL` §1.10 "kex-strict", the Terrapin fix,
    /// CVE-2023-48795).
    pub fn reset_sequence(&mut self) {
        self.seq = 0;
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
            .field("usage", &self.usage)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod pool_tests {
    use super::*;

    /// A source whose 16-byte blocks never repeat: block i is i, little-endian.
    fn counting() -> EngineRng {
        let mut next = 1u128;
        EngineRng::from_fn(move |buf| {
            for block in buf.chunks_mut(16) {
                block.copy_from_slice(&next.to_le_bytes()[..block.len()]);
                next += 1;
            }
            Ok(())
        })
    }

    #[test]
    fn the_pool_hands_out_the_stream_in_order_and_wipes_what_it_gave() {
        let mut pool = PaddingPool::new(counting());
        let mut direct = counting();
        let mut want = vec![0u8; 3 * POOL];
        direct.fill(&mut want).unwrap();
        let mut got = Vec::new();
        // Padding-sized pieces that straddle refills.
        for len in (4..=19).cycle().take(60) {
            let mut piece = vec![0u8; len];
            pool.fill(&mut piece).unwrap();
            got.extend_from_slice(&piece);
            assert!(
                pool.pool[..pool.used].iter().all(|&b| b == 0),
                "used bytes wiped"
            );
        }
        assert!(got.len() > POOL, "the test crossed a refill");
        assert_eq!(got, want[..got.len()]);
    }

    #[test]
    fn a_failing_source_fails_padding_and_leaves_nothing_behind() {
        let mut pool = PaddingPool::new(EngineRng::from_fn(|_| Err(Error::Rng("gone".into()))));
        let mut piece = [0xAAu8; 8];
        assert!(matches!(pool.fill(&mut piece), Err(Error::Rng(_))));
        assert!(pool.try_fill_bytes(&mut piece).is_err());
        assert!(pool.pool.iter().all(|&b| b == 0));
    }
}
