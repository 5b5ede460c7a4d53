//! Interop with OpenSSL on 127.0.0.1: `openssl s_server` ↔ a rustls client on the
//! engine's provider, and a rustls server on the engine's provider ↔ `openssl s_client`,
//! for TLS 1.3 and 1.2 and every suite, through every provider the machine has.
//!
//! Needs the `openssl` command: in CI (`CI` set) its absence fails the test; elsewhere the
//! test says why it skipped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, StreamOwned};
use wirecrypt::Engine;
use wirecrypt::tls::rustls_provider;
use wirecrypt_tests::providers;

/// Bytes sent each way per case.
const PAYLOAD: usize = 256 << 10;
/// The longest any one case may take before it is failed (and its process killed).
const DEADLINE: Duration = Duration::from_secs(30);

struct Case {
    /// The IANA name rustls reports.
    iana: &'static str,
    /// OpenSSL's name for it.
    openssl: &'static str,
    tls12: bool,
    rsa: bool,
}

const CASES: &[Case] = &[
    Case {
        iana: "TLS13_AES_128_GCM_SHA256",
        openssl: "TLS_AES_128_GCM_SHA256",
        tls12: false,
        rsa: false,
    },
    Case {
        iana: "TLS13_AES_256_GCM_SHA384",
        openssl: "TLS_AES_256_GCM_SHA384",
        tls12: false,
        rsa: false,
    },
    Case {
        iana: "TLS13_CHACHA20_POLY1305_SHA256",
        openssl: "TLS_CHACHA20_POLY1305_SHA256",
        tls12: false,
        rsa: false,
    },
    Case {
        iana: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        openssl: "ECDHE-ECDSA-AES128-GCM-SHA256",
        tls12: true,
        rsa: false,
    },
    Case {
        iana: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        openssl: "ECDHE-ECDSA-AES256-GCM-SHA384",
        tls12: true,
        rsa: false,
    },
    Case {
        iana: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        openssl: "ECDHE-ECDSA-CHACHA20-POLY1305",
        tls12: true,
        rsa: false,
    },
    Case {
        iana: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        openssl: "ECDHE-RSA-AES128-GCM-SHA256",
        tls12: true,
        rsa: true,
    },
    Case {
        iana: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        openssl: "ECDHE-RSA-AES256-GCM-SHA384",
        tls12: true,
        rsa: true,
    },
    Case {
        iana: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        openssl: "ECDHE-RSA-CHACHA20-POLY1305",
        tls12: true,
        rsa: true,
    },
];

/// The `openssl` command, or `None` (with the reason printed) outside CI.
fn openssl() -> Option<PathBuf> {
    match Command::new("openssl").arg("version").output() {
        Ok(out) if out.status.success() => Some(PathBuf::from("openssl")),
        _ if std::env::var_os("CI").is_some() => {
            panic!("the `openssl` command is missing; scripts/setup installs it")
        }
        _ => {
            eprintln!("SKIPPED: the `openssl` command is not installed (run scripts/setup)");
            None
        }
    }
}

struct Identity {
    dir: PathBuf,
    cert: CertificateDer<'static>,
    key: Vec<u8>,
}

impl Identity {
    fn cert_pem(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }
    fn key_pem(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

/// A certificate for `localhost` and its key, in memory and as PEM files for OpenSSL.
/// RSA keys come from `openssl genpkey` (ring cannot generate them); ECDSA from rcgen.
fn identity(openssl: &Path, rsa: bool) -> Identity {
    let dir = std::env::temp_dir().join(format!(
        "wirecrypt-interop-{}-{}",
        std::process::id(),
        if rsa { "rsa" } else { "ecdsa" }
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let key = if rsa {
        let out = Command::new(openssl)
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl genpkey failed");
        let pem = String::from_utf8(out.stdout).unwrap();
        rcgen::KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap()
    } else {
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
    };
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    Identity {
        dir,
        cert: cert.der().clone(),
        key: key.serialize_der(),
    }
}

fn payload(seed: u8) -> Vec<u8> {
    (0..PAYLOAD)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed ^ (i >> 10) as u8)
        .collect()
}

static TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
static TLS13_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

fn versions(case: &Case) -> &'static [&'static rustls::SupportedProtocolVersion] {
    if case.tls12 { TLS12_ONLY } else { TLS13_ONLY }
}

fn provider_for(engine: &Engine, case: &Case) -> Option<Arc<rustls::crypto::CryptoProvider>> {
    let suite = rustls_provider::cipher_suites(engine)
        .into_iter()
        .find(|s| format!("{:?}", s.suite()) == case.iana)?;
    Some(Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: vec![suite],
        ..rustls_provider::provider(engine)
    }))
}

fn openssl_suite_args(case: &Case) -> Vec<&'static str> {
    if case.tls12 {
        vec!["-tls1_2", "-cipher", case.openssl]
    } else {
        vec!["-tls1_3", "-ciphersuites", case.openssl]
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Reads `len` bytes of `child`'s output (or fails at the deadline), then stops it.
fn read_exactly(child: &mut Child, len: usize, what: &str) -> Vec<u8> {
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let mut out = vec![0u8; len];
        let result = stdout.read_exact(&mut out).map(|()| out);
        let _ = tx.send(result);
    });
    let result = rx.recv_timeout(DEADLINE);
    let _ = child.kill();
    let _ = child.wait();
    match result {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => panic!("{what}: openssl's output ended early: {e}"),
        Err(_) => panic!("{what}: openssl sent less than {len} bytes within {DEADLINE:?}"),
    }
}

/// A rustls client (engine records) against `openssl s_server`.
fn client_to_s_server(
    openssl: &Path,
    id: &Identity,
    case: &Case,
    provider: Arc<rustls::crypto::CryptoProvider>,
) {
    let port = free_port();
    let started = Instant::now();
    let mut server = Command::new(openssl)
        .args(["s_server", "-quiet", "-naccept", "1", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(id.cert_pem())
        .arg("-key")
        .arg(id.key_pem())
        .args(openssl_suite_args(case))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(id.dir.join("s_server.err")).unwrap(),
        ))
        .spawn()
        .unwrap();
    let tcp = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(tcp) => break tcp,
            Err(_) if started.elapsed() < DEADLINE => thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("{}: s_server never listened: {e}", case.iana),
        }
    };
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(id.cert.clone()).unwrap();
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions(case))
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn = ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
        .unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    // s_server sends what arrives on its stdin; start feeding it once the handshake is
    // done, as a person typing would.
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).unwrap();
    }

    let to_client = payload(1);
    let mut stdin = server.stdin.take().unwrap();
    let feeder = {
        let data = to_client.clone();
        thread::spawn(move || {
            stdin.write_all(&data).unwrap();
            stdin
        })
    };
    let mut got = vec![0u8; PAYLOAD];
    tls.read_exact(&mut got).unwrap();
    assert!(
        got == to_client,
        "{}: s_server → client bytes differ",
        case.iana
    );
    let negotiated = format!("{:?}", tls.conn.negotiated_cipher_suite().unwrap().suite());
    assert_eq!(negotiated, case.iana);

    let to_server = payload(2);
    tls.write_all(&to_server).unwrap();
    tls.conn.send_close_notify();
    tls.flush().unwrap();
    // s_server prints what it receives; it is stopped once all of it has arrived.
    let out = read_exactly(&mut server, PAYLOAD, case.iana);
    drop(tls);
    drop(feeder.join().unwrap());
    assert!(
        out == to_server,
        "{}: client → s_server bytes differ ({} of {PAYLOAD})",
        case.iana,
        out.len()
    );
}

/// `openssl s_client` against a rustls server (engine records).
fn s_client_to_server(
    openssl: &Path,
    id: &Identity,
    case: &Case,
    provider: Arc<rustls::crypto::CryptoProvider>,
) {
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions(case))
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![id.cert.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.clone())),
        )
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let mut client = Command::new(openssl)
        .args([
            "s_client",
            "-quiet",
            "-nocommands",
            "-servername",
            "localhost",
            "-connect",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .args(openssl_suite_args(case))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let to_server = payload(3);
    let mut stdin = client.stdin.take().unwrap();
    let feeder = {
        let data = to_server.clone();
        thread::spawn(move || {
            stdin.write_all(&data).unwrap();
            stdin
        })
    };
    listener.set_nonblocking(true).unwrap();
    let tcp = loop {
        match listener.accept() {
            Ok((tcp, _)) => break tcp,
            Err(_) if started.elapsed() < DEADLINE => thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("{}: s_client never connected: {e}", case.iana),
        }
    };
    tcp.set_nonblocking(false).unwrap();
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut tls = StreamOwned::new(ServerConnection::new(Arc::new(config)).unwrap(), tcp);
    let mut got = vec![0u8; PAYLOAD];
    tls.read_exact(&mut got).unwrap();
    assert!(
        got == to_server,
        "{}: s_client → server bytes differ",
        case.iana
    );
    let negotiated = format!("{:?}", tls.conn.negotiated_cipher_suite().unwrap().suite());
    assert_eq!(negotiated, case.iana);
    let to_client = payload(4);
    tls.write_all(&to_client).unwrap();
    tls.conn.send_close_notify();
    tls.flush().unwrap();
    // s_client prints what it receives; it is stopped once all of it has arrived.
    let out = read_exactly(&mut client, PAYLOAD, case.iana);
    drop(tls);
    drop(feeder.join().unwrap());
    assert!(
        out == to_client,
        "{}: server → s_client bytes differ ({} of {PAYLOAD})",
        case.iana,
        out.len()
    );
}

#[test]
fn openssl_interop_every_suite_both_directions() {
    let Some(openssl) = openssl() else { return };
    let ecdsa = identity(&openssl, false);
    let rsa = identity(&openssl, true);
    let mut runs = 0;
    for p in providers() {
        let engine = Engine::builder().provider(p.id().as_str()).build().unwrap();
        for case in CASES {
            let Some(provider) = provider_for(&engine, case) else {
                println!(
                    "openssl interop [{}] {}: provider does not serve this AEAD",
                    p.id(),
                    case.iana
                );
                continue;
            };
            let id = if case.rsa { &rsa } else { &ecdsa };
            client_to_s_server(&openssl, id, case, provider.clone());
            s_client_to_server(&openssl, id, case, provider);
            println!(
                "openssl interop [{}] {}: s_server and s_client, 256 KiB each way",
                p.id(),
                case.iana
            );
            runs += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&ecdsa.dir);
    let _ = std::fs::remove_dir_all(&rsa.dir);
    assert!(runs >= CASES.len(), "only {runs} interop runs");
}
