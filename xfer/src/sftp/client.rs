//! SFTP v3 client over any blocking byte stream.
//!
//! Transfers are pipelined: [`Client::get`] and [`Client::put`] keep up to
//! [`ClientOptions::max_requests`] (64 by default) requests outstanding, each as large as
//! the server's `limits@openssh.com` allows (32 KiB without it), accept replies in any
//! order, and re-request the rest of a short read. A reader thread receives replies
//! while the calling thread does file I/O and sends requests; over an SSH channel,
//! which cuts whole replies out of the data as it arrives, the calling thread takes
//! them itself.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};

use super::codec::{
    self, Attrs, Buffered, CodecError, ExtendedRequest, FrameSource, MAX_DATA_LEN, NameEntry,
    Payload, Request, Response, fx, fxf, fxp,
};

/// Why a client operation failed.
#[derive(Debug)]
pub enum ClientError {
    /// The stream failed.
    Io(io::Error),
    /// The server sent bytes that are not SFTP.
    Codec(CodecError),
    /// The server answered with an error status.
    Status {
        /// `SSH_FX_*` code.
        code: u32,
        /// The server's message.
        message: String,
    },
    /// The server broke the protocol (wrong reply type, unknown request id, more data
    /// than asked for, a version other than 3).
    Protocol(String),
    /// The server did not announce the extension this operation needs.
    Unsupported(&'static str),
    /// The server closed the connection.
    Closed,
}

impl ClientError {
    /// The `SSH_FX_*` status code when the server answered with one.
    pub fn status_code(&self) -> Option<u32> {
        match self {
            ClientError::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "sftp client: {e}"),
            ClientError::Codec(e) => write!(f, "sftp client: {e}"),
            ClientError::Status { code, message } => {
                write!(f, "sftp server refused (status {code}): {message}")
            }
            ClientError::Protocol(what) => write!(f, "sftp server broke the protocol: {what}"),
            ClientError::Unsupported(ext) => write!(f, "sftp server does not offer {ext}"),
            ClientError::Closed => f.write_str("sftp server closed the connection"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Io(e) => Some(e),
            ClientError::Codec(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::Io(e)
    }
}

impl From<CodecError> for ClientError {
    fn from(e: CodecError) -> Self {
        ClientError::Codec(e)
    }
}

/// Result of a client operation.
pub type ClientResult<T> = Result<T, ClientError>;

/// The server's `limits@openssh.com` reply (0 means "no limit").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest packet the server accepts.
    pub max_packet_len: u64,
    /// Largest READ it answers in full.
    pub max_read_len: u64,
    /// Largest WRITE it accepts.
    pub max_write_len: u64,
    /// Most handles open at once.
    pub max_open_handles: u64,
}

/// Client settings.
#[derive(Clone, Copy, Debug)]
pub struct ClientOptions {
    /// Requests kept outstanding during get and put.
    pub max_requests: usize,
    /// Bytes per READ; `None` takes the server's limit (capped at 261120), or 32 KiB
    /// when it announces none.
    pub read_len: Option<u32>,
    /// Bytes per WRITE, chosen the same way.
    pub write_len: Option<u32>,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            max_requests: 64,
            read_len: None,
            write_len: None,
        }
    }
}

/// Request size when the server announces no limits (OpenSSH's default).
const DEFAULT_LEN: u32 = 32 * 1024;

/// The `statvfs@openssh.com` reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatVfs {
    /// Preferred block size.
    pub bsize: u64,
    /// Fundamental block size.
    pub frsize: u64,
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Free blocks for unprivileged users.
    pub bavail: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub ffree: u64,
    /// Free inodes for unprivileged users.
    pub favail: u64,
    /// Filesystem id.
    pub fsid: u64,
    /// Mount flags.
    pub flag: u64,
    /// Longest name.
    pub namemax: u64,
}

/// A list of user or group names.
pub type Names = Vec<Vec<u8>>;

/// An open remote file or directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handle(Vec<u8>);

/// An SFTP v3 session.
pub struct Client {
    writer: BufWriter<Box<dyn FrameWrite>>,
    replies: Replies,
    pool: Arc<Mutex<Vec<Vec<u8>>>>,
    next_id: u32,
    version: u32,
    extensions: Vec<(String, String)>,
    limits: Option<Limits>,
    read_len: u32,
    write_len: u32,
    max_requests: usize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("version", &self.version)
            .field("extensions", &self.extensions)
            .field("limits", &self.limits)
            .field("read_len", &self.read_len)
            .field("write_len", &self.write_len)
            .field("max_requests", &self.max_requests)
            .finish()
    }
}

impl Client {
    /// Starts a session with default options: INIT, VERSION, and `limits@openssh.com`
    /// when the server offers it.
    pub fn new<R, W>(reader: R, writer: W) -> ClientResult<Client>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        Client::with_options(reader, writer, ClientOptions::default())
    }

    /// Starts a session with `options`.
    pub fn with_options<R, W>(reader: R, writer: W, options: ClientOptions) -> ClientResult<Client>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        // Replies read ahead by a thread of their own.
        Client::start(Buffered::new(reader), Stream(writer), options, true)
    }

    /// [`with_options`](Self::with_options) with replies from a source that already
    /// holds them as whole frames (an SSH channel cuts them out as they arrive): the
    /// calling thread takes each itself, with no thread between to wake.
    pub(crate) fn with_frames<S, W>(
        reader: S,
        writer: W,
        options: ClientOptions,
    ) -> ClientResult<Client>
    where
        S: FrameSource + 'static,
        W: FrameWrite + 'static,
    {
        Client::start(reader, writer, options, false)
    }

    fn start<S, W>(
        mut reader: S,
        writer: W,
        options: ClientOptions,
        read_ahead: bool,
    ) -> ClientResult<Client>
    where
        S: FrameSource + 'static,
        W: FrameWrite + 'static,
    {
        let mut writer: BufWriter<Box<dyn FrameWrite>> =
            BufWriter::with_capacity(64 * 1024, Box::new(writer));
        writer.write_all(&codec::encode_init(codec::VERSION))?;
        writer.flush()?;
        let mut frame = Vec::new();
        if !reader.next_frame(&mut frame)? {
            return Err(ClientError::Closed);
        }
        let (version, ext) = codec::decode_version(&frame)?;
        if version != codec::VERSION {
            return Err(ClientError::Protocol(format!(
                "server speaks version {version}, not 3"
            )));
        }
        let extensions = ext
            .into_iter()
            .map(|(n, d)| {
                (
                    String::from_utf8_lossy(&n).into_owned(),
                    String::from_utf8_lossy(&d).into_owned(),
                )
            })
            .collect();

        // DATA buffers come back through `pool` once written, so a download reuses them.
        let pool: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let replies = if read_ahead {
            Replies::Thread(read_ahead_thread(reader, &pool, options.max_requests)?)
        } else {
            Replies::Direct(Box::new(reader))
        };

        let mut client = Client {
            writer,
            replies,
            pool,
            next_id: 0,
            version,
            extensions,
            limits: None,
            read_len: DEFAULT_LEN,
            write_len: DEFAULT_LEN,
            max_requests: options.max_requests.max(1),
        };
        if client.has_extension("limits@openssh.com", "1") {
            let limits = client.fetch_limits()?;
            client.limits = Some(limits);
            let pick = |announced: u64| match announced {
                0 => DEFAULT_LEN,
                n => n.min(MAX_DATA_LEN as u64) as u32,
            };
            client.read_len = pick(limits.max_read_len);
            client.write_len = pick(limits.max_write_len);
            if limits.max_packet_len > 0 {
                // Room for the WRITE header and a maximal handle.
                let room = limits.max_packet_len.saturating_sub(300).max(512);
                client.write_len = client.write_len.min(room.min(u32::MAX as u64) as u32);
            }
        }
        if let Some(n) = options.read_len {
            client.read_len = n.clamp(1, MAX_DATA_LEN);
        }
        if let Some(n) = options.write_len {
            client.write_len = n.clamp(1, MAX_DATA_LEN);
        }
        Ok(client)
    }

    /// The extensions the server announced, as (name, version) pairs.
    pub fn extensions(&self) -> &[(String, String)] {
        &self.extensions
    }

    /// True when the server announced `name` with version `version`.
    pub fn has_extension(&self, name: &str, version: &str) -> bool {
        self.extensions
            .iter()
            .any(|(n, v)| n == name && v == version)
    }

    /// The server's limits, when it announced `limits@openssh.com`.
    pub fn limits(&self) -> Option<Limits> {
        self.limits
    }

    /// Bytes per READ and per WRITE this client uses.
    pub fn request_sizes(&self) -> (u32, u32) {
        (self.read_len, self.write_len)
    }

    /// Returns a received packet's buffer to the reader thread for reuse.
    fn recycle(&self, buf: Vec<u8>) {
        if buf.capacity() >= MAX_DATA_LEN as usize {
            let mut p = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            if p.len() < 2 * self.max_requests {
                p.push(buf);
            }
        }
    }

    fn id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    fn send(&mut self, id: u32, req: &Request) -> ClientResult<()> {
        self.writer.write_all(&codec::encode_request(id, req))?;
        Ok(())
    }

    fn receive(&mut self) -> ClientResult<(u32, Response)> {
        let frame = match &mut self.replies {
            Replies::Thread(rx) => rx.recv().map_err(|_| ClientError::Closed)??,
            Replies::Direct(source) => {
                let mut frame = self
                    .pool
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pop()
                    .unwrap_or_default();
                if !source.next_frame(&mut frame)? {
                    return Err(ClientError::Closed);
                }
                frame
            }
        };
        Ok(codec::decode_response(frame)?)
    }

    /// Sends one request and waits for its reply.
    fn call(&mut self, req: Request) -> ClientResult<Response> {
        let id = self.id();
        self.send(id, &req)?;
        self.writer.flush()?;
        let (got, resp) = self.receive()?;
        if got != id {
            return Err(ClientError::Protocol(format!(
                "reply for request {got}, expected {id}"
            )));
        }
        Ok(resp)
    }

    fn call_status(&mut self, req: Request) -> ClientResult<()> {
        match self.call(req)? {
            Response::Status { code: fx::OK, .. } => Ok(()),
            other => Err(unexpected(other, "STATUS")),
        }
    }

    fn call_handle(&mut self, req: Request) -> ClientResult<Handle> {
        match self.call(req)? {
            Response::Handle(h) => Ok(Handle(h)),
            other => Err(unexpected(other, "HANDLE")),
        }
    }

    fn call_attrs(&mut self, req: Request) -> ClientResult<Attrs> {
        match self.call(req)? {
            Response::Attrs(a) => Ok(a),
            other => Err(unexpected(other, "ATTRS")),
        }
    }

    fn call_one_name(&mut self, req: Request) -> ClientResult<Vec<u8>> {
        match self.call(req)? {
            Response::Name(mut names) if names.len() == 1 => Ok(names.remove(0).filename),
            Response::Name(names) => Err(ClientError::Protocol(format!(
                "{} names where one was expected",
                names.len()
            ))),
            other => Err(unexpected(other, "NAME")),
        }
    }

    fn call_extended(&mut self, req: Request) -> ClientResult<Vec<u8>> {
        match self.call(req)? {
            Response::ExtendedReply(d) => Ok(d),
            other => Err(unexpected(other, "EXTENDED_REPLY")),
        }
    }

    fn require(&self, name: &'static str, version: &str) -> ClientResult<()> {
        if self.has_extension(name, version) {
            Ok(())
        } else {
            Err(ClientError::Unsupported(name))
        }
    }

    fn fetch_limits(&mut self) -> ClientResult<Limits> {
        let d = self.call_extended(Request::Extended(ExtendedRequest::Limits))?;
        let mut r = codec::Reader::new(&d, fxp::EXTENDED_REPLY);
        let limits = Limits {
            max_packet_len: r.u64("max packet length")?,
            max_read_len: r.u64("max read length")?,
            max_write_len: r.u64("max write length")?,
            max_open_handles: r.u64("max open handles")?,
        };
        Ok(limits)
    }

    /// Opens a remote file with `SSH_FXF_*` flags and attributes for a created file.
    pub fn open(&mut self, path: &str, pflags: u32, attrs: &Attrs) -> ClientResult<Handle> {
        self.call_handle(Request::Open {
            path: path.as_bytes().to_vec(),
            pflags,
            attrs: attrs.clone(),
        })
    }

    /// Closes a handle.
    pub fn close(&mut self, handle: Handle) -> ClientResult<()> {
        self.call_status(Request::Close { handle: handle.0 })
    }

    /// Reads up to `len` bytes at `offset`; `None` at end of file.
    pub fn read(
        &mut self,
        handle: &Handle,
        offset: u64,
        len: u32,
    ) -> ClientResult<Option<Vec<u8>>> {
        match self.call(Request::Read {
            handle: handle.0.clone(),
            offset,
            len,
        })? {
            Response::Data(d) if d.as_slice().len() <= len as usize => {
                Ok(Some(d.as_slice().to_vec()))
            }
            Response::Data(_) => Err(ClientError::Protocol("more data than requested".into())),
            Response::Status { code: fx::EOF, .. } => Ok(None),
            other => Err(unexpected(other, "DATA")),
        }
    }

    /// Writes `data` at `offset`, in as many WRITE requests as the server's limits need
    /// (a packet over its limit would end the session).
    pub fn write(&mut self, handle: &Handle, offset: u64, data: &[u8]) -> ClientResult<()> {
        let mut done = 0;
        loop {
            let n = (data.len() - done).min(self.write_len as usize);
            self.call_status(Request::Write {
                handle: handle.0.clone(),
                offset: offset + done as u64,
                data: Payload::from_vec(data[done..done + n].to_vec()),
            })?;
            done += n;
            if done == data.len() {
                return Ok(());
            }
        }
    }

    /// Status of a path, following symlinks.
    pub fn stat(&mut self, path: &str) -> ClientResult<Attrs> {
        self.call_attrs(Request::Stat {
            path: path.as_bytes().to_vec(),
        })
    }

    /// Status of a path, not following a final symlink.
    pub fn lstat(&mut self, path: &str) -> ClientResult<Attrs> {
        self.call_attrs(Request::Lstat {
            path: path.as_bytes().to_vec(),
        })
    }

    /// Status of an open handle.
    pub fn fstat(&mut self, handle: &Handle) -> ClientResult<Attrs> {
        self.call_attrs(Request::Fstat {
            handle: handle.0.clone(),
        })
    }

    /// Changes a path's attributes (size, owner, permissions, times), following symlinks.
    pub fn setstat(&mut self, path: &str, attrs: &Attrs) -> ClientResult<()> {
        self.call_status(Request::Setstat {
            path: path.as_bytes().to_vec(),
            attrs: attrs.clone(),
        })
    }

    /// Changes an open handle's attributes.
    pub fn fsetstat(&mut self, handle: &Handle, attrs: &Attrs) -> ClientResult<()> {
        self.call_status(Request::Fsetstat {
            handle: handle.0.clone(),
            attrs: attrs.clone(),
        })
    }

    /// Changes a path's attributes without following a final symlink
    /// (`lsetstat@openssh.com`).
    pub fn lsetstat(&mut self, path: &str, attrs: &Attrs) -> ClientResult<()> {
        self.require("lsetstat@openssh.com", "1")?;
        self.call_status(Request::Extended(ExtendedRequest::Lsetstat {
            path: path.as_bytes().to_vec(),
            attrs: attrs.clone(),
        }))
    }

    /// Lists a directory (every entry the server returns, `.` and `..` included).
    pub fn read_dir(&mut self, path: &str) -> ClientResult<Vec<NameEntry>> {
        let h = self.call_handle(Request::Opendir {
            path: path.as_bytes().to_vec(),
        })?;
        let mut all = Vec::new();
        let result = loop {
            match self.call(Request::Readdir {
                handle: h.0.clone(),
            }) {
                Ok(Response::Name(names)) => all.extend(names),
                Ok(Response::Status { code: fx::EOF, .. }) => break Ok(()),
                Ok(other) => break Err(unexpected(other, "NAME")),
                Err(e) => break Err(e),
            }
        };
        let closed = self.close(h);
        result?;
        closed?;
        Ok(all)
    }

    /// Creates a directory (`attrs` usually carries only permissions).
    pub fn mkdir(&mut self, path: &str, attrs: &Attrs) -> ClientResult<()> {
        self.call_status(Request::Mkdir {
            path: path.as_bytes().to_vec(),
            attrs: attrs.clone(),
        })
    }

    /// Removes an empty directory.
    pub fn rmdir(&mut self, path: &str) -> ClientResult<()> {
        self.call_status(Request::Rmdir {
            path: path.as_bytes().to_vec(),
        })
    }

    /// Removes a file.
    pub fn remove(&mut self, path: &str) -> ClientResult<()> {
        self.call_status(Request::Remove {
            path: path.as_bytes().to_vec(),
        })
    }

    /// Renames, failing when `to` exists (v3 RENAME).
    pub fn rename(&mut self, from: &str, to: &str) -> ClientResult<()> {
        self.call_status(Request::Rename {
            from: from.as_bytes().to_vec(),
            to: to.as_bytes().to_vec(),
        })
    }

    /// Renames, replacing `to` atomically (`posix-rename@openssh.com`).
    pub fn posix_rename(&mut self, from: &str, to: &str) -> ClientResult<()> {
        self.require("posix-rename@openssh.com", "1")?;
        self.call_status(Request::Extended(ExtendedRequest::PosixRename {
            from: from.as_bytes().to_vec(),
            to: to.as_bytes().to_vec(),
        }))
    }

    /// Creates a symlink at `link` pointing to `target` (sent in OpenSSH's order).
    pub fn symlink(&mut self, target: &str, link: &str) -> ClientResult<()> {
        self.call_status(Request::Symlink {
            target: target.as_bytes().to_vec(),
            link: link.as_bytes().to_vec(),
        })
    }

    /// The content of a symlink.
    pub fn readlink(&mut self, path: &str) -> ClientResult<Vec<u8>> {
        self.call_one_name(Request::Readlink {
            path: path.as_bytes().to_vec(),
        })
    }

    /// The server's canonical absolute form of `path`.
    pub fn realpath(&mut self, path: &str) -> ClientResult<Vec<u8>> {
        self.call_one_name(Request::Realpath {
            path: path.as_bytes().to_vec(),
        })
    }

    /// Like realpath, expanding a leading `~` (`expand-path@openssh.com`).
    pub fn expand_path(&mut self, path: &str) -> ClientResult<Vec<u8>> {
        self.require("expand-path@openssh.com", "1")?;
        self.call_one_name(Request::Extended(ExtendedRequest::ExpandPath {
            path: path.as_bytes().to_vec(),
        }))
    }

    /// A user's home directory (`home-directory`; empty name for the connected user).
    pub fn home_directory(&mut self, username: &str) -> ClientResult<Vec<u8>> {
        self.require("home-directory", "1")?;
        self.call_one_name(Request::Extended(ExtendedRequest::HomeDirectory {
            username: username.as_bytes().to_vec(),
        }))
    }

    /// Creates a hard link `new` to `existing` (`hardlink@openssh.com`).
    pub fn hardlink(&mut self, existing: &str, new: &str) -> ClientResult<()> {
        self.require("hardlink@openssh.com", "1")?;
        self.call_status(Request::Extended(ExtendedRequest::Hardlink {
            existing: existing.as_bytes().to_vec(),
            new: new.as_bytes().to_vec(),
        }))
    }

    /// Flushes an open file to stable storage on the server (`fsync@openssh.com`).
    pub fn fsync(&mut self, handle: &Handle) -> ClientResult<()> {
        self.require("fsync@openssh.com", "1")?;
        self.call_status(Request::Extended(ExtendedRequest::Fsync {
            handle: handle.0.clone(),
        }))
    }

    /// Filesystem statistics for `path` (`statvfs@openssh.com`).
    pub fn statvfs(&mut self, path: &str) -> ClientResult<StatVfs> {
        self.require("statvfs@openssh.com", "2")?;
        let d = self.call_extended(Request::Extended(ExtendedRequest::Statvfs {
            path: path.as_bytes().to_vec(),
        }))?;
        parse_statvfs(&d)
    }

    /// Filesystem statistics for an open handle (`fstatvfs@openssh.com`).
    pub fn fstatvfs(&mut self, handle: &Handle) -> ClientResult<StatVfs> {
        self.require("fstatvfs@openssh.com", "2")?;
        let d = self.call_extended(Request::Extended(ExtendedRequest::Fstatvfs {
            handle: handle.0.clone(),
        }))?;
        parse_statvfs(&d)
    }

    /// Copies `length` bytes (0: to end of file) between two open files on the server
    /// (`copy-data`).
    pub fn copy_data(
        &mut self,
        from: &Handle,
        from_offset: u64,
        length: u64,
        to: &Handle,
        to_offset: u64,
    ) -> ClientResult<()> {
        self.require("copy-data", "1")?;
        self.call_status(Request::Extended(ExtendedRequest::CopyData {
            read_handle: from.0.clone(),
            read_offset: from_offset,
            length,
            write_handle: to.0.clone(),
            write_offset: to_offset,
        }))
    }

    /// User and group names for ids (`users-groups-by-id@openssh.com`); empty names
    /// for unknown ids.
    pub fn users_groups_by_id(
        &mut self,
        uids: &[u32],
        gids: &[u32],
    ) -> ClientResult<(Names, Names)> {
        self.require("users-groups-by-id@openssh.com", "1")?;
        let d = self.call_extended(Request::Extended(ExtendedRequest::UsersGroupsById {
            uids: uids.to_vec(),
            gids: gids.to_vec(),
        }))?;
        let mut r = codec::Reader::new(&d, fxp::EXTENDED_REPLY);
        let users = r.bytes("user names")?;
        let groups = r.bytes("group names")?;
        r.finish()?;
        let split = |b: &[u8], want: usize| -> ClientResult<Vec<Vec<u8>>> {
            let mut r = codec::Reader::new(b, fxp::EXTENDED_REPLY);
            let mut out = Vec::new();
            for _ in 0..want {
                out.push(r.string("name")?);
            }
            r.finish()?;
            Ok(out)
        };
        Ok((split(users, uids.len())?, split(groups, gids.len())?))
    }

    /// Downloads `remote` into `local` (written with `pwrite`, so replies may arrive in any
    /// order), truncating a regular `local` file to the remote file's length. Returns the
    /// byte count.
    pub fn get(&mut self, remote: &str, local: &File) -> ClientResult<u64> {
        let h = self.open(remote, fxf::READ, &Attrs::default())?;
        let size_hint = self.fstat(&h).ok().and_then(|a| a.size).unwrap_or(0);
        let result = self.get_pipelined(&h, local, size_hint);
        let closed = self.close(h);
        let len = result?;
        closed?;
        // Cut what an older, longer local file left beyond the end (a sink such as
        // /dev/null has no length to set).
        if local.metadata()?.is_file() {
            local.set_len(len)?;
        }
        Ok(len)
    }

    fn get_pipelined(&mut self, h: &Handle, local: &File, mut size_hint: u64) -> ClientResult<u64> {
        let chunk = self.read_len;
        let mut outstanding: HashMap<u32, (u64, u32)> = HashMap::new();
        let mut next_offset = 0u64;
        let mut eof_at: Option<u64> = None;
        let mut end = 0u64;
        let mut failure: Option<ClientError> = None;
        loop {
            // Beyond the size the server reported, probe one request at a time: the file
            // may have grown, and one EOF reply ends the transfer.
            while failure.is_none()
                && eof_at.is_none()
                && outstanding.len() < self.max_requests
                && (next_offset < size_hint || outstanding.is_empty())
            {
                let id = self.id();
                self.send(
                    id,
                    &Request::Read {
                        handle: h.0.clone(),
                        offset: next_offset,
                        len: chunk,
                    },
                )?;
                outstanding.insert(id, (next_offset, chunk));
                next_offset += chunk as u64;
            }
            self.writer.flush()?;
            if outstanding.is_empty() {
                break;
            }
            let (id, resp) = self.receive()?;
            let (offset, len) = outstanding
                .remove(&id)
                .ok_or_else(|| ClientError::Protocol(format!("reply to unknown request {id}")))?;
            match resp {
                Response::Data(d) => {
                    let data = d.as_slice();
                    if data.len() > len as usize {
                        return Err(ClientError::Protocol("more data than requested".into()));
                    }
                    if failure.is_some() {
                        continue;
                    }
                    let written = local.write_all_at(data, offset);
                    let dlen = data.len();
                    self.recycle(d.into_buffer());
                    if let Err(e) = written {
                        failure = Some(e.into());
                        continue;
                    }
                    let got_to = offset + dlen as u64;
                    end = end.max(got_to);
                    if got_to > size_hint {
                        // The file is longer than reported: pipeline until EOF.
                        size_hint = u64::MAX;
                    }
                    if dlen < len as usize && dlen > 0 {
                        // A short read not at end of file: ask for the rest.
                        let id = self.id();
                        let rest = len - dlen as u32;
                        self.send(
                            id,
                            &Request::Read {
                                handle: h.0.clone(),
                                offset: got_to,
                                len: rest,
                            },
                        )?;
                        outstanding.insert(id, (got_to, rest));
                    } else if dlen == 0 {
                        return Err(ClientError::Protocol("empty DATA reply".into()));
                    }
                }
                Response::Status { code: fx::EOF, .. } => {
                    eof_at = Some(eof_at.map_or(offset, |e| e.min(offset)));
                }
                Response::Status { code, message } => {
                    failure.get_or_insert(ClientError::Status { code, message });
                }
                other => {
                    failure.get_or_insert(unexpected(other, "DATA"));
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(end),
        }
    }

    /// Uploads `local` to `remote` (created or truncated, permissions 0644 unless it
    /// exists). Returns the byte count. Over SSH, where the file is read straight into
    /// the packets, a file that shrinks while being sent is an error and ends the
    /// session (a request's length was promised); over a byte stream the upload stops
    /// short.
    pub fn put(&mut self, local: &File, remote: &str) -> ClientResult<u64> {
        let size = local.metadata()?.len();
        let h = self.open(
            remote,
            fxf::WRITE | fxf::CREAT | fxf::TRUNC,
            &Attrs {
                permissions: Some(0o644),
                ..Attrs::default()
            },
        )?;
        let result = self.put_pipelined(&h, local, size);
        let closed = self.close(h);
        let n = result?;
        closed?;
        Ok(n)
    }

    fn put_pipelined(&mut self, h: &Handle, local: &File, size: u64) -> ClientResult<u64> {
        let chunk = self.write_len as usize;
        let mut outstanding = 0usize;
        let mut offset = 0u64;
        let mut failure: Option<ClientError> = None;
        let mut sent_ids = std::collections::HashSet::new();
        let mut buf = Vec::new();
        let mut head = Vec::new();
        // Over SSH the file data is read straight into the packets carrying it; a writer
        // that cannot take it that way gets whole frames built here, through its buffer.
        let in_place = self.writer.get_ref().in_place();
        loop {
            while failure.is_none() && outstanding < self.max_requests && offset < size {
                let want = chunk.min((size - offset) as usize);
                let id = self.id();
                let sent_in_place = in_place && {
                    write_head(&mut head, id, &h.0, offset, want);
                    self.writer.flush()?;
                    self.writer
                        .get_mut()
                        .write_with(head.len() + want, &mut |at, out| {
                            fill_write(&head, local, offset, at, out)
                        })?
                };
                let n = if sent_in_place {
                    want
                } else {
                    match write_frame(&mut buf, id, &h.0, offset, local, want) {
                        Ok(Some(n)) => {
                            self.writer.write_all(&buf)?;
                            n
                        }
                        // The local file shrank while being sent.
                        Ok(None) => break,
                        Err(e) => {
                            failure = Some(e.into());
                            break;
                        }
                    }
                };
                sent_ids.insert(id);
                outstanding += 1;
                offset += n as u64;
                if n < want {
                    break;
                }
            }
            self.writer.flush()?;
            if outstanding == 0 {
                break;
            }
            let (id, resp) = self.receive()?;
            if !sent_ids.remove(&id) {
                return Err(ClientError::Protocol(format!(
                    "reply to unknown request {id}"
                )));
            }
            outstanding -= 1;
            match resp {
                Response::Status { code: fx::OK, .. } => {}
                Response::Status { code, message } => {
                    failure.get_or_insert(ClientError::Status { code, message });
                }
                other => {
                    failure.get_or_insert(unexpected(other, "STATUS"));
                }
            }
            if offset >= size && outstanding == 0 {
                break;
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(offset),
        }
    }

    /// Downloads `remote` to the local path `local` (created or truncated).
    pub fn get_file(&mut self, remote: &str, local: impl AsRef<Path>) -> ClientResult<u64> {
        let f = File::create(local)?;
        self.get(remote, &f)
    }

    /// Uploads the local path `local` to `remote`.
    pub fn put_file(&mut self, local: impl AsRef<Path>, remote: &str) -> ClientResult<u64> {
        let f = File::open(local)?;
        self.put(&f, remote)
    }
}

/// Where replies come from.
enum Replies {
    /// Read ahead by a thread of their own, so that receiving overlaps file I/O.
    Thread(Receiver<Result<Vec<u8>, CodecError>>),
    /// Taken by the calling thread from a source that holds whole frames already.
    Direct(Box<dyn FrameSource>),
}

/// Starts the thread that reads replies from `reader` ahead of the calling thread, into
/// buffers from `pool`.
fn read_ahead_thread<S: FrameSource + 'static>(
    mut reader: S,
    pool: &Arc<Mutex<Vec<Vec<u8>>>>,
    max_requests: usize,
) -> io::Result<Receiver<Result<Vec<u8>, CodecError>>> {
    let reader_pool = pool.clone();
    let (tx, replies) = mpsc::sync_channel(max_requests.max(1) * 2);
    crate::cpu::spawn(
        std::thread::Builder::new().name("sftp-client-reader".into()),
        move || {
            loop {
                let mut frame = reader_pool
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pop()
                    .unwrap_or_default();
                let msg = match reader.next_frame(&mut frame) {
                    Ok(true) => Ok(frame),
                    Ok(false) => break,
                    Err(e) => Err(e),
                };
                let end = msg.is_err();
                if tx.send(msg).is_err() || end {
                    break;
                }
            }
        },
    )?;
    Ok(replies)
}

/// Where the client's request frames go: any byte stream ([`Stream`]), or an SSH
/// channel that takes a WRITE's file data straight into the packets carrying it.
pub(crate) trait FrameWrite: Write + Send {
    /// Whether [`write_with`](Self::write_with) sends in place (asked once per
    /// transfer, so a writer that cannot is never handed a frame head to throw away).
    fn in_place(&self) -> bool {
        false
    }

    /// Sends `len` bytes that `fill` writes in place (called with each part's offset in
    /// the `len` bytes and where it goes), if this writer can do that without a buffer
    /// of its own; `Ok(false)` if it cannot, and nothing was sent. After an error the
    /// stream may have been cut off mid-frame.
    fn write_with(
        &mut self,
        len: usize,
        fill: &mut dyn FnMut(usize, &mut [u8]) -> io::Result<()>,
    ) -> io::Result<bool>;
}

/// Any byte stream as a [`FrameWrite`] that builds whole frames first.
struct Stream<W>(W);

impl<W: Write> Write for Stream<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write + Send> FrameWrite for Stream<W> {
    fn write_with(
        &mut self,
        _len: usize,
        _fill: &mut dyn FnMut(usize, &mut [u8]) -> io::Result<()>,
    ) -> io::Result<bool> {
        Ok(false)
    }
}

/// The length of a WRITE frame's head: its length, type, id, handle, offset and data
/// length fields.
fn write_head_len(handle: &[u8]) -> usize {
    4 + 1 + 4 + 4 + handle.len() + 8 + 4
}

/// Encodes the head of a WRITE frame of `len` data bytes into `out`
/// ([`write_head_len`] bytes).
fn encode_write_head(out: &mut [u8], id: u32, handle: &[u8], offset: u64, len: usize) {
    let mut h = out;
    for field in [
        &((write_head_len(handle) - 4 + len) as u32).to_be_bytes()[..],
        &[fxp::WRITE],
        &id.to_be_bytes(),
        &(handle.len() as u32).to_be_bytes(),
        handle,
        &offset.to_be_bytes(),
        &(len as u32).to_be_bytes(),
    ] {
        let (dst, rest) = h.split_at_mut(field.len());
        dst.copy_from_slice(field);
        h = rest;
    }
}

/// Makes `head` (reused) the head of a WRITE frame of `len` data bytes.
fn write_head(head: &mut Vec<u8>, id: u32, handle: &[u8], offset: u64, len: usize) {
    head.resize(write_head_len(handle), 0);
    encode_write_head(head, id, handle, offset, len);
}

/// Writes the part of a WRITE frame (`head`, then the file's bytes from `offset`) that
/// starts `at` bytes into it into `out`, reading the file straight into place. A file
/// that ends early is an error: the frame's length has been promised.
fn fill_write(
    head: &[u8],
    local: &File,
    offset: u64,
    at: usize,
    mut out: &mut [u8],
) -> io::Result<()> {
    let mut at = at;
    if at < head.len() {
        let k = (head.len() - at).min(out.len());
        out[..k].copy_from_slice(&head[at..at + k]);
        out = &mut out[k..];
        at += k;
    }
    if out.is_empty() {
        return Ok(());
    }
    let mut pos = offset + (at - head.len()) as u64;
    while !out.is_empty() {
        match local.read_at(out, pos) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the local file shrank while being sent",
                ));
            }
            Ok(n) => {
                out = &mut out[n..];
                pos += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Fills `buf` with a WRITE frame whose data is read from `local` straight into it (no
/// second copy). `buf` is reused from frame to frame, so only its first fill is zeroed.
/// Returns the data length, or `None` when `local` has nothing at `offset` any more.
fn write_frame(
    buf: &mut Vec<u8>,
    id: u32,
    handle: &[u8],
    offset: u64,
    local: &File,
    want: usize,
) -> io::Result<Option<usize>> {
    let header = write_head_len(handle);
    buf.resize(header + want, 0);
    let mut got = 0;
    while got < want {
        match local.read_at(&mut buf[header + got..], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if got == 0 {
        return Ok(None);
    }
    buf.truncate(header + got);
    encode_write_head(&mut buf[..header], id, handle, offset, got);
    Ok(Some(got))
}

fn parse_statvfs(d: &[u8]) -> ClientResult<StatVfs> {
    let mut r = codec::Reader::new(d, fxp::EXTENDED_REPLY);
    let mut v = [0u64; 11];
    for x in &mut v {
        *x = r.u64("statvfs field")?;
    }
    r.finish()?;
    Ok(StatVfs {
        bsize: v[0],
        frsize: v[1],
        blocks: v[2],
        bfree: v[3],
        bavail: v[4],
        files: v[5],
        ffree: v[6],
        favail: v[7],
        fsid: v[8],
        flag: v[9],
        namemax: v[10],
    })
}

fn unexpected(resp: Response, wanted: &str) -> ClientError {
    match resp {
        Response::Status { code, message } => ClientError::Status { code, message },
        other => ClientError::Protocol(format!("expected {wanted}, got {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file under the temporary directory holding `data`, removed on drop.
    struct TempFile(std::path::PathBuf, File);

    impl TempFile {
        fn with(data: &[u8]) -> TempFile {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir()
                .join(format!("wirecrypt-sftp-client-{}-{n}", std::process::id()));
            std::fs::write(&path, data).unwrap();
            let f = File::open(&path).unwrap();
            TempFile(path, f)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn a_write_filled_in_parts_is_the_frame_built_whole() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        let tmp = TempFile::with(&data);
        let f = &tmp.1;
        let mut whole = Vec::new();
        assert_eq!(
            write_frame(&mut whole, 9, b"h1", 100, f, 5000).unwrap(),
            Some(5000)
        );
        let mut head = Vec::new();
        write_head(&mut head, 9, b"h1", 100, 5000);
        for part in [1, 7, 29, 30, 4096, whole.len()] {
            let mut parts = vec![0u8; whole.len()];
            for (i, out) in parts.chunks_mut(part).enumerate() {
                fill_write(&head, f, 100, i * part, out).unwrap();
            }
            assert_eq!(parts, whole, "parts of {part}");
        }
    }

    #[test]
    fn a_file_shorter_than_promised_fails_the_fill() {
        let tmp = TempFile::with(&[5; 100]);
        let f = &tmp.1;
        let mut head = Vec::new();
        write_head(&mut head, 1, b"h", 50, 80);
        let mut out = vec![0u8; head.len() + 80];
        let e = fill_write(&head, f, 50, 0, &mut out).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }
}
