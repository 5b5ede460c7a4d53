//! Our SFTP client against OpenSSH's real `sftp-server`, spawned as a child over pipes.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{TempDir, pattern, require_program, sha256_hex};
use wirecrypt_xfer::sftp::codec::{fx, fxf};
use wirecrypt_xfer::sftp::{Attrs, Client};

const SFTP_SERVER: &str = "/usr/lib/openssh/sftp-server";

/// OpenSSH's sftp-server serving `dir` (its working directory), and our client on it.
fn connect(dir: &Path) -> Option<(Client, Child)> {
    let program = require_program(SFTP_SERVER, "openssh-sftp-server")?;
    let mut child = Command::new(program)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn sftp-server");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    Some((Client::new(stdout, stdin).unwrap(), child))
}

fn finish(client: Client, mut child: Child) {
    drop(client);
    let status = child.wait().unwrap();
    assert!(status.success(), "sftp-server exited with {status}");
}

#[test]
fn our_client_moves_64_mib_both_ways_through_openssh_sftp_server() {
    let remote = TempDir::new("osrv-big-remote");
    let local = TempDir::new("osrv-big-local");
    let Some((mut c, child)) = connect(remote.path()) else {
        return;
    };
    // OpenSSH announces limits@openssh.com, so requests are full size.
    assert_eq!(c.request_sizes(), (261_120, 261_120));
    let data = pattern(64 << 20, 77);
    let want = sha256_hex(&data);
    std::fs::write(local.path().join("big"), &data).unwrap();
    drop(data);
    assert_eq!(
        c.put_file(local.path().join("big"), "big").unwrap(),
        64 << 20
    );
    assert_eq!(
        sha256_hex(&std::fs::read(remote.path().join("big")).unwrap()),
        want
    );
    assert_eq!(
        c.get_file("big", local.path().join("back")).unwrap(),
        64 << 20
    );
    assert_eq!(
        sha256_hex(&std::fs::read(local.path().join("back")).unwrap()),
        want
    );
    finish(c, child);
}

#[test]
fn every_client_operation_against_openssh_sftp_server() {
    let remote = TempDir::new("osrv-ops");
    let Some((mut c, child)) = connect(remote.path()) else {
        return;
    };
    for ext in [
        "posix-rename@openssh.com",
        "hardlink@openssh.com",
        "fsync@openssh.com",
        "lsetstat@openssh.com",
        "expand-path@openssh.com",
        "copy-data",
    ] {
        assert!(c.has_extension(ext, "1"), "{ext}: {:?}", c.extensions());
    }
    assert!(c.has_extension("statvfs@openssh.com", "2"));
    let here = c.realpath(".").unwrap();
    assert_eq!(
        Path::new(std::str::from_utf8(&here).unwrap()),
        remote.path().canonicalize().unwrap()
    );
    c.mkdir(
        "d",
        &Attrs {
            permissions: Some(0o750),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(c.stat("d").unwrap().is_dir());
    let h = c
        .open(
            "d/f",
            fxf::WRITE | fxf::CREAT | fxf::EXCL,
            &Attrs::default(),
        )
        .unwrap();
    c.write(&h, 0, b"hello, world").unwrap();
    c.fsync(&h).unwrap();
    assert_eq!(c.fstat(&h).unwrap().size, Some(12));
    c.fsetstat(
        &h,
        &Attrs {
            size: Some(5),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(c.fstatvfs(&h).unwrap().bsize > 0);
    c.close(h).unwrap();
    let h = c.open("d/f", fxf::READ, &Attrs::default()).unwrap();
    assert_eq!(c.read(&h, 0, 100).unwrap().unwrap(), b"hello");
    assert_eq!(c.read(&h, 5, 100).unwrap(), None);
    let h2 = c
        .open("d/copy", fxf::WRITE | fxf::CREAT, &Attrs::default())
        .unwrap();
    c.copy_data(&h, 1, 0, &h2, 2).unwrap();
    c.close(h2).unwrap();
    c.close(h).unwrap();
    assert_eq!(
        std::fs::read(remote.path().join("d/copy")).unwrap(),
        b"\0\0ello"
    );
    c.setstat(
        "d/f",
        &Attrs {
            permissions: Some(0o600),
            times: Some((1000, 2000)),
            ..Default::default()
        },
    )
    .unwrap();
    let a = c.stat("d/f").unwrap();
    assert_eq!(
        (a.permissions.unwrap() & 0o777, a.times),
        (0o600, Some((1000, 2000)))
    );
    // Symlink arguments in OpenSSH's order: target first.
    c.symlink("f", "d/l").unwrap();
    assert_eq!(
        std::fs::read_link(remote.path().join("d/l")).unwrap(),
        Path::new("f")
    );
    assert_eq!(c.readlink("d/l").unwrap(), b"f");
    assert!(c.lstat("d/l").unwrap().is_symlink());
    c.lsetstat(
        "d/l",
        &Attrs {
            times: Some((5, 6)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.lstat("d/l").unwrap().times, Some((5, 6)));
    c.hardlink("d/f", "d/h").unwrap();
    assert_eq!(
        c.rename("d/h", "d/f").unwrap_err().status_code(),
        Some(fx::FAILURE)
    );
    c.rename("d/h", "d/h2").unwrap();
    c.posix_rename("d/h2", "d/copy").unwrap();
    let mut names: Vec<String> = c
        .read_dir("d")
        .unwrap()
        .into_iter()
        .map(|n| String::from_utf8(n.filename).unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [".", "..", "copy", "f", "l"]);
    assert!(c.statvfs(".").unwrap().blocks > 0);
    assert!(!c.expand_path("~").unwrap().is_empty());
    if c.has_extension("users-groups-by-id@openssh.com", "1") {
        let (users, groups) = c.users_groups_by_id(&[0], &[0]).unwrap();
        assert_eq!(
            (users[0].as_slice(), groups[0].as_slice()),
            (&b"root"[..], &b"root"[..])
        );
    }
    assert_eq!(
        c.remove("d/missing").unwrap_err().status_code(),
        Some(fx::NO_SUCH_FILE)
    );
    assert_eq!(c.rmdir("d").unwrap_err().status_code(), Some(fx::FAILURE));
    for f in ["d/f", "d/l", "d/copy"] {
        c.remove(f).unwrap();
    }
    c.rmdir("d").unwrap();
    assert_eq!(
        c.stat("d").unwrap_err().status_code(),
        Some(fx::NO_SUCH_FILE)
    );
    finish(c, child);
}

#[test]
fn odd_sizes_through_openssh_sftp_server() {
    let remote = TempDir::new("osrv-odd");
    let local = TempDir::new("osrv-odd-local");
    let Some((mut c, child)) = connect(remote.path()) else {
        return;
    };
    for (i, size) in [0usize, 1, 261_119, 261_121, 1_000_003]
        .into_iter()
        .enumerate()
    {
        let data = pattern(size, 100 + i as u64);
        std::fs::write(local.path().join("s"), &data).unwrap();
        c.put_file(local.path().join("s"), "r").unwrap();
        assert_eq!(
            c.get_file("r", local.path().join("b")).unwrap(),
            size as u64
        );
        assert_eq!(
            std::fs::read(local.path().join("b")).unwrap(),
            data,
            "size {size}"
        );
    }
    finish(c, child);
}
