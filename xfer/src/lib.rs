//! Protocol endpoints built on the wirecrypt engine: plain FTP, FTPS and SFTP.
//!
//! This crate is where the FTP/FTPS and SSH/SFTP clients and servers will live. For now
//! it holds only the shared vocabulary: which protocol a transfer uses and which stage of
//! the engine protects it.

#![forbid(unsafe_code)]

pub mod ftp;
pub mod users;

use std::fmt;

pub mod root;
pub mod sftp;

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
