//! Shared by the tests that run `wirecrypt serve` and `wirecrypt copy` as a user does: a
//! scratch directory, the binary run with its input, a server in the foreground (on this
//! host, or under `ip netns exec` on a test host).

// Each test binary that includes this module uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_wirecrypt");

/// `bench` kept tiny, for the tests of its options (refusals come before anything starts).
pub const BENCH_TINY: &[&str] = &["--protocols", "ftps", "--size", "64KiB", "--runs", "1"];
/// `serve sftp` on paths that do not exist: the engine's refusal comes first, and the
/// server never listens whatever happens (a test cannot hang on it).
pub const SERVE_NOWHERE: &[&str] = &[
    "sftp",
    "--root",
    "/nonexistent/root",
    "--host-key",
    "/nonexistent/host_key",
    "--users",
    "/nonexistent/users",
    "--listen",
    "127.0.0.1:0",
];
/// `copy` with no password anywhere: past the engine it stops before it connects.
pub const COPY_NOWHERE: &[&str] = &["sftp://alice@127.0.0.1:9/x", "/nonexistent/y"];

/// A scratch directory, removed when dropped.
pub struct Dir(pub PathBuf);

impl Dir {
    /// A new empty directory named for the test and this process.
    pub fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("wirecrypt-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }

    /// A path inside it.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `wirecrypt` with `args`, the given variables only (none of the engine's or the
/// password inherited) and `stdin` as its standard input.
pub fn wirecrypt(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS")
        .env_remove("WIRECRYPT_PASSWORD")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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

/// `wirecrypt serve …` in the foreground on a free port; stopped when dropped.
pub struct Serving {
    child: Child,
    /// The address it said it listens on.
    pub addr: String,
    /// The first line it printed (where, and in which mode).
    pub line: String,
    /// The second: which provider serves each cipher it offers (`engine: ...`).
    pub engine: String,
}

/// How [`serve_with`] starts a server; the default is this host, a free port on
/// 127.0.0.1, and none of the engine's variables.
#[derive(Default)]
pub struct Launch<'a> {
    /// A command the server runs under (`["ip", "netns", "exec", NS]`).
    pub under: &'a [&'a str],
    /// Options before `serve` (`--fips`).
    pub global: &'a [&'a str],
    /// Where to listen instead of 127.0.0.1:0.
    pub listen: Option<&'a str>,
    /// Variables for the server (a token's module and PIN).
    pub env: &'a [(&'a str, &'a str)],
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `wirecrypt serve ARGS --listen 127.0.0.1:0` (`args` begins with the protocol)
/// and reads the address from its first line.
pub fn serve(args: &[&str]) -> Serving {
    serve_with(args, &Launch::default())
}

/// Starts `wirecrypt serve ARGS` as `how` says and reads the address from its first line
/// and the engine's providers from its second.
pub fn serve_with(args: &[&str], how: &Launch<'_>) -> Serving {
    let mut cmd = match how.under.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    let mut child = cmd
        .args(how.global)
        .arg("serve")
        .args(args)
        .args(["--listen", how.listen.unwrap_or("127.0.0.1:0")])
        .env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS")
        .envs(how.env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (mut line, mut engine) = (String::new(), String::new());
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    stdout.read_line(&mut engine).unwrap();
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Serving {
        child,
        addr,
        line,
        engine,
    }
}
