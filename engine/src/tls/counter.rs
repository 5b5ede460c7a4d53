//! Sequence numbers and key usage, shared by the TLS 1.3 and 1.2 sealers and openers.

use super::limits::{confidentiality_limit, key_update_margin};
use crate::Error;
use crate::algorithm::AeadAlg;

/// Usage accounting shared by the TLS 1.3 and 1.2 sealers: the next sequence number and
/// the key's confidentiality limit.
///
/// The nonce is a function of the sequence number, so a number must never be sealed
/// twice under one key: the counter remembers the first number above every one sealed
/// and refuses to seal below it, even after [`resume_at`](Self::resume_at) moves back.
#[derive(Debug)]
pub(crate) struct SendCounter {
    seq: u64,
    /// Every number below this has (or may have) been sealed under this key.
    unused_from: u64,
    alg: AeadAlg,
}

impl SendCounter {
    pub(crate) fn new(alg: AeadAlg, seq: u64) -> Self {
        SendCounter {
            seq,
            unused_from: 0,
            alg,
        }
    }

    /// Continues at `seq`; numbers already sealed stay refused.
    pub(crate) fn resume_at(&mut self, seq: u64) {
        self.seq = seq;
    }

    /// The sequence number for the next record, refusing past the key's limits and any
    /// number already sealed.
    pub(crate) fn next(&self) -> Result<u64, Error> {
        // The last value is never used, so a sequence number can never wrap.
        if self.seq == u64::MAX {
            return Err(Error::SequenceExhausted);
        }
        if self.seq < self.unused_from {
            return Err(Error::Config(format!(
                "TLS sequence number {} was already sealed under this key (the next unused \
                 is {}); a repeated sequence number repeats the nonce",
                self.seq, self.unused_from
            )));
        }
        if self.seq >= confidentiality_limit(self.alg) {
            return Err(Error::KeyUpdateRequired {
                algorithm: self.alg.id(),
                records: self.seq,
            });
        }
        Ok(self.seq)
    }

    /// Records that the number [`next`](Self::next) returned has been used.
    pub(crate) fn advance(&mut self) {
        self.seq += 1;
        self.unused_from = self.seq;
    }

    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }

    pub(crate) fn needs_key_update(&self) -> bool {
        self.seq >= confidentiality_limit(self.alg) - key_update_margin(self.alg)
    }
}

/// The next receive sequence number, refusing to wrap.
pub(crate) fn next_receive(seq: u64) -> Result<u64, Error> {
    seq.checked_add(1).ok_or(Error::SequenceExhausted)
}
