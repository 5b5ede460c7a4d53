//! FTP and FTPS (RFC 959, 2389, 2428, 3659, 4217): a control-connection state machine
//! that does no I/O ([`control`]), data connections ([`data`]), TLS on the engine's
//! rustls provider ([`tls`]), and blocking drivers on top: [`Server`] (a thread per
//! session) and [`Client`].

pub mod client;
pub mod control;
pub mod data;
mod fs;
pub mod server;
pub mod tls;

pub use client::{Client, ClientOptions, FtpError, Security};
pub use server::{Server, ServerConfig, ServerHandle, Transcript};
