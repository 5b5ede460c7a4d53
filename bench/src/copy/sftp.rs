//! `wirecrypt copy` with an `sftp://` URL: our SSH client, the server's host key checked
//! against known_hosts, then the pipelined SFTP client on the `sftp` subsystem.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use wirecrypt::Engine;
use wirecrypt_xfer::sftp::{ClientOptions, over_ssh};
use wirecrypt_xfer::ssh::{Client, ClientConfig, HostKeyPolicy, KeyPair};

use super::{FtpUrl, PASSWORD_ENV};
use crate::ciphers;

/// The SSH options of `wirecrypt copy`.
#[derive(clap::Args, Debug)]
pub struct SshArgs {
    /// The private key to log in with (sftp://); without it the password comes from the
    /// URL or `WIRECRYPT_PASSWORD`.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
    /// The known_hosts file the server's host key is checked against (sftp://; default
    /// ~/.ssh/known_hosts).
    #[arg(long, value_name = "FILE")]
    known_hosts: Option<PathBuf>,
    /// Record the host key of a server known_hosts does not list yet (a changed key is
    /// still refused).
    #[arg(long)]
    accept_new_host_key: bool,
    /// SSH ciphers to offer, best first, comma-separated (sftp://).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    ciphers: Option<Vec<String>>,
}

impl SshArgs {
    /// True when any SSH-only option was given (they make no sense for ftp://).
    pub fn any(&self) -> bool {
        self.identity.is_some()
            || self.known_hosts.is_some()
            || self.accept_new_host_key
            || self.ciphers.is_some()
    }
}

/// `--known-hosts`, or `~/.ssh/known_hosts` when it is not given (as OpenSSH's ssh).
pub fn known_hosts_or_default(given: Option<&Path>) -> Result<PathBuf, String> {
    match given {
        Some(p) => Ok(p.to_path_buf()),
        None => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".ssh/known_hosts"))
            .ok_or_else(|| "no --known-hosts and no HOME to find ~/.ssh/known_hosts in".into()),
    }
}

/// Copies `local` to the server (`upload`) or from it, as `url` says.
pub fn run(
    url: &FtpUrl,
    local: &Path,
    upload: bool,
    args: &SshArgs,
    engine: Engine,
) -> Result<(), Box<dyn Error>> {
    // Offer only what the engine serves, and say who serves it.
    let wanted = ciphers::ssh_offer(args.ciphers.as_deref())?;
    let served = ciphers::usable(&engine, &wanted, super::NOTHING_TO_CONNECT_WITH)?.served;
    let offered: Vec<String> = served.iter().map(|(c, _)| c.name.clone()).collect();
    eprintln!("{}", ciphers::engine_line(&engine, &served));
    let known_hosts = known_hosts_or_default(args.known_hosts.as_deref())?;
    let mut config = ClientConfig::new(engine, &url.user, known_hosts);
    config.host_name = Some(url.host.clone());
    if args.accept_new_host_key {
        config.host_key_policy = HostKeyPolicy::AcceptNew;
    }
    config.ciphers = Some(offered);
    match &args.identity {
        Some(path) => config.identity = Some(KeyPair::read_openssh_file(path)?),
        None => {
            config.password = url
                .password
                .clone()
                .or_else(|| std::env::var(PASSWORD_ENV).ok());
            if config.password.is_none() {
                return Err(format!(
                    "sftp:// needs --identity or a password (in the URL or {PASSWORD_ENV})"
                )
                .into());
            }
        }
    }
    // curl's convention: the URL's path is absolute on the server.
    let remote = format!("/{}", url.path);
    let start = Instant::now();
    let client = Client::connect((url.host.as_str(), url.port), config)?;
    let cipher = client
        .info()
        .negotiated()
        .map(|n| n.cipher_c2s)
        .unwrap_or_default();
    let mut sftp = over_ssh::open(&client, ClientOptions::default())?;
    let bytes = if upload {
        sftp.put_file(local, &remote)?
    } else {
        sftp.get_file(&remote, local)?
    };
    drop(sftp);
    client.disconnect();
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "copied {bytes} bytes in {secs:.2} s ({:.1} MB/s), SSH {cipher} by wirecrypt",
        bytes as f64 / secs.max(1e-9) / 1e6
    );
    Ok(())
}
