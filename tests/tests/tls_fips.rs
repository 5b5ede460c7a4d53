//! FIPS-mode negotiation: a rustls server on the engine's provider in FIPS mode refuses
//! clients that offer only ChaCha20-Poly1305 or only X25519, with a clear handshake
//! failure, accepts approved offers, and OpenSSL's client meets the same refusal.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use wirecrypt::Engine;
use wirecrypt::tls::rustls_provider;

struct Identity {
    cert: CertificateDer<'static>,
    key: Vec<u8>,
}

fn identity() -> Identity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    Identity {
        cert: cert.der().clone(),
        key: key.serialize_der(),
    }
}

fn fips_server_config(id: &Identity) -> Arc<ServerConfig> {
    let engine = Engine::builder().ignore_env().fips(true).build().unwrap();
    engine.status().unwrap();
    Arc::new(
        ServerConfig::builder_with_provider(Arc::new(rustls_provider::provider(&engine)))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![id.cert.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.clone())),
            )
            .unwrap(),
    )
}

/// Runs one handshake (and a short exchange); returns (client result, server result).
fn handshake(
    server: Arc<ServerConfig>,
    client_provider: CryptoProvider,
    id: &Identity,
) -> (Result<String, rustls::Error>, Result<(), rustls::Error>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server_thread = thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut conn = ServerConnection::new(server).unwrap();
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut tcp) {
                // Send the alert; don't wait for more from the client.
                while conn.wants_write() && conn.write_tls(&mut tcp).is_ok() {}
                return Err(e
                    .into_inner()
                    .and_then(|e| e.downcast::<rustls::Error>().ok())
                    .map(|e| *e)
                    .unwrap_or(rustls::Error::General("io".into())));
            }
        }
        let mut stream = rustls::Stream::new(&mut conn, &mut tcp);
        let mut buf = [0u8; 5];
        stream.read_exact(&mut buf).unwrap();
        stream.write_all(&buf).unwrap();
        Ok(())
    });
    let mut roots = rustls::RootCertStore::empty();
    roots.add(id.cert.clone()).unwrap();
    let config = ClientConfig::builder_with_provider(Arc::new(client_provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut conn =
        ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let client = (|| {
        let mut stream = rustls::Stream::new(&mut conn, &mut tcp);
        stream.write_all(b"hello").map_err(io_to_rustls)?;
        let mut buf = [0u8; 5];
        stream.read_exact(&mut buf).map_err(io_to_rustls)?;
        assert_eq!(&buf, b"hello");
        Ok(format!(
            "{:?}",
            conn.negotiated_cipher_suite().unwrap().suite()
        ))
    })();
    (client, server_thread.join().unwrap())
}

fn io_to_rustls(e: std::io::Error) -> rustls::Error {
    e.into_inner()
        .and_then(|e| e.downcast::<rustls::Error>().ok())
        .map(|e| *e)
        .unwrap_or_else(|| rustls::Error::General("connection closed".into()))
}

fn ring_with(
    suites: &[&str],
    groups: Option<&[&'static dyn rustls::crypto::SupportedKxGroup]>,
) -> CryptoProvider {
    let base = ring::default_provider();
    CryptoProvider {
        cipher_suites: base
            .cipher_suites
            .iter()
            .copied()
            .filter(|s| suites.contains(&format!("{:?}", s.suite()).as_str()))
            .collect(),
        kx_groups: groups.map(<[_]>::to_vec).unwrap_or(base.kx_groups.clone()),
        ..base
    }
}

#[test]
fn fips_server_refuses_chacha_only_and_x25519_only_clients() {
    let id = identity();
    let server = fips_server_config(&id);

    let (client, server_result) = handshake(
        server.clone(),
        ring_with(
            &[
                "TLS13_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            ],
            None,
        ),
        &id,
    );
    let client = client.unwrap_err();
    assert!(
        matches!(
            client,
            rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure)
        ),
        "client saw {client:?}"
    );
    let server_err = server_result.unwrap_err();
    assert!(
        format!("{server_err:?}").contains("NoCipherSuitesInCommon"),
        "server saw {server_err:?}"
    );
    println!("FIPS server vs ChaCha20-only client: {client} / {server_err}");

    let (client, server_result) = handshake(
        server.clone(),
        ring_with(
            &["TLS13_AES_128_GCM_SHA256"],
            Some(&[ring::kx_group::X25519]),
        ),
        &id,
    );
    let client = client.unwrap_err();
    assert!(
        matches!(client, rustls::Error::AlertReceived(_)),
        "client saw {client:?}"
    );
    let server_err = server_result.unwrap_err();
    assert!(
        format!("{server_err:?}").contains("NoKxGroupsInCommon"),
        "server saw {server_err:?}"
    );
    println!("FIPS server vs X25519-only client: {client} / {server_err}");

    // An ordinary client that also offers approved choices gets an approved suite.
    let (client, server_result) = handshake(server, ring::default_provider(), &id);
    server_result.unwrap();
    let suite = client.unwrap();
    assert!(suite.contains("AES_") && suite.contains("GCM"), "{suite}");
}

#[test]
fn fips_server_refuses_openssl_chacha_client() {
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the `openssl` command is missing"
        );
        eprintln!("SKIPPED: the `openssl` command is not installed (run scripts/setup)");
        return;
    }
    let id = identity();
    let server = fips_server_config(&id);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server_thread = thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut conn = ServerConnection::new(server).unwrap();
        let result = conn.complete_io(&mut tcp).map(|_| ());
        while conn.wants_write() && conn.write_tls(&mut tcp).is_ok() {}
        result
    });
    let out = Command::new("openssl")
        .args(["s_client", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "-tls1_3",
            "-ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256",
            "-servername",
            "localhost",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // If s_client died before connecting, wake the server's accept so the test fails
    // with s_client's own words instead of hanging (an extra connection is harmless).
    let _ = TcpStream::connect(("127.0.0.1", port));
    let server_result = server_thread.join().unwrap();
    assert!(!out.status.success(), "s_client must fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("handshake failure"),
        "s_client said: {stderr}"
    );
    assert!(server_result.is_err());
    println!("FIPS server vs openssl s_client (ChaCha20 only): handshake failure");
}
