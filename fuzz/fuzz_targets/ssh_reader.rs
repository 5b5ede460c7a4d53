//! SSH binary packet protocol (RFC 4253 §6, RFC 5647, the OpenSSH ChaCha20-Poly1305 and
//! `-etm` modes): a `PacketReader` fed a byte stream cut at arbitrary points, in every
//! cipher/MAC mode, on each provider available here.
//!
//! Input: a selector byte (mode), a provider byte, a config byte (the smallest allowed
//! maximum packet length, to reach the length checks), the first sequence number, 128
//! bytes of key material (each mode takes what it needs), up to four payloads that the target seals into a valid
//! prefix, a flip position and mask applied to the stream, a tail of arbitrary bytes
//! after the prefix, and the cut points.
//!
//! Invariants, besides no panic, no hang and bounded memory:
//! * every packet of the valid prefix up to the first changed byte is returned, whole,
//!   at its own end in the stream, with the payload that was sealed;
//! * in every mode but `none`, nothing else is ever returned: no changed or made-up
//!   packet is accepted (the fuzzer cannot compute a tag, so a seed must not carry a
//!   valid packet in its tail);
//! * each call makes progress, and the reader never asks for more than the largest
//!   packet the mode allows;
//! * a `PacketOpener` given a whole packet buffer that fails to open leaves it as it
//!   was or wiped — never plaintext.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wirecrypt::ssh::{
    KeyMaterial, MIN_MAX_PACKET, Mode, PacketConfig, PacketOpener, PacketReader, PacketSealer,
};
use wirecrypt_fuzz::{Input, assert_no_plaintext_left, engine};

/// Enough key material for any mode: a 64-byte ChaCha20-Poly1305 key, or a 32-byte AES
/// key, a 16-byte IV and a 64-byte HMAC-SHA-512 key.
const KEY_MATERIAL: usize = 128;

/// A deterministic stand-in for the padding generator, so that a crash replays exactly.
struct CountingRng(u64);

impl rand_core::RngCore for CountingRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next_u64() as u8;
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for CountingRng {}

fuzz_target!(|data: &[u8]| {
    let modes: Vec<Mode> = Mode::all().collect();
    let mut input = Input::new(data);
    let mode = modes[usize::from(input.byte()) % modes.len()];
    let engine = engine(input.byte());
    let config = if input.byte() & 1 == 0 {
        PacketConfig::new()
    } else {
        PacketConfig::new()
            .with_max_packet_len(MIN_MAX_PACKET)
            .expect("the minimum is allowed")
    };
    // Near 2^32 too, where the sequence number wraps.
    let seq = u32::from_be_bytes(input.bytes(4).try_into().expect("4 bytes"));
    // Key material of one fixed size whatever the mode, so that an input keeps its
    // layout when the fuzzer changes the mode byte; each mode takes what it needs.
    let material = input.bytes(KEY_MATERIAL);
    let lens = mode.key_lens();
    let (key, rest) = material.split_at(lens.key);
    let (iv, rest) = rest.split_at(lens.iv);
    let keys = KeyMaterial {
        key,
        iv,
        mac_key: &rest[..lens.mac_key],
    };

    let mut sealer = if mode.is_none() {
        PacketSealer::new(engine)
    } else {
        PacketSealer::with_keys(engine, mode, &keys).expect("key lengths from the mode")
    }
    .with_config(config)
    .with_sequence(seq)
    .with_rng(CountingRng(u64::from(seq)));
    let mut payloads: Vec<Vec<u8>> = Vec::new();
    let mut stream: Vec<u8> = Vec::new();
    let mut ends: Vec<usize> = Vec::new();
    for _ in 0..input.byte() % 5 {
        let len = usize::from(input.u16() & 0x1fff);
        let payload = input.bytes(len);
        sealer
            .seal(&payload, &mut stream)
            .expect("a payload this small seals");
        ends.push(stream.len());
        payloads.push(payload);
    }
    let at = u32::from_be_bytes(input.bytes(4).try_into().expect("4 bytes")) as usize;
    let mask = input.byte();
    let tail_len = usize::from(input.u16() & 0x3fff);
    let tail = input.bytes(tail_len);
    let honest = stream.len();
    stream.extend(&tail);
    // The first byte that is not the honest prefix: the flip, or the tail.
    let mut changed = honest;
    if mask != 0 && !stream.is_empty() {
        let at = at % stream.len();
        stream[at] ^= mask;
        changed = changed.min(at);
    }
    let cuts = input.rest();

    let opener = || {
        let opener = if mode.is_none() {
            PacketOpener::new(engine)
        } else {
            PacketOpener::with_keys(engine, mode, &keys).expect("key lengths from the mode")
        };
        opener.with_config(config).with_sequence(seq)
    };
    let largest = 4 + config.max_packet_len() + mode.tag_len();

    // The opener on a whole packet buffer: the first packet's bytes, as far as they go.
    let first_end = ends
        .first()
        .copied()
        .unwrap_or(stream.len())
        .min(stream.len());
    let before = stream[..first_end].to_vec();
    let mut buf = before.clone();
    if opener().open(&mut buf).is_err() {
        assert_no_plaintext_left(&before, &buf, 0);
    }

    // The reader on the stream, cut where `cuts` says.
    let mut reader = PacketReader::new(opener());
    let mut pos = 0;
    let mut returned = 0;
    let mut cut_at = cuts.iter();
    'feed: while pos < stream.len() {
        let chunk = match cut_at.next() {
            Some(&c) => usize::from(c) + 1,
            None => stream.len(),
        };
        let end = (pos + chunk).min(stream.len());
        while pos < end {
            assert!(reader.wanted() >= 1 && reader.wanted() <= largest);
            let result = reader.feed(&stream[pos..end]);
            let (taken, payload) = match result {
                Ok(r) => r,
                Err(_) => {
                    let intact = ends.get(returned).is_some_and(|&e| e <= changed);
                    assert!(!intact, "the reader refused an intact packet");
                    // The connection is over: whatever follows, nothing more comes out.
                    let mut rest = &stream[pos..];
                    while !rest.is_empty() {
                        match reader.feed(rest) {
                            Ok((taken, None)) if taken > 0 => rest = &rest[taken..],
                            Ok((_, None)) | Err(_) => break,
                            Ok((_, Some(_))) => panic!("a payload came out after a failure"),
                        }
                    }
                    break 'feed;
                }
            };
            assert!(taken > 0 || payload.is_some(), "no progress");
            assert!(taken <= end - pos);
            pos += taken;
            if let Some(payload) = payload {
                assert!(payload.len() <= config.max_packet_len());
                if mode.is_none() && pos > changed {
                    // Unauthenticated: changed bytes may well open; nothing to compare.
                    returned += 1;
                    continue;
                }
                assert!(pos <= changed, "an altered or made-up packet was accepted");
                assert_eq!(
                    Some(&pos),
                    ends.get(returned),
                    "a packet ended out of place"
                );
                assert_eq!(payload, &payloads[returned][..], "a payload changed");
                returned += 1;
            }
        }
    }
    // Every intact packet came out.
    let intact = ends.iter().filter(|&&e| e <= changed).count();
    assert!(
        returned >= intact,
        "{returned} packets returned, {intact} intact"
    );
});
