//! The configuration validator behind `wirecrypt fips check`: pure functions from a
//! configuration's text to a [`Report`] of what the [`policy`](super::policy) approves.
//!
//! * [`openssh`] — `sshd_config` and `ssh_config` algorithm lists, with OpenSSH 9.2's
//!   defaults, `+`/`-`/`^` modifiers, `Match`/`Host` blocks and `Include`.
//! * [`tls`] — IANA suite lists and OpenSSL cipher strings.
//! * [`vsftpd`] — vsftpd 3.0.3's TLS settings.
//! * [`cipher_string`] — how an OpenSSL cipher string is expanded (built-in subset, or the
//!   installed `openssl` through an [`Expander`] the caller supplies).
//!
//! Each item names its source line, the setting, the algorithm, the verdict, the rule and
//! the document behind it; settings that fail get a compliant replacement line. The checks
//! read no files themselves, except `Include`d OpenSSH files through [`FsIncludes`] when
//! the caller chooses it.
//!
//! The result says whether a configuration uses only algorithms the FIPS policy approves.
//! It is a policy check, not a validation of any module.

pub mod cipher_string;
pub mod openssh;
mod pattern;
pub mod report;
pub mod tls;
pub mod vsftpd;

pub use cipher_string::{Builtin, Expander, Expansion, Method};
pub use openssh::{FsIncludes, Included, Includes, NoIncludes};
pub use report::{Item, Note, Overall, Replacement, Report};

#[cfg(test)]
mod golden;
