//! Reserved SSH packets sealed on several threads: the same bytes as sealing in turn, in
//! every mode, and misuse refused with a typed error.

use super::reference::TestRng;
use super::*;
use crate::Engine;
use crate::record::{ErrorClass, Opened, RecordError};

/// The same keys for every sealer and opener of `mode` (`salt` varies them).
fn with_material<T>(mode: Mode, salt: u8, make: impl FnOnce(&KeyMaterial<'_>) -> T) -> T {
    let lens = mode.key_lens();
    let (key, iv, mac_key) = (
        vec![3 ^ salt; lens.key],
        vec![5 ^ salt; lens.iv],
        vec![7 ^ salt; lens.mac_key],
    );
    make(&KeyMaterial {
        key: &key,
        iv: &iv,
        mac_key: &mac_key,
    })
}

fn sealer(engine: &Engine, mode: Mode) -> PacketSealer {
    with_material(mode, 0, |keys| PacketSealer::with_keys(engine, mode, keys))
        .unwrap()
        .with_rng(TestRng(11))
}

fn opener(engine: &Engine, mode: Mode) -> PacketOpener {
    with_material(mode, 0, |keys| PacketOpener::with_keys(engine, mode, keys)).unwrap()
}

fn engine() -> Engine {
    Engine::builder().ignore_env().build().unwrap()
}

/// A payload that never starts with SSH_MSG_NEWKEYS (21), where opening would stop.
fn payload(i: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|j| if j == 0 { 94 } else { (i * 29 + j * 3) as u8 })
        .collect()
}

/// The packets' payload lengths, and which runs of them are reserved (the others are
/// sealed in turn, between reservations).
const LENS: [usize; 14] = [
    3,
    1000,
    0,
    32 << 10,
    17,
    5,
    255,
    4096,
    1,
    40_000,
    16,
    15,
    0,
    700,
];
const RESERVED: [std::ops::Range<usize>; 2] = [2..9, 10..13];

/// Seals `reservation`'s packets, their payloads in place in `wire`, on two threads —
/// each taking every other ticket and sealing its share last to first.
fn seal_on_two_threads(sealer: &PacketSealer, reservation: PacketReservation, wire: &mut [u8]) {
    let mut work: [Vec<(PacketTicket, &mut [u8])>; 2] = [Vec::new(), Vec::new()];
    let mut rest = wire;
    for (i, ticket) in reservation.enumerate() {
        let (piece, tail) = rest.split_at_mut(ticket.wire_len());
        rest = tail;
        work[i % 2].push((ticket, piece));
    }
    assert!(rest.is_empty());
    std::thread::scope(|scope| {
        for jobs in work {
            scope.spawn(move || {
                for (ticket, piece) in jobs.into_iter().rev() {
                    let n = piece.len();
                    assert_eq!(sealer.seal_reserved(ticket, piece), Ok(n));
                }
            });
        }
    });
}

/// The whole stream of `LENS`, reserved runs sealed on two threads.
fn sealed_through_reservations(sealer: &mut PacketSealer) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut i = 0;
    while i < LENS.len() {
        match RESERVED.iter().find(|r| r.start == i) {
            Some(run) => {
                let reservation = sealer.reserve(&LENS[run.clone()]).unwrap();
                let start = wire.len();
                wire.resize(start + reservation.wire_len(), 0xee);
                // The payloads go straight into their places in the wire buffer.
                let mut at = start;
                for k in run.clone() {
                    let sealed = sealer.sealed_len(LENS[k]).unwrap();
                    let p = at + sealer.payload_offset();
                    wire[p..p + LENS[k]].copy_from_slice(&payload(k, LENS[k]));
                    at += sealed;
                }
                seal_on_two_threads(sealer, reservation, &mut wire[start..]);
                i = run.end;
            }
            None => {
                sealer.seal(&payload(i, LENS[i]), &mut wire).unwrap();
                i += 1;
            }
        }
    }
    wire
}

#[test]
fn packets_sealed_on_two_threads_through_reservations_match_one_thread_in_every_mode() {
    for (id, engine) in super::tests::engines() {
        every_mode_through_reservations(id.as_str(), &engine);
    }
}

fn every_mode_through_reservations(id: &str, engine: &Engine) {
    for mode in Mode::all() {
        let mut one = sealer(engine, mode);
        let mut expected = Vec::new();
        for (i, &len) in LENS.iter().enumerate() {
            one.seal(&payload(i, len), &mut expected).unwrap();
        }

        let mut reserving = sealer(engine, mode);
        let mut wire = sealed_through_reservations(&mut reserving);
        assert!(
            wire == expected,
            "{id} {mode}: not the bytes sealed in turn"
        );
        assert_eq!(reserving.sequence(), one.sequence(), "{id} {mode}");
        assert_eq!(
            reserving.usage(),
            one.usage(),
            "{id} {mode}: limits count reserved packets"
        );

        // And the ordinary opener reads it.
        let mut opener = opener(engine, mode);
        let mut opened: Vec<Opened> = Vec::new();
        let progress = opener.open_buffer(&mut wire, &mut opened).unwrap();
        assert_eq!(progress.consumed, expected.len(), "{id} {mode}");
        let got: Vec<Vec<u8>> = opened
            .iter()
            .map(|o| wire[o.payload.clone()].to_vec())
            .collect();
        let sent: Vec<Vec<u8>> = LENS
            .iter()
            .enumerate()
            .map(|(i, &l)| payload(i, l))
            .collect();
        assert!(got == sent, "{id} {mode}: payloads differ after opening");
    }
}

#[test]
fn a_ticket_seals_only_its_own_packet_under_its_own_keys() {
    let engine = engine();
    let mode = Mode::new("aes128-ctr", Some("hmac-sha2-256-etm@openssh.com")).unwrap();
    let mut a = sealer(&engine, mode);
    let b = sealer(&engine, mode);
    let mut r = a.reserve(&[10, 20, 30]).unwrap();
    assert_eq!(r.len(), 3);

    // Another sealer's ticket.
    let t = r.next().unwrap();
    let mut packet = vec![0xaa; t.wire_len()];
    let e = b.seal_reserved(t, &mut packet).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Bug, "{e}");
    assert!(packet.iter().all(|&x| x == 0xaa), "nothing written");

    // A payload longer than reserved (so a buffer longer than the ticket's packet), or
    // a shorter one.
    let t = r.next().unwrap();
    for len in [t.wire_len() + 16, t.wire_len() - 1] {
        let mut packet = vec![0xaa; len];
        let t = a.reserve(&[20]).unwrap().next().unwrap();
        let e = a.seal_reserved(t, &mut packet).unwrap_err();
        assert!(matches!(e, RecordError::Misuse(_)), "{e}");
        assert!(packet.iter().all(|&x| x == 0xaa), "nothing written");
    }
    drop(t);

    // Tickets die with the keys they were reserved under.
    let t = r.next().unwrap();
    assert!(r.is_empty() && r.next().is_none(), "no more than reserved");
    with_material(mode, 1, |keys| a.install_keys(mode, keys)).unwrap();
    let mut packet = vec![0u8; t.wire_len()];
    let e = a.seal_reserved(t, &mut packet).unwrap_err();
    assert!(matches!(e, RecordError::Misuse(_)), "{e}");
}

#[test]
fn reserved_packets_count_against_the_keys_limits() {
    let engine = engine();
    let mode = Mode::new("chacha20-poly1305@openssh.com", None).unwrap();
    let mut s = sealer(&engine, mode);
    s.set_usage(KeyUsage {
        packets: MAX_PACKETS_PER_KEY - 2,
        blocks: 0,
    });
    let seq = s.sequence();
    let e = s.reserve(&[1, 1, 1]).unwrap_err();
    assert_eq!(e.class(), ErrorClass::RekeyNow, "{e}");
    assert_eq!(s.sequence(), seq, "nothing reserved");
    let r = s.reserve(&[1, 1]).unwrap();
    assert_eq!(r.len(), 2);
    assert!(s.needs_rekey());
    let e = s.seal(&[94], &mut Vec::new()).unwrap_err();
    assert!(matches!(e, crate::Error::RekeyRequired { .. }), "{e}");
    // An oversized payload is refused before anything is reserved.
    let mut s = sealer(&engine, mode);
    let e = s.reserve(&[1, 1 << 20]).unwrap_err();
    assert!(matches!(e, RecordError::Overflow { .. }), "{e}");
    assert_eq!(s.sequence(), 0);
}

#[test]
fn reserved_packets_obey_the_fips_error_state() {
    let engine = Engine::builder().ignore_env().fips(true).build().unwrap();
    for mode in [
        Mode::new("aes256-gcm@openssh.com", None).unwrap(),
        Mode::new("aes256-ctr", Some("hmac-sha2-512")).unwrap(),
    ] {
        let mut s = sealer(&engine, mode);
        let mut r = s.reserve(&[100, 100]).unwrap();
        let t = r.next().unwrap();
        let mut packet = vec![0u8; t.wire_len()];
        assert!(s.seal_reserved(t, &mut packet).is_ok(), "{mode}");
    }
    let mode = Mode::new("aes128-gcm@openssh.com", None).unwrap();
    let mut s = sealer(&engine, mode);
    let t = s.reserve(&[100]).unwrap().next().unwrap();
    engine
        .inner_state()
        .fail(crate::Error::SelfTestFailed("a test broke it".into()));
    let mut packet = vec![0x5a; t.wire_len()];
    let e = s.seal_reserved(t, &mut packet).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Fatal, "{e}");
    assert!(packet.iter().all(|&x| x == 0), "wiped");
}
