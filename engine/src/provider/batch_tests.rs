//! The batch calls of [`AeadKey`], on every provider here.

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
            let mut batch: Vec<InPlace<'_>> = data
                .iter_mut()
                .zip(tags.iter_mut())
                .enumerate()
                .map(|(i, (d, t))| InPlace {
                    nonce: nonce(i),
                    aad,
                    data: d,
                    tag: t,
                })
                .collect();
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
            let mut batch: Vec<InPlace<'_>> = data
                .iter_mut()
                .zip(tags.iter_mut())
                .enumerate()
                .map(|(i, (d, t))| InPlace {
                    nonce: nonce(i),
                    aad,
                    data: d,
                    tag: t,
                })
                .collect();
            key.open_batch(&mut batch).unwrap();
            assert_eq!(data, plain);

            let mut data = sealed;
            tags[3][0] ^= 1;
            let mut batch: Vec<InPlace<'_>> = data
                .iter_mut()
                .zip(tags.iter_mut())
                .enumerate()
                .map(|(i, (d, t))| InPlace {
                    nonce: nonce(i),
                    aad,
                    data: d,
                    tag: t,
                })
                .collect();
            assert_eq!(key.open_batch(&mut batch), Err(Error::AuthenticationFailed));
            assert!(
                data.iter().all(|d| d.iter().all(|&b| b == 0)),
                "every message of a batch with a forgery is wiped"
            );
        }
    }
}
