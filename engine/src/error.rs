//! The engine's one error type.

use crate::ProviderId;

/// Everything that can go wrong in the engine. Messages say what happened and what to do.
///
/// Authentication failures are deliberately opaque: [`Error::AuthenticationFailed`] does
/// not say which check failed, so it cannot serve as an oracle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `WIRECRYPT_PROVIDER` or the builder named a provider this build does not know.
    #[error("unknown provider '{requested}'; valid provider ids are: {}", valid.join(", "))]
    UnknownProvider {
        /// What was asked for.
        requested: String,
        /// Every provider id this build knows.
        valid: Vec<&'static str>,
    },
    /// A provider was forced but cannot run on this machine.
    #[error(
        "provider '{id}' was requested but is unavailable here: {reason}; run `wirecrypt probe` to see what this machine offers"
    )]
    ProviderUnavailable {
        /// The provider asked for.
        id: ProviderId,
        /// What is missing.
        reason: String,
    },
    /// The forced provider does not implement this algorithm and fallback is off.
    #[error(
        "provider '{provider}' does not implement {algorithm}; choose another provider or allow fallback"
    )]
    Unsupported {
        /// The provider asked.
        provider: ProviderId,
        /// The algorithm's id.
        algorithm: &'static str,
    },
    /// No provider available here implements the algorithm.
    #[error("no available provider implements {algorithm}")]
    NoProvider {
        /// The algorithm's id.
        algorithm: &'static str,
    },
    /// An algorithm name that is not in the catalogue.
    #[error("unknown algorithm '{name}'; valid names are: {}", valid.join(", "))]
    UnknownAlgorithm {
        /// What was asked for.
        name: String,
        /// The valid names.
        valid: Vec<&'static str>,
    },
    /// FIPS mode refuses this algorithm or use.
    #[error("FIPS mode refuses {what}: {rule}")]
    FipsNotApproved {
        /// What was refused (an algorithm id, or a use such as a caller-chosen GCM IV).
        what: &'static str,
        /// The rule that refuses it, and its source.
        rule: &'static str,
    },
    /// A self-test failed: the engine is in its error state and refuses every operation.
    #[error("self-test failure, the engine is in its error state and refuses every operation: {0}")]
    SelfTestFailed(String),
    /// A key of the wrong length.
    #[error("{algorithm} needs a {expected}-byte key, got {actual} bytes")]
    InvalidKeyLength {
        /// The algorithm's id.
        algorithm: &'static str,
        /// The length it needs (for HMAC: the minimum).
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A nonce or IV of the wrong length.
    #[error("{algorithm} needs a {expected}-byte nonce, got {actual} bytes")]
    InvalidNonceLength {
        /// The algorithm's id.
        algorithm: &'static str,
        /// The length it needs.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A tag of the wrong length was presented for verification.
    #[error("{algorithm} tags are {expected} bytes, got {actual}")]
    InvalidTagLength {
        /// The algorithm's id.
        algorithm: &'static str,
        /// The length expected.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// An output buffer too small for the result.
    #[error("output buffer too small: need {needed} bytes, have {actual}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        actual: usize,
    },
    /// Input too short to hold what it must (e.g. a sealed message shorter than its tag).
    #[error("input too short: need at least {needed} bytes, have {actual}")]
    InputTooShort {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        actual: usize,
    },
    /// Input longer than the algorithm allows under one nonce.
    #[error("{algorithm} input too long: at most {max} bytes under one nonce")]
    InputTooLong {
        /// The algorithm's id.
        algorithm: &'static str,
        /// The limit in bytes.
        max: u64,
    },
    /// A counter-mode keystream would repeat.
    #[error("{algorithm} counter exhausted: the keystream would repeat; rekey before continuing")]
    CounterOverflow {
        /// The algorithm's id.
        algorithm: &'static str,
    },
    /// The tag did not verify; no plaintext was released.
    #[error("authentication failed: the data or its tag was altered, or the key is wrong")]
    AuthenticationFailed,
    /// A record or packet longer than the protocol allows (TLS `record_overflow`).
    #[error("record overflow: {what} is {length} bytes, the limit is {max}")]
    RecordOverflow {
        /// What was too long.
        what: &'static str,
        /// Its length.
        length: usize,
        /// The protocol's limit.
        max: usize,
    },
    /// A record or packet that breaks the protocol's framing rules.
    #[error("malformed record: {0}")]
    Malformed(&'static str),
    /// A record that decrypted but carries what the protocol forbids (TLS
    /// `unexpected_message`): an unknown content type, an all-zero inner plaintext.
    #[error("unexpected message: {0}")]
    UnexpectedMessage(&'static str),
    /// The key has protected as many records as it safely can; rekey first.
    #[error(
        "key update required: this key has protected {records} records, its limit under {algorithm}; update the traffic key before sending more"
    )]
    KeyUpdateRequired {
        /// The algorithm's id.
        algorithm: &'static str,
        /// Records protected so far.
        records: u64,
    },
    /// The 64-bit record sequence number would wrap; the connection must rekey or close.
    #[error(
        "sequence number exhausted: a record sequence number may not wrap; rekey or close the connection"
    )]
    SequenceExhausted,
    /// A PKCS#11 token failed or refused an operation it was asked to do.
    #[error("PKCS#11 token '{token}': {operation} failed with {code}{}", if *.lost {
        "; the token lost its sessions or login, so keys made before are gone: build a new engine"
    } else { "" })]
    Token {
        /// The token's label.
        token: String,
        /// What the engine asked of it, e.g. `C_Encrypt (AES-GCM)`.
        operation: &'static str,
        /// The PKCS#11 return value (e.g. `CKR_SESSION_HANDLE_INVALID`), or the
        /// library's own message when there is none.
        code: String,
        /// True when the token was finalized, logged out or closed the engine's sessions:
        /// every key made through it is gone, and the next engine built logs in again.
        lost: bool,
    },
    /// The random number generator failed or its health test tripped.
    #[error("random number generator failure: {0}")]
    Rng(String),
    /// A configuration value could not be used.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An SSH key has sealed 2^32 packets: another would repeat a 32-bit sequence number
    /// (the MAC input, and the `chacha20-poly1305@openssh.com` nonce) under the same key.
    #[error(
        "SSH rekey required: this {cipher} key has sealed {packets} packets, the most a 32-bit sequence number allows; run a key exchange before sending more"
    )]
    RekeyRequired {
        /// The cipher's SSH name.
        cipher: &'static str,
        /// Packets sealed under the key.
        packets: u64,
    },
}
