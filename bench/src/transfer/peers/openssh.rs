//! OpenSSH's sshd on 127.0.0.1 (`Subsystem sftp internal-sftp`, a throwaway host key,
//! one authorized client key) and OpenSSH's `sftp -b` as its client.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::super::case::{Direction, Run};
use super::super::cpu;
use super::super::payload::{SOURCE_NAME, Scratch};
use super::{Daemon, find, free_port, publish, run_client, timed_processes, wait_listening};

/// The SFTP ciphers the harness measures, as `cipher` or `cipher+mac` (OpenSSH names).
pub const SFTP_CIPHERS: [&str; 4] = [
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes128-ctr+hmac-sha2-256-etm@openssh.com",
];

/// A running sshd and what its client needs: key, known_hosts, user, data directory.
pub struct Sshd {
    daemon: Daemon,
    port: u16,
    dir: Scratch,
    user: String,
}

impl Sshd {
    /// Starts sshd with a copy of `source` in its data directory.
    pub fn start(source: &Path) -> Result<Sshd, String> {
        let sshd = find("sshd").ok_or("sshd (openssh-server) is not installed")?;
        let keygen = find("ssh-keygen").ok_or("ssh-keygen is not installed")?;
        find("sftp").ok_or("sftp (openssh-client) is not installed")?;
        // sshd's privilege-separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let dir = Scratch::new("sshd").map_err(|e| e.to_string())?;
        let d = dir.path();
        for (key, kind) in [("host", "ed25519"), ("id", "ed25519")] {
            run_client(
                Command::new(&keygen)
                    .args(["-q", "-t", kind, "-N", "", "-f"])
                    .arg(d.join(key)),
                "ssh-keygen",
            )?;
        }
        std::fs::copy(d.join("id.pub"), d.join("authorized_keys")).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(d.join("data")).map_err(|e| e.to_string())?;
        publish(source, &d.join("data"), SOURCE_NAME)?;
        let port = free_port().map_err(|e| e.to_string())?;
        let host_pub = std::fs::read_to_string(d.join("host.pub")).map_err(|e| e.to_string())?;
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {}", host_pub.trim()),
        )
        .map_err(|e| e.to_string())?;
        let ciphers: Vec<&str> = SFTP_CIPHERS
            .iter()
            .map(|c| c.split('+').next().unwrap_or(c))
            .collect();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nUsePAM no\nStrictModes no\n\
             AuthorizedKeysFile {ak}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
             Subsystem sftp internal-sftp\nPidFile {pid}\nLogLevel ERROR\nCiphers {ciphers}\n\
             MaxStartups 256\nMaxSessions 256\n",
            host = d.join("host").display(),
            ak = d.join("authorized_keys").display(),
            pid = d.join("sshd.pid").display(),
            ciphers = ciphers.join(","),
        );
        std::fs::write(d.join("sshd_config"), config).map_err(|e| e.to_string())?;
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("sshd: {e}"))?;
        let mut daemon = Daemon { child };
        wait_listening(([127, 0, 0, 1], port).into(), &mut daemon.child, "sshd")?;
        let user = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(|| {
                let out = Command::new("id").arg("-un").output().ok()?;
                Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
            })
            .ok_or("cannot tell this user's name")?;
        Ok(Sshd {
            daemon,
            port,
            dir,
            user,
        })
    }

    /// Where uploads land and the source lies.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// How an SFTP client logs in here.
    pub fn login(&self) -> SftpLogin {
        let data = self.data_dir();
        SftpLogin {
            port: self.port,
            user: self.user.clone(),
            key: self.dir.path().join("id"),
            known_hosts: self.dir.path().join("known_hosts"),
            remote_dir: format!("{}/", data.display()),
            upload_dir: data,
            server: cpu::Server::Process(self.daemon.pid()),
        }
    }

    /// One timed run of OpenSSH's sftp against this sshd with `cipher` (`cipher` or
    /// `cipher+mac`).
    pub fn sftp_run(
        &self,
        direction: Direction,
        streams: usize,
        cipher: &str,
        sha256: &[u8; 32],
        sink: &Path,
    ) -> Result<Run, String> {
        sftp_run(&self.login(), direction, streams, cipher, sha256, sink)
    }
}

/// What OpenSSH's sftp needs to reach a server (sshd, or ours).
pub struct SftpLogin {
    /// The server's port on 127.0.0.1.
    pub port: u16,
    /// The account.
    pub user: String,
    /// The private key file it logs in with.
    pub key: PathBuf,
    /// known_hosts holding the server's key.
    pub known_hosts: PathBuf,
    /// The remote directory (trailing slash) holding the source and taking uploads.
    pub remote_dir: String,
    /// Where uploads land on this machine's disk.
    pub upload_dir: PathBuf,
    /// Where the server's CPU time is counted.
    pub server: cpu::Server,
}

/// One timed run of OpenSSH's `sftp -b` against `login` with `cipher` (`cipher` or
/// `cipher+mac`): `streams` processes, each moving the payload in `direction`.
pub fn sftp_run(
    login: &SftpLogin,
    direction: Direction,
    streams: usize,
    cipher: &str,
    sha256: &[u8; 32],
    sink: &Path,
) -> Result<Run, String> {
    let sftp = find("sftp").ok_or("sftp is not installed")?;
    let batches = Scratch::new("sftp-batch").map_err(|e| e.to_string())?;
    let d = batches.path();
    let landed = |i: usize| match direction {
        Direction::Upload => login.upload_dir.join(format!("up-{i}.bin")),
        Direction::Download => sink.join(format!("down-{i}.bin")),
    };
    let (cipher, mac) = cipher
        .split_once('+')
        .map_or((cipher, None), |(c, m)| (c, Some(m)));
    for i in 0..streams {
        let source = format!("{}{SOURCE_NAME}", login.remote_dir);
        let line = match direction {
            Direction::Upload => format!(
                "put {} {}up-{i}.bin\n",
                login.upload_dir.join(SOURCE_NAME).display(),
                login.remote_dir
            ),
            Direction::Download => format!("get {source} {}\n", landed(i).display()),
        };
        std::fs::write(d.join(format!("batch-{i}")), line).map_err(|e| e.to_string())?;
    }
    timed_processes(
        streams,
        login.server.clone(),
        sha256,
        |i| {
            let mut cmd = Command::new(&sftp);
            cmd.args(["-q", "-b"]).arg(d.join(format!("batch-{i}")));
            cmd.arg("-i").arg(&login.key);
            cmd.arg("-o").arg(format!(
                "UserKnownHostsFile={}",
                login.known_hosts.display()
            ));
            cmd.args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"]);
            cmd.args(["-o", "IdentitiesOnly=yes", "-o", "Compression=no"]);
            cmd.args(["-o", "GlobalKnownHostsFile=/dev/null"]);
            cmd.args(["-c", cipher]);
            if let Some(mac) = mac {
                cmd.args(["-o", &format!("MACs={mac}")]);
            }
            cmd.arg("-P").arg(login.port.to_string());
            cmd.arg(format!("{}@127.0.0.1", login.user));
            cmd
        },
        landed,
        "sftp",
    )
}
