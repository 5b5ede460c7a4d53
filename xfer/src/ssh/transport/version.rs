//! The version exchange (RFC 4253 §4.2): one `SSH-2.0-…` line each way.
//!
//! Lines are bounded (255 bytes with CR LF); a server may send other lines before its
//! version (a banner) and a client accepts a bounded number of them; a server accepts
//! none, as OpenSSH's sshd does.

use crate::ssh::error::{Result, SshError};

/// The longest identification line, CR LF included (RFC 4253 §4.2).
pub const MAX_LINE: usize = 255;
/// How many lines a client accepts before the server's version line.
pub const MAX_PRE_BANNER_LINES: usize = 1024;

/// Our identification string (without CR LF).
pub fn our_version() -> String {
    format!("SSH-2.0-wirecrypt_{}", env!("CARGO_PKG_VERSION"))
}

/// Finds the peer's version line in bytes received so far, as an incremental parser.
#[derive(Debug)]
pub struct VersionParser {
    accept_pre_lines: bool,
    buf: Vec<u8>,
    lines_seen: usize,
}

impl VersionParser {
    /// A parser for a client (`accept_pre_lines`) or a server.
    pub fn new(accept_pre_lines: bool) -> Self {
        VersionParser {
            accept_pre_lines,
            buf: Vec::new(),
            lines_seen: 0,
        }
    }

    /// Takes received bytes. Returns the version line (without CR LF) and the bytes that
    /// followed it (the start of the binary packets) once the line is complete.
    pub fn feed(&mut self, input: &[u8]) -> Result<Option<(String, Vec<u8>)>> {
        self.buf.extend_from_slice(input);
        loop {
            let Some(nl) = self.buf.iter().position(|&b| b == b'\n') else {
                if self.buf.len() >= MAX_LINE {
                    return Err(SshError::Version(format!(
                        "no end of line within {MAX_LINE} bytes"
                    )));
                }
                return Ok(None);
            };
            if nl + 1 > MAX_LINE {
                return Err(SshError::Version(format!(
                    "identification line longer than {MAX_LINE} bytes"
                )));
            }
            let line: Vec<u8> = self.buf.drain(..=nl).collect();
            let line = &line[..line.len() - 1];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.starts_with(b"SSH-") {
                let text = std::str::from_utf8(line)
                    .ok()
                    .filter(|s| s.bytes().all(|b| (0x20..0x7f).contains(&b)))
                    .ok_or_else(|| {
                        SshError::Version("identification line is not printable ASCII".into())
                    })?;
                if !(text.starts_with("SSH-2.0-") || text.starts_with("SSH-1.99-")) {
                    return Err(SshError::Version(format!(
                        "peer speaks an unsupported protocol version: {text:?}"
                    )));
                }
                return Ok(Some((text.to_owned(), std::mem::take(&mut self.buf))));
            }
            if !self.accept_pre_lines {
                return Err(SshError::Version(
                    "the first line from the client is not an SSH identification line".into(),
                ));
            }
            self.lines_seen += 1;
            if self.lines_seen > MAX_PRE_BANNER_LINES {
                return Err(SshError::Version(format!(
                    "more than {MAX_PRE_BANNER_LINES} lines before the server's version"
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_skips_banner_lines_and_keeps_what_follows() {
        let mut p = VersionParser::new(true);
        assert!(p.feed(b"hello there\r\nSSH-2.0-Open").unwrap().is_none());
        let (v, rest) = p.feed(b"SSH_9.2\r\n\x00\x00\x01").unwrap().unwrap();
        assert_eq!(v, "SSH-2.0-OpenSSH_9.2");
        assert_eq!(rest, b"\x00\x00\x01");
    }

    #[test]
    fn server_refuses_lines_before_the_version() {
        let mut p = VersionParser::new(false);
        assert!(matches!(
            p.feed(b"GET / HTTP/1.1\r\n"),
            Err(SshError::Version(_))
        ));
    }

    #[test]
    fn overlong_lines_and_old_versions_are_refused() {
        let mut p = VersionParser::new(true);
        assert!(p.feed(&[b'x'; 300]).is_err());
        let mut p = VersionParser::new(true);
        assert!(p.feed(b"SSH-1.5-old\r\n").is_err());
    }
}
