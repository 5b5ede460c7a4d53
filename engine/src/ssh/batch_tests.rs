//! The bulk path for SSH: batches framed in place, receive buffers opened in place.

use rand_core::RngCore;

use super::reference::TestRng;
use super::*;
use crate::Engine;
use crate::record::{ErrorClass, Opened, RecordError};

fn material(mode: Mode, seed: u64) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let lens = mode.key_lens();
    let mut rng = TestRng(seed);
    let mut draw = |n: usize| {
        let mut v = vec![0u8; n];
        rng.fill_bytes(&mut v);
        v
    };
    (draw(lens.key), draw(lens.iv), draw(lens.mac_key))
}

fn pair(mode: Mode) -> (PacketSealer, PacketOpener) {
    let engine = Engine::builder().ignore_env().build().unwrap();
    let (key, iv, mac_key) = material(mode, 5);
    let keys = KeyMaterial {
        key: &key,
        iv: &iv,
        mac_key: &mac_key,
    };
    (
        PacketSealer::with_keys(&engine, mode, &keys)
            .unwrap()
            .with_rng(TestRng(9)),
        PacketOpener::with_keys(&engine, mode, &keys).unwrap(),
    )
}

const LENS: [usize; 5] = [1, 32 << 10, 0, 1000, 37];

fn payload(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 13 + j * 7) as u8).collect()
}

#[test]
fn a_batch_framed_in_place_is_byte_identical_to_one_packet_at_a_time() {
    for mode in Mode::all() {
        let (mut one, _) = pair(mode);
        let mut expected = Vec::new();
        for (i, &len) in LENS.iter().enumerate() {
            one.seal(&payload(i, len), &mut expected).unwrap();
        }
        let (mut batch, _) = pair(mode);
        let mut slots = Vec::new();
        let total = batch.slots(&LENS, &mut slots).unwrap();
        let mut wire = vec![0xee; total + 3];
        for (i, slot) in slots.iter().enumerate() {
            wire[slot.clone()].copy_from_slice(&payload(i, LENS[i]));
        }
        assert_eq!(batch.seal_batch(&mut wire, &LENS).unwrap(), total);
        assert_eq!(&wire[..total], &expected[..], "{mode}");
        assert_eq!(batch.sequence(), LENS.len() as u32);
        assert_eq!(batch.usage(), one.usage());

        let (mut from, _) = pair(mode);
        let payloads: Vec<Vec<u8>> = LENS
            .iter()
            .enumerate()
            .map(|(i, &l)| payload(i, l))
            .collect();
        let borrowed: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let mut wire = vec![0u8; total];
        assert_eq!(from.seal_from(&borrowed, &mut wire).unwrap(), total);
        assert_eq!(wire, expected, "{mode}");
    }
}

#[test]
fn a_batch_is_checked_before_anything_is_sealed() {
    let mode = Mode::new("aes256-gcm@openssh.com", None).unwrap();
    let (mut s, _) = pair(mode);
    let mut wire = vec![0u8; 64];
    let e = s.seal_batch(&mut wire, &[8, 8, 8]).unwrap_err();
    assert_eq!(e.class(), ErrorClass::BufferTooSmall);
    let e = s.seal_batch(&mut wire, &[1 << 20]).unwrap_err();
    assert!(matches!(e, RecordError::Overflow { .. }), "{e}");
    assert_eq!(s.sequence(), 0);
    assert!(wire.iter().all(|&b| b == 0));
}

#[test]
fn a_receive_buffer_is_opened_in_place_packet_by_packet() {
    for mode in Mode::all() {
        let (mut sealer, mut opener) = pair(mode);
        let mut wire = Vec::new();
        let mut sent = Vec::new();
        for (i, &len) in LENS.iter().enumerate() {
            let mut p = payload(i, len);
            if let Some(first) = p.first_mut() {
                // Never SSH_MSG_NEWKEYS by accident.
                *first = 94;
            }
            sealer.seal(&p, &mut wire).unwrap();
            sent.push(p);
        }
        // Uneven reads into one receive buffer, the caller keeping what is unconsumed.
        let mut buf: Vec<u8> = Vec::new();
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut opened: Vec<Opened> = Vec::new();
        for chunk in wire.chunks(777) {
            buf.extend_from_slice(chunk);
            opened.clear();
            let p = opener.open_buffer(&mut buf, &mut opened).unwrap();
            assert!(p.needed > 0);
            for o in &opened {
                let want = if o.payload.is_empty() { 0 } else { 94 };
                assert_eq!(o.kind, want);
                got.push(buf[o.payload.clone()].to_vec());
            }
            buf.drain(..p.consumed);
        }
        assert_eq!(got, sent, "{mode}");
        assert!(buf.is_empty());
        assert_eq!(opener.sequence(), LENS.len() as u32);
    }
}

#[test]
fn opening_stops_at_newkeys_and_a_bad_packet_is_final() {
    let mode = Mode::new("aes128-ctr", Some("hmac-sha2-256")).unwrap();
    let (mut sealer, mut opener) = pair(mode);
    let mut wire = Vec::new();
    for p in [&[94u8, 1, 2][..], &[21], &[94, 3]] {
        sealer.seal(p, &mut wire).unwrap();
    }
    let mut opened = Vec::new();
    let p = opener.open_buffer(&mut wire, &mut opened).unwrap();
    assert_eq!(p.needed, 0, "stopped after NEWKEYS");
    assert_eq!(opened.iter().map(|o| o.kind).collect::<Vec<_>>(), [94, 21]);
    let rest = p.consumed;

    let mut bad = wire.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let e = opener
        .open_buffer(&mut bad[rest..], &mut opened)
        .unwrap_err();
    assert_eq!(e, RecordError::AuthenticationFailed);
    assert!(
        bad[rest..].iter().all(|&b| b == 0),
        "the failed packet is wiped"
    );
    assert_eq!(
        opener.open_buffer(&mut wire[rest..], &mut opened),
        Err(RecordError::AuthenticationFailed),
        "final"
    );
}

/// A batch whose sealing fails part-way (here the FIPS error state, as a lost token would)
/// is wiped whole: no payload stays in the wire buffer.
#[test]
fn a_batch_that_fails_to_seal_is_wiped() {
    const PAYLOAD: u8 = 0x5a;
    let engine = Engine::builder().ignore_env().fips(true).build().unwrap();
    let modes = [
        Mode::new("aes256-gcm@openssh.com", None).unwrap(),
        Mode::new("aes128-ctr", Some("hmac-sha2-256")).unwrap(),
    ];
    let mut sealers: Vec<PacketSealer> = modes
        .iter()
        .map(|&mode| {
            let (key, iv, mac_key) = material(mode, 11);
            let keys = KeyMaterial {
                key: &key,
                iv: &iv,
                mac_key: &mac_key,
            };
            PacketSealer::with_keys(&engine, mode, &keys).unwrap()
        })
        .collect();
    engine
        .inner_state()
        .fail(crate::Error::SelfTestFailed("tripped by the test".into()));
    for (mode, s) in modes.iter().zip(&mut sealers) {
        let lens = [100, 7];
        let mut slots = Vec::new();
        let total = s.slots(&lens, &mut slots).unwrap();
        let mut wire = vec![0xee; total + 8];
        for slot in &slots {
            wire[slot.clone()].fill(PAYLOAD);
        }
        let err = s.seal_batch(&mut wire, &lens).unwrap_err();
        assert_eq!(err.class(), ErrorClass::Fatal, "{mode}: {err}");
        assert!(
            wire[..total].iter().all(|&b| b == 0),
            "{mode}: a failed batch left bytes behind"
        );
        assert!(wire[total..].iter().all(|&b| b == 0xee), "{mode}");
    }
}
