//! TLS 1.3 record protection: the engine's rustls provider (per engine provider) beside
//! rustls's own *ring* provider and, with `--features peers`, its aws-lc-rs provider,
//! all measured in the same run through rustls's `MessageEncrypter`/`MessageDecrypter`.
//!
//! `cargo bench -p wirecrypt-bench --features peers --bench tls`
//!
//! Throughput is in bytes of record content; records/s = bytes/s ÷ record size.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use rustls::crypto::cipher::{
    AeadKey, InboundOpaqueMessage, Iv, MessageDecrypter, MessageEncrypter, OutboundChunks,
    OutboundPlainMessage,
};
use rustls::{ContentType, ProtocolVersion, SupportedCipherSuite};
use wirecrypt::Engine;
use wirecrypt::tls::rustls_provider;

/// Record sizes: a full 16 KiB record, and one that fits a 1500-byte MTU.
const SIZES: [usize; 2] = [1400, 16384];

/// The suites and who implements them, for one suite name.
fn implementations(name: &str) -> Vec<(String, SupportedCipherSuite)> {
    let pick = |suites: &[SupportedCipherSuite]| {
        suites
            .iter()
            .copied()
            .find(|s| format!("{:?}", s.suite()) == name)
    };
    let mut out = Vec::new();
    let default = Engine::builder()
        .ignore_env()
        .build()
        .expect("engine builds");
    for provider in default.available() {
        let id = provider.id();
        let engine = Engine::builder()
            .provider(id.as_str())
            .build()
            .expect("available provider");
        if let Some(s) = pick(&rustls_provider::cipher_suites(&engine)) {
            out.push((format!("wirecrypt-{id}"), s));
        }
    }
    if let Some(s) = pick(rustls::crypto::ring::ALL_CIPHER_SUITES) {
        out.push(("rustls-ring".to_owned(), s));
    }
    #[cfg(feature = "peers")]
    if let Some(s) = pick(rustls::crypto::aws_lc_rs::ALL_CIPHER_SUITES) {
        out.push(("rustls-aws-lc-rs".to_owned(), s));
    }
    out
}

fn keys(suite: SupportedCipherSuite) -> (Box<dyn MessageEncrypter>, Box<dyn MessageDecrypter>) {
    let tls13 = suite.tls13().expect("a TLS 1.3 suite");
    // rustls builds keys only of 32 bytes from outside the crate, so the bench runs the
    // 256-bit-key suites.
    assert_eq!(tls13.aead_alg.key_len(), 32);
    let key = || AeadKey::from([0x5a; 32]);
    let iv = || Iv::new([0xa5; 12]);
    (
        tls13.aead_alg.encrypter(key(), iv()),
        tls13.aead_alg.decrypter(key(), iv()),
    )
}

fn records(c: &mut Criterion) {
    for name in ["TLS13_AES_256_GCM_SHA384", "TLS13_CHACHA20_POLY1305_SHA256"] {
        let mut group = c.benchmark_group(format!("tls13-record/{name}"));
        group
            .measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(500))
            .sample_size(20);
        for size in SIZES {
            group.throughput(Throughput::Bytes(size as u64));
            let content = vec![0x42u8; size];
            for (who, suite) in implementations(name) {
                let (mut enc, mut dec) = keys(suite);
                let mut seq = 0u64;
                group.bench_function(BenchmarkId::new(format!("{who}/seal"), size), |b| {
                    b.iter(|| {
                        let msg = OutboundPlainMessage {
                            typ: ContentType::ApplicationData,
                            version: ProtocolVersion::TLSv1_2,
                            payload: OutboundChunks::Single(&content),
                        };
                        // Sequence numbers start at 0 and only rise: aws-lc-rs's TLS 1.3
                        // keys derive their nonce check from the first record.
                        let this = seq;
                        seq += 1;
                        black_box(enc.encrypt(msg, this).expect("seal"))
                    })
                });
                // One sealed record, opened again and again from a fresh copy (the copy
                // costs the same for every implementation).
                let msg = OutboundPlainMessage {
                    typ: ContentType::ApplicationData,
                    version: ProtocolVersion::TLSv1_2,
                    payload: OutboundChunks::Single(&content),
                };
                let (mut fresh, _) = keys(suite);
                let sealed = fresh.encrypt(msg, 0).expect("seal").encode();
                let mut buf = sealed.clone();
                group.bench_function(BenchmarkId::new(format!("{who}/open"), size), |b| {
                    b.iter(|| {
                        buf.copy_from_slice(&sealed);
                        let body = &mut buf[5..];
                        let msg = InboundOpaqueMessage::new(
                            ContentType::ApplicationData,
                            ProtocolVersion::TLSv1_2,
                            body,
                        );
                        black_box(dec.decrypt(msg, 0).expect("open").payload.len())
                    })
                });
            }
        }
        group.finish();
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    records(&mut c);
    c.final_summary();
}
