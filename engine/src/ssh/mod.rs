//! The SSH binary packet protocol on the engine (RFC 4253 §6): the data transfer stage
//! of SSH and SFTP.
//!
//! ```text
//! uint32    packet_length      (of what follows, MAC excluded)
//! byte      padding_length
//! byte[n1]  payload            n1 = packet_length - padding_length - 1
//! byte[n2]  random padding     n2 = padding_length >= 4
//! byte[m]   mac or AEAD tag
//! ```
//!
//! A [`PacketSealer`] writes one direction's packets and a [`PacketOpener`] reads them;
//! a [`PacketReader`] wraps an opener for byte streams cut anywhere. Both start in the
//! `none` mode, take keys at each `SSH_MSG_NEWKEYS`, number packets with a 32-bit
//! sequence number that wraps (or resets, under strict key exchange), and count what each
//! key has protected so that [`needs_rekey`](PacketSealer::needs_rekey) can say when to
//! exchange keys again (RFC 4344 §3).
//!
//! For bulk data a sealer frames a batch in the caller's wire buffer (`slots`,
//! `seal_batch`) and an opener opens a whole receive buffer in place (`open_buffer`); a
//! sealer can also [reserve](PacketSealer::reserve) packets of known lengths and let
//! worker threads seal them ([`PacketReservation`]) while one writer sends them in order.
//!
//! # Modes
//!
//! A [`Mode`] is a negotiated cipher and MAC, found by SSH name in the [`CIPHERS`] and
//! [`MACS`] tables:
//!
//! * `aes128-ctr`, `aes192-ctr`, `aes256-ctr` (RFC 4344) with `hmac-sha2-256`,
//!   `hmac-sha2-512` (RFC 6668) or `hmac-sha1` (legacy), each MAC also in OpenSSH's
//!   encrypt-then-MAC form `*-etm@openssh.com`, which leaves the length in clear and MACs
//!   the ciphertext;
//! * `aes128-gcm@openssh.com`, `aes256-gcm@openssh.com` (RFC 5647 §7, as OpenSSH runs
//!   it): the length in clear as additional data, nonce = 4-byte fixed field ‖ 64-bit
//!   invocation counter incremented per packet;
//! * `chacha20-poly1305@openssh.com` (draft-ietf-sshm-chacha20-poly1305), below;
//! * `none`, before the first `SSH_MSG_NEWKEYS`.
//!
//! AES-CTR, AES-GCM and HMAC come from the engine's selected provider — a VAES provider
//! serves AES whenever the machine has one.
//!
//! # chacha20-poly1305@openssh.com
//!
//! This construction is not the RFC 8439 AEAD the providers implement (different nonce,
//! counter, key split and Poly1305 input), so it is built in this module on the
//! RustCrypto `chacha20` and `poly1305` crates; the `chacha` submodule explains the
//! difference. The tag is checked before anything is decrypted.
//!
//! # Rules enforced
//!
//! * Padding: at least 4 random bytes, the least that aligns the packet to
//!   max(8, cipher block); for `-etm` and AEAD modes the length field is left out of the
//!   alignment, as OpenSSH does.
//! * Lengths are bounded before any cryptography: `packet_length` from 5 up to the
//!   configured maximum ([`PACKET_MAX_SIZE`], 256 KiB, by default) and block-aligned.
//!   How a bad length is reported without an oracle is described on [`PacketOpener`].
//! * MACs and tags are compared in constant time; a packet that fails releases nothing.
//! * Rekey: [`needs_rekey`](PacketSealer::needs_rekey) after 2^31 packets or 2^32 AES
//!   blocks (RFC 4344 §3), or the configured byte limit (1 GiB by default, RFC 4253 §9);
//!   a sealer refuses to seal, and an opener to open, the 2^32nd packet under one key,
//!   when sequence numbers would repeat.
//!
//! # Example
//!
//! ```
//! use wirecrypt::Engine;
//! use wirecrypt::ssh::{KeyMaterial, Mode, PacketOpener, PacketSealer};
//!
//! let engine = Engine::builder().build()?;
//! let mode = Mode::new("aes256-gcm@openssh.com", None)?;
//! let keys = KeyMaterial { key: &[7; 32], iv: &[9; 12], mac_key: &[] };
//! let mut sealer = PacketSealer::with_keys(&engine, mode, &keys)?;
//! let mut opener = PacketOpener::with_keys(&engine, mode, &keys)?;
//!
//! let mut wire = Vec::new();
//! sealer.seal(b"\x5eSSH_MSG_CHANNEL_DATA...", &mut wire)?;
//!
//! // Read the first bytes, learn how many follow, read exactly those, open.
//! let rest = opener.decrypt_length(&wire[..opener.header_len()])?;
//! assert_eq!(opener.header_len() + rest, wire.len());
//! let payload = opener.open(&mut wire)?;
//! assert_eq!(&wire[payload], b"\x5eSSH_MSG_CHANNEL_DATA...");
//! # Ok::<(), wirecrypt::Error>(())
//! ```

mod chacha;
mod direction;
mod limits;
mod mode;
mod opener;
mod protection;
mod reader;
mod reservation;
mod sealer;

pub use limits::{
    DEFAULT_REKEY_BYTES, KeyUsage, LENGTH_FIELD_LEN, MAX_MAX_PACKET, MAX_PACKETS_PER_KEY,
    MAX_PADDING, MIN_BLOCK_LEN, MIN_MAX_PACKET, MIN_PACKET_LEN, MIN_PADDING, PACKET_MAX_SIZE,
    PADDING_LENGTH_LEN, PacketConfig, REKEY_PACKETS, rfc4344_max_blocks,
};
pub use mode::{CIPHERS, CipherInfo, Construction, KeyLens, KeyMaterial, MACS, MacInfo, Mode};
pub use opener::PacketOpener;
pub use reader::PacketReader;
pub use reservation::{PacketReservation, PacketTicket};
pub use sealer::{PacketSealer, PaddingRng, padding_len};

#[cfg(test)]
mod appendix_a;
#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod reservation_tests;
#[cfg(test)]
mod tests;
