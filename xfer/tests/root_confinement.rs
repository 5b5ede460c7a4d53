//! The confined filesystem: no client path, symlink or race leaves the root.

mod common;

use std::os::unix::fs::{FileExt, symlink};

use common::TempDir;
use wirecrypt_xfer::root::{FsErrorKind, OpenOptions, Root, SetAttrs};

/// A root directory inside a parent that holds a secret the client must never reach.
struct Jail {
    outer: TempDir,
    root: Root,
}

impl Jail {
    fn new(tag: &str) -> Jail {
        let outer = TempDir::new(tag);
        std::fs::write(outer.path().join("secret"), b"outside").unwrap();
        std::fs::create_dir(outer.path().join("root")).unwrap();
        std::fs::create_dir(outer.path().join("root/sub")).unwrap();
        std::fs::write(outer.path().join("root/sub/inside"), b"inside").unwrap();
        let root = Root::open(outer.path().join("root")).unwrap();
        Jail { outer, root }
    }

    fn host(&self, rel: &str) -> std::path::PathBuf {
        self.outer.path().join("root").join(rel)
    }
}

fn read_all(root: &Root, path: &str) -> Result<Vec<u8>, FsErrorKind> {
    let f = root
        .open_file(
            path,
            &OpenOptions {
                read: true,
                ..Default::default()
            },
        )
        .map_err(|e| e.kind())?;
    let mut buf = vec![0u8; 64];
    let n = f.read_at(&mut buf, 0).unwrap();
    buf.truncate(n);
    Ok(buf)
}

#[test]
fn dotdot_and_absolute_paths_stay_inside() {
    let j = Jail::new("root-dotdot");
    for p in [
        "../secret",
        "../../secret",
        "/../secret",
        "sub/../../secret",
        "/secret",
    ] {
        assert_eq!(read_all(&j.root, p), Err(FsErrorKind::NotFound), "{p}");
    }
    assert_eq!(read_all(&j.root, "/sub/inside").unwrap(), b"inside");
    assert_eq!(read_all(&j.root, "../sub/./inside").unwrap(), b"inside");
    assert_eq!(j.root.realpath("../..").unwrap(), b"/");
    assert_eq!(j.root.realpath("sub/../../sub").unwrap(), b"/sub");
    assert_eq!(j.root.realpath("/sub/new-name").unwrap(), b"/sub/new-name");
    // Writing through `..` lands inside the root, never beside it.
    let w = OpenOptions {
        write: true,
        create: true,
        ..Default::default()
    };
    j.root.open_file("../../escaped", &w).unwrap();
    assert!(j.host("escaped").exists());
    assert!(!j.outer.path().join("escaped").exists());
}

#[test]
fn symlinks_pointing_out_resolve_inside() {
    let j = Jail::new("root-symlink");
    symlink(j.outer.path().join("secret"), j.host("abs-out")).unwrap();
    symlink("../secret", j.host("rel-out")).unwrap();
    symlink("../../../..", j.host("sub/up")).unwrap();
    symlink(j.outer.path(), j.host("dir-out")).unwrap();
    for p in ["abs-out", "rel-out", "sub/up/secret", "dir-out/secret"] {
        assert_eq!(read_all(&j.root, p), Err(FsErrorKind::NotFound), "{p}");
        assert!(j.root.stat(p).is_err(), "stat {p}");
    }
    // A symlink's content is shown as stored, but following it never leaves the root.
    assert_eq!(j.root.readlink("rel-out").unwrap(), b"../secret");
    assert!(j.root.lstat("abs-out").unwrap().is_symlink());
    // An absolute link target means the root's own tree, as under chroot.
    symlink("/sub/inside", j.host("abs-in")).unwrap();
    assert_eq!(read_all(&j.root, "abs-in").unwrap(), b"inside");
    assert_eq!(j.root.realpath("abs-in").unwrap(), b"/sub/inside");
    assert_eq!(j.root.realpath("sub/up").unwrap(), b"/");
    // Creating through a dangling link that points out creates inside the root.
    symlink("../made-by-client", j.host("dangling")).unwrap();
    let w = OpenOptions {
        write: true,
        create: true,
        ..Default::default()
    };
    j.root
        .open_file("dangling", &w)
        .unwrap()
        .write_at(b"x", 0)
        .unwrap();
    assert!(!j.outer.path().join("made-by-client").exists());
    assert!(j.host("made-by-client").exists());
    // setstat follows the link inside the root only.
    let before = std::fs::metadata(j.outer.path().join("secret")).unwrap();
    let chmod = SetAttrs {
        permissions: Some(0o600),
        ..Default::default()
    };
    assert!(j.root.setstat("abs-out", &chmod).is_err());
    let after = std::fs::metadata(j.outer.path().join("secret")).unwrap();
    assert_eq!(before.permissions(), after.permissions());
    // Magic links are refused even if one is reachable in the tree.
    symlink("/proc/self/root/etc/passwd", j.host("magic")).unwrap();
    assert!(read_all(&j.root, "magic").is_err());
}

#[test]
fn name_operations_do_not_follow_the_final_link() {
    let j = Jail::new("root-names");
    symlink(j.outer.path().join("secret"), j.host("link")).unwrap();
    // Removing or renaming a link acts on the link, never on its target.
    j.root.rename("link", "link2").unwrap();
    j.root.remove("link2").unwrap();
    assert!(j.outer.path().join("secret").exists());
    // A hard link to a symlink that points out links the symlink, not the secret.
    symlink(j.outer.path().join("secret"), j.host("link")).unwrap();
    j.root.hardlink("link", "hard").unwrap();
    assert!(j.root.lstat("hard").unwrap().is_symlink());
    assert_eq!(read_all(&j.root, "hard"), Err(FsErrorKind::NotFound));
    // New names that are not names.
    for p in ["", "/", ".", "..", "sub/.."] {
        assert_eq!(
            j.root.mkdir(p, 0o755).unwrap_err().kind(),
            FsErrorKind::InvalidPath,
            "{p:?}"
        );
        assert_eq!(
            j.root.remove(p).unwrap_err().kind(),
            FsErrorKind::InvalidPath,
            "{p:?}"
        );
    }
    assert_eq!(
        j.root.stat("a\0b").unwrap_err().kind(),
        FsErrorKind::InvalidPath
    );
    assert_eq!(j.root.mkdir("/../../x", 0o755), Ok(()));
    assert!(j.host("x").is_dir());
}

#[test]
fn every_operation_works_inside() {
    let j = Jail::new("root-ops");
    let r = &j.root;
    r.mkdir("/d", 0o750).unwrap();
    assert_eq!(
        r.mkdir("d", 0o750).unwrap_err().kind(),
        FsErrorKind::AlreadyExists
    );
    let rw = OpenOptions {
        read: true,
        write: true,
        create: true,
        truncate: true,
        mode: Some(0o640),
        ..Default::default()
    };
    let f = r.open_file("d/f", &rw).unwrap();
    f.write_at(b"hello world", 0).unwrap();
    let app = OpenOptions {
        write: true,
        append: true,
        ..Default::default()
    };
    r.open_file("d/f", &app).unwrap().write_at(b"!", 0).unwrap();
    assert_eq!(read_all(r, "d/f").unwrap(), b"hello world!");
    let excl = OpenOptions {
        write: true,
        create: true,
        exclusive: true,
        ..Default::default()
    };
    assert_eq!(
        r.open_file("d/f", &excl).unwrap_err().kind(),
        FsErrorKind::AlreadyExists
    );
    assert_eq!(
        r.open_file(
            "d",
            &OpenOptions {
                read: true,
                ..Default::default()
            }
        )
        .unwrap_err()
        .kind(),
        FsErrorKind::IsADirectory
    );
    let m = r.stat("d/f").unwrap();
    assert_eq!((m.size, m.is_file()), (12, true));
    r.setstat(
        "d/f",
        &SetAttrs {
            size: Some(5),
            permissions: Some(0o600),
            times: Some((1_000_000, 2_000_000)),
            ..Default::default()
        },
    )
    .unwrap();
    let m = r.stat("d/f").unwrap();
    assert_eq!(
        (m.size, m.mode & 0o777, m.atime, m.mtime),
        (5, 0o600, 1_000_000, 2_000_000)
    );
    Root::fsetstat(
        &f,
        &SetAttrs {
            size: Some(3),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(Root::fstat(&f).unwrap().size, 3);
    r.symlink("f", "d/l").unwrap();
    assert_eq!(r.readlink("d/l").unwrap(), b"f");
    assert_eq!(read_all(r, "d/l").unwrap(), b"hel");
    let target_mtime = r.stat("d/l").unwrap().mtime;
    r.lsetstat(
        "d/l",
        &SetAttrs {
            times: Some((5, 6)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.lstat("d/l").unwrap().mtime, 6);
    assert_eq!(r.stat("d/l").unwrap().mtime, target_mtime);
    assert_ne!(target_mtime, 6);
    let mut names: Vec<_> = r
        .read_dir("d")
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.name).unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [".", "..", "f", "l"]);
    r.open_file("d/g", &rw).unwrap();
    assert_eq!(
        r.rename("d/f", "d/g").unwrap_err().kind(),
        FsErrorKind::AlreadyExists
    );
    r.posix_rename("d/f", "d/g").unwrap();
    r.hardlink("d/g", "d/h").unwrap();
    assert_eq!(r.stat("d/h").unwrap().nlink, 2);
    assert_eq!(
        r.rmdir("d").unwrap_err().kind(),
        FsErrorKind::DirectoryNotEmpty
    );
    for p in ["d/g", "d/h", "d/l"] {
        r.remove(p).unwrap();
    }
    assert_eq!(r.remove("d/g").unwrap_err().kind(), FsErrorKind::NotFound);
    r.rmdir("d").unwrap();
    let s = r.statvfs().unwrap();
    assert!(s.blocks > 0 && s.bsize > 0);
}

#[test]
fn a_racing_rename_cannot_carry_a_lookup_out() {
    // One thread keeps swapping a directory for a symlink that points out of the root,
    // and moving the directory out and back, while another resolves through it.
    let j = Jail::new("root-race");
    std::fs::create_dir(j.host("swap")).unwrap();
    std::fs::write(j.outer.path().join("secret2"), b"outside").unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (swap, outside, parked) = (
        j.host("swap"),
        j.outer.path().to_path_buf(),
        j.outer.path().join("parked"),
    );
    let flag = stop.clone();
    let racer = std::thread::spawn(move || {
        let mut n = 0u32;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) && n < 200_000 {
            let _ = std::fs::rename(&swap, &parked);
            let _ = symlink(&outside, &swap);
            let _ = std::fs::remove_file(&swap);
            let _ = std::fs::rename(&parked, &swap);
            n += 1;
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    let mut lookups = 0;
    while std::time::Instant::now() < deadline {
        for p in ["swap/../secret2", "swap/secret2", "swap/../../secret2"] {
            assert!(read_all(&j.root, p).is_err(), "{p} escaped");
        }
        lookups += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    racer.join().unwrap();
    assert!(lookups > 10);
}

#[test]
fn special_files_are_refused_without_blocking() {
    let j = Jail::new("root-fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(j.host("fifo"))
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    // Opening a FIFO for reading would wait for a writer forever.
    assert_eq!(read_all(&j.root, "fifo"), Err(FsErrorKind::Unsupported));
    let w = OpenOptions {
        write: true,
        ..Default::default()
    };
    assert!(j.root.open_file("fifo", &w).is_err());
    assert!(read_all(&j.root, "/dev/null").is_err());
}
