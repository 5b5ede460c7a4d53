//! [`Direction`]: one direction's sequence numbers, key usage and failed state, written
//! once for TLS 1.3, TLS 1.2 and SSH; and [`Reservation`]s of sequence numbers.

use std::sync::atomic::{AtomicU64, Ordering};

use super::RecordError;

/// Every key a direction takes gets a number unique in the process, so a reservation
/// made under one key can never seal under another (or in another direction).
static EPOCHS: AtomicU64 = AtomicU64::new(1);

/// A number no other key in the process has.
pub(crate) fn new_epoch() -> u64 {
    EPOCHS.fetch_add(1, Ordering::Relaxed)
}

/// One direction of a connection: the next sequence number, how many records or
/// packets the current key has protected and may protect, and whether the direction has
/// failed (a failure is final: every later call returns it).
#[derive(Debug)]
pub(crate) struct Direction {
    /// The next sequence number. SSH puts its low 32 bits on the wire (RFC 4253 §6.4
    /// lets them wrap); TLS uses all 64, and the last value is never used.
    next: u64,
    /// Records or packets protected under the current key.
    used: u64,
    /// How many the current key may protect.
    limit: u64,
    /// For sealers: every number below this has been sealed under the current key, and
    /// is refused even if [`set_next`](Self::set_next) moves back (the nonce is a
    /// function of the sequence number). Openers leave it at 0.
    unused_from: u64,
    /// Whether this direction seals (and so guards against reuse).
    sealing: bool,
    /// The algorithm or cipher, for the limit's error.
    what: &'static str,
    /// The current key's number (see [`EPOCHS`]).
    epoch: u64,
    failed: Option<RecordError>,
}

impl Direction {
    /// A direction at sequence number `next`, its key allowed `limit` records; a sealing
    /// one refuses to use a sequence number twice under one key.
    pub(crate) fn new(what: &'static str, limit: u64, next: u64, sealing: bool) -> Self {
        Direction {
            next,
            used: 0,
            limit,
            unused_from: 0,
            sealing,
            what,
            epoch: new_epoch(),
            failed: None,
        }
    }

    /// `Err` once the direction has failed.
    pub(crate) fn check(&self) -> Result<(), RecordError> {
        match self.failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The first of the next `n` sequence numbers, if the direction is sound, the key may
    /// protect `n` more and the sequence space holds them. Nothing changes until
    /// [`advance`](Self::advance).
    pub(crate) fn peek(&self, n: u64) -> Result<u64, RecordError> {
        self.check()?;
        if self.next < self.unused_from {
            return Err(RecordError::Misuse(
                "this sequence number was already sealed under this key \
                 (a repeated sequence number repeats the nonce)",
            ));
        }
        if self.used.saturating_add(n) > self.limit {
            return Err(RecordError::RekeyRequired {
                what: self.what,
                count: self.used,
            });
        }
        // The last value is never used, so a sequence number never wraps.
        match self.next.checked_add(n) {
            Some(_) => Ok(self.next),
            None => Err(RecordError::SequenceExhausted),
        }
    }

    /// Uses up `n` sequence numbers (after [`peek`](Self::peek) allowed them).
    pub(crate) fn advance(&mut self, n: u64) {
        self.next += n;
        self.used += n;
        if self.sealing {
            self.unused_from = self.unused_from.max(self.next);
        }
    }

    /// Fails the direction for good (the first failure is kept) and returns the error.
    pub(crate) fn fail(&mut self, e: RecordError) -> RecordError {
        *self.failed.get_or_insert(e)
    }

    /// A new key, as at a TLS KeyUpdate or SSH's `SSH_MSG_NEWKEYS`: usage starts again
    /// under the new limit, and earlier reservations become void. A failure stays.
    #[cfg_attr(not(test), expect(dead_code))]
    pub(crate) fn rekey(&mut self, what: &'static str, limit: u64) {
        self.used = 0;
        self.unused_from = 0;
        self.limit = limit;
        self.what = what;
        self.epoch = new_epoch();
    }

    /// Sets the next sequence number.
    pub(crate) fn set_next(&mut self, next: u64) {
        self.next = next;
    }

    /// Sets how many the current key has protected (TLS: its sequence number, since
    /// a key's numbers start at 0).
    pub(crate) fn set_used(&mut self, used: u64) {
        self.used = used;
    }

    /// The next sequence number.
    pub(crate) fn next(&self) -> u64 {
        self.next
    }

    /// Records or packets protected under the current key.
    #[cfg_attr(not(test), expect(dead_code))]
    pub(crate) fn used(&self) -> u64 {
        self.used
    }

    /// Reserves the next `n` sequence numbers for sealing elsewhere (see
    /// [`Reservation`]); they count as used at once.
    pub(crate) fn reserve(&mut self, n: u64) -> Result<Reservation, RecordError> {
        let first = self.peek(n)?;
        self.advance(n);
        Ok(Reservation {
            epoch: self.epoch,
            next: first,
            end: first + n,
        })
    }

    /// Checks that `ticket` was handed out under the current key of this direction.
    pub(crate) fn redeem(&self, ticket: &Ticket) -> Result<u64, RecordError> {
        self.check()?;
        if ticket.epoch != self.epoch {
            return Err(RecordError::Misuse(
                "a reserved sequence number from another key or direction",
            ));
        }
        Ok(ticket.seq)
    }
}

/// Sequence numbers reserved from a sealer, to be sealed on other threads while one
/// writer emits the records in order: one connection on several cores.
///
/// Hand out its [`Ticket`]s (one per sequence number, in order) to workers; each ticket
/// seals exactly one record and is consumed doing so, so no sequence number — no nonce —
/// can be used twice. Tickets die with the key they were reserved under: after a key
/// change they are refused.
#[derive(Debug)]
pub struct Reservation {
    epoch: u64,
    next: u64,
    end: u64,
}

impl Reservation {
    /// How many tickets remain.
    pub fn len(&self) -> usize {
        (self.end - self.next) as usize
    }

    /// True when every ticket has been taken.
    pub fn is_empty(&self) -> bool {
        self.next == self.end
    }
}

impl Iterator for Reservation {
    type Item = Ticket;

    fn next(&mut self) -> Option<Ticket> {
        (self.next < self.end).then(|| {
            self.next += 1;
            Ticket {
                epoch: self.epoch,
                seq: self.next - 1,
            }
        })
    }
}

/// One reserved sequence number: seals one record, once (it is not `Clone`).
#[derive(Debug, PartialEq, Eq)]
pub struct Ticket {
    epoch: u64,
    seq: u64,
}

impl Ticket {
    /// The sequence number it stands for.
    pub fn sequence(&self) -> u64 {
        self.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_failure_and_reservations() {
        let mut d = Direction::new("aes-128-gcm", 3, 10, true);
        assert_eq!(d.peek(3), Ok(10));
        assert!(matches!(d.peek(4), Err(RecordError::RekeyRequired { .. })));
        let mut r = d.reserve(2).unwrap();
        assert_eq!(d.next(), 12);
        let t = r.next().unwrap();
        assert_eq!(d.redeem(&t), Ok(10));
        assert_eq!(r.len(), 1);
        d.rekey("aes-128-gcm", 3);
        assert!(
            d.redeem(&r.next().unwrap()).is_err(),
            "void after a key change"
        );
        assert_eq!(d.used(), 0);
        let e = d.fail(RecordError::AuthenticationFailed);
        assert_eq!(d.fail(RecordError::SequenceExhausted), e, "first kept");
        assert_eq!(d.peek(1), Err(e));

        let other = Direction::new("x", 9, 10, true);
        let mut d = Direction::new("x", 9, 10, true);
        let t = d.reserve(1).unwrap().next().unwrap();
        assert!(other.redeem(&t).is_err(), "tickets are per direction");

        d.set_next(10);
        assert!(matches!(d.peek(1), Err(RecordError::Misuse(_))), "no reuse");
        d.set_next(11);
        assert_eq!(d.peek(1), Ok(11));

        let d = Direction::new("x", u64::MAX, u64::MAX - 2, true);
        assert_eq!(d.peek(2), Ok(u64::MAX - 2));
        assert_eq!(d.peek(3), Err(RecordError::SequenceExhausted));
    }
}
