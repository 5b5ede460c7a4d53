//! SSH binary packets: seal and open of 32 KiB payloads (OpenSSH's SFTP request size) per
//! mode and provider, with `none` as the floor (framing and copies only).
//!
//! `cargo bench -p wirecrypt-bench --bench ssh`
//!
//! Throughput is in payload bytes; packets/s = bytes/s ÷ 32768.
//!
//! With `--features peers`, aws-lc-rs's and ring's `chacha20_poly1305_openssh` modules
//! seal and open the same 32 KiB packets (group `ssh-packet/peers`): the bar for
//! `chacha20-poly1305@openssh.com`. They get the packet already framed, so they do less
//! than the engine's sealer and opener (which also frame, pad and check lengths).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use wirecrypt::Engine;
use wirecrypt::ssh::{KeyMaterial, Mode, PacketOpener, PacketSealer};

const PAYLOAD: usize = 32 << 10;
/// Packets opened per timed batch (each batch needs a fresh opener: sequence numbers).
const BATCH: usize = 32;

const MODES: &[(&str, Option<&str>)] = &[
    ("none", None),
    ("aes128-ctr", Some("hmac-sha2-256-etm@openssh.com")),
    ("aes256-ctr", Some("hmac-sha2-512-etm@openssh.com")),
    ("aes128-ctr", Some("hmac-sha2-256")),
    ("aes128-gcm@openssh.com", None),
    ("aes256-gcm@openssh.com", None),
    ("chacha20-poly1305@openssh.com", None),
];

fn ssh(c: &mut Criterion) {
    let default = Engine::builder()
        .ignore_env()
        .build()
        .expect("engine builds");
    for provider in default.available() {
        let id = provider.id();
        let engine = Engine::builder()
            .provider(id.as_str())
            .allow_fallback(true)
            .build()
            .expect("available provider");
        let mut group = c.benchmark_group(format!("ssh-packet/{id}"));
        group
            .measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(500))
            .sample_size(20);
        for &(cipher, mac) in MODES {
            let mode = Mode::new(cipher, mac).expect("known mode");
            let lens = mode.key_lens();
            let (key, iv, mac_key) = (
                vec![7u8; lens.key],
                vec![9u8; lens.iv],
                vec![3u8; lens.mac_key],
            );
            let keys = KeyMaterial {
                key: &key,
                iv: &iv,
                mac_key: &mac_key,
            };
            let payload = vec![0x61u8; PAYLOAD];
            let name = mode.to_string();

            group.throughput(Throughput::Bytes(PAYLOAD as u64));
            let mut sealer = PacketSealer::with_keys(&engine, mode, &keys).expect("keys");
            let mut out = Vec::with_capacity(PAYLOAD + 256);
            group.bench_function(BenchmarkId::new(format!("{name}/seal"), PAYLOAD), |b| {
                b.iter(|| {
                    out.clear();
                    sealer.seal(&payload, &mut out).expect("seal");
                    black_box(out.len())
                })
            });

            let mut sealer = PacketSealer::with_keys(&engine, mode, &keys).expect("keys");
            let packets: Vec<Vec<u8>> = (0..BATCH)
                .map(|_| {
                    let mut p = Vec::new();
                    sealer.seal(&payload, &mut p).expect("seal");
                    p
                })
                .collect();
            group.throughput(Throughput::Bytes((PAYLOAD * BATCH) as u64));
            group.bench_function(
                BenchmarkId::new(format!("{name}/open x{BATCH}"), PAYLOAD),
                |b| {
                    b.iter_batched(
                        || {
                            let opener =
                                PacketOpener::with_keys(&engine, mode, &keys).expect("keys");
                            (opener, packets.clone())
                        },
                        |(mut opener, mut packets)| {
                            for p in &mut packets {
                                let range = opener.open(p).expect("open");
                                black_box(range.len());
                            }
                        },
                        BatchSize::LargeInput,
                    )
                },
            );
        }
        group.finish();
    }
}

/// `chacha20-poly1305@openssh.com` on the peers' own modules, over one framed packet of
/// the size the engine's sealer produces for a 32 KiB payload.
#[cfg(feature = "peers")]
fn peers(c: &mut Criterion) {
    let mut group = c.benchmark_group("ssh-packet/peers");
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20)
        .throughput(Throughput::Bytes(PAYLOAD as u64));
    // 4-byte length, padding length, payload, 4 to 11 bytes of padding to a multiple of 8.
    let packet_len = 4 + 1 + PAYLOAD + 11;
    let key = [7u8; 64];
    let payload = vec![0x61u8; PAYLOAD];

    macro_rules! peer {
        ($name:literal, $module:path) => {{
            use $module as m;
            let sealing = m::SealingKey::new(&key);
            let opening = m::OpeningKey::new(&key);
            let mut packet = vec![0u8; packet_len];
            let mut tag = [0u8; 16];
            group.bench_function(
                BenchmarkId::new(
                    concat!($name, "/chacha20-poly1305@openssh.com/seal"),
                    PAYLOAD,
                ),
                |b| {
                    b.iter(|| {
                        // The copy a sealer makes of the payload into the packet.
                        packet[5..5 + PAYLOAD].copy_from_slice(&payload);
                        sealing.seal_in_place(0, &mut packet, &mut tag);
                        black_box(tag)
                    })
                },
            );
            let mut sealed = vec![0u8; packet_len];
            sealed[..4].copy_from_slice(&((packet_len - 4) as u32).to_be_bytes());
            sealed[5..5 + PAYLOAD].copy_from_slice(&payload);
            let mut sealed_tag = [0u8; 16];
            sealing.seal_in_place(0, &mut sealed, &mut sealed_tag);
            group.bench_function(
                BenchmarkId::new(
                    concat!($name, "/chacha20-poly1305@openssh.com/open"),
                    PAYLOAD,
                ),
                |b| {
                    // The copy is set-up, untimed, as for the engine's opener above.
                    b.iter_batched(
                        || sealed.clone(),
                        |mut packet| {
                            let len =
                                opening.decrypt_packet_length(0, packet[..4].try_into().unwrap());
                            let plain = opening
                                .open_in_place(0, &mut packet, &sealed_tag)
                                .expect("open");
                            black_box((len, plain.len()))
                        },
                        BatchSize::SmallInput,
                    )
                },
            );
        }};
    }
    peer!("aws-lc-rs", aws_lc_rs::aead::chacha20_poly1305_openssh);
    peer!("ring", ring::aead::chacha20_poly1305_openssh);
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    #[cfg(feature = "peers")]
    peers(&mut c);
    ssh(&mut c);
    c.final_summary();
}
