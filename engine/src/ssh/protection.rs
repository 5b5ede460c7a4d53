//! One direction's keyed protection: the cryptography of a single packet, for each
//! [`Construction`]. Framing, padding, limits and sequence numbers live in the sealer and
//! opener; this module only encrypts, authenticates and checks.
//!
//! Every method takes the packet as `packet_length ‖ padding_length ‖ payload ‖ padding`
//! (`4 + packet_length` bytes) and the tag that follows it on the wire. Each call makes
//! one `match` on the construction.

use std::fmt;
use std::sync::Mutex;

use zeroize::{Zeroize, Zeroizing};

use crate::algorithm::{AeadAlg, CipherAlg};
use crate::fips::ProtocolKey;
use crate::provider::{AeadKey, MacKey, StreamCipher};
use crate::{Engine, Error, NONCE_LEN};

use super::chacha::{self, ChaChaKeys};
use super::limits::LENGTH_FIELD_LEN;
use super::mode::{Construction, KeyMaterial, Mode};

/// The largest first read ([`Mode::header_len`]): one AES block.
pub(super) const MAX_HEADER_LEN: usize = 16;

/// RFC 5647 §7.1: the IV is a 4-byte fixed field and an 8-byte invocation counter.
const GCM_FIXED_LEN: usize = 4;
const _: () = assert!(GCM_FIXED_LEN + 8 == NONCE_LEN);

/// The keyed objects of one direction.
pub(super) enum Protection {
    /// No protection.
    None,
    /// AES-CTR and an HMAC, both from the engine's provider. The keystream runs on
    /// across packets (RFC 4344 §4); [`SeekableCtr`] starts it anywhere, for packets
    /// sealed out of turn.
    Ctr {
        /// The running keystream, at `seek.position`. Only `&mut` calls use it, so the
        /// lock is never contended; it makes the protection shareable between threads.
        cipher: Mutex<Box<dyn StreamCipher>>,
        seek: SeekableCtr,
        mac: Box<dyn MacKey>,
        etm: bool,
    },
    /// AES-GCM from the engine's provider, with its RFC 5647 nonce.
    Gcm {
        key: ProtocolKey,
        fixed: [u8; GCM_FIXED_LEN],
        invocation: u64,
    },
    /// `chacha20-poly1305@openssh.com`.
    ChaChaPoly(ChaChaKeys),
}

impl Protection {
    /// Keys `mode` from `keys`, checking every length against the mode's tables.
    pub(super) fn new(engine: &Engine, mode: Mode, keys: &KeyMaterial<'_>) -> Result<Self, Error> {
        let want = mode.key_lens();
        let name = mode.cipher().name;
        check_len(name, "key", want.key, keys.key.len())?;
        check_len(name, "IV", want.iv, keys.iv.len())?;
        if let Some(mac) = mode.mac() {
            check_len(mac.name, "integrity key", want.mac_key, keys.mac_key.len())?;
        }
        Ok(match mode.cipher().construction {
            Construction::None => Protection::None,
            Construction::Ctr(alg) => {
                let mac = mode.mac().expect("Mode::new gives every CTR cipher a MAC");
                let seek = SeekableCtr::new(engine, alg, keys)?;
                Protection::Ctr {
                    cipher: Mutex::new(seek.cipher_at(0)?),
                    seek,
                    mac: engine.mac(mac.alg, keys.mac_key)?,
                    etm: mac.etm,
                }
            }
            Construction::Gcm(alg) => {
                let (fixed, invocation) = keys.iv.split_at(GCM_FIXED_LEN);
                Protection::Gcm {
                    // RFC 5647's nonce is an approved IV construction (SP 800-38D §8.2.1),
                    // so FIPS mode lets this key seal.
                    key: engine.protocol_aead(alg, keys.key)?,
                    fixed: fixed.try_into().expect("split at 4"),
                    invocation: u64::from_be_bytes(invocation.try_into().expect("8 bytes")),
                }
            }
            Construction::ChaChaPoly => {
                // The provider selected for ChaCha20-Poly1305 serves the construction's
                // pieces: `provider_for` applies FIPS mode, the error state and a forced
                // provider (with or without fallback) exactly as for the AEAD.
                let provider =
                    engine
                        .provider_for(AeadAlg::ChaCha20Poly1305)
                        .map_err(|e| match e {
                            Error::Unsupported { provider, .. } => Error::Unsupported {
                                provider,
                                algorithm: name,
                            },
                            Error::FipsNotApproved { .. } => Error::FipsNotApproved {
                                what: name,
                                rule: crate::fips::policy::ssh_cipher(name).rule,
                            },
                            other => other,
                        })?;
                Protection::ChaChaPoly(ChaChaKeys::new(
                    provider.clone(),
                    keys.key.try_into().expect("length checked above"),
                )?)
            }
        })
    }

    /// Protects `packet` in place and writes the tag or MAC into `tag`, as the next
    /// packet in turn.
    pub(super) fn seal(
        &mut self,
        seq: u32,
        packet: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), Error> {
        match self {
            Protection::Ctr {
                cipher,
                seek,
                mac,
                etm,
            } => {
                let cipher = cipher.get_mut().unwrap_or_else(|e| e.into_inner());
                ctr_seal(cipher.as_mut(), mac.as_ref(), *etm, seq, packet, tag)?;
                seek.position += ctr_span(*etm, packet.len());
                Ok(())
            }
            _ => {
                let point = self.next_point();
                self.seal_at(seq, point, packet, tag)?;
                self.skip(packet.len());
                Ok(())
            }
        }
    }

    /// Where the next packet in turn starts: its GCM invocation counter and its CTR
    /// keystream offset.
    pub(super) fn next_point(&self) -> SealPoint {
        match self {
            Protection::Gcm { invocation, .. } => SealPoint {
                invocation: *invocation,
                keystream: 0,
            },
            Protection::Ctr { seek, .. } => SealPoint {
                invocation: 0,
                keystream: seek.position,
            },
            Protection::None | Protection::ChaChaPoly(_) => SealPoint::default(),
        }
    }

    /// Passes over one packet of `packet_len` bytes (length field included) without
    /// sealing it, as if it had been: it was reserved, and is sealed at its own point by
    /// [`seal_at`](Self::seal_at). Call [`resume`](Self::resume) before sealing in turn
    /// again.
    pub(super) fn skip(&mut self, packet_len: usize) {
        match self {
            // RFC 5647 §7.1: incremented after each packet, modulo 2^64.
            Protection::Gcm { invocation, .. } => *invocation = invocation.wrapping_add(1),
            Protection::Ctr { seek, etm, .. } => seek.position += ctr_span(*etm, packet_len),
            Protection::None | Protection::ChaChaPoly(_) => {}
        }
    }

    /// Moves the running CTR keystream to where [`skip`](Self::skip) left off.
    pub(super) fn resume(&mut self) -> Result<(), Error> {
        if let Protection::Ctr { cipher, seek, .. } = self {
            *cipher.get_mut().unwrap_or_else(|e| e.into_inner()) = seek.cipher_at(seek.position)?;
        }
        Ok(())
    }

    /// Protects `packet` as the packet at `point` with sequence number `seq`, whatever
    /// has been sealed before: nothing in `self` changes, so reserved packets can be
    /// sealed on several threads at once.
    pub(super) fn seal_at(
        &self,
        seq: u32,
        point: SealPoint,
        packet: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), Error> {
        match self {
            Protection::None => Ok(()),
            Protection::Ctr { seek, mac, etm, .. } => {
                let mut cipher = seek.cipher_at(point.keystream)?;
                ctr_seal(cipher.as_mut(), mac.as_ref(), *etm, seq, packet, tag)
            }
            Protection::Gcm { key, fixed, .. } => {
                let (length, body) = packet.split_at_mut(LENGTH_FIELD_LEN);
                let nonce = gcm_nonce(fixed, point.invocation);
                let sealed = key.seal_in_place(&nonce, length, body)?;
                tag.copy_from_slice(&sealed);
                Ok(())
            }
            Protection::ChaChaPoly(keys) => {
                tag.copy_from_slice(&keys.seal(seq, packet)?);
                Ok(())
            }
        }
    }

    /// Learns the `packet_length` from the first [`Mode::header_len`] bytes.
    ///
    /// For encrypt-and-MAC CTR this decrypts the first block into `first_plain` (the
    /// keystream moves on by one block); the other constructions leave it alone.
    pub(super) fn packet_length(
        &mut self,
        seq: u32,
        first: &[u8],
        first_plain: &mut [u8; MAX_HEADER_LEN],
    ) -> Result<u32, Error> {
        let mut length = [0u8; LENGTH_FIELD_LEN];
        length.copy_from_slice(&first[..LENGTH_FIELD_LEN]);
        match self {
            Protection::Ctr {
                cipher, etm: false, ..
            } => {
                let block = &mut first_plain[..first.len()];
                block.copy_from_slice(first);
                let cipher = cipher.get_mut().unwrap_or_else(|e| e.into_inner());
                cipher.apply_keystream(block)?;
                length.copy_from_slice(&block[..LENGTH_FIELD_LEN]);
            }
            Protection::ChaChaPoly(keys) => keys.crypt_length(seq, &mut length)?,
            Protection::None | Protection::Ctr { .. } | Protection::Gcm { .. } => {}
        }
        Ok(u32::from_be_bytes(length))
    }

    /// Authenticates and decrypts `packet` in place: afterwards it holds the packet in
    /// clear, length field included. `first_plain` is what [`packet_length`] decrypted.
    ///
    /// Authenticated constructions check the tag before decrypting anything, except
    /// encrypt-and-MAC CTR, where the MAC covers the plaintext and must come last. The
    /// caller wipes `packet` on failure.
    ///
    /// [`packet_length`]: Protection::packet_length
    pub(super) fn open(
        &mut self,
        seq: u32,
        packet: &mut [u8],
        tag: &[u8],
        first_plain: &[u8],
    ) -> Result<(), Error> {
        match self {
            Protection::None => Ok(()),
            Protection::Ctr {
                cipher,
                mac,
                etm: false,
                ..
            } => {
                let cipher = cipher.get_mut().unwrap_or_else(|e| e.into_inner());
                let (first, rest) = packet.split_at_mut(first_plain.len());
                cipher.apply_keystream(rest)?;
                first.copy_from_slice(first_plain);
                mac.verify_parts(&[&seq.to_be_bytes(), packet], tag)
            }
            Protection::Ctr {
                cipher,
                mac,
                etm: true,
                ..
            } => {
                mac.verify_parts(&[&seq.to_be_bytes(), packet], tag)?;
                let cipher = cipher.get_mut().unwrap_or_else(|e| e.into_inner());
                cipher.apply_keystream(&mut packet[LENGTH_FIELD_LEN..])
            }
            Protection::Gcm {
                key,
                fixed,
                invocation,
            } => {
                let (length, body) = packet.split_at_mut(LENGTH_FIELD_LEN);
                key.open_in_place(&gcm_nonce(fixed, *invocation), length, body, tag)?;
                *invocation = invocation.wrapping_add(1);
                Ok(())
            }
            Protection::ChaChaPoly(keys) => keys.open(seq, packet, tag),
        }
    }
}

/// Where one packet's protection starts, besides its sequence number: what a packet
/// sealed out of turn needs to know of the packets before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct SealPoint {
    /// AES-GCM's invocation counter (RFC 5647 §7.1).
    invocation: u64,
    /// AES-CTR: how many keystream bytes the packets before it used.
    keystream: u128,
}

/// An AES-CTR keystream that starts at any byte offset: SSH's CTR modes run one
/// keystream across packets (RFC 4344 §4), so a packet sealed out of turn starts where
/// the packets before it — whose lengths a reservation fixes up front — leave off. The
/// counter block for offset `o` is IV + ⌊o / 16⌋ mod 2^128 (RFC 4344 §4's big-endian
/// counter), with `o mod 16` bytes of that block already spent. It keeps the key and IV
/// (zeroized on drop) to key a cipher there.
pub(super) struct SeekableCtr {
    engine: Engine,
    alg: CipherAlg,
    key: Zeroizing<Vec<u8>>,
    iv: Zeroizing<[u8; CTR_BLOCK]>,
    /// Keystream bytes used by the packets sealed or reserved so far.
    position: u128,
}

/// The AES block, and the IV of SSH's CTR modes.
const CTR_BLOCK: usize = 16;

impl SeekableCtr {
    fn new(engine: &Engine, alg: CipherAlg, keys: &KeyMaterial<'_>) -> Result<Self, Error> {
        let iv: [u8; CTR_BLOCK] = keys.iv.try_into().map_err(|_| Error::InvalidNonceLength {
            algorithm: alg.id(),
            expected: CTR_BLOCK,
            actual: keys.iv.len(),
        })?;
        Ok(SeekableCtr {
            engine: engine.clone(),
            alg,
            key: Zeroizing::new(keys.key.to_vec()),
            iv: Zeroizing::new(iv),
            position: 0,
        })
    }

    /// A cipher from the engine's provider whose keystream starts `offset` bytes in.
    fn cipher_at(&self, offset: u128) -> Result<Box<dyn StreamCipher>, Error> {
        let block = CTR_BLOCK as u128;
        let counter = u128::from_be_bytes(*self.iv).wrapping_add(offset / block);
        let mut counter = Zeroizing::new(counter.to_be_bytes());
        let mut cipher = self.engine.cipher(self.alg, &self.key, &counter[..])?;
        counter.zeroize();
        let mut spent = Zeroizing::new([0u8; CTR_BLOCK]);
        cipher.apply_keystream(&mut spent[..(offset % block) as usize])?;
        Ok(cipher)
    }
}

/// The keystream one CTR packet of `packet_len` bytes (length field included) uses:
/// encrypt-then-MAC leaves the length field in clear.
fn ctr_span(etm: bool, packet_len: usize) -> u128 {
    let clear = if etm { LENGTH_FIELD_LEN } else { 0 };
    (packet_len - clear) as u128
}

/// Seals one CTR packet with `cipher` at its position: encrypt-then-MAC or
/// encrypt-and-MAC (RFC 4253 §6.4, OpenSSH `PROTOCOL` §1.7).
fn ctr_seal(
    cipher: &mut dyn StreamCipher,
    mac: &dyn MacKey,
    etm: bool,
    seq: u32,
    packet: &mut [u8],
    tag: &mut [u8],
) -> Result<(), Error> {
    let seq = seq.to_be_bytes();
    if etm {
        cipher.apply_keystream(&mut packet[LENGTH_FIELD_LEN..])?;
        tag.copy_from_slice(mac.sign_parts(&[&seq, packet])?.as_ref());
    } else {
        tag.copy_from_slice(mac.sign_parts(&[&seq, packet])?.as_ref());
        cipher.apply_keystream(packet)?;
    }
    Ok(())
}

/// Checks one piece of key material's length.
fn check_len(
    algorithm: &'static str,
    what: &str,
    expected: usize,
    actual: usize,
) -> Result<(), Error> {
    if expected == actual {
        return Ok(());
    }
    Err(if what == "IV" {
        Error::InvalidNonceLength {
            algorithm,
            expected,
            actual,
        }
    } else {
        Error::InvalidKeyLength {
            algorithm,
            expected,
            actual,
        }
    })
}

/// RFC 5647 §7.1: nonce = fixed field ‖ invocation counter (big-endian).
fn gcm_nonce(fixed: &[u8; GCM_FIXED_LEN], invocation: u64) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..GCM_FIXED_LEN].copy_from_slice(fixed);
    nonce[GCM_FIXED_LEN..].copy_from_slice(&invocation.to_be_bytes());
    nonce
}

impl Drop for Protection {
    fn drop(&mut self) {
        if let Protection::Gcm {
            fixed, invocation, ..
        } = self
        {
            fixed.zeroize();
            invocation.zeroize();
        }
    }
}

impl fmt::Debug for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protection::None => f.write_str("None"),
            Protection::Ctr {
                cipher, mac, etm, ..
            } => f
                .debug_struct("Ctr")
                .field("cipher", cipher)
                .field("mac", mac)
                .field("etm", etm)
                .finish(),
            Protection::Gcm { key, .. } => f
                .debug_struct("Gcm")
                .field("key", key)
                .field("iv", &"[REDACTED]")
                .finish(),
            Protection::ChaChaPoly(keys) => f.debug_tuple("ChaChaPoly").field(keys).finish(),
        }
    }
}

const _: () = assert!(chacha::KEY_LEN == 64);
