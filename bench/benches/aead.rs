//! Criterion benchmarks of AEAD seal and open: every available engine provider and, with
//! the `peers` feature, ring and aws-lc-rs in the same groups, at 64 B, 1 KiB, 16 KiB and
//! 64 KiB.
//!
//! ```text
//! cargo bench -p wirecrypt-bench --bench aead
//! cargo bench -p wirecrypt-bench --bench aead --features peers
//! cargo bench -p wirecrypt-bench --bench aead --features peers -- 'aes-256-gcm/seal'
//! ```
//!
//! Groups are named `<alg>/<op>` and benchmarks `<implementation>/<size>`, with byte
//! throughput. Every implementation does the same work: seal encrypts in place with a new
//! nonce per call and 13 bytes of AAD; open copies a real sealed message into a working
//! buffer and verifies and decrypts it there (the engine's `AeadKey::open`).

use std::hint::black_box;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, measurement::WallTime};
use wirecrypt::{AeadAlg, AeadKey, Engine, TAG_LEN};

const SIZES: [usize; 4] = [64, 1024, 16 * 1024, 64 * 1024];
const AAD: [u8; 13] = [0xcc; 13];
const OPEN_NONCE: [u8; 12] = [0x5a; 12];

fn key(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(1))
        .collect()
}

/// A heap buffer starting on a 64-byte boundary: copies between mutually misaligned
/// buffers can be very slow on some machines (see `wirecrypt speed`'s `op::Aligned`),
/// so every buffer here is aligned.
struct Aligned {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl Aligned {
    fn zeroed(len: usize) -> Aligned {
        let storage = vec![0u8; len + 63];
        let start = storage.as_ptr().align_offset(64).min(63);
        Aligned {
            storage,
            start,
            len,
        }
    }
}

impl Deref for Aligned {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl DerefMut for Aligned {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

fn message(len: usize) -> Aligned {
    let mut buf = Aligned::zeroed(len);
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    buf
}

fn seal_nonce(counter: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&counter.to_be_bytes());
    nonce
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;

fn engine_seal(group: &mut Group<'_>, name: &str, key: &dyn AeadKey, size: usize) {
    let mut buf = message(size);
    let mut counter = 0u64;
    group.bench_function(BenchmarkId::new(name, size), |b| {
        b.iter(|| {
            counter += 1;
            let tag = key
                .seal_in_place(&seal_nonce(counter), &AAD, &mut buf)
                .expect("seal");
            black_box(tag)
        })
    });
}

fn engine_open(group: &mut Group<'_>, name: &str, key: &dyn AeadKey, size: usize) {
    let plaintext = message(size);
    let mut sealed = Aligned::zeroed(size + TAG_LEN);
    key.seal(&OPEN_NONCE, &AAD, &plaintext, &mut sealed)
        .expect("seal");
    let mut out = Aligned::zeroed(size);
    // Checked once before timing: a filtered-out benchmark never runs its loop.
    key.open(&OPEN_NONCE, &AAD, &sealed, &mut out)
        .expect("open");
    assert_eq!(
        out[..],
        plaintext[..],
        "{name} open returned the wrong plaintext"
    );
    group.bench_function(BenchmarkId::new(name, size), |b| {
        b.iter(|| {
            black_box(
                key.open(&OPEN_NONCE, &AAD, &sealed, &mut out)
                    .expect("open"),
            )
        })
    });
}

/// ring and aws-lc-rs share this API, so their benchmarks are written once.
#[cfg(feature = "peers")]
macro_rules! ring_like {
    ($module:ident, $lib:ident, $name:expr) => {
        mod $module {
            use super::*;
            use $lib::aead;

            fn key_for(alg: AeadAlg) -> aead::LessSafeKey {
                let algorithm = match alg {
                    AeadAlg::Aes128Gcm => &aead::AES_128_GCM,
                    AeadAlg::Aes256Gcm => &aead::AES_256_GCM,
                    AeadAlg::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
                };
                let unbound =
                    aead::UnboundKey::new(algorithm, &key(alg.info().key_len)).expect("key");
                aead::LessSafeKey::new(unbound)
            }

            pub(super) fn seal(group: &mut Group<'_>, alg: AeadAlg, size: usize) {
                let key = key_for(alg);
                let mut buf = message(size);
                let mut counter = 0u64;
                group.bench_function(BenchmarkId::new($name, size), |b| {
                    b.iter(|| {
                        counter += 1;
                        let nonce = aead::Nonce::assume_unique_for_key(seal_nonce(counter));
                        let tag = key
                            .seal_in_place_separate_tag(nonce, aead::Aad::from(&AAD), &mut buf)
                            .expect("seal");
                        black_box(tag)
                    })
                });
            }

            pub(super) fn open(group: &mut Group<'_>, alg: AeadAlg, size: usize) {
                let key = key_for(alg);
                let plaintext = message(size);
                let mut sealed = Aligned::zeroed(size + TAG_LEN);
                let (body, tag_out) = sealed.split_at_mut(size);
                body.copy_from_slice(&plaintext);
                let nonce = aead::Nonce::assume_unique_for_key(OPEN_NONCE);
                let tag = key
                    .seal_in_place_separate_tag(nonce, aead::Aad::from(&AAD), body)
                    .expect("seal");
                tag_out.copy_from_slice(tag.as_ref());
                let mut work = Aligned::zeroed(size + TAG_LEN);
                // Checked once before timing: a filtered-out benchmark never runs its loop.
                work.copy_from_slice(&sealed);
                let nonce = aead::Nonce::assume_unique_for_key(OPEN_NONCE);
                let opened = key
                    .open_in_place(nonce, aead::Aad::from(&AAD), &mut work)
                    .expect("open");
                assert_eq!(opened[..], plaintext[..], "{} open", $name);
                group.bench_function(BenchmarkId::new($name, size), |b| {
                    b.iter(|| {
                        work.copy_from_slice(&sealed);
                        let nonce = aead::Nonce::assume_unique_for_key(OPEN_NONCE);
                        let opened = key
                            .open_in_place(nonce, aead::Aad::from(&AAD), &mut work)
                            .expect("open");
                        black_box(opened.len())
                    })
                });
            }
        }
    };
}

#[cfg(feature = "peers")]
ring_like!(ring_peer, ring, "ring");
#[cfg(feature = "peers")]
ring_like!(aws_lc_peer, aws_lc_rs, "aws-lc-rs");

fn aead(c: &mut Criterion) {
    let engine = Engine::builder()
        .ignore_env()
        .build()
        .expect("the engine builds");
    for alg in AeadAlg::all() {
        let key_bytes = key(alg.info().key_len);
        let keys: Vec<(String, Box<dyn AeadKey>)> = engine
            .available()
            .filter(|p| p.supports(alg.into()))
            .map(|p| {
                let k = p.aead(alg, &key_bytes).expect("engine key");
                (p.id().to_string(), k)
            })
            .collect();

        let mut group = c.benchmark_group(format!("{alg}/seal"));
        for size in SIZES {
            group.throughput(Throughput::Bytes(size as u64));
            for (name, k) in &keys {
                engine_seal(&mut group, name, k.as_ref(), size);
            }
            #[cfg(feature = "peers")]
            {
                ring_peer::seal(&mut group, alg, size);
                aws_lc_peer::seal(&mut group, alg, size);
            }
        }
        group.finish();

        let mut group = c.benchmark_group(format!("{alg}/open"));
        for size in SIZES {
            group.throughput(Throughput::Bytes(size as u64));
            for (name, k) in &keys {
                engine_open(&mut group, name, k.as_ref(), size);
            }
            #[cfg(feature = "peers")]
            {
                ring_peer::open(&mut group, alg, size);
                aws_lc_peer::open(&mut group, alg, size);
            }
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

/// What `criterion_group!`/`criterion_main!` would generate, written out so it is documented.
fn main() {
    let mut criterion = config().configure_from_args();
    aead(&mut criterion);
    criterion.final_summary();
}
