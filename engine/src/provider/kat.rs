//! The start-up known-answer guard: a hardware provider serves only after it has given
//! the known answer for every algorithm it claims, on this machine, in every engine mode.
//!
//! Hardware kernels (`vaes256`, `vaes512`, `cpacf`, and any provider added later that
//! [`ProviderId::kat_guarded`](super::ProviderId::kat_guarded) marks) are code the
//! portable baseline does not share: a miscompiled intrinsic, a CPU erratum or a
//! hypervisor that reports a feature it does not pass through would otherwise produce
//! wrong ciphertext silently. [`check`] runs, for every algorithm the provider
//! [`supports`](super::Provider::supports), the row of [`KATS`] for that algorithm; the
//! registry marks a provider that fails unavailable, with the failure as the reason
//! (`wirecrypt probe` prints it), so selection never picks it. This runs whether or not
//! the engine is in FIPS mode; the FIPS self-tests ([`crate::fips::selftest`]) are a
//! separate, policy-driven list.
//!
//! Each AEAD and cipher row checks a published vector and a 1500-byte message: long
//! enough to pass through every width's bulk loop (whole batches of 256 and 512 bytes)
//! and its tail, in place and out of place, and for CTR across a carry out of the low 32
//! bits and in pieces. The 1500-byte answers (SHA-256 of the ciphertext, and the tag)
//! were computed with OpenSSL through Python's `cryptography` package, independently of
//! this crate.
//!
//! A provider that claims an algorithm with no row here fails the guard: adding a
//! provider or an algorithm means adding a row, never skipping the check.
//!
//! Tests break one row on purpose with [`break_for_test`], to prove a failing provider
//! is never selected.

use sha2::{Digest as _, Sha256};

use super::Provider;
use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};

/// Runs the known-answer test of every algorithm `p` supports. The error names the
/// algorithm and what differed (expected and actual, in hex).
pub fn check(p: &dyn Provider) -> Result<(), String> {
    for alg in Algorithm::all().filter(|&a| p.supports(a)) {
        let kat = KATS
            .iter()
            .find(|k| k.alg == alg)
            .ok_or_else(|| format!("{alg}: no known-answer test for it"))?;
        (kat.run)(p, is_broken(alg)).map_err(|e| format!("{alg} ({}): {e}", kat.name))?;
    }
    Ok(())
}

/// One known-answer test; `broken` corrupts the expected value, as a faulty kernel
/// would look.
struct Kat {
    alg: Algorithm,
    name: &'static str,
    run: fn(&dyn Provider, bool) -> Result<(), String>,
}

/// Every algorithm a hardware provider may serve, with its test.
static KATS: &[Kat] = &[
    Kat {
        alg: Algorithm::Aead(AeadAlg::Aes128Gcm),
        name: "McGrew-Viega test case 4; 1500 bytes",
        run: |p, broken| aead(p, AeadAlg::Aes128Gcm, &GCM128, broken),
    },
    Kat {
        alg: Algorithm::Aead(AeadAlg::Aes256Gcm),
        name: "McGrew-Viega test case 16; 1500 bytes",
        run: |p, broken| aead(p, AeadAlg::Aes256Gcm, &GCM256, broken),
    },
    Kat {
        alg: Algorithm::Aead(AeadAlg::ChaCha20Poly1305),
        name: "RFC 8439 §2.8.2; 1500 bytes",
        run: |p, broken| {
            aead(p, AeadAlg::ChaCha20Poly1305, &CHACHA, broken)?;
            openssh_pieces(p)
        },
    },
    Kat {
        alg: Algorithm::Cipher(CipherAlg::Aes128Ctr),
        name: "SP 800-38A F.5.1; 1500 bytes",
        run: |p, broken| ctr(p, CipherAlg::Aes128Ctr, &CTR128, broken),
    },
    Kat {
        alg: Algorithm::Cipher(CipherAlg::Aes192Ctr),
        name: "SP 800-38A F.5.3; 1500 bytes",
        run: |p, broken| ctr(p, CipherAlg::Aes192Ctr, &CTR192, broken),
    },
    Kat {
        alg: Algorithm::Cipher(CipherAlg::Aes256Ctr),
        name: "SP 800-38A F.5.5; 1500 bytes",
        run: |p, broken| ctr(p, CipherAlg::Aes256Ctr, &CTR256, broken),
    },
    Kat {
        alg: Algorithm::Mac(MacAlg::HmacSha1),
        name: "RFC 2202 test case 2",
        run: |p, broken| mac(p, MacAlg::HmacSha1, HMAC_SHA1, broken),
    },
    Kat {
        alg: Algorithm::Mac(MacAlg::HmacSha256),
        name: "RFC 4231 test case 2",
        run: |p, broken| mac(p, MacAlg::HmacSha256, HMAC_SHA256, broken),
    },
    Kat {
        alg: Algorithm::Mac(MacAlg::HmacSha512),
        name: "RFC 4231 test case 2",
        run: |p, broken| mac(p, MacAlg::HmacSha512, HMAC_SHA512, broken),
    },
    Kat {
        alg: Algorithm::Hash(HashAlg::Sha256),
        name: "FIPS 180-4 \"abc\"",
        run: |p, broken| hash(p, HashAlg::Sha256, SHA256_ABC, broken),
    },
    Kat {
        alg: Algorithm::Hash(HashAlg::Sha384),
        name: "FIPS 180-4 \"abc\"",
        run: |p, broken| hash(p, HashAlg::Sha384, SHA384_ABC, broken),
    },
    Kat {
        alg: Algorithm::Hash(HashAlg::Sha512),
        name: "FIPS 180-4 \"abc\"",
        run: |p, broken| hash(p, HashAlg::Sha512, SHA512_ABC, broken),
    },
];

/// Length of the long message: 5 batches of 256 bytes and 2 of 512, each with a tail.
const LONG_LEN: usize = 1500;

/// The long message: byte `i` is `7i + 3` (mod 256).
fn long_message() -> Vec<u8> {
    (0..LONG_LEN).map(|i| (i * 7 + 3) as u8).collect()
}

/// The long message's key of `len` bytes: `0x40, 0x41, ...`.
fn long_key(len: usize) -> Vec<u8> {
    (0x40..).take(len).collect()
}

/// A published AEAD vector (tag only: the tag authenticates the ciphertext), and the
/// answers for the long message under [`long_key`], nonce `00 01 .. 0b` and AAD
/// `00 01 .. 0c`.
struct AeadVector {
    key: &'static str,
    nonce: &'static str,
    aad: &'static str,
    pt: &'static [u8],
    tag: &'static str,
    long_ct_sha256: &'static str,
    long_tag: &'static str,
}

const MV_PT: &[u8] = &[
    0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a,
    0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72,
    0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
    0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
];

// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 4 and 16.
const GCM128: AeadVector = AeadVector {
    key: "feffe9928665731c6d6a8f9467308308",
    nonce: "cafebabefacedbaddecaf888",
    aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    pt: MV_PT,
    tag: "5bc94fbc3221a5db94fae95ae7121a47",
    long_ct_sha256: "6c5b0880d5802c56d2a5debc9a4107a20b4eb11377c15362bac082edc3a98280",
    long_tag: "7b65820a759f8b7082f569dafcece002",
};
const GCM256: AeadVector = AeadVector {
    key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    nonce: "cafebabefacedbaddecaf888",
    aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    pt: MV_PT,
    tag: "76fc6ece0f4e1768cddf8853bb2d551b",
    long_ct_sha256: "aa6d6091e9ade1a77fb892b4298703e18f130e91abc75f0520e815716a2089ac",
    long_tag: "0a32d80e4db8b3cc1f365e77e9ffbc84",
};
// RFC 8439 §2.8.2 (the "sunscreen" message).
const CHACHA: AeadVector = AeadVector {
    key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
    nonce: "070000004041424344454647",
    aad: "50515253c0c1c2c3c4c5c6c7",
    pt: b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for \
          the future, sunscreen would be it.",
    tag: "1ae10b594f09e26a7e902ecbd0600691",
    long_ct_sha256: "7aa054616891a777965fd987100629d5a07f204fd67fb68d7f29383bef5b6143",
    long_tag: "a3846ec554ad6361a7b55e5e58a11a71",
};

fn aead(p: &dyn Provider, alg: AeadAlg, v: &AeadVector, broken: bool) -> Result<(), String> {
    let err = |e: crate::Error| e.to_string();
    // The published vector, in place.
    let key = p.aead(alg, &unhex(v.key)).map_err(err)?;
    let (nonce, aad) = (unhex(v.nonce), unhex(v.aad));
    let mut buf = v.pt.to_vec();
    let tag = key.seal_in_place(&nonce, &aad, &mut buf).map_err(err)?;
    expect("tag", &maybe_break(unhex(v.tag), broken), &tag)?;
    key.open_in_place(&nonce, &aad, &mut buf, &tag)
        .map_err(|e| format!("open of its own output: {e}"))?;
    expect("decrypted plaintext", v.pt, &buf)?;

    // The long message, out of place then in place.
    let key = p.aead(alg, &long_key(alg.info().key_len)).map_err(err)?;
    let nonce: Vec<u8> = (0..12).collect();
    let aad: Vec<u8> = (0..13).collect();
    let pt = long_message();
    let mut sealed = vec![0u8; LONG_LEN + 16];
    key.seal(&nonce, &aad, &pt, &mut sealed).map_err(err)?;
    let (ct, tag) = sealed.split_at(LONG_LEN);
    expect(
        "SHA-256 of the long ciphertext",
        &unhex(v.long_ct_sha256),
        &Sha256::digest(ct),
    )?;
    expect("long tag", &unhex(v.long_tag), tag)?;
    let mut buf = pt.clone();
    let tag_in_place = key.seal_in_place(&nonce, &aad, &mut buf).map_err(err)?;
    expect("long ciphertext in place", ct, &buf)?;
    expect("long tag in place", tag, &tag_in_place)?;
    key.open_in_place(&nonce, &aad, &mut buf, tag)
        .map_err(|e| format!("open of the long message: {e}"))?;
    expect("long plaintext in place", &pt, &buf)?;
    let mut out = vec![0u8; LONG_LEN];
    key.open(&nonce, &aad, &sealed, &mut out)
        .map_err(|e| format!("out-of-place open of the long message: {e}"))?;
    expect("long plaintext out of place", &pt, &out)?;
    // A flipped bit must be refused, and the output wiped.
    sealed[LONG_LEN / 2] ^= 1;
    if key.open(&nonce, &aad, &sealed, &mut out).is_ok() || out.iter().any(|&b| b != 0) {
        return Err("a tampered message was accepted or its output not wiped".to_owned());
    }
    Ok(())
}

/// A published CTR vector and the long message's answer under [`long_key`] and the
/// counter block `00 01 .. 0b ff ff ff f0` (whose low 32 bits carry after 16 blocks).
struct CtrVector {
    key: &'static str,
    ct: &'static str,
    long_ct_sha256: &'static str,
}

// SP 800-38A F.5.1, F.5.3, F.5.5: all four blocks.
const CTR_IV: &str = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
const CTR_PT: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                      30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
const CTR128: CtrVector = CtrVector {
    key: "2b7e151628aed2a6abf7158809cf4f3c",
    ct: "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff\
         5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
    long_ct_sha256: "8b66a7ce5fd0d09e13a3036c0bae4dc8848b0497930ce1c1678371dc83216123",
};
const CTR192: CtrVector = CtrVector {
    key: "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
    ct: "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94\
         1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050",
    long_ct_sha256: "628b24a5ff74c620e2b8864e18f6428d564cb9f4f31a31cc9eb116d68ccf08ae",
};
const CTR256: CtrVector = CtrVector {
    key: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
    ct: "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5\
         2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
    long_ct_sha256: "7c1b906400a1226e49da0b678a97ccf7ab86af4eac05296fbfafbfb865c1928a",
};

fn ctr(p: &dyn Provider, alg: CipherAlg, v: &CtrVector, broken: bool) -> Result<(), String> {
    let err = |e: crate::Error| e.to_string();
    let key = unhex(v.key);
    let mut c = p.cipher(alg, &key, &unhex(CTR_IV)).map_err(err)?;
    let mut buf = unhex(CTR_PT);
    c.apply_keystream(&mut buf).map_err(err)?;
    expect("ciphertext", &maybe_break(unhex(v.ct), broken), &buf)?;

    let key = long_key(key.len());
    let iv = unhex("000102030405060708090a0bfffffff0");
    let pt = long_message();
    let mut whole = pt.clone();
    p.cipher(alg, &key, &iv)
        .and_then(|mut c| c.apply_keystream(&mut whole))
        .map_err(err)?;
    expect(
        "SHA-256 of the long ciphertext",
        &unhex(v.long_ct_sha256),
        &Sha256::digest(&whole),
    )?;
    // In pieces, out of place: the stream continues at any byte offset.
    let mut pieces = vec![0u8; LONG_LEN];
    let mut c = p.cipher(alg, &key, &iv).map_err(err)?;
    let mut at = 0;
    for cut in [7, 300, 541, LONG_LEN] {
        c.apply_keystream_to(&pt[at..cut], &mut pieces[at..cut])
            .map_err(err)?;
        at = cut;
    }
    expect("long ciphertext in pieces", &whole, &pieces)
}

// RFC 2202 and RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
const HMAC_SHA1: &str = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";
const HMAC_SHA256: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
const HMAC_SHA512: &str = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                           9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737";

fn mac(p: &dyn Provider, alg: MacAlg, expected: &str, broken: bool) -> Result<(), String> {
    let key = p.mac(alg, b"Jefe").map_err(|e| e.to_string())?;
    let tag = key
        .sign_parts(&[b"what do ya want ", b"for nothing?"])
        .map_err(|e| e.to_string())?;
    expect("mac", &maybe_break(unhex(expected), broken), tag.as_ref())
}

// FIPS 180-4 examples (NIST CSRC "Examples with intermediate values"): "abc".
const SHA256_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const SHA384_ABC: &str = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
                          8086072ba1e7cc2358baeca134c825a7";
const SHA512_ABC: &str = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                          2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

fn hash(p: &dyn Provider, alg: HashAlg, expected: &str, broken: bool) -> Result<(), String> {
    let mut h = p.hash(alg).map_err(|e| e.to_string())?;
    h.update(b"a").map_err(|e| e.to_string())?;
    h.update(b"bc").map_err(|e| e.to_string())?;
    let digest = h.finish().map_err(|e| e.to_string())?;
    expect(
        "digest",
        &maybe_break(unhex(expected), broken),
        digest.as_ref(),
    )
}

/// The one checker: both values in hex on a mismatch.
fn expect(what: &str, expected: &[u8], actual: &[u8]) -> Result<(), String> {
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected {}, got {}",
            hex(expected),
            hex(actual)
        ))
    }
}

/// The pieces `chacha20-poly1305@openssh.com` takes from a ChaCha20-Poly1305 provider:
/// original-form ChaCha20 (RFC 8439 §2.4.2's first 32 bytes: its counter 1 and nonce
/// `00..4a 00000000` are the original form's 64-bit counter 1 and nonce `0000004a 00000000`)
/// and one-shot Poly1305 (RFC 8439 §2.5.2).
fn openssh_pieces(p: &dyn Provider) -> Result<(), String> {
    let err = |e: crate::Error| e.to_string();
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let mut buf = *b"Ladies and Gentlemen of the class of '99";
    p.chacha20_original(&key)
        .map_err(err)?
        .xor_keystream(&[0, 0, 0, 0x4a, 0, 0, 0, 0], 1, &mut buf)
        .map_err(err)?;
    expect(
        "original-form ChaCha20",
        &unhex("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"),
        &buf[..32],
    )?;
    let key: [u8; 32] = unhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
        .try_into()
        .expect("32 bytes");
    let tag = p
        .poly1305(&key, b"Cryptographic Forum Research Group")
        .map_err(err)?;
    expect("Poly1305", &unhex("a8061dc1305136c6c22b8baf0c0127a9"), &tag)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("KAT vectors are hex"))
        .collect()
}

/// The expected value with its first bit flipped when `broken`.
fn maybe_break(mut v: Vec<u8>, broken: bool) -> Vec<u8> {
    if broken {
        v[0] ^= 0x80;
    }
    v
}

#[cfg(test)]
thread_local! {
    static BROKEN: std::cell::Cell<Option<Algorithm>> = const { std::cell::Cell::new(None) };
}

/// While the returned guard lives, the known answer for `alg` is wrong on this thread,
/// as a faulty kernel would make it look (tests only).
#[cfg(test)]
pub(crate) fn break_for_test(alg: impl Into<Algorithm>) -> BreakGuard {
    BROKEN.with(|b| b.set(Some(alg.into())));
    BreakGuard(())
}

/// Restores the known answers when dropped.
#[cfg(test)]
pub(crate) struct BreakGuard(());

#[cfg(test)]
impl Drop for BreakGuard {
    fn drop(&mut self) {
        BROKEN.with(|b| b.set(None));
    }
}

#[cfg(test)]
fn is_broken(alg: Algorithm) -> bool {
    BROKEN.with(|b| b.get()) == Some(alg)
}

#[cfg(not(test))]
fn is_broken(_alg: Algorithm) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::CpuFeatures;
    use crate::provider::rustcrypto::RustCrypto;
    use crate::provider::{ProviderId, candidates};

    #[test]
    fn every_algorithm_has_a_row_and_the_baseline_passes_all() {
        for alg in Algorithm::all() {
            assert!(KATS.iter().any(|k| k.alg == alg), "{alg} has no KAT row");
        }
        // The portable baseline implements the whole catalogue: every row's answers are
        // right (an independent implementation agrees with them).
        check(&RustCrypto::new(CpuFeatures::get())).unwrap();
    }

    #[test]
    fn each_row_can_be_broken_and_says_what_differed() {
        let baseline = RustCrypto::new(CpuFeatures::get());
        for alg in Algorithm::all() {
            let _broken = break_for_test(alg);
            let why = check(&baseline).expect_err("a broken row must fail");
            assert!(why.starts_with(&format!("{alg} (")), "{why}");
            assert!(why.contains("expected") && why.contains("got"), "{why}");
        }
        check(&baseline).expect("the guard restores the answers");
    }

    #[test]
    fn a_failing_provider_is_unavailable_and_never_selected() {
        let cpu = CpuFeatures::get();
        // One algorithm at a time: the guarded providers that serve it all fail when its
        // row is broken, and the rest of the engine carries on without them.
        for alg in [
            Algorithm::Aead(AeadAlg::Aes256Gcm),
            Algorithm::Aead(AeadAlg::ChaCha20Poly1305),
        ] {
            let guarded: Vec<ProviderId> = candidates(cpu)
                .into_iter()
                .filter(|c| c.id.kat_guarded())
                .filter(|c| c.status.as_ref().is_ok_and(|p| p.supports(alg)))
                .map(|c| c.id)
                .collect();
            if guarded.is_empty() {
                eprintln!("{alg}: skipped: no hardware provider for it on this machine");
                continue;
            }
            let _broken = break_for_test(alg);
            for c in candidates(cpu).iter().filter(|c| guarded.contains(&c.id)) {
                let why = c
                    .status
                    .as_ref()
                    .expect_err("a failing KAT must disable it");
                assert!(
                    why.starts_with(&format!("known-answer test failed: {alg}")),
                    "{}: {why}",
                    c.id
                );
            }
            let engine = crate::Engine::builder().ignore_env().build().unwrap();
            let s = engine
                .selections()
                .find(|s| s.algorithm == alg.id())
                .unwrap();
            let provider = s.provider.expect("the baseline still serves it");
            assert!(!guarded.contains(&provider), "{s:?}");
            assert!(s.reason.contains("known-answer test failed"), "{s:?}");
            // Forcing it is refused with the reason.
            let err = crate::Engine::builder()
                .ignore_env()
                .provider(guarded[0].as_str())
                .build()
                .unwrap_err();
            assert!(
                err.to_string().contains("known-answer test failed"),
                "{err}"
            );
        }
    }
}
