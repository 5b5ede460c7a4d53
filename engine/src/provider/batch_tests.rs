//! The batch calls of [`AeadKey`] and the seekable CTR keystream, on every provider here.

use super::*;
use crate::Engine;

fn messages(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| vec![i as u8; 100 + i * 700]).collect()
}

fn nonce(i: usize) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    n[4..].copy_from_slice(&(i as u64).to_be_bytes());
    n
}

/// Message `i` of `data` under nonce `i`, with tag `tags[i]`.
fn in_place<'a>(
    data: &'a mut [Vec<u8>],
    tags: &'a mut [[u8; TAG_LEN]],
    aad: &'a [u8],
) -> Vec<InPlace<'a>> {
    data.iter_mut()
        .zip(tags.iter_mut())
        .enumerate()
        .map(|(i, (d, t))| InPlace {
            nonce: nonce(i),
            aad,
            data: d,
            tag: t,
        })
        .collect()
}

#[test]
fn a_batch_seals_and_opens_as_one_message_at_a_time_and_a_forgery_wipes_it_all() {
    let engine = Engine::builder().ignore_env().build().unwrap();
    for provider in engine.available() {
        for alg in AeadAlg::all().filter(|&a| provider.supports(Algorithm::Aead(a))) {
            let key = provider.aead(alg, &vec![9; alg.info().key_len]).unwrap();
            let plain = messages(5);
            let aad = b"header";
            let mut data = plain.clone();
            let mut tags = vec![[0u8; TAG_LEN]; data.len()];
            let mut batch = in_place(&mut data, &mut tags, aad);
            key.seal_batch(&mut batch).unwrap();
            for (i, p) in plain.iter().enumerate() {
                let mut one = p.clone();
                let tag = key.seal_in_place(&nonce(i), aad, &mut one).unwrap();
                assert_eq!(
                    (&one, &tag),
                    (&data[i], &tags[i]),
                    "{} {alg:?}",
                    provider.id()
                );
            }

            let sealed = data.clone();
            let mut batch = in_place(&mut data, &mut tags, aad);
            key.open_batch(&mut batch).unwrap();
            assert_eq!(data, plain);

            let mut data = sealed;
            tags[3][0] ^= 1;
            let mut batch = in_place(&mut data, &mut tags, aad);
            assert_eq!(key.open_batch(&mut batch), Err(Error::AuthenticationFailed));
            assert!(
                data.iter().all(|d| d.iter().all(|&b| b == 0)),
                "every message of a batch with a forgery is wiped"
            );
        }
    }
}

#[test]
fn a_ctr_keystream_started_at_an_offset_matches_the_whole_one() {
    let default = Engine::builder().ignore_env().build().unwrap();
    for provider in default.available() {
        let engine = Engine::builder()
            .provider(provider.id().as_str())
            .build()
            .unwrap();
        for alg in CipherAlg::all().filter(|&a| provider.supports(Algorithm::Cipher(a))) {
            let key = vec![5u8; alg.info().key_len];
            // One counter near the 128-bit wrap, one ordinary.
            for iv in [[0xffu8; 16], [7u8; 16]] {
                let mut whole = vec![0u8; 2000];
                engine
                    .cipher(alg, &key, &iv)
                    .unwrap()
                    .apply_keystream(&mut whole)
                    .unwrap();
                for offset in [0usize, 1, 15, 16, 17, 33, 1000] {
                    let mut part = vec![0u8; 2000 - offset];
                    engine
                        .cipher_at(alg, &key, &iv, offset as u64)
                        .unwrap()
                        .apply_keystream(&mut part)
                        .unwrap();
                    assert_eq!(
                        part,
                        whole[offset..],
                        "{} {alg:?} at {offset}",
                        provider.id()
                    );
                }
            }
        }
    }
}
