//! vsftpd on 127.0.0.1 — plain FTP, or explicit FTPS with `require_ssl_reuse=YES` and a
//! throwaway RSA certificate (its default TLS 1.2 list is only
//! `ECDHE-RSA-AES256-GCM-SHA384`) — and curl as the client of any FTP server.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::super::case::{Direction, Run, TlsVersion};
use super::super::cpu;
use super::super::payload::{SOURCE_NAME, Scratch};
use super::{
    Daemon, find, free_port, is_root, publish, run_client, timed_processes, wait_listening,
};

/// Passive ports for vsftpd, clear of the range wirecrypt's own server uses.
const PASV_PORTS: (u16, u16) = (42000, 42999);

/// A running vsftpd whose anonymous account reads `pub/source.bin` and writes `pub/`.
pub struct Vsftpd {
    daemon: Daemon,
    addr: std::net::SocketAddr,
    dir: Scratch,
    tls: bool,
}

impl Vsftpd {
    /// Starts vsftpd serving a copy of `source`; with `tls`, FTPS is required for login
    /// and data, and data connections must resume the control session.
    pub fn start(tls: bool, source: &Path) -> Result<Vsftpd, String> {
        let vsftpd = find("vsftpd").ok_or("vsftpd is not installed")?;
        if !is_root() {
            return Err("vsftpd needs root (it drops to its ftp user per session)".into());
        }
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        if !passwd.lines().any(|l| l.starts_with("ftp:")) {
            return Err("vsftpd's `ftp` user is missing".into());
        }
        let empty = Path::new("/var/run/vsftpd/empty");
        std::fs::create_dir_all(empty).map_err(|e| format!("{}: {e}", empty.display()))?;
        let dir = Scratch::new("vsftpd").map_err(|e| e.to_string())?;
        let anon = dir.path().join("anon");
        let public = anon.join("pub");
        std::fs::create_dir_all(&public).map_err(|e| e.to_string())?;
        publish(source, &public, SOURCE_NAME)?;
        // vsftpd refuses a chroot its session user could write to: uploads go to pub/.
        std::fs::set_permissions(&anon, std::fs::Permissions::from_mode(0o555))
            .map_err(|e| e.to_string())?;
        run_client(Command::new("chown").arg("ftp:ftp").arg(&public), "chown")?;
        let mut conf = format!(
            "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={port}\n\
             background=NO\nanonymous_enable=YES\nlocal_enable=NO\nwrite_enable=YES\n\
             anon_upload_enable=YES\nanon_other_write_enable=YES\nanon_umask=022\n\
             anon_root={anon}\nno_anon_password=YES\nftp_username=ftp\npasv_enable=YES\n\
             pasv_min_port={pmin}\npasv_max_port={pmax}\nseccomp_sandbox=NO\n\
             secure_chroot_dir={empty}\nxferlog_enable=NO\nmax_clients=256\nmax_per_ip=256\n",
            port = free_port().map_err(|e| e.to_string())?,
            anon = anon.display(),
            pmin = PASV_PORTS.0,
            pmax = PASV_PORTS.1,
            empty = empty.display(),
        );
        if tls {
            let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            run_client(
                Command::new("openssl")
                    .args([
                        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    ])
                    .args(["-subj", "/CN=localhost", "-keyout"])
                    .arg(&key)
                    .arg("-out")
                    .arg(&cert),
                "openssl req (vsftpd's certificate)",
            )?;
            conf.push_str(&format!(
                "ssl_enable=YES\nallow_anon_ssl=YES\nforce_anon_data_ssl=YES\n\
                 force_anon_logins_ssl=YES\nrequire_ssl_reuse=YES\n\
                 rsa_cert_file={}\nrsa_private_key_file={}\n",
                cert.display(),
                key.display()
            ));
        }
        let port: u16 = conf
            .lines()
            .find_map(|l| l.strip_prefix("listen_port="))
            .and_then(|p| p.parse().ok())
            .ok_or("no port")?;
        let conf_path = dir.path().join("vsftpd.conf");
        std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
        let child = Command::new(vsftpd)
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("vsftpd: {e}"))?;
        let mut daemon = Daemon { child };
        let addr = ([127, 0, 0, 1], port).into();
        wait_listening(addr, &mut daemon.child, "vsftpd")?;
        Ok(Vsftpd {
            daemon,
            addr,
            dir,
            tls,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Its process (session processes are its children).
    pub fn pid(&self) -> u32 {
        self.daemon.pid()
    }

    /// Where its anonymous account's uploads land on disk.
    pub fn public_dir(&self) -> PathBuf {
        self.dir.path().join("anon").join("pub")
    }

    /// One timed run of curl against this vsftpd.
    pub fn curl_run(
        &self,
        direction: Direction,
        streams: usize,
        source: &Path,
        sha256: &[u8; 32],
        sink: &Path,
    ) -> Result<Run, String> {
        let curl = Curl {
            addr: self.addr,
            user: None,
            remote_dir: "pub/",
            tls: self.tls.then_some(TlsVersion::Tls12),
        };
        curl.run(
            direction,
            streams,
            source,
            sha256,
            sink,
            &self.public_dir(),
            cpu::Server::Process(self.daemon.pid()),
        )
    }
}

/// curl as the client of an FTP server: explicit FTPS (`--ssl-reqd`) when `tls` is set.
pub struct Curl<'a> {
    /// The server.
    pub addr: std::net::SocketAddr,
    /// `user:password`, or anonymous.
    pub user: Option<String>,
    /// The remote directory (with a trailing slash) holding `source.bin` and taking uploads.
    pub remote_dir: &'a str,
    /// The TLS version to insist on, for FTPS.
    pub tls: Option<TlsVersion>,
}

impl Curl<'_> {
    /// One timed run: `streams` curl processes at once; uploads land in `upload_dir` on
    /// the server's disk, downloads in `sink`.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &self,
        direction: Direction,
        streams: usize,
        source: &Path,
        sha256: &[u8; 32],
        sink: &Path,
        upload_dir: &Path,
        server: cpu::Server,
    ) -> Result<Run, String> {
        let curl = find("curl").ok_or("curl is not installed")?;
        let landed = |i: usize| match direction {
            Direction::Upload => upload_dir.join(format!("up-{i}.bin")),
            Direction::Download => sink.join(format!("down-{i}.bin")),
        };
        let url = |name: &str| format!("ftp://{}/{}{name}", self.addr, self.remote_dir);
        timed_processes(
            streams,
            server,
            sha256,
            |i| {
                let mut cmd = Command::new(&curl);
                cmd.args(["-sS", "--fail"]);
                if let Some(user) = &self.user {
                    cmd.arg("--user").arg(user);
                }
                if let Some(v) = self.tls {
                    cmd.args(["--ssl-reqd", "--insecure"]);
                    cmd.arg(match v {
                        TlsVersion::Tls12 => "--tls-max",
                        TlsVersion::Tls13 => "--tlsv1.3",
                    });
                    if v == TlsVersion::Tls12 {
                        cmd.arg("1.2");
                    }
                }
                match direction {
                    Direction::Upload => {
                        cmd.arg("-T").arg(source).arg(url(&format!("up-{i}.bin")));
                    }
                    Direction::Download => {
                        cmd.arg("-o").arg(landed(i)).arg(url(SOURCE_NAME));
                    }
                }
                cmd
            },
            landed,
            "curl",
        )
    }
}
