//! Protocol endpoints built on the wirecrypt engine: plain FTP, FTPS and SFTP.
//!
//! Each protocol is a module; inside each, the protocol cores (state machines and
//! codecs) do no I/O, and blocking drivers own the sockets and threads:
//!
//! * [`ftp`]: the FTP/FTPS control connection (RFC 959/4217 reply codes), data
//!   connections, TLS on rustls with the engine's provider, server and client;
//! * [`ssh`]: our own SSH transport on the engine's packet layer (key exchange, host
//!   keys, user authentication, channels) — the handshake hands keys to the engine;
//! * [`sftp`]: SFTP version 3 over any byte stream, server and client;
//! * [`root`]: the filesystem both servers are confined to;
//! * [`users`]: the users file both servers check passwords against.

#![forbid(unsafe_code)]

pub mod cpu;
pub mod ftp;
pub mod root;
pub mod sftp;
pub mod ssh;
pub mod users;

use std::fmt;

/// A file-transfer protocol the harness can measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// RFC 959 FTP: no protection, the baseline.
    Ftp,
    /// FTP over TLS (RFC 4217): the TLS record layer protects control and data.
    Ftps,
    /// SFTP over SSH: the SSH binary packet protocol protects the channel.
    Sftp,
}

impl Protocol {
    /// Every protocol, unprotected first.
    pub const ALL: [Protocol; 3] = [Protocol::Ftp, Protocol::Ftps, Protocol::Sftp];

    /// True when the engine protects this protocol's bytes.
    pub fn is_protected(self) -> bool {
        !matches!(self, Protocol::Ftp)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Ftp => "ftp",
            Protocol::Ftps => "ftps",
            Protocol::Sftp => "sftp",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ftp_is_unprotected() {
        let unprotected: Vec<_> = Protocol::ALL.iter().filter(|p| !p.is_protected()).collect();
        assert_eq!(unprotected, [&Protocol::Ftp]);
        assert_eq!(Protocol::Sftp.to_string(), "sftp");
    }
}
