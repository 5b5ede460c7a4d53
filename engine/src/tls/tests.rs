//! Record-layer tests: the RFC 8448 traces, round trips, and every kind of bad record.

use super::rfc8448;

use super::*;
use crate::algorithm::AeadAlg;
use crate::{Engine, TAG_LEN};

fn engine() -> Engine {
    Engine::builder().ignore_env().build().unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn tls13_pair(alg: AeadAlg) -> (Tls13Sealer, Tls13Opener) {
    let e = engine();
    let key = vec![0x42; alg.info().key_len];
    let iv = [7u8; 12];
    (
        Tls13Sealer::new(Tls13Keys::new(&e, alg, &key, &iv).unwrap()),
        Tls13Opener::new(Tls13Keys::new(&e, alg, &key, &iv).unwrap()),
    )
}

fn tls12_pair(alg: AeadAlg) -> (Tls12Sealer, Tls12Opener) {
    let e = engine();
    let key = vec![0x24; alg.info().key_len];
    let iv = vec![
        9u8;
        if alg == AeadAlg::ChaCha20Poly1305 {
            12
        } else {
            4
        }
    ];
    (
        Tls12Sealer::new(Tls12Keys::new(&e, alg, &key, &iv).unwrap()),
        Tls12Opener::new(Tls12Keys::new(&e, alg, &key, &iv).unwrap()),
    )
}

#[test]
fn rfc8448_records_open_and_reseal_byte_for_byte() {
    let e = engine();
    for r in rfc8448::RECORDS {
        let keys = Tls13Keys::new(&e, AeadAlg::Aes128Gcm, &unhex(r.key), &unhex(r.iv)).unwrap();
        let mut record = unhex(r.record);
        let mut opener = Tls13Opener::new(keys).with_sequence(r.seq);
        let (typ, content) = opener
            .open(&mut record)
            .unwrap_or_else(|e| panic!("{}: {e}", r.source));
        assert_eq!(typ.to_u8(), r.content_type, "{}", r.source);
        assert_eq!(hex::encode(content), r.content, "{}", r.source);

        let keys = Tls13Keys::new(&e, AeadAlg::Aes128Gcm, &unhex(r.key), &unhex(r.iv)).unwrap();
        let mut sealer = Tls13Sealer::new(keys).with_sequence(r.seq);
        let mut out = Vec::new();
        sealer
            .seal(
                ContentType::from_u8(r.content_type).unwrap(),
                &unhex(r.content),
                &mut out,
            )
            .unwrap();
        assert_eq!(hex::encode(&out), r.record, "{}", r.source);
    }
    println!(
        "rfc8448: {} records opened and resealed",
        rfc8448::RECORDS.len()
    );
}

#[test]
fn tls13_round_trips_every_suite_and_length_class() {
    for alg in AeadAlg::all() {
        let (mut sealer, mut opener) = tls13_pair(alg);
        for len in [
            0,
            1,
            15,
            16,
            17,
            255,
            1400,
            MAX_PLAINTEXT - 1,
            MAX_PLAINTEXT,
        ] {
            let content: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut rec = Vec::new();
            sealer
                .seal(ContentType::ApplicationData, &content, &mut rec)
                .unwrap();
            assert_eq!(rec.len(), HEADER_LEN + len + 1 + TAG_LEN);
            assert_eq!(&rec[..3], &[23, 3, 3]);
            let (typ, got) = opener.open(&mut rec).unwrap();
            assert_eq!(typ, ContentType::ApplicationData);
            assert_eq!(got, &content[..], "{alg} len {len}");
        }
        assert_eq!(sealer.sequence(), 9);
        assert_eq!(opener.sequence(), 9);
    }
}

#[test]
fn tls13_padding_hides_length_and_is_removed() {
    let (sealer, mut opener) = tls13_pair(AeadAlg::Aes256Gcm);
    let mut sealer = sealer.with_padding(Padding::Multiple(256));
    let mut rec = Vec::new();
    sealer
        .seal(ContentType::Handshake, b"hi", &mut rec)
        .unwrap();
    assert_eq!(rec.len(), HEADER_LEN + 256 + TAG_LEN);
    let (typ, got) = opener.open(&mut rec).unwrap();
    assert_eq!((typ, &*got), (ContentType::Handshake, &b"hi"[..]));
    // Padding never pushes a full record past 2^14 + 1 inner bytes.
    let mut rec = Vec::new();
    sealer
        .seal(
            ContentType::ApplicationData,
            &vec![1; MAX_PLAINTEXT],
            &mut rec,
        )
        .unwrap();
    assert_eq!(rec.len(), HEADER_LEN + MAX_PLAINTEXT + 1 + TAG_LEN);
    opener.open(&mut rec).unwrap();
}

#[test]
fn tls13_bad_records_are_typed_errors_and_release_nothing() {
    let (mut sealer, mut opener) = tls13_pair(AeadAlg::Aes128Gcm);
    // A failed record finishes an opener: each bad record gets an opener of its own.
    let fresh = || tls13_pair(AeadAlg::Aes128Gcm).1;
    let mut good = Vec::new();
    sealer
        .seal(ContentType::ApplicationData, b"secret payload", &mut good)
        .unwrap();

    // Truncated: shorter than the header, and a length field longer than the bytes.
    assert!(matches!(
        opener.open(&mut good.clone()[..4]),
        Err(Error::Malformed(_))
    ));
    let cut = good.len() - 1;
    assert!(matches!(
        opener.open(&mut good.clone()[..cut]),
        Err(Error::Malformed(_))
    ));
    // Body shorter than a tag.
    let mut tiny = vec![23, 3, 3, 0, 5, 1, 2, 3, 4, 5];
    assert!(matches!(
        fresh().open(&mut tiny),
        Err(Error::InputTooShort { .. })
    ));
    assert_eq!(&tiny[HEADER_LEN..], &[0; 5]);
    // Wrong outer type.
    let mut wrong_type = good.clone();
    wrong_type[0] = 22;
    assert!(matches!(
        fresh().open(&mut wrong_type),
        Err(Error::UnexpectedMessage(_))
    ));
    // Oversize length field.
    let mut big = vec![23, 3, 3, 0x41, 0x01];
    big.resize(HEADER_LEN + 0x4101, 0);
    assert!(matches!(
        fresh().open(&mut big),
        Err(Error::RecordOverflow { .. })
    ));
    // Every flipped bit, in header and body, fails authentication and wipes the body.
    for i in 0..good.len() * 8 {
        let mut bad = good.clone();
        bad[i / 8] ^= 1 << (i % 8);
        let err = fresh().open(&mut bad).unwrap_err();
        if i / 8 >= HEADER_LEN {
            assert_eq!(err, Error::AuthenticationFailed, "bit {i}");
            assert!(
                bad[HEADER_LEN..].iter().all(|&b| b == 0),
                "bit {i}: body not wiped"
            );
        }
    }
    assert_eq!(opener.sequence(), 0, "failures do not advance the sequence");
    let mut failed = fresh();
    assert!(failed.open(&mut tiny.clone()).is_err());
    assert_eq!(failed.sequence(), 0, "failures do not advance the sequence");
    // Wrong sequence number: the record was sealed as 0.
    let mut skipped = Tls13Opener::new(
        Tls13Keys::new(&engine(), AeadAlg::Aes128Gcm, &[0x42; 16], &[7; 12]).unwrap(),
    )
    .with_sequence(1);
    assert_eq!(
        skipped.open(&mut good.clone()).unwrap_err(),
        Error::AuthenticationFailed
    );
    // The good record still opens after mere framing mistakes (the truncations above).
    let (_, content) = opener.open(&mut good).unwrap();
    assert_eq!(content, b"secret payload");
}

#[test]
fn tls13_rejects_all_zero_and_unknown_type_inner_plaintext() {
    let e = engine();
    let keys = Tls13Keys::new(&e, AeadAlg::ChaCha20Poly1305, &[1; 32], &[2; 12]).unwrap();
    // Build records by hand with the stateless keys, as a misbehaving peer would.
    let forge = |inner: &[u8]| {
        let hdr = header(23, 0x0303, inner.len() + TAG_LEN);
        let mut body = inner.to_vec();
        let tag = keys.seal_inner_in_place(0, &hdr, &mut body).unwrap();
        let mut rec = hdr.to_vec();
        rec.extend_from_slice(&body);
        rec.extend_from_slice(&tag);
        rec
    };
    let mut zeros = forge(&[0; 32]);
    let mut unknown = forge(&[b'x', b'y', 99, 0, 0]);
    let mut oversize = forge(&vec![0x17; MAX_PLAINTEXT + 2]);
    let mut protected_ccs = forge(&[1, 20]);
    let opener = |k: &[u8]| {
        Tls13Opener::new(Tls13Keys::new(&e, AeadAlg::ChaCha20Poly1305, k, &[2; 12]).unwrap())
    };
    assert!(matches!(
        opener(&[1; 32]).open(&mut zeros),
        Err(Error::UnexpectedMessage(_))
    ));
    assert!(matches!(
        opener(&[1; 32]).open(&mut unknown),
        Err(Error::UnexpectedMessage(_))
    ));
    assert!(
        unknown[HEADER_LEN..].iter().all(|&b| b == 0),
        "no plaintext released"
    );
    assert!(matches!(
        opener(&[1; 32]).open(&mut oversize),
        Err(Error::RecordOverflow { .. })
    ));
    assert!(matches!(
        opener(&[1; 32]).open(&mut protected_ccs),
        Err(Error::UnexpectedMessage(_))
    ));
}

#[test]
fn sealers_refuse_oversize_content_and_small_buffers() {
    let (mut s13, _) = tls13_pair(AeadAlg::Aes128Gcm);
    let mut out = Vec::new();
    let err = s13.seal(
        ContentType::ApplicationData,
        &vec![0; MAX_PLAINTEXT + 1],
        &mut out,
    );
    assert!(matches!(err, Err(Error::RecordOverflow { .. })));
    assert!(out.is_empty(), "nothing written on failure");
    let mut small = [0u8; 20];
    assert!(matches!(
        s13.seal_into(ContentType::ApplicationData, b"0123456789", &mut small),
        Err(Error::BufferTooSmall { .. })
    ));
    assert_eq!(s13.sequence(), 0, "failed seals consume no sequence number");

    let (mut s12, _) = tls12_pair(AeadAlg::Aes256Gcm);
    let err = s12.seal(
        ContentType::ApplicationData,
        &vec![0; MAX_PLAINTEXT + 1],
        &mut out,
    );
    assert!(matches!(err, Err(Error::RecordOverflow { .. })));
}

#[test]
fn tls13_sealer_refuses_change_cipher_spec() {
    // Found by fuzzing the C ABI: the sealer protected a change_cipher_spec record that
    // its own opener (and every RFC 8446 peer) must then refuse.
    let (mut sealer, mut opener) = tls13_pair(AeadAlg::Aes128Gcm);
    let mut out = Vec::new();
    let err = sealer.seal(ContentType::ChangeCipherSpec, &[1], &mut out);
    assert!(matches!(err, Err(Error::UnexpectedMessage(_))), "{err:?}");
    assert!(out.is_empty(), "nothing written on failure");
    assert_eq!(sealer.sequence(), 0, "no sequence number consumed");
    sealer
        .seal(ContentType::Handshake, b"finished", &mut out)
        .unwrap();
    let (typ, content) = opener.open(&mut out).unwrap();
    assert_eq!(
        (typ, &content[..]),
        (ContentType::Handshake, &b"finished"[..])
    );
}

#[test]
fn aes_gcm_keys_report_key_update_before_the_limit_and_then_refuse() {
    let (sealer, _) = tls13_pair(AeadAlg::Aes128Gcm);
    let limit = confidentiality_limit(AeadAlg::Aes128Gcm);
    let mut sealer = sealer.with_sequence(limit - limit / 64 - 1);
    assert!(!sealer.needs_key_update());
    let mut out = Vec::new();
    sealer
        .seal(ContentType::ApplicationData, b"x", &mut out)
        .unwrap();
    assert!(sealer.needs_key_update(), "warned at the margin");
    let mut sealer = sealer.with_sequence(limit);
    let err = sealer
        .seal(ContentType::ApplicationData, b"x", &mut out)
        .unwrap_err();
    assert!(matches!(err, Error::KeyUpdateRequired { .. }), "{err}");

    // ChaCha20-Poly1305 has no practical limit, but the sequence number may not wrap.
    let (sealer, _) = tls13_pair(AeadAlg::ChaCha20Poly1305);
    let mut sealer = sealer.with_sequence(u64::MAX - 1);
    assert!(!sealer.needs_key_update());
    sealer
        .seal(ContentType::ApplicationData, b"x", &mut out)
        .unwrap();
    let err = sealer
        .seal(ContentType::ApplicationData, b"x", &mut out)
        .unwrap_err();
    assert_eq!(err, Error::SequenceExhausted);
}

#[test]
fn tls12_round_trips_with_explicit_and_implicit_nonces() {
    for alg in AeadAlg::all() {
        let (mut sealer, mut opener) = tls12_pair(alg);
        let explicit = if alg == AeadAlg::ChaCha20Poly1305 {
            0
        } else {
            8
        };
        for (i, len) in [0usize, 1, 100, 1400, MAX_PLAINTEXT]
            .into_iter()
            .enumerate()
        {
            let pt: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let mut rec = Vec::new();
            sealer
                .seal(ContentType::ApplicationData, &pt, &mut rec)
                .unwrap();
            assert_eq!(rec.len(), HEADER_LEN + explicit + len + TAG_LEN);
            if explicit == 8 {
                // The explicit nonce is the sequence number (RFC 5288 §3 allows any
                // unique value; a counter is what FIPS expects).
                assert_eq!(&rec[HEADER_LEN..HEADER_LEN + 8], &(i as u64).to_be_bytes());
            }
            let (typ, got) = opener.open(&mut rec).unwrap();
            assert_eq!(typ, ContentType::ApplicationData);
            assert_eq!(got, &pt[..], "{alg} {len}");
        }
    }
}

#[test]
fn tls12_bad_records_are_typed_errors() {
    for alg in AeadAlg::all() {
        let (mut sealer, mut opener) = tls12_pair(alg);
        // A failed record finishes an opener: each bad record gets an opener of its own.
        let fresh = || tls12_pair(alg).1;
        let mut good = Vec::new();
        sealer
            .seal(ContentType::Handshake, b"finished", &mut good)
            .unwrap();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x80;
            let err = fresh().open(&mut bad).unwrap_err();
            match i {
                0 => assert!(matches!(err, Error::UnexpectedMessage(_)), "{err}"),
                3 | 4 => assert!(
                    matches!(err, Error::Malformed(_) | Error::RecordOverflow { .. }),
                    "{err}"
                ),
                _ => assert_eq!(err, Error::AuthenticationFailed, "{alg} byte {i}"),
            }
        }
        let mut short = good[..HEADER_LEN + 4].to_vec();
        short[3..5].copy_from_slice(&4u16.to_be_bytes());
        assert!(matches!(
            fresh().open(&mut short),
            Err(Error::InputTooShort { .. })
        ));
        let mut big = vec![23, 3, 3, 0x48, 0x01];
        big.resize(HEADER_LEN + 0x4801, 0);
        assert!(matches!(
            fresh().open(&mut big),
            Err(Error::RecordOverflow { .. })
        ));
        let (typ, got) = opener.open(&mut good).unwrap();
        assert_eq!((typ, &*got), (ContentType::Handshake, &b"finished"[..]));
    }
}

#[test]
fn wrong_iv_lengths_are_refused() {
    let e = engine();
    assert!(matches!(
        Tls13Keys::new(&e, AeadAlg::Aes128Gcm, &[0; 16], &[0; 8]),
        Err(Error::InvalidNonceLength { expected: 12, .. })
    ));
    assert!(matches!(
        Tls12Keys::new(&e, AeadAlg::Aes128Gcm, &[0; 16], &[0; 12]),
        Err(Error::InvalidNonceLength { expected: 4, .. })
    ));
    assert!(matches!(
        Tls12Keys::new(&e, AeadAlg::ChaCha20Poly1305, &[0; 32], &[0; 4]),
        Err(Error::InvalidNonceLength { expected: 12, .. })
    ));
}

#[test]
fn debug_output_redacts_keys_and_ivs() {
    let e = engine();
    let keys = Tls13Keys::new(&e, AeadAlg::Aes128Gcm, &[0xab; 16], &[0xcd; 12]).unwrap();
    let shown = format!("{keys:?}");
    assert!(
        shown.contains("REDACTED") && !shown.contains("ab") && !shown.contains("cd"),
        "{shown}"
    );
}

#[test]
fn sealers_never_seal_one_sequence_number_twice() {
    fn check<S>(
        name: &str,
        sealer: S,
        with_sequence: impl Fn(S, u64) -> S,
        seal: impl Fn(&mut S, &mut Vec<u8>) -> Result<(), Error>,
    ) {
        let mut sealer = sealer;
        let mut out = Vec::new();
        seal(&mut sealer, &mut out).unwrap();
        seal(&mut sealer, &mut out).unwrap();
        // Back to 0 and 1: both sealed already, both refused, nothing written.
        for back in [0, 1] {
            sealer = with_sequence(sealer, back);
            let mut again = Vec::new();
            assert!(
                matches!(seal(&mut sealer, &mut again), Err(Error::Config(_))),
                "{name}: sequence number {back} sealed twice"
            );
            assert!(again.is_empty(), "{name}");
        }
        // Forward is fine, and so is coming back to a number skipped over.
        sealer = with_sequence(sealer, 10);
        seal(&mut sealer, &mut out).unwrap();
        sealer = with_sequence(sealer, 5);
        assert!(seal(&mut sealer, &mut out).is_err(), "{name}: 5 < 11");
        sealer = with_sequence(sealer, 11);
        seal(&mut sealer, &mut out).unwrap();
    }
    for alg in [
        AeadAlg::Aes128Gcm,
        AeadAlg::Aes256Gcm,
        AeadAlg::ChaCha20Poly1305,
    ] {
        check(
            &format!("TLS 1.3 {alg:?}"),
            tls13_pair(alg).0,
            |s, n| s.with_sequence(n),
            |s, out| s.seal(ContentType::ApplicationData, b"once", out),
        );
        check(
            &format!("TLS 1.2 {alg:?}"),
            tls12_pair(alg).0,
            |s, n| s.with_sequence(n),
            |s, out| s.seal(ContentType::ApplicationData, b"once", out),
        );
    }
}

#[test]
fn traffic_secrets_derive_the_rfc8448_key_and_iv() {
    let e = engine();
    // RFC 8448 §3: the server handshake traffic secret and its write key and IV.
    let secret = unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
    let derived = key_schedule::traffic_keys(AeadAlg::Aes128Gcm, &secret).unwrap();
    assert_eq!(
        hex::encode(&*derived.key),
        "3fce516009c21727d0f2e4e86ee403bc"
    );
    assert_eq!(hex::encode(*derived.iv), "5d313eb2671276ee13000b30");
    // SHA-384 (TLS_AES_256_GCM_SHA384), checked against OpenSSL's HKDF:
    // openssl kdf -keylen 32 -kdfopt digest:SHA384 -kdfopt mode:EXPAND_ONLY
    //   -kdfopt hexkey:0102..30 -kdfopt hexinfo:002009746c733133206b657900 HKDF
    let secret384: Vec<u8> = (1..=48).collect();
    let derived = key_schedule::traffic_keys(AeadAlg::Aes256Gcm, &secret384).unwrap();
    assert_eq!(
        hex::encode(&*derived.key),
        "ab56e7ea07eaef99986a0f0accb58f3ac7db5ce322196d9667722ed2a63d8a64"
    );
    assert_eq!(hex::encode(*derived.iv), "fc4dc87e05fa4337db00ad3d");

    // A sealer keyed from the secret writes RFC 8448's first server record.
    let r = &rfc8448::RECORDS[0];
    assert_eq!(r.key, "3fce516009c21727d0f2e4e86ee403bc");
    let keys = Tls13Keys::from_traffic_secret(&e, AeadAlg::Aes128Gcm, &secret).unwrap();
    let mut sealer = Tls13Sealer::new(keys).with_sequence(r.seq);
    let mut out = Vec::new();
    sealer
        .seal(
            ContentType::from_u8(r.content_type).unwrap(),
            &unhex(r.content),
            &mut out,
        )
        .unwrap();
    assert_eq!(hex::encode(out), r.record);

    // The secret must be the suite hash's length.
    for (alg, len) in [(AeadAlg::Aes128Gcm, 48), (AeadAlg::Aes256Gcm, 32)] {
        assert!(matches!(
            Tls13Keys::from_traffic_secret(&e, alg, &vec![1; len]),
            Err(Error::InvalidKeyLength { actual, .. }) if actual == len
        ));
    }
}

#[test]
fn a_record_that_fails_to_open_finishes_the_opener() {
    for alg in AeadAlg::all() {
        // TLS 1.3: a forged tag, then the genuine record at the same sequence number.
        let (mut sealer, mut opener) = tls13_pair(alg);
        let mut good = Vec::new();
        sealer
            .seal(ContentType::ApplicationData, b"genuine", &mut good)
            .unwrap();
        let mut forged = good.clone();
        *forged.last_mut().unwrap() ^= 1;
        assert_eq!(
            opener.open(&mut forged).unwrap_err(),
            Error::AuthenticationFailed
        );
        for _ in 0..3 {
            assert_eq!(
                opener.open(&mut good.clone()).unwrap_err(),
                Error::AuthenticationFailed,
                "TLS 1.3 {alg}: the opener kept opening after a forgery"
            );
        }
        // A hostile length field is as final.
        let (_, mut opener) = tls13_pair(alg);
        let mut big = vec![23, 3, 3, 0x48, 0x01];
        big.resize(HEADER_LEN + 0x4801, 0);
        assert!(opener.open(&mut big).is_err());
        assert!(matches!(
            opener.open(&mut good.clone()),
            Err(Error::RecordOverflow { .. })
        ));
        // A buffer that is not one record is the caller's mistake: nothing is finished.
        let (_, mut opener) = tls13_pair(alg);
        let cut = good.len() - 1;
        assert!(matches!(
            opener.open(&mut good.clone()[..cut]),
            Err(Error::Malformed(_))
        ));
        assert_eq!(opener.open(&mut good.clone()).unwrap().1, b"genuine");

        // TLS 1.2 likewise.
        let (mut sealer, mut opener) = tls12_pair(alg);
        let mut good = Vec::new();
        sealer
            .seal(ContentType::ApplicationData, b"genuine", &mut good)
            .unwrap();
        let mut forged = good.clone();
        *forged.last_mut().unwrap() ^= 1;
        assert_eq!(
            opener.open(&mut forged).unwrap_err(),
            Error::AuthenticationFailed
        );
        assert_eq!(
            opener.open(&mut good.clone()).unwrap_err(),
            Error::AuthenticationFailed,
            "TLS 1.2 {alg}: the opener kept opening after a forgery"
        );
        let (_, mut opener) = tls12_pair(alg);
        let mut unknown_type = good.clone();
        unknown_type[0] = 99;
        assert!(opener.open(&mut unknown_type).is_err());
        assert!(opener.open(&mut good.clone()).is_err());
    }
}

#[test]
fn a_seal_that_fails_leaves_no_header_or_plaintext() {
    const SECRET: &[u8] = b"plaintext that must not stay behind";
    let e = Engine::builder().ignore_env().fips(true).build().unwrap();
    let mut s13 =
        Tls13Sealer::new(Tls13Keys::new(&e, AeadAlg::Aes128Gcm, &[1; 16], &[2; 12]).unwrap());
    let mut s12 =
        Tls12Sealer::new(Tls12Keys::new(&e, AeadAlg::Aes128Gcm, &[1; 16], &[2; 4]).unwrap());
    // The sealers work, then the engine enters its error state (as a failed self-test or
    // a lost token would make the AEAD fail mid-seal).
    s13.seal(ContentType::ApplicationData, b"ok", &mut Vec::new())
        .unwrap();
    s12.seal(ContentType::ApplicationData, b"ok", &mut Vec::new())
        .unwrap();
    // One more, for the appending form, keyed before the error state.
    let mut s13_append =
        Tls13Sealer::new(Tls13Keys::new(&e, AeadAlg::Aes128Gcm, &[3; 16], &[4; 12]).unwrap());
    e.inner_state()
        .fail(Error::SelfTestFailed("tripped by the test".into()));
    let results = [
        {
            let mut out = vec![0xEE; 128];
            let r = s13.seal_into(ContentType::ApplicationData, SECRET, &mut out);
            (r, out, s13.record_len(SECRET.len()), s13.sequence())
        },
        {
            let mut out = vec![0xEE; 128];
            let r = s12.seal_into(ContentType::ApplicationData, SECRET, &mut out);
            (r, out, s12.record_len(SECRET.len()), s12.sequence())
        },
    ];
    for (version, (result, out, len, seq)) in ["1.3", "1.2"].into_iter().zip(results) {
        assert!(
            matches!(result, Err(Error::SelfTestFailed(_))),
            "TLS {version}: {result:?}"
        );
        assert!(
            out[..len].iter().all(|&b| b == 0),
            "TLS {version}: the failed record was left in the buffer: {:02x?}",
            &out[..len]
        );
        assert!(out[len..].iter().all(|&b| b == 0xEE), "TLS {version}");
        assert_eq!(seq, 1, "TLS {version}: the sequence number moved");
    }
    // Appending: the failed sealer refuses at once; one that has not failed yet gets as
    // far as the AEAD, and still leaves nothing appended.
    for sealer in [&mut s13, &mut s13_append] {
        let mut appended = b"earlier".to_vec();
        assert!(
            sealer
                .seal(ContentType::ApplicationData, SECRET, &mut appended)
                .is_err()
        );
        assert_eq!(appended, b"earlier");
    }
    assert_eq!(s13_append.sequence(), 0);
}
