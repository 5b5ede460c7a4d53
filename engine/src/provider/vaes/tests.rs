//! Known answers (NIST GCM test cases, SP 800-38A CTR) and differential tests against the
//! `rustcrypto` provider, run on every width this CPU has: `vaes512` and `vaes256`. A
//! width the CPU lacks is skipped with a line saying so ("skipped: no AVX-512").

use super::{Vaes256, Vaes256Cpu, Vaes512, Vaes512Cpu};
use crate::algorithm::{AeadAlg, CipherAlg, HashAlg, MacAlg};
use crate::cpu::{CpuFeatures, Feature};
use crate::provider::rustcrypto::RustCrypto;
use crate::provider::{AeadKey, Provider, StreamCipher};
use crate::{Error, TAG_LEN};

/// Every width this CPU runs, each as its provider; prints what is skipped.
fn providers(test: &str) -> Vec<Box<dyn Provider>> {
    let cpu = CpuFeatures::get();
    let mut found: Vec<Box<dyn Provider>> = Vec::new();
    match Vaes512::detect(cpu) {
        Ok(p) => found.push(Box::new(p)),
        Err(why) => eprintln!("{test} [vaes512]: skipped: no AVX-512 ({why})"),
    }
    match Vaes256::detect(cpu) {
        Ok(p) => found.push(Box::new(p)),
        Err(why) => eprintln!("{test} [vaes256]: skipped: {why}"),
    }
    found
}

/// Runs `check` on every width this CPU has.
fn for_each_width(test: &str, check: impl Fn(&dyn Provider)) {
    for p in providers(test) {
        eprintln!("{test} [{}]", p.id());
        check(&*p);
    }
}

fn reference() -> RustCrypto {
    RustCrypto::new(CpuFeatures::get())
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("test vector hex")
}

/// Deterministic test bytes (xorshift64*), different for each `seed`.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// (alg, key, nonce, aad, plaintext, ciphertext, tag): McGrew and Viega, "The
/// Galois/Counter Mode of Operation (GCM)", Appendix B, Test Cases 1-4 and 13-16.
const NIST_GCM: &[(AeadAlg, &str, &str, &str, &str, &str, &str)] = &[
    (
        AeadAlg::Aes128Gcm,
        "00000000000000000000000000000000",
        "000000000000000000000000",
        "",
        "",
        "",
        "58e2fccefa7e3061367f1d57a4e7455a",
    ),
    (
        AeadAlg::Aes128Gcm,
        "00000000000000000000000000000000",
        "000000000000000000000000",
        "",
        "00000000000000000000000000000000",
        "0388dace60b6a392f328c2b971b2fe78",
        "ab6e47d42cec13bdf53a67b21257bddf",
    ),
    (
        AeadAlg::Aes128Gcm,
        "feffe9928665731c6d6a8f9467308308",
        "cafebabefacedbaddecaf888",
        "",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
        "4d5c2af327cd64a62cf35abd2ba6fab4",
    ),
    (
        AeadAlg::Aes128Gcm,
        "feffe9928665731c6d6a8f9467308308",
        "cafebabefacedbaddecaf888",
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
        "5bc94fbc3221a5db94fae95ae7121a47",
    ),
    (
        AeadAlg::Aes256Gcm,
        "0000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000",
        "",
        "",
        "",
        "530f8afbc74536b9a963b4f1c4cb738b",
    ),
    (
        AeadAlg::Aes256Gcm,
        "0000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000",
        "",
        "00000000000000000000000000000000",
        "cea7403d4d606b6e074ec5d3baf39d18",
        "d0d1c8a799996bf0265b98b5d48ab919",
    ),
    (
        AeadAlg::Aes256Gcm,
        "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        "cafebabefacedbaddecaf888",
        "",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
        "b094dac5d93471bdec1a502270e3cc6c",
    ),
    (
        AeadAlg::Aes256Gcm,
        "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        "cafebabefacedbaddecaf888",
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b",
    ),
];

/// (alg, key, iv, plaintext, ciphertext): SP 800-38A F.5.1, F.5.3, F.5.5.
const SP800_38A_CTR: &[(CipherAlg, &str, &str, &str, &str)] = &[
    (
        CipherAlg::Aes128Ctr,
        "2b7e151628aed2a6abf7158809cf4f3c",
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
    ),
    (
        CipherAlg::Aes192Ctr,
        "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e941e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050",
    ),
    (
        CipherAlg::Aes256Ctr,
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
    ),
];

#[test]
fn nist_gcm_test_cases() {
    for_each_width("nist_gcm_test_cases", |p| {
        for (i, &(alg, key, nonce, aad, pt, ct, tag)) in NIST_GCM.iter().enumerate() {
            let key = p.aead(alg, &unhex(key)).unwrap();
            let (nonce, aad, ct, tag) = (unhex(nonce), unhex(aad), unhex(ct), unhex(tag));
            let mut buf = unhex(pt);
            let got = key.seal_in_place(&nonce, &aad, &mut buf).unwrap();
            assert_eq!(buf, ct, "case {i}: ciphertext");
            assert_eq!(got.as_slice(), tag.as_slice(), "case {i}: tag");
            key.open_in_place(&nonce, &aad, &mut buf, &tag).unwrap();
            assert_eq!(buf, unhex(pt), "case {i}: open");
        }
    });
}

#[test]
fn sp800_38a_ctr() {
    for_each_width("sp800_38a_ctr", |p| {
        for &(alg, key, iv, pt, ct) in SP800_38A_CTR {
            let mut c = p.cipher(alg, &unhex(key), &unhex(iv)).unwrap();
            let mut buf = unhex(pt);
            c.apply_keystream(&mut buf).unwrap();
            assert_eq!(buf, unhex(ct), "{alg}");
        }
    });
}

/// Seals with both providers, in place and out of place, and checks that each opens the
/// other's output.
fn gcm_agrees(ours: &dyn AeadKey, theirs: &dyn AeadKey, seed: u64, len: usize, aad_len: usize) {
    let nonce = bytes(seed ^ 0x6e6f6e6365, 12);
    let aad = bytes(seed ^ 0x616164, aad_len);
    let pt = bytes(seed, len);
    let ctx = format!("{} len {len} aad {aad_len}", ours.algorithm());

    let mut expected = vec![0u8; len + TAG_LEN];
    theirs.seal(&nonce, &aad, &pt, &mut expected).unwrap();

    let mut in_place = pt.clone();
    let tag = ours.seal_in_place(&nonce, &aad, &mut in_place).unwrap();
    assert_eq!(in_place, expected[..len], "{ctx}: in-place ciphertext");
    assert_eq!(tag.as_slice(), &expected[len..], "{ctx}: in-place tag");

    // Out of place, into a larger buffer at an odd offset.
    let mut out = vec![0xa5u8; len + TAG_LEN + 3];
    let n = ours.seal(&nonce, &aad, &pt, &mut out[1..]).unwrap();
    assert_eq!(n, len + TAG_LEN);
    assert_eq!(out[1..=n], expected[..], "{ctx}: out-of-place");
    assert_eq!((out[0], out[n + 1]), (0xa5, 0xa5), "{ctx}: guard bytes");

    let mut opened = vec![0u8; len];
    assert_eq!(
        ours.open(&nonce, &aad, &expected, &mut opened).unwrap(),
        len
    );
    assert_eq!(opened, pt, "{ctx}: open out of place");
    ours.open_in_place(&nonce, &aad, &mut in_place, &tag)
        .unwrap();
    assert_eq!(in_place, pt, "{ctx}: open in place");
}

#[test]
fn gcm_matches_rustcrypto_for_every_length_to_600() {
    for_each_width("gcm_matches_rustcrypto_for_every_length_to_600", |p| {
        let r = reference();
        for alg in [AeadAlg::Aes128Gcm, AeadAlg::Aes256Gcm] {
            let key = bytes(alg as u64, alg.info().key_len);
            let (ours, theirs) = (p.aead(alg, &key).unwrap(), r.aead(alg, &key).unwrap());
            for len in 0..=600 {
                // Every AAD length 0..=100 occurs, against many message lengths each.
                let aad_len = (len * 37) % 101;
                gcm_agrees(&*ours, &*theirs, len as u64, len, aad_len);
            }
            for aad_len in 0..=300 {
                gcm_agrees(&*ours, &*theirs, aad_len as u64, 129, aad_len);
            }
        }
    });
}

#[test]
fn gcm_matches_rustcrypto_for_large_messages() {
    for_each_width("gcm_matches_rustcrypto_for_large_messages", |p| {
        let r = reference();
        for alg in [AeadAlg::Aes128Gcm, AeadAlg::Aes256Gcm] {
            for (i, &len) in [1023, 1024, 4096 + 17, 16384, 65536, 65536 + 13, 200_003]
                .iter()
                .enumerate()
            {
                let key = bytes(1000 + i as u64, alg.info().key_len);
                let (ours, theirs) = (p.aead(alg, &key).unwrap(), r.aead(alg, &key).unwrap());
                gcm_agrees(&*ours, &*theirs, i as u64, len, 13);
                gcm_agrees(&*ours, &*theirs, i as u64 + 50, len, 1000);
            }
        }
    });
}

#[test]
fn gcm_refuses_tampering_and_wipes_the_buffer() {
    for_each_width("gcm_refuses_tampering_and_wipes_the_buffer", |p| {
        let key = p.aead(AeadAlg::Aes256Gcm, &[7; 32]).unwrap();
        let nonce = [9u8; 12];
        for len in [0, 1, 16, 100, 128, 300, 4096] {
            let pt = bytes(len as u64, len);
            let mut sealed = pt.clone();
            let tag = key.seal_in_place(&nonce, b"hdr", &mut sealed).unwrap();

            for bit in [0, 7, 64, 127] {
                let mut bad_tag = tag;
                bad_tag[bit / 8] ^= 1 << (bit % 8);
                let mut buf = sealed.clone();
                let err = key.open_in_place(&nonce, b"hdr", &mut buf, &bad_tag);
                assert_eq!(err, Err(Error::AuthenticationFailed), "len {len} bit {bit}");
                assert!(buf.iter().all(|&b| b == 0), "len {len}: buffer not wiped");
            }
            if len > 0 {
                let mut buf = sealed.clone();
                buf[len / 2] ^= 0x10;
                let err = key.open_in_place(&nonce, b"hdr", &mut buf, &tag);
                assert_eq!(
                    err,
                    Err(Error::AuthenticationFailed),
                    "len {len}: ciphertext"
                );
                assert!(buf.iter().all(|&b| b == 0));
            }
            let mut buf = sealed.clone();
            let err = key.open_in_place(&nonce, b"hdR", &mut buf, &tag);
            assert_eq!(err, Err(Error::AuthenticationFailed), "len {len}: aad");
            assert!(buf.iter().all(|&b| b == 0));

            let mut buf = sealed.clone();
            let err = key.open_in_place(&nonce, b"hdr", &mut buf, &tag[..15]);
            assert!(
                matches!(err, Err(Error::InvalidTagLength { .. })),
                "{err:?}"
            );
            assert!(buf.iter().all(|&b| b == 0));

            let mut buf = sealed.clone();
            key.open_in_place(&nonce, b"hdr", &mut buf, &tag).unwrap();
            assert_eq!(buf, pt);
        }
    });
}

#[test]
fn gcm_checks_lengths_before_any_crypto() {
    for_each_width("gcm_checks_lengths_before_any_crypto", |p| {
        assert!(matches!(
            p.aead(AeadAlg::Aes128Gcm, &[0; 32]),
            Err(Error::InvalidKeyLength { .. })
        ));
        assert!(matches!(
            p.aead(AeadAlg::Aes256Gcm, &[0; 16]),
            Err(Error::InvalidKeyLength { .. })
        ));
        let key = p.aead(AeadAlg::Aes128Gcm, &[0; 16]).unwrap();
        let mut buf = [1u8; 20];
        assert!(matches!(
            key.seal_in_place(&[0; 8], b"", &mut buf),
            Err(Error::InvalidNonceLength { .. })
        ));
        assert_eq!(buf, [1u8; 20], "a refused seal leaves the buffer alone");
        assert!(matches!(
            key.open_in_place(&[0; 13], b"", &mut buf, &[0; 16]),
            Err(Error::InvalidNonceLength { .. })
        ));
        assert_eq!(buf, [0u8; 20], "a refused open wipes the buffer");
    });
}

/// Applies `c` to `data` in the pieces `cuts` marks.
fn apply_in_pieces(c: &mut dyn StreamCipher, data: &mut [u8], cuts: &[usize]) {
    let mut start = 0;
    for &end in cuts.iter().chain([&data.len()]) {
        c.apply_keystream(&mut data[start..end]).unwrap();
        start = end;
    }
}

#[test]
fn ctr_matches_rustcrypto_including_counter_wrap() {
    for_each_width("ctr_matches_rustcrypto_including_counter_wrap", |p| {
        let r = reference();
        let mut ivs = vec![
            [0xff; 16],
            // The low 64 bits wrap into the high 64 bits mid-batch.
            u128::to_be_bytes(0x0123_4567_89ab_cdef_ffff_ffff_ffff_fffb),
            u128::to_be_bytes(u128::MAX - 100),
            // GCM-like: the low 32 bits wrap (which a 32-bit counter would get wrong).
            u128::to_be_bytes(0x0000_0000_0000_0000_0000_0000_ffff_fffe),
            [0; 16],
        ];
        // The low-half wrap at every position of the first three batches of sixteen blocks
        // (and of the first batches of thirty-two on 512-bit registers).
        ivs.extend(
            (0..=40)
                .chain([47, 63, 64, 65, 95, 96])
                .map(|k| u128::to_be_bytes(0x1234_ffff_ffff_ffff_ffff - k)),
        );
        for alg in [
            CipherAlg::Aes128Ctr,
            CipherAlg::Aes192Ctr,
            CipherAlg::Aes256Ctr,
        ] {
            let key = bytes(alg as u64 + 77, alg.info().key_len);
            for iv in &ivs {
                for len in (0..=300).chain([1024, 4099, 65536 + 13]) {
                    let pt = bytes(len as u64, len);
                    let mut expected = pt.clone();
                    r.cipher(alg, &key, iv)
                        .unwrap()
                        .apply_keystream(&mut expected)
                        .unwrap();
                    let mut got = pt.clone();
                    p.cipher(alg, &key, iv)
                        .unwrap()
                        .apply_keystream(&mut got)
                        .unwrap();
                    assert_eq!(got, expected, "{alg} iv {iv:02x?} len {len}");
                    let mut out = vec![0u8; len];
                    p.cipher(alg, &key, iv)
                        .unwrap()
                        .apply_keystream_to(&pt, &mut out)
                        .unwrap();
                    assert_eq!(out, expected, "{alg} iv {iv:02x?} len {len}: out of place");
                }
            }
        }
    });
}

#[test]
fn ctr_split_at_every_position_gives_the_same_stream() {
    for_each_width("ctr_split_at_every_position_gives_the_same_stream", |p| {
        let key = bytes(5, 32);
        let iv = u128::to_be_bytes(u128::MAX - 9);
        let len = 400;
        let pt = bytes(6, len);
        let mut whole = pt.clone();
        p.cipher(CipherAlg::Aes256Ctr, &key, &iv)
            .unwrap()
            .apply_keystream(&mut whole)
            .unwrap();
        for cut in 0..=len {
            let mut c = p.cipher(CipherAlg::Aes256Ctr, &key, &iv).unwrap();
            let mut buf = pt.clone();
            apply_in_pieces(&mut *c, &mut buf, &[cut]);
            assert_eq!(buf, whole, "one cut at {cut}");
        }
        for a in 0..40 {
            for b in a..a + 150 {
                let mut c = p.cipher(CipherAlg::Aes256Ctr, &key, &iv).unwrap();
                let mut buf = pt.clone();
                apply_in_pieces(&mut *c, &mut buf, &[a, b, b + 3, b + 3 + a]);
                assert_eq!(buf, whole, "cuts at {a}, {b}");
            }
        }
        // Byte by byte.
        let mut c = p.cipher(CipherAlg::Aes256Ctr, &key, &iv).unwrap();
        let mut buf = pt.clone();
        for byte in buf.chunks_mut(1) {
            c.apply_keystream(byte).unwrap();
        }
        assert_eq!(buf, whole, "byte by byte");
    });
}

#[test]
fn ctr_checks_key_and_iv_lengths() {
    for_each_width("ctr_checks_key_and_iv_lengths", |p| {
        assert!(matches!(
            p.cipher(CipherAlg::Aes192Ctr, &[0; 16], &[0; 16]),
            Err(Error::InvalidKeyLength { .. })
        ));
        assert!(matches!(
            p.cipher(CipherAlg::Aes128Ctr, &[0; 16], &[0; 12]),
            Err(Error::InvalidNonceLength { .. })
        ));
    });
}

#[test]
fn serves_only_aes_and_says_so() {
    for_each_width("serves_only_aes_and_says_so", |p| {
        assert!(p.supports(AeadAlg::Aes128Gcm.into()));
        assert!(p.supports(CipherAlg::Aes192Ctr.into()));
        assert!(!p.supports(AeadAlg::ChaCha20Poly1305.into()));
        assert!(!p.supports(MacAlg::HmacSha256.into()));
        assert!(!p.supports(HashAlg::Sha256.into()));
        assert!(matches!(
            p.aead(AeadAlg::ChaCha20Poly1305, &[0; 32]),
            Err(Error::Unsupported { .. })
        ));
        assert!(matches!(
            p.mac(MacAlg::HmacSha256, &[0; 32]),
            Err(Error::Unsupported { .. })
        ));
        assert!(matches!(
            p.hash(HashAlg::Sha512),
            Err(Error::Unsupported { .. })
        ));
        let info = p.info();
        assert_eq!(info.algorithms.len(), 5, "{:?}", info.algorithms);
        let mut r = [0u8; 32];
        p.fill_random(&mut r).unwrap();
        assert_ne!(r, [0; 32]);
    });
}

#[test]
fn debug_redacts_keys() {
    for_each_width("debug_redacts_keys", |p| {
        let aead = p.aead(AeadAlg::Aes128Gcm, &[0x41; 16]).unwrap();
        let ctr = p
            .cipher(CipherAlg::Aes128Ctr, &[0x41; 16], &[0; 16])
            .unwrap();
        for shown in [format!("{aead:?}"), format!("{ctr:?}")] {
            assert!(shown.contains("REDACTED"), "{shown}");
            assert!(!shown.contains("41") && !shown.contains("65"), "{shown}");
        }
    });
}

#[test]
fn the_tokens_need_every_feature() {
    let cpu = CpuFeatures::get();
    for &missing in Vaes256Cpu::FEATURES {
        let masked = cpu.without(&[missing]);
        assert!(Vaes256Cpu::new(&masked).is_none(), "{missing}");
        let why = Vaes256::detect(&masked).unwrap_err();
        assert!(
            why.starts_with("needs vaes, vpclmulqdq, avx2") && why.contains(missing.name()),
            "{why}"
        );
    }
    for &missing in Vaes512Cpu::FEATURES {
        let masked = cpu.without(&[missing]);
        assert!(Vaes512Cpu::new(&masked).is_none(), "{missing}");
        let why = Vaes512::detect(&masked).unwrap_err();
        assert!(
            why.starts_with("needs avx512f, avx512bw, avx512vl, vaes, vpclmulqdq")
                && why.contains(missing.name()),
            "{why}"
        );
    }
    let without_all = cpu.without(&[Feature::Vaes, Feature::Vpclmulqdq]);
    let why = Vaes256::detect(&without_all).unwrap_err();
    assert!(why.ends_with("missing vaes, vpclmulqdq"), "{why}");
    // AVX-512 alone gone: vaes512 says so, vaes256 is unaffected.
    let no_avx512 = cpu.without(&[Feature::Avx512f]);
    let why = Vaes512::detect(&no_avx512).unwrap_err();
    assert!(why.ends_with("missing avx512f"), "{why}");
    assert_eq!(
        Vaes256::detect(&no_avx512).is_ok(),
        Vaes256::detect(cpu).is_ok()
    );
}

/// Message lengths around every boundary the kernels have: empty, partial and whole
/// blocks and registers (32 and 64 bytes), one batch (256 and 512 bytes) and its
/// neighbours, several batches with and without a tail.
const LENGTH_CLASSES: &[usize] = &[
    0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 256, 257, 272, 511, 512, 513, 767, 768,
    1000, 1023, 1024, 1025, 1420, 1535, 1536, 1537, 4096, 4113, 16384,
];

/// A sealed message and the context to open it, for the tampering tests.
struct Sealed {
    nonce: Vec<u8>,
    aad: Vec<u8>,
    pt: Vec<u8>,
    /// ciphertext ‖ tag
    sealed: Vec<u8>,
}

fn sealed(key: &dyn AeadKey, seed: u64, len: usize, aad_len: usize) -> Sealed {
    let nonce = bytes(seed ^ 0x6e6f6e6365, 12);
    let aad = bytes(seed ^ 0x616164, aad_len);
    let pt = bytes(seed, len);
    let mut sealed = vec![0u8; len + TAG_LEN];
    key.seal(&nonce, &aad, &pt, &mut sealed).unwrap();
    Sealed {
        nonce,
        aad,
        pt,
        sealed,
    }
}

/// Opens `m` (after the caller's tampering) in place and out of place, expects an
/// authentication failure both ways, and checks that no byte of plaintext (or
/// ciphertext) is left in the output: in place the buffer is all zeros; out of place
/// the body is all zeros and the bytes after it are untouched.
fn assert_refused_and_wiped(key: &dyn AeadKey, m: &Sealed, ctx: &str) {
    let len = m.pt.len();
    let (ct, tag) = m.sealed.split_at(len);

    let mut buf = ct.to_vec();
    let err = key.open_in_place(&m.nonce, &m.aad, &mut buf, tag);
    assert_eq!(err, Err(Error::AuthenticationFailed), "{ctx}: in place");
    assert!(buf.iter().all(|&b| b == 0), "{ctx}: in place: not wiped");

    let mut out = vec![0xa5u8; len + 40];
    let err = key.open(&m.nonce, &m.aad, &m.sealed, &mut out[3..]);
    assert_eq!(err, Err(Error::AuthenticationFailed), "{ctx}: out of place");
    assert!(
        out[3..3 + len].iter().all(|&b| b == 0),
        "{ctx}: out of place: not wiped"
    );
    assert!(
        out[..3].iter().chain(&out[3 + len..]).all(|&b| b == 0xa5),
        "{ctx}: out of place: wrote outside the body"
    );
}

#[test]
fn fused_open_wipes_the_output_on_any_tampering() {
    for_each_width("fused_open_wipes_the_output_on_any_tampering", |p| {
        for alg in [AeadAlg::Aes128Gcm, AeadAlg::Aes256Gcm] {
            let key = p
                .aead(alg, &bytes(alg as u64 + 3, alg.info().key_len))
                .unwrap();
            let key = &*key;
            for &len in LENGTH_CLASSES {
                let ctx = format!("{alg} len {len}");
                let good = sealed(key, len as u64, len, 13);

                // The untampered message opens both ways.
                let mut buf = good.sealed[..len].to_vec();
                key.open_in_place(&good.nonce, &good.aad, &mut buf, &good.sealed[len..])
                    .unwrap();
                assert_eq!(buf, good.pt, "{ctx}: in place");
                let mut out = vec![0u8; len];
                key.open(&good.nonce, &good.aad, &good.sealed, &mut out)
                    .unwrap();
                assert_eq!(out, good.pt, "{ctx}: out of place");

                // A flipped bit in the tag, in the first and last bytes and the middle.
                for bit in [0, 7, 60, 127] {
                    let mut m = sealed(key, len as u64, len, 13);
                    m.sealed[len + bit / 8] ^= 1 << (bit % 8);
                    assert_refused_and_wiped(key, &m, &format!("{ctx}: tag bit {bit}"));
                }
                // A flipped bit in the AAD.
                for at in [0, 6, 12] {
                    let mut m = sealed(key, len as u64, len, 13);
                    m.aad[at] ^= 0x80;
                    assert_refused_and_wiped(key, &m, &format!("{ctx}: aad byte {at}"));
                }
                // A flipped bit in the ciphertext: first byte, last byte, and one in every
                // batch of sixteen blocks.
                if len > 0 {
                    let mut positions = vec![0, len - 1, len / 2];
                    positions.extend((0..len).step_by(256).map(|b| (b + 129).min(len - 1)));
                    for at in positions {
                        let mut m = sealed(key, len as u64, len, 13);
                        m.sealed[at] ^= 0x01;
                        assert_refused_and_wiped(key, &m, &format!("{ctx}: ciphertext byte {at}"));
                    }
                }
                // A different nonce: the whole message is someone else's.
                let mut m = sealed(key, len as u64, len, 13);
                m.nonce[11] ^= 1;
                assert_refused_and_wiped(key, &m, &format!("{ctx}: nonce"));
            }
        }
    });
}

/// Seal and open out of place between buffers at every pair of offsets 0..64 (so every
/// relative misalignment of input and output), against the in-place result.
#[test]
fn out_of_place_at_every_offset() {
    for_each_width("out_of_place_at_every_offset", |p| {
        for alg in [AeadAlg::Aes128Gcm, AeadAlg::Aes256Gcm] {
            let key = p
                .aead(alg, &bytes(alg as u64 + 9, alg.info().key_len))
                .unwrap();
            let nonce = bytes(77, 12);
            let aad = bytes(78, 21);
            // Two batches of either width and a tail with a partial block, and a short
            // message.
            for len in [1100, 47] {
                let pt = bytes(len as u64, len);
                let mut expected = pt.clone();
                let tag = key.seal_in_place(&nonce, &aad, &mut expected).unwrap();
                expected.extend_from_slice(&tag);

                let mut src = vec![0u8; len + TAG_LEN + 64];
                let mut dst = vec![0u8; len + TAG_LEN + 64];
                for in_off in 0..64 {
                    for out_off in 0..64 {
                        let ctx = format!("{alg} len {len} in +{in_off} out +{out_off}");
                        src[in_off..in_off + len].copy_from_slice(&pt);
                        dst.fill(0x5c);
                        let n = key
                            .seal(
                                &nonce,
                                &aad,
                                &src[in_off..in_off + len],
                                &mut dst[out_off..],
                            )
                            .unwrap();
                        assert_eq!(n, len + TAG_LEN);
                        assert_eq!(dst[out_off..out_off + n], expected[..], "{ctx}: seal");
                        assert!(
                            dst[..out_off].iter().all(|&b| b == 0x5c),
                            "{ctx}: seal before"
                        );
                        assert!(
                            dst[out_off + n..].iter().all(|&b| b == 0x5c),
                            "{ctx}: seal after"
                        );

                        src[in_off..in_off + n].copy_from_slice(&expected);
                        dst.fill(0x5c);
                        let n = key
                            .open(
                                &nonce,
                                &aad,
                                &src[in_off..in_off + len + TAG_LEN],
                                &mut dst[out_off..],
                            )
                            .unwrap();
                        assert_eq!(n, len);
                        assert_eq!(dst[out_off..out_off + n], pt[..], "{ctx}: open");
                        assert!(
                            dst[..out_off].iter().all(|&b| b == 0x5c),
                            "{ctx}: open before"
                        );
                        assert!(
                            dst[out_off + n..].iter().all(|&b| b == 0x5c),
                            "{ctx}: open after"
                        );
                    }
                }
            }
        }
    });
}

/// Out-of-place seal and open refuse short buffers and bad arguments before writing:
/// a refused seal leaves the output alone, a refused open leaves it alone or zeroed.
#[test]
fn out_of_place_checks_before_writing() {
    for_each_width("out_of_place_checks_before_writing", |p| {
        let key = p.aead(AeadAlg::Aes256Gcm, &[3; 32]).unwrap();
        let pt = bytes(1, 300);
        let mut sealed = vec![0u8; 300 + TAG_LEN];
        key.seal(&[1; 12], b"a", &pt, &mut sealed).unwrap();

        let mut out = vec![0x77u8; 300 + TAG_LEN - 1];
        assert!(matches!(
            key.seal(&[1; 12], b"a", &pt, &mut out),
            Err(Error::BufferTooSmall { .. })
        ));
        assert!(out.iter().all(|&b| b == 0x77));
        let mut out = vec![0x77u8; 300 + TAG_LEN];
        assert!(matches!(
            key.seal(&[1; 11], b"a", &pt, &mut out),
            Err(Error::InvalidNonceLength { .. })
        ));
        assert!(out.iter().all(|&b| b == 0x77));

        let mut out = vec![0x77u8; 299];
        assert!(matches!(
            key.open(&[1; 12], b"a", &sealed, &mut out),
            Err(Error::BufferTooSmall { .. })
        ));
        assert!(out.iter().all(|&b| b == 0x77));
        let mut out = vec![0x77u8; 310];
        assert!(matches!(
            key.open(&[1; 12], b"a", &sealed[..TAG_LEN - 1], &mut out),
            Err(Error::InputTooShort { .. })
        ));
        assert!(matches!(
            key.open(&[1; 13], b"a", &sealed, &mut out),
            Err(Error::InvalidNonceLength { .. })
        ));
        assert!(
            out[..300].iter().all(|&b| b == 0),
            "refused open: body wiped"
        );
        assert!(
            out[300..].iter().all(|&b| b == 0x77),
            "refused open: rest untouched"
        );
        let n = key.open(&[1; 12], b"a", &sealed, &mut out).unwrap();
        assert_eq!(out[..n], pt[..]);
    });
}

/// One key shared by eight threads, each sealing and opening its own messages of
/// lengths across the batch boundaries: every result matches the reference.
#[test]
fn one_key_serves_many_threads() {
    for_each_width("one_key_serves_many_threads", |p| {
        let r = reference();
        let key_bytes = bytes(4242, 32);
        let ours = p.aead(AeadAlg::Aes256Gcm, &key_bytes).unwrap();
        let theirs = r.aead(AeadAlg::Aes256Gcm, &key_bytes).unwrap();
        std::thread::scope(|s| {
            for t in 0..8u64 {
                let (ours, theirs) = (&*ours, &*theirs);
                s.spawn(move || {
                    for (i, &len) in LENGTH_CLASSES.iter().enumerate() {
                        gcm_agrees(ours, theirs, t * 1000 + i as u64, len, 13);
                    }
                });
            }
        });
    });
}

/// The two widths are instances of one kernel: on a CPU with both, they agree with
/// each other byte for byte at every length up to three 512-bit batches, in GCM and CTR.
#[test]
fn the_two_widths_agree() {
    let cpu = CpuFeatures::get();
    let (Ok(wide), Ok(narrow)) = (Vaes512::detect(cpu), Vaes256::detect(cpu)) else {
        eprintln!("the_two_widths_agree: skipped: no AVX-512");
        return;
    };
    let key = bytes(31, 16);
    let (a, b) = (
        wide.aead(AeadAlg::Aes128Gcm, &key).unwrap(),
        narrow.aead(AeadAlg::Aes128Gcm, &key).unwrap(),
    );
    for len in 0..=1536 {
        gcm_agrees(&*a, &*b, len as u64, len, len % 40);
    }
    let iv = u128::to_be_bytes(u128::MAX - 70);
    let pt = bytes(32, 3000);
    let mut x = pt.clone();
    let mut y = pt.clone();
    wide.cipher(CipherAlg::Aes192Ctr, &bytes(33, 24), &iv)
        .unwrap()
        .apply_keystream(&mut x)
        .unwrap();
    narrow
        .cipher(CipherAlg::Aes192Ctr, &bytes(33, 24), &iv)
        .unwrap()
        .apply_keystream(&mut y)
        .unwrap();
    assert_eq!(x, y);
    assert_ne!(x, pt);
}
