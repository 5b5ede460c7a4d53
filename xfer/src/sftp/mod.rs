//! SFTP version 3 (draft-ietf-secsh-filexfer-02, with OpenSSH's extensions) over any
//! blocking byte stream: a pipe pair, a child process's stdio, or an SSH channel's two
//! halves.
//!
//! * [`codec`]: packets and attributes, no I/O beyond whole frames.
//! * [`Server`]: serves a [`Root`](crate::root::Root) with
//!   `Server::new(root, Config::default()).serve(reader, writer)`.
//! * [`Client`]: `Client::new(reader, writer)?` then `get`, `put`, `stat`, `read_dir`, ….
//! * [`over_ssh`]: the server as our SSH server's `sftp` subsystem, the client on our
//!   SSH client's channel.
//!
//! ```no_run
//! use wirecrypt_xfer::root::Root;
//! use wirecrypt_xfer::sftp::{Config, Server};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::new(Root::open("/srv/files")?, Config::default());
//! let (reader, writer) = std::io::pipe()?; // any Read + Send and Write + Send
//! server.serve(reader, writer)?;
//! # Ok(()) }
//! ```

pub mod client;
pub mod codec;
mod longname;
mod names;
pub mod over_ssh;
pub mod server;

pub use client::{Client, ClientError, ClientOptions, ClientResult, Handle, Limits, StatVfs};
pub use codec::{Attrs, CodecError, NameEntry};
pub use server::{Config, ServeError, ServeStats, Server};
