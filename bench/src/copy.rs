//! `wirecrypt copy SRC DST`: one file to or from a server, with curl's URL conventions:
//! `ftp://` is plain FTP (explicit AUTH TLS with `--tls`), `ftps://` is implicit FTPS,
//! `sftp://` is SFTP over our SSH (the path is absolute on the server). The user and
//! password come from the URL (`ftp://user:password@host/path`) or, for the password,
//! from `WIRECRYPT_PASSWORD`, which keeps it out of the process list; SFTP can log in
//! with `--identity` instead. Before it connects it says on standard error which
//! provider serves each cipher it offers (`engine: provider ... ; FIPS mode on|off`); an
//! engine that refuses every one of them stops it there.

use std::error::Error;
use std::fs::File;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Instant;

use rustls::RootCertStore;
use rustls::pki_types::ServerName;
use wirecrypt_xfer::ftp::{Client, ClientOptions, tls};

use crate::ciphers::{self, Cipher};
use crate::engine_args::EngineArgs;

pub mod sftp;

/// How `copy` says that its engine refuses every cipher it would offer.
const NOTHING_TO_CONNECT_WITH: &str = "no cipher to connect with";

/// The variable holding the password when the URL has none.
pub const PASSWORD_ENV: &str = "WIRECRYPT_PASSWORD";

/// Arguments of `wirecrypt copy`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where from: a local path or a URL (ftp://, ftps://, sftp://).
    src: String,
    /// Where to: a local path or a URL.
    dst: String,
    /// Explicit FTPS on an ftp:// URL (AUTH TLS, then PROT P).
    #[arg(long)]
    tls: bool,
    /// CA certificates (PEM) to check the server's certificate against.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Do not check the server's certificate (test certificates only).
    #[arg(long, conflicts_with = "ca_file")]
    insecure: bool,
    /// Active mode for FTP and FTPS: the server connects back to this machine (EPRT,
    /// or PORT) for the data connection, instead of passive mode (EPSV/PASV).
    #[arg(long)]
    active: bool,
    /// SSH options, for sftp:// URLs.
    #[command(flatten)]
    ssh: sftp::SshArgs,
}

/// An FTP, FTPS or SFTP URL, taken apart.
#[derive(Debug, PartialEq, Eq)]
pub struct FtpUrl {
    /// `ftp`, `ftps` or `sftp`.
    pub scheme: String,
    /// The user (anonymous when absent).
    pub user: String,
    /// The password, when the URL carries one.
    pub password: Option<String>,
    /// Host name or address.
    pub host: String,
    /// Port (21 for ftp, 990 for ftps, 22 for sftp by default).
    pub port: u16,
    /// The path on the server, without the leading slash.
    pub path: String,
}

/// Parses `ftp://[user[:password]@]host[:port]/path` (and `ftps://`, `sftp://`); `None` when `s`
/// is not such a URL (a local path). Percent-escapes in the user and password are
/// decoded.
pub fn parse_url(s: &str) -> Option<Result<FtpUrl, String>> {
    let (scheme, rest) = s.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "ftp" => 21,
        "ftps" => 990,
        "sftp" => 22,
        other => {
            return Some(Err(format!(
                "unsupported URL scheme '{other}': use ftp://, ftps:// or sftp://"
            )));
        }
    };
    Some((|| {
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((u, p)) => (percent_decode(u)?, Some(percent_decode(p)?)),
                None => (percent_decode(u)?, None),
            },
            None => ("anonymous".to_string(), None),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h.trim_start_matches('[').trim_end_matches(']').to_string(),
                p.parse::<u16>()
                    .map_err(|_| format!("bad port '{p}' in {s}"))?,
            ),
            _ => (
                hostport
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
                default_port,
            ),
        };
        if host.is_empty() {
            return Err(format!("no host in {s}"));
        }
        if path.is_empty() || path.ends_with('/') {
            return Err(format!("no file name in {s}"));
        }
        Ok(FtpUrl {
            scheme,
            user,
            password,
            host,
            port,
            path: percent_decode(path)?,
        })
    })())
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-escape in '{s}'"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("'{s}' is not UTF-8 once decoded"))
}

/// Runs `wirecrypt copy`.
pub fn run(args: &Args, engine_args: &EngineArgs) -> Result<(), Box<dyn Error>> {
    let (url, local, upload) = match (parse_url(&args.src), parse_url(&args.dst)) {
        (Some(_), Some(_)) => return Err("one side of a copy must be a local path".into()),
        (None, None) => {
            return Err("one side of a copy must be a URL (ftp://, ftps://, sftp://)".into());
        }
        (Some(src), None) => (src?, PathBuf::from(&args.dst), false),
        (None, Some(dst)) => (dst?, PathBuf::from(&args.src), true),
    };
    let engine = engine_args.engine()?;
    engine.status()?;
    if url.scheme == "sftp" {
        if args.tls || args.ca_file.is_some() || args.insecure || args.active {
            return Err(
                "--tls, --ca-file, --insecure and --active are for FTP and FTPS, not sftp://"
                    .into(),
            );
        }
        return sftp::run(&url, &local, upload, &args.ssh, engine);
    }
    if args.ssh.any() {
        return Err(
            "--identity, --known-hosts, --accept-new-host-key and --ciphers are for sftp://".into(),
        );
    }
    let implicit = url.scheme == "ftps";
    let protected = implicit || args.tls;
    if engine.fips_mode() && !protected {
        return Err("FIPS mode protects every byte: use --tls or an ftps:// URL".into());
    }
    if protected {
        let wanted: Vec<Cipher> = ciphers::TLS_AEADS.into_iter().map(Cipher::tls).collect();
        let served = ciphers::usable(&engine, &wanted, NOTHING_TO_CONNECT_WITH)?.served;
        eprintln!("{}", ciphers::engine_line(&engine, &served));
    } else {
        eprintln!("{}", ciphers::NO_ENGINE_LINE);
    }
    let addr: SocketAddr = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| format!("{}: {e}", url.host))?
        .next()
        .ok_or_else(|| format!("{}: no address", url.host))?;
    let mut options = if protected {
        let trust = if args.insecure {
            tls::ServerTrust::Insecure
        } else {
            let ca = args.ca_file.as_ref().ok_or(
                "FTPS needs --ca-file to check the server's certificate (or --insecure for a test certificate)",
            )?;
            let mut roots = RootCertStore::empty();
            for cert in tls::load_certs(ca)? {
                roots.add(cert)?;
            }
            tls::ServerTrust::Roots(roots)
        };
        let config = tls::client_config(
            tls::engine_provider(&engine),
            rustls::ALL_VERSIONS,
            trust,
            None,
        )?;
        let name =
            ServerName::try_from(url.host.clone()).map_err(|e| format!("{}: {e}", url.host))?;
        if implicit {
            ClientOptions::implicit(config, name)
        } else {
            ClientOptions::explicit(config, name)
        }
    } else {
        ClientOptions::plain()
    };
    options.active = args.active;
    let mode = if options.active { ", active mode" } else { "" };
    let password = match &url.password {
        Some(p) => p.clone(),
        None => std::env::var(PASSWORD_ENV).unwrap_or_else(|_| "wirecrypt@".into()),
    };
    let start = Instant::now();
    let mut client = Client::connect(addr, options)?;
    client.login(&url.user, &password)?;
    let bytes = if upload {
        let from = File::open(&local).map_err(|e| format!("{}: {e}", local.display()))?;
        let bar = progress_bar(from.metadata().map(|m| m.len()).ok());
        let n = client.stor(&url.path, &mut bar.wrap_read(from))?;
        bar.finish_and_clear();
        n
    } else {
        let to = File::create(&local).map_err(|e| format!("{}: {e}", local.display()))?;
        let bar = progress_bar(client.size(&url.path).ok());
        let n = client.retr(&url.path, 0, &mut bar.wrap_write(to))?;
        bar.finish_and_clear();
        n
    };
    client.quit()?;
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "copied {bytes} bytes in {secs:.2} s ({:.1} MB/s){}{mode}",
        bytes as f64 / secs.max(1e-9) / 1e6,
        if protected { ", TLS by wirecrypt" } else { "" }
    );
    Ok(())
}

/// A byte-count bar on a terminal (`len` when known); hidden when standard error is
/// not a terminal, so scripts and pipes see only the summary line.
fn progress_bar(len: Option<u64>) -> indicatif::ProgressBar {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::no_length(),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_curl_form() {
        let u = parse_url("ftp://alice:s%40cret@127.0.0.1:2121/dir/f.bin")
            .unwrap()
            .unwrap();
        assert_eq!(
            u,
            FtpUrl {
                scheme: "ftp".into(),
                user: "alice".into(),
                password: Some("s@cret".into()),
                host: "127.0.0.1".into(),
                port: 2121,
                path: "dir/f.bin".into(),
            }
        );
        let u = parse_url("ftps://host/f").unwrap().unwrap();
        assert_eq!(
            (u.port, u.user.as_str(), u.password),
            (990, "anonymous", None)
        );
        assert_eq!(parse_url("/local/path"), None);
        let u = parse_url("sftp://bob@127.0.0.1:2222/d/f").unwrap().unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.port, u.path.as_str()),
            ("sftp", 2222, "d/f")
        );
        assert_eq!(parse_url("sftp://h/f").unwrap().unwrap().port, 22);
        assert!(parse_url("http://x/y").unwrap().is_err());
        assert!(parse_url("ftp://host/").unwrap().is_err());
        assert!(parse_url("ftp://host:99999/f").unwrap().is_err());
        assert!(parse_url("ftp://u:%zz@host/f").unwrap().is_err());
    }
}
