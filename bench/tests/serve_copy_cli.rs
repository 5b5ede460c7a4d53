//! `wirecrypt users`, `wirecrypt serve ftp|ftps` and `wirecrypt copy` together, as a user
//! runs them: a users file made from standard input, a server in the foreground, files
//! copied up and down over 127.0.0.1 and compared.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_wirecrypt");

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("wirecrypt-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn wirecrypt(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// A server in the foreground; stopped when dropped.
struct Serving {
    child: Child,
    addr: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Serving {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Serving { child, addr }
}

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
    let root = dir.0.join("root");
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
    let local = dir.0.join("local.bin");
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

    let back = dir.0.join("back.bin");
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
    let root = dir.0.join("root");
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
    let got = dir.0.join("got.txt");
    let url = format!("ftp://alice:correct%20horse@{}/hello.txt", server.addr);
    let out = wirecrypt(&["copy", &url, got.to_str().unwrap()], &[], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&got).unwrap(), b"hello, file transfer\n");
}
