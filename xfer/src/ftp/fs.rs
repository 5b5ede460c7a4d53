//! The one place the FTP server touches the filesystem: every path is a [`VPath`]
//! confined to the session's root.
//!
//! `VPath` already has no `..`, `.` or empty components. What remains is symlinks: a
//! link inside the root may point outside it. Each resolved path is therefore checked
//! by canonicalizing its deepest existing ancestor (and the path itself when it is a
//! link) and requiring the result to stay under the canonical root. A link swapped in
//! between that check and the open is not caught here; the crate's `root` module
//! (openat2 `RESOLVE_IN_ROOT`) closes that race and is meant to replace this seam.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::control::VPath;

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

/// A directory tree that paths cannot leave.
#[derive(Clone, Debug)]
pub struct FtpRoot {
    root: PathBuf,
}

impl FtpRoot {
    /// Confines to `dir`, which must exist and be a directory.
    pub fn new(dir: &Path) -> io::Result<Self> {
        let root = fs::canonicalize(dir)?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "root is not a directory",
            ));
        }
        Ok(FtpRoot { root })
    }

    /// The host path of `v`, checked not to escape through symlinks.
    fn host(&self, v: &VPath) -> io::Result<PathBuf> {
        let mut p = self.root.clone();
        for c in v.components() {
            // VPath components never hold '/', '.', '..' or NUL; refuse anything odd
            // rather than trust that blindly.
            if c.is_empty() || c == "." || c == ".." || c.contains(['/', '\0']) {
                return Err(io::Error::from(io::ErrorKind::InvalidInput));
            }
            p.push(c);
        }
        // The deepest existing ancestor must canonicalize inside the root.
        let mut probe = p.as_path();
        loop {
            match fs::symlink_metadata(probe) {
                Ok(_) => {
                    let real = fs::canonicalize(probe)
                        .map_err(|_| io::Error::from(io::ErrorKind::PermissionDenied))?;
                    if !real.starts_with(&self.root) {
                        return Err(io::Error::from(io::ErrorKind::PermissionDenied));
                    }
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => match probe.parent() {
                    Some(parent) if parent.starts_with(&self.root) => probe = parent,
                    _ => return Err(io::Error::from(io::ErrorKind::PermissionDenied)),
                },
                Err(e) => return Err(e),
            }
        }
        Ok(p)
    }

    /// Opens a file for reading at `offset`.
    pub fn open_read(&self, v: &VPath, offset: u64) -> io::Result<File> {
        let mut f = File::open(self.host(v)?)?;
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
        let path = self.host(v)?;
        let mut opts = OpenOptions::new();
        opts.create(true);
        if append {
            opts.append(true);
        } else {
            opts.write(true);
        }
        let mut f = opts.open(path)?;
        if !append {
            f.set_len(offset)?;
            f.seek(SeekFrom::Start(offset))?;
        }
        Ok(f)
    }

    /// Facts about one path.
    pub fn stat(&self, v: &VPath) -> io::Result<EntryInfo> {
        let md = fs::metadata(self.host(v)?)?;
        Ok(info(v.file_name().unwrap_or("/").to_owned(), &md))
    }

    /// The entries of a directory (or the file itself), sorted by name.
    pub fn list(&self, v: &VPath) -> io::Result<Vec<EntryInfo>> {
        let path = self.host(v)?;
        let md = fs::metadata(&path)?;
        if !md.is_dir() {
            return Ok(vec![info(v.file_name().unwrap_or("/").to_owned(), &md)]);
        }
        let mut out = Vec::new();
        for e in fs::read_dir(&path)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            // A link pointing out of the root is listed by nothing.
            let Ok(md) = fs::metadata(e.path()) else {
                continue;
            };
            if v.resolve(&name).is_some_and(|sub| self.host(&sub).is_ok()) {
                out.push(info(name, &md));
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// True if `v` is an existing directory.
    pub fn is_dir(&self, v: &VPath) -> io::Result<()> {
        if fs::metadata(self.host(v)?)?.is_dir() {
            Ok(())
        } else {
            Err(io::Error::from(io::ErrorKind::NotADirectory))
        }
    }

    /// Checks that `v` exists.
    pub fn exists(&self, v: &VPath) -> io::Result<()> {
        fs::symlink_metadata(self.host(v)?).map(|_| ())
    }

    /// MKD.
    pub fn mkdir(&self, v: &VPath) -> io::Result<()> {
        fs::create_dir(self.host(v)?)
    }

    /// RMD.
    pub fn rmdir(&self, v: &VPath) -> io::Result<()> {
        fs::remove_dir(self.host(v)?)
    }

    /// DELE.
    pub fn remove(&self, v: &VPath) -> io::Result<()> {
        let p = self.host(v)?;
        if fs::symlink_metadata(&p)?.is_dir() {
            return Err(io::Error::from(io::ErrorKind::IsADirectory));
        }
        fs::remove_file(p)
    }

    /// RNFR/RNTO.
    pub fn rename(&self, from: &VPath, to: &VPath) -> io::Result<()> {
        fs::rename(self.host(from)?, self.host(to)?)
    }
}

fn info(name: String, md: &fs::Metadata) -> EntryInfo {
    let mtime = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64);
    EntryInfo {
        name,
        is_dir: md.is_dir(),
        size: md.len(),
        mtime,
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

    #[cfg(unix)]
    #[test]
    fn symlinks_and_dotdot_cannot_escape() {
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
        for bad in ["link", "dirlink/secret", "dirlink"] {
            let e = r.open_read(&v(bad), 0).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{bad}");
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
