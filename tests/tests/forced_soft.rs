//! The portable-software build: with
//! `RUSTFLAGS="--cfg aes_force_soft --cfg polyval_force_soft --cfg chacha20_force_soft --cfg poly1305_force_soft"`
//! the RustCrypto crates must run their constant-time portable code, and the `rustcrypto`
//! provider must say so. `scripts/test` sets `WIRECRYPT_EXPECT_SOFT=1` for that run, so a
//! run that was meant to be forced but was not (RUSTFLAGS lost, cached artifacts) fails
//! here instead of silently testing the accelerated paths twice.

use wirecrypt::ProviderId;
use wirecrypt::provider::rustcrypto::RustCrypto;
use wirecrypt_tests::engine;

/// The environment variable `scripts/test` sets for the forced-software run.
const EXPECT_ENV: &str = "WIRECRYPT_EXPECT_SOFT";

/// The four cfgs, as this crate was compiled (RUSTFLAGS reach every crate in the build).
const FORCED: [(&str, bool); 4] = [
    ("aes_force_soft", cfg!(aes_force_soft)),
    ("polyval_force_soft", cfg!(polyval_force_soft)),
    ("chacha20_force_soft", cfg!(chacha20_force_soft)),
    ("poly1305_force_soft", cfg!(poly1305_force_soft)),
];

/// The `rustcrypto` details that each cfg forces.
const DETAIL_OF: [(&str, &str); 4] = [
    ("aes_force_soft", "aes"),
    ("polyval_force_soft", "ghash"),
    ("chacha20_force_soft", "chacha20"),
    ("poly1305_force_soft", "poly1305"),
];

#[test]
fn software_paths_are_forced_when_the_build_says_so() {
    let built_forced = FORCED.iter().all(|&(_, on)| on);
    let expect = std::env::var(EXPECT_ENV).is_ok_and(|v| v.trim() == "1");
    let rc = engine()
        .provider(ProviderId::RustCrypto)
        .expect("rustcrypto is always available");
    let details = rc.info().details;
    println!(
        "forced soft: cfgs {:?}; {EXPECT_ENV}={}; rustcrypto details: {details:?}",
        FORCED,
        if expect { "1" } else { "unset" }
    );

    if expect {
        assert!(
            built_forced,
            "{EXPECT_ENV}=1 but this build was not made with all four cfgs \
             (aes_force_soft, polyval_force_soft, chacha20_force_soft, poly1305_force_soft): {FORCED:?}"
        );
    }
    assert_eq!(
        RustCrypto::all_software_forced(),
        built_forced,
        "RustCrypto::all_software_forced() disagrees with the cfgs this build was made with"
    );

    // Each detail says "forced" exactly when its cfg is set.
    let mut checked = 0;
    for ((cfg, on), (cfg2, aspect)) in FORCED.iter().zip(DETAIL_OF) {
        assert_eq!(*cfg, cfg2);
        let (_, used) = details
            .iter()
            .find(|(a, _)| a == aspect)
            .unwrap_or_else(|| panic!("rustcrypto info has no {aspect:?} detail: {details:?}"));
        assert_eq!(
            used.contains("forced"),
            *on,
            "rustcrypto reports {aspect} = {used:?} but cfg {cfg} is {on}"
        );
        checked += 1;
    }
    if built_forced {
        assert!(
            details.iter().any(|(_, used)| used.contains("forced")),
            "forced build but no detail mentions \"forced\": {details:?}"
        );
    }
    println!(
        "forced soft [rustcrypto]: build {}forced, {checked} details checked, 0 skipped",
        if built_forced { "" } else { "not " }
    );
}
