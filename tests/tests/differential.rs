//! Differential tests: every available provider against independent references.
//!
//! * Against **ring** (independent of the RustCrypto crates): AES-128-GCM, AES-256-GCM,
//!   ChaCha20-Poly1305, HMAC-SHA-1/256/512, SHA-256/384/512.
//! * Every provider other than `rustcrypto` also against the `rustcrypto` provider, for
//!   everything including AES-CTR.
//! * AES-CTR has no ring counterpart (ring exposes no raw AES). Every provider, including
//!   `rustcrypto`, is compared with [`reference::aes_ctr`]: counter mode built here from
//!   single-block AES and a `u128` big-endian counter. That shares the AES block function
//!   with `rustcrypto` but none of its counter-mode code; the block function is anchored by
//!   the SP 800-38A vectors and by AES-GCM matching ring. Each CTR case is also encrypted
//!   in random pieces (in place and out of place), which must give the same bytes, since a
//!   `StreamCipher` keeps its position.
//!
//! Lengths: every message length 0..=1024, the block and page boundaries up to 64 KiB, and
//! random lengths up to 64 KiB. AEAD cases cycle the AAD length so every length 0..=600
//! occurs, and cycle input, output and AAD offsets 0..=15 within larger buffers, so both
//! aligned and unaligned slices are used. Every AEAD case is sealed in place
//! (`seal_in_place`) and out of place (`seal`/`open`), must open back, and must be refused
//! with one bit flipped.

use std::collections::BTreeSet;
use std::sync::Arc;

use rand_core::RngCore;

use wirecrypt::{
    AeadAlg, AeadKey, CipherAlg, Error, HashAlg, MacAlg, Provider, ProviderId, TAG_LEN,
};
use wirecrypt_tests::aead::{Case, check_rejected};
use wirecrypt_tests::{TestRng, flip_bit, providers, reference, rustcrypto, supports};

/// Every length 0..=1024 is tested; then these boundaries; then `RANDOM_LENGTHS` random
/// lengths up to `MAX_LEN`.
const FIXED_MAX: usize = 1024;
const BOUNDARIES: &[usize] = &[
    2047, 2048, 2049, 4095, 4096, 4097, 16383, 16384, 16385, 65535, 65536,
];
const RANDOM_LENGTHS: usize = 96;
const MAX_LEN: usize = 64 * 1024;
/// AAD lengths 0..=AAD_MAX all occur.
const AAD_MAX: usize = 600;
/// Keys change every this many cases.
const REKEY_EVERY: usize = 97;
/// Fill byte around every slice handed to the engine; it must survive.
const GUARD: u8 = 0x5a;
/// Guard bytes after each slice.
const TAIL: usize = 8;

fn lengths(rng: &mut TestRng) -> Vec<usize> {
    let mut v: Vec<usize> = (0..=FIXED_MAX).collect();
    v.extend_from_slice(BOUNDARIES);
    v.extend((0..RANDOM_LENGTHS).map(|_| rng.range(FIXED_MAX + 1, MAX_LEN)));
    v
}

/// `data` placed at `offset` in a buffer of guard bytes with `TAIL` guard bytes after it.
fn placed(data: &[u8], offset: usize) -> Vec<u8> {
    let mut buf = vec![GUARD; offset + data.len() + TAIL];
    buf[offset..offset + data.len()].copy_from_slice(data);
    buf
}

fn guards_intact(buf: &[u8], offset: usize, len: usize) -> bool {
    buf[..offset].iter().all(|&b| b == GUARD) && buf[offset + len..].iter().all(|&b| b == GUARD)
}

/// The other side of a comparison: ring, or the `rustcrypto` provider.
enum AeadRef {
    Ring(Box<reference::RingAead>),
    Provider(Box<dyn AeadKey>),
}

impl AeadRef {
    fn seal(&self, nonce: &[u8], aad: &[u8], pt: &[u8]) -> Vec<u8> {
        match self {
            AeadRef::Ring(k) => k.seal(nonce, aad, pt),
            AeadRef::Provider(k) => {
                let mut out = vec![0; pt.len() + TAG_LEN];
                k.seal(nonce, aad, pt, &mut out).expect("reference seals");
                out
            }
        }
    }
}

/// The references for `provider`: ring always, and `rustcrypto` unless it is the
/// provider under test.
fn reference_names(provider: &dyn Provider) -> Vec<&'static str> {
    if provider.id() == ProviderId::RustCrypto {
        vec!["ring"]
    } else {
        vec!["ring", "rustcrypto"]
    }
}

fn aead_refs(
    provider: &dyn Provider,
    rc: &Arc<dyn Provider>,
    alg: AeadAlg,
    key: &[u8],
) -> Vec<(&'static str, AeadRef)> {
    reference_names(provider)
        .into_iter()
        .map(|name| {
            let r = match name {
                "ring" => AeadRef::Ring(Box::new(reference::RingAead::new(alg, key))),
                _ => AeadRef::Provider(rc.aead(alg, key).expect("rustcrypto takes the key")),
            };
            (name, r)
        })
        .collect()
}

fn run_aead(provider: &dyn Provider, rc: &Arc<dyn Provider>, alg: AeadAlg, rng: &mut TestRng) {
    let test = format!("differential {alg}");
    let key_len = alg.info().key_len;
    let lens = lengths(rng);
    let mut aad_lens = BTreeSet::new();
    let mut offsets = BTreeSet::new();
    let mut tampers = 0;
    let mut bytes = 0usize;
    let mut key_bytes = rng.bytes(key_len);
    let mut key = provider.aead(alg, &key_bytes).unwrap();
    let mut refs = aead_refs(provider, rc, alg, &key_bytes);

    for (i, &len) in lens.iter().enumerate() {
        if i > 0 && i % REKEY_EVERY == 0 {
            key_bytes = rng.bytes(key_len);
            key = provider.aead(alg, &key_bytes).unwrap();
            refs = aead_refs(provider, rc, alg, &key_bytes);
        }
        let aad_len = if i <= FIXED_MAX {
            i % (AAD_MAX + 1)
        } else {
            rng.range(0, AAD_MAX)
        };
        let (in_off, out_off, aad_off) = (i % 16, (i / 16 + 3 * i) % 16, (5 * i + 1) % 16);
        aad_lens.insert(aad_len);
        offsets.insert((in_off, out_off));
        let name = format!(
            "{test} [{}] case {i} (len {len}, aad {aad_len}, offsets in {in_off} out {out_off} aad {aad_off})",
            provider.id()
        );

        let nonce: [u8; 12] = rng.array();
        let pt = rng.bytes(len);
        let aad_buf = placed(&rng.bytes(aad_len), aad_off);
        let aad = &aad_buf[aad_off..aad_off + aad_len];

        let expected = refs[0].1.seal(&nonce, aad, &pt);
        for (rname, r) in &refs[1..] {
            assert!(
                r.seal(&nonce, aad, &pt) == expected,
                "{name}: references {} and {rname} disagree",
                refs[0].0
            );
        }
        let (exp_ct, exp_tag) = expected.split_at(len);

        // In place, at an offset.
        let mut buf = placed(&pt, in_off);
        let tag = key
            .seal_in_place(&nonce, aad, &mut buf[in_off..in_off + len])
            .unwrap_or_else(|e| panic!("{name}: seal_in_place: {e}"));
        assert!(
            &buf[in_off..in_off + len] == exp_ct,
            "{name}: seal_in_place ciphertext differs from {}",
            refs[0].0
        );
        assert_eq!(
            hex::encode(tag),
            hex::encode(exp_tag),
            "{name}: seal_in_place tag differs from {}",
            refs[0].0
        );
        assert!(
            guards_intact(&buf, in_off, len),
            "{name}: seal_in_place wrote outside its slice"
        );
        key.open_in_place(&nonce, aad, &mut buf[in_off..in_off + len], &tag)
            .unwrap_or_else(|e| panic!("{name}: open_in_place: {e}"));
        assert!(
            buf[in_off..in_off + len] == pt[..],
            "{name}: open_in_place round trip"
        );
        assert!(
            guards_intact(&buf, in_off, len),
            "{name}: open_in_place wrote outside its slice"
        );

        // Out of place: input and output in separate buffers, each at its own offset, with
        // room to spare that must stay untouched.
        let input = placed(&pt, in_off);
        let mut out = vec![GUARD; out_off + len + TAG_LEN + TAIL];
        let n = key
            .seal(
                &nonce,
                aad,
                &input[in_off..in_off + len],
                &mut out[out_off..],
            )
            .unwrap_or_else(|e| panic!("{name}: seal: {e}"));
        assert_eq!(n, len + TAG_LEN, "{name}: seal length");
        assert!(
            out[out_off..out_off + n] == expected[..],
            "{name}: seal output differs"
        );
        assert!(
            guards_intact(&out, out_off, n),
            "{name}: seal wrote outside its output"
        );
        let mut opened = vec![GUARD; in_off + len + TAIL];
        let m = key
            .open(
                &nonce,
                aad,
                &out[out_off..out_off + n],
                &mut opened[in_off..],
            )
            .unwrap_or_else(|e| panic!("{name}: open: {e}"));
        assert_eq!(m, len, "{name}: open length");
        assert!(
            opened[in_off..in_off + len] == pt[..],
            "{name}: open round trip"
        );
        assert!(
            guards_intact(&opened, in_off, len),
            "{name}: open wrote outside its output"
        );

        // One flipped bit, in the tag, the ciphertext or the AAD in turn.
        let mut ct = exp_ct.to_vec();
        let mut tag_t = exp_tag.to_vec();
        let mut aad_t = aad.to_vec();
        match i % 3 {
            1 if len > 0 => flip_bit(&mut ct, rng.range(0, len * 8 - 1)),
            2 if aad_len > 0 => flip_bit(&mut aad_t, rng.range(0, aad_len * 8 - 1)),
            _ => flip_bit(&mut tag_t, rng.range(0, TAG_LEN * 8 - 1)),
        }
        check_rejected(
            key.as_ref(),
            &Case {
                name: &name,
                nonce: &nonce,
                aad: &aad_t,
                pt: &[],
                ct: &ct,
                tag: &tag_t,
            },
        );
        tampers += 1;
        bytes += len;
    }
    assert_eq!(
        aad_lens.len(),
        AAD_MAX + 1,
        "{test}: not every AAD length occurred"
    );
    assert_eq!(offsets.len(), 256, "{test}: not every offset pair occurred");
    println!(
        "{test} [{} vs {}]: {} cases ({} lengths 0..={FIXED_MAX}, {} boundaries, {RANDOM_LENGTHS} random up to {MAX_LEN}; {} bytes), each in place + out of place, {} distinct AAD lengths, {} input/output offset pairs, {tampers} bit-flip rejections, 0 skipped",
        provider.id(),
        reference_names(provider).join(" + "),
        lens.len(),
        FIXED_MAX + 1,
        BOUNDARIES.len(),
        bytes,
        aad_lens.len(),
        offsets.len()
    );
}

#[test]
fn aead_against_references() {
    let mut rng = TestRng::for_test("differential aead");
    let rc = rustcrypto();
    for provider in providers() {
        for alg in AeadAlg::all() {
            if supports(provider.as_ref(), alg, "differential") {
                run_aead(provider.as_ref(), &rc, alg, &mut rng);
            }
        }
    }
}

fn run_mac(provider: &dyn Provider, rc: &Arc<dyn Provider>, alg: MacAlg, rng: &mut TestRng) {
    let test = format!("differential {alg}");
    let lens = lengths(rng);
    let mut key_lens = BTreeSet::new();
    let full_len = alg.info().tag_len;
    for (i, &len) in lens.iter().enumerate() {
        // Key lengths 0..=200 cycle (beyond both HMAC block sizes, so long keys get hashed).
        let key_len = if i <= FIXED_MAX {
            i % 201
        } else {
            rng.range(0, 300)
        };
        key_lens.insert(key_len);
        let off = i % 16;
        let name = format!(
            "{test} [{}] case {i} (len {len}, key {key_len}, offset {off})",
            provider.id()
        );
        let key = rng.bytes(key_len);
        let buf = placed(&rng.bytes(len), off);
        let data = &buf[off..off + len];

        let want = reference::hmac(alg, &key, data);
        let mac = provider
            .mac(alg, &key)
            .unwrap_or_else(|e| panic!("{name}: key: {e}"));
        let got = mac.sign(data).unwrap();
        assert_eq!(
            hex::encode(got),
            hex::encode(&want),
            "{name}: differs from ring"
        );
        if provider.id() != ProviderId::RustCrypto {
            let rc_tag = rc.mac(alg, &key).unwrap().sign(data).unwrap();
            assert_eq!(
                got.as_ref(),
                rc_tag.as_ref(),
                "{name}: differs from rustcrypto"
            );
        }

        // The same MAC over the data in random parts.
        let mut parts = Vec::new();
        let mut at = 0;
        for p in rng.pieces(len, 5) {
            parts.push(&data[at..at + p]);
            at += p;
        }
        assert_eq!(
            mac.sign_parts(&parts).unwrap().as_ref(),
            &want[..],
            "{name}: sign_parts"
        );
        assert_eq!(
            mac.verify_parts(&parts, &want),
            Ok(()),
            "{name}: verify_parts"
        );
        assert_eq!(mac.verify(data, &want), Ok(()), "{name}: verify");

        let mut bad = want.clone();
        flip_bit(&mut bad, rng.range(0, full_len * 8 - 1));
        assert_eq!(
            mac.verify(data, &bad),
            Err(Error::AuthenticationFailed),
            "{name}: flipped tag bit"
        );
        if len > 0 {
            let mut bad_data = data.to_vec();
            flip_bit(&mut bad_data, rng.range(0, len * 8 - 1));
            assert_eq!(
                mac.verify(&bad_data, &want),
                Err(Error::AuthenticationFailed),
                "{name}: flipped data bit"
            );
        }
        assert!(
            matches!(
                mac.verify(data, &want[..full_len - 1]),
                Err(Error::InvalidTagLength { .. })
            ),
            "{name}: a short tag must be refused by length"
        );
    }
    println!(
        "differential {alg} [{} vs {}]: {} cases ({} lengths 0..={FIXED_MAX}, {} boundaries, {RANDOM_LENGTHS} random up to {MAX_LEN}), {} distinct key lengths, sign + sign_parts + verify + 2 rejections each, 0 skipped",
        provider.id(),
        reference_names(provider).join(" + "),
        lens.len(),
        FIXED_MAX + 1,
        BOUNDARIES.len(),
        key_lens.len()
    );
}

#[test]
fn mac_against_references() {
    let mut rng = TestRng::for_test("differential mac");
    let rc = rustcrypto();
    for provider in providers() {
        for alg in MacAlg::all() {
            if supports(provider.as_ref(), alg, "differential") {
                run_mac(provider.as_ref(), &rc, alg, &mut rng);
            }
        }
    }
}

fn run_hash(provider: &dyn Provider, rc: &Arc<dyn Provider>, alg: HashAlg, rng: &mut TestRng) {
    let test = format!("differential {alg}");
    let lens = lengths(rng);
    for (i, &len) in lens.iter().enumerate() {
        let off = i % 16;
        let name = format!(
            "{test} [{}] case {i} (len {len}, offset {off})",
            provider.id()
        );
        let buf = placed(&rng.bytes(len), off);
        let data = &buf[off..off + len];
        let want = reference::digest(alg, data);

        let mut h = provider.hash(alg).unwrap();
        h.update(data).unwrap();
        let got = h.finish().unwrap();
        assert_eq!(
            hex::encode(got),
            hex::encode(&want),
            "{name}: differs from ring"
        );
        if provider.id() != ProviderId::RustCrypto {
            let mut r = rc.hash(alg).unwrap();
            r.update(data).unwrap();
            assert_eq!(got, r.finish().unwrap(), "{name}: differs from rustcrypto");
        }

        let mut h = provider.hash(alg).unwrap();
        let mut at = 0;
        for p in rng.pieces(len, 8) {
            h.update(&data[at..at + p]).unwrap();
            h.update(&[]).unwrap();
            at += p;
        }
        assert_eq!(
            h.finish().unwrap().as_ref(),
            &want[..],
            "{name}: streamed in random pieces"
        );
    }
    println!(
        "differential {alg} [{} vs {}]: {} cases ({} lengths 0..={FIXED_MAX}, {} boundaries, {RANDOM_LENGTHS} random up to {MAX_LEN}), one-shot + streamed each, 0 skipped",
        provider.id(),
        reference_names(provider).join(" + "),
        lens.len(),
        FIXED_MAX + 1,
        BOUNDARIES.len(),
    );
}

#[test]
fn hash_against_references() {
    let mut rng = TestRng::for_test("differential hash");
    let rc = rustcrypto();
    for provider in providers() {
        for alg in HashAlg::all() {
            if supports(provider.as_ref(), alg, "differential") {
                run_hash(provider.as_ref(), &rc, alg, &mut rng);
            }
        }
    }
}

/// A counter block: random, or with the low 32, low 64 or all 128 bits a few blocks short
/// of all ones, so that carries (and the 2^128 wrap) happen inside the message.
fn ctr_iv(rng: &mut TestRng, i: usize) -> [u8; 16] {
    let mut iv: [u8; 16] = rng.array();
    let near = |rng: &mut TestRng| rng.range(0, 8) as u128;
    let ctr = u128::from_be_bytes(iv);
    let ctr = match i % 4 {
        0 => ctr,
        1 => (ctr & !0xffff_ffff) | (0xffff_ffff - near(rng)),
        2 => (ctr & !(u64::MAX as u128)) | (u64::MAX as u128 - near(rng)),
        _ => u128::MAX - near(rng),
    };
    iv = ctr.to_be_bytes();
    iv
}

/// Where two CTR outputs first differ: byte, block, and that block's counter value.
fn first_diff(got: &[u8], want: &[u8], iv: [u8; 16]) -> String {
    match got.iter().zip(want).position(|(a, b)| a != b) {
        Some(at) => {
            let block = at / 16;
            let counter = u128::from_be_bytes(iv).wrapping_add(block as u128);
            format!("(first difference at byte {at}, block {block}, counter block {counter:032x})")
        }
        None => "(lengths differ)".to_owned(),
    }
}

fn run_ctr(provider: &dyn Provider, rc: &Arc<dyn Provider>, alg: CipherAlg, rng: &mut TestRng) {
    let test = format!("differential {alg}");
    let lens = lengths(rng);
    let mut pieces_total = 0;
    for (i, &len) in lens.iter().enumerate() {
        let key = rng.bytes(alg.info().key_len);
        let iv = ctr_iv(rng, i);
        let (off, out_off) = (i % 16, (7 * i + 5) % 16);
        let name = format!(
            "{test} [{}] case {i} (len {len}, iv {}, offsets {off}/{out_off})",
            provider.id(),
            hex::encode(iv)
        );
        let pt = rng.bytes(len);
        let want = reference::aes_ctr(alg, &key, &iv, &pt);
        let fresh = || {
            provider
                .cipher(alg, &key, &iv)
                .unwrap_or_else(|e| panic!("{name}: cipher: {e}"))
        };
        if provider.id() != ProviderId::RustCrypto {
            let mut r = rc.cipher(alg, &key, &iv).unwrap();
            let mut b = pt.clone();
            r.apply_keystream(&mut b).unwrap();
            assert!(
                b == want,
                "{name}: rustcrypto and the CTR reference disagree"
            );
        }

        // In one call, in place at an offset.
        let mut buf = placed(&pt, off);
        fresh()
            .apply_keystream(&mut buf[off..off + len])
            .unwrap_or_else(|e| panic!("{name}: apply_keystream: {e}"));
        assert!(
            buf[off..off + len] == want[..],
            "{name}: differs from the reference {}",
            first_diff(&buf[off..off + len], &want, iv)
        );
        assert!(
            guards_intact(&buf, off, len),
            "{name}: wrote outside its slice"
        );

        // In random pieces, alternating in place and out of place.
        let mut c = fresh();
        let mut out = vec![GUARD; out_off + len + TAIL];
        let input = placed(&pt, off);
        let mut at = 0;
        for (k, p) in rng.pieces(len, 6).into_iter().enumerate() {
            let src = &input[off + at..off + at + p];
            let dst = &mut out[out_off + at..out_off + at + p];
            if k % 2 == 0 {
                c.apply_keystream_to(src, dst)
            } else {
                dst.copy_from_slice(src);
                c.apply_keystream(dst)
            }
            .unwrap_or_else(|e| panic!("{name}: piece {k} at {at}: {e}"));
            at += p;
            pieces_total += 1;
        }
        assert!(
            out[out_off..out_off + len] == want[..],
            "{name}: pieces differ from the reference {}",
            first_diff(&out[out_off..out_off + len], &want, iv)
        );
        assert!(
            guards_intact(&out, out_off, len),
            "{name}: pieces wrote outside the output"
        );

        // Decryption is the same operation.
        let mut back = want.clone();
        fresh().apply_keystream(&mut back).unwrap();
        assert!(back == pt, "{name}: decrypt round trip");
    }
    println!(
        "differential {alg} [{} vs CTR reference{}]: {} cases ({} lengths 0..={FIXED_MAX}, {} boundaries, {RANDOM_LENGTHS} random up to {MAX_LEN}; IVs random / near 32-, 64- and 128-bit carries), one call + {pieces_total} pieces + decrypt each, 0 skipped",
        provider.id(),
        if provider.id() == ProviderId::RustCrypto {
            ""
        } else {
            " + rustcrypto"
        },
        lens.len(),
        FIXED_MAX + 1,
        BOUNDARIES.len(),
    );
}

#[test]
fn ctr_against_references() {
    let mut rng = TestRng::for_test("differential ctr");
    let rc = rustcrypto();
    for provider in providers() {
        for alg in CipherAlg::all() {
            if supports(provider.as_ref(), alg, "differential") {
                run_ctr(provider.as_ref(), &rc, alg, &mut rng);
            }
        }
    }
}

/// `AeadKey` is `Send + Sync` and takes `&self`: one key must serve several threads at
/// once with every result still matching ring (a provider keeping scratch state in the
/// key would fail here).
#[test]
fn aead_key_shared_across_threads() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 150;
    let seed = TestRng::for_test("differential aead threads").next_u64();
    for provider in providers() {
        for alg in AeadAlg::all() {
            if !supports(provider.as_ref(), alg, "differential threads") {
                continue;
            }
            let key_bytes = TestRng::from_seed(seed).bytes(alg.info().key_len);
            let key = provider.aead(alg, &key_bytes).unwrap();
            let ring = reference::RingAead::new(alg, &key_bytes);
            let (key, ring, id) = (key.as_ref(), &ring, provider.id());
            std::thread::scope(|s| {
                for t in 0..THREADS {
                    s.spawn(move || {
                        let mut rng = TestRng::from_seed(seed ^ (t as u64 + 1));
                        for i in 0..PER_THREAD {
                            let (len, aad_len) = (rng.range(0, 4096), rng.range(0, 64));
                            let (nonce, pt, aad) =
                                (rng.array::<12>(), rng.bytes(len), rng.bytes(aad_len));
                            let mut buf = pt.clone();
                            let tag = key.seal_in_place(&nonce, &aad, &mut buf).unwrap();
                            buf.extend_from_slice(&tag);
                            assert!(
                                buf == ring.seal(&nonce, &aad, &pt),
                                "{alg} [{id}] thread {t} case {i}: differs from ring"
                            );
                            let mut out = vec![0; len];
                            key.open(&nonce, &aad, &buf, &mut out).unwrap();
                            assert!(out == pt, "{alg} thread {t} case {i}: round trip");
                        }
                    });
                }
            });
            println!(
                "differential threads {alg} [{} vs ring]: {} cases ({THREADS} threads x {PER_THREAD}, one shared key), 0 skipped",
                provider.id(),
                THREADS * PER_THREAD
            );
        }
    }
}
