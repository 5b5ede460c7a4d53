//! TLS for FTPS (RFC 4217) on rustls 0.23 with the engine's `CryptoProvider`.
//!
//! * Configuration helpers for both ends ([`server_config`], [`client_config`]), always
//!   on [`wirecrypt::tls::rustls_provider`] so records are sealed by the engine.
//! * Session reuse enforcement (vsftpd's `require_ssl_reuse`): each FTP session gets
//!   its own copy of the server configuration ([`per_session`]) with a private session
//!   store and no ticket key. A data connection that reports
//!   `HandshakeKind::Resumed` can then only have resumed *this* control connection's
//!   session, which proves the data connection's client holds its secret.
//! * CCC helpers that end TLS on the control connection with close_notify while
//!   leaving the TCP connection open ([`clear_after_close_notify`]).

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read};
use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::{StoresServerSessions, WebPkiClientVerifier};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{
    ClientConfig, Connection, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme,
    SupportedProtocolVersion,
};
use wirecrypt::Engine;
use wirecrypt::tls::rustls_provider;

/// The engine's rustls provider, shared (rustls wants it in an `Arc`).
pub fn engine_provider(engine: &Engine) -> Arc<CryptoProvider> {
    Arc::new(rustls_provider::provider(engine))
}

/// An error building a TLS configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// A certificate or key file could not be read or parsed.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Reads a PEM certificate chain.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let err = |m: String| TlsConfigError::File {
        path: path.display().to_string(),
        message: m,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("no certificate found".into()));
    }
    Ok(certs)
}

/// Reads a PEM private key (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsConfigError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// A server configuration on `provider`: TLS 1.2 and 1.3 (or `versions`), the given
/// certificate chain and key, and client certificates required when `client_roots`
/// is given (mutual TLS). Use [`per_session`] for each FTP session.
pub fn server_config(
    provider: Arc<CryptoProvider>,
    versions: &[&'static SupportedProtocolVersion],
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_roots: Option<RootCertStore>,
) -> Result<Arc<ServerConfig>, TlsConfigError> {
    let signing = provider.key_provider.load_private_key(key)?;
    let certified = Arc::new(CertifiedKey::new(certs, signing));
    server_config_certified(provider, versions, certified, client_roots)
}

/// Like [`server_config`] for a key that signs elsewhere: a `CertifiedKey` whose
/// `SigningKey` is, say, a PKCS#11 token key (`wirecrypt::provider::pkcs11`), so the
/// server's private key never leaves the token. The certificate must match the key.
pub fn server_config_certified(
    provider: Arc<CryptoProvider>,
    versions: &[&'static SupportedProtocolVersion],
    certified: Arc<CertifiedKey>,
    client_roots: Option<RootCertStore>,
) -> Result<Arc<ServerConfig>, TlsConfigError> {
    // A key that cannot show its public half (some tokens) is taken on trust; a key
    // that shows a different one is refused.
    if let Err(e @ rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
        certified.keys_match()
    {
        return Err(e.into());
    }
    let builder =
        ServerConfig::builder_with_provider(provider.clone()).with_protocol_versions(versions)?;
    let builder = match client_roots {
        Some(roots) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(builder.with_cert_resolver(Arc::new(
        SingleCertAndKey::from(certified),
    ))))
}

/// One FTP session's TLS configurations: private copies of the server's base
/// configuration sharing one private session store (reusable entries, so clients that
/// present one ticket for every data connection, as GnuTLS does, still resume) and no
/// ticket key shared with other sessions.
///
/// They differ only in how many TLS 1.3 tickets they send: eight on the control
/// connection (rustls clients use each once and keep up to eight), four on download
/// data connections (the client reads those to the end), none on uploads: clients that
/// never read an upload connection (curl 7.88 with OpenSSL) would leave a ticket
/// unread, and closing a socket with unread data sends a reset that can destroy the
/// tail of the upload before the server has read it.
#[derive(Clone, Debug)]
pub struct SessionTls {
    /// For the control connection.
    pub control: Arc<ServerConfig>,
    /// For data connections that send (RETR, LIST, NLST, MLSD).
    pub download: Arc<ServerConfig>,
    /// For data connections that receive (STOR, APPE).
    pub upload: Arc<ServerConfig>,
}

/// This session's copies of `base`.
pub fn per_session(base: &Arc<ServerConfig>) -> SessionTls {
    let mut cfg = (**base).clone();
    cfg.session_storage = Arc::new(SessionStore::new(64));
    cfg.ticketer = Arc::new(NoTickets);
    // Data connections hand their traffic secrets to the engine (data.rs).
    cfg.enable_secret_extraction = true;
    let with = |n| {
        let mut c = cfg.clone();
        c.send_tls13_tickets = n;
        Arc::new(c)
    };
    SessionTls {
        control: with(8),
        download: with(4),
        upload: with(0),
    }
}

/// A session store for one FTP session: bounded, and `take` does not remove, so a
/// TLS 1.3 ticket can resume several data connections.
#[derive(Debug)]
struct SessionStore {
    max: usize,
    inner: Mutex<Entries>,
}

/// The stored sessions and their insertion order (oldest first, for eviction).
type Entries = (HashMap<Vec<u8>, Vec<u8>>, VecDeque<Vec<u8>>);

impl SessionStore {
    fn new(max: usize) -> Self {
        SessionStore {
            max,
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }
}

impl StoresServerSessions for SessionStore {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = &mut *g;
        if map.len() >= self.max
            && let Some(old) = order.pop_front()
        {
            map.remove(&old);
        }
        if map.insert(key.clone(), value).is_none() {
            order.push_back(key);
        }
        true
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.0.get(key).cloned()
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.get(key)
    }

    fn can_cache(&self) -> bool {
        true
    }
}

/// No stateless tickets: every resumable session lives in the session's own store.
#[derive(Debug)]
struct NoTickets;

impl rustls::server::ProducesTickets for NoTickets {
    fn enabled(&self) -> bool {
        false
    }
    fn lifetime(&self) -> u32 {
        0
    }
    fn encrypt(&self, _plain: &[u8]) -> Option<Vec<u8>> {
        None
    }
    fn decrypt(&self, _cipher: &[u8]) -> Option<Vec<u8>> {
        None
    }
}

/// How a client checks the server's certificate.
#[derive(Clone, Debug)]
pub enum ServerTrust {
    /// Against these roots (webpki).
    Roots(RootCertStore),
    /// Not at all: for test certificates only (curl's `--insecure`).
    Insecure,
}

/// A client configuration on `provider`. Resumption uses rustls's in-memory cache, so
/// every connection made from one `Arc<ClientConfig>` to one server name resumes the
/// last session: share the returned `Arc` between the control and data connections.
pub fn client_config(
    provider: Arc<CryptoProvider>,
    versions: &[&'static SupportedProtocolVersion],
    trust: ServerTrust,
    client_cert: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let builder =
        ClientConfig::builder_with_provider(provider.clone()).with_protocol_versions(versions)?;
    let builder = match trust {
        ServerTrust::Roots(roots) => builder.with_root_certificates(roots),
        ServerTrust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider))),
    };
    let cfg = match client_cert {
        Some((certs, key)) => builder.with_client_auth_cert(certs, key)?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(cfg))
}

/// Accepts any server certificate but still checks handshake signatures.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Runs a handshake to completion on a blocking socket, then flushes what it left
/// queued (the client's Finished, TLS 1.3 tickets).
pub fn handshake<D>(
    conn: &mut rustls::ConnectionCommon<D>,
    sock: &mut TcpStream,
) -> io::Result<()> {
    while conn.is_handshaking() {
        conn.complete_io(sock)?;
    }
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    Ok(())
}

/// Ends TLS on a control connection for CCC after this side sent close_notify:
/// reads the peer's TLS records up to its close_notify one record at a time,
/// byte-exact, so the clear-text command that may follow is never swallowed, and
/// returns the plain socket. A peer that skips close_notify and goes straight to clear
/// text (curl's passive CCC mode) is fine too: a command starts with a letter, a TLS
/// record with 0x15 (alert) or 0x17 (TLS 1.3 hides alerts as application data) and
/// then 0x03.
pub fn clear_after_close_notify(
    mut conn: Connection,
    mut sock: TcpStream,
) -> io::Result<TcpStream> {
    while conn.wants_write() {
        conn.write_tls(&mut sock)?;
    }
    for _ in 0..16 {
        // The peer's close_notify may already have come in with the last reply.
        if conn
            .process_new_packets()
            .is_ok_and(|state| state.peer_has_closed())
        {
            break;
        }
        let mut head = [0u8; 5];
        let n = sock.peek(&mut head)?;
        if n == 0 || !matches!(head[0], 0x15 | 0x17) || (n > 1 && head[1] != 0x03) {
            break;
        }
        sock.read_exact(&mut head)?;
        if head[1] != 0x03 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a TLS record",
            ));
        }
        let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
        if len > 16_384 + 2048 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "oversized record",
            ));
        }
        let mut record = head.to_vec();
        record.resize(5 + len, 0);
        sock.read_exact(&mut record[5..])?;
        conn.read_tls(&mut record.as_slice())?;
    }
    Ok(sock)
}

/// A client session store that also counts the TLS 1.3 tickets it holds per server, so
/// the FTP client can see when it is about to run out (rustls uses each ticket once)
/// and fetch more before a data connection would have to do a full handshake.
#[derive(Debug)]
pub(crate) struct CountingStore {
    inner: rustls::client::ClientSessionMemoryCache,
    tls13: Mutex<HashMap<String, usize>>,
}

/// rustls's in-memory cache keeps at most this many TLS 1.3 tickets per server.
const TICKETS_PER_SERVER: usize = 8;

impl CountingStore {
    /// A store holding up to `size` sessions.
    pub(crate) fn new(size: usize) -> Self {
        CountingStore {
            inner: rustls::client::ClientSessionMemoryCache::new(size),
            tls13: Mutex::new(HashMap::new()),
        }
    }

    /// TLS 1.3 tickets held for `name`.
    pub(crate) fn tls13_tickets(&self, name: &ServerName<'_>) -> usize {
        let g = self.tls13.lock().unwrap_or_else(|e| e.into_inner());
        g.get(&format!("{name:?}")).copied().unwrap_or(0)
    }
}

impl rustls::client::ClientSessionStore for CountingStore {
    fn set_kx_hint(&self, name: ServerName<'static>, group: rustls::NamedGroup) {
        self.inner.set_kx_hint(name, group)
    }
    fn kx_hint(&self, name: &ServerName<'_>) -> Option<rustls::NamedGroup> {
        self.inner.kx_hint(name)
    }
    fn set_tls12_session(
        &self,
        name: ServerName<'static>,
        value: rustls::client::Tls12ClientSessionValue,
    ) {
        self.inner.set_tls12_session(name, value)
    }
    fn tls12_session(
        &self,
        name: &ServerName<'_>,
    ) -> Option<rustls::client::Tls12ClientSessionValue> {
        self.inner.tls12_session(name)
    }
    fn remove_tls12_session(&self, name: &ServerName<'static>) {
        self.inner.remove_tls12_session(name)
    }
    fn insert_tls13_ticket(
        &self,
        name: ServerName<'static>,
        value: rustls::client::Tls13ClientSessionValue,
    ) {
        let key = format!("{name:?}");
        self.inner.insert_tls13_ticket(name, value);
        let mut g = self.tls13.lock().unwrap_or_else(|e| e.into_inner());
        let n = g.entry(key).or_insert(0);
        *n = (*n + 1).min(TICKETS_PER_SERVER);
    }
    fn take_tls13_ticket(
        &self,
        name: &ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        let v = self.inner.take_tls13_ticket(name);
        let mut g = self.tls13.lock().unwrap_or_else(|e| e.into_inner());
        let n = g.entry(format!("{name:?}")).or_insert(0);
        *n = if v.is_some() { n.saturating_sub(1) } else { 0 };
        v
    }
}
