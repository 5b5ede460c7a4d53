//! What FIPS mode wraps around every keyed object: the engine's error state, checked on
//! every call, and the GCM IV rule.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::algorithm::{AeadAlg, CipherAlg, HashAlg, MacAlg};
use crate::provider::{AeadKey, Digest, HashContext, MacKey, MacTag, StreamCipher, Tag};
use crate::{EngineRng, Error, NONCE_LEN};

/// The engine's error state: once set, every operation fails with the stored error.
#[derive(Debug, Default)]
pub(crate) struct ErrorState {
    failed: AtomicBool,
    error: OnceLock<Error>,
}

impl ErrorState {
    /// `Ok` while no self-test or health test has failed.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.failed.load(Ordering::Acquire) {
            Err(self
                .error
                .get()
                .cloned()
                .unwrap_or_else(|| Error::SelfTestFailed("unknown failure".into())))
        } else {
            Ok(())
        }
    }

    /// Enters the error state (the first error is kept).
    pub(crate) fn fail(&self, error: Error) {
        let _ = self.error.set(error);
        self.failed.store(true, Ordering::Release);
    }
}

/// Where a GCM key's encryption IVs come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IvConstruction {
    /// The caller passes arbitrary nonces: FIPS mode refuses to encrypt.
    CallerChosen,
    /// An approved protocol construction inside the engine builds every nonce.
    Protocol,
}

const CALLER_IV_RULE: &str = "GCM encryption needs an approved IV construction \
     (SP 800-38D §8.2, FIPS 140-3 IG C.H): use the TLS or SSH record layers, or \
     Engine::aead_random_iv for engine-generated IVs";

/// A keyed object under FIPS mode's checks.
pub(crate) struct Guarded<T> {
    pub(crate) inner: T,
    pub(crate) state: Arc<ErrorState>,
    pub(crate) iv: IvConstruction,
}

impl<T: fmt::Debug> fmt::Debug for Guarded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fips")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl AeadKey for Guarded<Box<dyn AeadKey>> {
    fn algorithm(&self) -> AeadAlg {
        self.inner.algorithm()
    }

    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], in_out: &mut [u8]) -> Result<Tag, Error> {
        self.state.check()?;
        if self.iv == IvConstruction::CallerChosen {
            return Err(Error::FipsNotApproved {
                what: "a caller-chosen GCM IV",
                rule: CALLER_IV_RULE,
            });
        }
        self.inner.seal_in_place(nonce, aad, in_out)
    }

    fn open_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        if let Err(e) = self.state.check() {
            zeroize::Zeroize::zeroize(in_out);
            return Err(e);
        }
        self.inner.open_in_place(nonce, aad, in_out, tag)
    }
}

impl StreamCipher for Guarded<Box<dyn StreamCipher>> {
    fn algorithm(&self) -> CipherAlg {
        self.inner.algorithm()
    }

    fn apply_keystream(&mut self, in_out: &mut [u8]) -> Result<(), Error> {
        self.state.check()?;
        self.inner.apply_keystream(in_out)
    }
}

impl MacKey for Guarded<Box<dyn MacKey>> {
    fn algorithm(&self) -> MacAlg {
        self.inner.algorithm()
    }

    fn sign_parts(&self, parts: &[&[u8]]) -> Result<MacTag, Error> {
        self.state.check()?;
        self.inner.sign_parts(parts)
    }
}

impl HashContext for Guarded<Box<dyn HashContext>> {
    fn algorithm(&self) -> HashAlg {
        self.inner.algorithm()
    }

    fn update(&mut self, data: &[u8]) -> Result<(), Error> {
        self.state.check()?;
        self.inner.update(data)
    }

    fn finish(self: Box<Self>) -> Result<Digest, Error> {
        self.state.check()?;
        self.inner.finish()
    }
}

/// An AEAD key that makes its own nonces: 96 random bits from the engine's health-tested
/// generator per message (SP 800-38D §8.2.2). The approved way, in FIPS mode, to encrypt
/// outside the TLS and SSH record layers.
///
/// Random 96-bit nonces collide after about 2^32 messages under one key; SP 800-38D
/// §8.3 limits a key to 2^32 of them, and [`RandomIvAead::seal`] enforces that.
pub struct RandomIvAead {
    key: Box<dyn AeadKey>,
    rng: std::sync::Mutex<EngineRng>,
    sealed: std::sync::atomic::AtomicU64,
}

/// SP 800-38D §8.3: at most 2^32 invocations with random IVs per key.
const RANDOM_IV_LIMIT: u64 = 1 << 32;

impl RandomIvAead {
    pub(crate) fn new(key: Box<dyn AeadKey>, rng: EngineRng) -> Self {
        RandomIvAead {
            key,
            rng: std::sync::Mutex::new(rng),
            sealed: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> AeadAlg {
        self.key.algorithm()
    }

    /// Encrypts `in_out` in place under a fresh random nonce; returns (nonce, tag), both
    /// of which the receiver needs.
    pub fn seal(&self, aad: &[u8], in_out: &mut [u8]) -> Result<([u8; NONCE_LEN], Tag), Error> {
        if self.sealed.fetch_add(1, Ordering::Relaxed) >= RANDOM_IV_LIMIT {
            return Err(Error::KeyUpdateRequired {
                algorithm: self.algorithm().id(),
                records: RANDOM_IV_LIMIT,
            });
        }
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .lock()
            .map_err(|_| Error::Rng("the generator's lock was poisoned".into()))?
            .fill(&mut nonce)?;
        let tag = self.key.seal_in_place(&nonce, aad, in_out)?;
        Ok((nonce, tag))
    }

    /// Verifies and decrypts in place; wipes `in_out` on failure.
    pub fn open(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        self.key.open_in_place(nonce, aad, in_out, tag)
    }
}

impl fmt::Debug for RandomIvAead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RandomIvAead")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}
