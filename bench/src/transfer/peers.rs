//! The tools a user would otherwise run, started and driven on 127.0.0.1 in the same run:
//! vsftpd (plain FTP and FTPS) with curl as its client, and OpenSSH's sshd
//! (internal-sftp) with OpenSSH's sftp. Each is a real program found on `PATH`; one that
//! is missing or cannot start becomes a row saying so, never a number.
//!
//! Every server runs as its own process tree, so its CPU time is read from `/proc` (its
//! own time and that of the session processes it reaped); every client is a child of
//! this process, so its time is what this process's reaped children spent.

mod openssh;
mod vsftpd;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::case::Run;
use super::cpu;
use super::ours_ftp::check_landed;
use super::streams;

pub use openssh::{SFTP_CIPHERS, SftpLogin, Sshd, sftp_run};
pub use vsftpd::{Curl, Vsftpd};

/// Where `program` is on `PATH`, if anywhere (also looked for in the sbin directories,
/// where Debian puts daemons).
pub fn find(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into(), "/usr/local/sbin".into()])
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// A free TCP port on 127.0.0.1 (bound, then released for the server to take).
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts on `addr`, or `child` exits, or 10 s pass.
fn wait_listening(addr: SocketAddr, child: &mut Child, what: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{what} exited at start-up ({status})"));
        }
        if Instant::now() > deadline {
            return Err(format!("{what} did not listen on {addr} within 10 s"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server process to stop when dropped.
struct Daemon {
    child: Child,
}

impl Daemon {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a client command to completion, its output captured; an unsuccessful exit is
/// an error quoting what it printed.
fn run_client(cmd: &mut Command, what: &str) -> Result<Output, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let err = err.trim();
        let tail: String = err
            .chars()
            .rev()
            .take(300)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Err(format!("{what} failed ({}): {tail}", out.status))
    }
}

/// One timed run of `streams` client processes against `server`:
/// `client(i)` builds stream `i`'s command; uploads land at `landed(i)` (checked against
/// `sha256`), as do downloads.
fn timed_processes(
    streams: usize,
    server: cpu::Server,
    sha256: &[u8; 32],
    client: impl Fn(usize) -> Command + Sync,
    landed: impl Fn(usize) -> std::path::PathBuf,
    what: &str,
) -> Result<Run, String> {
    let meter = cpu::Meter::start(cpu::Clients::Children, server);
    let timing = streams::run(streams, None, Ok::<usize, String>, |i, _| {
        run_client(&mut client(i), what).map(|_| ())
    })?;
    let cpu = meter.finish();
    let (bytes, verified) = check_landed(streams, landed, sha256)?;
    Ok(Run {
        bytes,
        seconds: timing.seconds,
        // Each client process connects, authenticates and transfers in one go.
        handshake_seconds: 0.0,
        cpu,
        verified,
    })
}

/// True when this process runs as root (the daemons need it to drop privileges per
/// session), read from `/proc` to stay free of `unsafe`.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// Copies `file` to `dir`/`name`, readable by everyone (a daemon's session user).
fn publish(file: &Path, dir: &Path, name: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let to = dir.join(name);
    std::fs::copy(file, &to).map_err(|e| format!("{}: {e}", to.display()))?;
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o644)).map_err(|e| e.to_string())
}
