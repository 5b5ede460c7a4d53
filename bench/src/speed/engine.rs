//! The engine's workloads: one keyed object per measurement, made before the clock starts,
//! and buffers allocated once and reused by every call.
//!
//! With several streams each stream calls [`measure`] on its own thread, so each makes
//! its own keyed object from the provider, as independent connections would.

use std::error::Error;
use std::hint::black_box;

use wirecrypt::{Algorithm, Provider, TAG_LEN};

use super::measure::{Measurement, Timing};
use super::op::{self, AAD, Aligned, CTR_IV, OPEN_NONCE, Op};

/// Measures `op` of `alg` on `size`-byte buffers with `provider`, timed as `timing` says.
///
/// `open` opens a real sealed message and checks the recovered plaintext afterwards.
/// `digest` makes a fresh hash context per call: the engine's [`wirecrypt::HashContext`]
/// has no reset, so that one allocation per call is part of the measurement.
pub fn measure(
    provider: &dyn Provider,
    alg: Algorithm,
    op: Op,
    size: usize,
    timing: Timing<'_>,
) -> Result<Measurement, Box<dyn Error + Send + Sync>> {
    let info = alg.info();
    let measurement = match (alg, op) {
        (Algorithm::Aead(a), Op::Seal) => {
            let key = provider.aead(a, &op::key(info.key_len))?;
            let mut buf = op::message(size);
            let mut counter = 0u64;
            timing.run(size, || {
                counter += 1;
                let tag = key.seal_in_place(&op::seal_nonce(counter), &AAD, &mut buf)?;
                black_box(tag);
                Ok::<(), wirecrypt::Error>(())
            })?
        }
        (Algorithm::Aead(a), Op::Open) => {
            let key = provider.aead(a, &op::key(info.key_len))?;
            let plaintext = op::message(size);
            let mut sealed = Aligned::zeroed(size + TAG_LEN);
            key.seal(&OPEN_NONCE, &AAD, &plaintext, &mut sealed)?;
            let mut out = Aligned::zeroed(size);
            let m = timing.run(size, || {
                black_box(key.open(&OPEN_NONCE, &AAD, &sealed, &mut out)?);
                Ok::<(), wirecrypt::Error>(())
            })?;
            if out[..] != plaintext[..] {
                return Err(
                    format!("{} {alg} open returned the wrong plaintext", provider.id()).into(),
                );
            }
            m
        }
        (Algorithm::Cipher(c), Op::Encrypt) => {
            let mut cipher = provider.cipher(c, &op::key(info.key_len), &CTR_IV)?;
            let mut buf = op::message(size);
            timing.run(size, || cipher.apply_keystream(black_box(&mut buf)))?
        }
        (Algorithm::Mac(m), Op::Sign) => {
            let key = provider.mac(m, &op::key(info.key_len))?;
            let buf = op::message(size);
            timing.run(size, || {
                black_box(key.sign(black_box(&buf))?);
                Ok::<(), wirecrypt::Error>(())
            })?
        }
        (Algorithm::Mac(m), Op::Verify) => {
            let key = provider.mac(m, &op::key(info.key_len))?;
            let buf = op::message(size);
            let tag = key.sign(&buf)?;
            timing.run(size, || key.verify(black_box(&buf), tag.as_ref()))?
        }
        (Algorithm::Hash(h), Op::Digest) => {
            let buf = op::message(size);
            timing.run(size, || {
                let mut ctx = provider.hash(h)?;
                ctx.update(black_box(&buf))?;
                black_box(ctx.finish()?);
                Ok::<(), wirecrypt::Error>(())
            })?
        }
        _ => return Err(format!("{alg} has no {op} operation").into()),
    };
    Ok(measurement)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use wirecrypt::Engine;

    #[test]
    fn every_operation_of_every_algorithm_runs() {
        let engine = Engine::builder().ignore_env().build().unwrap();
        for provider in engine.available() {
            for alg in Algorithm::all().filter(|&a| provider.supports(a)) {
                for &op in Op::for_algorithm(alg) {
                    for size in [0, 100] {
                        let m = measure(
                            &*provider,
                            alg,
                            op,
                            size,
                            Timing::Alone(Duration::from_millis(2)),
                        )
                        .unwrap_or_else(|e| panic!("{} {alg} {op} {size}: {e}", provider.id()));
                        assert!(m.iterations > 0, "{alg} {op}");
                        assert_eq!(m.bytes_per_iter, size);
                    }
                }
            }
        }
    }

    #[test]
    fn several_streams_each_make_their_own_key() {
        let engine = Engine::builder().ignore_env().build().unwrap();
        let alg: Algorithm = "aes-128-gcm".parse().unwrap();
        for provider in engine.available().filter(|p| p.supports(alg)) {
            for op in [Op::Seal, Op::Open] {
                let m = crate::speed::measure::run_streams(3, Duration::from_millis(5), |t| {
                    measure(&*provider, alg, op, 64, t)
                })
                .unwrap_or_else(|e| panic!("{} {op}: {e}", provider.id()));
                assert!(m.iterations > 0);
                assert_eq!(m.bytes_per_iter, 64);
            }
        }
    }

    #[test]
    fn a_mismatched_operation_is_an_error() {
        let engine = Engine::builder().ignore_env().build().unwrap();
        let provider = engine.available().next().unwrap();
        let alg: Algorithm = "sha256".parse().unwrap();
        let err = measure(
            &*provider,
            alg,
            Op::Seal,
            64,
            Timing::Alone(Duration::from_millis(1)),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no seal"), "{err}");
    }
}
