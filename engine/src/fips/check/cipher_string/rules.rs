//! A subset of OpenSSL 3.0's cipher-string language (`ssl/ssl_ciph.c`,
//! `ssl_create_cipher_list` and `ssl_cipher_process_rulestr`), enough for the strings
//! found in real server configurations:
//!
//! * elements separated by `:`, `,`, `;` or spaces; `DEFAULT` at the very start;
//! * a word is a suite name or an alias; `A+B` selects suites matching both;
//! * no prefix adds the matching suites at the end (in base order, skipping those already
//!   in), `+` moves those already in to the end, `-` takes them out (they can come back),
//!   `!` takes them out for good;
//! * aliases: `ALL`, `COMPLEMENTOFALL`, `COMPLEMENTOFDEFAULT`, key exchange (`kRSA`,
//!   `kDHE`/`kEDH`/`DH`, `kECDHE`/`kEECDH`/`ECDH`, `kPSK`, `kRSAPSK`, `kDHEPSK`,
//!   `kECDHEPSK`, `kSRP`, `PSK`, `SRP`), authentication (`aRSA`, `aECDSA`/`ECDSA`,
//!   `aDSS`/`DSS`, `aNULL`, `aPSK`, `aSRP`), both (`RSA`, `DHE`/`EDH`, `ECDHE`/`EECDH`,
//!   `ADH`, `AECDH`), ciphers (`AES`, `AES128`, `AES256`, `AESGCM`, `AESCCM`, `AESCCM8`,
//!   `CAMELLIA`, `CAMELLIA128`, `CAMELLIA256`, `ARIA`, `ARIA128`, `ARIA256`, `ARIAGCM`,
//!   `CHACHA20`, `CBC`, `eNULL`/`NULL`, `3DES`, `RC4`, `RC2`, `DES`, `IDEA`, `SEED`, `GOST`), MACs
//!   (`MD5`, `SHA1`/`SHA`, `SHA256`, `SHA384`), versions (`SSLv3`, `TLSv1`, `TLSv1.0`,
//!   `TLSv1.2`), strength (`HIGH`, `MEDIUM`, `LOW`);
//! * `@STRENGTH` and `@SECLEVEL=n`.
//!
//! The result is then filtered as `openssl ciphers -s -tls1_2` does for a server with no
//! PSK or SRP callback: PSK and SRP suites go, and at security level 1 or more so do
//! anonymous and NULL suites (level 3 also drops suites without forward secrecy, level 4
//! SHA-1 MACs and keys under 192 bits). The level is 2 unless `@SECLEVEL` says otherwise,
//! as in Debian 12's OpenSSL. Words outside the subset are reported, not guessed: OpenSSL
//! ignores an element it does not understand, and so does this.

use super::catalogue::{Au, Enc, Kx, Mac, Min, SUITES, Suite};

/// What a word or a `+` combination selects; `None` means any.
#[derive(Clone, Copy, Debug)]
struct Sel {
    kx: Option<u32>,
    au: Option<u32>,
    enc: Option<u32>,
    mac: Option<u32>,
    min: Option<u32>,
    strength: Option<u32>,
    not_default: bool,
    suite: Option<usize>,
}

const ANY: Sel = Sel {
    kx: None,
    au: None,
    enc: None,
    mac: None,
    min: None,
    strength: None,
    not_default: false,
    suite: None,
};

const HIGH: u32 = 1;
const MEDIUM: u32 = 2;
const LOW: u32 = 4;

const fn kx(mask: u32) -> Sel {
    Sel {
        kx: Some(mask),
        ..ANY
    }
}
const fn au(mask: u32) -> Sel {
    Sel {
        au: Some(mask),
        ..ANY
    }
}
const fn kx_au(k: u32, a: u32) -> Sel {
    Sel {
        kx: Some(k),
        au: Some(a),
        ..ANY
    }
}
const fn enc(mask: u32) -> Sel {
    Sel {
        enc: Some(mask),
        ..ANY
    }
}
const fn mac(mask: u32) -> Sel {
    Sel {
        mac: Some(mask),
        ..ANY
    }
}
const fn min(mask: u32) -> Sel {
    Sel {
        min: Some(mask),
        ..ANY
    }
}
const fn strength(mask: u32) -> Sel {
    Sel {
        strength: Some(mask),
        ..ANY
    }
}

const fn k(x: Kx) -> u32 {
    1 << x as u32
}
const fn a(x: Au) -> u32 {
    1 << x as u32
}
const fn e(x: Enc) -> u32 {
    1 << x as u32
}
const fn m(x: Mac) -> u32 {
    1 << x as u32
}
const fn v(x: Min) -> u32 {
    1 << x as u32
}

const ALL_AU: u32 = a(Au::Rsa) | a(Au::Ecdsa) | a(Au::Dss) | a(Au::Null) | a(Au::Psk) | a(Au::Srp);
const AUTHENTICATED: u32 = ALL_AU & !a(Au::Null);
const ALL_ENC: u32 = (1 << (Enc::Gost as u32 + 1)) - 1;
const AES128: u32 = e(Enc::Aes128) | e(Enc::Aes128Gcm) | e(Enc::Aes128Ccm) | e(Enc::Aes128Ccm8);
const AES256: u32 = e(Enc::Aes256) | e(Enc::Aes256Gcm) | e(Enc::Aes256Ccm) | e(Enc::Aes256Ccm8);
const AESGCM: u32 = e(Enc::Aes128Gcm) | e(Enc::Aes256Gcm);
const AESCCM: u32 = e(Enc::Aes128Ccm) | e(Enc::Aes256Ccm) | e(Enc::Aes128Ccm8) | e(Enc::Aes256Ccm8);
const CBC: u32 = e(Enc::Aes128)
    | e(Enc::Aes256)
    | e(Enc::Camellia128)
    | e(Enc::Camellia256)
    | e(Enc::TripleDes)
    | e(Enc::Des)
    | e(Enc::Idea)
    | e(Enc::Seed)
    | e(Enc::Rc2);
const ARIA: u32 = e(Enc::Aria128Gcm) | e(Enc::Aria256Gcm);
const PSK: u32 = k(Kx::Psk) | k(Kx::RsaPsk) | k(Kx::DhePsk) | k(Kx::EcdhePsk);

/// OpenSSL 3.0's aliases, as far as this subset goes (names are case-sensitive).
#[rustfmt::skip]
static ALIASES: &[(&str, Sel)] = &[
    ("ALL", enc(ALL_ENC & !e(Enc::Null))),
    ("COMPLEMENTOFALL", enc(e(Enc::Null))),
    ("COMPLEMENTOFDEFAULT", Sel { not_default: true, ..enc(ALL_ENC & !e(Enc::Null)) }),
    ("kRSA", kx(k(Kx::Rsa))),
    ("kEDH", kx(k(Kx::Dhe))),
    ("kDHE", kx(k(Kx::Dhe))),
    ("DH", kx(k(Kx::Dhe))),
    ("kEECDH", kx(k(Kx::Ecdhe))),
    ("kECDHE", kx(k(Kx::Ecdhe))),
    ("ECDH", kx(k(Kx::Ecdhe))),
    ("kPSK", kx(k(Kx::Psk))),
    ("kRSAPSK", kx(k(Kx::RsaPsk))),
    ("kECDHEPSK", kx(k(Kx::EcdhePsk))),
    ("kDHEPSK", kx(k(Kx::DhePsk))),
    ("kSRP", kx(k(Kx::Srp))),
    ("aRSA", au(a(Au::Rsa))),
    ("aDSS", au(a(Au::Dss))),
    ("DSS", au(a(Au::Dss))),
    ("aNULL", au(a(Au::Null))),
    ("aECDSA", au(a(Au::Ecdsa))),
    ("ECDSA", au(a(Au::Ecdsa))),
    ("aPSK", au(a(Au::Psk))),
    ("aSRP", au(a(Au::Srp))),
    ("EDH", kx_au(k(Kx::Dhe), AUTHENTICATED)),
    ("DHE", kx_au(k(Kx::Dhe), AUTHENTICATED)),
    ("EECDH", kx_au(k(Kx::Ecdhe), AUTHENTICATED)),
    ("ECDHE", kx_au(k(Kx::Ecdhe), AUTHENTICATED)),
    ("NULL", enc(e(Enc::Null))),
    ("eNULL", enc(e(Enc::Null))),
    ("RSA", kx_au(k(Kx::Rsa), a(Au::Rsa))),
    ("ADH", kx_au(k(Kx::Dhe), a(Au::Null))),
    ("AECDH", kx_au(k(Kx::Ecdhe), a(Au::Null))),
    ("PSK", kx(PSK)),
    ("SRP", kx(k(Kx::Srp))),
    ("3DES", enc(e(Enc::TripleDes))),
    ("RC4", enc(e(Enc::Rc4))),
    ("RC2", enc(e(Enc::Rc2))),
    ("DES", enc(e(Enc::Des))),
    ("IDEA", enc(e(Enc::Idea))),
    ("SEED", enc(e(Enc::Seed))),
    ("GOST", enc(e(Enc::Gost))),
    ("AES128", enc(AES128)),
    ("AES256", enc(AES256)),
    ("AES", enc(AES128 | AES256)),
    ("AESGCM", enc(AESGCM)),
    ("AESCCM", enc(AESCCM)),
    ("AESCCM8", enc(e(Enc::Aes128Ccm8) | e(Enc::Aes256Ccm8))),
    ("CAMELLIA128", enc(e(Enc::Camellia128))),
    ("CAMELLIA256", enc(e(Enc::Camellia256))),
    ("CAMELLIA", enc(e(Enc::Camellia128) | e(Enc::Camellia256))),
    ("CHACHA20", enc(e(Enc::ChaCha20))),
    ("CBC", enc(CBC)),
    ("ARIA128", enc(e(Enc::Aria128Gcm))),
    ("ARIA256", enc(e(Enc::Aria256Gcm))),
    ("ARIA", enc(ARIA)),
    ("ARIAGCM", enc(ARIA)),
    ("MD5", mac(m(Mac::Md5))),
    ("SHA1", mac(m(Mac::Sha1))),
    ("SHA", mac(m(Mac::Sha1))),
    ("SHA256", mac(m(Mac::Sha256))),
    ("SHA384", mac(m(Mac::Sha384))),
    ("SSLv3", min(v(Min::Ssl3))),
    ("TLSv1", min(v(Min::Tls1))),
    ("TLSv1.0", min(v(Min::Tls1))),
    ("TLSv1.2", min(v(Min::Tls12))),
    ("HIGH", strength(HIGH)),
    ("MEDIUM", strength(MEDIUM)),
    ("LOW", strength(LOW)),
];

/// OpenSSL 3.0's `OSSL_default_cipher_list()`, what a leading `DEFAULT` stands for.
const DEFAULT_RULES: &str = "ALL:!COMPLEMENTOFDEFAULT:!eNULL";

/// The security level when the string sets none (Debian 12's OpenSSL default).
pub(crate) const DEFAULT_SECLEVEL: u8 = 2;

fn meet(x: Option<u32>, y: Option<u32>) -> Option<u32> {
    match (x, y) {
        (Some(x), Some(y)) => Some(x & y),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Sel {
    fn and(self, o: Sel) -> Sel {
        let mut out = Sel {
            kx: meet(self.kx, o.kx),
            au: meet(self.au, o.au),
            enc: meet(self.enc, o.enc),
            mac: meet(self.mac, o.mac),
            min: meet(self.min, o.min),
            strength: meet(self.strength, o.strength),
            not_default: self.not_default || o.not_default,
            suite: self.suite.or(o.suite),
        };
        // Two different suite names: nothing matches both.
        if matches!((self.suite, o.suite), (Some(x), Some(y)) if x != y) {
            out.enc = Some(0);
        }
        out
    }

    fn matches(&self, index: usize, s: &Suite) -> bool {
        let ok = |mask: Option<u32>, bit: u32| mask.is_none_or(|mask| mask & bit != 0);
        let class = if s.enc == Enc::Null { 0 } else { HIGH };
        self.suite.is_none_or(|i| i == index)
            && ok(self.kx, k(s.kx))
            && ok(self.au, a(s.au))
            && ok(self.enc, e(s.enc))
            && ok(self.mac, m(s.mac))
            && ok(self.min, v(s.min))
            && ok(self.strength, class)
            && !(self.not_default && s.in_default)
    }
}

/// What a cipher string selects.
#[derive(Clone, Debug, Default)]
pub(crate) struct Outcome {
    /// The TLS ≤ 1.2 suites, in order.
    pub suites: Vec<&'static Suite>,
    /// Elements ignored because a word is outside the subset (or unknown to OpenSSL).
    pub ignored: Vec<String>,
    /// Words naming a suite that OpenSSL 3.0 (Debian 12) no longer offers.
    pub absent: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Order,
    Delete,
    Kill,
}

/// The list of all suites with their "in" flags; killed suites leave it.
struct Working {
    list: Vec<(usize, bool)>,
    seclevel: u8,
}

impl Working {
    fn apply(&mut self, op: Op, sel: &Sel) {
        let (hits, rest): (Vec<_>, Vec<_>) = match op {
            Op::Kill => {
                self.list.retain(|&(i, _)| !sel.matches(i, &SUITES[i]));
                return;
            }
            Op::Add => self
                .list
                .iter()
                .partition(|&&(i, on)| !on && sel.matches(i, &SUITES[i])),
            Op::Order | Op::Delete => self
                .list
                .iter()
                .partition(|&&(i, on)| on && sel.matches(i, &SUITES[i])),
        };
        self.list = match op {
            // Appended at the end, switched on, in list order.
            Op::Add => rest
                .into_iter()
                .chain(hits.into_iter().map(|(i, _)| (i, true)))
                .collect(),
            Op::Order => rest.into_iter().chain(hits).collect(),
            // Moved to the front, switched off, keeping their order.
            _ => hits
                .into_iter()
                .map(|(i, _)| (i, false))
                .chain(rest)
                .collect(),
        };
    }

    fn strength_sort(&mut self) {
        let (mut on, off): (Vec<_>, Vec<_>) = self.list.iter().partition(|x| x.1);
        on.sort_by_key(|&(i, _)| std::cmp::Reverse(SUITES[i].enc.bits()));
        self.list = off.into_iter().chain(on).collect();
    }

    fn process(&mut self, rules: &str, out: &mut Outcome) {
        for element in rules.split([':', ',', ';', ' ']).filter(|s| !s.is_empty()) {
            let (op, body) = match element.as_bytes()[0] {
                b'!' => (Op::Kill, &element[1..]),
                b'-' => (Op::Delete, &element[1..]),
                b'+' => (Op::Order, &element[1..]),
                _ => (Op::Add, element),
            };
            if let Some(special) = body.strip_prefix('@') {
                self.special(special, element, out);
                continue;
            }
            match selection(body, out) {
                Some(sel) => self.apply(op, &sel),
                None => out.ignored.push(element.to_owned()),
            }
        }
    }

    fn special(&mut self, special: &str, element: &str, out: &mut Outcome) {
        if special == "STRENGTH" {
            self.strength_sort();
        } else if let Some(level) = special
            .strip_prefix("SECLEVEL=")
            .and_then(|l| l.parse::<u8>().ok())
            .filter(|l| *l <= 5)
        {
            self.seclevel = level;
        } else {
            out.ignored.push(element.to_owned());
        }
    }

    /// `openssl ciphers -s -tls1_2` for a server without PSK or SRP callbacks.
    fn supported(&self, s: &Suite) -> bool {
        let level = self.seclevel;
        !matches!(
            s.kx,
            Kx::Psk | Kx::RsaPsk | Kx::DhePsk | Kx::EcdhePsk | Kx::Srp
        ) && !(level >= 1 && (s.au == Au::Null || s.enc == Enc::Null))
            && !(level >= 3 && s.kx == Kx::Rsa)
            && !(level >= 4 && (s.mac == Mac::Sha1 || s.enc.bits() < 192))
            && !(level >= 5 && s.enc.bits() < 256)
    }
}

/// The selection a `+`-joined body stands for, or `None` when a word is not understood.
fn selection(body: &str, out: &mut Outcome) -> Option<Sel> {
    let mut sel = ANY;
    for word in body.split('+') {
        let one = if let Some(i) = SUITES.iter().position(|s| s.name == word) {
            Sel {
                suite: Some(i),
                ..ANY
            }
        } else if let Some((_, alias)) = ALIASES.iter().find(|(n, _)| *n == word) {
            *alias
        } else {
            if crate::fips::policy::tls_suite_entry(word).is_some() {
                out.absent.push(word.to_owned());
            }
            return None;
        };
        sel = sel.and(one);
    }
    Some(sel)
}

/// Expands an OpenSSL cipher string with this subset.
pub(crate) fn expand(rules: &str) -> Outcome {
    let mut out = Outcome::default();
    let mut w = Working {
        list: (0..SUITES.len()).map(|i| (i, false)).collect(),
        seclevel: DEFAULT_SECLEVEL,
    };
    let rest = match rules.trim().strip_prefix("DEFAULT") {
        Some(rest) => {
            w.process(DEFAULT_RULES, &mut out);
            rest
        }
        None => rules.trim(),
    };
    w.process(rest, &mut out);
    out.suites = w
        .list
        .iter()
        .filter(|&&(i, on)| on && w.supported(&SUITES[i]))
        .map(|&(i, _)| &SUITES[i])
        .collect();
    // A suite name that was not understood is not also "ignored" twice.
    out.ignored.retain(|el| {
        let word = el.trim_start_matches(['!', '-', '+']);
        !out.absent.iter().any(|a| a == word)
    });
    out
}
