//! The engine's random number generator: the selected provider's source (the operating
//! system for `rustcrypto`), behind a continuous health test.
//!
//! The test is the continuous random number generator test of FIPS 140-2 §4.9.2, on
//! 16-byte blocks: each block drawn from the source is compared with the one before it,
//! and a repeat — which a working source produces with probability 2^-128 — fails the
//! generator for good. A stuck or looping source is caught before its output is used.

use std::fmt;
use std::sync::Arc;

use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use crate::fips::ErrorState;
use crate::{Error, Provider};

/// Size of the blocks compared by the health test.
const BLOCK: usize = 16;
/// How much is drawn from the source at a time.
const CHUNK: usize = 256;

type SourceFn = dyn FnMut(&mut [u8]) -> Result<(), Error> + Send;

enum Source {
    Provider(Arc<dyn Provider>),
    Function(Box<SourceFn>),
}

/// A health-tested random number generator (`rand_core` 0.6 `RngCore + CryptoRng`).
///
/// After a health-test or source failure every later call fails with the same error.
/// [`RngCore::fill_bytes`] and friends panic on failure because that trait leaves them
/// no other way to refuse; call [`EngineRng::fill`] or [`RngCore::try_fill_bytes`] to get
/// the error instead.
pub struct EngineRng {
    source: Source,
    previous: Option<[u8; BLOCK]>,
    failure: Option<Error>,
    /// FIPS mode: the engine's error state, which a failure here also sets.
    state: Option<Arc<ErrorState>>,
}

impl EngineRng {
    /// A generator drawing from `provider`'s random source.
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        Self::with_source(Source::Provider(provider))
    }

    /// A generator drawing from `source`, which fills the buffer it is given. For plugging
    /// in another entropy source, and for proving the health test trips.
    pub fn from_fn(source: impl FnMut(&mut [u8]) -> Result<(), Error> + Send + 'static) -> Self {
        Self::with_source(Source::Function(Box::new(source)))
    }

    fn with_source(source: Source) -> Self {
        EngineRng {
            source,
            previous: None,
            failure: None,
            state: None,
        }
    }

    /// Ties the generator to an engine's error state (FIPS mode).
    pub(crate) fn with_error_state(mut self, state: Arc<ErrorState>) -> Self {
        self.state = Some(state);
        self
    }

    /// Fills `out` with health-tested random bytes.
    pub fn fill(&mut self, out: &mut [u8]) -> Result<(), Error> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        if let Some(state) = &self.state {
            state.check()?;
        }
        let mut chunk = [0u8; CHUNK];
        let mut result = Ok(());
        for piece in out.chunks_mut(CHUNK) {
            // Draw whole blocks so that every byte handed out has been tested.
            let drawn = piece.len().div_ceil(BLOCK) * BLOCK;
            if let Err(e) = self.draw(&mut chunk[..drawn]) {
                result = Err(e);
                break;
            }
            piece.copy_from_slice(&chunk[..piece.len()]);
        }
        chunk.zeroize();
        if let Err(e) = &result {
            out.zeroize();
            self.failure = Some(e.clone());
            if let Some(state) = &self.state {
                state.fail(e.clone());
            }
        }
        result
    }

    fn draw(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        match &mut self.source {
            Source::Provider(p) => p.fill_random(buf)?,
            Source::Function(f) => f(buf)?,
        }
        for block in buf.chunks_exact(BLOCK) {
            let block: [u8; BLOCK] = block.try_into().expect("chunks_exact yields whole blocks");
            if self.previous == Some(block) {
                return Err(Error::Rng(
                    "continuous health test failed: the source repeated a 16-byte block; \
                     the generator is disabled for the rest of this process"
                        .to_owned(),
                ));
            }
            self.previous = Some(block);
        }
        Ok(())
    }
}

impl fmt::Debug for EngineRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Provider(p) => p.id().as_str(),
            Source::Function(_) => "function",
        };
        f.debug_struct("EngineRng")
            .field("source", &source)
            .field("failed", &self.failure.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for EngineRng {
    fn drop(&mut self) {
        self.previous.zeroize();
    }
}

/// `RngCore` and `CryptoRng` for a generator whose inherent `fill` returns the engine's
/// error: `try_fill_bytes` passes it on; the infallible methods, which `rand_core` gives
/// no way to refuse, panic with it.
macro_rules! rng_core_from_fill {
    ($t:ty) => {
        impl RngCore for $t {
            fn next_u32(&mut self) -> u32 {
                let mut b = [0; 4];
                self.fill_bytes(&mut b);
                u32::from_le_bytes(b)
            }

            fn next_u64(&mut self) -> u64 {
                let mut b = [0; 8];
                self.fill_bytes(&mut b);
                u64::from_le_bytes(b)
            }

            fn fill_bytes(&mut self, dest: &mut [u8]) {
                if let Err(e) = self.fill(dest) {
                    panic!("wirecrypt RNG: {e}");
                }
            }

            fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
                self.fill(dest).map_err(rand_core::Error::new)
            }
        }

        impl CryptoRng for $t {}
    };
}

rng_core_from_fill!(EngineRng);
rng_core_from_fill!(PooledRng);

/// An [`EngineRng`] drawn a pool at a time, for many small draws (SSH padding): one draw
/// (about 1 µs, a system call) serves a dozen or more packets, where a draw per packet
/// cost more than sealing a small packet. Bytes are wiped from the pool as they are handed
/// out, the rest on drop.
pub(crate) struct PooledRng {
    rng: EngineRng,
    pool: [u8; POOL],
    used: usize,
}

/// Bytes drawn from the generator at a time.
const POOL: usize = 256;

impl PooledRng {
    /// Pools `rng`'s output.
    pub(crate) fn new(rng: EngineRng) -> Self {
        PooledRng {
            rng,
            pool: [0; POOL],
            used: POOL,
        }
    }

    /// Fills `out` from the pool, drawing again when it runs dry.
    pub(crate) fn fill(&mut self, out: &mut [u8]) -> Result<(), Error> {
        let mut written = 0;
        while written < out.len() {
            if self.used == POOL {
                // On failure the generator wipes the pool and stays failed.
                self.rng.fill(&mut self.pool)?;
                self.used = 0;
            }
            let n = (out.len() - written).min(POOL - self.used);
            let taken = &mut self.pool[self.used..self.used + n];
            out[written..written + n].copy_from_slice(taken);
            taken.zeroize();
            self.used += n;
            written += n;
        }
        Ok(())
    }
}

impl Drop for PooledRng {
    fn drop(&mut self) {
        self.pool.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os_rng() -> EngineRng {
        EngineRng::from_fn(|b| getrandom::getrandom(b).map_err(|e| Error::Rng(e.to_string())))
    }

    #[test]
    fn fills_every_length() {
        let mut rng = os_rng();
        for len in [0, 1, 15, 16, 17, 255, 256, 257, 4096] {
            let mut a = vec![0u8; len];
            let mut b = vec![0u8; len];
            rng.fill(&mut a).unwrap();
            rng.fill(&mut b).unwrap();
            if len >= 16 {
                assert_ne!(a, b, "two draws of {len} bytes matched");
                assert!(a.iter().any(|&x| x != 0));
            }
        }
    }

    #[test]
    fn stuck_source_trips_the_health_test_and_stays_failed() {
        let mut rng = EngineRng::from_fn(|b| {
            b.fill(0x5a);
            Ok(())
        });
        let mut out = [1u8; 40];
        let err = rng.fill(&mut out).unwrap_err();
        assert!(err.to_string().contains("health test"), "{err}");
        assert_eq!(out, [0u8; 40], "output of a failed draw must be wiped");
        // Latched: even a one-byte request fails now.
        assert!(rng.fill(&mut [0u8; 1]).is_err());
        assert!(rng.try_fill_bytes(&mut [0u8; 1]).is_err());
    }

    #[test]
    fn repeat_across_calls_is_caught() {
        // A source that loops with a period of one block, one block per call.
        let mut rng = EngineRng::from_fn(|b| {
            for (i, x) in b.iter_mut().enumerate() {
                *x = i as u8;
            }
            Ok(())
        });
        rng.fill(&mut [0u8; 16]).unwrap();
        assert!(rng.fill(&mut [0u8; 16]).is_err());
    }

    #[test]
    fn source_errors_propagate() {
        let mut rng = EngineRng::from_fn(|_| Err(Error::Rng("no entropy".into())));
        assert_eq!(
            rng.fill(&mut [0u8; 8]),
            Err(Error::Rng("no entropy".into()))
        );
    }
}

#[cfg(test)]
mod pool_tests {
    use super::*;

    /// A source whose 16-byte blocks never repeat: block i is i, little-endian.
    fn counting() -> EngineRng {
        let mut next = 1u128;
        EngineRng::from_fn(move |buf| {
            for block in buf.chunks_mut(16) {
                block.copy_from_slice(&next.to_le_bytes()[..block.len()]);
                next += 1;
            }
            Ok(())
        })
    }

    #[test]
    fn the_pool_hands_out_the_stream_in_order_and_wipes_what_it_gave() {
        let mut pool = PooledRng::new(counting());
        let mut direct = counting();
        let mut want = vec![0u8; 3 * POOL];
        direct.fill(&mut want).unwrap();
        let mut got = Vec::new();
        // Padding-sized pieces that straddle refills.
        for len in (4..=19).cycle().take(60) {
            let mut piece = vec![0u8; len];
            pool.fill(&mut piece).unwrap();
            got.extend_from_slice(&piece);
            assert!(
                pool.pool[..pool.used].iter().all(|&b| b == 0),
                "used bytes wiped"
            );
        }
        assert!(got.len() > POOL, "the test crossed a refill");
        assert_eq!(got, want[..got.len()]);
    }

    #[test]
    fn a_failing_source_fails_padding_and_leaves_nothing_behind() {
        let mut pool = PooledRng::new(EngineRng::from_fn(|_| Err(Error::Rng("gone".into()))));
        let mut piece = [0xAAu8; 8];
        assert!(matches!(pool.fill(&mut piece), Err(Error::Rng(_))));
        assert!(pool.try_fill_bytes(&mut piece).is_err());
        assert!(pool.pool.iter().all(|&b| b == 0));
    }
}
