//! Shared helpers for the SSH interop tests: temporary directories, free ports,
//! deterministic test data, OpenSSH programs and a throwaway `sshd`.

#![allow(dead_code)]

pub mod ours;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("wirecrypt-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether an outside program can run. Missing under `CI` fails the test; elsewhere the
/// caller skips, and this prints why.
pub fn have(program: &str, test: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        || Path::new("/usr/sbin").join(program).exists();
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!(
                "{test}: {program} is missing and CI is set (scripts/setup installs openssh-server and openssh-client)"
            );
        }
        println!(
            "SKIPPED {test}: {program} not installed (apt-get install openssh-server openssh-client)"
        );
    }
    found
}

/// Deterministic pseudo-random bytes (xorshift), fast enough for 64 MiB.
pub struct Pattern(u64);

impl Pattern {
    pub fn new(seed: u64) -> Self {
        Pattern(seed | 1)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// Writes `total` pattern bytes to `w` in `chunk`-byte writes; returns their SHA-256.
pub fn send_pattern(w: &mut impl Write, seed: u64, total: usize, chunk: usize) -> [u8; 32] {
    let mut p = Pattern::new(seed);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; chunk];
    let mut left = total;
    while left > 0 {
        let n = left.min(chunk);
        p.fill(&mut buf[..n]);
        w.write_all(&buf[..n]).unwrap();
        h.update(&buf[..n]);
        left -= n;
    }
    h.finalize().into()
}

/// Reads `r` to the end; returns (bytes, SHA-256).
pub fn hash_reader(r: &mut impl Read) -> (u64, [u8; 32]) {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            return (total, h.finalize().into());
        }
        h.update(&buf[..n]);
        total += n as u64;
    }
}

pub fn sha256_file(path: &Path) -> [u8; 32] {
    let mut f = std::fs::File::open(path).unwrap();
    hash_reader(&mut f).1
}

/// `ssh-keygen -t TYPE -N '' -f PATH`.
pub fn keygen(path: &Path, kind: &str) {
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-N", "", "-C", "test", "-f"]).arg(path);
    match kind {
        "ecdsa256" => cmd.args(["-t", "ecdsa", "-b", "256"]),
        "ecdsa384" => cmd.args(["-t", "ecdsa", "-b", "384"]),
        "rsa" => cmd.args(["-t", "rsa", "-b", "2048"]),
        "rsa1024" => cmd.args(["-t", "rsa", "-b", "1024"]),
        other => cmd.args(["-t", other]),
    };
    let st = cmd.status().unwrap();
    assert!(st.success(), "ssh-keygen {kind} failed");
}

/// The current user's name (sshd authenticates it).
pub fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Waits until something listens on 127.0.0.1:`port`.
pub fn wait_listening(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nothing listens on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An OpenSSH sshd on a free port with a temporary config, host key and
/// authorized_keys holding `id` (the client key, unencrypted, in the same directory).
pub struct Sshd {
    pub dir: TempDir,
    pub port: u16,
    child: Child,
}

impl Sshd {
    pub fn start(host_key: &str, extra: &str) -> Sshd {
        Self::start_with_user_key(host_key, "ed25519", extra)
    }

    pub fn start_with_user_key(host_key: &str, user_key: &str, extra: &str) -> Sshd {
        let dir = TempDir::new("sshd");
        std::fs::create_dir_all("/run/sshd").ok();
        keygen(&dir.path("host_key"), host_key);
        keygen(&dir.path("id"), user_key);
        std::fs::copy(dir.path("id.pub"), dir.path("authorized_keys")).unwrap();
        let port = free_port();
        let cfg = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nUsePAM no\nStrictModes no\n\
             AuthorizedKeysFile {ak}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\nPermitRootLogin yes\nSubsystem sftp internal-sftp\n\
             PidFile {pid}\nLogLevel VERBOSE\n{extra}\n",
            hk = dir.path("host_key").display(),
            ak = dir.path("authorized_keys").display(),
            pid = dir.path("sshd.pid").display(),
        );
        std::fs::write(dir.path("sshd_config"), cfg).unwrap();
        let log = std::fs::File::create(dir.path("sshd.log")).unwrap();
        let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("sshd");
        let child = Command::new(sshd)
            .arg("-f")
            .arg(dir.path("sshd_config"))
            .args(["-D", "-e"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        wait_listening(port);
        let host_pub = std::fs::read_to_string(dir.path("host_key.pub")).unwrap();
        std::fs::write(
            dir.path("known_hosts"),
            format!("[127.0.0.1]:{port} {host_pub}"),
        )
        .unwrap();
        Sshd { dir, port, child }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
