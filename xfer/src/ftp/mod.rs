//! FTP and FTPS (RFC 959, 2389, 2428, 3659, 4217): a control-connection state machine
//! that does no I/O ([`control`]), data connections ([`data`]), TLS on the engine's
//! rustls provider ([`tls`]), and blocking drivers on top: [`Server`] (a thread per
//! session) and [`Client`].
//!
//! # Serving explicit FTPS
//!
//! ```no_run
//! use std::path::Path;
//! use std::sync::Arc;
//! use wirecrypt::Engine;
//! use wirecrypt_xfer::ftp::{Server, ServerConfig, tls};
//! use wirecrypt_xfer::users::UsersFile;
//!
//! let engine = Engine::builder().build()?;
//! let tls = tls::server_config(
//!     tls::engine_provider(&engine),
//!     rustls::ALL_VERSIONS,
//!     tls::load_certs(Path::new("cert.pem"))?,
//!     tls::load_key(Path::new("key.pem"))?,
//!     None, // Some(roots) demands client certificates
//! )?;
//! let users = Arc::new(UsersFile::load("users")?);
//! let mut config = ServerConfig::new("/srv/ftp", users).with_tls(tls, true);
//! config.pasv_ports = 50000..=50099;
//! // config.implicit_tls = true; for ftps:// (TLS from the first byte)
//! Server::bind("127.0.0.1:2121", config)?.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The rules the server follows
//!
//! | situation | reply |
//! |---|---|
//! | `AUTH TLS` / `AUTH SSL` (TLS configured) | 234, then the handshake |
//! | `USER`/`PASS` before `AUTH` when TLS is required | 530 |
//! | `PBSZ`/`PROT` before `AUTH`, `PROT` before `PBSZ`, either after `CCC` | 503 |
//! | `PROT C`/`P` | 200; `S`/`E` 536 |
//! | transfer without `PROT P` when TLS is required | 522 |
//! | data connection that does not resume the control session (default) | 150, then 522 |
//! | `CCC` on a clear control connection | 533 |
//! | `CCC` refused by policy (or under implicit TLS) | 534 |
//! | `CCC` where it is disabled | 500 |
//! | `CCC` allowed | 200, close_notify, then clear text; PROT level kept |
//!
//! Every TLS 1.2 or 1.3 data connection must resume this session's control connection
//! ([`ServerConfig::require_tls_reuse`], like vsftpd's `require_ssl_reuse`): each
//! session has its own session store, so a resumption proves the data connection's
//! client knows the control connection's secret.
//!
//! A transfer's bytes move on a thread of their own while the session thread reads the
//! control connection: `ABOR` stops it at once (426, then 226, RFC 959 §4.1.3), `STAT`
//! is answered (213) and other commands wait for its end. [`Client::retr_with`] aborts a
//! download that way.
//!
//! # The data path
//!
//! A protected data connection's handshake runs in rustls; then its traffic secrets go
//! to the engine (rustls's `kernel` module) and records are sealed 64 at a time
//! straight from the file and opened in place in the receive buffer: see [`data`] for
//! how and why. Tickets and KeyUpdate keep working; close_notify ends every transfer.

pub mod client;
pub mod control;
pub mod data;
mod fs;
pub mod server;
pub mod tls;

pub use client::{Client, ClientOptions, FtpError, Retrieved, Security};
pub use server::{Server, ServerConfig, ServerHandle, Transcript};
