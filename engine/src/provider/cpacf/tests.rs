//! The provider as a whole: on every architecture against the software model of the
//! instructions; on s390x (`hardware`) against the machine — under `qemu-s390x` that is
//! KIMD/KLMD SHA-512 and PRNO TRNG for real, with AES reported absent.

use super::Cpacf;
use super::backend::model::Model;
use super::query::{Capabilities, FacilityList, MSA, MSA4, MSA5, MSA8, QueryMask, fc, qemu_7_2};
use crate::Error;
use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};
use crate::cpu::CpuFeatures;
use crate::provider::rustcrypto::RustCrypto;
use crate::provider::{Provider, ProviderId};

/// A machine with every function the provider uses.
fn full() -> Capabilities {
    Capabilities::detect(FacilityList::with_bits(&[MSA, MSA4, MSA5, MSA8]), |_| {
        QueryMask::with_functions(&[
            0,
            fc::SHA_256,
            fc::SHA_512,
            fc::AES_128,
            fc::AES_192,
            fc::AES_256,
            fc::TRNG,
        ])
    })
}

/// Checks every algorithm `p` supports against `rustcrypto`, and that the others are
/// refused with `Unsupported`; returns how many cases ran.
fn matches_rustcrypto(p: &dyn Provider) -> usize {
    let rc = RustCrypto::new(CpuFeatures::get());
    let data: Vec<u8> = (0..20_064u32).map(|i| (i ^ (i >> 7)) as u8).collect();
    let lens = [
        0, 1, 15, 16, 17, 63, 64, 65, 111, 112, 127, 128, 129, 1000, 8191, 8192, 8193, 20_000,
    ];
    let mut cases = 0;
    for alg in Algorithm::all() {
        let supported = p.supports(alg);
        let unsupported = |r: Result<(), Error>| {
            assert_eq!(
                r,
                Err(Error::Unsupported {
                    provider: ProviderId::Cpacf,
                    algorithm: alg.id()
                }),
                "{alg}"
            );
        };
        match alg {
            Algorithm::Hash(h) => {
                if !supported {
                    unsupported(p.hash(h).map(drop));
                    continue;
                }
                for &len in &lens {
                    for piece in [len.max(1), 1, 100, 128, 4096] {
                        if piece == 1 && len > 1000 {
                            continue;
                        }
                        let mut ours = p.hash(h).unwrap();
                        for c in data[..len].chunks(piece) {
                            ours.update(c).unwrap();
                        }
                        let mut theirs = rc.hash(h).unwrap();
                        theirs.update(&data[..len]).unwrap();
                        assert_eq!(
                            ours.finish().unwrap(),
                            theirs.finish().unwrap(),
                            "{alg} len {len} in {piece}-byte pieces"
                        );
                        cases += 1;
                    }
                }
            }
            Algorithm::Aead(a) => {
                let key: Vec<u8> = (0..a.info().key_len as u8).collect();
                if !supported {
                    unsupported(p.aead(a, &key).map(drop));
                    continue;
                }
                let ours = p.aead(a, &key).unwrap();
                let theirs = rc.aead(a, &key).unwrap();
                for &len in &lens {
                    let nonce = [(len % 251) as u8; 12];
                    let aad = &data[len..len + len % 37];
                    let mut x = data[..len].to_vec();
                    let mut y = x.clone();
                    let tx = ours.seal_in_place(&nonce, aad, &mut x).unwrap();
                    let ty = theirs.seal_in_place(&nonce, aad, &mut y).unwrap();
                    assert!(x == y && tx == ty, "{alg} len {len}");
                    ours.open_in_place(&nonce, aad, &mut x, &tx).unwrap();
                    assert!(x == data[..len], "{alg} len {len}");
                    cases += 1;
                }
            }
            Algorithm::Cipher(c) => {
                let key: Vec<u8> = (0..c.info().key_len as u8).rev().collect();
                let iv = [0xff; 16];
                if !supported {
                    unsupported(p.cipher(c, &key, &iv).map(drop));
                    continue;
                }
                for &len in &lens {
                    let mut x = data[..len].to_vec();
                    let mut y = x.clone();
                    let mut ours = p.cipher(c, &key, &iv).unwrap();
                    for piece in x.chunks_mut(777) {
                        ours.apply_keystream(piece).unwrap();
                    }
                    rc.cipher(c, &key, &iv)
                        .unwrap()
                        .apply_keystream(&mut y)
                        .unwrap();
                    assert!(x == y, "{alg} len {len}");
                    cases += 1;
                }
            }
            Algorithm::Mac(m) => {
                assert!(!supported, "{alg}");
                unsupported(p.mac(m, b"key").map(drop));
            }
        }
    }
    cases
}

#[test]
fn model_provider_serves_aes_and_sha2_like_rustcrypto() {
    let p = Cpacf::new(Model, full()).unwrap();
    let served = p.info().algorithms;
    assert_eq!(
        served,
        vec![
            "aes-128-gcm",
            "aes-256-gcm",
            "aes-128-ctr",
            "aes-192-ctr",
            "aes-256-ctr",
            "sha256",
            "sha384",
            "sha512"
        ]
    );
    assert!(!p.supports(Algorithm::Aead(AeadAlg::ChaCha20Poly1305)));
    assert!(!p.supports(Algorithm::Mac(MacAlg::HmacSha256)));
    let cases = matches_rustcrypto(&p);
    println!("cpacf (software model of a full machine): {cases} cases match rustcrypto");
    assert!(cases > 300);
}

#[test]
fn model_provider_with_qemu_masks_serves_sha512_only() {
    let p = Cpacf::new(Model, qemu_7_2()).unwrap();
    assert_eq!(p.info().algorithms, vec!["sha384", "sha512"]);
    assert_eq!(p.id(), ProviderId::Cpacf);
    for alg in [AeadAlg::Aes128Gcm, AeadAlg::Aes256Gcm] {
        assert!(matches!(
            p.aead(alg, &vec![0; alg.info().key_len]),
            Err(Error::Unsupported { .. })
        ));
    }
    assert!(matches!(
        p.cipher(CipherAlg::Aes128Ctr, &[0; 16], &[0; 16]),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        p.hash(HashAlg::Sha256),
        Err(Error::Unsupported { .. })
    ));
    matches_rustcrypto(&p);
}

#[test]
fn detection_refuses_machines_without_what_it_uses() {
    let why = Cpacf::new(Model, Capabilities::default()).unwrap_err();
    assert!(
        why.contains("message-security assist (facility 17)"),
        "{why}"
    );
    let query_only =
        Capabilities::detect(FacilityList::with_bits(&[MSA, MSA4, MSA5, MSA8]), |_| {
            QueryMask::with_functions(&[0])
        });
    let why = Cpacf::new(Model, query_only).unwrap_err();
    assert!(why.contains("none of the functions"), "{why}");
    // TRNG alone is worth having: it feeds the engine's RNG.
    let trng_only = Capabilities::detect(FacilityList::with_bits(&[MSA, MSA5]), |_| {
        QueryMask::with_functions(&[0, fc::TRNG])
    });
    let p = Cpacf::new(Model, trng_only).unwrap();
    assert!(p.info().algorithms.is_empty());
    let mut buf = [0u8; 64];
    p.fill_random(&mut buf).unwrap();
    assert_ne!(buf, [0u8; 64]);
}

#[test]
fn registry_knows_cpacf_and_reports_it_per_architecture() {
    let found = crate::provider::candidates(CpuFeatures::get());
    let cpacf = found.iter().find(|c| c.id == ProviderId::Cpacf).unwrap();
    if cfg!(target_arch = "s390x") {
        assert!(cpacf.status.is_ok(), "{:?}", cpacf.status);
    } else {
        assert_eq!(cpacf.status.as_ref().unwrap_err(), "IBM Z only");
    }
    assert_eq!("cpacf".parse::<ProviderId>().unwrap(), ProviderId::Cpacf);
    let order = |id| ProviderId::ALL.iter().position(|&p| p == id).unwrap();
    assert!(order(ProviderId::Cpacf) < order(ProviderId::RustCrypto));
}

/// On the machine (or `qemu-s390x`).
#[cfg(target_arch = "s390x")]
mod hardware {
    use super::*;
    use crate::provider::cpacf::insn::{Hardware, capabilities};

    /// `scripts/cross-test` sets this when it runs the tests under `qemu-s390x`, whose
    /// CPACF (QEMU 7.2) is known exactly: KIMD/KLMD SHA-512 and PRNO TRNG, nothing else.
    const EXPECT_QEMU_ENV: &str = "WIRECRYPT_EXPECT_QEMU";

    fn provider() -> Cpacf<Hardware> {
        Cpacf::new(Hardware, capabilities().clone()).expect("CPACF is available")
    }

    #[test]
    fn detection_reports_facilities_and_masks() {
        let caps = capabilities();
        assert!(
            caps.facilities().has(MSA),
            "every z/Architecture Linux machine has MSA"
        );
        let p = provider();
        let info = p.info();
        for (k, v) in &info.details {
            println!("cpacf {k:<12} {v}");
        }
        for key in [
            "facilities",
            "stfle",
            "KM",
            "KMCTR",
            "KMA",
            "KIMD",
            "KLMD",
            "KMAC",
            "PRNO",
        ] {
            assert!(info.details.iter().any(|(k, _)| k == key), "{key}");
        }
        // `supports` is exactly what the masks say.
        for alg in Algorithm::all() {
            assert_eq!(p.supports(alg), caps.serves(alg), "{alg}");
        }
        if std::env::var(EXPECT_QEMU_ENV).is_ok_and(|v| v == "1") {
            assert_eq!(info.algorithms, vec!["sha384", "sha512"]);
            assert!(caps.trng().is_some());
            assert!(!p.supports(Algorithm::Aead(AeadAlg::Aes128Gcm)));
            assert!(!p.supports(Algorithm::Aead(AeadAlg::Aes256Gcm)));
            assert!(!p.supports(Algorithm::Cipher(CipherAlg::Aes256Ctr)));
            println!("cpacf: QEMU's CPACF as expected: SHA-384/512 and TRNG; AES absent");
        }
    }

    #[test]
    fn machine_matches_rustcrypto() {
        let p = provider();
        let cases = matches_rustcrypto(&p);
        println!(
            "cpacf (this machine): {cases} cases match rustcrypto for {:?}",
            p.info().algorithms
        );
        if p.supports(Algorithm::Hash(HashAlg::Sha512)) {
            assert!(cases >= 100);
        }
    }

    #[test]
    fn long_messages_cross_partial_completion() {
        // QEMU stops KIMD after 64 SHA-512 blocks with condition code 3; real machines
        // stop on their own schedule. 1 MiB in one update crosses that many times.
        let p = provider();
        if !p.supports(Algorithm::Hash(HashAlg::Sha512)) {
            println!("cpacf: no SHA-512 here; skipped");
            return;
        }
        let data: Vec<u8> = (0..(1u32 << 20) + 77).map(|i| (i * 31) as u8).collect();
        let rc = RustCrypto::new(CpuFeatures::get());
        for h in [HashAlg::Sha384, HashAlg::Sha512] {
            let mut ours = p.hash(h).unwrap();
            ours.update(&data).unwrap();
            let mut theirs = rc.hash(h).unwrap();
            theirs.update(&data).unwrap();
            assert_eq!(ours.finish().unwrap(), theirs.finish().unwrap(), "{h}");
        }
    }

    #[test]
    fn trng_fills_buffers_without_repeats() {
        let p = provider();
        if capabilities().trng().is_none() {
            println!("cpacf: no PRNO-TRNG here; random numbers come from the OS");
            return;
        }
        let mut seen = std::collections::HashSet::new();
        for len in [1, 15, 16, 17, 255, 256, 4096, 65_536] {
            let mut a = vec![0u8; len];
            let mut b = vec![0u8; len];
            p.fill_random(&mut a).unwrap();
            p.fill_random(&mut b).unwrap();
            if len >= 16 {
                assert_ne!(a, b, "two {len}-byte draws matched");
                assert!(a.iter().any(|&x| x != 0));
                // No 16-byte block repeats, within or across draws.
                for block in a.chunks_exact(16).chain(b.chunks_exact(16)) {
                    assert!(seen.insert(block.to_vec()), "a 16-byte block repeated");
                }
            }
        }
        // And through the engine's health-tested RNG, which uses the best provider.
        let engine = crate::Engine::builder().ignore_env().build().unwrap();
        let mut r = [0u8; 64];
        engine.rng().fill(&mut r).unwrap();
        assert_ne!(r, [0u8; 64]);
    }

    #[test]
    fn engine_selects_cpacf_where_it_serves() {
        let engine = crate::Engine::builder().ignore_env().build().unwrap();
        let caps = capabilities();
        for s in engine.selections() {
            let alg: Algorithm = s.algorithm.parse().unwrap();
            let want = if caps.serves(alg) {
                ProviderId::Cpacf
            } else {
                ProviderId::RustCrypto
            };
            assert_eq!(s.provider, Some(want), "{s:?}");
        }
    }
}
