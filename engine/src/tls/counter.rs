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

/// Whether a TLS opener may still open: a record that fails to open ends the connection
/// (RFC 8446 §5.2: bad_record_mac, then close), so the first such failure is kept and
/// returned for every later record. Otherwise a caller that retried would give a forger
/// unlimited attempts at one nonce.
#[derive(Debug, Default)]
pub(crate) struct ReceiveState {
    failed: Option<Error>,
}

impl ReceiveState {
    /// `Ok` until a record has failed.
    pub(crate) fn check(&self) -> Result<(), Error> {
        match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Fails for good with `e`, and returns it.
    pub(crate) fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e.clone());
        e
    }

    /// Splits a record's header: a hostile length field is fatal like any bad record;
    /// a buffer that is not exactly one record is the caller's framing, reported alone.
    pub(crate) fn parse_header(
        &mut self,
        record: &[u8],
        max_body: usize,
    ) -> Result<(u8, u16, usize), Error> {
        super::parse_header(record, max_body).map_err(|e| match e {
            Error::RecordOverflow { .. } => self.fail(e),
            other => other,
        })
    }
}
