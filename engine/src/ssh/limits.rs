//! The binary packet protocol's size and usage limits, with their sources, and the
//! per-key usage accounting behind [`needs_rekey`](super::PacketSealer::needs_rekey).

use crate::Error;

/// The `packet_length` field: a big-endian `uint32` before everything else (RFC 4253 §6).
pub const LENGTH_FIELD_LEN: usize = 4;

/// The `padding_length` byte that follows it.
pub const PADDING_LENGTH_LEN: usize = 1;

/// At least four bytes of random padding (RFC 4253 §6).
pub const MIN_PADDING: usize = 4;

/// At most 255 bytes of padding: `padding_length` is one byte (RFC 4253 §6).
pub const MAX_PADDING: usize = 255;

/// The smallest block size packets are aligned to, even for stream ciphers (RFC 4253 §6).
pub const MIN_BLOCK_LEN: usize = 8;

/// The smallest `packet_length` that can hold the padding length byte and the minimum
/// padding; OpenSSH `packet.c` refuses anything below `1 + 4`.
pub const MIN_PACKET_LEN: usize = PADDING_LENGTH_LEN + MIN_PADDING;

/// The default largest `packet_length` accepted: 256 KiB, OpenSSH's `PACKET_MAX_SIZE`
/// (`packet.c`), which Go's x/crypto/ssh also uses.
pub const PACKET_MAX_SIZE: usize = 256 * 1024;

/// The smallest maximum a configuration may set: every implementation MUST process a
/// total packet of 35000 bytes (RFC 4253 §6.1).
pub const MIN_MAX_PACKET: usize = 35_000;

/// The largest maximum a configuration may set (16 MiB): it bounds what a peer can make
/// a receiver buffer, and keeps every length far from `u32` overflow.
pub const MAX_MAX_PACKET: usize = 1 << 24;

/// Rekey after 2^31 packets under one key (RFC 4344 §3.1; OpenSSH `MAX_PACKETS`).
pub const REKEY_PACKETS: u64 = 1 << 31;

/// A sealer and an opener refuse the 2^32nd packet under one key: the 32-bit sequence number — the
/// MAC's input and the `chacha20-poly1305@openssh.com` nonce — would repeat (RFC 4253
/// §6.4, draft-ietf-sshm-chacha20-poly1305 §8).
pub const MAX_PACKETS_PER_KEY: u64 = 1 << 32;

/// The default byte limit per key: RFC 4253 §9 recommends rekeying after each gigabyte.
pub const DEFAULT_REKEY_BYTES: u64 = 1 << 30;

// The limits are consistent with each other and with the length field.
const _: () = assert!(MIN_PACKET_LEN == 5);
const _: () = assert!(MIN_MAX_PACKET <= PACKET_MAX_SIZE && PACKET_MAX_SIZE <= MAX_MAX_PACKET);
const _: () = assert!((MAX_MAX_PACKET as u64) < u32::MAX as u64 / 2);
const _: () = assert!(REKEY_PACKETS < MAX_PACKETS_PER_KEY);

/// How many cipher blocks one key may process (RFC 4344 §3.2, as OpenSSH `packet.c`
/// applies it): 2^(L/4) blocks for an L-bit block cipher — 2^32 for AES — and, for
/// smaller nominal blocks (ChaCha20's 8, `none`), one gigabyte's worth.
pub const fn rfc4344_max_blocks(block_len: usize) -> u64 {
    if block_len >= 16 {
        // L = 8 * block_len bits, L / 4 = 2 * block_len; AES has 16-byte blocks.
        1 << 32
    } else {
        (1 << 30) / block_len as u64
    }
}

/// Size limits and the rekey policy for one direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketConfig {
    max_packet_len: usize,
    rekey_bytes: Option<u64>,
}

impl Default for PacketConfig {
    fn default() -> Self {
        PacketConfig {
            max_packet_len: PACKET_MAX_SIZE,
            rekey_bytes: Some(DEFAULT_REKEY_BYTES),
        }
    }
}

impl PacketConfig {
    /// The defaults: [`PACKET_MAX_SIZE`] and a rekey every [`DEFAULT_REKEY_BYTES`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the largest `packet_length` sent or accepted, between [`MIN_MAX_PACKET`] and
    /// [`MAX_MAX_PACKET`].
    pub fn with_max_packet_len(mut self, max: usize) -> Result<Self, Error> {
        if !(MIN_MAX_PACKET..=MAX_MAX_PACKET).contains(&max) {
            return Err(Error::Config(format!(
                "SSH maximum packet length {max} is outside {MIN_MAX_PACKET}..={MAX_MAX_PACKET} \
                 (RFC 4253 §6.1 requires 35000-byte packets to be accepted)"
            )));
        }
        self.max_packet_len = max;
        Ok(self)
    }

    /// Sets the bytes one key may protect before [`needs_rekey`] reports true, or `None`
    /// for only the RFC 4344 bound. OpenSSH's `RekeyLimit`; zero is refused.
    ///
    /// [`needs_rekey`]: super::PacketSealer::needs_rekey
    pub fn with_rekey_bytes(mut self, bytes: Option<u64>) -> Result<Self, Error> {
        if bytes == Some(0) {
            return Err(Error::Config(
                "an SSH rekey byte limit of zero would demand a rekey before every packet"
                    .to_owned(),
            ));
        }
        self.rekey_bytes = bytes;
        Ok(self)
    }

    /// The largest `packet_length` sent or accepted.
    pub fn max_packet_len(&self) -> usize {
        self.max_packet_len
    }

    /// The byte limit per key, if any.
    pub fn rekey_bytes(&self) -> Option<u64> {
        self.rekey_bytes
    }

    /// The block limit per key for a cipher with `block_len`-byte blocks: the RFC 4344
    /// bound, lowered to the byte limit as OpenSSH does (`RekeyLimit / block size`).
    pub(crate) fn max_blocks(&self, block_len: usize) -> u64 {
        let rfc = rfc4344_max_blocks(block_len);
        match self.rekey_bytes {
            Some(bytes) => rfc.min((bytes / block_len as u64).max(1)),
            None => rfc,
        }
    }
}

/// What one key has protected so far in one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyUsage {
    /// Packets sealed or opened under the key.
    pub packets: u64,
    /// Cipher blocks processed: for each packet, `4 + packet_length` rounded up to the
    /// cipher's block size (OpenSSH counts the same bytes, rounding down).
    pub blocks: u64,
}

impl KeyUsage {
    /// Counts one packet with `packet_len` in its length field.
    pub(crate) fn record(&mut self, packet_len: usize, block_len: usize) {
        self.packets += 1;
        self.blocks += (LENGTH_FIELD_LEN + packet_len).div_ceil(block_len) as u64;
    }

    /// True once the key reached 2^31 packets or its block limit.
    pub(crate) fn needs_rekey(&self, max_blocks: u64) -> bool {
        self.packets >= REKEY_PACKETS || self.blocks >= max_blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4344_bounds() {
        assert_eq!(rfc4344_max_blocks(16), 1 << 32);
        assert_eq!(rfc4344_max_blocks(8), 1 << 27);
        let unlimited = PacketConfig::new().with_rekey_bytes(None).unwrap();
        assert_eq!(unlimited.max_blocks(16), 1 << 32);
        // The default gigabyte is the tighter bound for AES: 2^30 / 16 blocks.
        assert_eq!(PacketConfig::new().max_blocks(16), 1 << 26);
        let tiny = PacketConfig::new().with_rekey_bytes(Some(3)).unwrap();
        assert_eq!(tiny.max_blocks(16), 1);
    }

    #[test]
    fn config_bounds_are_enforced() {
        assert!(PacketConfig::new().with_max_packet_len(34_999).is_err());
        assert!(
            PacketConfig::new()
                .with_max_packet_len(MAX_MAX_PACKET + 1)
                .is_err()
        );
        assert!(PacketConfig::new().with_max_packet_len(35_000).is_ok());
        assert!(PacketConfig::new().with_rekey_bytes(Some(0)).is_err());
    }

    #[test]
    fn usage_reaches_the_packet_bound() {
        let mut u = KeyUsage {
            packets: REKEY_PACKETS - 1,
            blocks: 0,
        };
        assert!(!u.needs_rekey(u64::MAX));
        u.record(12, 16);
        assert_eq!(u.blocks, 1);
        assert!(u.needs_rekey(u64::MAX));
    }
}
