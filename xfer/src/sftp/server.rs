//! SFTP v3 server over any blocking byte stream, confined to a [`Root`].
//!
//! Requests are pipelined: a reader thread receives and decodes them while the calling
//! thread does the file I/O and writes the replies. Over an SSH channel, which cuts
//! whole requests out of the data as it arrives, the calling thread takes them itself
//! and no reader thread is needed. Replies to READ and WRITE go out at
//! once (they move the client's transfer window); others are flushed when no request is
//! waiting, so a burst of metadata replies goes out in few writes. [`Config::reply_thread`] adds a
//! third thread for sending. Requests are answered in order, so a client's pipelined
//! WRITE and READ on the same handle see each other's effects.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};

use super::codec::{
    self, Attrs, Buffered, CodecError, ExtendedRequest, FrameSource, MAX_DATA_LEN, NameEntry,
    PollFrames, Request, Response, fx, fxf, fxp,
};
use super::longname::longname;
use crate::root::{DirReader, FsError, Metadata, OpenOptions, Root, SetAttrs};

/// Server settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Most handles (files and directories) one connection may hold open; announced in
    /// `limits@openssh.com`. OpenSSH clients 8.6–10.2 cap their pipelining at this value,
    /// so it should be at least 64.
    pub max_handles: usize,
    /// Requests decoded ahead of the file I/O (bounds memory: each is at most one packet).
    pub queue_depth: usize,
    /// Refuse every request that would change the tree.
    pub read_only: bool,
    /// Send replies from a thread of their own, so that file I/O and sending overlap.
    /// Off by default: on two busy cores the extra hand-off per reply cost more than the
    /// overlap gained (examples/sftp_pipe_throughput.rs measures both).
    pub reply_thread: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_handles: 256,
            queue_depth: 64,
            read_only: false,
            reply_thread: false,
        }
    }
}

/// Why a connection ended other than by the client closing it cleanly.
#[derive(Debug)]
pub enum ServeError {
    /// The client sent bytes that cannot be read as SFTP (a hostile length, a packet cut
    /// short, no INIT first).
    Codec(CodecError),
    /// Writing a reply failed.
    Io(io::Error),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Codec(e) => write!(f, "sftp server: {e}"),
            ServeError::Io(e) => write!(f, "sftp server: writing reply: {e}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Codec(e) => Some(e),
            ServeError::Io(e) => Some(e),
        }
    }
}

/// What one connection did, for the log line a driver writes when it ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServeStats {
    /// Requests answered (INIT not counted).
    pub requests: u64,
    /// File bytes sent in DATA replies.
    pub bytes_read: u64,
    /// File bytes written by WRITE requests.
    pub bytes_written: u64,
    /// Largest READ length a client asked for.
    pub largest_read_request: u32,
    /// Largest WRITE a client sent.
    pub largest_write: u32,
}

/// An SFTP server for one directory tree. One `Server` can serve many connections at
/// once: `serve` takes `&self`, and each call keeps its own handles.
#[derive(Debug)]
pub struct Server {
    root: Arc<Root>,
    config: Config,
}

/// What the reader thread hands the worker.
enum Inbound {
    Request(u32, Request),
    /// A request that could not be decoded but has an id: answer with this status.
    Refused(u32, u32, &'static str),
}

/// Bytes of header before DATA's payload: length, type, id, data length.
const DATA_HEADER: usize = 13;

impl Server {
    /// A server for `root`.
    pub fn new(root: Root, config: Config) -> Server {
        Server {
            root: Arc::new(root),
            config,
        }
    }

    /// Serves one connection until the client closes its side (then `Ok`) or sends
    /// something that cannot be SFTP (then `Err`). Returns once `reader` has ended.
    pub fn serve<R, W>(&self, reader: R, writer: W) -> Result<ServeStats, ServeError>
    where
        R: Read + Send,
        W: Write + Send,
    {
        // Buffered, so a packet's length and the start of its body come in one read;
        // large bodies pass straight through into the frame.
        self.serve_frames(Buffered::new(reader), writer)
    }

    /// [`serve`](Self::serve) with requests from any [`FrameSource`], read and decoded
    /// ahead on a thread of their own.
    pub(crate) fn serve_frames<S, W>(
        &self,
        mut source: S,
        writer: W,
    ) -> Result<ServeStats, ServeError>
    where
        S: FrameSource,
        W: Write + Send,
    {
        if !read_init(&mut source)? {
            return Ok(ServeStats::default());
        }
        let pool: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let (in_tx, mut in_rx) = mpsc::sync_channel::<Inbound>(self.config.queue_depth.max(1));
        std::thread::scope(|s| {
            let reader_pool = pool.clone();
            let reader = crate::cpu::spawn_scoped(
                std::thread::Builder::new().name("sftp-requests".into()),
                s,
                move || read_loop(source, in_tx, &reader_pool),
            )
            .map_err(ServeError::Io)?;
            let answered = self.answer(&mut in_rx, writer, &pool);
            // Dropping the receiver makes a reader still blocked in a send give up.
            drop(in_rx);
            let read = reader.join().expect("sftp reader thread panicked");
            read.map_err(ServeError::Codec)?;
            answered
        })
    }

    /// [`serve`](Self::serve) with requests from a source that already holds them as
    /// whole frames (an SSH channel cuts them out as they arrive): the thread that
    /// answers takes each itself, with no thread between to wake.
    pub(crate) fn serve_polled<S, W>(
        &self,
        mut source: S,
        writer: W,
    ) -> Result<ServeStats, ServeError>
    where
        S: PollFrames,
        W: Write + Send,
    {
        if !read_init(&mut source)? {
            return Ok(ServeStats::default());
        }
        let pool: Mutex<Vec<Vec<u8>>> = Mutex::default();
        let mut inbox = Polled {
            source,
            frame: Vec::new(),
            pool: &pool,
            failed: None,
        };
        let answered = self.answer(&mut inbox, writer, &pool);
        if let Some(e) = inbox.failed {
            return Err(ServeError::Codec(e));
        }
        answered
    }

    /// Sends VERSION and answers requests from `inbox` until it ends.
    fn answer<W: Write + Send>(
        &self,
        inbox: &mut impl Inbox,
        writer: W,
        pool: &Mutex<Vec<Vec<u8>>>,
    ) -> Result<ServeStats, ServeError> {
        let version = codec::encode_version(codec::VERSION, &codec::SERVER_EXTENSIONS);
        let mut session = Session {
            root: &self.root,
            config: &self.config,
            handles: HashMap::new(),
            next_handle: 0,
            pool,
            stats: ServeStats::default(),
        };
        let written = if self.config.reply_thread {
            std::thread::scope(|s| {
                let (out_tx, out_rx) =
                    mpsc::sync_channel::<Vec<u8>>(self.config.queue_depth.max(1));
                let writer = crate::cpu::spawn_scoped(
                    std::thread::Builder::new().name("sftp-replies".into()),
                    s,
                    move || write_loop(writer, out_rx, pool),
                )?;
                let mut sink = ChannelSink(out_tx);
                // A send fails only when the writer has stopped; its own error is the
                // one reported.
                let _ = sink
                    .send(version)
                    .and_then(|()| session.run(inbox, &mut sink));
                drop(sink);
                writer.join().expect("sftp writer thread panicked")
            })
        } else {
            let mut sink = DirectSink {
                w: BufWriter::with_capacity(64 * 1024, writer),
                pool,
            };
            sink.send(version)
                .and_then(|()| session.run(inbox, &mut sink))
                .and_then(|()| sink.w.flush())
        };
        written.map_err(ServeError::Io)?;
        Ok(session.stats)
    }
}

/// Reads and checks INIT; `false` when the client closed before sending it.
fn read_init(source: &mut impl FrameSource) -> Result<bool, ServeError> {
    let mut first = Vec::new();
    if !source.next_frame(&mut first).map_err(ServeError::Codec)? {
        return Ok(false);
    }
    codec::decode_init(&first).map_err(ServeError::Codec)?;
    Ok(true)
}

/// What [`Inbox::take`] found.
enum Take {
    Ready(Inbound),
    /// Nothing yet (only when not waiting).
    Empty,
    /// The client closed its side, or its stream broke.
    End,
}

/// Where the answering thread takes requests from.
trait Inbox {
    /// The next request; waits for one when `wait` is set.
    fn take(&mut self, wait: bool) -> Take;
}

/// Requests decoded ahead by [`read_loop`] on its own thread.
impl Inbox for Receiver<Inbound> {
    fn take(&mut self, wait: bool) -> Take {
        if wait {
            return self.recv().map_or(Take::End, Take::Ready);
        }
        match self.try_recv() {
            Ok(m) => Take::Ready(m),
            Err(TryRecvError::Empty) => Take::Empty,
            Err(TryRecvError::Disconnected) => Take::End,
        }
    }
}

/// Requests taken straight from a [`PollFrames`] source and decoded in place.
struct Polled<'a, S> {
    source: S,
    frame: Vec<u8>,
    pool: &'a Mutex<Vec<Vec<u8>>>,
    /// Why the stream broke, for the session's result.
    failed: Option<CodecError>,
}

impl<S: PollFrames> Inbox for Polled<'_, S> {
    fn take(&mut self, wait: bool) -> Take {
        let got = if wait {
            self.source.next_frame(&mut self.frame).map(Some)
        } else {
            self.source.try_next_frame(&mut self.frame)
        };
        let decoded = match got {
            Ok(Some(true)) => inbound(&mut self.frame, self.pool),
            Ok(Some(false)) => return Take::End,
            Ok(None) => return Take::Empty,
            Err(e) => Err(e),
        };
        match decoded {
            Ok(m) => Take::Ready(m),
            Err(e) => {
                self.failed = Some(e);
                Take::End
            }
        }
    }
}

/// Where the worker puts reply frames.
trait ReplySink {
    /// Queues or writes one frame.
    fn send(&mut self, frame: Vec<u8>) -> io::Result<()>;
    /// Push out what is buffered (no request is waiting, or a reply is urgent).
    fn idle(&mut self) -> io::Result<()>;
}

/// Replies go to a writer thread, which batches and flushes them.
struct ChannelSink(SyncSender<Vec<u8>>);

impl ReplySink for ChannelSink {
    fn send(&mut self, frame: Vec<u8>) -> io::Result<()> {
        self.0
            .send(frame)
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }

    fn idle(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Replies are written by the worker itself, flushed whenever no request is waiting.
struct DirectSink<'a, W: Write> {
    w: BufWriter<W>,
    pool: &'a Mutex<Vec<Vec<u8>>>,
}

impl<W: Write> ReplySink for DirectSink<'_, W> {
    fn send(&mut self, frame: Vec<u8>) -> io::Result<()> {
        self.w.write_all(&frame)?;
        give_back(self.pool, frame);
        Ok(())
    }

    fn idle(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// Keeps a packet-sized buffer (a sent DATA reply, a written WRITE request) for the next
/// READ reply or received WRITE.
fn give_back(pool: &Mutex<Vec<Vec<u8>>>, buf: Vec<u8>) {
    if buf.capacity() >= DATA_HEADER + MAX_DATA_LEN as usize {
        let mut p = pool.lock().unwrap_or_else(|e| e.into_inner());
        if p.len() < 32 {
            p.push(buf);
        }
    }
}

fn read_loop(
    mut source: impl FrameSource,
    tx: SyncSender<Inbound>,
    pool: &Mutex<Vec<Vec<u8>>>,
) -> Result<(), CodecError> {
    let mut frame = Vec::new();
    while source.next_frame(&mut frame)? {
        if tx.send(inbound(&mut frame, pool)?).is_err() {
            break;
        }
    }
    Ok(())
}

/// Decodes the request in `frame`. A WRITE keeps its (large) frame until the data is on
/// disk, and the worker hands the buffer back through `pool`; anything else is copied
/// out small so the buffer stays. A request that cannot be decoded but has an id is
/// answered with a status; one without is the end of the stream.
fn inbound(frame: &mut Vec<u8>, pool: &Mutex<Vec<Vec<u8>>>) -> Result<Inbound, CodecError> {
    let owned = if frame.first() == Some(&fxp::WRITE) {
        let next = take_buffer(pool);
        std::mem::replace(frame, next)
    } else {
        frame.clone()
    };
    Ok(match codec::decode_request(owned) {
        Ok((id, req)) => Inbound::Request(id, req),
        Err((Some(id), CodecError::UnknownType { .. })) => {
            Inbound::Refused(id, fx::OP_UNSUPPORTED, "Operation unsupported")
        }
        Err((Some(id), _)) => Inbound::Refused(id, fx::BAD_MESSAGE, "Bad message"),
        Err((None, e)) => return Err(e),
    })
}

/// A packet-sized buffer from the pool, or a new empty one.
fn take_buffer(pool: &Mutex<Vec<Vec<u8>>>) -> Vec<u8> {
    pool.lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop()
        .unwrap_or_default()
}

fn write_loop<W: Write>(
    writer: W,
    rx: Receiver<Vec<u8>>,
    pool: &Mutex<Vec<Vec<u8>>>,
) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(64 * 1024, writer);
    while let Ok(frame) = rx.recv() {
        w.write_all(&frame)?;
        give_back(pool, frame);
        // Send everything already queued before flushing: one syscall for many replies.
        loop {
            match rx.try_recv() {
                Ok(frame) => {
                    w.write_all(&frame)?;
                    give_back(pool, frame);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return w.flush(),
            }
        }
        w.flush()?;
    }
    w.flush()
}

enum Handle {
    File {
        file: File,
        readable: bool,
        writable: bool,
    },
    Dir(DirReader),
}

struct Session<'a> {
    root: &'a Root,
    config: &'a Config,
    handles: HashMap<u32, Handle>,
    next_handle: u32,
    pool: &'a Mutex<Vec<Vec<u8>>>,
    stats: ServeStats,
}

/// A failed request: the status code and its message.
struct Fail(u32, String);

impl From<FsError> for Fail {
    fn from(e: FsError) -> Fail {
        Fail(e.sftp_status(), e.to_string())
    }
}

fn fail(code: u32) -> Fail {
    Fail(code, status_message(code).to_string())
}

/// The messages OpenSSH's sftp-server sends with each code.
fn status_message(code: u32) -> &'static str {
    match code {
        fx::OK => "Success",
        fx::EOF => "End of file",
        fx::NO_SUCH_FILE => "No such file",
        fx::PERMISSION_DENIED => "Permission denied",
        fx::FAILURE => "Failure",
        fx::BAD_MESSAGE => "Bad message",
        fx::NO_CONNECTION => "No connection",
        fx::CONNECTION_LOST => "Connection lost",
        fx::OP_UNSUPPORTED => "Operation unsupported",
        _ => "Unknown error",
    }
}

fn attrs_of(m: &Metadata) -> Attrs {
    Attrs {
        size: Some(m.size),
        uid_gid: Some((m.uid, m.gid)),
        permissions: Some(m.mode),
        // SFTP v3 times are 32-bit; clamp rather than wrap.
        times: Some((
            m.atime.clamp(0, u32::MAX as i64) as u32,
            m.mtime.clamp(0, u32::MAX as i64) as u32,
        )),
        extended: Vec::new(),
    }
}

fn set_attrs(a: &Attrs) -> SetAttrs {
    SetAttrs {
        size: a.size,
        owner: a.uid_gid,
        permissions: a.permissions.map(|p| p & 0o7777),
        times: a.times.map(|(at, mt)| (at as i64, mt as i64)),
    }
}

fn ok() -> Result<Response, Fail> {
    Ok(Response::Status {
        code: fx::OK,
        message: status_message(fx::OK).to_string(),
    })
}

fn single_name(name: Vec<u8>) -> Response {
    Response::Name(vec![NameEntry {
        longname: name.clone(),
        filename: name,
        attrs: Attrs::default(),
    }])
}

/// Entries per READDIR reply (OpenSSH sends up to 100).
const READDIR_BATCH: usize = 100;

impl Session<'_> {
    /// Answers requests until the reader stops, flushing replies whenever no request is
    /// waiting.
    fn run(&mut self, inbox: &mut impl Inbox, sink: &mut impl ReplySink) -> io::Result<()> {
        loop {
            let msg = match inbox.take(false) {
                Take::Ready(m) => m,
                Take::End => return Ok(()),
                Take::Empty => {
                    sink.idle()?;
                    match inbox.take(true) {
                        Take::Ready(m) => m,
                        Take::Empty | Take::End => return Ok(()),
                    }
                }
            };
            self.stats.requests += 1;
            // The client waits for these replies to keep its transfer window moving, and
            // each took a file I/O to make: send them now rather than after the burst.
            let transfer = matches!(
                msg,
                Inbound::Request(_, Request::Read { .. } | Request::Write { .. })
            );
            let frame = match msg {
                Inbound::Request(id, req) => self.handle(id, req),
                Inbound::Refused(id, code, why) => codec::encode_status(id, code, why),
            };
            sink.send(frame)?;
            if transfer {
                sink.idle()?;
            }
        }
    }

    /// Handles one request and returns the complete reply frame.
    fn handle(&mut self, id: u32, req: Request) -> Vec<u8> {
        if let Request::Read {
            handle,
            offset,
            len,
        } = &req
        {
            return self.read(id, handle, *offset, *len);
        }
        let resp = match self.dispatch(req) {
            Ok(r) => r,
            Err(Fail(code, message)) => Response::Status { code, message },
        };
        codec::encode_response(id, &resp)
    }

    fn writable_guard(&self) -> Result<(), Fail> {
        if self.config.read_only {
            return Err(fail(fx::PERMISSION_DENIED));
        }
        Ok(())
    }

    fn dispatch(&mut self, req: Request) -> Result<Response, Fail> {
        let root = self.root;
        match req {
            Request::Open {
                path,
                pflags,
                attrs,
            } => {
                let opts = OpenOptions {
                    read: pflags & fxf::READ != 0,
                    write: pflags & fxf::WRITE != 0,
                    append: pflags & fxf::APPEND != 0,
                    create: pflags & fxf::CREAT != 0,
                    truncate: pflags & fxf::TRUNC != 0,
                    exclusive: pflags & fxf::EXCL != 0,
                    mode: attrs.permissions.map(|p| p & 0o7777),
                };
                let writable = opts.write || opts.append;
                if writable || opts.create || opts.truncate {
                    self.writable_guard()?;
                }
                self.room_for_handle()?;
                let file = root.open_file(&path, &opts)?;
                Ok(self.new_handle(Handle::File {
                    file,
                    readable: opts.read || !writable,
                    writable,
                }))
            }
            Request::Close { handle } => {
                let key = handle_key(&handle)?;
                self.handles.remove(&key).ok_or(fail(fx::FAILURE))?;
                ok()
            }
            Request::Read { .. } => unreachable!("READ is answered by Session::read"),
            Request::Write {
                handle,
                offset,
                data,
            } => {
                let file = self.file(&handle, false, true)?;
                file.write_all_at(data.as_slice(), offset)
                    .map_err(|e| io_fail("write", e))?;
                let n = data.as_slice().len();
                self.stats.bytes_written += n as u64;
                self.stats.largest_write = self.stats.largest_write.max(n as u32);
                give_back(self.pool, data.into_buffer());
                ok()
            }
            Request::Lstat { path } => Ok(Response::Attrs(attrs_of(&root.lstat(&path)?))),
            Request::Stat { path } => Ok(Response::Attrs(attrs_of(&root.stat(&path)?))),
            Request::Fstat { handle } => {
                let file = self.file(&handle, false, false)?;
                Ok(Response::Attrs(attrs_of(&Root::fstat(file)?)))
            }
            Request::Setstat { path, attrs } => {
                self.writable_guard()?;
                root.setstat(&path, &set_attrs(&attrs))?;
                ok()
            }
            Request::Fsetstat { handle, attrs } => {
                self.writable_guard()?;
                let file = self.file(&handle, false, false)?;
                Root::fsetstat(file, &set_attrs(&attrs))?;
                ok()
            }
            Request::Opendir { path } => {
                self.room_for_handle()?;
                let dir = root.open_dir(&path)?;
                Ok(self.new_handle(Handle::Dir(dir)))
            }
            Request::Readdir { handle } => self.readdir(&handle),
            Request::Remove { path } => {
                self.writable_guard()?;
                root.remove(&path)?;
                ok()
            }
            Request::Mkdir { path, attrs } => {
                self.writable_guard()?;
                root.mkdir(&path, attrs.permissions.unwrap_or(0o777) & 0o7777)?;
                ok()
            }
            Request::Rmdir { path } => {
                self.writable_guard()?;
                root.rmdir(&path)?;
                ok()
            }
            Request::Realpath { path } => Ok(single_name(root.realpath(&path)?)),
            Request::Rename { from, to } => {
                self.writable_guard()?;
                root.rename(&from, &to)?;
                ok()
            }
            Request::Readlink { path } => Ok(single_name(root.readlink(&path)?)),
            Request::Symlink { target, link } => {
                self.writable_guard()?;
                root.symlink(&target, &link)?;
                ok()
            }
            Request::Extended(ext) => self.extended(ext),
        }
    }

    fn extended(&mut self, ext: ExtendedRequest) -> Result<Response, Fail> {
        let root = self.root;
        match ext {
            ExtendedRequest::PosixRename { from, to } => {
                self.writable_guard()?;
                root.posix_rename(&from, &to)?;
                ok()
            }
            ExtendedRequest::Statvfs { path } => Ok(statvfs_reply(&root.statvfs_path(&path)?)),
            ExtendedRequest::Fstatvfs { handle } => {
                let file = self.file(&handle, false, false)?;
                Ok(statvfs_reply(&Root::fstatvfs(file)?))
            }
            ExtendedRequest::Hardlink { existing, new } => {
                self.writable_guard()?;
                root.hardlink(&existing, &new)?;
                ok()
            }
            ExtendedRequest::Fsync { handle } => {
                let file = self.file(&handle, false, false)?;
                file.sync_all().map_err(|e| io_fail("fsync", e))?;
                ok()
            }
            ExtendedRequest::Lsetstat { path, attrs } => {
                self.writable_guard()?;
                root.lsetstat(&path, &set_attrs(&attrs))?;
                ok()
            }
            ExtendedRequest::Limits => {
                let mut w = Vec::with_capacity(32);
                for v in [
                    codec::MAX_PACKET_ANNOUNCED as u64,
                    MAX_DATA_LEN as u64,
                    MAX_DATA_LEN as u64,
                    self.config.max_handles as u64,
                ] {
                    w.extend_from_slice(&v.to_be_bytes());
                }
                Ok(Response::ExtendedReply(w))
            }
            ExtendedRequest::ExpandPath { path } => {
                // The connection's home is the root: "~" and "~/x" expand there; another
                // user's home ("~name") does not exist in this tree.
                let expanded = match path.strip_prefix(b"~") {
                    None => path,
                    Some(b"") => b"/".to_vec(),
                    Some(rest) if rest.starts_with(b"/") => rest.to_vec(),
                    Some(_) => return Err(fail(fx::NO_SUCH_FILE)),
                };
                Ok(single_name(root.realpath(&expanded)?))
            }
            ExtendedRequest::CopyData {
                read_handle,
                read_offset,
                length,
                write_handle,
                write_offset,
            } => {
                self.writable_guard()?;
                self.copy_data(
                    &read_handle,
                    read_offset,
                    length,
                    &write_handle,
                    write_offset,
                )
            }
            ExtendedRequest::HomeDirectory { .. } => Ok(single_name(b"/".to_vec())),
            ExtendedRequest::UsersGroupsById { uids, gids } => {
                let users = super::names::user_names(&uids);
                let groups = super::names::group_names(&gids);
                let mut w = Vec::new();
                for list in [users, groups] {
                    let mut inner = Vec::new();
                    for name in list {
                        inner.extend_from_slice(&(name.len() as u32).to_be_bytes());
                        inner.extend_from_slice(&name);
                    }
                    w.extend_from_slice(&(inner.len() as u32).to_be_bytes());
                    w.extend_from_slice(&inner);
                }
                // A request packet holds up to 65k ids; their names could make a reply
                // larger than any client accepts.
                if w.len() > codec::MAX_PACKET_ANNOUNCED as usize - 1024 {
                    return Err(Fail(fx::FAILURE, "too many ids in one request".into()));
                }
                Ok(Response::ExtendedReply(w))
            }
            ExtendedRequest::Unknown { .. } => Err(fail(fx::OP_UNSUPPORTED)),
        }
    }

    fn room_for_handle(&self) -> Result<(), Fail> {
        if self.handles.len() >= self.config.max_handles {
            return Err(Fail(fx::FAILURE, "too many open handles".into()));
        }
        Ok(())
    }

    fn new_handle(&mut self, h: Handle) -> Response {
        // Handle numbers are not reused within a connection, so a stale handle can never
        // name a newer file.
        let key = self.next_handle;
        self.next_handle = self.next_handle.wrapping_add(1);
        self.handles.insert(key, h);
        Response::Handle(key.to_be_bytes().to_vec())
    }

    fn file(&self, handle: &[u8], read: bool, write: bool) -> Result<&File, Fail> {
        match self.handles.get(&handle_key(handle)?) {
            Some(Handle::File {
                file,
                readable,
                writable,
            }) => {
                if (read && !readable) || (write && !writable) {
                    return Err(Fail(
                        fx::PERMISSION_DENIED,
                        "handle not open for that".into(),
                    ));
                }
                Ok(file)
            }
            _ => Err(Fail(fx::FAILURE, "invalid handle".into())),
        }
    }

    /// READ, answered with a DATA packet whose payload is read straight into the reply
    /// buffer and filled completely unless the file ends first (a short reply makes
    /// OpenSSH's client shrink its request size for the rest of the transfer).
    fn read(&mut self, id: u32, handle: &[u8], offset: u64, len: u32) -> Vec<u8> {
        self.stats.largest_read_request = self.stats.largest_read_request.max(len);
        let file = match self.file(handle, true, false) {
            Ok(f) => f,
            Err(Fail(code, msg)) => return codec::encode_status(id, code, &msg),
        };
        let want = len.min(MAX_DATA_LEN) as usize;
        let mut buf = take_buffer(self.pool);
        buf.resize(DATA_HEADER + want, 0);
        let mut got = 0;
        while got < want {
            match file.read_at(&mut buf[DATA_HEADER + got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let f = io_fail("read", e);
                    return codec::encode_status(id, f.0, &f.1);
                }
            }
        }
        if got == 0 {
            return codec::encode_status(id, fx::EOF, status_message(fx::EOF));
        }
        buf.truncate(DATA_HEADER + got);
        self.stats.bytes_read += got as u64;
        buf[0..4].copy_from_slice(&((DATA_HEADER - 4 + got) as u32).to_be_bytes());
        buf[4] = fxp::DATA;
        buf[5..9].copy_from_slice(&id.to_be_bytes());
        buf[9..13].copy_from_slice(&(got as u32).to_be_bytes());
        buf
    }

    fn readdir(&mut self, handle: &[u8]) -> Result<Response, Fail> {
        let key = handle_key(handle)?;
        let Some(Handle::Dir(dir)) = self.handles.get_mut(&key) else {
            return Err(Fail(fx::FAILURE, "invalid handle".into()));
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let mut names = Vec::new();
        while names.len() < READDIR_BATCH {
            let Some(entry) = dir.next_entry()? else {
                break;
            };
            let Some(meta) = entry.metadata else {
                continue; // vanished while listed
            };
            names.push(NameEntry {
                longname: longname(&entry.name, &meta, now),
                filename: entry.name,
                attrs: attrs_of(&meta),
            });
        }
        if names.is_empty() {
            return Err(fail(fx::EOF));
        }
        Ok(Response::Name(names))
    }

    fn copy_data(
        &self,
        read_handle: &[u8],
        read_offset: u64,
        length: u64,
        write_handle: &[u8],
        write_offset: u64,
    ) -> Result<Response, Fail> {
        let src = self.file(read_handle, true, false)?;
        let dst = self.file(write_handle, false, true)?;
        if read_handle == write_handle {
            // Overlapping ranges within one file would read what this copy wrote.
            let r_end = read_offset.saturating_add(if length == 0 { u64::MAX } else { length });
            let w_end = write_offset.saturating_add(if length == 0 { u64::MAX } else { length });
            if read_offset < w_end && write_offset < r_end {
                return Err(Fail(fx::FAILURE, "overlapping copy-data ranges".into()));
            }
        }
        let mut buf = vec![0u8; 64 * 1024];
        let mut done = 0u64;
        while length == 0 || done < length {
            let want = if length == 0 {
                buf.len()
            } else {
                (length - done).min(buf.len() as u64) as usize
            };
            let n = src
                .read_at(&mut buf[..want], read_offset + done)
                .map_err(|e| io_fail("copy-data read", e))?;
            if n == 0 {
                break;
            }
            dst.write_all_at(&buf[..n], write_offset + done)
                .map_err(|e| io_fail("copy-data write", e))?;
            done += n as u64;
        }
        ok()
    }
}

fn handle_key(handle: &[u8]) -> Result<u32, Fail> {
    let b: [u8; 4] = handle
        .try_into()
        .map_err(|_| Fail(fx::FAILURE, "invalid handle".into()))?;
    Ok(u32::from_be_bytes(b))
}

fn io_fail(op: &'static str, e: io::Error) -> Fail {
    let code = match e.kind() {
        io::ErrorKind::NotFound => fx::NO_SUCH_FILE,
        io::ErrorKind::PermissionDenied => fx::PERMISSION_DENIED,
        _ => fx::FAILURE,
    };
    Fail(code, format!("{op}: {e}"))
}

fn statvfs_reply(s: &crate::root::FsStats) -> Response {
    let mut w = Vec::with_capacity(88);
    for v in [
        s.bsize, s.frsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.favail, s.fsid, s.flag,
        s.namemax,
    ] {
        w.extend_from_slice(&v.to_be_bytes());
    }
    Response::ExtendedReply(w)
}
