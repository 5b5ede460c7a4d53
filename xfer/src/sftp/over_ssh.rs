//! SFTP on our SSH transport: the `sftp` subsystem for an [`ssh::Server`](crate::ssh::Server),
//! and an SFTP [`Client`] on an [`ssh::Client`](crate::ssh::Client)'s channel.
//!
//! The SFTP layer only sees the channel's two halves, so both directions run on their
//! own threads: the server's request loop reads the channel while replies are sealed
//! by whichever thread writes them, and the client's pipelined reads and writes do the
//! same.

use std::path::PathBuf;
use std::sync::Arc;

use super::client::{Client, ClientError, ClientOptions, ClientResult, FrameWrite};
use super::codec::{CodecError, FrameSource, MAX_PACKET_LEN, PollFrames};
use super::server::{Config, Server};
use crate::root::Root;
use crate::ssh::{self, PasswordCheck, SubsystemRegistry};
use crate::users::UsersFile;

/// The subsystem name clients ask for.
pub const SUBSYSTEM: &str = "sftp";

/// Registers the SFTP server as the `sftp` subsystem, confined to `root`.
///
/// Each channel opens `root` afresh, so a root that disappears fails only the sessions
/// started after it did, each with a log line.
pub fn register(registry: &mut SubsystemRegistry, root: impl Into<PathBuf>, config: Config) {
    let root: PathBuf = root.into();
    register_by(registry, move |_| root.clone(), config);
}

/// Registers the SFTP server as the `sftp` subsystem, confining each user to the root
/// their entry in `users` names ([`UsersFile::root_for`]: under `root` when relative),
/// and everyone else — users without one, and logins by key under other names — to
/// `root`. The root goes with the user name, however the user logged in.
pub fn register_with_users(
    registry: &mut SubsystemRegistry,
    root: impl Into<PathBuf>,
    users: Arc<UsersFile>,
    config: Config,
) {
    let root: PathBuf = root.into();
    register_by(
        registry,
        move |user| match user {
            Some(name) => users.root_for(name, &root),
            None => root.clone(),
        },
        config,
    );
}

/// Registers the SFTP server with `root_of` choosing each session's root from the
/// user's name.
fn register_by(
    registry: &mut SubsystemRegistry,
    root_of: impl Fn(Option<&str>) -> PathBuf + Send + Sync + 'static,
    config: Config,
) {
    registry.register(SUBSYSTEM, move |reader, writer| -> Result<(), ()> {
        // The exit status is 0 after a clean end, 1 after a failure (logged here).
        let root = root_of(reader.user());
        let confined = Root::open(&root).map_err(|e| {
            eprintln!(
                "sftp: {}: root {}: {e}",
                reader.user().unwrap_or("-").escape_debug(),
                root.display()
            )
        })?;
        Server::new(confined, config.clone())
            .serve_polled(reader, writer)
            .map(drop)
            .map_err(|e| eprintln!("sftp: session ended: {e}"))
    });
}

/// SFTP frames straight from the channel: each is copied once, from where it was
/// decrypted into its own buffer, without passing through a byte stream.
impl FrameSource for ssh::ChannelReader {
    fn next_frame(&mut self, frame: &mut Vec<u8>) -> Result<bool, CodecError> {
        self.read_message(frame, MAX_PACKET_LEN)
            .map_err(frame_error)
    }
}

impl PollFrames for ssh::ChannelReader {
    fn try_next_frame(&mut self, frame: &mut Vec<u8>) -> Result<Option<bool>, CodecError> {
        self.try_read_message(frame, MAX_PACKET_LEN)
            .map_err(frame_error)
    }
}

/// A channel's message error as SFTP's: a bad length is a bad packet length.
fn frame_error(e: std::io::Error) -> CodecError {
    match e
        .get_ref()
        .and_then(|e| e.downcast_ref::<ssh::BadMessageLength>())
    {
        Some(&ssh::BadMessageLength(len)) => CodecError::BadPacketLength(len),
        None => e.into(),
    }
}

/// WRITE requests straight into the channel's packets: the file data is read into the
/// packet that carries it, where it is encrypted.
impl FrameWrite for ssh::ChannelWriter {
    fn in_place(&self) -> bool {
        true
    }

    fn write_with(
        &mut self,
        len: usize,
        fill: &mut dyn FnMut(usize, &mut [u8]) -> std::io::Result<()>,
    ) -> std::io::Result<bool> {
        ssh::ChannelWriter::write_with(self, len, fill).map(|()| true)
    }
}

/// Opens the `sftp` subsystem on `client` and starts an SFTP session on it.
pub fn open(client: &ssh::Client, options: ClientOptions) -> ClientResult<Client> {
    let (reader, writer) = client
        .open_subsystem(SUBSYSTEM)
        .map_err(|e| ClientError::Io(std::io::Error::other(e)))?;
    Client::with_frames(reader, writer, options)
}

/// The users file checks SSH passwords the way it checks FTP ones (the same PBKDF2
/// cost for unknown users as for known ones).
impl PasswordCheck for UsersFile {
    fn check(&self, user: &str, password: &str) -> bool {
        self.verify(user, password)
    }
}
