//! `wirecrypt users`, `wirecrypt serve ftp|ftps` and `wirecrypt copy` together, as a user
//! runs them: a users file made from standard input, a server in the foreground, files
//! copied up and down over 127.0.0.1 and compared.

mod cli_support;

use std::path::{Path, PathBuf};

use cli_support::{Dir, serve, wirecrypt};

fn identity(dir: &Path) -> (PathBuf, PathBuf) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c, k)
}

fn users_file(dir: &Path) -> PathBuf {
    let file = dir.join("users");
    let out = wirecrypt(
        &["users", "add", file.to_str().unwrap(), "alice"],
        &[],
        Some("correct horse\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("added 'alice'"), "{said}");
    assert!(
        !said.contains("correct horse"),
        "the password was printed: {said}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("correct horse"),
        "the password is stored in clear"
    );
    let list = wirecrypt(&["users", "list", file.to_str().unwrap()], &[], None);
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), "alice");
    file
}

#[test]
fn ftps_copy_up_and_down_through_the_engine() {
    let dir = Dir::new("ftps");
    let root = dir.path("root");
    std::fs::create_dir_all(&root).unwrap();
    let users = users_file(&dir.0);
    let (cert, key) = identity(&dir.0);
    let server = serve(&[
        "ftps",
        "--root",
        root.to_str().unwrap(),
        "--users",
        users.to_str().unwrap(),
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--require-tls",
    ]);
    let data: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let local = dir.path("local.bin");
    std::fs::write(&local, &data).unwrap();
    let url = format!("ftp://alice@{}/up.bin", server.addr);
    let env = [("WIRECRYPT_PASSWORD", "correct horse")];
    let ca = ["--tls", "--ca-file", cert.to_str().unwrap()];

    let up = wirecrypt(
        &[&["copy", local.to_str().unwrap(), &url][..], &ca].concat(),
        &env,
        None,
    );
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    assert_eq!(std::fs::read(root.join("up.bin")).unwrap(), data);

    let back = dir.path("back.bin");
    let down = wirecrypt(
        &[&["copy", &url, back.to_str().unwrap()][..], &ca].concat(),
        &env,
        None,
    );
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert_eq!(std::fs::read(&back).unwrap(), data);

    // Active mode: the server dials back for the data connection.
    let active = dir.path("active.bin");
    let down = wirecrypt(
        &[
            &["copy", "--active", &url, active.to_str().unwrap()][..],
            &ca,
        ]
        .concat(),
        &env,
        None,
    );
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert_eq!(std::fs::read(&active).unwrap(), data);
    assert!(String::from_utf8_lossy(&down.stderr).contains("active mode"));

    // A wrong password, plain FTP to a server that requires TLS, an unchecked
    // certificate without --insecure: each a non-zero exit with a reason.
    let wrong = wirecrypt(
        &[&["copy", &url, back.to_str().unwrap()][..], &ca].concat(),
        &[("WIRECRYPT_PASSWORD", "wrong")],
        None,
    );
    assert!(!wrong.status.success());
    let plain = wirecrypt(&["copy", &url, back.to_str().unwrap()], &env, None);
    assert!(!plain.status.success());
    let unchecked = wirecrypt(&["copy", "--tls", &url, back.to_str().unwrap()], &env, None);
    assert!(!unchecked.status.success());
    assert!(
        String::from_utf8_lossy(&unchecked.stderr).contains("--ca-file"),
        "{}",
        String::from_utf8_lossy(&unchecked.stderr)
    );
}

#[test]
fn plain_ftp_serves_and_fips_mode_refuses_it() {
    let dir = Dir::new("ftp");
    let root = dir.path("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("hello.txt"), b"hello, file transfer\n").unwrap();
    let users = users_file(&dir.0);
    let refused = wirecrypt(
        &[
            "--fips",
            "serve",
            "ftp",
            "--root",
            root.to_str().unwrap(),
            "--users",
            users.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("FIPS"));

    let server = serve(&[
        "ftp",
        "--root",
        root.to_str().unwrap(),
        "--users",
        users.to_str().unwrap(),
    ]);
    let got = dir.path("got.txt");
    let url = format!("ftp://alice:correct%20horse@{}/hello.txt", server.addr);
    let out = wirecrypt(&["copy", &url, got.to_str().unwrap()], &[], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&got).unwrap(), b"hello, file transfer\n");
}
