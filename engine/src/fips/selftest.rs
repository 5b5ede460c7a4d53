//! Known-answer self-tests (FIPS 140-3 IG 10.3.A): one per approved algorithm, run on every
//! provider that serves it, before the engine is handed out in FIPS mode.
//!
//! The tests are a table of (name, algorithm, test function); one checker compares
//! expected and actual values and reports both in hex. Any test can be broken on purpose
//! — [`EngineBuilder::break_self_test`](crate::EngineBuilder::break_self_test) or, in
//! builds with the test-only `selftest-break` feature, `WIRECRYPT_SELFTEST_BREAK=<name>`
//! — to prove the error state.

use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};
use crate::{Error, Provider, ProviderId};

/// The environment variable that breaks one self-test by name (to prove the error state).
/// Honoured only by builds with the test-only `selftest-break` feature.
pub const BREAK_ENV: &str = "WIRECRYPT_SELFTEST_BREAK";

/// The self-test [`BREAK_ENV`] names, in builds with the test-only `selftest-break`
/// feature; always `None` otherwise.
pub fn break_from_env() -> Option<String> {
    break_from(|name| std::env::var(name).ok())
}

/// [`break_from_env`] with the environment lookup given.
fn break_from(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    if cfg!(feature = "selftest-break") {
        lookup(BREAK_ENV).filter(|v| !v.trim().is_empty())
    } else {
        None
    }
}

/// The outcome of one known-answer test on one provider.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SelfTestResult {
    /// The test's name (`AES-256-GCM seal`).
    pub test: &'static str,
    /// The algorithm's id.
    pub algorithm: &'static str,
    /// The provider it ran on.
    pub provider: ProviderId,
    /// `None` when it passed; otherwise what went wrong.
    pub failure: Option<String>,
}

impl SelfTestResult {
    /// True when the test passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

type KatFn = fn(&dyn Provider, bool) -> Result<(), String>;

/// One known-answer test. `broken` corrupts the expected value, as a faulty
/// implementation would look.
struct Kat {
    name: &'static str,
    alg: Algorithm,
    run: KatFn,
}

/// Every self-test, one per approved algorithm.
static KATS: &[Kat] = &[
    Kat {
        name: "AES-128-GCM seal/open",
        alg: Algorithm::Aead(AeadAlg::Aes128Gcm),
        run: |p, broken| aead_kat(p, AeadAlg::Aes128Gcm, &GCM128.vector(), broken),
    },
    Kat {
        name: "AES-256-GCM seal/open",
        alg: Algorithm::Aead(AeadAlg::Aes256Gcm),
        run: |p, broken| aead_kat(p, AeadAlg::Aes256Gcm, &GCM256.vector(), broken),
    },
    Kat {
        name: "AES-128-GCM long, AAD",
        alg: Algorithm::Aead(AeadAlg::Aes128Gcm),
        run: |p, broken| aead_kat(p, AeadAlg::Aes128Gcm, &GCM128_LONG.vector(), broken),
    },
    Kat {
        name: "AES-256-GCM long, AAD",
        alg: Algorithm::Aead(AeadAlg::Aes256Gcm),
        run: |p, broken| aead_kat(p, AeadAlg::Aes256Gcm, &GCM256_LONG.vector(), broken),
    },
    Kat {
        name: "AES-128-CTR",
        alg: Algorithm::Cipher(CipherAlg::Aes128Ctr),
        run: |p, broken| ctr_kat(p, CipherAlg::Aes128Ctr, &CTR128, broken),
    },
    Kat {
        name: "AES-192-CTR",
        alg: Algorithm::Cipher(CipherAlg::Aes192Ctr),
        run: |p, broken| ctr_kat(p, CipherAlg::Aes192Ctr, &CTR192, broken),
    },
    Kat {
        name: "AES-256-CTR",
        alg: Algorithm::Cipher(CipherAlg::Aes256Ctr),
        run: |p, broken| ctr_kat(p, CipherAlg::Aes256Ctr, &CTR256, broken),
    },
    Kat {
        name: "HMAC-SHA-256",
        alg: Algorithm::Mac(MacAlg::HmacSha256),
        run: |p, broken| mac_kat(p, MacAlg::HmacSha256, HMAC256, broken),
    },
    Kat {
        name: "HMAC-SHA-512",
        alg: Algorithm::Mac(MacAlg::HmacSha512),
        run: |p, broken| mac_kat(p, MacAlg::HmacSha512, HMAC512, broken),
    },
    Kat {
        name: "SHA-256",
        alg: Algorithm::Hash(HashAlg::Sha256),
        run: |p, broken| hash_kat(p, HashAlg::Sha256, SHA256_ABC, broken),
    },
    Kat {
        name: "SHA-384",
        alg: Algorithm::Hash(HashAlg::Sha384),
        run: |p, broken| hash_kat(p, HashAlg::Sha384, SHA384_ABC, broken),
    },
    Kat {
        name: "SHA-512",
        alg: Algorithm::Hash(HashAlg::Sha512),
        run: |p, broken| hash_kat(p, HashAlg::Sha512, SHA512_ABC, broken),
    },
];

/// The names of every self-test, for `WIRECRYPT_SELFTEST_BREAK` and documentation.
pub fn names() -> impl Iterator<Item = &'static str> {
    KATS.iter().map(|k| k.name)
}

/// Runs every self-test on every provider in `providers` that serves its algorithm.
/// `broken` names a test to corrupt on purpose.
pub fn run(providers: &[&dyn Provider], broken: Option<&str>) -> Vec<SelfTestResult> {
    let mut results = Vec::new();
    for provider in providers {
        for kat in KATS.iter().filter(|k| provider.supports(k.alg)) {
            let corrupt = broken.is_some_and(|b| b.eq_ignore_ascii_case(kat.name));
            results.push(SelfTestResult {
                test: kat.name,
                algorithm: kat.alg.id(),
                provider: provider.id(),
                failure: (kat.run)(*provider, corrupt).err(),
            });
        }
    }
    results
}

/// The first failure in `results`, as the error that puts the engine in its error state.
pub(crate) fn first_failure(results: &[SelfTestResult]) -> Option<Error> {
    results.iter().find(|r| !r.passed()).map(|r| {
        Error::SelfTestFailed(format!(
            "{} on provider {}: {}",
            r.test,
            r.provider,
            r.failure.as_deref().unwrap_or_default()
        ))
    })
}

/// The one checker: compares and, on mismatch, shows both values.
fn check(what: &str, expected: &[u8], actual: &[u8]) -> Result<(), String> {
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("self-test vectors are hex");
    }
    out
}

/// Flips a bit of an expected value when the test is being broken on purpose.
fn maybe_break<const N: usize>(mut v: [u8; N], broken: bool) -> [u8; N] {
    if broken {
        v[0] ^= 1;
    }
    v
}

struct GcmVector {
    key: &'static str,
    iv: &'static str,
    pt: &'static str,
    ct: &'static str,
    tag: &'static str,
}

// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 3 and 15
// (64-byte plaintexts, 96-bit IVs).
const GCM128: GcmVector = GcmVector {
    key: "feffe9928665731c6d6a8f9467308308",
    iv: "cafebabefacedbaddecaf888",
    pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
    ct: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
    tag: "4d5c2af327cd64a62cf35abd2ba6fab4",
};
const GCM256: GcmVector = GcmVector {
    key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    iv: "cafebabefacedbaddecaf888",
    pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
    ct: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
    tag: "b094dac5d93471bdec1a502270e3cc6c",
};

/// A GCM test vector, decoded.
struct Gcm {
    key: Vec<u8>,
    iv: [u8; 12],
    aad: Vec<u8>,
    pt: Vec<u8>,
    ct: Vec<u8>,
    tag: [u8; 16],
}

impl GcmVector {
    fn vector(&self) -> Gcm {
        Gcm {
            key: unhex_vec(self.key),
            iv: unhex(self.iv),
            aad: Vec::new(),
            pt: unhex_vec(self.pt),
            ct: unhex_vec(self.ct),
            tag: unhex(self.tag),
        }
    }
}

/// A longer GCM vector, whose plaintext (byte i = 7i + 3) and additional data (byte
/// i = 0x80 + i) are generated: 528 bytes — 33 blocks, so a 16-block kernel runs twice
/// and a tail follows — under 40 bytes of AAD (three GHASH blocks, the last partial).
struct LongGcmVector {
    key: &'static str,
    ct: &'static str,
    tag: &'static str,
}

const LONG_GCM_IV: &str = "f0e1d2c3b4a5968778695a4b";
const LONG_GCM_LEN: usize = 528;
const LONG_GCM_AAD_LEN: usize = 40;

impl LongGcmVector {
    fn vector(&self) -> Gcm {
        Gcm {
            key: unhex_vec(self.key),
            iv: unhex(LONG_GCM_IV),
            aad: (0..LONG_GCM_AAD_LEN).map(|i| 0x80 + i as u8).collect(),
            pt: (0..LONG_GCM_LEN).map(|i| (i * 7 + 3) as u8).collect(),
            ct: unhex_vec(self.ct),
            tag: unhex(self.tag),
        }
    }
}

// Computed with OpenSSL 3 (through Python's `cryptography` 48.0.0's AESGCM), an
// implementation independent of every provider here.
const GCM128_LONG: LongGcmVector = LongGcmVector {
    key: "404346494c4f5255585b5e6164676a6d",
    ct: concat!(
        "62d6dbe7fe1d796375dc42bab78e760b3740cd680441b460814b77100777c03c622511d4882ceeed26c5dffe1d5bb586",
        "2da9c80f5e40fde172c2d42d3352664e9719a7112b580038fe815998405095c1d0b26a74a91c00f0c38a72868c6061be",
        "478779cb43d7669f30626a54484206f195d3aaafeb17eb9e0491df656169077cd0f6a5c27d45c35c3d0110a1c3cb7edf",
        "5d5125ea762360da61713bc84372e17edf3f805870bea6e6f97678fa26e49f1caeca68a0e09a1ebc35a7fd61dc7b1901",
        "6a5212e8cb3b98132fe04120fa070d7a8035a8ee5f030581e4bfecd0752cb70fe366d13fa10585e11ad11bce31be8fd6",
        "975a3708c454074db785b36a190a392c74c6e42f49a5f9cd0a8ab48a5924dd175a9b304d149bd73ecd537a3aaa84eabb",
        "e1e20d52533a8360fb304729dec7acbf83709fd5e3234fa4174ea8131dda8126d73e6c8f0b7857840d08bb020723dfdf",
        "1ba92d08f40a9dbd85613f1e47c873ffbd85c4b7939ac365a79ed70ee6a64c1e3b83498fe14200226a71ad2533a61bb1",
        "ebad447a86cec1d6daaeee765cfe080b866cd49380c4825028f6d70e9bafc048c3bbfeedee7f3efe9ce1c427cb586dae",
        "edbc17c2c07ad72acb2bffb98153f7b9895574b7e45e5e99c017c63ad5bb9e615011344f46bfdbfc8578fd970513e4ef",
        "fd88ac8951a116e269e4ec34f553608bc57d0f53824155748d721537344f40a71211db494ef241b9ef4d3d9c3ee46d86",
    ),
    tag: "0099c25208cfe29661877510d860faed",
};
const GCM256_LONG: LongGcmVector = LongGcmVector {
    key: "404346494c4f5255585b5e6164676a6d707376797c7f8285888b8e9194979a9d",
    ct: concat!(
        "6a5aa063fc454519ed6326771e5296b893f0c7524e18cd7e2125f6c8e87ea2a5fa553092fac8c8711d0d018b75a418b7",
        "18311fe3710a835f42c8fa2f560ccbacbd219504e7f12d3fe3a9cf31f6fc2aa4dc921bee59cf58a64a202d08552bdf56",
        "67885a1efe6f1681f31ee3ec1a1085f7276242040ccca70c7d940727d4534f0ab95aad60b1c70f9204029ca394ca230d",
        "40a0ad46faedf53863d4a0ededbb093e1e1b521ab1e3e270a463f653164cb9d2e2de7dc3c1eaea2e3839d67191857e65",
        "a7ccc9f9e604e10eacc4baf41ce2b72e4008c2b4f9778cb20fae5b297fbbd38dba90a16a5e43ab3285981bd13e321d2d",
        "83e41ba6699f2d7c34c59266487034811e2960268083bbbbaa21a7e045f671f5d8315e1e328a3b4c365ae4eb0083f39a",
        "aba3a6c97045e238d198ee155dbf7bb8d5fd75e146ff3675e863c8f3c0b31caac1e561b6cf7f17abf9fe21d7deed8ad1",
        "fa57bcdf721ebb318e7a607b75ea7b1c856ae401d564781e61fa0c2286056c9834adbd3526c52137d9dc1c6f8bbbdf4e",
        "1140e9a254d3bee836ffd95c407b35ebdb27eb96eafeec94866c61c585aed0b5fd29fbfd0872841b940526e6868ec9bc",
        "7a8e92d894f4c8a5add8fd7261e8c50c2c1648a193f1e285a1f6c5151350ed81f3b6e9ae7dc6c570047db4bc1a65663c",
        "1a2fe324686e49909cdf99c3cb681297e6e98dc565a0ed4ddeb833b7149b64078f91437fa6c2dbc7c85edd420284911d",
    ),
    tag: "7fc68834465dfc6d1821fc12e88f678c",
};

fn aead_kat(p: &dyn Provider, alg: AeadAlg, v: &Gcm, broken: bool) -> Result<(), String> {
    let key = p.aead(alg, &v.key).map_err(|e| e.to_string())?;
    let mut ct = v.ct.clone();
    if broken {
        ct[0] ^= 1;
    }
    let mut buf = v.pt.clone();
    let got_tag = key
        .seal_in_place(&v.iv, &v.aad, &mut buf)
        .map_err(|e| e.to_string())?;
    check("ciphertext", &ct, &buf)?;
    check("tag", &v.tag, &got_tag)?;
    key.open_in_place(&v.iv, &v.aad, &mut buf, &v.tag)
        .map_err(|e| format!("open of the known ciphertext: {e}"))?;
    check("decrypted plaintext", &v.pt, &buf)
}

fn unhex_vec(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("self-test vectors are hex"))
        .collect()
}

struct CtrVector {
    key: &'static str,
    ct: &'static str,
}

// SP 800-38A F.5.1, F.5.3, F.5.5: first block.
const CTR_IV: &str = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
const CTR_PT: &str = "6bc1bee22e409f96e93d7e117393172a";
const CTR128: CtrVector = CtrVector {
    key: "2b7e151628aed2a6abf7158809cf4f3c",
    ct: "874d6191b620e3261bef6864990db6ce",
};
const CTR192: CtrVector = CtrVector {
    key: "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
    ct: "1abc932417521ca24f2b0459fe7e6e0b",
};
const CTR256: CtrVector = CtrVector {
    key: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
    ct: "601ec313775789a5b7a7f504bbf3d228",
};

fn ctr_kat(p: &dyn Provider, alg: CipherAlg, v: &CtrVector, broken: bool) -> Result<(), String> {
    let mut c = p
        .cipher(alg, &unhex_vec(v.key), &unhex_vec(CTR_IV))
        .map_err(|e| e.to_string())?;
    let mut buf: [u8; 16] = unhex(CTR_PT);
    c.apply_keystream(&mut buf).map_err(|e| e.to_string())?;
    check("ciphertext", &maybe_break(unhex::<16>(v.ct), broken), &buf)
}

// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
const HMAC256: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
const HMAC512: &str = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737";

fn mac_kat(p: &dyn Provider, alg: MacAlg, expected: &str, broken: bool) -> Result<(), String> {
    let key = p.mac(alg, b"Jefe").map_err(|e| e.to_string())?;
    let tag = key
        .sign(b"what do ya want for nothing?")
        .map_err(|e| e.to_string())?;
    let mut want = unhex_vec(expected);
    if broken {
        want[0] ^= 1;
    }
    check("MAC", &want, tag.as_ref())
}

// FIPS 180-2 examples: the digest of "abc".
const SHA256_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const SHA384_ABC: &str = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7";
const SHA512_ABC: &str = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

fn hash_kat(p: &dyn Provider, alg: HashAlg, expected: &str, broken: bool) -> Result<(), String> {
    let mut ctx = p.hash(alg).map_err(|e| e.to_string())?;
    ctx.update(b"abc").map_err(|e| e.to_string())?;
    let digest = ctx.finish().map_err(|e| e.to_string())?;
    let mut want = unhex_vec(expected);
    if broken {
        want[0] ^= 1;
    }
    check("digest", &want, digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::CpuFeatures;
    use crate::provider::rustcrypto::RustCrypto;

    #[test]
    fn the_break_variable_works_only_in_test_builds() {
        let lookup = |name: &str| (name == BREAK_ENV).then(|| "SHA-256".to_owned());
        let broken = break_from(lookup);
        if cfg!(feature = "selftest-break") {
            assert_eq!(broken.as_deref(), Some("SHA-256"));
        } else {
            assert_eq!(
                broken, None,
                "{BREAK_ENV} is honoured in a production build"
            );
        }
    }

    #[test]
    fn gcm_is_tested_past_the_wide_kernels_and_with_aad() {
        for alg in [AeadAlg::Aes128Gcm, AeadAlg::Aes256Gcm] {
            let long = KATS
                .iter()
                .filter(|k| k.alg == Algorithm::Aead(alg))
                .map(|k| k.name)
                .find(|name| name.contains("long, AAD"));
            assert!(
                long.is_some(),
                "{alg}: no GCM self-test of 512+ bytes with AAD"
            );
            let v = GCM256_LONG.vector();
            assert!(v.pt.len() >= 512 && v.ct.len() == v.pt.len() && !v.aad.is_empty());
        }
    }

    #[test]
    fn every_approved_algorithm_has_a_self_test() {
        for alg in Algorithm::all().filter(|a| a.info().fips.is_approved()) {
            assert!(KATS.iter().any(|k| k.alg == alg), "no KAT for {alg}");
        }
    }

    #[test]
    fn all_pass_on_rustcrypto_and_each_can_be_broken() {
        let p = RustCrypto::new(CpuFeatures::get());
        let results = run(&[&p], None);
        assert_eq!(results.len(), KATS.len());
        assert!(results.iter().all(SelfTestResult::passed), "{results:?}");
        for name in names() {
            let results = run(&[&p], Some(name));
            let failed: Vec<_> = results.iter().filter(|r| !r.passed()).collect();
            assert_eq!(failed.len(), 1, "{name}");
            assert_eq!(failed[0].test, name);
            let msg = failed[0].failure.as_deref().unwrap();
            assert!(msg.contains("expected") && msg.contains("got"), "{msg}");
            assert!(matches!(
                first_failure(&results),
                Some(Error::SelfTestFailed(_))
            ));
        }
    }
}
