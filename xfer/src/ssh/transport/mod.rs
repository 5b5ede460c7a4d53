//! The transport layer's protocol core (RFC 4253), without I/O: the version exchange,
//! KEXINIT negotiation (with strict KEX and ext-info markers, and FIPS filtering), and
//! the ECDH key exchange with key derivation. The driver that runs it over a socket is
//! [`driver::transport`](crate::ssh::driver::transport).

pub mod kex;
pub mod negotiate;
pub mod version;
