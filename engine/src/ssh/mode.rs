//! The SSH cipher and MAC tables, and the [`Mode`] a direction runs in.
//!
//! SSH negotiates an encryption algorithm and a MAC algorithm separately (RFC 4253 §7.1).
//! The facts about each live in one static table — [`CIPHERS`] and [`MACS`], in the
//! manner of OpenSSH's `cipher.c` and `mac.c` — and everything else (padding alignment,
//! where the length lives, how many bytes to read first, the rekey bound) is computed
//! from a row, never from a name.

use std::fmt;

use crate::Error;
use crate::algorithm::{AeadAlg, CipherAlg, MacAlg};

use super::limits::{LENGTH_FIELD_LEN, MIN_BLOCK_LEN};

/// How a cipher protects a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Construction {
    /// No protection: the state before the first `SSH_MSG_NEWKEYS` (RFC 4253 §6.3).
    None,
    /// AES-CTR (RFC 4344 §4) with a separately negotiated MAC, from the engine's provider.
    Ctr(CipherAlg),
    /// AES-GCM as `aes*-gcm@openssh.com` (RFC 5647 §7): the 4-byte length in clear as
    /// additional data, nonce = 4-byte fixed field ‖ 64-bit invocation counter.
    Gcm(AeadAlg),
    /// `chacha20-poly1305@openssh.com` (draft-ietf-sshm-chacha20-poly1305 §6): two
    /// ChaCha20 keys, the length encrypted separately, Poly1305 over the whole ciphertext.
    ChaChaPoly,
}

/// One row of the cipher table.
#[derive(Clone, Copy, Debug)]
pub struct CipherInfo {
    /// The SSH name (RFC 4253 §6.3, RFC 4344 §4, RFC 5647 §6, OpenSSH).
    pub name: &'static str,
    /// How it protects a packet.
    pub construction: Construction,
    /// The block size packets are padded to, in bytes (at least 8, RFC 4253 §6).
    pub block_len: usize,
    /// Encryption key length in bytes, as the key exchange derives it (RFC 4253 §7.2).
    pub key_len: usize,
    /// Initial IV length in bytes, as the key exchange derives it.
    pub iv_len: usize,
    /// The authentication tag it appends itself (AEAD ciphers); zero when a MAC is needed.
    pub tag_len: usize,
}

impl CipherInfo {
    /// True for ciphers that authenticate by themselves (the negotiated MAC is ignored).
    pub fn is_aead(&self) -> bool {
        self.tag_len != 0
    }

    /// True for ciphers that need a negotiated MAC (CTR).
    pub fn needs_mac(&self) -> bool {
        !self.is_aead() && self.construction != Construction::None
    }
}

/// Every cipher the SSH layer implements.
pub static CIPHERS: &[CipherInfo] = &[
    CipherInfo {
        name: "none",
        construction: Construction::None,
        block_len: MIN_BLOCK_LEN,
        key_len: 0,
        iv_len: 0,
        tag_len: 0,
    },
    CipherInfo {
        name: "aes128-ctr",
        construction: Construction::Ctr(CipherAlg::Aes128Ctr),
        block_len: 16,
        key_len: 16,
        iv_len: 16,
        tag_len: 0,
    },
    CipherInfo {
        name: "aes192-ctr",
        construction: Construction::Ctr(CipherAlg::Aes192Ctr),
        block_len: 16,
        key_len: 24,
        iv_len: 16,
        tag_len: 0,
    },
    CipherInfo {
        name: "aes256-ctr",
        construction: Construction::Ctr(CipherAlg::Aes256Ctr),
        block_len: 16,
        key_len: 32,
        iv_len: 16,
        tag_len: 0,
    },
    // RFC 5647 §7.1: a 12-byte IV (4-byte fixed field, 8-byte invocation counter).
    CipherInfo {
        name: "aes128-gcm@openssh.com",
        construction: Construction::Gcm(AeadAlg::Aes128Gcm),
        block_len: 16,
        key_len: 16,
        iv_len: 12,
        tag_len: 16,
    },
    CipherInfo {
        name: "aes256-gcm@openssh.com",
        construction: Construction::Gcm(AeadAlg::Aes256Gcm),
        block_len: 16,
        key_len: 32,
        iv_len: 12,
        tag_len: 16,
    },
    // draft-ietf-sshm-chacha20-poly1305 §6: 512 bits of key, no IV; OpenSSH pads it to
    // 8-byte blocks.
    CipherInfo {
        name: "chacha20-poly1305@openssh.com",
        construction: Construction::ChaChaPoly,
        block_len: 8,
        key_len: 64,
        iv_len: 0,
        tag_len: 16,
    },
];

/// One row of the MAC table.
#[derive(Clone, Copy, Debug)]
pub struct MacInfo {
    /// The SSH name (RFC 4253 §6.4, RFC 6668 §2, OpenSSH `PROTOCOL` §1.5 for `-etm`).
    pub name: &'static str,
    /// The HMAC, from the engine's provider.
    pub alg: MacAlg,
    /// Encrypt-then-MAC: the length stays in clear and the MAC covers the ciphertext.
    pub etm: bool,
    /// Integrity key length in bytes, as the key exchange derives it (the digest size).
    pub key_len: usize,
    /// The MAC's length on the wire (full length: no truncated MACs here).
    pub tag_len: usize,
}

macro_rules! mac_rows {
    ($(($name:literal, $etm_name:literal, $alg:expr, $len:literal)),* $(,)?) => {
        /// Every MAC the SSH layer implements, each as encrypt-and-MAC and as `-etm`.
        pub static MACS: &[MacInfo] = &[
            $(
                MacInfo { name: $name, alg: $alg, etm: false, key_len: $len, tag_len: $len },
                MacInfo { name: $etm_name, alg: $alg, etm: true, key_len: $len, tag_len: $len },
            )*
        ];
    };
}

mac_rows![
    (
        "hmac-sha2-256",
        "hmac-sha2-256-etm@openssh.com",
        MacAlg::HmacSha256,
        32
    ),
    (
        "hmac-sha2-512",
        "hmac-sha2-512-etm@openssh.com",
        MacAlg::HmacSha512,
        64
    ),
    // Legacy, for old peers (RFC 4253 §6.4 "REQUIRED" in 2006).
    (
        "hmac-sha1",
        "hmac-sha1-etm@openssh.com",
        MacAlg::HmacSha1,
        20
    ),
];

/// The key material one direction needs, as RFC 4253 §7.2 derives it: the encryption
/// key (`C`/`D`), the initial IV (`A`/`B`) and the integrity key (`E`/`F`). Lengths must
/// match [`Mode::key_lens`] exactly; unused parts are empty.
#[derive(Clone, Copy, Default)]
pub struct KeyMaterial<'a> {
    /// The encryption key.
    pub key: &'a [u8],
    /// The initial IV (CTR: the first counter block; GCM: fixed field ‖ invocation counter).
    pub iv: &'a [u8],
    /// The integrity (MAC) key.
    pub mac_key: &'a [u8],
}

impl fmt::Debug for KeyMaterial<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("key", &format_args!("[REDACTED; {}]", self.key.len()))
            .field("iv", &format_args!("[REDACTED; {}]", self.iv.len()))
            .field(
                "mac_key",
                &format_args!("[REDACTED; {}]", self.mac_key.len()),
            )
            .finish()
    }
}

/// How many bytes of each kind of key material a [`Mode`] needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyLens {
    /// Encryption key bytes.
    pub key: usize,
    /// IV bytes.
    pub iv: usize,
    /// Integrity key bytes.
    pub mac_key: usize,
}

/// A negotiated cipher and, unless the cipher authenticates by itself, a MAC: everything
/// about one direction's packet format.
#[derive(Clone, Copy)]
pub struct Mode {
    cipher: &'static CipherInfo,
    mac: Option<&'static MacInfo>,
}

impl Mode {
    /// The mode for a negotiated `cipher` and `mac`, by their SSH names.
    ///
    /// For an AEAD cipher the MAC is ignored, as OpenSSH does and as
    /// draft-ietf-sshm-chacha20-poly1305 §5 requires. CTR needs a MAC (`none` is refused:
    /// an unauthenticated CTR stream is malleable bit by bit). The `none` cipher takes no
    /// MAC.
    pub fn new(cipher: &str, mac: Option<&str>) -> Result<Mode, Error> {
        let cipher =
            CIPHERS
                .iter()
                .find(|c| c.name == cipher)
                .ok_or_else(|| Error::UnknownAlgorithm {
                    name: cipher.to_owned(),
                    valid: CIPHERS.iter().map(|c| c.name).collect(),
                })?;
        if cipher.is_aead() {
            return Ok(Mode { cipher, mac: None });
        }
        let mac = match (cipher.construction, mac) {
            (Construction::None, None | Some("none")) => None,
            (Construction::None, Some(_)) => {
                return Err(Error::Config(
                    "the none cipher is the pre-NEWKEYS state and takes no MAC".to_owned(),
                ));
            }
            (_, None | Some("none")) => {
                return Err(Error::Config(format!(
                    "{} needs a MAC; valid MACs are: {}",
                    cipher.name,
                    MACS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
                )));
            }
            (_, Some(name)) => Some(MACS.iter().find(|m| m.name == name).ok_or_else(|| {
                Error::UnknownAlgorithm {
                    name: name.to_owned(),
                    valid: MACS.iter().map(|m| m.name).collect(),
                }
            })?),
        };
        Ok(Mode { cipher, mac })
    }

    /// The unprotected mode every connection starts in.
    pub fn none() -> Mode {
        let cipher = CIPHERS
            .iter()
            .find(|c| c.construction == Construction::None)
            .expect("CIPHERS has a none row");
        Mode { cipher, mac: None }
    }

    /// Every mode this layer implements: `none`, each CTR cipher with each MAC, and the
    /// AEAD ciphers.
    pub fn all() -> impl Iterator<Item = Mode> {
        CIPHERS.iter().flat_map(|cipher| {
            let macs: Vec<Option<&'static MacInfo>> = if cipher.needs_mac() {
                MACS.iter().map(Some).collect()
            } else {
                vec![None]
            };
            macs.into_iter().map(move |mac| Mode { cipher, mac })
        })
    }

    /// The cipher's row.
    pub fn cipher(&self) -> &'static CipherInfo {
        self.cipher
    }

    /// The MAC's row, when the cipher needs one.
    pub fn mac(&self) -> Option<&'static MacInfo> {
        self.mac
    }

    /// The block size packets are aligned to: max(8, cipher block) (RFC 4253 §6).
    pub fn block_len(&self) -> usize {
        self.cipher.block_len.max(MIN_BLOCK_LEN)
    }

    /// Bytes appended after the packet: the AEAD tag or the MAC.
    pub fn tag_len(&self) -> usize {
        self.cipher.tag_len + self.mac.map_or(0, |m| m.tag_len)
    }

    /// True when the 4-byte length is excluded from block alignment and from the
    /// cipher stream of the payload: encrypt-then-MAC and the AEAD ciphers (OpenSSH
    /// `packet.c`: `aadlen`).
    pub fn length_apart(&self) -> bool {
        self.cipher.is_aead() || self.mac.is_some_and(|m| m.etm)
    }

    /// True when the length field is encrypted with the payload's cipher stream, so
    /// the first whole cipher block must be decrypted to learn it (encrypt-and-MAC CTR).
    pub(crate) fn length_in_first_block(&self) -> bool {
        !self.length_apart() && self.cipher.construction != Construction::None
    }

    /// How many bytes of a packet to read before its length can be learnt:
    /// the first cipher block for encrypt-and-MAC CTR, otherwise the 4-byte length.
    pub fn header_len(&self) -> usize {
        if self.length_in_first_block() {
            self.block_len()
        } else {
            LENGTH_FIELD_LEN
        }
    }

    /// The key material lengths this mode needs from the key exchange.
    pub fn key_lens(&self) -> KeyLens {
        KeyLens {
            key: self.cipher.key_len,
            iv: self.cipher.iv_len,
            mac_key: self.mac.map_or(0, |m| m.key_len),
        }
    }

    /// True when this is the unprotected `none` mode.
    pub fn is_none(&self) -> bool {
        self.cipher.construction == Construction::None
    }
}

impl PartialEq for Mode {
    fn eq(&self, other: &Mode) -> bool {
        self.cipher.name == other.cipher.name
            && self.mac.map(|m| m.name) == other.mac.map(|m| m.name)
    }
}

impl Eq for Mode {}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cipher.name)?;
        if let Some(mac) = self.mac {
            write!(f, " + {}", mac.name)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mode({self})")
    }
}
