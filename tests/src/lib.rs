//! Shared harness for the wirecrypt conformance suite.
//!
//! The tests in `tests/tests/*.rs` run against **every provider the machine has**
//! ([`providers`]), so a provider added to the engine later is picked up with no test
//! changes. This library holds what they share:
//!
//! * [`vectors`]: published known-answer vectors (NIST, RFC), as hex strings;
//! * [`rng::TestRng`]: a small seeded PRNG whose seed is printed, so failures reproduce
//!   (`WIRECRYPT_TEST_SEED=<seed>`);
//! * [`aead`]: known-answer and tamper checks for any [`AeadKey`];
//! * [`reference`]: independent reference computations (ring; AES-CTR built from
//!   single-block AES);
//! * [`tally::Tally`]: per-provider case counts, printed by every test.
//!
//! Every test prints how many cases it ran per provider; run with `-- --nocapture` to
//! see the counts.

#![deny(missing_docs)]

pub mod aead;
pub mod loopback;
pub mod reference;
pub mod rng;
#[cfg(feature = "pkcs11")]
pub mod softhsm;
pub mod tally;
pub mod vectors;

use std::sync::Arc;

use wirecrypt::{Algorithm, Engine, Provider, ProviderId};

pub use rng::TestRng;
pub use tally::Tally;

/// The engine as a user gets it by default, ignoring `WIRECRYPT_PROVIDER` (the suite
/// runs every provider itself).
///
/// # Panics
/// When the engine cannot be built: that is a test failure.
pub fn engine() -> Engine {
    Engine::builder()
        .ignore_env()
        .build()
        .expect("the default engine builds")
}

/// Every provider available on this machine, best first.
///
/// Prints the list once per call so each test's output names what it ran against, and
/// the candidates that are not available here with the reason.
///
/// # Panics
/// When no provider is available (at least `rustcrypto` always is).
pub fn providers() -> Vec<Arc<dyn Provider>> {
    let engine = engine();
    let available: Vec<Arc<dyn Provider>> = engine.available().collect();
    assert!(
        !available.is_empty(),
        "no provider is available; rustcrypto always should be"
    );
    assert!(
        available.iter().any(|p| p.id() == ProviderId::RustCrypto),
        "the rustcrypto provider must always be available"
    );
    for c in engine.candidates() {
        match &c.status {
            Err(why) if c.id == ProviderId::Vaes512 => {
                println!("provider vaes512: skipped: no AVX-512 ({why})");
            }
            Err(why) => println!("provider {} not available here: {why}", c.id),
            Ok(_) => {}
        }
    }
    println!(
        "providers under test: {}",
        available
            .iter()
            .map(|p| p.id().as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    available
}

/// The `rustcrypto` provider, the engine's baseline.
///
/// # Panics
/// When it is not available (it always should be).
pub fn rustcrypto() -> Arc<dyn Provider> {
    engine()
        .provider(ProviderId::RustCrypto)
        .expect("the rustcrypto provider is always available")
}

/// Whether `provider` implements `alg`, silently (callers count the gap in their
/// [`Tally`] as skipped, with the reason, so it is printed with the counts).
///
/// # Panics
/// When the `rustcrypto` provider lacks `alg`: it is the baseline and must implement the
/// whole catalogue, so a gap there would hide cases.
pub fn implements(provider: &dyn Provider, alg: impl Into<Algorithm>) -> bool {
    let alg = alg.into();
    let yes = provider.supports(alg);
    assert!(
        yes || provider.id() != ProviderId::RustCrypto,
        "the rustcrypto baseline must implement every catalogue algorithm, but lacks {alg}"
    );
    yes
}

/// Like [`implements`], but prints a line when `provider` lacks `alg`, for tests that
/// keep no [`Tally`]: an algorithm a provider lacks is a reported gap, never a silent skip.
pub fn supports(provider: &dyn Provider, alg: impl Into<Algorithm>, test: &str) -> bool {
    let alg = alg.into();
    let yes = implements(provider, alg);
    if !yes {
        println!(
            "{test} {alg} [{}]: not run: the provider does not implement {alg}",
            provider.id()
        );
    }
    yes
}

/// Decodes lowercase hex from the vector tables.
///
/// # Panics
/// On malformed hex: the table is broken.
pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex in a vector table ({e}): {s:?}"))
}

/// Flips bit `bit` (0 = least significant bit of byte 0) of `buf`.
///
/// # Panics
/// When `bit` is out of range.
pub fn flip_bit(buf: &mut [u8], bit: usize) {
    buf[bit / 8] ^= 1 << (bit % 8);
}
