//! [`RecordError`]: the record path's small, `Copy` error.

use crate::Error;

/// What the caller of a record or packet call should do about a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The connection is over: send the alert or disconnect, and close.
    Fatal,
    /// The key has reached its limit: rekey (TLS KeyUpdate, SSH key exchange) and go on.
    RekeyNow,
    /// A buffer was too small: nothing happened; give a larger one and call again.
    BufferTooSmall,
    /// The call broke the API's rules (a bug in the caller).
    Bug,
}

/// A failure on the record path: small and `Copy`, so it costs nothing to return and
/// can be kept by a direction that has failed. [`Error`] (via `From`) carries the full
/// message; [`class`](RecordError::class) says what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A tag or MAC did not verify (deliberately opaque).
    #[error("authentication failed: the data or its tag was altered, or the key is wrong")]
    AuthenticationFailed,
    /// A record, packet or decrypted field is over its limit.
    #[error("record overflow: {what} is {length} bytes, the limit is {max}")]
    Overflow {
        /// What was too long.
        what: &'static str,
        /// Its length.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// A record or packet is malformed.
    #[error("malformed record: {0}")]
    Malformed(&'static str),
    /// A record that must not appear here.
    #[error("unexpected message: {0}")]
    Unexpected(&'static str),
    /// The key has protected all it may: rekey.
    #[error("{what} has protected {count} records or packets, its limit: rekey first")]
    RekeyRequired {
        /// The algorithm or cipher.
        what: &'static str,
        /// How many it protected.
        count: u64,
    },
    /// The sequence number space is used up.
    #[error("sequence numbers exhausted: the connection must be closed")]
    SequenceExhausted,
    /// An output buffer was too small.
    #[error("buffer too small: need {needed} bytes, have {actual}")]
    BufferTooSmall {
        /// The bytes needed.
        needed: usize,
        /// The bytes given.
        actual: usize,
    },
    /// The keyed object could not compute (the engine's error state, a token that went
    /// away, the padding generator): the connection is over.
    #[error("the key could not compute: {0}")]
    KeyFailed(&'static str),
    /// The call broke the API's rules.
    #[error("misuse: {0}")]
    Misuse(&'static str),
}

impl RecordError {
    /// What to do about it.
    pub fn class(self) -> ErrorClass {
        match self {
            RecordError::RekeyRequired { .. } => ErrorClass::RekeyNow,
            RecordError::BufferTooSmall { .. } => ErrorClass::BufferTooSmall,
            RecordError::Misuse(_) => ErrorClass::Bug,
            RecordError::AuthenticationFailed
            | RecordError::Overflow { .. }
            | RecordError::Malformed(_)
            | RecordError::Unexpected(_)
            | RecordError::SequenceExhausted
            | RecordError::KeyFailed(_) => ErrorClass::Fatal,
        }
    }

    /// The record-path form of an engine error (cold: only on failure).
    pub(crate) fn from_error(e: &Error) -> RecordError {
        match *e {
            Error::AuthenticationFailed => RecordError::AuthenticationFailed,
            Error::RecordOverflow { what, length, max } => {
                RecordError::Overflow { what, length, max }
            }
            Error::Malformed(m) => RecordError::Malformed(m),
            Error::UnexpectedMessage(m) => RecordError::Unexpected(m),
            Error::KeyUpdateRequired { algorithm, records } => RecordError::RekeyRequired {
                what: algorithm,
                count: records,
            },
            Error::RekeyRequired { cipher, packets } => RecordError::RekeyRequired {
                what: cipher,
                count: packets,
            },
            Error::SequenceExhausted => RecordError::SequenceExhausted,
            Error::BufferTooSmall { needed, actual } => {
                RecordError::BufferTooSmall { needed, actual }
            }
            Error::InputTooShort { .. } => RecordError::Malformed("record or packet too short"),
            Error::FipsNotApproved { what, .. } => RecordError::KeyFailed(what),
            Error::SelfTestFailed(_) => {
                RecordError::KeyFailed("the engine is in its FIPS error state")
            }
            Error::Rng(_) => RecordError::KeyFailed("the random generator failed"),
            Error::Config(_) => RecordError::Misuse("invalid call or configuration"),
            _ => RecordError::KeyFailed("the provider failed"),
        }
    }
}

impl From<&Error> for RecordError {
    fn from(e: &Error) -> Self {
        RecordError::from_error(e)
    }
}

impl From<Error> for RecordError {
    fn from(e: Error) -> Self {
        RecordError::from_error(&e)
    }
}

impl From<RecordError> for Error {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::AuthenticationFailed => Error::AuthenticationFailed,
            RecordError::Overflow { what, length, max } => {
                Error::RecordOverflow { what, length, max }
            }
            RecordError::Malformed(m) => Error::Malformed(m),
            RecordError::Unexpected(m) => Error::UnexpectedMessage(m),
            RecordError::RekeyRequired { what, count } => Error::KeyUpdateRequired {
                algorithm: what,
                records: count,
            },
            RecordError::SequenceExhausted => Error::SequenceExhausted,
            RecordError::BufferTooSmall { needed, actual } => {
                Error::BufferTooSmall { needed, actual }
            }
            RecordError::KeyFailed(what) => Error::SelfTestFailed(format!(
                "the record path failed earlier ({what}); the connection is over"
            )),
            RecordError::Misuse(m) => Error::Config(m.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_copy_and_classed() {
        assert!(std::mem::size_of::<RecordError>() <= 40);
        let e = RecordError::BufferTooSmall {
            needed: 9,
            actual: 3,
        };
        let copy = e;
        assert_eq!(copy.class(), ErrorClass::BufferTooSmall);
        assert_eq!(
            RecordError::from(Error::AuthenticationFailed).class(),
            ErrorClass::Fatal
        );
        assert_eq!(
            RecordError::from(Error::RekeyRequired {
                cipher: "aes128-ctr",
                packets: 1
            })
            .class(),
            ErrorClass::RekeyNow
        );
        assert_eq!(RecordError::Misuse("x").class(), ErrorClass::Bug);
        // The rich form keeps the message.
        let rich: Error = RecordError::Overflow {
            what: "record",
            length: 5,
            max: 4,
        }
        .into();
        assert!(rich.to_string().contains("5 bytes"), "{rich}");
    }
}
