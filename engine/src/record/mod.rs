//! What the TLS record layer and the SSH packet layer share: one direction's sequence
//! numbers, key-usage limit and failed state ([`Direction`]), the small error of the
//! record path ([`RecordError`]), and the shapes of batch calls ([`Opened`], [`Progress`]).
//!
//! # The data path
//!
//! A sender asks its sealer where each payload goes in its wire buffer (`slots`), reads
//! file data straight into those slots, and seals the whole batch in one call
//! (`seal_batch`), which writes headers, padding and tags around the payloads and returns
//! the wire length for one write. A receiver hands its receive buffer to the opener
//! (`open_buffer`), which opens as many whole records or packets as it holds, in place,
//! and reports each payload's range and how many more bytes the next one needs.

mod direction;
mod error;

pub(crate) use direction::{Direction, new_epoch};
pub use direction::{Reservation, Ticket};
pub use error::{ErrorClass, RecordError};

use std::ops::Range;

/// One record or packet opened in the caller's buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The TLS content type, or for SSH the message number (the payload's first byte).
    pub kind: u8,
    /// Where the payload lies in the buffer given to `open_buffer`.
    pub payload: Range<usize>,
}

/// How far an `open_buffer` call got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Bytes at the front of the buffer that held whole records or packets, all opened.
    pub consumed: usize,
    /// How many more bytes past the end of the buffer the next record or packet needs
    /// before it can be opened (at least 1), or 0 when the call stopped early — at a
    /// record that may change keys (a TLS handshake record, SSH's `SSH_MSG_NEWKEYS`), or
    /// at the most records it was asked to open: handle them, then call again on the rest.
    pub needed: usize,
}
