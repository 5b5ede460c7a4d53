//! Published known-answer test vectors, stored as plain data.
//!
//! Every byte string is lowercase hex without spaces; an empty string means
//! an empty input or output. The `alg` field of each vector is one of the
//! engine's algorithm ids: `aes-128-gcm`, `aes-256-gcm`, `chacha20-poly1305`,
//! `aes-128-ctr`, `aes-192-ctr`, `aes-256-ctr`, `hmac-sha1`, `hmac-sha256`,
//! `hmac-sha512`, `sha256`, `sha384` or `sha512`.

pub mod nist_gcm;
pub mod rfc4231;
pub mod rfc8439;
pub mod sha2;
pub mod sp800_38a;

/// One AEAD known-answer case.
#[derive(Debug, Clone, Copy)]
pub struct AeadVector {
    /// Human-readable citation of the published case.
    pub source: &'static str,
    /// Algorithm id, e.g. `aes-128-gcm` or `chacha20-poly1305`.
    pub alg: &'static str,
    /// Secret key, hex.
    pub key: &'static str,
    /// Nonce (IV), hex.
    pub nonce: &'static str,
    /// Additional authenticated data, hex.
    pub aad: &'static str,
    /// Plaintext, hex.
    pub plaintext: &'static str,
    /// Ciphertext without the tag, hex; same length as `plaintext`.
    pub ciphertext: &'static str,
    /// Full 128-bit authentication tag, hex.
    pub tag: &'static str,
}

/// One stream-cipher (CTR) case: `iv` is the initial 128-bit counter block.
#[derive(Debug, Clone, Copy)]
pub struct CipherVector {
    /// Human-readable citation of the published case.
    pub source: &'static str,
    /// Algorithm id, e.g. `aes-128-ctr`.
    pub alg: &'static str,
    /// Secret key, hex.
    pub key: &'static str,
    /// Initial counter block, hex (16 bytes).
    pub iv: &'static str,
    /// Plaintext, hex.
    pub plaintext: &'static str,
    /// Ciphertext, hex; same length as `plaintext`.
    pub ciphertext: &'static str,
}

/// One MAC case; `tag` may be a truncation of the full MAC (RFC 4231 case 5 is 128 bits).
#[derive(Debug, Clone, Copy)]
pub struct MacVector {
    /// Human-readable citation of the published case.
    pub source: &'static str,
    /// Algorithm id, e.g. `hmac-sha256`.
    pub alg: &'static str,
    /// MAC key, hex.
    pub key: &'static str,
    /// Message, hex.
    pub data: &'static str,
    /// Expected MAC, hex; compare against this many leading bytes of the full MAC.
    pub tag: &'static str,
}

/// One hash case. `repeat` > 1 means the message is `data` repeated that many
/// times (for the million-'a' vectors).
#[derive(Debug, Clone, Copy)]
pub struct HashVector {
    /// Human-readable citation of the published case.
    pub source: &'static str,
    /// Algorithm id, e.g. `sha256`.
    pub alg: &'static str,
    /// Message (or the unit that is repeated), hex.
    pub data: &'static str,
    /// How many times `data` is repeated to form the message; 1 for a plain message.
    pub repeat: usize,
    /// Expected digest, hex.
    pub digest: &'static str,
}
