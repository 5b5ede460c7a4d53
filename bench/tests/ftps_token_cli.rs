//! `wirecrypt serve ftps --fips --key pkcs11:LABEL` against a throwaway SoftHSM2 token:
//! the server's ECDSA key is generated in the token by `wirecrypt token keygen`, a test CA
//! certifies its public half, and curl (OpenSSL) uploads and downloads over FTPS with the
//! CA as its only trust anchor, so every handshake signature was made in the token. A
//! curl that offers only ChaCha20-Poly1305 (not approved) is refused at the handshake and
//! the server goes on serving. Without softhsm2 or curl it fails when `CI` is set and
//! skips with a reason otherwise.
#![cfg(feature = "pkcs11")]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod cli_support;
mod common;

use cli_support::{Launch, serve_with, wirecrypt};
const LABEL: &str = "ftps-fips-server";

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The token key's public half as rcgen wants it: the uncompressed P-256 point.
struct TokenPublicKey(Vec<u8>);

impl rcgen::PublicKeyData for TokenPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

/// The P-256 point inside a PEM SubjectPublicKeyInfo (OpenSSL turns it into DER; the
/// point is the last 65 bytes of the fixed 91-byte P-256 encoding).
fn p256_point(pem: &str) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["pkey", "-pubin", "-outform", "DER"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pem.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl: {}", text(&out));
    let der = out.stdout;
    assert_eq!(der.len(), 91, "not a P-256 public key: {der:02x?}");
    assert_eq!(der[26], 0x04, "not an uncompressed point: {der:02x?}");
    der[26..].to_vec()
}

fn curl_present() -> bool {
    let found = Command::new("curl").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "curl is missing (scripts/setup installs it) and CI is set"
        );
        println!("SKIP: curl is not installed");
    }
    found
}

fn curl(ca: &Path, extra: &[&str], url: &str) -> Output {
    Command::new("curl")
        .args(["-sS", "--ssl-reqd", "--cacert"])
        .arg(ca)
        .args(["--max-time", "60"])
        .args(extra)
        .arg(url)
        .output()
        .expect("curl runs")
}

#[test]
fn fips_ftps_server_signs_with_a_token_key_and_refuses_chacha() {
    if !curl_present() {
        return;
    }
    let Some(token) = common::softhsm_token() else {
        return;
    };
    let env = token.env();
    let env = env.as_slice();
    let dir = std::env::temp_dir().join(format!("wirecrypt-ftps-token-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = dir.join("root");
    std::fs::create_dir_all(&root).unwrap();

    // The key pair is made in the token; only its public half comes out.
    let made = wirecrypt(
        &["token", "keygen", "--label", LABEL, "--kind", "ecdsa-p256"],
        env,
        None,
    );
    let said = text(&made);
    assert!(made.status.success(), "{said}");
    let start = said.find("-----BEGIN PUBLIC KEY-----").expect("a PEM key");
    let end = said
        .find("-----END PUBLIC KEY-----")
        .expect("a PEM key end")
        + 24;
    let public = TokenPublicKey(p256_point(&said[start..end]));

    // A test CA certifies the token's public key for 127.0.0.1.
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "wirecrypt test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, "wirecrypt FTPS server");
    let leaf = leaf.signed_by(&public, &ca, &ca_key).unwrap();
    let (ca_file, cert_file) = (dir.join("ca.pem"), dir.join("cert.pem"));
    std::fs::write(&ca_file, ca.pem()).unwrap();
    std::fs::write(&cert_file, leaf.pem()).unwrap();

    let users = dir.join("users");
    let added = wirecrypt(
        &["users", "add", users.to_str().unwrap(), "alice"],
        env,
        Some("correct horse\n"),
    );
    assert!(added.status.success(), "{}", text(&added));

    // A certificate for another key is refused before the server listens.
    let (other_cert, _) = {
        let k = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let c = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .self_signed(&k)
            .unwrap();
        let f = dir.join("other.pem");
        std::fs::write(&f, c.pem()).unwrap();
        (f, k)
    };
    let key_arg = format!("pkcs11:{LABEL}");
    let serve_args = |cert: &Path| -> Vec<String> {
        [
            "ftps",
            "--root",
            root.to_str().unwrap(),
            "--users",
            users.to_str().unwrap(),
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            &key_arg,
        ]
        .map(String::from)
        .to_vec()
    };
    let mut args = vec!["--fips".to_string(), "serve".into()];
    args.extend(serve_args(&other_cert));
    args.extend(["--listen".into(), "127.0.0.1:0".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mismatch = wirecrypt(&args, env, None);
    assert!(!mismatch.status.success(), "{}", text(&mismatch));
    println!("a certificate for another key: {}", text(&mismatch).trim());

    let args = serve_args(&cert_file);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = serve_with(
        &args,
        &Launch {
            global: &["--fips"],
            env,
            ..Launch::default()
        },
    );
    let line = &server.line;
    assert!(line.contains("FIPS mode"), "{line}");
    println!("{}", line.trim());

    // Up and down with curl; the bytes come back unchanged.
    let payload: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let local = dir.join("payload.bin");
    std::fs::write(&local, &payload).unwrap();
    let url = format!("ftp://alice:correct%20horse@{}/token.bin", server.addr);
    // TLS 1.2 for the upload: curl 7.88 may lose a TLS 1.3 upload's tail (curl#13556).
    let up = curl(
        &ca_file,
        &["--tls-max", "1.2", "-T", local.to_str().unwrap()],
        &url,
    );
    assert!(up.status.success(), "curl upload: {}", text(&up));
    assert!(root.join("token.bin").exists());
    assert_eq!(std::fs::read(root.join("token.bin")).unwrap(), payload);
    let down = curl(&ca_file, &["-v"], &url);
    assert!(down.status.success(), "curl download: {}", text(&down));
    assert_eq!(down.stdout, payload, "the download differs");
    let log = String::from_utf8_lossy(&down.stderr);
    assert!(
        log.contains("TLSv1.3") && log.contains("TLS_AES_"),
        "not an AES-GCM TLS 1.3 session: {log}"
    );
    println!("curl --ssl-reqd up (TLS 1.2) and down (TLS 1.3): 3 MiB each way, bytes equal");

    // ChaCha20-Poly1305 only, TLS 1.2 and 1.3: no suite in common, so the handshake on
    // the control connection fails (curl: 35, SSL connect error) and nothing is sent.
    let chacha = curl(
        &ca_file,
        &[
            "--tls-max",
            "1.3",
            "--tls13-ciphers",
            "TLS_CHACHA20_POLY1305_SHA256",
            "--ciphers",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
        ],
        &url,
    );
    assert!(!chacha.status.success(), "ChaCha20 accepted");
    assert_eq!(chacha.status.code(), Some(35), "{}", text(&chacha));
    assert!(chacha.stdout.is_empty());
    println!(
        "curl offering only ChaCha20-Poly1305: exit 35: {}",
        text(&chacha).trim()
    );

    // The server is unharmed: an AES-GCM client is served again.
    let again = curl(&ca_file, &[], &url);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(again.stdout, payload);

    drop(server);
    let deleted = wirecrypt(&["token", "delete", "--label", LABEL], env, None);
    assert!(deleted.status.success(), "{}", text(&deleted));
    let _ = std::fs::remove_dir_all(&dir);
}
