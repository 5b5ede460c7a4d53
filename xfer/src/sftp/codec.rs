//! SFTP version 3 wire format (draft-ietf-secsh-filexfer-02, as OpenSSH speaks it): packets,
//! attributes, every request and response, and the OpenSSH extensions. No I/O beyond
//! reading and writing whole frames.
//!
//! Every length read from the wire is checked against what is left of the packet before
//! anything is allocated, so a hostile peer gets a [`CodecError`], never a panic or an
//! allocation larger than the packet it already sent (itself bounded by
//! [`MAX_PACKET_LEN`]).

use std::fmt;
use std::io::{self, Read};

/// The protocol version this module speaks.
pub const VERSION: u32 = 3;

/// Largest packet body OpenSSH sends or accepts (`SFTP_MAX_MSG_LENGTH`, 256 KiB); we
/// announce it in `limits@openssh.com`.
pub const MAX_PACKET_ANNOUNCED: u32 = 256 * 1024;
/// Largest packet body we accept: the announced limit plus headroom for peers that count
/// the header differently.
pub const MAX_PACKET_LEN: u32 = MAX_PACKET_ANNOUNCED + 4096;
/// Largest READ/WRITE payload, as OpenSSH's sftp-server announces and enforces.
pub const MAX_DATA_LEN: u32 = 261_120;
/// Longest handle a v3 server may issue (draft §3).
pub const MAX_HANDLE_LEN: usize = 256;

/// Packet type numbers (`SSH_FXP_*`).
#[allow(missing_docs)]
pub mod fxp {
    pub const INIT: u8 = 1;
    pub const VERSION: u8 = 2;
    pub const OPEN: u8 = 3;
    pub const CLOSE: u8 = 4;
    pub const READ: u8 = 5;
    pub const WRITE: u8 = 6;
    pub const LSTAT: u8 = 7;
    pub const FSTAT: u8 = 8;
    pub const SETSTAT: u8 = 9;
    pub const FSETSTAT: u8 = 10;
    pub const OPENDIR: u8 = 11;
    pub const READDIR: u8 = 12;
    pub const REMOVE: u8 = 13;
    pub const MKDIR: u8 = 14;
    pub const RMDIR: u8 = 15;
    pub const REALPATH: u8 = 16;
    pub const STAT: u8 = 17;
    pub const RENAME: u8 = 18;
    pub const READLINK: u8 = 19;
    pub const SYMLINK: u8 = 20;
    pub const STATUS: u8 = 101;
    pub const HANDLE: u8 = 102;
    pub const DATA: u8 = 103;
    pub const NAME: u8 = 104;
    pub const ATTRS: u8 = 105;
    pub const EXTENDED: u8 = 200;
    pub const EXTENDED_REPLY: u8 = 201;
}

/// Status codes (`SSH_FX_*`).
#[allow(missing_docs)]
pub mod fx {
    pub const OK: u32 = 0;
    pub const EOF: u32 = 1;
    pub const NO_SUCH_FILE: u32 = 2;
    pub const PERMISSION_DENIED: u32 = 3;
    pub const FAILURE: u32 = 4;
    pub const BAD_MESSAGE: u32 = 5;
    pub const NO_CONNECTION: u32 = 6;
    pub const CONNECTION_LOST: u32 = 7;
    pub const OP_UNSUPPORTED: u32 = 8;
}

/// Open flags (`SSH_FXF_*`).
#[allow(missing_docs)]
pub mod fxf {
    pub const READ: u32 = 0x01;
    pub const WRITE: u32 = 0x02;
    pub const APPEND: u32 = 0x04;
    pub const CREAT: u32 = 0x08;
    pub const TRUNC: u32 = 0x10;
    pub const EXCL: u32 = 0x20;
}

/// Attribute presence flags (`SSH_FILEXFER_ATTR_*`).
mod attr {
    pub const SIZE: u32 = 0x01;
    pub const UIDGID: u32 = 0x02;
    pub const PERMISSIONS: u32 = 0x04;
    pub const ACMODTIME: u32 = 0x08;
    pub const EXTENDED: u32 = 0x8000_0000;
}

/// Why bytes could not be read as SFTP.
#[derive(Debug)]
pub enum CodecError {
    /// The stream failed or ended inside a packet.
    Io(io::Error),
    /// A packet announced a body longer than [`MAX_PACKET_LEN`] (or zero).
    BadPacketLength(u32),
    /// A field runs past the end of its packet.
    Truncated {
        /// The packet type being decoded.
        packet: u8,
        /// Which field ran short.
        field: &'static str,
    },
    /// A packet type this side does not know, with its request id when it has one.
    UnknownType {
        /// The type byte.
        packet: u8,
        /// The request id, for a status reply.
        id: Option<u32>,
    },
    /// A value that is well-formed but not acceptable (for example a handle longer than
    /// 256 bytes, or bytes left over after the last field).
    Invalid {
        /// The packet type being decoded.
        packet: u8,
        /// What is wrong.
        what: &'static str,
    },
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Io(e) => write!(f, "sftp stream: {e}"),
            CodecError::BadPacketLength(n) => {
                write!(f, "sftp packet length {n} outside 1..={MAX_PACKET_LEN}")
            }
            CodecError::Truncated { packet, field } => {
                write!(f, "sftp packet type {packet} truncated in {field}")
            }
            CodecError::UnknownType { packet, .. } => {
                write!(f, "unknown sftp packet type {packet}")
            }
            CodecError::Invalid { packet, what } => {
                write!(f, "invalid sftp packet type {packet}: {what}")
            }
        }
    }
}

impl std::error::Error for CodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CodecError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for CodecError {
    fn from(e: io::Error) -> Self {
        CodecError::Io(e)
    }
}

/// Where whole frames come from: a byte stream ([`Buffered`]), or an SSH channel that
/// cuts them out as they arrive (each byte copied once, into its frame's buffer).
pub(crate) trait FrameSource: Send {
    /// Puts the next frame's body in `frame` (its old buffer may be kept for later
    /// frames); `false` when the peer closed its side between frames.
    fn next_frame(&mut self, frame: &mut Vec<u8>) -> Result<bool, CodecError>;
}

/// A [`FrameSource`] that can also say, without waiting, that no whole frame is there
/// yet.
pub(crate) trait PollFrames: FrameSource {
    /// Like [`next_frame`](FrameSource::next_frame), but `Ok(None)` at once when no
    /// whole frame has arrived.
    fn try_next_frame(&mut self, frame: &mut Vec<u8>) -> Result<Option<bool>, CodecError>;
}

/// Frames read from a byte stream through a buffer, so a frame's length and the start
/// of its body come in one read; large bodies pass straight through into the frame.
pub(crate) struct Buffered<R>(io::BufReader<R>);

impl<R: Read> Buffered<R> {
    /// Frames from `reader`.
    pub(crate) fn new(reader: R) -> Self {
        Buffered(io::BufReader::with_capacity(64 * 1024, reader))
    }
}

impl<R: Read + Send> FrameSource for Buffered<R> {
    fn next_frame(&mut self, frame: &mut Vec<u8>) -> Result<bool, CodecError> {
        read_frame_into(&mut self.0, frame)
    }
}

/// Reads one packet body (type byte onward). `Ok(None)` on a clean end of stream before
/// the first byte of a packet; an end inside a packet is an error.
pub fn read_frame(r: &mut impl Read) -> Result<Option<Vec<u8>>, CodecError> {
    let mut body = Vec::new();
    Ok(read_frame_into(r, &mut body)?.then_some(body))
}

/// Like [`read_frame`], into `body` (replacing its contents, reusing its allocation).
/// `Ok(false)` on a clean end of stream.
pub fn read_frame_into(r: &mut impl Read, body: &mut Vec<u8>) -> Result<bool, CodecError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let len = u32::from_be_bytes(len);
    if len == 0 || len > MAX_PACKET_LEN {
        return Err(CodecError::BadPacketLength(len));
    }
    // read_to_end fills the spare capacity directly: no zeroing pass over up to 256 KiB
    // that the read overwrites anyway.
    body.clear();
    body.reserve_exact(len as usize);
    let got = r.take(len as u64).read_to_end(body)?;
    if got < len as usize {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
    Ok(true)
}

/// Reads fields from one packet body, bounds-checked.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    packet: u8,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, reporting errors as in a packet of type `packet`.
    pub fn new(buf: &'a [u8], packet: u8) -> Reader<'a> {
        Reader {
            buf,
            pos: 0,
            packet,
        }
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], CodecError> {
        if self.buf.len() - self.pos < n {
            return Err(CodecError::Truncated {
                packet: self.packet,
                field,
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A `byte`.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, CodecError> {
        Ok(self.take(1, field)?[0])
    }

    /// A `uint32`.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, CodecError> {
        let b = self.take(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A `uint64`.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, CodecError> {
        let b = self.take(8, field)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// A `string`, borrowed from the packet.
    pub fn bytes(&mut self, field: &'static str) -> Result<&'a [u8], CodecError> {
        let n = self.u32(field)? as usize;
        self.take(n, field)
    }

    /// A `string`, copied.
    pub fn string(&mut self, field: &'static str) -> Result<Vec<u8>, CodecError> {
        Ok(self.bytes(field)?.to_vec())
    }

    /// A handle string, at most [`MAX_HANDLE_LEN`] bytes.
    pub fn handle(&mut self) -> Result<Vec<u8>, CodecError> {
        let h = self.bytes("handle")?;
        if h.len() > MAX_HANDLE_LEN {
            return Err(self.invalid("handle longer than 256 bytes"));
        }
        Ok(h.to_vec())
    }

    /// An ATTRS structure.
    pub fn attrs(&mut self) -> Result<Attrs, CodecError> {
        let flags = self.u32("attrs flags")?;
        let mut a = Attrs::default();
        if flags & attr::SIZE != 0 {
            a.size = Some(self.u64("attrs size")?);
        }
        if flags & attr::UIDGID != 0 {
            a.uid_gid = Some((self.u32("attrs uid")?, self.u32("attrs gid")?));
        }
        if flags & attr::PERMISSIONS != 0 {
            a.permissions = Some(self.u32("attrs permissions")?);
        }
        if flags & attr::ACMODTIME != 0 {
            a.times = Some((self.u32("attrs atime")?, self.u32("attrs mtime")?));
        }
        if flags & attr::EXTENDED != 0 {
            let count = self.u32("attrs extended count")?;
            for _ in 0..count {
                // Each pair takes at least 8 bytes, so a hostile count runs out of packet
                // long before it costs anything.
                let name = self.string("attrs extended type")?;
                let data = self.string("attrs extended data")?;
                a.extended.push((name, data));
            }
        }
        Ok(a)
    }

    /// Bytes not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }

    /// Offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), CodecError> {
        if self.pos != self.buf.len() {
            return Err(self.invalid("trailing bytes after the last field"));
        }
        Ok(())
    }

    fn invalid(&self, what: &'static str) -> CodecError {
        CodecError::Invalid {
            packet: self.packet,
            what,
        }
    }
}

/// Builds one packet, length prefix included.
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// Starts a packet of type `packet`.
    pub fn new(packet: u8) -> Writer {
        Writer::with_capacity(packet, 64)
    }

    /// Starts a packet of type `packet` with room for `cap` body bytes.
    pub fn with_capacity(packet: u8, cap: usize) -> Writer {
        let mut buf = Vec::with_capacity(cap + 5);
        buf.extend_from_slice(&[0, 0, 0, 0, packet]);
        Writer { buf }
    }

    /// Appends a `byte`.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// Appends a `uint32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends a `uint64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends a `string`.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.buf.extend_from_slice(v);
        self
    }

    /// Appends an ATTRS structure.
    pub fn attrs(&mut self, a: &Attrs) -> &mut Self {
        let mut flags = 0;
        if a.size.is_some() {
            flags |= attr::SIZE;
        }
        if a.uid_gid.is_some() {
            flags |= attr::UIDGID;
        }
        if a.permissions.is_some() {
            flags |= attr::PERMISSIONS;
        }
        if a.times.is_some() {
            flags |= attr::ACMODTIME;
        }
        if !a.extended.is_empty() {
            flags |= attr::EXTENDED;
        }
        self.u32(flags);
        if let Some(s) = a.size {
            self.u64(s);
        }
        if let Some((u, g)) = a.uid_gid {
            self.u32(u).u32(g);
        }
        if let Some(p) = a.permissions {
            self.u32(p);
        }
        if let Some((at, mt)) = a.times {
            self.u32(at).u32(mt);
        }
        if !a.extended.is_empty() {
            self.u32(a.extended.len() as u32);
            for (n, d) in &a.extended {
                self.bytes(n).bytes(d);
            }
        }
        self
    }

    /// Appends raw bytes.
    pub fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// Finishes the packet: fills in the length prefix and returns the whole frame.
    pub fn finish(mut self) -> Vec<u8> {
        let len = (self.buf.len() - 4) as u32;
        self.buf[..4].copy_from_slice(&len.to_be_bytes());
        self.buf
    }
}

/// File attributes (draft §5); absent fields are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Size in bytes.
    pub size: Option<u64>,
    /// Owner and group ids.
    pub uid_gid: Option<(u32, u32)>,
    /// `st_mode` (type and permission bits).
    pub permissions: Option<u32>,
    /// Access and modification times (seconds, 32-bit in v3).
    pub times: Option<(u32, u32)>,
    /// Extended attribute pairs (type, data).
    pub extended: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Attrs {
    /// True when `permissions` says directory.
    pub fn is_dir(&self) -> bool {
        self.permissions.is_some_and(|p| p & 0o170000 == 0o040000)
    }

    /// True when `permissions` says regular file.
    pub fn is_file(&self) -> bool {
        self.permissions.is_some_and(|p| p & 0o170000 == 0o100000)
    }

    /// True when `permissions` says symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.permissions.is_some_and(|p| p & 0o170000 == 0o120000)
    }
}

/// One entry of a NAME response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameEntry {
    /// File name (in READDIR: the entry's name; in REALPATH: the full path).
    pub filename: Vec<u8>,
    /// `ls -l`-style line.
    pub longname: Vec<u8>,
    /// The entry's attributes.
    pub attrs: Attrs,
}

/// The extensions a request may name (`SSH_FXP_EXTENDED`), with their arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtendedRequest {
    /// `posix-rename@openssh.com`: rename, replacing the target.
    PosixRename {
        /// Old path.
        from: Vec<u8>,
        /// New path.
        to: Vec<u8>,
    },
    /// `statvfs@openssh.com`.
    Statvfs {
        /// Any path on the filesystem.
        path: Vec<u8>,
    },
    /// `fstatvfs@openssh.com`.
    Fstatvfs {
        /// An open handle.
        handle: Vec<u8>,
    },
    /// `hardlink@openssh.com`.
    Hardlink {
        /// Existing path.
        existing: Vec<u8>,
        /// New link path.
        new: Vec<u8>,
    },
    /// `fsync@openssh.com`.
    Fsync {
        /// An open file handle.
        handle: Vec<u8>,
    },
    /// `lsetstat@openssh.com`: setstat without following a final symlink.
    Lsetstat {
        /// Path.
        path: Vec<u8>,
        /// Changes.
        attrs: Attrs,
    },
    /// `limits@openssh.com`.
    Limits,
    /// `expand-path@openssh.com`: realpath that also expands `~`.
    ExpandPath {
        /// Path, possibly starting with `~`.
        path: Vec<u8>,
    },
    /// `copy-data`: copy a byte range from one open file to another on the server.
    CopyData {
        /// Source handle.
        read_handle: Vec<u8>,
        /// Source offset.
        read_offset: u64,
        /// Byte count, 0 for "to end of file".
        length: u64,
        /// Destination handle.
        write_handle: Vec<u8>,
        /// Destination offset.
        write_offset: u64,
    },
    /// `home-directory`.
    HomeDirectory {
        /// User name (empty for the connected user).
        username: Vec<u8>,
    },
    /// `users-groups-by-id@openssh.com`.
    UsersGroupsById {
        /// User ids to name.
        uids: Vec<u32>,
        /// Group ids to name.
        gids: Vec<u32>,
    },
    /// Any other extension; the server answers `SSH_FX_OP_UNSUPPORTED`.
    Unknown {
        /// The extension name.
        name: Vec<u8>,
    },
}

/// Extension names and versions as OpenSSH's sftp-server announces them.
pub const SERVER_EXTENSIONS: [(&str, &str); 11] = [
    ("posix-rename@openssh.com", "1"),
    ("statvfs@openssh.com", "2"),
    ("fstatvfs@openssh.com", "2"),
    ("hardlink@openssh.com", "1"),
    ("fsync@openssh.com", "1"),
    ("lsetstat@openssh.com", "1"),
    ("limits@openssh.com", "1"),
    ("expand-path@openssh.com", "1"),
    ("copy-data", "1"),
    ("home-directory", "1"),
    ("users-groups-by-id@openssh.com", "1"),
];

/// A client request (everything after INIT).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Open a file.
    Open {
        /// Path.
        path: Vec<u8>,
        /// `SSH_FXF_*` flags.
        pflags: u32,
        /// Attributes for a created file.
        attrs: Attrs,
    },
    /// Close a handle.
    Close {
        /// Handle.
        handle: Vec<u8>,
    },
    /// Read from a file.
    Read {
        /// Handle.
        handle: Vec<u8>,
        /// Offset.
        offset: u64,
        /// Byte count wanted.
        len: u32,
    },
    /// Write to a file.
    Write {
        /// Handle.
        handle: Vec<u8>,
        /// Offset.
        offset: u64,
        /// The data, held inside the received packet (no copy).
        data: Payload,
    },
    /// Status without following a final symlink.
    Lstat {
        /// Path.
        path: Vec<u8>,
    },
    /// Status of an open handle.
    Fstat {
        /// Handle.
        handle: Vec<u8>,
    },
    /// Change status by path.
    Setstat {
        /// Path.
        path: Vec<u8>,
        /// Changes.
        attrs: Attrs,
    },
    /// Change status of an open handle.
    Fsetstat {
        /// Handle.
        handle: Vec<u8>,
        /// Changes.
        attrs: Attrs,
    },
    /// Open a directory for listing.
    Opendir {
        /// Path.
        path: Vec<u8>,
    },
    /// Next batch of directory entries.
    Readdir {
        /// Handle.
        handle: Vec<u8>,
    },
    /// Remove a file.
    Remove {
        /// Path.
        path: Vec<u8>,
    },
    /// Create a directory.
    Mkdir {
        /// Path.
        path: Vec<u8>,
        /// Attributes (permissions).
        attrs: Attrs,
    },
    /// Remove a directory.
    Rmdir {
        /// Path.
        path: Vec<u8>,
    },
    /// Canonical absolute path.
    Realpath {
        /// Path.
        path: Vec<u8>,
    },
    /// Status following symlinks.
    Stat {
        /// Path.
        path: Vec<u8>,
    },
    /// Rename, failing when the target exists.
    Rename {
        /// Old path.
        from: Vec<u8>,
        /// New path.
        to: Vec<u8>,
    },
    /// Content of a symlink.
    Readlink {
        /// Path.
        path: Vec<u8>,
    },
    /// Create a symlink. On the wire OpenSSH sends the target first and the link path
    /// second, the reverse of the draft; this field order follows OpenSSH.
    Symlink {
        /// What the link points to.
        target: Vec<u8>,
        /// Where the link is created.
        link: Vec<u8>,
    },
    /// An extension request.
    Extended(ExtendedRequest),
}

/// Data carried inside a received packet: the packet buffer and the data's range, so
/// that WRITE data goes to the file without a copy.
#[derive(Clone)]
pub struct Payload {
    frame: Vec<u8>,
    start: usize,
    end: usize,
}

impl Payload {
    /// Wraps owned bytes.
    pub fn from_vec(v: Vec<u8>) -> Payload {
        let end = v.len();
        Payload {
            frame: v,
            start: 0,
            end,
        }
    }

    /// The data.
    pub fn as_slice(&self) -> &[u8] {
        &self.frame[self.start..self.end]
    }

    /// The packet buffer the data lives in, for reuse.
    pub fn into_buffer(self) -> Vec<u8> {
        self.frame
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Payload {}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Payload({} bytes)", self.end - self.start)
    }
}

/// Decodes INIT: the client's version (extension pairs after it are ignored, as v3 has
/// none from the client that change anything here).
pub fn decode_init(frame: &[u8]) -> Result<u32, CodecError> {
    let mut r = Reader::new(frame, frame.first().copied().unwrap_or(0));
    let t = r.u8("type")?;
    if t != fxp::INIT {
        return Err(CodecError::Invalid {
            packet: t,
            what: "expected SSH_FXP_INIT",
        });
    }
    r.u32("version")
}

/// Encodes INIT.
pub fn encode_init(version: u32) -> Vec<u8> {
    let mut w = Writer::new(fxp::INIT);
    w.u32(version);
    w.finish()
}

/// An extension's name and data (in VERSION: its version string).
pub type ExtensionPair = (Vec<u8>, Vec<u8>);

/// Encodes VERSION with extension pairs.
pub fn encode_version(version: u32, extensions: &[(&str, &str)]) -> Vec<u8> {
    let mut w = Writer::new(fxp::VERSION);
    w.u32(version);
    for (n, d) in extensions {
        w.bytes(n.as_bytes()).bytes(d.as_bytes());
    }
    w.finish()
}

/// Decodes VERSION: the server's version and extension pairs.
pub fn decode_version(frame: &[u8]) -> Result<(u32, Vec<ExtensionPair>), CodecError> {
    let mut r = Reader::new(frame, fxp::VERSION);
    if r.u8("type")? != fxp::VERSION {
        return Err(r.invalid("expected SSH_FXP_VERSION"));
    }
    let v = r.u32("version")?;
    let mut ext = Vec::new();
    while r.position() < frame.len() {
        let n = r.string("extension name")?;
        let d = r.string("extension data")?;
        ext.push((n, d));
    }
    Ok((v, ext))
}

/// Decodes a request packet (owning its buffer, so WRITE data need not be copied).
/// Returns the request id with the request; an error that happened after the id was
/// read carries the id, so the server can answer it with a status.
pub fn decode_request(frame: Vec<u8>) -> Result<(u32, Request), (Option<u32>, CodecError)> {
    let Some(&t) = frame.first() else {
        return Err((
            None,
            CodecError::Truncated {
                packet: 0,
                field: "type",
            },
        ));
    };
    let mut r = Reader::new(&frame, t);
    r.pos = 1;
    let id = r.u32("request id").map_err(|e| (None, e))?;
    let req = decode_request_body(&mut r, t, id).map_err(|e| (Some(id), e))?;
    let req = match req {
        Some(req) => req,
        None => {
            // WRITE: keep the frame, point into it.
            let (handle, offset, start, end) = {
                let handle = r.handle().map_err(|e| (Some(id), e))?;
                let offset = r.u64("offset").map_err(|e| (Some(id), e))?;
                let data = r.bytes("data").map_err(|e| (Some(id), e))?;
                let end = r.position();
                r.finish().map_err(|e| (Some(id), e))?;
                (handle, offset, end - data.len(), end)
            };
            Request::Write {
                handle,
                offset,
                data: Payload { frame, start, end },
            }
        }
    };
    Ok((id, req))
}

/// Everything but WRITE (`None` means WRITE: the caller keeps the frame).
fn decode_request_body(r: &mut Reader<'_>, t: u8, id: u32) -> Result<Option<Request>, CodecError> {
    let req = match t {
        fxp::OPEN => Request::Open {
            path: r.string("path")?,
            pflags: r.u32("pflags")?,
            attrs: r.attrs()?,
        },
        fxp::CLOSE => Request::Close {
            handle: r.handle()?,
        },
        fxp::READ => Request::Read {
            handle: r.handle()?,
            offset: r.u64("offset")?,
            len: r.u32("length")?,
        },
        fxp::WRITE => return Ok(None),
        fxp::LSTAT => Request::Lstat {
            path: r.string("path")?,
        },
        fxp::FSTAT => Request::Fstat {
            handle: r.handle()?,
        },
        fxp::SETSTAT => Request::Setstat {
            path: r.string("path")?,
            attrs: r.attrs()?,
        },
        fxp::FSETSTAT => Request::Fsetstat {
            handle: r.handle()?,
            attrs: r.attrs()?,
        },
        fxp::OPENDIR => Request::Opendir {
            path: r.string("path")?,
        },
        fxp::READDIR => Request::Readdir {
            handle: r.handle()?,
        },
        fxp::REMOVE => Request::Remove {
            path: r.string("path")?,
        },
        fxp::MKDIR => Request::Mkdir {
            path: r.string("path")?,
            attrs: r.attrs()?,
        },
        fxp::RMDIR => Request::Rmdir {
            path: r.string("path")?,
        },
        fxp::REALPATH => Request::Realpath {
            path: r.string("path")?,
        },
        fxp::STAT => Request::Stat {
            path: r.string("path")?,
        },
        fxp::RENAME => Request::Rename {
            from: r.string("old path")?,
            to: r.string("new path")?,
        },
        fxp::READLINK => Request::Readlink {
            path: r.string("path")?,
        },
        fxp::SYMLINK => Request::Symlink {
            target: r.string("target path")?,
            link: r.string("link path")?,
        },
        fxp::EXTENDED => Request::Extended(decode_extended(r)?),
        _ => {
            return Err(CodecError::UnknownType {
                packet: t,
                id: Some(id),
            });
        }
    };
    // Unknown extensions may carry anything; everything else must be consumed exactly.
    if !matches!(req, Request::Extended(ExtendedRequest::Unknown { .. })) {
        r.finish()?;
    }
    Ok(Some(req))
}

fn decode_extended(r: &mut Reader<'_>) -> Result<ExtendedRequest, CodecError> {
    let name = r.bytes("extension name")?;
    Ok(match name {
        b"posix-rename@openssh.com" => ExtendedRequest::PosixRename {
            from: r.string("old path")?,
            to: r.string("new path")?,
        },
        b"statvfs@openssh.com" => ExtendedRequest::Statvfs {
            path: r.string("path")?,
        },
        b"fstatvfs@openssh.com" => ExtendedRequest::Fstatvfs {
            handle: r.handle()?,
        },
        b"hardlink@openssh.com" => ExtendedRequest::Hardlink {
            existing: r.string("old path")?,
            new: r.string("new path")?,
        },
        b"fsync@openssh.com" => ExtendedRequest::Fsync {
            handle: r.handle()?,
        },
        b"lsetstat@openssh.com" => ExtendedRequest::Lsetstat {
            path: r.string("path")?,
            attrs: r.attrs()?,
        },
        b"limits@openssh.com" => ExtendedRequest::Limits,
        b"expand-path@openssh.com" => ExtendedRequest::ExpandPath {
            path: r.string("path")?,
        },
        b"copy-data" => ExtendedRequest::CopyData {
            read_handle: r.handle()?,
            read_offset: r.u64("read offset")?,
            length: r.u64("length")?,
            write_handle: r.handle()?,
            write_offset: r.u64("write offset")?,
        },
        b"home-directory" => ExtendedRequest::HomeDirectory {
            username: r.string("username")?,
        },
        b"users-groups-by-id@openssh.com" => {
            let uids = r.bytes("uids")?;
            let gids = r.bytes("gids")?;
            ExtendedRequest::UsersGroupsById {
                uids: id_list(uids, r.packet)?,
                gids: id_list(gids, r.packet)?,
            }
        }
        other => ExtendedRequest::Unknown {
            name: other.to_vec(),
        },
    })
}

fn id_list(b: &[u8], packet: u8) -> Result<Vec<u32>, CodecError> {
    if !b.len().is_multiple_of(4) {
        return Err(CodecError::Invalid {
            packet,
            what: "id list not a multiple of 4 bytes",
        });
    }
    Ok(b.chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Encodes a request with id `id`.
pub fn encode_request(id: u32, req: &Request) -> Vec<u8> {
    let (t, cap) = match req {
        Request::Write { data, .. } => (fxp::WRITE, data.as_slice().len() + 300),
        _ => (request_type(req), 128),
    };
    let mut w = Writer::with_capacity(t, cap);
    w.u32(id);
    match req {
        Request::Open {
            path,
            pflags,
            attrs,
        } => {
            w.bytes(path).u32(*pflags).attrs(attrs);
        }
        Request::Close { handle } | Request::Fstat { handle } | Request::Readdir { handle } => {
            w.bytes(handle);
        }
        Request::Read {
            handle,
            offset,
            len,
        } => {
            w.bytes(handle).u64(*offset).u32(*len);
        }
        Request::Write {
            handle,
            offset,
            data,
        } => {
            w.bytes(handle).u64(*offset).bytes(data.as_slice());
        }
        Request::Lstat { path }
        | Request::Opendir { path }
        | Request::Remove { path }
        | Request::Rmdir { path }
        | Request::Realpath { path }
        | Request::Stat { path }
        | Request::Readlink { path } => {
            w.bytes(path);
        }
        Request::Setstat { path, attrs } | Request::Mkdir { path, attrs } => {
            w.bytes(path).attrs(attrs);
        }
        Request::Fsetstat { handle, attrs } => {
            w.bytes(handle).attrs(attrs);
        }
        Request::Rename { from, to } => {
            w.bytes(from).bytes(to);
        }
        Request::Symlink { target, link } => {
            w.bytes(target).bytes(link);
        }
        Request::Extended(ext) => encode_extended(&mut w, ext),
    }
    w.finish()
}

fn request_type(req: &Request) -> u8 {
    match req {
        Request::Open { .. } => fxp::OPEN,
        Request::Close { .. } => fxp::CLOSE,
        Request::Read { .. } => fxp::READ,
        Request::Write { .. } => fxp::WRITE,
        Request::Lstat { .. } => fxp::LSTAT,
        Request::Fstat { .. } => fxp::FSTAT,
        Request::Setstat { .. } => fxp::SETSTAT,
        Request::Fsetstat { .. } => fxp::FSETSTAT,
        Request::Opendir { .. } => fxp::OPENDIR,
        Request::Readdir { .. } => fxp::READDIR,
        Request::Remove { .. } => fxp::REMOVE,
        Request::Mkdir { .. } => fxp::MKDIR,
        Request::Rmdir { .. } => fxp::RMDIR,
        Request::Realpath { .. } => fxp::REALPATH,
        Request::Stat { .. } => fxp::STAT,
        Request::Rename { .. } => fxp::RENAME,
        Request::Readlink { .. } => fxp::READLINK,
        Request::Symlink { .. } => fxp::SYMLINK,
        Request::Extended(_) => fxp::EXTENDED,
    }
}

fn encode_extended(w: &mut Writer, ext: &ExtendedRequest) {
    match ext {
        ExtendedRequest::PosixRename { from, to } => {
            w.bytes(b"posix-rename@openssh.com").bytes(from).bytes(to);
        }
        ExtendedRequest::Statvfs { path } => {
            w.bytes(b"statvfs@openssh.com").bytes(path);
        }
        ExtendedRequest::Fstatvfs { handle } => {
            w.bytes(b"fstatvfs@openssh.com").bytes(handle);
        }
        ExtendedRequest::Hardlink { existing, new } => {
            w.bytes(b"hardlink@openssh.com").bytes(existing).bytes(new);
        }
        ExtendedRequest::Fsync { handle } => {
            w.bytes(b"fsync@openssh.com").bytes(handle);
        }
        ExtendedRequest::Lsetstat { path, attrs } => {
            w.bytes(b"lsetstat@openssh.com").bytes(path).attrs(attrs);
        }
        ExtendedRequest::Limits => {
            w.bytes(b"limits@openssh.com");
        }
        ExtendedRequest::ExpandPath { path } => {
            w.bytes(b"expand-path@openssh.com").bytes(path);
        }
        ExtendedRequest::CopyData {
            read_handle,
            read_offset,
            length,
            write_handle,
            write_offset,
        } => {
            w.bytes(b"copy-data")
                .bytes(read_handle)
                .u64(*read_offset)
                .u64(*length)
                .bytes(write_handle)
                .u64(*write_offset);
        }
        ExtendedRequest::HomeDirectory { username } => {
            w.bytes(b"home-directory").bytes(username);
        }
        ExtendedRequest::UsersGroupsById { uids, gids } => {
            let u: Vec<u8> = uids.iter().flat_map(|i| i.to_be_bytes()).collect();
            let g: Vec<u8> = gids.iter().flat_map(|i| i.to_be_bytes()).collect();
            w.bytes(b"users-groups-by-id@openssh.com")
                .bytes(&u)
                .bytes(&g);
        }
        ExtendedRequest::Unknown { name } => {
            w.bytes(name);
        }
    }
}

/// A server response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// Outcome of a request that returns nothing else.
    Status {
        /// `SSH_FX_*` code.
        code: u32,
        /// Human-readable message.
        message: String,
    },
    /// A new handle.
    Handle(Vec<u8>),
    /// File data (held inside the received packet).
    Data(Payload),
    /// Names (READDIR, REALPATH, READLINK).
    Name(Vec<NameEntry>),
    /// Attributes (STAT, LSTAT, FSTAT).
    Attrs(Attrs),
    /// Extension-specific reply data.
    ExtendedReply(Vec<u8>),
}

/// Encodes a STATUS response (language tag empty, as OpenSSH sends it).
pub fn encode_status(id: u32, code: u32, message: &str) -> Vec<u8> {
    let mut w = Writer::with_capacity(fxp::STATUS, 16 + message.len());
    w.u32(id).u32(code).bytes(message.as_bytes()).bytes(b"");
    w.finish()
}

/// Encodes a response with id `id`.
pub fn encode_response(id: u32, resp: &Response) -> Vec<u8> {
    match resp {
        Response::Status { code, message } => encode_status(id, *code, message),
        Response::Handle(h) => {
            let mut w = Writer::new(fxp::HANDLE);
            w.u32(id).bytes(h);
            w.finish()
        }
        Response::Data(d) => {
            let mut w = Writer::with_capacity(fxp::DATA, d.as_slice().len() + 8);
            w.u32(id).bytes(d.as_slice());
            w.finish()
        }
        Response::Name(names) => {
            let mut w = Writer::new(fxp::NAME);
            w.u32(id).u32(names.len() as u32);
            for n in names {
                w.bytes(&n.filename).bytes(&n.longname).attrs(&n.attrs);
            }
            w.finish()
        }
        Response::Attrs(a) => {
            let mut w = Writer::new(fxp::ATTRS);
            w.u32(id).attrs(a);
            w.finish()
        }
        Response::ExtendedReply(d) => {
            let mut w = Writer::with_capacity(fxp::EXTENDED_REPLY, d.len() + 4);
            w.u32(id).raw(d);
            w.finish()
        }
    }
}

/// Decodes a response packet (owning its buffer, so DATA need not be copied).
pub fn decode_response(frame: Vec<u8>) -> Result<(u32, Response), CodecError> {
    let Some(&t) = frame.first() else {
        return Err(CodecError::Truncated {
            packet: 0,
            field: "type",
        });
    };
    let mut r = Reader::new(&frame, t);
    r.pos = 1;
    let id = r.u32("request id")?;
    let resp = match t {
        fxp::STATUS => {
            let code = r.u32("status code")?;
            // OpenSSH before 3.x sent neither message nor language; accept their absence.
            let message = if r.position() < frame.len() {
                String::from_utf8_lossy(r.bytes("status message")?).into_owned()
            } else {
                String::new()
            };
            if r.position() < frame.len() {
                r.bytes("status language")?;
            }
            Response::Status { code, message }
        }
        fxp::HANDLE => Response::Handle(r.handle()?),
        fxp::DATA => {
            let data = r.bytes("data")?;
            let end = r.position();
            let start = end - data.len();
            r.finish()?;
            return Ok((id, Response::Data(Payload { frame, start, end })));
        }
        fxp::NAME => {
            let count = r.u32("name count")?;
            let mut names = Vec::new();
            for _ in 0..count {
                // No preallocation from the count: each entry costs at least 12 bytes of
                // packet, so a hostile count ends in Truncated.
                names.push(NameEntry {
                    filename: r.string("filename")?,
                    longname: r.string("longname")?,
                    attrs: r.attrs()?,
                });
            }
            Response::Name(names)
        }
        fxp::ATTRS => Response::Attrs(r.attrs()?),
        fxp::EXTENDED_REPLY => Response::ExtendedReply(r.rest().to_vec()),
        _ => {
            return Err(CodecError::UnknownType {
                packet: t,
                id: Some(id),
            });
        }
    };
    r.finish()?;
    Ok((id, resp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(frame: &[u8]) -> Vec<u8> {
        let len = u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize;
        assert_eq!(len, frame.len() - 4);
        frame[4..].to_vec()
    }

    fn every_request() -> Vec<Request> {
        let attrs = Attrs {
            size: Some(1 << 40),
            uid_gid: Some((1000, 100)),
            permissions: Some(0o100644),
            times: Some((1, 2)),
            extended: vec![(b"x@y".to_vec(), b"z".to_vec())],
        };
        let p = || b"/a/b".to_vec();
        let h = || b"h1".to_vec();
        vec![
            Request::Open {
                path: p(),
                pflags: fxf::READ | fxf::CREAT,
                attrs: attrs.clone(),
            },
            Request::Close { handle: h() },
            Request::Read {
                handle: h(),
                offset: 7,
                len: 32768,
            },
            Request::Write {
                handle: h(),
                offset: 9,
                data: Payload::from_vec(vec![5; 1000]),
            },
            Request::Lstat { path: p() },
            Request::Fstat { handle: h() },
            Request::Setstat {
                path: p(),
                attrs: attrs.clone(),
            },
            Request::Fsetstat {
                handle: h(),
                attrs: Attrs::default(),
            },
            Request::Opendir { path: p() },
            Request::Readdir { handle: h() },
            Request::Remove { path: p() },
            Request::Mkdir {
                path: p(),
                attrs: attrs.clone(),
            },
            Request::Rmdir { path: p() },
            Request::Realpath { path: p() },
            Request::Stat { path: p() },
            Request::Rename {
                from: p(),
                to: b"c".to_vec(),
            },
            Request::Readlink { path: p() },
            Request::Symlink {
                target: b"t".to_vec(),
                link: b"l".to_vec(),
            },
            Request::Extended(ExtendedRequest::PosixRename { from: p(), to: p() }),
            Request::Extended(ExtendedRequest::Statvfs { path: p() }),
            Request::Extended(ExtendedRequest::Fstatvfs { handle: h() }),
            Request::Extended(ExtendedRequest::Hardlink {
                existing: p(),
                new: p(),
            }),
            Request::Extended(ExtendedRequest::Fsync { handle: h() }),
            Request::Extended(ExtendedRequest::Lsetstat { path: p(), attrs }),
            Request::Extended(ExtendedRequest::Limits),
            Request::Extended(ExtendedRequest::ExpandPath {
                path: b"~/x".to_vec(),
            }),
            Request::Extended(ExtendedRequest::CopyData {
                read_handle: h(),
                read_offset: 1,
                length: 2,
                write_handle: b"h2".to_vec(),
                write_offset: 3,
            }),
            Request::Extended(ExtendedRequest::HomeDirectory {
                username: b"u".to_vec(),
            }),
            Request::Extended(ExtendedRequest::UsersGroupsById {
                uids: vec![0, 1000],
                gids: vec![7],
            }),
            Request::Extended(ExtendedRequest::Unknown {
                name: b"nope@example.org".to_vec(),
            }),
        ]
    }

    #[test]
    fn every_request_round_trips() {
        for (i, req) in every_request().into_iter().enumerate() {
            let frame = encode_request(i as u32, &req);
            let (id, back) = decode_request(body(&frame)).unwrap();
            assert_eq!((id, &back), (i as u32, &req));
        }
    }

    #[test]
    fn every_response_round_trips() {
        let resps = vec![
            Response::Status {
                code: fx::EOF,
                message: "end".into(),
            },
            Response::Handle(b"abc".to_vec()),
            Response::Data(Payload::from_vec(vec![1, 2, 3])),
            Response::Name(vec![NameEntry {
                filename: b"f".to_vec(),
                longname: b"-rw-r--r-- f".to_vec(),
                attrs: Attrs {
                    size: Some(3),
                    ..Default::default()
                },
            }]),
            Response::Attrs(Attrs {
                permissions: Some(0o40755),
                ..Default::default()
            }),
            Response::ExtendedReply(vec![0, 0, 0, 1]),
        ];
        for (i, resp) in resps.into_iter().enumerate() {
            let (id, back) = decode_response(body(&encode_response(i as u32, &resp))).unwrap();
            assert_eq!((id, back), (i as u32, resp));
        }
    }

    #[test]
    fn version_carries_openssh_extensions() {
        let f = encode_version(3, &SERVER_EXTENSIONS);
        let (v, ext) = decode_version(&body(&f)).unwrap();
        assert_eq!(v, 3);
        assert_eq!(ext.len(), 11);
        assert!(ext.contains(&(b"statvfs@openssh.com".to_vec(), b"2".to_vec())));
        assert_eq!(decode_init(&body(&encode_init(3))).unwrap(), 3);
    }

    #[test]
    fn every_truncation_is_a_typed_error() {
        for (i, req) in every_request().into_iter().enumerate() {
            let full = body(&encode_request(i as u32, &req));
            for cut in 1..full.len() {
                let r = decode_request(full[..cut].to_vec());
                assert!(r.is_err(), "request {i} cut at {cut} decoded");
            }
        }
    }

    #[test]
    fn hostile_lengths_are_refused() {
        // A frame length over the bound, and zero.
        for len in [MAX_PACKET_LEN + 1, u32::MAX, 0] {
            let mut s = &len.to_be_bytes()[..];
            assert!(matches!(
                read_frame(&mut s),
                Err(CodecError::BadPacketLength(_))
            ));
        }
        // A stream ending inside a packet.
        let mut s: &[u8] = &[0, 0, 0, 9, fxp::STAT, 0];
        assert!(matches!(read_frame(&mut s), Err(CodecError::Io(_))));
        let mut s: &[u8] = &[0, 0];
        assert!(matches!(read_frame(&mut s), Err(CodecError::Io(_))));
        let mut s: &[u8] = &[];
        assert!(read_frame(&mut s).unwrap().is_none());
        assert!(decode_request(Vec::new()).is_err());
        assert!(decode_response(Vec::new()).is_err());
        // A string length of 4 GiB inside a small packet.
        let mut f = vec![fxp::STAT, 0, 0, 0, 1];
        f.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decode_request(f),
            Err((Some(1), CodecError::Truncated { .. }))
        ));
        // A NAME count of 4 billion entries in a small packet.
        let mut f = vec![fxp::NAME, 0, 0, 0, 1];
        f.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decode_response(f),
            Err(CodecError::Truncated { .. })
        ));
        // An attrs extended count of 4 billion.
        let mut f = vec![fxp::SETSTAT, 0, 0, 0, 1, 0, 0, 0, 1, b'a'];
        f.extend_from_slice(&attr::EXTENDED.to_be_bytes());
        f.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decode_request(f),
            Err((Some(1), CodecError::Truncated { .. }))
        ));
        // A handle longer than the draft allows.
        let mut f = vec![fxp::CLOSE, 0, 0, 0, 1, 0, 0, 1, 1];
        f.extend_from_slice(&[b'h'; 257]);
        assert!(matches!(
            decode_request(f),
            Err((Some(1), CodecError::Invalid { .. }))
        ));
        // Unknown type: the id survives for the status reply.
        assert!(matches!(
            decode_request(vec![99, 0, 0, 0, 5]),
            Err((Some(5), CodecError::UnknownType { packet: 99, .. }))
        ));
        // Trailing garbage after a complete request.
        let mut f = body(&encode_request(
            3,
            &Request::Stat {
                path: b"x".to_vec(),
            },
        ));
        f.push(0);
        assert!(matches!(
            decode_request(f),
            Err((Some(3), CodecError::Invalid { .. }))
        ));
    }
}
