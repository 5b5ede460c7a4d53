//! The one place the FTP server touches the filesystem: every path is a [`VPath`]
//! handed to the crate's [`Root`](crate::root::Root), which resolves it in the kernel
//! with `openat2(RESOLVE_IN_ROOT)`: `..`, absolute paths and symlinks (absolute targets
//! included) stay inside the root, atomically, with no check-then-open race.

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use super::control::VPath;
use crate::root::{FsError, FsErrorKind, Metadata, OpenOptions, Root};

/// What a listing shows about one entry.
#[derive(Clone, Debug)]
pub struct EntryInfo {
    /// The file name.
    pub name: String,
    /// True for directories.
    pub is_dir: bool,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, seconds since the epoch (UTC).
    pub mtime: i64,
}

/// The server's root, shared by all sessions.
#[derive(Debug)]
pub struct FtpRoot {
    root: Root,
}

fn io_err(e: FsError) -> io::Error {
    use io::ErrorKind as K;
    let kind = match e.kind() {
        FsErrorKind::NotFound => K::NotFound,
        FsErrorKind::PermissionDenied => K::PermissionDenied,
        FsErrorKind::AlreadyExists => K::AlreadyExists,
        FsErrorKind::NotADirectory => K::NotADirectory,
        FsErrorKind::IsADirectory => K::IsADirectory,
        FsErrorKind::DirectoryNotEmpty => K::DirectoryNotEmpty,
        FsErrorKind::InvalidPath => K::InvalidInput,
        FsErrorKind::TooManyLinks => K::PermissionDenied,
        FsErrorKind::NoSpace => K::StorageFull,
        FsErrorKind::Unsupported => K::Unsupported,
        FsErrorKind::Other => K::Other,
    };
    io::Error::new(kind, e)
}

fn p(v: &VPath) -> String {
    v.to_string()
}

impl FtpRoot {
    /// Confines to `dir`, which must exist and be a directory.
    pub fn new(dir: &Path) -> io::Result<Self> {
        let root = Root::open(dir).map_err(io_err)?;
        if !root.stat("/").map_err(io_err)?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "root is not a directory",
            ));
        }
        Ok(FtpRoot { root })
    }

    /// Opens a file for reading at `offset`.
    pub fn open_read(&self, v: &VPath, offset: u64) -> io::Result<File> {
        let opts = OpenOptions {
            read: true,
            ..OpenOptions::default()
        };
        let mut f = self.root.open_file(p(v), &opts).map_err(io_err)?;
        if f.metadata()?.is_dir() {
            return Err(io::Error::from(io::ErrorKind::IsADirectory));
        }
        if offset > 0 {
            f.seek(SeekFrom::Start(offset))?;
        }
        Ok(f)
    }

    /// Opens a file for writing: appended, or truncated to `offset` and positioned
    /// there (0 for a fresh STOR).
    pub fn open_write(&self, v: &VPath, append: bool, offset: u64) -> io::Result<File> {
        let opts = OpenOptions {
            write: true,
            create: true,
            append,
            mode: Some(0o644),
            ..OpenOptions::default()
        };
        let mut f = self.root.open_file(p(v), &opts).map_err(io_err)?;
        if f.metadata()?.is_dir() {
            return Err(io::Error::from(io::ErrorKind::IsADirectory));
        }
        if !append {
            f.set_len(offset)?;
            f.seek(SeekFrom::Start(offset))?;
        }
        Ok(f)
    }

    /// Facts about one path (symlinks followed, inside the root).
    pub fn stat(&self, v: &VPath) -> io::Result<EntryInfo> {
        let md = self.root.stat(p(v)).map_err(io_err)?;
        Ok(info(v.file_name().unwrap_or("/").to_owned(), &md))
    }

    /// The entries of a directory (or the file itself), sorted by name. A link whose
    /// target does not resolve inside the root is left out.
    pub fn list(&self, v: &VPath) -> io::Result<Vec<EntryInfo>> {
        let md = self.root.stat(p(v)).map_err(io_err)?;
        if !md.is_dir() {
            return Ok(vec![info(v.file_name().unwrap_or("/").to_owned(), &md)]);
        }
        let mut out = Vec::new();
        for e in self.root.read_dir(p(v)).map_err(io_err)? {
            let Ok(name) = String::from_utf8(e.name) else {
                continue;
            };
            if name == "." || name == ".." {
                continue;
            }
            let md = match e.metadata {
                Some(md) if !md.is_symlink() => md,
                _ => match v.resolve(&name).map(|sub| self.root.stat(p(&sub))) {
                    Some(Ok(md)) => md,
                    _ => continue,
                },
            };
            out.push(info(name, &md));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Ok if `v` is an existing directory.
    pub fn is_dir(&self, v: &VPath) -> io::Result<()> {
        if self.root.stat(p(v)).map_err(io_err)?.is_dir() {
            Ok(())
        } else {
            Err(io::Error::from(io::ErrorKind::NotADirectory))
        }
    }

    /// Ok if `v` exists (a link counts, whatever it points to).
    pub fn exists(&self, v: &VPath) -> io::Result<()> {
        self.root.lstat(p(v)).map(|_| ()).map_err(io_err)
    }

    /// MKD.
    pub fn mkdir(&self, v: &VPath) -> io::Result<()> {
        self.root.mkdir(p(v), 0o755).map_err(io_err)
    }

    /// RMD.
    pub fn rmdir(&self, v: &VPath) -> io::Result<()> {
        self.root.rmdir(p(v)).map_err(io_err)
    }

    /// DELE.
    pub fn remove(&self, v: &VPath) -> io::Result<()> {
        if self.root.lstat(p(v)).map_err(io_err)?.is_dir() {
            return Err(io::Error::from(io::ErrorKind::IsADirectory));
        }
        self.root.remove(p(v)).map_err(io_err)
    }

    /// RNFR/RNTO.
    pub fn rename(&self, from: &VPath, to: &VPath) -> io::Result<()> {
        self.root.rename(p(from), p(to)).map_err(io_err)
    }
}

fn info(name: String, md: &Metadata) -> EntryInfo {
    EntryInfo {
        name,
        is_dir: md.is_dir(),
        size: md.size,
        mtime: md.mtime,
    }
}

/// (year, month, day, hour, minute, second) in UTC for seconds since the epoch.
pub fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

/// `YYYYMMDDHHMMSS` (RFC 3659 time-val).
pub fn time_val(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
}

/// One `ls -l` style line.
pub fn list_line(e: &EntryInfo) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, _) = civil(e.mtime);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let when = if (now - e.mtime).abs() < 180 * 86_400 {
        format!("{h:02}:{mi:02}")
    } else {
        format!(" {y}")
    };
    format!(
        "{}rw-r--r-- 1 ftp ftp {:>12} {} {d:>2} {when} {}",
        if e.is_dir { 'd' } else { '-' },
        e.size,
        MONTHS[(mo - 1) as usize],
        e.name
    )
}

/// One RFC 3659 fact line (without the leading space MLST adds).
pub fn mlsx_line(e: &EntryInfo) -> String {
    format!(
        "type={};size={};modify={}; {}",
        if e.is_dir { "dir" } else { "file" },
        e.size,
        time_val(e.mtime),
        e.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(time_val(951_782_400), "20000229000000");
        // checked with `date -u -d @1796432523`
        assert_eq!(time_val(1_796_432_523), "20261205010203");
    }

    #[test]
    fn symlinks_and_dotdot_cannot_escape() {
        use std::fs;
        let base = std::env::temp_dir().join(format!("wirecrypt-ftpfs-{}", std::process::id()));
        let root = base.join("root");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(base.join("secret"), b"outside").unwrap();
        fs::write(root.join("sub/ok"), b"inside").unwrap();
        std::os::unix::fs::symlink(base.join("secret"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(&base, root.join("dirlink")).unwrap();
        std::os::unix::fs::symlink(base.join("nothing"), root.join("dangling")).unwrap();
        std::os::unix::fs::symlink("sub/ok", root.join("inner")).unwrap();
        let r = FtpRoot::new(&root).unwrap();
        let v = |s: &str| VPath::root().resolve(s).unwrap();

        assert!(r.open_read(&v("sub/ok"), 0).is_ok());
        assert!(
            r.open_read(&v("inner"), 0).is_ok(),
            "links inside the root work"
        );
        assert!(
            r.open_read(&v("../secret"), 0).is_err(),
            "clamped to /secret"
        );
        // absolute link targets resolve inside the root, where they name nothing
        for bad in ["link", "dirlink/secret", "dirlink"] {
            assert!(r.open_read(&v(bad), 0).is_err(), "{bad}");
        }
        assert!(r.open_write(&v("dirlink/new"), false, 0).is_err());
        assert!(r.open_write(&v("dangling"), false, 0).is_err());
        assert!(
            !base.join("nothing").exists(),
            "no file created through a dangling link"
        );
        assert!(!base.join("new").exists());
        let names: Vec<_> = r
            .list(&VPath::root())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["inner", "sub"], "escaping links are not listed");
        fs::remove_dir_all(base).unwrap();
    }
}
