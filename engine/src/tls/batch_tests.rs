//! The bulk path: batches framed in place, receive buffers opened in place, and
//! reserved sequence numbers sealed on several threads.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use super::*;
use crate::algorithm::AeadAlg;
use crate::record::{ErrorClass, Opened, RecordError};
use crate::{AeadKey, Engine, Error, TAG_LEN, Tag};

fn engine() -> Engine {
    Engine::builder().ignore_env().build().unwrap()
}

fn keys(version: u8, alg: AeadAlg) -> TlsKeys {
    let e = engine();
    let key = vec![0x42; alg.info().key_len];
    match version {
        13 => Tls13Keys::new(&e, alg, &key, &[7; 12]).unwrap().into(),
        _ => {
            let iv_len = if alg == AeadAlg::ChaCha20Poly1305 {
                12
            } else {
                4
            };
            Tls12Keys::new(&e, alg, &key, &vec![9; iv_len])
                .unwrap()
                .into()
        }
    }
}

const LENS: [usize; 6] = [0, 1, 100, MAX_PLAINTEXT, 7, 4000];

fn content(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 31 + j) as u8).collect()
}

#[test]
fn a_batch_framed_in_place_is_byte_identical_to_one_record_at_a_time() {
    for version in [13, 12] {
        for alg in AeadAlg::all() {
            for padding in [Padding::None, Padding::Multiple(64)] {
                let mut one = TlsSealer::new(keys(version, alg)).with_padding(padding);
                let mut expected = Vec::new();
                for (i, &len) in LENS.iter().enumerate() {
                    one.seal(
                        ContentType::ApplicationData,
                        &content(i, len),
                        &mut expected,
                    )
                    .unwrap();
                }

                let mut batch = TlsSealer::new(keys(version, alg)).with_padding(padding);
                let mut slots = Vec::new();
                let total = batch.slots(&LENS, &mut slots).unwrap();
                // Garbage everywhere but the slots: the seal must write every other byte.
                let mut wire = vec![0xee; total + 9];
                for (i, slot) in slots.iter().enumerate() {
                    wire[slot.clone()].copy_from_slice(&content(i, LENS[i]));
                }
                let n = batch
                    .seal_batch(ContentType::ApplicationData, &mut wire, &LENS)
                    .unwrap();
                assert_eq!(n, total);
                assert_eq!(&wire[..n], &expected[..], "TLS 1.{} {alg:?}", version % 10);
                assert_eq!(batch.sequence(), LENS.len() as u64);

                let mut from = TlsSealer::new(keys(version, alg)).with_padding(padding);
                let contents: Vec<Vec<u8>> = LENS
                    .iter()
                    .enumerate()
                    .map(|(i, &l)| content(i, l))
                    .collect();
                let borrowed: Vec<&[u8]> = contents.iter().map(Vec::as_slice).collect();
                let mut wire = vec![0u8; total];
                let n = from
                    .seal_from(ContentType::ApplicationData, &borrowed, &mut wire)
                    .unwrap();
                assert_eq!(&wire[..n], &expected[..]);
            }
        }
    }
}

#[test]
fn batches_check_everything_before_sealing() {
    let mut s = TlsSealer::new(keys(13, AeadAlg::Aes128Gcm));
    let mut wire = vec![0u8; 100];
    let e = s
        .seal_batch(ContentType::ApplicationData, &mut wire, &[10, 200])
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::BufferTooSmall);
    let e = s
        .seal_batch(
            ContentType::ApplicationData,
            &mut wire,
            &[MAX_PLAINTEXT + 1],
        )
        .unwrap_err();
    assert!(matches!(e, RecordError::Overflow { .. }), "{e}");
    assert_eq!(s.sequence(), 0, "nothing sealed");
    assert!(wire.iter().all(|&b| b == 0), "nothing written");
}

/// A stream of records: application data, a handshake record, more data.
fn stream(version: u8, alg: AeadAlg) -> (Vec<u8>, Vec<(ContentType, Vec<u8>)>) {
    let mut s = TlsSealer::new(keys(version, alg));
    let mut wire = Vec::new();
    let mut sent = Vec::new();
    for (i, &len) in LENS.iter().enumerate() {
        let typ = if i == 2 {
            ContentType::Handshake
        } else {
            ContentType::ApplicationData
        };
        let c = content(i, len);
        s.seal(typ, &c, &mut wire).unwrap();
        sent.push((typ, c));
    }
    (wire, sent)
}

#[test]
fn a_receive_buffer_is_opened_in_place_record_by_record() {
    for version in [13, 12] {
        for alg in AeadAlg::all() {
            let (wire, sent) = stream(version, alg);
            let mut opener = TlsOpener::new(keys(version, alg));
            let mut got: Vec<(ContentType, Vec<u8>)> = Vec::new();
            let mut opened: Vec<Opened> = Vec::new();
            // Deliver the stream in uneven reads into one receive buffer.
            let mut buf: Vec<u8> = Vec::new();
            let mut fed = 0;
            let mut stops_at_handshake = 0;
            while got.len() < sent.len() {
                let read = 3000.min(wire.len() - fed);
                buf.extend_from_slice(&wire[fed..fed + read]);
                fed += read;
                loop {
                    opened.clear();
                    let p = opener.open_buffer(&mut buf, &mut opened).unwrap();
                    for o in &opened {
                        got.push((
                            ContentType::from_u8(o.kind).unwrap(),
                            buf[o.payload.clone()].to_vec(),
                        ));
                    }
                    buf.drain(..p.consumed);
                    if p.needed > 0 {
                        assert!(fed < wire.len() || got.len() == sent.len());
                        break;
                    }
                    stops_at_handshake += 1;
                }
            }
            assert_eq!(got, sent, "TLS 1.{} {alg:?}", version % 10);
            assert_eq!(stops_at_handshake, 1, "stopped after the handshake record");
            assert!(buf.is_empty());
        }
    }
}

#[test]
fn opening_stops_at_the_most_records_asked_for() {
    let (mut wire, sent) = stream(13, AeadAlg::Aes128Gcm);
    let mut o = TlsOpener::new(keys(13, AeadAlg::Aes128Gcm));
    let mut opened = Vec::new();
    let p = o.open_buffer_at_most(&mut wire, &mut opened, 0).unwrap();
    assert_eq!((p.consumed, p.needed, opened.len()), (0, 0, 0));
    // Two records (both application data), then the handshake record stops the call.
    let p = o.open_buffer_at_most(&mut wire, &mut opened, 2).unwrap();
    assert_eq!((opened.len(), p.needed), (2, 0));
    let first = p.consumed;
    let p = o
        .open_buffer_at_most(&mut wire[first..], &mut opened, 5)
        .unwrap();
    assert_eq!(opened.len(), 3, "stopped after the handshake record");
    assert_eq!(opened[2].kind, ContentType::Handshake.to_u8());
    let at = first + p.consumed;
    let p = o
        .open_buffer_at_most(&mut wire[at..], &mut opened, 9)
        .unwrap();
    assert_eq!(opened.len(), sent.len());
    assert_eq!((at + p.consumed, p.needed), (wire.len(), HEADER_LEN));
}

#[test]
fn a_bad_record_in_a_buffer_ends_the_connection_and_is_wiped_alone() {
    let (wire, _) = stream(13, AeadAlg::Aes256Gcm);
    let first = HEADER_LEN + 1 + TAG_LEN; // the 0-byte record
    let second_len = HEADER_LEN + 2 + TAG_LEN;
    let mut buf = wire.clone();
    buf[first + 6] ^= 1;
    let mut opener = TlsOpener::new(keys(13, AeadAlg::Aes256Gcm));
    let mut opened = Vec::new();
    let e = opener.open_buffer(&mut buf, &mut opened).unwrap_err();
    assert_eq!(e, RecordError::AuthenticationFailed);
    assert_eq!(e.class(), ErrorClass::Fatal);
    assert_eq!(opened.len(), 1, "the good record before it was opened");
    let bad = first + HEADER_LEN..first + second_len;
    assert!(buf[bad].iter().all(|&b| b == 0), "the bad record is wiped");
    assert_eq!(
        &buf[first + second_len..],
        &wire[first + second_len..],
        "what follows is untouched"
    );
    // Failed for good.
    let mut again = wire.clone();
    assert_eq!(
        opener.open_buffer(&mut again[first..], &mut opened),
        Err(RecordError::AuthenticationFailed)
    );
    // A length over the limit is refused before anything is read.
    let mut opener = TlsOpener::new(keys(13, AeadAlg::Aes256Gcm));
    let mut huge = vec![23, 3, 3, 0xff, 0xff];
    assert!(matches!(
        opener.open_buffer(&mut huge, &mut opened),
        Err(RecordError::Overflow { .. })
    ));
}

/// Wraps a real key and records where each in-place call worked and whether any
/// out-of-place call (which would mean a copy somewhere) was made.
#[derive(Debug)]
struct Watching {
    inner: Box<dyn AeadKey>,
    seen: Seen,
}

impl AeadKey for Watching {
    fn algorithm(&self) -> AeadAlg {
        self.inner.algorithm()
    }
    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], in_out: &mut [u8]) -> Result<Tag, Error> {
        self.seen
            .lock()
            .unwrap()
            .push((in_out.as_ptr() as usize, in_out.len()));
        self.inner.seal_in_place(nonce, aad, in_out)
    }
    fn open_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        self.seen
            .lock()
            .unwrap()
            .push((in_out.as_ptr() as usize, in_out.len()));
        self.inner.open_in_place(nonce, aad, in_out, tag)
    }
    fn seal(&self, _: &[u8], _: &[u8], _: &[u8], _: &mut [u8]) -> Result<usize, Error> {
        panic!("the bulk path must not seal out of place")
    }
    fn open(&self, _: &[u8], _: &[u8], _: &[u8], _: &mut [u8]) -> Result<usize, Error> {
        panic!("the bulk path must not open out of place")
    }
}

/// Where each in-place call worked: (address, length).
type Seen = Arc<Mutex<Vec<(usize, usize)>>>;

fn watched(alg: AeadAlg) -> (Tls13Keys, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let key = engine().aead(alg, &vec![1; alg.info().key_len]).unwrap();
    let keys = Tls13Keys::from_key(
        Box::new(Watching {
            inner: key,
            seen: seen.clone(),
        }),
        &[3; 12],
    )
    .unwrap();
    (keys, seen)
}

#[test]
fn the_kernel_works_on_the_callers_slots_no_copy_on_seal_or_open() {
    let alg = AeadAlg::Aes128Gcm;
    let (k, seen) = watched(alg);
    let mut sealer = TlsSealer::new(k);
    let lens = [5000, MAX_PLAINTEXT, 1];
    let mut slots: Vec<Range<usize>> = Vec::new();
    let total = sealer.slots(&lens, &mut slots).unwrap();
    let mut wire = vec![0u8; total];
    let base = wire.as_ptr() as usize;
    sealer
        .seal_batch(ContentType::ApplicationData, &mut wire, &lens)
        .unwrap();
    // Each record was encrypted where the caller put its content (content ‖ type).
    let expected: Vec<(usize, usize)> = slots
        .iter()
        .map(|s| (base + s.start, s.len() + 1))
        .collect();
    assert_eq!(*seen.lock().unwrap(), expected);

    let (k, seen) = watched(alg);
    let mut opener = TlsOpener::new(k);
    let mut opened = Vec::new();
    let base = wire.as_ptr() as usize;
    opener.open_buffer(&mut wire, &mut opened).unwrap();
    let expected: Vec<(usize, usize)> = opened
        .iter()
        .map(|o| (base + o.payload.start, o.payload.len() + 1))
        .collect();
    assert_eq!(
        *seen.lock().unwrap(),
        expected,
        "decrypted where it arrived"
    );
}

#[test]
fn records_sealed_on_two_threads_through_reservations_match_one_thread() {
    for version in [13, 12] {
        let alg = AeadAlg::Aes256Gcm;
        let lens: Vec<usize> = (0..40).map(|i| (i * 397) % (MAX_PLAINTEXT + 1)).collect();

        let mut one = TlsSealer::new(keys(version, alg));
        let mut expected = Vec::new();
        for (i, &len) in lens.iter().enumerate() {
            one.seal(
                ContentType::ApplicationData,
                &content(i, len),
                &mut expected,
            )
            .unwrap();
        }

        let mut sealer = TlsSealer::new(keys(version, alg));
        let mut slots = Vec::new();
        let total = sealer.slots(&lens, &mut slots).unwrap();
        let mut wire = vec![0u8; total];
        let reservation = sealer.reserve(lens.len()).unwrap();
        assert_eq!(sealer.sequence(), lens.len() as u64);
        // Split the wire into one piece per record and deal the pieces and tickets out
        // to two workers, alternately.
        let mut pieces: Vec<(usize, &mut [u8])> = Vec::new();
        let mut rest: &mut [u8] = &mut wire;
        for (i, &len) in lens.iter().enumerate() {
            let (piece, tail) = rest.split_at_mut(sealer.record_len(len));
            let at = sealer.payload_offset();
            piece[at..at + len].copy_from_slice(&content(i, len));
            pieces.push((len, piece));
            rest = tail;
        }
        let mut work: [Vec<_>; 2] = [Vec::new(), Vec::new()];
        for (i, (ticket, piece)) in reservation.zip(pieces).enumerate() {
            work[i % 2].push((ticket, piece));
        }
        let sealer = &sealer;
        std::thread::scope(|scope| {
            for jobs in work {
                scope.spawn(move || {
                    for (ticket, (len, piece)) in jobs.into_iter().rev() {
                        sealer
                            .seal_reserved(ticket, ContentType::ApplicationData, piece, len)
                            .unwrap();
                    }
                });
            }
        });
        assert_eq!(wire, expected, "TLS 1.{}", version % 10);
    }
}

#[test]
fn reservations_die_with_the_sealer_that_made_them() {
    let mut a = TlsSealer::new(keys(13, AeadAlg::Aes128Gcm));
    let b = TlsSealer::new(keys(13, AeadAlg::Aes128Gcm));
    let ticket = a.reserve(1).unwrap().next().unwrap();
    let mut record = vec![0u8; b.record_len(0)];
    let e = b
        .seal_reserved(ticket, ContentType::ApplicationData, &mut record, 0)
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Bug);
}

/// Sealing that fails part-way (here the FIPS error state, as a lost token would) leaves
/// no content behind: not from a batch framed in place, nor from one sealed from the
/// caller's buffers, nor from a reserved record; and a failed batch finishes the sealer.
#[test]
fn a_batch_or_reserved_record_that_fails_to_seal_is_wiped() {
    const CONTENT: u8 = 0x5a;
    for version in [13, 12] {
        let e = Engine::builder().ignore_env().fips(true).build().unwrap();
        let make = |k: u8| match version {
            13 => {
                TlsSealer::new(Tls13Keys::new(&e, AeadAlg::Aes128Gcm, &[k; 16], &[2; 12]).unwrap())
            }
            _ => TlsSealer::new(Tls12Keys::new(&e, AeadAlg::Aes128Gcm, &[k; 16], &[2; 4]).unwrap()),
        };
        let (mut batch, mut from, mut reserved) = (make(1), make(2), make(3));
        let ticket = reserved.reserve(1).unwrap().next().unwrap();
        e.inner_state()
            .fail(Error::SelfTestFailed("tripped by the test".into()));
        let typ = ContentType::ApplicationData;

        let lens = [100, 7];
        let mut slots = Vec::new();
        let total = batch.slots(&lens, &mut slots).unwrap();
        let mut wire = vec![0xee; total + 8];
        for slot in &slots {
            wire[slot.clone()].fill(CONTENT);
        }
        let err = batch.seal_batch(typ, &mut wire, &lens).unwrap_err();
        assert_eq!(err.class(), ErrorClass::Fatal, "TLS {version}: {err}");
        assert!(
            wire[..total].iter().all(|&b| b == 0),
            "TLS {version}: a failed batch left bytes behind"
        );
        assert!(wire[total..].iter().all(|&b| b == 0xee), "TLS {version}");
        assert_eq!(
            batch.seal_batch(typ, &mut wire, &lens),
            Err(err),
            "finished"
        );

        let contents: [&[u8]; 2] = [&[CONTENT; 100], &[CONTENT; 7]];
        let mut wire = vec![0xee; total];
        assert!(from.seal_from(typ, &contents, &mut wire).is_err());
        assert!(
            wire.iter().all(|&b| b == 0),
            "TLS {version}: seal_from left bytes behind"
        );

        let mut record = vec![CONTENT; reserved.record_len(100)];
        assert!(
            reserved
                .seal_reserved(ticket, typ, &mut record, 100)
                .is_err()
        );
        assert!(
            record.iter().all(|&b| b == 0),
            "TLS {version}: a failed reserved record left bytes behind"
        );
    }
}
