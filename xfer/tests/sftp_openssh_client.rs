//! OpenSSH's own `sftp` client against our server, over pipes: `sftp -D` runs the
//! server program (`wirecrypt-sftp-server`) directly, with no SSH in between.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::{TempDir, pattern, require_program, sha256_hex};

const SERVER: &str = env!("CARGO_BIN_EXE_wirecrypt-sftp-server");

/// Runs `sftp -b batch -D server` with `root` served and `local` as the working
/// directory; returns its output.
fn sftp(root: &Path, local: &Path, batch: &str, extra: &[&str]) -> Option<Output> {
    let sftp = require_program("sftp", "openssh-client")?;
    let batch_file = local.join(".batch");
    std::fs::write(&batch_file, batch).unwrap();
    let out = Command::new(sftp)
        .args(extra)
        .arg("-b")
        .arg(&batch_file)
        .arg("-D")
        .arg(SERVER)
        .env("WIRECRYPT_SFTP_ROOT", root)
        .env("WIRECRYPT_SFTP_STATS", "1")
        .current_dir(local)
        .output()
        .expect("run sftp");
    std::fs::remove_file(&batch_file).unwrap();
    Some(out)
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn openssh_sftp_commands_work_against_our_server() {
    let root = TempDir::new("ossh-cmds-root");
    let local = TempDir::new("ossh-cmds-local");
    std::fs::write(local.path().join("a.txt"), b"alpha\n").unwrap();
    std::fs::write(local.path().join("b.bin"), pattern(300_000, 3)).unwrap();
    let batch = "\
pwd
put a.txt
put b.bin up.bin
mkdir dir
rename a.txt dir/moved.txt
symlink dir/moved.txt link
chmod 640 up.bin
ln up.bin hard.bin
ls -l
ls -l dir
get up.bin back.bin
get link via-link.txt
df
-get does-not-exist
-get ../../../../etc/hostname
-rmdir dir
rm hard.bin
lmkdir ldir
";
    let Some(out) = sftp(root.path(), local.path(), batch, &[]) else {
        return;
    };
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Remote working directory: /"), "{all}");
    for name in ["up.bin", "link", "dir", "moved.txt"] {
        assert!(stdout.contains(name), "{name} missing from listing:\n{all}");
    }
    assert!(
        stdout.contains("-rw-r-----"),
        "chmod not shown by ls -l:\n{all}"
    );
    assert!(stdout.contains("Avail"), "df output missing:\n{all}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does-not-exist") && stderr.contains("not found"),
        "{all}"
    );
    assert!(
        stderr.contains("hostname") && stderr.contains("not found"),
        "escape not refused:\n{all}"
    );
    // The tree on disk is what the commands made.
    let r = root.path();
    assert_eq!(std::fs::read(r.join("dir/moved.txt")).unwrap(), b"alpha\n");
    assert_eq!(
        std::fs::read_link(r.join("link")).unwrap(),
        Path::new("dir/moved.txt")
    );
    assert_eq!(
        std::fs::metadata(r.join("up.bin"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o640
    );
    assert!(!r.join("hard.bin").exists());
    assert!(r.join("dir").is_dir(), "rmdir of a non-empty dir must fail");
    assert_eq!(
        std::fs::read(local.path().join("back.bin")).unwrap(),
        pattern(300_000, 3)
    );
    assert_eq!(
        std::fs::read(local.path().join("via-link.txt")).unwrap(),
        b"alpha\n"
    );
}

#[test]
fn openssh_sftp_moves_64_mib_both_ways_intact() {
    let root = TempDir::new("ossh-big-root");
    let local = TempDir::new("ossh-big-local");
    let data = pattern(64 << 20, 64);
    let want = sha256_hex(&data);
    std::fs::write(local.path().join("big"), &data).unwrap();
    drop(data);
    let Some(out) = sftp(
        root.path(),
        local.path(),
        "put big\nget big big.back\n",
        &[],
    ) else {
        return;
    };
    assert!(out.status.success(), "{}", text(&out));
    // OpenSSH took the announced limits: full 261120-byte requests, and it never shrank
    // its reads (it would after one short DATA reply).
    let stats = format!(
        "{0} bytes read, {0} bytes written, largest read request 261120, largest write 261120",
        64 << 20
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&stats),
        "{}",
        text(&out)
    );
    assert_eq!(
        sha256_hex(&std::fs::read(root.path().join("big")).unwrap()),
        want
    );
    assert_eq!(
        sha256_hex(&std::fs::read(local.path().join("big.back")).unwrap()),
        want
    );
}

#[test]
fn openssh_sftp_buffer_and_request_variants() {
    // As OpenSSH's regress/sftp.sh: every buffer size with every pipelining depth.
    let root = TempDir::new("ossh-var-root");
    let local = TempDir::new("ossh-var-local");
    let data = pattern(70_001, 5);
    std::fs::write(local.path().join("src"), &data).unwrap();
    let mut runs = 0;
    for buffer in ["5", "1000", "32000", "64000"] {
        for requests in ["1", "2", "10"] {
            let Some(out) = sftp(
                root.path(),
                local.path(),
                "put src up\nget up down\n",
                &["-B", buffer, "-R", requests],
            ) else {
                return;
            };
            assert!(
                out.status.success(),
                "-B {buffer} -R {requests}: {}",
                text(&out)
            );
            assert_eq!(
                std::fs::read(root.path().join("up")).unwrap(),
                data,
                "-B {buffer} -R {requests}"
            );
            assert_eq!(
                std::fs::read(local.path().join("down")).unwrap(),
                data,
                "-B {buffer} -R {requests}"
            );
            std::fs::remove_file(root.path().join("up")).unwrap();
            std::fs::remove_file(local.path().join("down")).unwrap();
            runs += 1;
        }
    }
    assert_eq!(runs, 12);
}

#[test]
fn openssh_sftp_recursion_server_copy_resume_and_ownership() {
    let root = TempDir::new("ossh-more-root");
    let local = TempDir::new("ossh-more-local");
    let l = local.path();
    std::fs::create_dir_all(l.join("tree/sub")).unwrap();
    std::fs::write(l.join("tree/a.txt"), b"one\n").unwrap();
    std::fs::write(l.join("tree/sub/b.txt"), b"two\n").unwrap();
    let whole = pattern(1_000_000, 8);
    std::fs::write(l.join("whole"), &whole).unwrap();
    // Partial copies on both sides, for reput and reget to finish.
    std::fs::write(root.path().join("remote-part"), &whole[..400_000]).unwrap();
    std::fs::write(root.path().join("remote-whole"), &whole).unwrap();
    std::fs::write(l.join("local-part"), &whole[..300_000]).unwrap();
    // chown needs root; the owner of a file just made tells who we are.
    let as_root = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(l.join("whole")).unwrap().uid() == 0
    };
    let mut batch = String::from(
        "\
put -r tree
get -r tree tree.back
cp tree/a.txt tree/c.txt
ls tree/*.txt
df -i
reput whole remote-part
reget remote-whole local-part
put -f whole synced
",
    );
    if as_root {
        batch.push_str("chown 1 tree/a.txt\nchgrp 2 tree/a.txt\n");
    }
    let Some(out) = sftp(root.path(), l, &batch, &[]) else {
        return;
    };
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let r = root.path();
    assert_eq!(std::fs::read(r.join("tree/sub/b.txt")).unwrap(), b"two\n");
    assert_eq!(
        std::fs::read(l.join("tree.back/sub/b.txt")).unwrap(),
        b"two\n"
    );
    assert_eq!(
        std::fs::read(r.join("tree/c.txt")).unwrap(),
        b"one\n",
        "copy-data"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Inodes"),
        "{all}"
    );
    assert_eq!(
        std::fs::read(r.join("remote-part")).unwrap(),
        whole,
        "reput"
    );
    assert_eq!(std::fs::read(l.join("local-part")).unwrap(), whole, "reget");
    assert_eq!(std::fs::read(r.join("synced")).unwrap(), whole, "put -f");
    if as_root {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(r.join("tree/a.txt")).unwrap();
        assert_eq!((m.uid(), m.gid()), (1, 2));
    } else {
        eprintln!("chown/chgrp not tried: not running as root");
    }
}
