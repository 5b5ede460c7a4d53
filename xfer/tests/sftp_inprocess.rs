//! Our SFTP client against our SFTP server, in one process over a pair of pipes.

mod common;

use std::io::{PipeReader, PipeWriter};
use std::os::unix::fs::PermissionsExt;
use std::thread::JoinHandle;

use common::{TempDir, pattern, sha256_hex};
use wirecrypt_xfer::root::Root;
use wirecrypt_xfer::sftp::codec::{fx, fxf};
use wirecrypt_xfer::sftp::{Attrs, Client, ClientError, Config, ServeError, ServeStats, Server};

/// A server thread on `root` and a client connected to it.
fn connect(
    root: &std::path::Path,
    config: Config,
) -> (Client, JoinHandle<Result<ServeStats, ServeError>>) {
    let (c2s_r, c2s_w): (PipeReader, PipeWriter) = std::io::pipe().unwrap();
    let (s2c_r, s2c_w) = std::io::pipe().unwrap();
    let server = Server::new(Root::open(root).unwrap(), config);
    let t = std::thread::spawn(move || server.serve(c2s_r, s2c_w));
    (Client::new(s2c_r, c2s_w).unwrap(), t)
}

#[test]
fn handshake_announces_openssh_extensions_and_limits() {
    let dir = TempDir::new("sftp-hs");
    let (client, server) = connect(dir.path(), Config::default());
    for (name, version) in [
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
    ] {
        assert!(client.has_extension(name, version), "{name} {version}");
    }
    let l = client.limits().unwrap();
    assert_eq!(
        (l.max_packet_len, l.max_read_len, l.max_write_len),
        (262_144, 261_120, 261_120)
    );
    assert!(l.max_open_handles >= 64);
    assert_eq!(client.request_sizes(), (261_120, 261_120));
    drop(client);
    server.join().unwrap().unwrap();
}

#[test]
fn pipelined_get_and_put_keep_the_bytes() {
    bulk(false);
}

#[test]
fn pipelined_get_and_put_with_a_reply_thread() {
    bulk(true);
}

fn bulk(reply_thread: bool) {
    let dir = TempDir::new("sftp-bulk");
    let local = TempDir::new("sftp-bulk-local");
    let config = Config {
        reply_thread,
        ..Config::default()
    };
    let (mut c, server) = connect(dir.path(), config);
    // Sizes around the request size, and one that needs many requests in flight.
    for (i, size) in [0usize, 1, 261_119, 261_120, 261_121, 9 * 1024 * 1024 + 17]
        .into_iter()
        .enumerate()
    {
        let data = pattern(size, i as u64 + 1);
        let src = local.path().join(format!("src{i}"));
        std::fs::write(&src, &data).unwrap();
        let remote = format!("/f{i}");
        assert_eq!(c.put_file(&src, &remote).unwrap(), size as u64);
        assert_eq!(
            sha256_hex(&std::fs::read(dir.path().join(&remote[1..])).unwrap()),
            sha256_hex(&data)
        );
        let back = local.path().join(format!("back{i}"));
        std::fs::write(&back, b"stale longer content that must go").unwrap();
        assert_eq!(c.get_file(&remote, &back).unwrap(), size as u64);
        assert_eq!(
            sha256_hex(&std::fs::read(&back).unwrap()),
            sha256_hex(&data),
            "size {size}"
        );
    }
    // A missing remote file is a status, and the session goes on.
    let err = c.get_file("/missing", local.path().join("x")).unwrap_err();
    assert_eq!(err.status_code(), Some(fx::NO_SUCH_FILE));
    assert!(c.stat("/f1").is_ok());
    drop(c);
    // Full-size requests both ways: the server announced 261120 and the client used it.
    let stats = server.join().unwrap().unwrap();
    assert_eq!(
        (stats.largest_read_request, stats.largest_write),
        (261_120, 261_120)
    );
    let total = [0u64, 1, 261_119, 261_120, 261_121, 9 * 1024 * 1024 + 17]
        .iter()
        .sum::<u64>();
    assert_eq!((stats.bytes_written, stats.bytes_read), (total, total));
}

#[test]
fn every_client_operation() {
    let dir = TempDir::new("sftp-ops");
    let (mut c, server) = connect(dir.path(), Config::default());
    assert_eq!(c.realpath(".").unwrap(), b"/");
    assert_eq!(c.realpath("/../..").unwrap(), b"/");
    assert_eq!(c.realpath("/new-name").unwrap(), b"/new-name");
    c.mkdir(
        "/d",
        &Attrs {
            permissions: Some(0o750),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(c.stat("/d").unwrap().is_dir());
    assert_eq!(
        std::fs::metadata(dir.path().join("d"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o750
    );
    let h = c
        .open(
            "/d/f",
            fxf::WRITE | fxf::CREAT | fxf::EXCL,
            &Attrs::default(),
        )
        .unwrap();
    c.write(&h, 0, b"hello").unwrap();
    c.write(&h, 5, b", world").unwrap();
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
    c.close(h.clone()).unwrap();
    // A closed handle is gone.
    assert_eq!(c.fstat(&h).unwrap_err().status_code(), Some(fx::FAILURE));
    let exists = c
        .open(
            "/d/f",
            fxf::WRITE | fxf::CREAT | fxf::EXCL,
            &Attrs::default(),
        )
        .unwrap_err();
    assert_eq!(exists.status_code(), Some(fx::FAILURE));
    let h = c.open("/d/f", fxf::READ, &Attrs::default()).unwrap();
    assert_eq!(c.read(&h, 0, 100).unwrap().unwrap(), b"hello");
    assert_eq!(c.read(&h, 5, 100).unwrap(), None);
    // Writing through a read-only handle is refused.
    assert_eq!(
        c.write(&h, 0, b"x").unwrap_err().status_code(),
        Some(fx::PERMISSION_DENIED)
    );
    let h2 = c
        .open("/d/copy", fxf::WRITE | fxf::CREAT, &Attrs::default())
        .unwrap();
    c.copy_data(&h, 1, 0, &h2, 10).unwrap();
    c.close(h2).unwrap();
    c.close(h).unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("d/copy")).unwrap(),
        b"\0\0\0\0\0\0\0\0\0\0ello"
    );
    c.setstat(
        "/d/f",
        &Attrs {
            permissions: Some(0o600),
            times: Some((1000, 2000)),
            ..Default::default()
        },
    )
    .unwrap();
    let a = c.stat("/d/f").unwrap();
    assert_eq!(
        (a.permissions.unwrap() & 0o777, a.times),
        (0o600, Some((1000, 2000)))
    );
    c.symlink("f", "/d/l").unwrap();
    assert_eq!(c.readlink("/d/l").unwrap(), b"f");
    assert!(c.lstat("/d/l").unwrap().is_symlink());
    assert!(c.stat("/d/l").unwrap().is_file());
    c.lsetstat(
        "/d/l",
        &Attrs {
            times: Some((5, 6)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.lstat("/d/l").unwrap().times, Some((5, 6)));
    assert_eq!(c.stat("/d/l").unwrap().times, Some((1000, 2000)));
    c.hardlink("/d/f", "/d/h").unwrap();
    assert_eq!(
        c.rename("/d/h", "/d/f").unwrap_err().status_code(),
        Some(fx::FAILURE)
    );
    c.rename("/d/h", "/d/h2").unwrap();
    c.posix_rename("/d/h2", "/d/copy").unwrap();
    let mut names: Vec<String> = c
        .read_dir("/d")
        .unwrap()
        .into_iter()
        .map(|n| String::from_utf8(n.filename).unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [".", "..", "copy", "f", "l"]);
    let listing = c.read_dir("/d").unwrap();
    let f = listing.iter().find(|n| n.filename == b"f").unwrap();
    assert!(
        String::from_utf8_lossy(&f.longname).starts_with("-rw-------"),
        "{:?}",
        String::from_utf8_lossy(&f.longname)
    );
    assert_eq!(c.expand_path("~").unwrap(), b"/");
    assert_eq!(c.expand_path("~/d/../d/f").unwrap(), b"/d/f");
    assert_eq!(c.home_directory("").unwrap(), b"/");
    let (users, groups) = c.users_groups_by_id(&[0], &[0]).unwrap();
    assert_eq!((users.len(), groups.len()), (1, 1));
    assert!(c.statvfs("/").unwrap().blocks > 0);
    assert_eq!(c.rmdir("/d").unwrap_err().status_code(), Some(fx::FAILURE));
    for f in ["/d/f", "/d/l", "/d/copy"] {
        c.remove(f).unwrap();
    }
    assert_eq!(
        c.remove("/d/f").unwrap_err().status_code(),
        Some(fx::NO_SUCH_FILE)
    );
    c.rmdir("/d").unwrap();
    assert_eq!(
        c.stat("/d").unwrap_err().status_code(),
        Some(fx::NO_SUCH_FILE)
    );
    drop(c);
    server.join().unwrap().unwrap();
}

#[test]
fn paths_cannot_leave_the_root() {
    let outer = TempDir::new("sftp-escape");
    std::fs::write(outer.path().join("secret"), b"outside").unwrap();
    let root = outer.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::os::unix::fs::symlink(outer.path().join("secret"), root.join("out")).unwrap();
    std::os::unix::fs::symlink("../secret", root.join("rel")).unwrap();
    let (mut c, server) = connect(&root, Config::default());
    for p in ["../secret", "/../secret", "out", "rel", "/rel/../secret"] {
        let e = c.open(p, fxf::READ, &Attrs::default()).unwrap_err();
        assert_eq!(e.status_code(), Some(fx::NO_SUCH_FILE), "{p}");
        assert_eq!(
            c.stat(p).unwrap_err().status_code(),
            Some(fx::NO_SUCH_FILE),
            "{p}"
        );
    }
    assert_eq!(c.realpath("../../..").unwrap(), b"/");
    // A symlink made by the client pointing out is followed inside the root.
    c.symlink("../../../../secret", "mine").unwrap();
    assert_eq!(
        c.stat("mine").unwrap_err().status_code(),
        Some(fx::NO_SUCH_FILE)
    );
    c.put_file(outer.path().join("secret"), "../../secret")
        .unwrap();
    assert_eq!(std::fs::read(root.join("secret")).unwrap(), b"outside");
    assert_eq!(
        std::fs::read(outer.path().join("secret")).unwrap(),
        b"outside"
    );
    // Writing through the client's symlink lands inside the root.
    let mine = outer.path().join("client-data");
    std::fs::write(&mine, b"client data").unwrap();
    c.put_file(&mine, "mine").unwrap();
    assert_eq!(std::fs::read(root.join("secret")).unwrap(), b"client data");
    assert_eq!(
        std::fs::read(outer.path().join("secret")).unwrap(),
        b"outside"
    );
    drop(c);
    server.join().unwrap().unwrap();
}

#[test]
fn handle_cap_and_read_only() {
    let dir = TempDir::new("sftp-cap");
    std::fs::write(dir.path().join("f"), b"x").unwrap();
    let (mut c, server) = connect(
        dir.path(),
        Config {
            max_handles: 70,
            read_only: true,
            ..Config::default()
        },
    );
    assert_eq!(c.limits().unwrap().max_open_handles, 70);
    let handles: Vec<_> = (0..70)
        .map(|_| c.open("f", fxf::READ, &Attrs::default()).unwrap())
        .collect();
    let e = c.open("f", fxf::READ, &Attrs::default()).unwrap_err();
    assert_eq!(e.status_code(), Some(fx::FAILURE));
    assert!(c.read_dir("/").is_err());
    for h in handles {
        c.close(h).unwrap();
    }
    assert_eq!(c.read_dir("/").unwrap().len(), 3);
    for e in [
        c.open("g", fxf::WRITE | fxf::CREAT, &Attrs::default())
            .unwrap_err(),
        c.mkdir("d", &Attrs::default()).unwrap_err(),
        c.remove("f").unwrap_err(),
        c.setstat(
            "f",
            &Attrs {
                permissions: Some(0),
                ..Default::default()
            },
        )
        .unwrap_err(),
    ] {
        assert_eq!(e.status_code(), Some(fx::PERMISSION_DENIED));
    }
    assert!(matches!(
        c.put_file(dir.path().join("f"), "g"),
        Err(ClientError::Status { .. })
    ));
    drop(c);
    server.join().unwrap().unwrap();
}

#[test]
fn one_server_serves_connections_in_parallel() {
    let dir = TempDir::new("sftp-parallel");
    let server = std::sync::Arc::new(Server::new(
        Root::open(dir.path()).unwrap(),
        Config::default(),
    ));
    let workers: Vec<_> = (0..4u64)
        .map(|n| {
            let server = server.clone();
            std::thread::spawn(move || {
                let (c2s_r, c2s_w) = std::io::pipe().unwrap();
                let (s2c_r, s2c_w) = std::io::pipe().unwrap();
                let t = std::thread::spawn(move || server.serve(c2s_r, s2c_w));
                let mut c = Client::new(s2c_r, c2s_w).unwrap();
                let data = pattern(1 << 20, n);
                let h = c
                    .open(&format!("f{n}"), fxf::WRITE | fxf::CREAT, &Attrs::default())
                    .unwrap();
                // Larger than one packet: the client splits it.
                c.write(&h, 0, &data).unwrap();
                c.close(h).unwrap();
                drop(c);
                let stats = t.join().unwrap().unwrap();
                assert_eq!(stats.bytes_written, 1 << 20);
                data
            })
        })
        .collect();
    for (n, w) in workers.into_iter().enumerate() {
        let want = w.join().unwrap();
        assert_eq!(
            std::fs::read(dir.path().join(format!("f{n}"))).unwrap(),
            want
        );
    }
}
