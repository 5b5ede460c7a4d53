//! The built-in expander against what OpenSSL 3.0.19 itself made of the same strings.

use super::*;

const RECORDED: &str = include_str!("../../../../tests/data/fips/openssl-3.0-cipher-strings.txt");

fn names(e: &Expansion) -> Vec<&str> {
    e.suites.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn builtin_matches_openssl_3_0_on_recorded_strings() {
    let mut cases = 0;
    for line in RECORDED
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (string, expected) = line.split_once('\t').expect("string<TAB>suites");
        let got = Builtin.expand(string);
        if expected == "ERROR" {
            assert!(got.suites.is_empty(), "{string}: {:?}", names(&got));
        } else {
            let expected: Vec<&str> = expected.split(':').collect();
            assert_eq!(names(&got), expected, "{string}");
        }
        cases += 1;
    }
    assert!(cases >= 30, "{cases}");
}

#[test]
fn unknown_elements_are_reported_not_guessed() {
    let e = Builtin.expand("PROFILE=SYSTEM");
    assert!(e.suites.is_empty());
    assert!(
        e.notes.iter().any(|n| n.contains("'PROFILE=SYSTEM'")),
        "{:?}",
        e.notes
    );
    assert!(e.notes.iter().any(|n| n.contains("no cipher match")));
    let e = Builtin.expand("HIGH:!FOO+BAR");
    assert!(!e.suites.is_empty());
    assert!(e.notes.iter().any(|n| n.contains("'!FOO+BAR'")));
}

#[test]
fn suites_openssl_3_no_longer_offers_are_named() {
    let e = Builtin.expand("AES128-SHA:DES-CBC3-SHA:RC4-SHA");
    assert_eq!(names(&e), ["AES128-SHA"]);
    assert_eq!(e.absent, ["DES-CBC3-SHA", "RC4-SHA"]);
    assert!(e.notes.is_empty(), "{:?}", e.notes);
}

#[test]
fn tls12_only_suites_are_marked() {
    let e = Builtin.expand("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA");
    assert!(e.suites[0].needs_tls12);
    assert!(!e.suites[1].needs_tls12);
    assert_eq!(e.tls13, OPENSSL_DEFAULT_TLS13);
}

#[test]
fn openssl_listings_parse() {
    let listing = "\
          0x13,0x02 - TLS_AES_256_GCM_SHA384         TLSv1.3 Kx=any      Au=any   Enc=AESGCM(256)            Mac=AEAD
          0xC0,0x2C - ECDHE-ECDSA-AES256-GCM-SHA384  TLSv1.2 Kx=ECDH     Au=ECDSA Enc=AESGCM(256)            Mac=AEAD
          0xC0,0x14 - ECDHE-RSA-AES256-SHA           TLSv1   Kx=ECDH     Au=RSA   Enc=AES(256)               Mac=SHA1
";
    let (suites, tls13) = parse_openssl_listing(listing);
    assert_eq!(tls13, ["TLS_AES_256_GCM_SHA384"]);
    assert_eq!(
        suites,
        [
            ExpandedSuite {
                name: "ECDHE-ECDSA-AES256-GCM-SHA384".into(),
                needs_tls12: true
            },
            ExpandedSuite {
                name: "ECDHE-RSA-AES256-SHA".into(),
                needs_tls12: false
            },
        ]
    );
    let e = expansion_from_openssl("OpenSSL 3.0.19 27 Jan 2026\n", Ok(listing), listing);
    assert_eq!(
        e.method,
        Method::OpenSsl {
            version: "OpenSSL 3.0.19 27 Jan 2026".into()
        }
    );
    assert!(e.method.describe().contains("OpenSSL 3.0.19"));
    let e = expansion_from_openssl("v", Err("Error in cipher list"), "");
    assert!(e.suites.is_empty() && e.notes[0].contains("no cipher match"));
}

#[test]
fn items_and_replacement() {
    let mut r = Report::new("t");
    let e = Builtin.expand("ECDHE+AESGCM:ECDHE+CHACHA20");
    add_suites(&mut r, &e, "t", "cipher string", &|s| s.to_owned());
    assert_eq!(r.items.len(), 6);
    let bad: Vec<_> = r
        .items
        .iter()
        .filter(|i| !i.verdict.is_approved())
        .map(|i| i.value.as_str())
        .collect();
    assert_eq!(
        bad,
        [
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-RSA-CHACHA20-POLY1305"
        ]
    );
    assert_eq!(
        r.replacements[0].line,
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:\
         ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
    );
    assert!(r.notes[0].message.contains("built-in subset"));

    let mut r = Report::new("t");
    add_suites(&mut r, &Builtin.expand("NONSENSE"), "t", "s", &|s| {
        format!("s={s}")
    });
    assert_eq!(r.items[0].value, "(no suite)");
    assert_eq!(r.items[0].verdict, Status::Unknown);
    assert_eq!(
        r.replacements[0].line,
        format!("s={}", RECOMMENDED_TLS12.join(":"))
    );
}
