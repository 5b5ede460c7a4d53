//! `wirecrypt serve sftp` and `wirecrypt copy sftp://…` together, as a user runs them:
//! keys from ssh-keygen, a users file from `wirecrypt users add`, files copied up and
//! down over 127.0.0.1 by key and by password, and the host key checked through
//! known_hosts.

mod cli_support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use cli_support::{Dir, serve, wirecrypt};

/// ssh-keygen is the only outside program here: missing under `CI` fails.
fn have_ssh_keygen() -> bool {
    let found = Command::new("ssh-keygen")
        .arg("-?")
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "ssh-keygen is missing and CI is set (scripts/setup installs openssh-client)"
        );
        println!("SKIPPED: ssh-keygen not installed (apt-get install openssh-client)");
    }
    found
}

fn keygen(path: &Path) {
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn sftp_copy_up_by_key_and_down_by_password() {
    if !have_ssh_keygen() {
        return;
    }
    let dir = Dir::new("copy");
    let root = dir.path("root");
    std::fs::create_dir_all(&root).unwrap();
    keygen(&dir.path("host_key"));
    keygen(&dir.path("id"));
    let users = dir.path("users");
    let out = wirecrypt(
        &["users", "add", users.to_str().unwrap(), "alice"],
        &[],
        Some("correct horse\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let server = serve(&[
        "sftp",
        "--root",
        root.to_str().unwrap(),
        "--host-key",
        dir.path("host_key").to_str().unwrap(),
        "--authorized-keys",
        dir.path("id.pub").to_str().unwrap(),
        "--users",
        users.to_str().unwrap(),
        "--ciphers",
        "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com",
    ]);
    let port = server.addr.rsplit(':').next().unwrap();
    let host_pub = std::fs::read_to_string(dir.path("host_key.pub")).unwrap();
    let known = dir.path("known_hosts");
    std::fs::write(&known, format!("[127.0.0.1]:{port} {host_pub}")).unwrap();

    let data: Vec<u8> = (0..5_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let local = dir.path("local.bin");
    std::fs::write(&local, &data).unwrap();
    let url = format!("sftp://alice@{}/up.bin", server.addr);

    // Up, by key, with the cipher chosen.
    let up = wirecrypt(
        &[
            "copy",
            local.to_str().unwrap(),
            &url,
            "--identity",
            dir.path("id").to_str().unwrap(),
            "--known-hosts",
            known.to_str().unwrap(),
            "--ciphers",
            "aes256-gcm@openssh.com",
        ],
        &[],
        None,
    );
    assert!(up.status.success(), "{}", stderr(&up));
    assert!(
        stderr(&up).contains("aes256-gcm@openssh.com"),
        "{}",
        stderr(&up)
    );
    assert_eq!(std::fs::read(root.join("up.bin")).unwrap(), data);

    // Down, by password, recording the unknown host key in a fresh known_hosts.
    let fresh = dir.path("fresh_known_hosts");
    let back = dir.path("back.bin");
    let down_args = [
        "copy",
        url.as_str(),
        back.to_str().unwrap(),
        "--known-hosts",
        fresh.to_str().unwrap(),
    ];
    let refused = wirecrypt(&down_args, &[("WIRECRYPT_PASSWORD", "correct horse")], None);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("known_hosts"),
        "{}",
        stderr(&refused)
    );
    let down = wirecrypt(
        &[&down_args[..], &["--accept-new-host-key"]].concat(),
        &[("WIRECRYPT_PASSWORD", "correct horse")],
        None,
    );
    assert!(down.status.success(), "{}", stderr(&down));
    assert_eq!(std::fs::read(&back).unwrap(), data);
    let key_b64 = host_pub.split_whitespace().nth(1).unwrap();
    assert!(
        std::fs::read_to_string(&fresh).unwrap().contains(key_b64),
        "the host key was not recorded"
    );

    // A wrong password, a cipher the server does not accept, no credentials at all:
    // each a non-zero exit with a reason.
    let wrong = wirecrypt(&down_args, &[("WIRECRYPT_PASSWORD", "wrong")], None);
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("authentication"),
        "{}",
        stderr(&wrong)
    );
    let cipher = wirecrypt(
        &[&down_args[..], &["--ciphers", "aes128-ctr"]].concat(),
        &[("WIRECRYPT_PASSWORD", "correct horse")],
        None,
    );
    assert!(!cipher.status.success());
    assert!(stderr(&cipher).contains("cipher"), "{}", stderr(&cipher));
    let none = wirecrypt(&down_args, &[], None);
    assert!(!none.status.success());
    assert!(stderr(&none).contains("--identity"), "{}", stderr(&none));
}

#[test]
fn serve_sftp_confines_a_user_to_the_root_the_users_file_names() {
    if !have_ssh_keygen() {
        return;
    }
    let dir = Dir::new("user-root");
    let root = dir.path("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("top.bin"), b"everyone's").unwrap();
    keygen(&dir.path("host_key"));
    let users = dir.path("users");
    let add = wirecrypt(
        &[
            "users",
            "add",
            users.to_str().unwrap(),
            "bob",
            "--root",
            "bob-files",
        ],
        &[],
        Some("bob pw\n"),
    );
    assert!(add.status.success(), "{}", stderr(&add));
    let list = wirecrypt(&["users", "list", users.to_str().unwrap()], &[], None);
    assert_eq!(
        String::from_utf8_lossy(&list.stdout).trim(),
        "bob (root bob-files)"
    );
    let host_key = dir.path("host_key");
    let args = [
        "sftp",
        "--root",
        root.to_str().unwrap(),
        "--host-key",
        host_key.to_str().unwrap(),
        "--users",
        users.to_str().unwrap(),
    ];
    // bob's root does not exist yet: refused at start, naming it.
    let missing = wirecrypt(
        &[&["serve"][..], &args[..], &["--listen", "127.0.0.1:0"]].concat(),
        &[],
        None,
    );
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("root of user bob"),
        "{}",
        stderr(&missing)
    );

    std::fs::create_dir(root.join("bob-files")).unwrap();
    std::fs::write(root.join("bob-files").join("mine.bin"), b"bob's").unwrap();
    let server = serve(&args);
    let known = dir.path("known_hosts");
    let get = |remote: &str, local: &str| {
        wirecrypt(
            &[
                "copy",
                &format!("sftp://bob@{}/{remote}", server.addr),
                dir.path(local).to_str().unwrap(),
                "--known-hosts",
                known.to_str().unwrap(),
                "--accept-new-host-key",
            ],
            &[("WIRECRYPT_PASSWORD", "bob pw")],
            None,
        )
    };
    let mine = get("mine.bin", "got.bin");
    assert!(mine.status.success(), "{}", stderr(&mine));
    assert_eq!(std::fs::read(dir.path("got.bin")).unwrap(), b"bob's");
    // The server's root, above bob's, is out of reach.
    for escape in ["../top.bin", "%2e%2e/top.bin"] {
        let out = get(escape, "escaped.bin");
        assert!(!out.status.success(), "{escape} was served");
        assert!(
            stderr(&out).contains("status 2"),
            "{escape}: {}",
            stderr(&out)
        );
        let landed = std::fs::read(dir.path("escaped.bin")).unwrap_or_default();
        assert_ne!(landed, b"everyone's", "{escape}");
    }
}

#[test]
fn serve_sftp_refuses_bad_setups() {
    let dir = Dir::new("bad");
    std::fs::create_dir_all(dir.path("root")).unwrap();
    // Nobody could log in.
    let out = wirecrypt(
        &[
            "serve",
            "sftp",
            "--root",
            dir.path("root").to_str().unwrap(),
            "--host-key",
            "/nonexistent",
        ],
        &[],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--authorized-keys"),
        "{}",
        stderr(&out)
    );
    // A missing host key file.
    let out = wirecrypt(
        &[
            "serve",
            "sftp",
            "--root",
            dir.path("root").to_str().unwrap(),
            "--host-key",
            dir.path("missing").to_str().unwrap(),
            "--users",
            "/dev/null",
        ],
        &[],
        None,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("missing"), "{}", stderr(&out));
}
