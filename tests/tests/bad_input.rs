//! Bad input gets the right typed [`wirecrypt::Error`], for every available provider and
//! every algorithm it implements: never a panic, never released plaintext, and the keyed
//! object keeps working afterwards.

use wirecrypt::{
    AeadAlg, AeadKey, Algorithm, CipherAlg, Engine, Error, MacAlg, NONCE_LEN, Provider, TAG_LEN,
};
use wirecrypt_tests::{Tally, engine, providers, reference, supports};

const GUARD: u8 = 0xa5;
const TEST: &str = "bad input";

/// Asserts `got` is `want` and that its message is non-empty and names the algorithm.
fn expect_err<T: std::fmt::Debug>(got: Result<T, Error>, want: &Error, what: &str) {
    match got {
        Err(e) => {
            assert_eq!(&e, want, "{what}");
            let msg = e.to_string();
            assert!(!msg.is_empty(), "{what}: empty message");
            if let Some(s) = algorithm_of(&e) {
                assert!(msg.contains(s), "{what}: message {msg:?} does not name {s}");
            }
        }
        Ok(v) => panic!("{what}: accepted (got {v:?}), expected {want:?}"),
    }
}

fn algorithm_of(e: &Error) -> Option<&'static str> {
    match e {
        Error::InvalidKeyLength { algorithm, .. }
        | Error::InvalidNonceLength { algorithm, .. }
        | Error::InvalidTagLength { algorithm, .. } => Some(algorithm),
        _ => None,
    }
}

fn bad_lengths(good: usize, extra: &[usize]) -> Vec<usize> {
    let mut v: Vec<usize> = [0, 1, good.saturating_sub(1), good + 1, 2 * good]
        .iter()
        .chain(extra)
        .copied()
        .filter(|&n| n != good)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A round trip that must still work after the bad calls.
fn still_works(key: &dyn AeadKey, what: &str) {
    let mut buf = *b"still works";
    let tag = key.seal_in_place(&[3; 12], b"aad", &mut buf).unwrap();
    key.open_in_place(&[3; 12], b"aad", &mut buf, &tag)
        .unwrap_or_else(|e| panic!("{what}: the key broke after bad input: {e}"));
    assert_eq!(&buf, b"still works");
}

fn aead_bad_input(provider: &dyn Provider, alg: AeadAlg, tally: &mut Tally) {
    let id = alg.id();
    let key_len = alg.info().key_len;
    let what = |s: String| format!("{TEST} {id} [{}]: {s}", provider.id());

    for n in bad_lengths(key_len, &[16, 24, 32, 64]) {
        let want = Error::InvalidKeyLength {
            algorithm: id,
            expected: key_len,
            actual: n,
        };
        expect_err(
            provider.aead(alg, &vec![7; n]),
            &want,
            &what(format!("{n}-byte key")),
        );
        tally.invalid += 1;
    }

    let key = provider.aead(alg, &vec![7; key_len]).unwrap();
    let key = key.as_ref();
    let pt = b"attack at dawn, bring snacks".to_vec();
    let good_nonce = [1u8; NONCE_LEN];
    let mut sealed = vec![0; pt.len() + TAG_LEN];
    key.seal(&good_nonce, b"", &pt, &mut sealed).unwrap();
    let (ct, tag) = sealed.split_at(pt.len());

    for n in bad_lengths(NONCE_LEN, &[8, 16, 24]) {
        let nonce = vec![1; n];
        let want = Error::InvalidNonceLength {
            algorithm: id,
            expected: NONCE_LEN,
            actual: n,
        };
        let mut buf = pt.clone();
        expect_err(
            key.seal_in_place(&nonce, b"", &mut buf),
            &want,
            &what(format!("seal_in_place, {n}-byte nonce")),
        );
        let mut out = vec![GUARD; sealed.len()];
        expect_err(
            key.seal(&nonce, b"", &pt, &mut out),
            &want,
            &what(format!("seal, {n}-byte nonce")),
        );
        let mut buf = ct.to_vec();
        expect_err(
            key.open_in_place(&nonce, b"", &mut buf, tag),
            &want,
            &what(format!("open_in_place, {n}-byte nonce")),
        );
        assert!(
            buf.iter().all(|&b| b == 0),
            "{}",
            what(format!("open_in_place, {n}-byte nonce: buffer not wiped"))
        );
        let mut out = vec![GUARD; pt.len()];
        expect_err(
            key.open(&nonce, b"", &sealed, &mut out),
            &want,
            &what(format!("open, {n}-byte nonce")),
        );
        assert!(
            out.iter().all(|&b| b == 0 || b == GUARD),
            "{}",
            what(format!("open, {n}-byte nonce: output holds data"))
        );
        tally.invalid += 4;
    }

    for n in bad_lengths(TAG_LEN, &[4, 8, 12, 32]) {
        let bad_tag = vec![0; n];
        let want = Error::InvalidTagLength {
            algorithm: id,
            expected: TAG_LEN,
            actual: n,
        };
        let mut buf = ct.to_vec();
        expect_err(
            key.open_in_place(&good_nonce, b"", &mut buf, &bad_tag),
            &want,
            &what(format!("{n}-byte tag")),
        );
        assert!(
            buf.iter().all(|&b| b == 0),
            "{}",
            what(format!("{n}-byte tag: buffer not wiped"))
        );
        tally.invalid += 1;
    }

    // Output buffers too small for seal: nothing may be written.
    for n in [0, 1, pt.len(), pt.len() + TAG_LEN - 1] {
        let mut out = vec![GUARD; n];
        let want = Error::BufferTooSmall {
            needed: pt.len() + TAG_LEN,
            actual: n,
        };
        expect_err(
            key.seal(&good_nonce, b"", &pt, &mut out),
            &want,
            &what(format!("seal into {n} bytes")),
        );
        assert!(
            out.iter().all(|&b| b == GUARD),
            "{}",
            what(format!("seal into {n} bytes wrote to it"))
        );
        tally.invalid += 1;
    }
    // ... and for open.
    for n in [0, 1, pt.len() - 1] {
        let mut out = vec![GUARD; n];
        let want = Error::BufferTooSmall {
            needed: pt.len(),
            actual: n,
        };
        expect_err(
            key.open(&good_nonce, b"", &sealed, &mut out),
            &want,
            &what(format!("open into {n} bytes")),
        );
        assert!(
            out.iter().all(|&b| b == GUARD || b == 0),
            "{}",
            what(format!("open into {n} bytes released data"))
        );
        tally.invalid += 1;
    }
    // Sealed input shorter than a tag.
    for n in 0..TAG_LEN {
        let mut out = vec![GUARD; 64];
        let want = Error::InputTooShort {
            needed: TAG_LEN,
            actual: n,
        };
        expect_err(
            key.open(&good_nonce, b"", &sealed[..n], &mut out),
            &want,
            &what(format!("open of {n} sealed bytes")),
        );
        tally.invalid += 1;
    }
    // A tag-sized sealed input with an empty body is well formed, just not authentic here.
    let mut out = [GUARD; 4];
    expect_err(
        key.open(&good_nonce, b"", tag, &mut out),
        &Error::AuthenticationFailed,
        &what("open of a bare tag".into()),
    );
    tally.invalid += 1;

    still_works(key, &what("after bad input".into()));
    tally.check("keys still working afterwards", 1);
}

fn cipher_bad_input(provider: &dyn Provider, alg: CipherAlg, tally: &mut Tally) {
    let id = alg.id();
    let (key_len, iv_len) = (alg.info().key_len, alg.info().nonce_len);
    assert_eq!(iv_len, 16, "{id}: catalogue");
    let what = |s: String| format!("{TEST} {id} [{}]: {s}", provider.id());
    let iv = [0xf0u8; 16];
    let key = vec![9u8; key_len];

    for n in bad_lengths(key_len, &[16, 24, 32, 64]) {
        let want = Error::InvalidKeyLength {
            algorithm: id,
            expected: key_len,
            actual: n,
        };
        expect_err(
            provider.cipher(alg, &vec![9; n], &iv),
            &want,
            &what(format!("{n}-byte key")),
        );
        tally.invalid += 1;
    }
    for n in bad_lengths(iv_len, &[8, 12, 15, 17, 32]) {
        let want = Error::InvalidNonceLength {
            algorithm: id,
            expected: iv_len,
            actual: n,
        };
        expect_err(
            provider.cipher(alg, &key, &vec![0xf0; n]),
            &want,
            &what(format!("{n}-byte IV")),
        );
        tally.invalid += 1;
    }

    // An output shorter than the input: refused, and no keystream is consumed, so the
    // next call continues from the same position.
    let input = [0u8; 40];
    let want_ks = reference::aes_ctr(alg, &key, &iv, &input);
    let mut c = provider.cipher(alg, &key, &iv).unwrap();
    for n in [0, 1, 39] {
        let mut out = vec![GUARD; n];
        let want = Error::BufferTooSmall {
            needed: input.len(),
            actual: n,
        };
        expect_err(
            c.apply_keystream_to(&input, &mut out),
            &want,
            &what(format!("output of {n} bytes")),
        );
        tally.invalid += 1;
    }
    let mut out = [0u8; 40];
    c.apply_keystream_to(&input, &mut out).unwrap();
    assert_eq!(
        out[..],
        want_ks[..],
        "{}",
        what("keystream consumed by a refused call".into())
    );
    tally.check("streams still in position afterwards", 1);
}

fn mac_bad_input(provider: &dyn Provider, alg: MacAlg, tally: &mut Tally) {
    let id = alg.id();
    let full = alg.info().tag_len;
    let what = |s: String| format!("{TEST} {id} [{}]: {s}", provider.id());
    // HMAC takes keys of every length (RFC 2104): these are not errors.
    for n in [0, 1, 200, 1000] {
        let mac = provider
            .mac(alg, &vec![5; n])
            .unwrap_or_else(|e| panic!("{}", what(format!("{n}-byte key refused: {e}"))));
        assert_eq!(mac.sign(b"x").unwrap().len(), full);
    }
    tally.check("odd HMAC key lengths accepted", 4);
    let mac = provider.mac(alg, b"key").unwrap();
    let good = mac.sign(b"data").unwrap();
    for n in bad_lengths(full, &[12, 16, 32, 64]) {
        let mut tag = good.as_ref().to_vec();
        tag.resize(n, 0);
        let want = Error::InvalidTagLength {
            algorithm: id,
            expected: full,
            actual: n,
        };
        expect_err(
            mac.verify(b"data", &tag),
            &want,
            &what(format!("{n}-byte tag")),
        );
        expect_err(
            mac.verify_parts(&[b"da", b"ta"], &tag),
            &want,
            &what(format!("{n}-byte tag, parts")),
        );
        tally.invalid += 2;
    }
    assert_eq!(
        mac.verify(b"data", good.as_ref()),
        Ok(()),
        "{}",
        what("after bad input".into())
    );
}

#[test]
fn every_provider_types_its_errors() {
    for provider in providers() {
        let p = provider.as_ref();
        let mut tally = Tally::new(TEST, p.id());
        for alg in Algorithm::all() {
            if !supports(p, alg, TEST) {
                // A provider that lacks an algorithm must say so with an error, not panic.
                let refused = match alg {
                    Algorithm::Aead(a) => p.aead(a, &vec![0; a.info().key_len]).is_err(),
                    Algorithm::Cipher(c) => {
                        p.cipher(c, &vec![0; c.info().key_len], &[0; 16]).is_err()
                    }
                    Algorithm::Mac(m) => p.mac(m, b"k").is_err(),
                    Algorithm::Hash(h) => p.hash(h).is_err(),
                };
                assert!(
                    refused,
                    "{TEST} [{}]: {alg} is not supported yet was constructed",
                    p.id()
                );
                tally.check("unsupported algorithms refused", 1);
                tally.lacks(alg);
                continue;
            }
            match alg {
                Algorithm::Aead(a) => aead_bad_input(p, a, &mut tally),
                Algorithm::Cipher(c) => cipher_bad_input(p, c, &mut tally),
                Algorithm::Mac(m) => mac_bad_input(p, m, &mut tally),
                Algorithm::Hash(_) => tally.check("hashes (no bad input exists)", 1),
            }
        }
        tally.finish(None);
    }
}

#[test]
fn the_engine_front_door_types_its_errors() {
    let e: Engine = engine();
    let mut n = 0;
    for alg in AeadAlg::all() {
        let want = Error::InvalidKeyLength {
            algorithm: alg.id(),
            expected: alg.info().key_len,
            actual: 5,
        };
        expect_err(
            e.aead(alg, &[0; 5]),
            &want,
            &format!("engine {alg} 5-byte key"),
        );
        n += 1;
    }
    for alg in CipherAlg::all() {
        let key = vec![0; alg.info().key_len];
        let want = Error::InvalidNonceLength {
            algorithm: alg.id(),
            expected: 16,
            actual: 12,
        };
        expect_err(
            e.cipher(alg, &key, &[0; 12]),
            &want,
            &format!("engine {alg} 12-byte IV"),
        );
        n += 1;
    }
    for name in ["aes-192-gcm", "rc4", "", "aes-128-gcm "] {
        assert!(
            matches!(
                name.parse::<Algorithm>(),
                Err(Error::UnknownAlgorithm { .. })
            ),
            "{name:?} must be an unknown algorithm"
        );
        n += 1;
    }
    assert!(matches!(
        Engine::builder().provider("no-such-provider").build(),
        Err(Error::UnknownProvider { .. })
    ));
    n += 1;
    println!("{TEST} [engine front door]: {n} cases, 0 skipped");
}
