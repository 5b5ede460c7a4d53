//! The one error type of the SSH side, and the DISCONNECT reason each kind maps to.

use super::wire::disconnect;

/// Everything that can end an SSH connection or refuse an operation on it.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// The socket failed or closed.
    #[error("SSH I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The engine's packet layer refused a packet (bad length, wrong MAC or tag, …).
    #[error("SSH packet layer: {0}")]
    Packet(#[from] wirecrypt::Error),
    /// The version exchange failed (no `SSH-2.0-` line, an overlong line, garbage).
    #[error("SSH version exchange: {0}")]
    Version(String),
    /// The peer broke the protocol: an unexpected or malformed message.
    #[error("SSH protocol error: {0}")]
    Protocol(String),
    /// Strict key exchange (the Terrapin fix) saw a message it forbids.
    #[error("SSH strict key exchange violated: {0}")]
    StrictKex(String),
    /// Key exchange found no algorithm both sides accept.
    #[error(
        "SSH key exchange: no common {what} algorithm (we offer {ours}; the peer offers {theirs}){fips}"
    )]
    NoCommonAlgorithm {
        /// Which list failed (`kex`, `host key`, `cipher c2s`, …).
        what: &'static str,
        /// Our list.
        ours: String,
        /// The peer's list.
        theirs: String,
        /// A note naming the FIPS policy when it narrowed our list.
        fips: &'static str,
    },
    /// Key exchange failed cryptographically (bad public value, bad signature).
    #[error("SSH key exchange failed: {0}")]
    Kex(String),
    /// The server's host key was refused (unknown, changed or revoked).
    #[error("SSH host key refused: {0}")]
    HostKey(String),
    /// User authentication failed.
    #[error("SSH authentication failed: {0}")]
    Auth(String),
    /// A channel could not be opened or a request on it was refused.
    #[error("SSH channel: {0}")]
    Channel(String),
    /// A key file could not be read or used.
    #[error("SSH key: {0}")]
    Key(String),
    /// The peer sent SSH_MSG_DISCONNECT.
    #[error("SSH peer disconnected (reason {code}): {description}")]
    Disconnected {
        /// The reason code (RFC 4253 §11.1).
        code: u32,
        /// The peer's text.
        description: String,
    },
    /// The peer sent nothing for longer than the login or idle timeout allows.
    #[error("SSH timeout: {0}")]
    Timeout(String),
    /// The connection is already closed (the first error that closed it is quoted).
    #[error("SSH connection closed: {0}")]
    Closed(String),
}

impl SshError {
    /// The DISCONNECT reason code that tells the peer about this error.
    pub fn disconnect_reason(&self) -> u32 {
        match self {
            SshError::Packet(wirecrypt::Error::AuthenticationFailed) => disconnect::MAC_ERROR,
            SshError::NoCommonAlgorithm { .. } | SshError::Kex(_) | SshError::StrictKex(_) => {
                disconnect::KEY_EXCHANGE_FAILED
            }
            SshError::HostKey(_) => disconnect::HOST_KEY_NOT_VERIFIABLE,
            SshError::Auth(_) => disconnect::NO_MORE_AUTH_METHODS_AVAILABLE,
            SshError::Version(_) => disconnect::PROTOCOL_VERSION_NOT_SUPPORTED,
            SshError::Timeout(_) => disconnect::BY_APPLICATION,
            _ => disconnect::PROTOCOL_ERROR,
        }
    }

    pub(crate) fn protocol(msg: impl Into<String>) -> Self {
        SshError::Protocol(msg.into())
    }
}

/// Results of the SSH side.
pub type Result<T, E = SshError> = std::result::Result<T, E>;
