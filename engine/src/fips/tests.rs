//! FIPS mode: refusals, the GCM IV rule, self-tests and the error state.

use crate::algorithm::{AeadAlg, CipherAlg, HashAlg, MacAlg};
use crate::tls::{ContentType, Tls13Keys, Tls13Opener, Tls13Sealer};
use crate::{Engine, EngineRng, Error};

fn fips_engine() -> Engine {
    Engine::builder().ignore_env().fips(true).build().unwrap()
}

#[test]
fn non_approved_algorithms_cannot_be_constructed() {
    let e = fips_engine();
    assert!(e.fips_mode());
    e.status().unwrap();
    let err = e.aead(AeadAlg::ChaCha20Poly1305, &[0; 32]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::FipsNotApproved {
                what: "chacha20-poly1305",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("SP 800"),
        "the rule is named: {err}"
    );
    let err = e.mac(MacAlg::HmacSha1, &[0; 20]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::FipsNotApproved {
                what: "hmac-sha1",
                ..
            }
        ),
        "{err}"
    );
    // Approved ones still work.
    e.mac(MacAlg::HmacSha256, &[0; 32])
        .unwrap()
        .sign(b"x")
        .unwrap();
    e.cipher(CipherAlg::Aes256Ctr, &[0; 32], &[0; 16]).unwrap();
    e.digest(HashAlg::Sha384, b"abc").unwrap();
    let refused: Vec<_> = e
        .selections()
        .filter(|s| s.provider.is_none())
        .map(|s| s.algorithm)
        .collect();
    assert_eq!(refused, ["chacha20-poly1305", "hmac-sha1"]);
    assert!(
        e.selections()
            .all(|s| s.provider.is_some() || s.reason.starts_with("refused in FIPS mode"))
    );
}

#[test]
fn caller_chosen_gcm_ivs_are_refused_for_encryption_only() {
    let fips = fips_engine();
    let plain = Engine::builder().ignore_env().build().unwrap();
    let key = fips.aead(AeadAlg::Aes128Gcm, &[7; 16]).unwrap();
    let mut buf = *b"attack at dawn";
    let err = key.seal_in_place(&[1; 12], b"", &mut buf).unwrap_err();
    assert!(matches!(err, Error::FipsNotApproved { .. }), "{err}");
    assert_eq!(&buf, b"attack at dawn", "nothing was encrypted");
    // Decryption of data sealed elsewhere is allowed.
    let tag = plain
        .aead(AeadAlg::Aes128Gcm, &[7; 16])
        .unwrap()
        .seal_in_place(&[1; 12], b"", &mut buf)
        .unwrap();
    key.open_in_place(&[1; 12], b"", &mut buf, &tag).unwrap();
    assert_eq!(&buf, b"attack at dawn");
}

#[test]
fn engine_generated_ivs_and_protocol_constructions_are_allowed() {
    let e = fips_engine();
    let key = e.aead_random_iv(AeadAlg::Aes256Gcm, &[3; 32]).unwrap();
    let mut a = *b"same message";
    let mut b = *b"same message";
    let (na, ta) = key.seal(b"aad", &mut a).unwrap();
    let (nb, _) = key.seal(b"aad", &mut b).unwrap();
    assert_ne!(na, nb, "fresh nonce per message");
    key.open(&na, b"aad", &mut a, &ta).unwrap();
    assert_eq!(&a, b"same message");

    let mut sealer =
        Tls13Sealer::new(Tls13Keys::new(&e, AeadAlg::Aes256Gcm, &[9; 32], &[1; 12]).unwrap());
    let mut opener =
        Tls13Opener::new(Tls13Keys::new(&e, AeadAlg::Aes256Gcm, &[9; 32], &[1; 12]).unwrap());
    let mut rec = Vec::new();
    sealer
        .seal(ContentType::ApplicationData, b"ftps data", &mut rec)
        .unwrap();
    assert_eq!(opener.open(&mut rec).unwrap().1, b"ftps data");
    assert!(Tls13Keys::new(&e, AeadAlg::ChaCha20Poly1305, &[9; 32], &[1; 12]).is_err());
}

#[test]
fn self_tests_ran_on_every_provider_and_passed() {
    let e = fips_engine();
    let providers = e.available().count();
    assert!(e.self_tests().len() >= 10, "{:?}", e.self_tests());
    assert!(
        e.self_tests().iter().all(|r| r.passed()),
        "{:?}",
        e.self_tests()
    );
    // Every provider that serves an approved algorithm was tested (one that serves only
    // non-approved ones, like the ChaCha20 kernels, has nothing to serve in FIPS mode).
    let serves_approved = |p: &std::sync::Arc<dyn crate::Provider>| {
        crate::Algorithm::all().any(|a| p.supports(a) && a.info().fips.is_approved())
    };
    for p in e.available().filter(serves_approved) {
        assert!(
            e.self_tests().iter().any(|r| r.provider == p.id()),
            "{} untested",
            p.id()
        );
    }
    assert!(providers >= 1);
    // Outside FIPS mode nothing runs at build time, but the tests can be run on demand.
    let plain = Engine::builder().ignore_env().build().unwrap();
    assert!(plain.self_tests().is_empty());
    assert!(plain.run_self_tests().iter().all(|r| r.passed()));
}

#[test]
fn a_failed_self_test_puts_the_engine_in_its_error_state() {
    for name in super::selftest::names() {
        let e = Engine::builder()
            .ignore_env()
            .fips(true)
            .break_self_test(name)
            .build()
            .unwrap();
        let err = e.status().unwrap_err();
        assert!(
            matches!(&err, Error::SelfTestFailed(m) if m.contains(name)),
            "{err}"
        );
        // Every operation now fails with that error.
        assert_eq!(e.aead(AeadAlg::Aes128Gcm, &[0; 16]).unwrap_err(), err);
        assert_eq!(
            e.cipher(CipherAlg::Aes128Ctr, &[0; 16], &[0; 16])
                .unwrap_err(),
            err
        );
        assert_eq!(e.mac(MacAlg::HmacSha256, &[0; 32]).unwrap_err(), err);
        assert_eq!(e.digest(HashAlg::Sha256, b"").unwrap_err(), err);
        assert_eq!(e.rng().fill(&mut [0u8; 16]).unwrap_err(), err);
    }
}

#[test]
fn an_rng_health_failure_stops_keys_made_before_it() {
    let e = fips_engine();
    let mac = e.mac(MacAlg::HmacSha512, &[1; 64]).unwrap();
    let aead = e.aead_random_iv(AeadAlg::Aes128Gcm, &[2; 16]).unwrap();
    mac.sign(b"before").unwrap();
    // A stuck source, tied to this engine's error state as the engine's own RNG is.
    let mut stuck = EngineRng::from_fn(|b| {
        b.fill(0);
        Ok(())
    })
    .with_error_state(e.inner_state());
    assert!(stuck.fill(&mut [0u8; 64]).is_err());
    let err = e.status().unwrap_err();
    assert!(err.to_string().contains("health test"), "{err}");
    assert_eq!(mac.sign(b"after").unwrap_err(), err);
    assert_eq!(aead.seal(b"", &mut [0u8; 4]).unwrap_err(), err);
    assert_eq!(e.aead(AeadAlg::Aes256Gcm, &[0; 32]).unwrap_err(), err);
}

/// Every way an engine hands out a provider, each yielding the provider of `id`.
fn handed_providers(e: &Engine) -> Vec<(String, std::sync::Arc<dyn crate::Provider>)> {
    let mut all = Vec::new();
    for p in e.available() {
        all.push((format!("available() {}", p.id()), p.clone()));
        let by_id = e.provider(p.id()).unwrap();
        all.push((format!("provider({})", p.id()), by_id));
    }
    for c in e.candidates() {
        if let Ok(p) = &c.status {
            all.push((format!("candidates() {}", c.id), p.clone()));
        }
    }
    all.push((
        "provider_for(aes-128-gcm)".into(),
        e.provider_for(AeadAlg::Aes128Gcm).unwrap().clone(),
    ));
    all
}

#[test]
fn fips_rules_go_with_every_provider_handle() {
    let e = fips_engine();
    for (how, p) in handed_providers(&e) {
        // Not approved: refused at keying, whichever provider implements it.
        if p.supports(AeadAlg::ChaCha20Poly1305.into()) {
            assert!(
                matches!(
                    p.aead(AeadAlg::ChaCha20Poly1305, &[1; 32]),
                    Err(Error::FipsNotApproved { .. })
                ),
                "{how}: ChaCha20-Poly1305 keyed in FIPS mode"
            );
        }
        if p.supports(MacAlg::HmacSha1.into()) {
            assert!(
                matches!(
                    p.mac(MacAlg::HmacSha1, &[1; 20]),
                    Err(Error::FipsNotApproved { .. })
                ),
                "{how}: HMAC-SHA-1 keyed in FIPS mode"
            );
        }
        // Approved GCM: the key opens, but will not seal under the caller's nonce.
        if p.supports(AeadAlg::Aes128Gcm.into()) {
            let key = p.aead(AeadAlg::Aes128Gcm, &[2; 16]).unwrap();
            let mut data = *b"caller's nonce";
            assert!(
                matches!(
                    key.seal_in_place(&[0x77; 12], b"", &mut data),
                    Err(Error::FipsNotApproved { .. })
                ),
                "{how}: sealed under a caller-chosen GCM nonce"
            );
            let mut out = [0u8; 64];
            assert!(
                key.seal(&[0x77; 12], b"", b"x", &mut out).is_err(),
                "{how}: seal()"
            );
        }
    }

    // The error state reaches every handle, and every key made from one before.
    let key = e.provider_for(CipherAlg::Aes128Ctr).unwrap().cipher(
        CipherAlg::Aes128Ctr,
        &[3; 16],
        &[0; 16],
    );
    let mut key = key.unwrap();
    let handles = handed_providers(&e);
    e.inner_state()
        .fail(Error::SelfTestFailed("tripped by the test".into()));
    assert!(matches!(
        key.apply_keystream(&mut [0; 16]),
        Err(Error::SelfTestFailed(_))
    ));
    for (how, p) in handles {
        for made in [
            p.aead(AeadAlg::Aes256Gcm, &[4; 32]).map(drop),
            p.cipher(CipherAlg::Aes256Ctr, &[4; 32], &[0; 16]).map(drop),
            p.mac(MacAlg::HmacSha256, &[4; 32]).map(drop),
            p.hash(HashAlg::Sha256).map(drop),
        ] {
            if let Err(e) = &made {
                assert!(matches!(e, Error::SelfTestFailed(_)), "{how}: {e}");
            } else {
                panic!("{how}: keyed in the error state");
            }
        }
        let mut random = [0u8; 32];
        assert!(p.fill_random(&mut random).is_err(), "{how}: random bytes");
        assert!(
            EngineRng::new(p.clone()).fill(&mut random).is_err(),
            "{how}: an EngineRng over it drew in the error state"
        );
    }
}

#[test]
fn outside_fips_mode_providers_key_everything_they_implement() {
    let e = Engine::builder().ignore_env().build().unwrap();
    let p = e.provider(crate::ProviderId::RustCrypto).unwrap();
    let key = p.aead(AeadAlg::ChaCha20Poly1305, &[1; 32]).unwrap();
    let mut data = *b"free";
    key.seal_in_place(&[0x77; 12], b"", &mut data).unwrap();
}
