//! rustls client ↔ rustls server on 127.0.0.1 with the engine's CryptoProvider: every
//! suite the engine serves, through every provider the machine has, 64 MiB each way.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, ServerConfig};
use wirecrypt::Engine;
use wirecrypt::tls::rustls_provider;
use wirecrypt_tests::{loopback, providers};

/// Bytes sent each way per suite and provider: 64 MiB, or `WIRECRYPT_TLS_TRANSFER_MIB`
/// (scripts/cross-test uses less under QEMU, where every byte is emulated).
fn transfer_len() -> usize {
    let mib = std::env::var("WIRECRYPT_TLS_TRANSFER_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&m| m > 0)
        .unwrap_or(64);
    mib << 20
}

struct Identity {
    cert: CertificateDer<'static>,
    key: Vec<u8>,
}

fn identity() -> Identity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    Identity {
        cert: cert.der().clone(),
        key: key.serialize_der(),
    }
}

/// One transfer each way over one connection; returns the suite rustls negotiated.
fn transfer(provider: Arc<rustls::crypto::CryptoProvider>, id: &Identity, tls12: bool) -> String {
    let versions: &[&rustls::SupportedProtocolVersion] = if tls12 {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13]
    };
    let server_config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![id.cert.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.clone())),
        )
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(id.cert.clone()).unwrap();
    let client_config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();

    let done = loopback::run(
        Arc::new(client_config),
        Arc::new(server_config),
        transfer_len(),
        None,
    )
    .unwrap_or_else(|e| panic!("transfer failed: {e}"));
    assert_eq!(
        done.upload.sent, done.upload.received,
        "client → server data differs"
    );
    assert_eq!(
        done.download.sent, done.download.received,
        "server → client data differs"
    );
    done.suite
}

#[test]
fn rustls_loopback_every_suite_every_provider() {
    let id = identity();
    let mut runs = 0;
    for p in providers() {
        let engine = Engine::builder().provider(p.id().as_str()).build().unwrap();
        let suites = rustls_provider::cipher_suites(&engine);
        if suites.is_empty() {
            // A partial provider (cpacf under QEMU serves only SHA-2): a reported gap.
            println!(
                "rustls loopback [{}]: not run: the provider serves no TLS AEAD (it serves {:?})",
                p.id(),
                p.info().algorithms
            );
            continue;
        }
        for suite in suites {
            // RSA-signed TLS 1.2 suites carry the same records as the ECDSA ones; this
            // test's certificate is ECDSA.
            let name = format!("{:?}", suite.suite());
            if name.contains("_RSA_") {
                continue;
            }
            let tls12 = suite.version() == &rustls::version::TLS12;
            let provider = rustls::crypto::CryptoProvider {
                cipher_suites: vec![suite],
                ..rustls_provider::provider(&engine)
            };
            let negotiated = transfer(Arc::new(provider), &id, tls12);
            assert_eq!(negotiated, name);
            println!(
                "rustls loopback [{}] {name}: {} MiB each way, SHA-256 equal",
                p.id(),
                transfer_len() >> 20
            );
            runs += 1;
        }
    }
    assert!(runs >= 5, "only {runs} suite/provider runs");
}

#[test]
fn provider_reports_no_fips_and_engine_suites() {
    let engine = Engine::builder().ignore_env().build().unwrap();
    let provider = rustls_provider::provider(&engine);
    assert!(!provider.fips(), "no FIPS claim without a FIPS mode");
    let names: Vec<String> = provider
        .cipher_suites
        .iter()
        .map(|s| format!("{:?}", s.suite()))
        .collect();
    for want in [
        "TLS13_AES_128_GCM_SHA256",
        "TLS13_AES_256_GCM_SHA384",
        "TLS13_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
}
