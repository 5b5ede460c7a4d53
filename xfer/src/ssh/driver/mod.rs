//! Blocking drivers: they own the sockets and threads; the protocol cores beside them
//! do no I/O.

pub mod channel;
pub mod client;
mod link;
mod recv;
pub mod server;
pub mod session;
pub mod transport;
