//! Known answers (RFC 8439) and differential tests against the `rustcrypto` provider and
//! the crates' own ChaCha20 and Poly1305, for each tier this CPU has. A tier the CPU
//! lacks is skipped with a printed line; the shared logic (counters, I/O windows, the
//! scalar Poly1305) is tested on every machine.

use super::chacha::{self, InPlace};
use super::poly1305::{self, Blocks};
use super::{Avx2Cpu, Avx512Cpu, ChaChaX86, Tier};
use crate::algorithm::AeadAlg;
use crate::cpu::CpuFeatures;
use crate::provider::rustcrypto::RustCrypto;
use crate::provider::{AeadKey, Provider};
use crate::{Error, TAG_LEN};

/// Every tier this CPU can run, printing a skip line for the others.
fn tiers(test: &str) -> Vec<Tier> {
    let cpu = CpuFeatures::get();
    let mut found = Vec::new();
    match Avx2Cpu::new(cpu) {
        Some(t) => found.push(Tier::Avx2(t)),
        None => println!("{test}: chacha256 skipped: this CPU lacks AVX2"),
    }
    match Avx512Cpu::new(cpu) {
        Some(t) => found.push(Tier::Avx512(t)),
        None => println!("{test}: chacha512 skipped: this CPU lacks AVX-512F/IFMA"),
    }
    found
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

/// One ChaCha20 block in plain scalar code, straight from RFC 8439 §2.3.
fn block_reference(input: &[u32; 16]) -> [u8; 64] {
    let mut x = *input;
    let qr = |x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize| {
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(16);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(12);
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(8);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(7);
    };
    for _ in 0..10 {
        qr(&mut x, 0, 4, 8, 12);
        qr(&mut x, 1, 5, 9, 13);
        qr(&mut x, 2, 6, 10, 14);
        qr(&mut x, 3, 7, 11, 15);
        qr(&mut x, 0, 5, 10, 15);
        qr(&mut x, 1, 6, 11, 12);
        qr(&mut x, 2, 7, 8, 13);
        qr(&mut x, 3, 4, 9, 14);
    }
    let mut out = [0u8; 64];
    for (i, (w, s)) in x.iter().zip(input).enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&w.wrapping_add(*s).to_le_bytes());
    }
    out
}

#[test]
fn rfc8439_2_4_2_encryption() {
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let nonce = [0, 0, 0, 0, 0, 0, 0, 0x4a, 0, 0, 0, 0];
    let plain = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    let want = unhex(
        "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d",
    );
    for tier in tiers("rfc8439_2_4_2_encryption") {
        let mut state = chacha::key_state(&key);
        chacha::set_ietf(&mut state, 1, &nonce);
        let mut data = plain.to_vec();
        chacha::xor_keystream_no_wrap(tier, &state, &mut InPlace(&mut data));
        assert_eq!(data, want, "{tier:?}");
    }
}

#[test]
fn rfc8439_2_8_2_aead() {
    let key = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    let nonce = unhex("070000004041424344454647");
    let aad = unhex("50515253c0c1c2c3c4c5c6c7");
    let plain = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    let want = unhex(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116",
    );
    let tag = unhex("1ae10b594f09e26a7e902ecbd0600691");
    for tier in tiers("rfc8439_2_8_2_aead") {
        let key = super::aead::new(tier, &key).unwrap();
        let mut data = plain.to_vec();
        let got = key.seal_in_place(&nonce, &aad, &mut data).unwrap();
        assert_eq!(data, want, "{tier:?}");
        assert_eq!(got.as_slice(), tag.as_slice(), "{tier:?}");
        key.open_in_place(&nonce, &aad, &mut data, &tag).unwrap();
        assert_eq!(data, plain);
    }
}

#[test]
fn keystream_matches_the_scalar_block_at_every_offset_and_counter() {
    let key: [u8; 32] = std::array::from_fn(|i| (i * 13 + 1) as u8);
    for tier in tiers("keystream_matches_the_scalar_block") {
        for start in [0u32, 1, 7, 0xffff_ff00] {
            let mut state = chacha::key_state(&key);
            chacha::set_ietf(&mut state, start, &[9; 12]);
            let len = 40 * 64 + 17;
            let mut got = vec![0u8; len];
            chacha::xor_keystream_no_wrap(tier, &state, &mut InPlace(&mut got));
            for (b, chunk) in got.chunks(64).enumerate() {
                let mut s = state;
                s[12] = start + b as u32;
                assert_eq!(
                    chunk,
                    &block_reference(&s)[..chunk.len()],
                    "{tier:?} block {b}"
                );
            }
        }
    }
}

#[test]
fn original_form_carries_into_word_13() {
    let key: [u8; 32] = std::array::from_fn(|i| (i * 5 + 3) as u8);
    let nonce = [1, 2, 3, 4, 5, 6, 7, 8];
    for tier in tiers("original_form_carries_into_word_13") {
        let state = chacha::key_state(&key);
        for counter in [(1u64 << 32) - 3, (5u64 << 32) - 20, u64::MAX - 10] {
            let mut got = vec![0u8; 10 * 64];
            let r = chacha::xor_keystream_original(
                tier,
                &state,
                &nonce,
                counter,
                &mut InPlace(&mut got),
            );
            if counter.checked_add(10).is_none() {
                assert!(r.is_err(), "{tier:?}: a 64-bit counter overflow must fail");
                assert!(got.iter().all(|&b| b == 0), "nothing written on failure");
                continue;
            }
            r.unwrap();
            for (b, chunk) in got.chunks(64).enumerate() {
                let mut s = state;
                chacha::set_original(&mut s, counter + b as u64, &nonce);
                assert_eq!(
                    chunk,
                    &block_reference(&s)[..],
                    "{tier:?} counter {counter} block {b}"
                );
            }
        }
    }
}

#[test]
fn original_form_matches_rustcrypto() {
    let rc = reference();
    let key: [u8; 32] = std::array::from_fn(|i| (i * 11) as u8);
    let nonce = 42u64.to_be_bytes();
    let want_key = rc.chacha20_original(&key).unwrap();
    for tier in tiers("original_form_matches_rustcrypto") {
        let p = ChaChaX86 { tier };
        let ours = p.chacha20_original(&key).unwrap();
        for len in (0..=1100).chain([4096, 16384 + 5, 65536]) {
            for counter in [0u64, 1, 3] {
                let mut a = bytes(len as u64, len);
                let mut b = a.clone();
                ours.xor_keystream(&nonce, counter, &mut a).unwrap();
                want_key.xor_keystream(&nonce, counter, &mut b).unwrap();
                assert!(a == b, "{tier:?} len {len} counter {counter}");
            }
        }
        assert!(format!("{ours:?}").contains("REDACTED"));
    }
}

#[test]
fn poly1305_ifma_matches_scalar() {
    for tier in tiers("poly1305_ifma_matches_scalar") {
        for len in (0..=2100).chain([4096, 16384 + 15, 65536]) {
            let key: [u8; 32] = bytes(len as u64 + 7, 32).try_into().unwrap();
            let msg = bytes(len as u64, len);
            assert_eq!(
                poly1305::poly1305(&key, &msg, tier.poly_blocks()),
                poly1305::poly1305(&key, &msg, Blocks::Scalar),
                "{tier:?} len {len}"
            );
        }
        // Limbs at their bounds: every bit of r that clamping allows, all-ones messages.
        for len in [256, 1024, 16384] {
            let key = [0xffu8; 32];
            let msg = vec![0xffu8; len];
            assert_eq!(
                poly1305::poly1305(&key, &msg, tier.poly_blocks()),
                poly1305::poly1305(&key, &msg, Blocks::Scalar),
                "{tier:?} all ones, len {len}"
            );
        }
        let p = ChaChaX86 { tier };
        let key = [3u8; 32];
        let msg = bytes(1, 5000);
        assert_eq!(
            p.poly1305(&key, &msg).unwrap(),
            reference().poly1305(&key, &msg).unwrap()
        );
    }
}

/// Seal and open with both keys, in place and out of place, and compare everything.
fn check_against(ours: &dyn AeadKey, theirs: &dyn AeadKey, len: usize, aad_len: usize, what: &str) {
    let nonce = bytes(len as u64 ^ 0x55, 12);
    let aad = bytes(aad_len as u64 + 1000, aad_len);
    let plain = bytes(len as u64, len);
    let mut want = plain.clone();
    let want_tag = theirs.seal_in_place(&nonce, &aad, &mut want).unwrap();

    let mut got = plain.clone();
    let tag = ours.seal_in_place(&nonce, &aad, &mut got).unwrap();
    assert!(
        got == want && tag == want_tag,
        "{what}: seal in place, len {len}"
    );

    let mut out = vec![0u8; len + TAG_LEN + 3];
    assert_eq!(
        ours.seal(&nonce, &aad, &plain, &mut out).unwrap(),
        len + TAG_LEN
    );
    assert!(
        out[..len] == want[..] && out[len..len + TAG_LEN] == want_tag,
        "{what}: seal, len {len}"
    );

    let mut back = vec![0u8; len + 1];
    assert_eq!(
        ours.open(&nonce, &aad, &out[..len + TAG_LEN], &mut back)
            .unwrap(),
        len
    );
    assert!(back[..len] == plain[..], "{what}: open, len {len}");
    ours.open_in_place(&nonce, &aad, &mut got, &tag).unwrap();
    assert!(got == plain, "{what}: open in place, len {len}");
}

#[test]
fn aead_matches_rustcrypto_for_every_length() {
    let rc = reference();
    for tier in tiers("aead_matches_rustcrypto_for_every_length") {
        let p = ChaChaX86 { tier };
        let key = bytes(99, 32);
        let ours = p.aead(AeadAlg::ChaCha20Poly1305, &key).unwrap();
        let theirs = rc.aead(AeadAlg::ChaCha20Poly1305, &key).unwrap();
        let what = format!("{tier:?}");
        for len in 0..=1100 {
            check_against(&*ours, &*theirs, len, len % 37, &what);
        }
        // Around the AVX-512 pass's seams: where block 0 stops riding in the first batch
        // (a whole number of batches) and where an open's second batch carries fifteen
        // Poly1305 steps (1984 bytes onward).
        for len in [
            1983,
            1984,
            1985,
            2047,
            2048,
            3008,
            4095,
            4096,
            4097,
            5055,
            5056,
            5057,
            9152,
            9153,
            16384,
            65536 + 3,
        ] {
            for aad_len in [0, 13, 16, 300] {
                check_against(&*ours, &*theirs, len, aad_len, &what);
            }
        }
    }
}

#[test]
fn aead_rejects_every_flipped_bit_and_wipes() {
    for tier in tiers("aead_rejects_every_flipped_bit_and_wipes") {
        let p = ChaChaX86 { tier };
        let key = p.aead(AeadAlg::ChaCha20Poly1305, &[7u8; 32]).unwrap();
        let nonce = [1u8; 12];
        let aad = b"header";
        let plain = bytes(5, 1500);
        let mut sealed = plain.clone();
        let tag = key.seal_in_place(&nonce, aad, &mut sealed).unwrap();
        let mut whole = sealed.clone();
        whole.extend_from_slice(&tag);
        for bit in (0..whole.len() * 8)
            .step_by(97)
            .chain([whole.len() * 8 - 1])
        {
            let mut bad = whole.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let mut out = vec![0xaa; plain.len()];
            let err = key.open(&nonce, aad, &bad, &mut out).unwrap_err();
            assert!(
                matches!(err, Error::AuthenticationFailed),
                "bit {bit}: {err}"
            );
            assert!(out.iter().all(|&b| b == 0), "bit {bit}: output not wiped");
            let (body, t) = bad.split_at_mut(plain.len());
            assert!(key.open_in_place(&nonce, aad, body, t).is_err());
            assert!(
                body.iter().all(|&b| b == 0),
                "bit {bit}: in place not wiped"
            );
        }
        // Bad arguments fail before any cryptography.
        let mut buf = [0u8; 10];
        assert!(matches!(
            key.seal_in_place(&[0; 11], aad, &mut buf),
            Err(Error::InvalidNonceLength { .. })
        ));
        assert!(matches!(
            key.open_in_place(&nonce, aad, &mut buf, &[0; 15]),
            Err(Error::InvalidTagLength { .. })
        ));
        assert!(matches!(
            key.seal(&nonce, aad, &[0; 20], &mut [0; 35]),
            Err(Error::BufferTooSmall { .. })
        ));
        assert!(matches!(
            p.aead(AeadAlg::ChaCha20Poly1305, &[0; 31]),
            Err(Error::InvalidKeyLength { .. })
        ));
        assert!(format!("{key:?}").contains("REDACTED"));
    }
}

#[test]
fn detection_names_what_is_missing() {
    use crate::cpu::Feature;
    let cpu = CpuFeatures::get().without(&[Feature::Avx512ifma, Feature::Avx2]);
    let why = ChaChaX86::detect_avx512(&cpu).unwrap_err();
    assert!(
        why.starts_with("needs avx512f, avx512vl, avx512ifma, avx2: missing"),
        "{why}"
    );
    assert!(why.contains("avx512ifma") && why.ends_with("avx2"), "{why}");
    let why = ChaChaX86::detect_avx2(&cpu).unwrap_err();
    assert_eq!(why, "needs avx2: missing avx2");
}
