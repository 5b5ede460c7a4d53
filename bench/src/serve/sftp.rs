//! `wirecrypt serve sftp`: our SSH server with the `sftp` subsystem, confined to a root,
//! logging users in by public key (an authorized_keys file) or password (the users
//! file). Every packet is sealed and opened by the engine the global switches choose.

use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use wirecrypt::Engine;
use wirecrypt_xfer::root::Root;
use wirecrypt_xfer::sftp::{Config, over_ssh};
use wirecrypt_xfer::ssh::{AuthorizedKeys, KeyPair, Server, ServerConfig};
use wirecrypt_xfer::users::UsersFile;

use crate::ciphers;

/// Arguments of `wirecrypt serve sftp`.
#[derive(clap::Args, Debug)]
pub struct SftpArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:2222")]
    listen: SocketAddr,
    /// The directory sessions are confined to (a user whose users-file entry names a
    /// root of their own is confined to that instead; a relative one is under this).
    #[arg(long)]
    root: PathBuf,
    /// The host key: an unencrypted OpenSSH private key file, or `pkcs11:LABEL` for an
    /// ECDSA P-256 key in the token (`wirecrypt token keygen`).
    #[arg(long, value_name = "FILE|pkcs11:LABEL")]
    host_key: String,
    /// Public keys allowed to log in (any user name).
    #[arg(long, value_name = "FILE")]
    authorized_keys: Option<PathBuf>,
    /// The users file for password logins (`wirecrypt users add FILE NAME`).
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Ciphers to accept, best first, comma-separated (default: all).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    ciphers: Option<Vec<String>>,
    /// Sessions served at once.
    #[arg(long, default_value = "64")]
    max_connections: usize,
}

/// Reads a host key: a key file, or `pkcs11:LABEL` (feature `pkcs11`).
pub fn load_host_key(spec: &str) -> Result<KeyPair, Box<dyn Error>> {
    if let Some(label) = spec.strip_prefix("pkcs11:") {
        #[cfg(feature = "pkcs11")]
        return Ok(KeyPair::from_token(label)?);
        #[cfg(not(feature = "pkcs11"))]
        return Err(format!(
            "host key pkcs11:{label}: this wirecrypt was built without the pkcs11 feature"
        )
        .into());
    }
    Ok(KeyPair::read_openssh_file(spec.as_ref())?)
}

/// Runs `wirecrypt serve sftp` on `engine`.
pub fn run(a: &SftpArgs, engine: Engine) -> Result<(), Box<dyn Error>> {
    if a.authorized_keys.is_none() && a.users.is_none() {
        return Err("`serve sftp` needs --authorized-keys, --users or both: \
                    otherwise nobody can log in"
            .into());
    }
    // Offer only what the engine serves: a cipher the client picked but the engine
    // refused would fail every handshake.
    let wanted = ciphers::ssh_offer(a.ciphers.as_deref())?;
    let ciphers::Usable { served, refused } =
        ciphers::usable(&engine, &wanted, super::NOTHING_TO_SERVE)?;
    if a.ciphers.is_some() {
        for why in &refused {
            eprintln!("note: not offered: {why}");
        }
    }
    let engine_line = ciphers::engine_line(&engine, &served);
    let offered: Vec<String> = served.iter().map(|(c, _)| c.name.clone()).collect();
    // Fail now, not at the first session, when the root is missing.
    Root::open(&a.root).map_err(|e| format!("root {}: {e}", a.root.display()))?;
    let host = load_host_key(&a.host_key)?;
    let fingerprint = host.public_key().fingerprint(Default::default());
    let fips = engine.fips_mode();
    let mut config = ServerConfig::new(engine, vec![host]);
    if let Some(path) = &a.authorized_keys {
        config.auth.authorized_keys = Some(AuthorizedKeys::read_file(path)?);
    }
    config.ciphers = Some(offered);
    config.max_connections = a.max_connections;
    if let Some(path) = &a.users {
        let users = UsersFile::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
        // Each user's own root must exist too: fail now, not at their first session.
        for name in users.names() {
            let root = users.root_for(name, &a.root);
            Root::open(&root)
                .map_err(|e| format!("root of user {name}: {}: {e}", root.display()))?;
        }
        let users = Arc::new(users);
        config.auth.password = Some(users.clone());
        over_ssh::register_with_users(&mut config.subsystems, &a.root, users, Config::default());
    } else {
        over_ssh::register(&mut config.subsystems, &a.root, Config::default());
    }
    let server =
        Server::bind(a.listen, config).map_err(|e| format!("cannot serve on {}: {e}", a.listen))?;
    let addr = server.local_addr()?;
    println!(
        "wirecrypt serve sftp: listening on {addr}, root {}, host key {fingerprint}{}",
        a.root.display(),
        if fips { " (FIPS mode)" } else { "" }
    );
    println!("{engine_line}");
    server.serve();
    Ok(())
}
