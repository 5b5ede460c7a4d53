//! [`SshDirection`]: what an SSH sealer and opener share — the mode and its keyed
//! protection, the size limits, the sequence number (and one pending for the next keys)
//! and the current key's usage — written once, with the public methods both offer
//! ([`direction_methods!`]).

use crate::record::new_epoch;
use crate::{Engine, Error};

use super::limits::{KeyUsage, MAX_PACKETS_PER_KEY, PacketConfig};
use super::mode::{KeyMaterial, Mode};
use super::protection::Protection;

/// One direction's keyed state.
pub(super) struct SshDirection {
    pub(super) engine: Engine,
    pub(super) mode: Mode,
    pub(super) protection: Protection,
    pub(super) config: PacketConfig,
    pub(super) seq: u32,
    /// A sequence number to take with the next keys (see `reset_sequence`).
    pub(super) pending_seq: Option<u32>,
    pub(super) usage: KeyUsage,
    /// The current keys' number, unique in the process: a reserved packet is sealed
    /// only under the keys it was reserved under.
    pub(super) epoch: u64,
}

impl SshDirection {
    /// The `none` mode at sequence number 0, with the default [`PacketConfig`].
    pub(super) fn new(engine: &Engine) -> Self {
        SshDirection {
            engine: engine.clone(),
            mode: Mode::none(),
            protection: Protection::None,
            config: PacketConfig::default(),
            seq: 0,
            pending_seq: None,
            usage: KeyUsage::default(),
            epoch: new_epoch(),
        }
    }

    /// Moves the sequence number only where no key can take a number twice: at once when
    /// the current keys have protected nothing, otherwise with the next keys.
    pub(super) fn set_sequence(&mut self, seq: u32) {
        if self.mode.is_none() || self.usage.packets == 0 {
            self.seq = seq;
            self.pending_seq = None;
        } else {
            self.pending_seq = Some(seq);
        }
    }

    /// Takes new keys; on error the old ones stay.
    pub(super) fn install_keys(&mut self, mode: Mode, keys: &KeyMaterial<'_>) -> Result<(), Error> {
        self.protection = Protection::new(&self.engine, mode, keys)?;
        self.mode = mode;
        self.usage = KeyUsage::default();
        self.epoch = new_epoch();
        if let Some(seq) = self.pending_seq.take() {
            self.seq = seq;
        }
        Ok(())
    }

    /// The key's packet or block limit (RFC 4344 §3) is near: rekey.
    pub(super) fn needs_rekey(&self) -> bool {
        !self.mode.is_none()
            && self
                .usage
                .needs_rekey(self.config.max_blocks(self.mode.block_len()))
    }

    /// Refuses the 2^32nd packet under one key: its sequence number — the MAC's input,
    /// the chacha20-poly1305 nonce — would repeat.
    pub(super) fn check_packet_limit(&self, more: u64) -> Result<(), Error> {
        if !self.mode.is_none() && self.usage.packets + more > MAX_PACKETS_PER_KEY {
            return Err(Error::RekeyRequired {
                cipher: self.mode.cipher().name,
                packets: self.usage.packets,
            });
        }
        Ok(())
    }

    /// One packet of `packet_len` bytes went through.
    pub(super) fn record(&mut self, packet_len: usize) {
        self.seq = self.seq.wrapping_add(1);
        self.usage.record(packet_len, self.mode.block_len());
    }
}

impl std::fmt::Debug for SshDirection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshDirection")
            .field("mode", &self.mode)
            .field("protection", &self.protection)
            .field("seq", &self.seq)
            .field("pending_seq", &self.pending_seq)
            .field("usage", &self.usage)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The public methods a sealer and an opener share, on a type with a `dir` field;
/// `$did` is "sealed" or "opened".
macro_rules! direction_methods {
    ($did:literal) => {
        /// Replaces the size limits and rekey policy.
        pub fn with_config(mut self, config: PacketConfig) -> Self {
            self.dir.config = config;
            self
        }

        #[doc = concat!(
            "Continues at sequence number `seq` (a connection handed over mid-stream) — at ",
            "once when the current keys have ", $did, " nothing, otherwise from the next keys ",
            "on (see [`reset_sequence`](Self::reset_sequence))."
        )]
        pub fn with_sequence(mut self, seq: u32) -> Self {
            self.dir.set_sequence(seq);
            self
        }

        /// Resets the sequence number to zero: strict key exchange does this at every
        /// `SSH_MSG_NEWKEYS` (OpenSSH `PROTOCOL` §1.10 "kex-strict", the Terrapin fix,
        /// CVE-2023-48795).
        ///
        /// The reset goes only with new keys, since a key must never take one sequence
        /// number twice (`chacha20-poly1305@openssh.com` uses it as the nonce; an opener
        /// would accept a replay): it happens at once when the current keys have
        /// protected nothing (just installed, or the `none` mode), otherwise at the next
        /// [`install_keys`](Self::install_keys). Either order around `install_keys`
        /// works.
        pub fn reset_sequence(&mut self) {
            self.dir.set_sequence(0);
        }

        #[doc = concat!("The mode packets are ", $did, " in.")]
        pub fn mode(&self) -> Mode {
            self.dir.mode
        }

        /// The sequence number the next packet carries.
        pub fn sequence(&self) -> u32 {
            self.dir.seq
        }

        /// The size limits and rekey policy.
        pub fn config(&self) -> &PacketConfig {
            &self.dir.config
        }

        #[doc = concat!("What the current key has ", $did, ".")]
        pub fn usage(&self) -> KeyUsage {
            self.dir.usage
        }

        #[doc = concat!(
            "True when the current key has ", $did, " 2^31 packets (RFC 4344 §3.1) or its ",
            "block limit (RFC 4344 §3.2, lowered by the configured byte limit): start a key ",
            "exchange. Always false in the `none` mode."
        )]
        pub fn needs_rekey(&self) -> bool {
            self.dir.needs_rekey()
        }

        /// Pretends the key has already done what `usage` says (to reach the limits).
        #[cfg(test)]
        pub(super) fn set_usage(&mut self, usage: KeyUsage) {
            self.dir.usage = usage;
        }
    };
}

pub(super) use direction_methods;
