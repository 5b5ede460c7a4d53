//! `wirecrypt serve`: run one of wirecrypt's servers in the foreground — plain FTP,
//! FTPS (explicit AUTH TLS, or implicit) or SFTP over our SSH — with every TLS record or
//! SSH packet sealed by the engine the global `--provider`/`--fips` switches choose. It
//! prints the address it listens on, then which provider serves each cipher it offers
//! (`engine: provider ... ; FIPS mode on|off`), and runs until stopped. An engine that
//! refuses every cipher it would offer stops it before it listens.

use std::error::Error;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::Arc;

use wirecrypt_xfer::ftp::{Server, ServerConfig, tls};
use wirecrypt_xfer::users::UsersFile;

use crate::ciphers::{self, Cipher};
use crate::engine_args::EngineArgs;

mod sftp;

/// How `serve` says that its engine refuses every cipher it would offer.
const NOTHING_TO_SERVE: &str = "no cipher to serve with";

/// Arguments of `wirecrypt serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    protocol: Protocol,
}

#[derive(clap::Subcommand, Debug)]
enum Protocol {
    /// Plain FTP (RFC 959): the unprotected baseline.
    Ftp(FtpArgs),
    /// FTPS (RFC 4217): AUTH TLS on the control connection, PROT P on data.
    Ftps(FtpArgs),
    /// SFTP over SSH: our SSH server with the `sftp` subsystem.
    Sftp(sftp::SftpArgs),
}

#[derive(clap::Args, Debug)]
struct FtpArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:2121")]
    listen: SocketAddr,
    /// The directory sessions are confined to (a user whose users-file entry names a
    /// root of their own is confined to that instead; a relative one is under this).
    #[arg(long)]
    root: PathBuf,
    /// The users file (`wirecrypt users add FILE NAME`).
    #[arg(long)]
    users: PathBuf,
    /// The server's certificate chain, PEM (FTPS).
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// The server's private key (FTPS): a PEM file, or `pkcs11:LABEL` for a key pair
    /// generated in the PKCS#11 token by `wirecrypt token keygen` (it never leaves the
    /// token; every handshake signature is made there).
    #[arg(long, value_name = "FILE|pkcs11:LABEL", value_parser = parse_key)]
    key: Option<KeySource>,
    /// Refuse USER/PASS before AUTH TLS and answer 522 to unprotected transfers.
    #[arg(long)]
    require_tls: bool,
    /// Implicit FTPS: TLS from the first byte.
    #[arg(long)]
    implicit: bool,
    /// Passive data ports, as FIRST-LAST.
    #[arg(long, value_name = "A-B", value_parser = parse_ports)]
    pasv_ports: Option<RangeInclusive<u16>>,
    /// Sessions served at once.
    #[arg(long, default_value = "64")]
    max_connections: usize,
}

/// Where the FTPS server's private key lives.
#[derive(Clone, Debug, PartialEq)]
pub enum KeySource {
    /// A PEM file.
    File(PathBuf),
    /// A key pair in the PKCS#11 token, by label.
    Token(String),
}

/// Parses `--key`: `pkcs11:LABEL` names a token key, anything else is a file.
pub fn parse_key(s: &str) -> Result<KeySource, String> {
    match s.strip_prefix("pkcs11:") {
        Some("") => Err("'pkcs11:' needs a label: pkcs11:LABEL".into()),
        Some(label) => Ok(KeySource::Token(label.to_owned())),
        None => Ok(KeySource::File(PathBuf::from(s))),
    }
}

/// The server's certified key: the chain from `cert` with a key from a PEM file (signed
/// by the engine's rustls provider) or from the token.
fn certified_key(
    provider: &rustls::crypto::CryptoProvider,
    cert: &std::path::Path,
    key: &KeySource,
) -> Result<Arc<rustls::sign::CertifiedKey>, Box<dyn Error>> {
    let certs = tls::load_certs(cert)?;
    let signing: Arc<dyn rustls::sign::SigningKey> = match key {
        KeySource::File(path) => provider
            .key_provider
            .load_private_key(tls::load_key(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?,
        KeySource::Token(label) => token_key(label)?,
    };
    // `server_config_certified` refuses a certificate that is not for this key.
    Ok(Arc::new(rustls::sign::CertifiedKey::new(certs, signing)))
}

/// The token's key pair `label`, from the `WIRECRYPT_PKCS11_*` environment.
#[cfg(feature = "pkcs11")]
fn token_key(label: &str) -> Result<Arc<dyn rustls::sign::SigningKey>, Box<dyn Error>> {
    let token = wirecrypt::provider::pkcs11::Pkcs11::from_env()?;
    let key = token
        .key_pair(label)
        .map_err(|e| format!("--key pkcs11:{label}: {e}"))?;
    Ok(Arc::new(key))
}

#[cfg(not(feature = "pkcs11"))]
fn token_key(label: &str) -> Result<Arc<dyn rustls::sign::SigningKey>, Box<dyn Error>> {
    Err(
        format!("--key pkcs11:{label}: this wirecrypt was built without the `pkcs11` feature")
            .into(),
    )
}

/// Parses `FIRST-LAST` into a non-empty port range.
pub fn parse_ports(s: &str) -> Result<RangeInclusive<u16>, String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("'{s}' is not a port range: use FIRST-LAST, e.g. 50000-50999"))?;
    let port = |p: &str| {
        p.trim()
            .parse::<u16>()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("'{p}' is not a port (1 to 65535)"))
    };
    let (a, b) = (port(a)?, port(b)?);
    if a > b {
        return Err(format!("port range '{s}' is empty"));
    }
    Ok(a..=b)
}

/// Runs `wirecrypt serve`.
pub fn run(args: &Args, engine_args: &EngineArgs) -> Result<(), Box<dyn Error>> {
    let engine = engine_args.engine()?;
    engine.status()?;
    let (a, tls_wanted) = match &args.protocol {
        Protocol::Ftp(a) => (a, false),
        Protocol::Ftps(a) => (a, true),
        Protocol::Sftp(a) => return sftp::run(a, engine),
    };
    if !tls_wanted && (a.require_tls || a.implicit || a.cert.is_some()) {
        return Err("--cert, --require-tls and --implicit belong to `serve ftps`".into());
    }
    if !tls_wanted && engine.fips_mode() {
        return Err("FIPS mode protects every byte: plain FTP is refused; use `serve ftps`".into());
    }
    let engine_line = if tls_wanted {
        let wanted: Vec<Cipher> = ciphers::TLS_AEADS.into_iter().map(Cipher::tls).collect();
        let served = ciphers::usable(&engine, &wanted, NOTHING_TO_SERVE)?.served;
        ciphers::engine_line(&engine, &served)
    } else {
        ciphers::NO_ENGINE_LINE.to_owned()
    };
    let users = UsersFile::load(&a.users).map_err(|e| format!("{}: {e}", a.users.display()))?;
    // Each user's own root must be a directory: fail now, not at their login.
    for name in users.names() {
        if users.root(name).is_some() {
            let root = users.root_for(name, &a.root);
            if !root.is_dir() {
                return Err(
                    format!("root of user {name}: {} is not a directory", root.display()).into(),
                );
            }
        }
    }
    let mut config = ServerConfig::new(&a.root, Arc::new(users));
    config.max_connections = a.max_connections;
    if let Some(ports) = &a.pasv_ports {
        config.pasv_ports = ports.clone();
    }
    if tls_wanted {
        let (Some(cert), Some(key)) = (&a.cert, &a.key) else {
            return Err("`serve ftps` needs --cert and --key".into());
        };
        let provider = tls::engine_provider(&engine);
        let certified = certified_key(&provider, cert, key)?;
        let versions = rustls::ALL_VERSIONS;
        let server_tls = tls::server_config_certified(provider, versions, certified, None)?;
        config = config.with_tls(server_tls, a.require_tls || engine.fips_mode());
        config.implicit_tls = a.implicit;
    }
    let server =
        Server::bind(a.listen, config).map_err(|e| format!("cannot serve on {}: {e}", a.listen))?;
    let addr = server.local_addr()?;
    println!(
        "wirecrypt serve {}: listening on {addr}, root {}{}",
        if tls_wanted { "ftps" } else { "ftp" },
        a.root.display(),
        if engine.fips_mode() {
            " (FIPS mode)"
        } else {
            ""
        }
    );
    println!("{engine_line}");
    server.run()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{KeySource, parse_key, parse_ports};

    #[test]
    fn key_sources() {
        assert_eq!(
            parse_key("pkcs11:ftps-server").unwrap(),
            KeySource::Token("ftps-server".into())
        );
        assert_eq!(
            parse_key("key.pem").unwrap(),
            KeySource::File("key.pem".into())
        );
        assert!(parse_key("pkcs11:").is_err());
    }

    #[test]
    fn port_ranges() {
        assert_eq!(parse_ports("50000-50010").unwrap(), 50000..=50010);
        assert!(parse_ports("5-1").is_err());
        assert!(parse_ports("0-10").is_err());
        assert!(parse_ports("70000-70001").is_err());
        assert!(parse_ports("100").is_err());
    }
}
