//! Published known-answer vectors (NIST GCM, RFC 8439, RFC 4231, RFC 2202,
//! SP 800-38A CTR, FIPS 180-2 SHA-2), run against every available provider.

use wirecrypt::{AeadAlg, Algorithm, CipherAlg, Error, HashAlg, MacAlg, Provider};
use wirecrypt_tests::aead::{Case, Tamper, check_known_answer};
use wirecrypt_tests::vectors::{
    AeadVector, CipherVector, HashVector, MacVector, nist_gcm, rfc4231, rfc8439, sha2, sp800_38a,
};
use wirecrypt_tests::{Tally, flip_bit, implements, providers, reference, unhex};

fn alg_of(id: &str) -> Algorithm {
    id.parse::<Algorithm>()
        .unwrap_or_else(|e| panic!("vector table names an unknown algorithm: {e}"))
}

fn run_aead_vectors(test: &str, vectors: &[AeadVector]) {
    for provider in providers() {
        let mut tally = Tally::new(test, provider.id());
        for v in vectors {
            let Algorithm::Aead(alg) = alg_of(v.alg) else {
                panic!("{}: {} is not an AEAD", v.source, v.alg)
            };
            if !implements(provider.as_ref(), alg) {
                tally.lacks(alg);
                continue;
            }
            let (key, nonce, aad, pt, ct, tag) = (
                unhex(v.key),
                unhex(v.nonce),
                unhex(v.aad),
                unhex(v.plaintext),
                unhex(v.ciphertext),
                unhex(v.tag),
            );
            let aead = provider
                .aead(alg, &key)
                .unwrap_or_else(|e| panic!("{}: key rejected: {e}", v.source));
            let case = Case {
                name: v.source,
                nonce: &nonce,
                aad: &aad,
                pt: &pt,
                ct: &ct,
                tag: &tag,
            };
            let n = check_known_answer(aead.as_ref(), &case, Tamper::Every);
            tally.valid += 1;
            tally.check(
                "single-bit tamper rejections (every bit of tag/ct/aad/nonce)",
                n,
            );
        }
        tally.finish(Some(vectors.len()));
    }
}

#[test]
fn nist_gcm() {
    run_aead_vectors("vectors nist-gcm", nist_gcm::VECTORS);
}

#[test]
fn rfc8439_chacha20_poly1305() {
    run_aead_vectors("vectors rfc8439", rfc8439::AEAD);
}

fn run_mac_vectors(test: &str, vectors: &[MacVector]) {
    for provider in providers() {
        let mut tally = Tally::new(test, provider.id());
        for v in vectors {
            let Algorithm::Mac(alg) = alg_of(v.alg) else {
                panic!("{}: {} is not a MAC", v.source, v.alg)
            };
            if !implements(provider.as_ref(), alg) {
                tally.lacks(alg);
                continue;
            }
            check_mac_vector(provider.as_ref(), alg, v, &mut tally);
            tally.valid += 1;
        }
        tally.finish(Some(vectors.len()));
    }
}

fn check_mac_vector(provider: &dyn Provider, alg: MacAlg, v: &MacVector, tally: &mut Tally) {
    let (key, data, want) = (unhex(v.key), unhex(v.data), unhex(v.tag));
    let name = v.source;
    let mac = provider
        .mac(alg, &key)
        .unwrap_or_else(|e| panic!("{name}: key rejected: {e}"));
    let full = mac.sign(&data).unwrap();
    let full = full.as_ref();
    assert_eq!(full.len(), alg.info().tag_len, "{name}: MAC length");
    assert!(want.len() <= full.len(), "{name}: vector tag too long");
    assert_eq!(
        hex::encode(&full[..want.len()]),
        hex::encode(&want),
        "{name}: MAC"
    );

    // The MAC over the message split into parts, at every split point.
    for split in 0..=data.len() {
        let (a, b) = data.split_at(split);
        assert_eq!(
            mac.sign_parts(&[a, b]).unwrap().as_ref(),
            full,
            "{name}: split {split}"
        );
        assert_eq!(
            mac.sign_parts(&[&[], a, &[], b, &[]]).unwrap().as_ref(),
            full,
            "{name}: split {split} with empty parts"
        );
        assert_eq!(
            mac.verify_parts(&[a, b], full),
            Ok(()),
            "{name}: split {split}"
        );
    }
    tally.check("split-point sign/verify checks", data.len() + 1);

    if want.len() == full.len() {
        assert_eq!(mac.verify(&data, &want), Ok(()), "{name}: verify");
        for bit in 0..want.len() * 8 {
            let mut bad = want.clone();
            flip_bit(&mut bad, bit);
            assert_eq!(
                mac.verify(&data, &bad),
                Err(Error::AuthenticationFailed),
                "{name}: verify with tag bit {bit} flipped"
            );
        }
        tally.check("tag-bit-flip rejections", want.len() * 8);
    } else {
        // A truncated published tag: full-length verification must refuse it by length.
        assert_eq!(
            mac.verify(&data, &want),
            Err(Error::InvalidTagLength {
                algorithm: alg.id(),
                expected: full.len(),
                actual: want.len(),
            }),
            "{name}: verify with a truncated tag"
        );
        tally.check("truncated-tag length rejections", 1);
    }
    if !data.is_empty() {
        let mut bad = data.clone();
        flip_bit(&mut bad, 0);
        assert_eq!(
            mac.verify(&bad, full),
            Err(Error::AuthenticationFailed),
            "{name}: verify of altered data"
        );
        tally.check("altered-data rejections", 1);
    }
}

#[test]
fn rfc4231_hmac_sha2() {
    run_mac_vectors("vectors rfc4231", rfc4231::VECTORS);
}

#[test]
fn rfc2202_hmac_sha1() {
    run_mac_vectors("vectors rfc2202", rfc4231::SHA1);
}

fn check_ctr_vector(provider: &dyn Provider, alg: CipherAlg, v: &CipherVector, tally: &mut Tally) {
    let name = v.source;
    let (key, iv, pt, ct) = (
        unhex(v.key),
        unhex(v.iv),
        unhex(v.plaintext),
        unhex(v.ciphertext),
    );
    let fresh = || {
        provider
            .cipher(alg, &key, &iv)
            .unwrap_or_else(|e| panic!("{name}: cipher rejected key/iv: {e}"))
    };

    let mut buf = pt.clone();
    fresh().apply_keystream(&mut buf).unwrap();
    assert_eq!(hex::encode(&buf), hex::encode(&ct), "{name}: encrypt");
    fresh().apply_keystream(&mut buf).unwrap();
    assert_eq!(hex::encode(&buf), hex::encode(&pt), "{name}: decrypt");

    let mut out = vec![0xa5; ct.len() + 5];
    fresh().apply_keystream_to(&pt, &mut out).unwrap();
    assert_eq!(
        hex::encode(&out[..ct.len()]),
        hex::encode(&ct),
        "{name}: apply_keystream_to"
    );
    assert!(
        out[ct.len()..].iter().all(|&b| b == 0xa5),
        "{name}: wrote past the input length"
    );

    // The cipher keeps its position between calls: encrypting in three pieces, at every
    // pair of split points (i <= j, pieces may be empty), gives the same ciphertext.
    let mut splits = 0;
    for i in 0..=pt.len() {
        for j in i..=pt.len() {
            let mut c = fresh();
            let mut buf = pt.clone();
            let (a, rest) = buf.split_at_mut(i);
            let (b, d) = rest.split_at_mut(j - i);
            c.apply_keystream(a).unwrap();
            c.apply_keystream(b).unwrap();
            c.apply_keystream(d).unwrap();
            assert_eq!(
                hex::encode(&buf),
                hex::encode(&ct),
                "{name}: pieces [..{i}] [{i}..{j}] [{j}..]"
            );
            splits += 1;
        }
    }
    tally.check("split-point encryptions", splits);

    // And byte by byte, out of place.
    let mut c = fresh();
    let mut out = vec![0u8; pt.len()];
    for (k, byte) in pt.iter().enumerate() {
        c.apply_keystream_to(std::slice::from_ref(byte), &mut out[k..k + 1])
            .unwrap();
    }
    assert_eq!(hex::encode(&out), hex::encode(&ct), "{name}: byte by byte");
}

#[test]
fn sp800_38a_aes_ctr() {
    let test = "vectors sp800-38a ctr";
    for provider in providers() {
        let mut tally = Tally::new(test, provider.id());
        for v in sp800_38a::VECTORS {
            let Algorithm::Cipher(alg) = alg_of(v.alg) else {
                panic!("{}: {} is not a cipher", v.source, v.alg)
            };
            if !implements(provider.as_ref(), alg) {
                tally.lacks(alg);
                continue;
            }
            check_ctr_vector(provider.as_ref(), alg, v, &mut tally);
            tally.valid += 1;
        }
        tally.finish(Some(sp800_38a::VECTORS.len()));
    }
}

fn message(v: &HashVector) -> Vec<u8> {
    unhex(v.data).repeat(v.repeat)
}

fn check_hash_vector(provider: &dyn Provider, alg: HashAlg, v: &HashVector, tally: &mut Tally) {
    let name = v.source;
    let msg = message(v);
    let want = unhex(v.digest);
    let digest = |pieces: &mut dyn Iterator<Item = &[u8]>| {
        let mut h = provider
            .hash(alg)
            .unwrap_or_else(|e| panic!("{name}: hash: {e}"));
        assert_eq!(h.algorithm(), alg);
        for p in pieces {
            h.update(p).unwrap();
        }
        h.finish().unwrap().as_ref().to_vec()
    };
    let whole = digest(&mut std::iter::once(&msg[..]));
    assert_eq!(whole.len(), alg.info().tag_len, "{name}: digest length");
    assert_eq!(
        hex::encode(&whole),
        hex::encode(&want),
        "{name}: one update"
    );

    let mut streamed = 0;
    if msg.len() <= 256 {
        // Every split point, with an empty update in between.
        for split in 0..=msg.len() {
            let (a, b) = msg.split_at(split);
            let got = digest(&mut [a, &[][..], b].into_iter());
            assert_eq!(
                hex::encode(&got),
                hex::encode(&want),
                "{name}: split at {split}"
            );
            streamed += 1;
        }
    }
    // Fixed piece sizes around the block boundaries, including one byte at a time.
    for size in [
        1, 3, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000, 4096, 65536,
    ] {
        let got = digest(&mut msg.chunks(size));
        assert_eq!(
            hex::encode(&got),
            hex::encode(&want),
            "{name}: pieces of {size}"
        );
        streamed += 1;
    }
    tally.check("streamed digests", streamed);
}

#[test]
fn fips180_sha2() {
    let test = "vectors sha2";
    for provider in providers() {
        let mut tally = Tally::new(test, provider.id());
        for v in sha2::VECTORS {
            let Algorithm::Hash(alg) = alg_of(v.alg) else {
                panic!("{}: {} is not a hash", v.source, v.alg)
            };
            if !implements(provider.as_ref(), alg) {
                tally.lacks(alg);
                continue;
            }
            check_hash_vector(provider.as_ref(), alg, v, &mut tally);
            tally.valid += 1;
        }
        tally.finish(Some(sha2::VECTORS.len()));
    }
}

/// The vector tables themselves, checked against the references (ring, and CTR built from
/// single-block AES), without any provider: a typo in a table fails here and names the
/// table rather than looking like an engine bug.
#[test]
fn tables_agree_with_the_references() {
    let mut n = 0;
    for v in nist_gcm::VECTORS.iter().chain(rfc8439::AEAD) {
        let alg: AeadAlg = v.alg.parse().unwrap();
        let sealed = reference::RingAead::new(alg, &unhex(v.key)).seal(
            &unhex(v.nonce),
            &unhex(v.aad),
            &unhex(v.plaintext),
        );
        assert_eq!(
            hex::encode(sealed),
            format!("{}{}", v.ciphertext, v.tag),
            "{} disagrees with ring",
            v.source
        );
        n += 1;
    }
    for v in rfc4231::VECTORS.iter().chain(rfc4231::SHA1) {
        let alg: MacAlg = v.alg.parse().unwrap();
        let full = reference::hmac(alg, &unhex(v.key), &unhex(v.data));
        assert!(
            hex::encode(full).starts_with(v.tag),
            "{} ({}) disagrees with ring",
            v.source,
            v.alg
        );
        n += 1;
    }
    for v in sp800_38a::VECTORS {
        let alg: CipherAlg = v.alg.parse().unwrap();
        let iv: [u8; 16] = unhex(v.iv).try_into().unwrap();
        let ct = reference::aes_ctr(alg, &unhex(v.key), &iv, &unhex(v.plaintext));
        assert_eq!(
            hex::encode(ct),
            v.ciphertext,
            "{} disagrees with the CTR reference",
            v.source
        );
        n += 1;
    }
    for v in sha2::VECTORS {
        let alg: HashAlg = v.alg.parse().unwrap();
        assert_eq!(
            hex::encode(reference::digest(alg, &message(v))),
            v.digest,
            "{} disagrees with ring",
            v.source
        );
        n += 1;
    }
    let total = nist_gcm::VECTORS.len()
        + rfc8439::AEAD.len()
        + rfc4231::VECTORS.len()
        + rfc4231::SHA1.len()
        + sp800_38a::VECTORS.len()
        + sha2::VECTORS.len();
    assert_eq!(n, total);
    println!("vector tables vs references (ring, AES-CTR reference): {n} vectors agree");
}
