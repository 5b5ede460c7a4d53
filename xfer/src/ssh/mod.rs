//! SSH (RFC 4251–4254) on the wirecrypt engine: our own blocking transport, user
//! authentication and session channels, with OpenSSH as the peer it must satisfy.
//!
//! # Layout
//!
//! * [`wire`] — RFC 4251 data types and message numbers.
//! * [`transport`] — the transport protocol's core: version exchange, KEXINIT
//!   negotiation (strict KEX, ext-info, FIPS filtering), ECDH key exchange
//!   (`curve25519-sha256`, `ecdh-sha2-nistp256`/`384` on `ring`), the exchange hash and
//!   key derivation. NEWKEYS hands the derived keys to the engine's
//!   [`PacketSealer`](wirecrypt::ssh::PacketSealer) / [`PacketOpener`](wirecrypt::ssh::PacketOpener):
//!   the handshake never touches a cipher.
//! * [`hostkey`] — host keys (`ssh-key`): signing, verifying, known_hosts.
//! * [`auth`] — user authentication: publickey against authorized_keys, a password hook.
//! * [`connection`] — channels and their windows.
//! * [`driver`] — the blocking parts that own sockets and threads: [`Client`],
//!   [`Server`], and the channel halves.
//!
//! # Threads
//!
//! A connection has one thread that reads the socket, opens packets and runs the
//! transport (key exchanges, rekeys started by either side, mid-transfer) and the
//! connection protocol's bookkeeping. Whatever thread writes to a channel seals its
//! packets and writes them to the socket itself, so the two directions of a connection
//! run on their own threads. The server runs each connection on its own thread and each
//! subsystem handler on another.
//!
//! # The interface for subsystems (SFTP)
//!
//! A channel is a pair of byte streams: [`ChannelReader`] (`impl Read + Send`: the
//! peer's data; `read` returns 0 at EOF) and [`ChannelWriter`] (`impl Write + Send`:
//! never sends past the peer's window; `finish()` or dropping it sends EOF).
//!
//! Server side — register a handler by subsystem name; it runs on its own thread and,
//! when it returns, the channel gets the exit status it returned ([`ExitStatus`]: `()`
//! and `Ok` are 0, `Err` is 1), then EOF and CLOSE:
//!
//! ```no_run
//! # use wirecrypt_xfer::ssh::{Server, ServerConfig, KeyPair};
//! # fn sftp_server(_: impl std::io::Read, _: impl std::io::Write) {}
//! # let engine = wirecrypt::Engine::builder().build()?;
//! # let host_key = KeyPair::read_openssh_file("host_key".as_ref())?;
//! let mut config = ServerConfig::new(engine, vec![host_key]);
//! config.subsystems.register("sftp", |reader, writer| sftp_server(reader, writer));
//! let server = Server::bind("127.0.0.1:2222", config)?.spawn()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Client side — open a session channel with a subsystem and get the same two halves:
//!
//! ```no_run
//! # use wirecrypt_xfer::ssh::{Client, ClientConfig, KeyPair};
//! # let engine = wirecrypt::Engine::builder().build()?;
//! let mut config = ClientConfig::new(engine, "alice", "/home/alice/.ssh/known_hosts");
//! config.identity = Some(KeyPair::read_openssh_file("id_ed25519".as_ref())?);
//! let client = Client::connect("127.0.0.1:22", config)?;
//! let (reader, writer) = client.open_subsystem("sftp")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # FIPS mode
//!
//! When the engine runs in FIPS mode, every list we offer or accept (kex, host keys,
//! ciphers, MACs, user-key algorithms) keeps only the names
//! [`wirecrypt::fips::policy`] approves; a peer offering nothing approved fails the key
//! exchange with an error naming the policy.

pub mod auth;
pub mod connection;
pub mod driver;
pub mod error;
pub mod hostkey;
pub mod transport;
pub mod wire;

pub use auth::{AuthorizedKeys, PasswordCheck, ServerAuth};
pub use driver::channel::{BadMessageLength, ChannelReader, ChannelWriter};
pub use driver::client::{Client, ClientConfig, HostKeyPolicy};
pub use driver::server::{Server, ServerConfig, ServerHandle};
pub use driver::session::{ExitStatus, SubsystemHandler, SubsystemRegistry};
pub use driver::transport::ConnectionInfo;
pub use error::{Result, SshError};
pub use hostkey::KeyPair;
