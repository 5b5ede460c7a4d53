//! A filesystem confined to one directory, shared by the SFTP and FTP servers.
//!
//! Every client path is resolved by the kernel with `openat2(RESOLVE_IN_ROOT |
//! RESOLVE_NO_MAGICLINKS)` relative to a directory descriptor opened once: `..` at the
//! root stays at the root, absolute paths and absolute symlink targets are taken as
//! relative to the root (as under `chroot`), and `/proc/self/fd`-style magic links are
//! refused. The kernel does the walk atomically, so a concurrent rename or a symlink
//! swapped in mid-walk cannot carry a lookup out of the tree (it answers `EAGAIN`, and the
//! lookup is retried).
//!
//! Operations that act on a name rather than on what it points to (mkdir, remove,
//! rename, symlink, readlink, lstat, hardlink) resolve the *parent* that way and then use
//! the `*at` system call on the final component, which the kernel does not follow.
//!
//! Client paths are bytes (SFTP paths need not be UTF-8); `&str` works too.
//!
//! Needs Linux 5.6 or later (`openat2`) and `/proc` (permission and time changes by path
//! go through the resolved descriptor's `/proc/self/fd` entry, never the client's path).

use std::ffi::{CStr, CString};
use std::fmt;
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags, ResolveFlags, Timespec, Timestamps};
use rustix::io::Errno;

/// How a filesystem operation failed, in terms both servers can answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsErrorKind {
    /// The path, or a directory on the way to it, does not exist.
    NotFound,
    /// The operating system refused access.
    PermissionDenied,
    /// The target name is already taken.
    AlreadyExists,
    /// A component that must be a directory is not one.
    NotADirectory,
    /// A directory was given where a file was needed.
    IsADirectory,
    /// A directory to be removed still has entries.
    DirectoryNotEmpty,
    /// The client's path cannot name anything: a NUL byte, an empty final name, `.` or
    /// `..` where a new name is needed, or a name too long.
    InvalidPath,
    /// Too many symbolic links on the way, or a link loop.
    TooManyLinks,
    /// The filesystem is full or a quota is exhausted.
    NoSpace,
    /// The filesystem or this server does not support the operation.
    Unsupported,
    /// Any other failure of the operating system.
    Other,
}

/// A failed filesystem operation: what kind of failure, which operation, and the OS error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsError {
    kind: FsErrorKind,
    op: &'static str,
    errno: Option<i32>,
}

impl FsError {
    fn new(kind: FsErrorKind, op: &'static str) -> FsError {
        FsError {
            kind,
            op,
            errno: None,
        }
    }

    fn from_errno(op: &'static str, e: Errno) -> FsError {
        let kind = match e {
            Errno::NOENT => FsErrorKind::NotFound,
            Errno::ACCESS | Errno::PERM | Errno::ROFS => FsErrorKind::PermissionDenied,
            Errno::EXIST => FsErrorKind::AlreadyExists,
            Errno::NOTDIR => FsErrorKind::NotADirectory,
            Errno::ISDIR => FsErrorKind::IsADirectory,
            Errno::NOTEMPTY => FsErrorKind::DirectoryNotEmpty,
            Errno::NAMETOOLONG | Errno::INVAL => FsErrorKind::InvalidPath,
            Errno::LOOP | Errno::MLINK => FsErrorKind::TooManyLinks,
            Errno::NOSPC | Errno::DQUOT | Errno::FBIG => FsErrorKind::NoSpace,
            Errno::NOSYS | Errno::OPNOTSUPP | Errno::XDEV => FsErrorKind::Unsupported,
            _ => FsErrorKind::Other,
        };
        FsError {
            kind,
            op,
            errno: Some(e.raw_os_error()),
        }
    }

    fn from_io(op: &'static str, e: std::io::Error) -> FsError {
        match e.raw_os_error() {
            Some(code) => FsError::from_errno(op, Errno::from_raw_os_error(code)),
            None => FsError::new(FsErrorKind::Other, op),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> FsErrorKind {
        self.kind
    }

    /// The SFTP v3 status code (`SSH_FX_*`) that reports this error, as OpenSSH's
    /// sftp-server maps errno values.
    pub fn sftp_status(&self) -> u32 {
        match self.kind {
            FsErrorKind::NotFound => 2,         // SSH_FX_NO_SUCH_FILE
            FsErrorKind::PermissionDenied => 3, // SSH_FX_PERMISSION_DENIED
            FsErrorKind::InvalidPath => 5,      // SSH_FX_BAD_MESSAGE
            FsErrorKind::Unsupported => 8,      // SSH_FX_OP_UNSUPPORTED
            _ => 4,                             // SSH_FX_FAILURE
        }
    }

    /// The FTP reply code (RFC 959) that reports this error.
    pub fn ftp_reply_code(&self) -> u16 {
        match self.kind {
            FsErrorKind::InvalidPath => 553,
            FsErrorKind::NoSpace => 452,
            FsErrorKind::Unsupported => 502,
            FsErrorKind::Other => 451,
            _ => 550,
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            FsErrorKind::NotFound => "no such file or directory",
            FsErrorKind::PermissionDenied => "permission denied",
            FsErrorKind::AlreadyExists => "already exists",
            FsErrorKind::NotADirectory => "not a directory",
            FsErrorKind::IsADirectory => "is a directory",
            FsErrorKind::DirectoryNotEmpty => "directory not empty",
            FsErrorKind::InvalidPath => "invalid path",
            FsErrorKind::TooManyLinks => "too many levels of symbolic links",
            FsErrorKind::NoSpace => "no space left",
            FsErrorKind::Unsupported => "operation not supported",
            FsErrorKind::Other => "failure",
        };
        write!(f, "{}: {what}", self.op)?;
        if let Some(code) = self.errno {
            write!(f, " (errno {code})")?;
        }
        Ok(())
    }
}

impl std::error::Error for FsError {}

/// Result of a confined filesystem operation.
pub type FsResult<T> = Result<T, FsError>;

/// What to do when opening a file; mirrors SFTP's `SSH_FXF_*` flags and FTP's STOR/APPE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Every write goes to the end of the file.
    pub append: bool,
    /// Create the file when it does not exist.
    pub create: bool,
    /// Cut the file to length 0.
    pub truncate: bool,
    /// Fail when the file exists (with `create`).
    pub exclusive: bool,
    /// Permission bits for a created file (before the umask); 0o666 when `None`.
    pub mode: Option<u32>,
}

/// File status as the servers report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// Size in bytes.
    pub size: u64,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// `st_mode`: file type and permission bits.
    pub mode: u32,
    /// Number of hard links.
    pub nlink: u64,
    /// Last access, seconds since the epoch.
    pub atime: i64,
    /// Last modification, seconds since the epoch.
    pub mtime: i64,
}

/// File-type bits of `st_mode`.
const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;

impl Metadata {
    fn from_stat(st: &rustix::fs::Stat) -> Metadata {
        #[allow(clippy::unnecessary_cast)] // field types differ between architectures
        Metadata {
            size: st.st_size.max(0) as u64,
            uid: st.st_uid as u32,
            gid: st.st_gid as u32,
            mode: st.st_mode as u32,
            nlink: st.st_nlink as u64,
            atime: st.st_atime as i64,
            mtime: st.st_mtime as i64,
        }
    }

    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// True for a regular file.
    pub fn is_file(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// True for a symbolic link (only `lstat` reports these).
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }
}

/// Changes to apply to a file's status; `None` leaves that field alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetAttrs {
    /// New size (truncate or extend).
    pub size: Option<u64>,
    /// New owner and group ids.
    pub owner: Option<(u32, u32)>,
    /// New permission bits (the low 12 bits are used).
    pub permissions: Option<u32>,
    /// New access and modification times, seconds since the epoch.
    pub times: Option<(i64, i64)>,
}

/// One directory entry, with the entry's own status (symlinks not followed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name within its directory.
    pub name: Vec<u8>,
    /// Its `lstat`, or `None` when it vanished while being listed.
    pub metadata: Option<Metadata>,
}

/// Filesystem statistics (`statvfs`) of the filesystem holding the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsStats {
    /// Preferred block size.
    pub bsize: u64,
    /// Fundamental block size.
    pub frsize: u64,
    /// Total blocks (in `frsize` units).
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Free blocks available to unprivileged users.
    pub bavail: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub ffree: u64,
    /// Free inodes available to unprivileged users.
    pub favail: u64,
    /// Filesystem id.
    pub fsid: u64,
    /// Mount flags (`ST_RDONLY` = 1, `ST_NOSUID` = 2).
    pub flag: u64,
    /// Longest file name.
    pub namemax: u64,
}

/// How often a lookup is retried when the kernel reports a race (`EAGAIN`) with a rename.
const RACE_RETRIES: usize = 16;

/// A directory tree that client paths cannot leave.
#[derive(Debug)]
pub struct Root {
    dir: OwnedFd,
    host_path: PathBuf,
}

impl Root {
    /// Opens `path` (which must be a directory) as the root of a confined tree.
    pub fn open(path: impl AsRef<Path>) -> FsResult<Root> {
        let host_path =
            std::fs::canonicalize(path.as_ref()).map_err(|e| FsError::from_io("open root", e))?;
        let dir = rustix::fs::open(
            &host_path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| FsError::from_errno("open root", e))?;
        Ok(Root { dir, host_path })
    }

    /// The root's canonical path on the host (for logs; never shown to clients).
    pub fn host_path(&self) -> &Path {
        &self.host_path
    }

    /// Resolves `path` inside the root, following symlinks (the final one too unless
    /// `nofollow`), and opens it with `flags`.
    fn resolve(
        &self,
        op: &'static str,
        path: &[u8],
        flags: OFlags,
        mode: Mode,
    ) -> FsResult<OwnedFd> {
        let c = client_path(op, path)?;
        // openat2 refuses what open(2) would ignore: a mode without O_CREAT, and any
        // flag beside O_PATH but O_DIRECTORY/O_NOFOLLOW/O_CLOEXEC.
        let mode = if flags.contains(OFlags::CREATE) {
            mode
        } else {
            Mode::empty()
        };
        let flags = if flags.contains(OFlags::PATH) {
            flags | OFlags::CLOEXEC
        } else {
            flags | OFlags::CLOEXEC | OFlags::NOCTTY
        };
        let mut tries = 0;
        loop {
            match rustix::fs::openat2(
                &self.dir,
                c.as_c_str(),
                flags,
                mode,
                ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
            ) {
                Err(Errno::AGAIN) if tries < RACE_RETRIES => tries += 1,
                Err(Errno::INTR) => {}
                r => return r.map_err(|e| FsError::from_errno(op, e)),
            }
        }
    }

    /// Resolves the directory that holds `path`'s final component, and that component.
    fn parent(&self, op: &'static str, path: &[u8]) -> FsResult<(OwnedFd, CString)> {
        let (dir, name) = split_parent(path).ok_or(FsError::new(FsErrorKind::InvalidPath, op))?;
        let dirfd = self.resolve(op, dir, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
        let name = CString::new(name).map_err(|_| FsError::new(FsErrorKind::InvalidPath, op))?;
        Ok((dirfd, name))
    }

    /// Opens a file for reading and/or writing.
    pub fn open_file(&self, path: impl AsRef<[u8]>, opts: &OpenOptions) -> FsResult<File> {
        let mut flags = match (opts.read, opts.write || opts.append) {
            (true, true) => OFlags::RDWR,
            (false, true) => OFlags::WRONLY,
            _ => OFlags::RDONLY,
        };
        if opts.append {
            flags |= OFlags::APPEND;
        }
        if opts.create {
            flags |= OFlags::CREATE;
            if opts.exclusive {
                flags |= OFlags::EXCL;
            }
        }
        if opts.truncate {
            flags |= OFlags::TRUNC;
        }
        let mode = Mode::from_bits_truncate(opts.mode.unwrap_or(0o666) & 0o7777);
        // O_NONBLOCK keeps the open of a FIFO from waiting for a peer (it means nothing
        // for regular files); only regular files are served.
        let fd = self.resolve("open", path.as_ref(), flags | OFlags::NONBLOCK, mode)?;
        let st = rustix::fs::fstat(&fd).map_err(|e| FsError::from_errno("open", e))?;
        let meta = Metadata::from_stat(&st);
        if meta.is_dir() {
            return Err(FsError::new(FsErrorKind::IsADirectory, "open"));
        }
        if !meta.is_file() {
            return Err(FsError::new(FsErrorKind::Unsupported, "open"));
        }
        Ok(File::from(fd))
    }

    /// Opens a directory for listing.
    pub fn open_dir(&self, path: impl AsRef<[u8]>) -> FsResult<DirReader> {
        let fd = self.resolve(
            "opendir",
            path.as_ref(),
            OFlags::RDONLY | OFlags::DIRECTORY,
            Mode::empty(),
        )?;
        let dir = rustix::fs::Dir::new(fd).map_err(|e| FsError::from_errno("opendir", e))?;
        Ok(DirReader { dir })
    }

    /// Lists a directory completely (including `.` and `..`).
    pub fn read_dir(&self, path: impl AsRef<[u8]>) -> FsResult<Vec<DirEntry>> {
        let mut reader = self.open_dir(path)?;
        let mut all = Vec::new();
        while let Some(entry) = reader.next_entry()? {
            all.push(entry);
        }
        Ok(all)
    }

    /// Status of what `path` names, following symlinks.
    pub fn stat(&self, path: impl AsRef<[u8]>) -> FsResult<Metadata> {
        let fd = self.resolve("stat", path.as_ref(), OFlags::PATH, Mode::empty())?;
        let st = rustix::fs::fstat(&fd).map_err(|e| FsError::from_errno("stat", e))?;
        Ok(Metadata::from_stat(&st))
    }

    /// Status of `path` itself: a final symlink is reported, not followed.
    pub fn lstat(&self, path: impl AsRef<[u8]>) -> FsResult<Metadata> {
        let path = path.as_ref();
        if split_parent(path).is_none() {
            // "/", "." or "..": a directory in the tree, never a link.
            return self.stat(path);
        }
        let (dir, name) = self.parent("lstat", path)?;
        let st = rustix::fs::statat(&dir, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| FsError::from_errno("lstat", e))?;
        Ok(Metadata::from_stat(&st))
    }

    /// Status of an open file.
    pub fn fstat(file: &File) -> FsResult<Metadata> {
        let st = rustix::fs::fstat(file).map_err(|e| FsError::from_errno("fstat", e))?;
        Ok(Metadata::from_stat(&st))
    }

    /// Applies `attrs` to what `path` names, following symlinks.
    pub fn setstat(&self, path: impl AsRef<[u8]>, attrs: &SetAttrs) -> FsResult<()> {
        let path = path.as_ref();
        if let Some(size) = attrs.size {
            let f = self.resolve("setstat", path, OFlags::WRONLY, Mode::empty())?;
            rustix::fs::ftruncate(&f, size).map_err(|e| FsError::from_errno("setstat", e))?;
        }
        let fd = self.resolve("setstat", path, OFlags::PATH, Mode::empty())?;
        set_on_path_fd(
            &fd,
            &SetAttrs {
                size: None,
                ..*attrs
            },
        )
    }

    /// Applies `attrs` to `path` itself: a final symlink gets its own times and owner
    /// (Linux has no permission bits on links, so changing those is unsupported).
    pub fn lsetstat(&self, path: impl AsRef<[u8]>, attrs: &SetAttrs) -> FsResult<()> {
        let path = path.as_ref();
        if split_parent(path).is_none() {
            return self.setstat(path, attrs);
        }
        let fd = self.resolve(
            "lsetstat",
            path,
            OFlags::PATH | OFlags::NOFOLLOW,
            Mode::empty(),
        )?;
        let st = rustix::fs::fstat(&fd).map_err(|e| FsError::from_errno("lsetstat", e))?;
        if !Metadata::from_stat(&st).is_symlink() {
            return self.setstat(path, attrs);
        }
        if attrs.permissions.is_some() || attrs.size.is_some() {
            return Err(FsError::new(FsErrorKind::Unsupported, "lsetstat"));
        }
        if let Some((uid, gid)) = attrs.owner {
            rustix::fs::chownat(
                &fd,
                c"",
                Some(rustix::fs::Uid::from_raw(uid)),
                Some(rustix::fs::Gid::from_raw(gid)),
                AtFlags::EMPTY_PATH,
            )
            .map_err(|e| FsError::from_errno("lsetstat", e))?;
        }
        if let Some((atime, mtime)) = attrs.times {
            let (dir, name) = self.parent("lsetstat", path)?;
            rustix::fs::utimensat(
                &dir,
                name.as_c_str(),
                &timestamps(atime, mtime),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(|e| FsError::from_errno("lsetstat", e))?;
        }
        Ok(())
    }

    /// Applies `attrs` to an open file.
    pub fn fsetstat(file: &File, attrs: &SetAttrs) -> FsResult<()> {
        if let Some(size) = attrs.size {
            file.set_len(size)
                .map_err(|e| FsError::from_io("fsetstat", e))?;
        }
        if let Some(mode) = attrs.permissions {
            rustix::fs::fchmod(file, Mode::from_bits_truncate(mode & 0o7777))
                .map_err(|e| FsError::from_errno("fsetstat", e))?;
        }
        if let Some((uid, gid)) = attrs.owner {
            rustix::fs::fchown(
                file,
                Some(rustix::fs::Uid::from_raw(uid)),
                Some(rustix::fs::Gid::from_raw(gid)),
            )
            .map_err(|e| FsError::from_errno("fsetstat", e))?;
        }
        if let Some((atime, mtime)) = attrs.times {
            rustix::fs::futimens(file, &timestamps(atime, mtime))
                .map_err(|e| FsError::from_errno("fsetstat", e))?;
        }
        Ok(())
    }

    /// Creates a directory with permission bits `mode` (before the umask).
    pub fn mkdir(&self, path: impl AsRef<[u8]>, mode: u32) -> FsResult<()> {
        let (dir, name) = self.parent("mkdir", path.as_ref())?;
        rustix::fs::mkdirat(
            &dir,
            name.as_c_str(),
            Mode::from_bits_truncate(mode & 0o7777),
        )
        .map_err(|e| FsError::from_errno("mkdir", e))
    }

    /// Removes an empty directory.
    pub fn rmdir(&self, path: impl AsRef<[u8]>) -> FsResult<()> {
        let (dir, name) = self.parent("rmdir", path.as_ref())?;
        rustix::fs::unlinkat(&dir, name.as_c_str(), AtFlags::REMOVEDIR)
            .map_err(|e| FsError::from_errno("rmdir", e))
    }

    /// Removes a file or symlink (never a directory).
    pub fn remove(&self, path: impl AsRef<[u8]>) -> FsResult<()> {
        let (dir, name) = self.parent("remove", path.as_ref())?;
        rustix::fs::unlinkat(&dir, name.as_c_str(), AtFlags::empty())
            .map_err(|e| FsError::from_errno("remove", e))
    }

    /// Renames `from` to `to`, failing when `to` exists (SFTP v3 `RENAME` semantics).
    pub fn rename(&self, from: impl AsRef<[u8]>, to: impl AsRef<[u8]>) -> FsResult<()> {
        let (fdir, fname) = self.parent("rename", from.as_ref())?;
        let (tdir, tname) = self.parent("rename", to.as_ref())?;
        match rustix::fs::renameat_with(
            &fdir,
            fname.as_c_str(),
            &tdir,
            tname.as_c_str(),
            RenameFlags::NOREPLACE,
        ) {
            // A filesystem without RENAME_NOREPLACE: do what OpenSSH's sftp-server does,
            // link then unlink for files (link fails when the target exists), a checked
            // rename for anything else.
            Err(Errno::INVAL) => {
                let (f, t) = (fname.as_c_str(), tname.as_c_str());
                let st = rustix::fs::statat(&fdir, f, AtFlags::SYMLINK_NOFOLLOW)
                    .map_err(|e| FsError::from_errno("rename", e))?;
                if Metadata::from_stat(&st).is_file() {
                    rustix::fs::linkat(&fdir, f, &tdir, t, AtFlags::empty())
                        .and_then(|()| rustix::fs::unlinkat(&fdir, f, AtFlags::empty()))
                } else if rustix::fs::statat(&tdir, t, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
                    Err(Errno::EXIST)
                } else {
                    rustix::fs::renameat(&fdir, f, &tdir, t)
                }
                .map_err(|e| FsError::from_errno("rename", e))
            }
            r => r.map_err(|e| FsError::from_errno("rename", e)),
        }
    }

    /// Renames `from` to `to`, atomically replacing `to` (POSIX `rename`).
    pub fn posix_rename(&self, from: impl AsRef<[u8]>, to: impl AsRef<[u8]>) -> FsResult<()> {
        let (fdir, fname) = self.parent("posix-rename", from.as_ref())?;
        let (tdir, tname) = self.parent("posix-rename", to.as_ref())?;
        rustix::fs::renameat(&fdir, fname.as_c_str(), &tdir, tname.as_c_str())
            .map_err(|e| FsError::from_errno("posix-rename", e))
    }

    /// Creates a symlink at `link` whose content is `target`. The content is stored as
    /// given; following the link later resolves it inside the root.
    pub fn symlink(&self, target: impl AsRef<[u8]>, link: impl AsRef<[u8]>) -> FsResult<()> {
        let target = CString::new(target.as_ref())
            .map_err(|_| FsError::new(FsErrorKind::InvalidPath, "symlink"))?;
        if target.is_empty() {
            return Err(FsError::new(FsErrorKind::InvalidPath, "symlink"));
        }
        let (dir, name) = self.parent("symlink", link.as_ref())?;
        rustix::fs::symlinkat(target.as_c_str(), &dir, name.as_c_str())
            .map_err(|e| FsError::from_errno("symlink", e))
    }

    /// The content of the symlink `path`.
    pub fn readlink(&self, path: impl AsRef<[u8]>) -> FsResult<Vec<u8>> {
        let (dir, name) = self.parent("readlink", path.as_ref())?;
        let target = rustix::fs::readlinkat(&dir, name.as_c_str(), Vec::new())
            .map_err(|e| FsError::from_errno("readlink", e))?;
        Ok(target.into_bytes())
    }

    /// Creates a hard link `new` to the file `existing` (a final symlink is linked
    /// itself, not followed).
    pub fn hardlink(&self, existing: impl AsRef<[u8]>, new: impl AsRef<[u8]>) -> FsResult<()> {
        let (odir, oname) = self.parent("hardlink", existing.as_ref())?;
        let (ndir, nname) = self.parent("hardlink", new.as_ref())?;
        rustix::fs::linkat(
            &odir,
            oname.as_c_str(),
            &ndir,
            nname.as_c_str(),
            AtFlags::empty(),
        )
        .map_err(|e| FsError::from_errno("hardlink", e))
    }

    /// The canonical absolute form of `path` as clients see it (the root is `/`), with
    /// every symlink resolved. The final component need not exist (as OpenSSH allows,
    /// so that clients can name upload targets).
    pub fn realpath(&self, path: impl AsRef<[u8]>) -> FsResult<Vec<u8>> {
        let path = path.as_ref();
        match self.resolve("realpath", path, OFlags::PATH, Mode::empty()) {
            Ok(fd) => self.client_path_of(&fd),
            Err(e) if e.kind == FsErrorKind::NotFound => {
                let (dir, name) = split_parent(path).ok_or(e.clone())?;
                let dirfd = self.resolve("realpath", dir, OFlags::PATH, Mode::empty())?;
                let st =
                    rustix::fs::fstat(&dirfd).map_err(|e| FsError::from_errno("realpath", e))?;
                if !Metadata::from_stat(&st).is_dir() {
                    return Err(FsError::new(FsErrorKind::NotADirectory, "realpath"));
                }
                let mut out = self.client_path_of(&dirfd)?;
                if out != b"/" {
                    out.push(b'/');
                }
                out.extend_from_slice(name);
                Ok(out)
            }
            Err(e) => Err(e),
        }
    }

    /// The client-visible path of an open descriptor inside the root.
    fn client_path_of(&self, fd: &OwnedFd) -> FsResult<Vec<u8>> {
        use std::os::unix::ffi::OsStrExt;
        // The kernel's own record of where the descriptor is; our process reads its own
        // /proc entry, so no client input reaches this magic link.
        let proc = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(fd));
        let host = std::fs::read_link(proc).map_err(|e| FsError::from_io("realpath", e))?;
        let rest = host
            .strip_prefix(&self.host_path)
            .map_err(|_| FsError::new(FsErrorKind::NotFound, "realpath"))?;
        let mut out = b"/".to_vec();
        out.extend_from_slice(rest.as_os_str().as_bytes());
        Ok(out)
    }

    /// Statistics of the filesystem that holds the root.
    pub fn statvfs(&self) -> FsResult<FsStats> {
        stats_of(&self.dir)
    }

    /// Statistics of the filesystem that holds an open file.
    pub fn fstatvfs(file: &File) -> FsResult<FsStats> {
        stats_of(file)
    }

    /// Statistics of the filesystem that holds `path` (inside the root).
    pub fn statvfs_path(&self, path: impl AsRef<[u8]>) -> FsResult<FsStats> {
        let fd = self.resolve("statvfs", path.as_ref(), OFlags::PATH, Mode::empty())?;
        stats_of(&fd)
    }
}

fn stats_of(fd: impl AsFd) -> FsResult<FsStats> {
    let s = rustix::fs::fstatvfs(fd).map_err(|e| FsError::from_errno("statvfs", e))?;
    Ok(FsStats {
        bsize: s.f_bsize,
        frsize: s.f_frsize,
        blocks: s.f_blocks,
        bfree: s.f_bfree,
        bavail: s.f_bavail,
        files: s.f_files,
        ffree: s.f_ffree,
        favail: s.f_favail,
        fsid: s.f_fsid,
        flag: s.f_flag.bits(),
        namemax: s.f_namemax,
    })
}

/// Applies attributes (all but size) to an `O_PATH` descriptor of a resolved file.
fn set_on_path_fd(fd: &OwnedFd, attrs: &SetAttrs) -> FsResult<()> {
    // fchmod and futimens refuse O_PATH descriptors; the descriptor's /proc entry names
    // exactly the inode already resolved inside the root, so going through it cannot
    // escape (the client's path is not used again).
    let proc = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(fd));
    if let Some(mode) = attrs.permissions {
        rustix::fs::chmodat(
            rustix::fs::CWD,
            proc.as_str(),
            Mode::from_bits_truncate(mode & 0o7777),
            AtFlags::empty(),
        )
        .map_err(|e| FsError::from_errno("setstat", e))?;
    }
    if let Some((uid, gid)) = attrs.owner {
        rustix::fs::chownat(
            fd,
            c"",
            Some(rustix::fs::Uid::from_raw(uid)),
            Some(rustix::fs::Gid::from_raw(gid)),
            AtFlags::EMPTY_PATH,
        )
        .map_err(|e| FsError::from_errno("setstat", e))?;
    }
    if let Some((atime, mtime)) = attrs.times {
        rustix::fs::utimensat(
            rustix::fs::CWD,
            proc.as_str(),
            &timestamps(atime, mtime),
            AtFlags::empty(),
        )
        .map_err(|e| FsError::from_errno("setstat", e))?;
    }
    Ok(())
}

fn timestamps(atime: i64, mtime: i64) -> Timestamps {
    Timestamps {
        last_access: Timespec {
            tv_sec: atime,
            tv_nsec: 0,
        },
        last_modification: Timespec {
            tv_sec: mtime,
            tv_nsec: 0,
        },
    }
}

/// A client path as a C string; an empty path means the root's current directory (the
/// root itself).
fn client_path(op: &'static str, path: &[u8]) -> FsResult<CString> {
    let path = if path.is_empty() { b"." as &[u8] } else { path };
    CString::new(path).map_err(|_| FsError::new(FsErrorKind::InvalidPath, op))
}

/// Splits `path` into its directory and a final component that names a new or existing
/// entry. `None` when there is no such component (`/`, `.`, `..`, `a/..`, empty).
fn split_parent(path: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut end = path.len();
    while end > 0 && path[end - 1] == b'/' {
        end -= 1;
    }
    let trimmed = &path[..end];
    let (dir, name) = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(0) => (&b"/"[..], &trimmed[1..]),
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (&b"."[..], trimmed),
    };
    if name.is_empty() || name == b"." || name == b".." {
        return None;
    }
    Some((dir, name))
}

/// A directory being listed.
pub struct DirReader {
    /// Owns the directory's one descriptor (entries are stat'ed relative to it).
    dir: rustix::fs::Dir,
}

impl fmt::Debug for DirReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirReader").finish_non_exhaustive()
    }
}

impl DirReader {
    /// The next entry, with its `lstat`; `None` at the end.
    pub fn next_entry(&mut self) -> FsResult<Option<DirEntry>> {
        match self.dir.next() {
            None => Ok(None),
            Some(Err(e)) => Err(FsError::from_errno("readdir", e)),
            Some(Ok(entry)) => {
                let name: &CStr = entry.file_name();
                let metadata = self
                    .dir
                    .fd()
                    .and_then(|fd| rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW))
                    .ok()
                    .map(|st| Metadata::from_stat(&st));
                Ok(Some(DirEntry {
                    name: name.to_bytes().to_vec(),
                    metadata,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_parent_finds_the_final_name() {
        assert_eq!(split_parent(b"a"), Some((&b"."[..], &b"a"[..])));
        assert_eq!(split_parent(b"/a"), Some((&b"/"[..], &b"a"[..])));
        assert_eq!(split_parent(b"a/b//"), Some((&b"a"[..], &b"b"[..])));
        assert_eq!(split_parent(b"/x/y/z"), Some((&b"/x/y"[..], &b"z"[..])));
        for none in [&b""[..], b"/", b"//", b".", b"..", b"a/..", b"a/."] {
            assert_eq!(
                split_parent(none),
                None,
                "{:?}",
                String::from_utf8_lossy(none)
            );
        }
    }

    #[test]
    fn errors_map_to_sftp_and_ftp_codes() {
        let nf = FsError::from_errno("stat", Errno::NOENT);
        assert_eq!((nf.sftp_status(), nf.ftp_reply_code()), (2, 550));
        let acc = FsError::from_errno("open", Errno::ACCESS);
        assert_eq!((acc.sftp_status(), acc.ftp_reply_code()), (3, 550));
        let full = FsError::from_errno("write", Errno::NOSPC);
        assert_eq!((full.sftp_status(), full.ftp_reply_code()), (4, 452));
        let bad = FsError::new(FsErrorKind::InvalidPath, "mkdir");
        assert_eq!((bad.sftp_status(), bad.ftp_reply_code()), (5, 553));
        assert_eq!(nf.to_string(), "stat: no such file or directory (errno 2)");
    }
}
