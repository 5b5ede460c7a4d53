//! Sequence numbers and key usage, shared by the TLS 1.3 and 1.2 sealers and openers.

use super::limits::{confidentiality_limit, key_update_margin};
use crate::Error;
use crate::algorithm::AeadAlg;

/// Usage accounting shared by the TLS 1.3 and 1.2 sealers: the next sequence number and
/// the key's confidentiality limit.
#[derive(Debug)]
pub(crate) struct SendCounter {
    seq: u64,
    alg: AeadAlg,
}

impl SendCounter {
    pub(crate) fn new(alg: AeadAlg, seq: u64) -> Self {
        SendCounter { seq, alg }
    }

    /// The sequence number for the next record, refusing past the key's limits.
    pub(crate) fn next(&self) -> Result<u64, Error> {
        // The last value is never used, so a sequence number can never wrap.
        if self.seq == u64::MAX {
            return Err(Error::SequenceExhausted);
        }
        if self.seq >= confidentiality_limit(self.alg) {
            return Err(Error::KeyUpdateRequired {
                algorithm: self.alg.id(),
                records: self.seq,
            });
        }
        Ok(self.seq)
    }

    pub(crate) fn advance(&mut self) {
        self.seq += 1;
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
