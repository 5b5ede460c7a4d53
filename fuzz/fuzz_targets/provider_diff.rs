//! Differential: each provider available here against `rustcrypto`, on arbitrary keys,
//! nonces, AAD, messages, chunkings and output offsets, for every algorithm both
//! implement. Any difference is a crash.
//!
//! Input: an algorithm byte, a provider byte, the key (and for HMAC its length), then
//! per kind: AEAD — nonce, AAD, an output offset and a tag-flip mask, the message; CTR —
//! the initial counter block and the message, applied in chunks the input cuts; HMAC and
//! SHA-2 — the message in parts the input cuts.
//!
//! Invariants: the same ciphertext, tag, keystream, MAC and digest from both; each opens
//! the other's output; a flipped tag is refused by both, leaving the buffer zeroed; in
//! place and out of place agree; both accept or both refuse the same key.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use wirecrypt::{Algorithm, Provider, ProviderId, TAG_LEN};
use wirecrypt_fuzz::{Input, engines};

fuzz_target!(|data: &[u8]| {
    let default = &engines()[0];
    let Some(reference) = default.provider(ProviderId::RustCrypto) else {
        return;
    };
    let algs: Vec<Algorithm> = Algorithm::all().collect();
    let mut input = Input::new(data);
    let alg = algs[usize::from(input.byte()) % algs.len()];
    let others: Vec<Arc<dyn Provider>> = default
        .available()
        .filter(|p| p.id() != ProviderId::RustCrypto && p.supports(alg))
        .collect();
    let pick = usize::from(input.byte());
    let Some(other) = others.get(pick % others.len().max(1)) else {
        return;
    };
    if !reference.supports(alg) {
        return;
    }
    match alg {
        Algorithm::Aead(a) => aead(&mut input, reference.as_ref(), other.as_ref(), a),
        Algorithm::Cipher(c) => cipher(&mut input, reference.as_ref(), other.as_ref(), c),
        Algorithm::Mac(m) => mac(&mut input, reference.as_ref(), other.as_ref(), m),
        Algorithm::Hash(h) => hash(&mut input, reference.as_ref(), other.as_ref(), h),
    }
});

fn aead(
    input: &mut Input<'_>,
    reference: &dyn Provider,
    other: &dyn Provider,
    alg: wirecrypt::AeadAlg,
) {
    let key = input.bytes(alg.info().key_len);
    let nonce = input.bytes(12);
    let aad_len = usize::from(input.byte());
    let aad = input.bytes(aad_len);
    let offset = usize::from(input.byte() % 64);
    let flip = input.byte();
    let flip_at = usize::from(input.byte()) % TAG_LEN;
    let message = message(input);
    let (Ok(r), Ok(o)) = (reference.aead(alg, &key), other.aead(alg, &key)) else {
        panic!("a valid {alg} key was refused");
    };

    // In place.
    let mut r_ct = message.clone();
    let r_tag = r.seal_in_place(&nonce, &aad, &mut r_ct).expect("seal");
    let mut o_ct = message.clone();
    let o_tag = o.seal_in_place(&nonce, &aad, &mut o_ct).expect("seal");
    assert_eq!(r_ct, o_ct, "{alg}: ciphertexts differ");
    assert_eq!(r_tag, o_tag, "{alg}: tags differ");

    // Out of place, into an output buffer at an offset.
    let mut out = vec![0xA5u8; offset + message.len() + TAG_LEN];
    let n = o
        .seal(&nonce, &aad, &message, &mut out[offset..])
        .expect("seal into a buffer");
    assert_eq!(n, message.len() + TAG_LEN);
    assert_eq!(&out[offset..offset + message.len()], &r_ct[..]);
    assert_eq!(&out[offset + message.len()..], &r_tag[..]);

    // Each opens the other's output.
    let mut pt = o_ct.clone();
    r.open_in_place(&nonce, &aad, &mut pt, &o_tag)
        .expect("open");
    assert_eq!(pt, message);
    let mut back = vec![0u8; message.len()];
    let n = o
        .open(&nonce, &aad, &out[offset..], &mut back)
        .expect("open from a buffer");
    assert_eq!(&back[..n], &message[..]);

    // A flipped tag: both refuse and wipe.
    if flip != 0 {
        let mut bad = r_tag;
        bad[flip_at] ^= flip;
        for key in [&r, &o] {
            let mut buf = r_ct.clone();
            assert!(key.open_in_place(&nonce, &aad, &mut buf, &bad).is_err());
            assert!(
                buf.iter().all(|&b| b == 0),
                "{alg}: a failed open left bytes"
            );
        }
    }
}

fn cipher(
    input: &mut Input<'_>,
    reference: &dyn Provider,
    other: &dyn Provider,
    alg: wirecrypt::CipherAlg,
) {
    let key = input.bytes(alg.info().key_len);
    // The initial counter block: any value, the top of the range included.
    let iv = input.bytes(16);
    let cuts = input.bytes(8);
    let message = message(input);
    let (Ok(mut r), Ok(mut o)) = (
        reference.cipher(alg, &key, &iv),
        other.cipher(alg, &key, &iv),
    ) else {
        panic!("a valid {alg} key was refused");
    };
    let mut expected = message.clone();
    r.apply_keystream(&mut expected).expect("keystream");
    // The other in chunks, alternately in place and out of place.
    let mut got = Vec::with_capacity(message.len());
    let mut rest = &message[..];
    for (i, &c) in cuts.iter().cycle().enumerate() {
        if rest.is_empty() {
            break;
        }
        let take = (usize::from(c) * 7 + 1).min(rest.len());
        let (chunk, tail) = rest.split_at(take);
        if i % 2 == 0 {
            let mut buf = chunk.to_vec();
            o.apply_keystream(&mut buf).expect("keystream");
            got.extend(buf);
        } else {
            let mut buf = vec![0u8; chunk.len()];
            o.apply_keystream_to(chunk, &mut buf).expect("keystream");
            got.extend(buf);
        }
        rest = tail;
    }
    assert_eq!(got, expected, "{alg}: keystreams differ");
}

fn mac(
    input: &mut Input<'_>,
    reference: &dyn Provider,
    other: &dyn Provider,
    alg: wirecrypt::MacAlg,
) {
    let key_len = usize::from(input.byte());
    let key = input.bytes(key_len);
    let cut = usize::from(input.u16());
    let message = message(input);
    let (r, o) = (reference.mac(alg, &key), other.mac(alg, &key));
    assert_eq!(
        r.is_ok(),
        o.is_ok(),
        "{alg}: one refused a {key_len}-byte key"
    );
    let (Ok(r), Ok(o)) = (r, o) else { return };
    let (a, b) = message.split_at(cut.min(message.len()));
    let r_tag = r.sign(&message).expect("sign");
    let o_tag = o.sign_parts(&[a, b]).expect("sign");
    assert_eq!(r_tag.as_ref(), o_tag.as_ref(), "{alg}: MACs differ");
    o.verify_parts(&[&message], r_tag.as_ref()).expect("verify");
}

fn hash(
    input: &mut Input<'_>,
    reference: &dyn Provider,
    other: &dyn Provider,
    alg: wirecrypt::HashAlg,
) {
    let cut = usize::from(input.u16());
    let message = message(input);
    let mut r = reference.hash(alg).expect("hash");
    r.update(&message).expect("update");
    let mut o = other.hash(alg).expect("hash");
    let (a, b) = message.split_at(cut.min(message.len()));
    o.update(a).expect("update");
    o.update(b).expect("update");
    let (r, o) = (r.finish().expect("finish"), o.finish().expect("finish"));
    assert_eq!(r.as_ref(), o.as_ref(), "{alg}: digests differ");
}

/// The message: the rest of the input, lengthened with zeros to at least 64 times a
/// length byte, so that short inputs reach the multi-block and wide-kernel paths too.
fn message(input: &mut Input<'_>) -> Vec<u8> {
    let at_least = usize::from(input.byte()) * 64;
    let mut m = input.take_rest().to_vec();
    m.resize(m.len().max(at_least), 0);
    m
}
