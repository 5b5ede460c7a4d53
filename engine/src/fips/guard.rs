//! What FIPS mode wraps around every keyed object: the engine's error state, checked on
//! every call, and the GCM IV rule.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::algorithm::{AeadAlg, CipherAlg, HashAlg, MacAlg};
use crate::provider::{
    AeadKey, Digest, HashContext, InPlace, MacKey, MacTag, StreamCipher, Tag, wipe_batch,
};
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
        f.debug_struct("Guarded")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl AeadKey for Guarded<Box<dyn AeadKey>> {
    fn algorithm(&self) -> AeadAlg {
        self.inner.algorithm()
    }

    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], in_out: &mut [u8]) -> Result<Tag, Error> {
        self.check_seal()?;
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

    // The out-of-place methods are forwarded too: the trait's defaults would copy and
    // call the in-place ones, losing the provider's one-pass kernels.
    fn seal(
        &self,
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.check_seal()?;
        self.inner.seal(nonce, aad, plaintext, out)
    }

    fn open(
        &self,
        nonce: &[u8],
        aad: &[u8],
        sealed: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if let Err(e) = self.state.check() {
            let body = sealed.len().saturating_sub(crate::TAG_LEN).min(out.len());
            zeroize::Zeroize::zeroize(&mut out[..body]);
            return Err(e);
        }
        self.inner.open(nonce, aad, sealed, out)
    }

    fn seal_batch(&self, batch: &mut [InPlace<'_>]) -> Result<(), Error> {
        if let Err(e) = self.check_seal() {
            wipe_batch(batch);
            return Err(e);
        }
        self.inner.seal_batch(batch)
    }

    fn open_batch(&self, batch: &mut [InPlace<'_>]) -> Result<(), Error> {
        if let Err(e) = self.state.check() {
            wipe_batch(batch);
            return Err(e);
        }
        self.inner.open_batch(batch)
    }
}

impl Guarded<Box<dyn AeadKey>> {
    /// The checks before any encryption: the error state and the IV rule.
    fn check_seal(&self) -> Result<(), Error> {
        self.state.check()?;
        if self.iv == IvConstruction::CallerChosen {
            return Err(Error::FipsNotApproved {
                what: "a caller-chosen GCM IV",
                rule: CALLER_IV_RULE,
            });
        }
        Ok(())
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

    fn apply_keystream_to(&mut self, input: &[u8], output: &mut [u8]) -> Result<(), Error> {
        self.state.check()?;
        self.inner.apply_keystream_to(input, output)
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

    fn sign(&self, data: &[u8]) -> Result<MacTag, Error> {
        self.state.check()?;
        self.inner.sign(data)
    }

    fn verify_parts(&self, parts: &[&[u8]], tag: &[u8]) -> Result<(), Error> {
        self.state.check()?;
        self.inner.verify_parts(parts, tag)
    }

    fn verify(&self, data: &[u8], tag: &[u8]) -> Result<(), Error> {
        self.state.check()?;
        self.inner.verify(data, tag)
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

/// The AEAD key of the engine's own protocol layers (TLS, SSH, random-IV sealing), whose
/// nonces follow an approved construction: held by value by the record layer (not a
/// second box around the provider's key), with the engine's error state checked on every
/// call in FIPS mode and every trait method forwarded, so the provider's own
/// out-of-place and batch paths stay in use.
pub(crate) type ProtocolKey = Guarded<Box<dyn AeadKey>>;

impl ProtocolKey {
    /// `inner` under the engine's error state `state` (FIPS mode), or unchecked (`None`).
    pub(crate) fn new(inner: Box<dyn AeadKey>, state: Option<Arc<ErrorState>>) -> Self {
        Guarded {
            inner,
            // Outside FIPS mode a state of its own, which never fails.
            state: state.unwrap_or_default(),
            iv: IvConstruction::Protocol,
        }
    }

    /// A caller's own key, outside any engine's FIPS mode.
    pub(crate) fn unguarded(inner: Box<dyn AeadKey>) -> Self {
        Self::new(inner, None)
    }
}

/// An AEAD key that makes its own nonces: 96 random bits from the engine's health-tested
/// generator per message (SP 800-38D §8.2.2). The approved way, in FIPS mode, to encrypt
/// outside the TLS and SSH record layers.
///
/// Random 96-bit nonces collide after about 2^32 messages under one key; SP 800-38D
/// §8.3 limits a key to 2^32 of them, and [`RandomIvAead::seal`] enforces that.
pub struct RandomIvAead {
    key: ProtocolKey,
    rng: std::sync::Mutex<EngineRng>,
    sealed: std::sync::atomic::AtomicU64,
}

/// SP 800-38D §8.3: at most 2^32 invocations with random IVs per key.
const RANDOM_IV_LIMIT: u64 = 1 << 32;

impl RandomIvAead {
    pub(crate) fn new(key: ProtocolKey, rng: EngineRng) -> Self {
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// The `fn` names declared in the item that starts with `header` in `src`, up to the
    /// first line that is a lone `}` (the item's end under rustfmt).
    fn methods(src: &str, header: &str) -> Vec<String> {
        let start = src
            .find(header)
            .unwrap_or_else(|| panic!("'{header}' not found"));
        let body = &src[start..];
        let end = body.find("\n}\n").expect("the item ends");
        let mut names: Vec<String> = body[..end]
            .lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let rest = l.strip_prefix("fn ")?;
                Some(rest.split(['(', '<']).next()?.to_owned())
            })
            .collect();
        names.sort();
        names
    }

    /// A new trait method that the guard does not forward would fall to the trait's
    /// default and lose the provider's own path (or skip the check): every method of
    /// every guarded trait must be implemented here.
    #[test]
    fn the_guard_forwards_every_trait_method() {
        let traits = include_str!("../provider/mod.rs");
        let guard = include_str!("guard.rs");
        for (tr, imp) in [
            ("pub trait AeadKey", "impl AeadKey for Guarded"),
            ("pub trait StreamCipher", "impl StreamCipher for Guarded"),
            ("pub trait MacKey", "impl MacKey for Guarded"),
            ("pub trait HashContext", "impl HashContext for Guarded"),
        ] {
            let declared = methods(traits, tr);
            assert!(declared.len() >= 3, "{tr}: {declared:?}");
            assert_eq!(
                declared,
                methods(guard, imp),
                "{imp} must forward every method"
            );
        }
    }

    /// Records which of its methods ran.
    #[derive(Debug, Default)]
    struct Recording(Mutex<Vec<&'static str>>);

    impl Recording {
        fn called(&self, what: &'static str) {
            self.0.lock().unwrap().push(what);
        }
    }

    impl AeadKey for std::sync::Arc<Recording> {
        fn algorithm(&self) -> AeadAlg {
            AeadAlg::Aes128Gcm
        }
        fn seal_in_place(&self, _: &[u8], _: &[u8], _: &mut [u8]) -> Result<Tag, Error> {
            self.called("seal_in_place");
            Ok([0; 16])
        }
        fn open_in_place(&self, _: &[u8], _: &[u8], _: &mut [u8], _: &[u8]) -> Result<(), Error> {
            self.called("open_in_place");
            Ok(())
        }
        fn seal(&self, _: &[u8], _: &[u8], p: &[u8], _: &mut [u8]) -> Result<usize, Error> {
            self.called("seal");
            Ok(p.len() + 16)
        }
        fn open(&self, _: &[u8], _: &[u8], s: &[u8], _: &mut [u8]) -> Result<usize, Error> {
            self.called("open");
            Ok(s.len() - 16)
        }
    }

    #[test]
    fn out_of_place_calls_reach_the_providers_own_methods_and_the_state_is_checked() {
        let inner = std::sync::Arc::new(Recording::default());
        let state = Arc::new(ErrorState::default());
        let guarded = Guarded {
            inner: Box::new(inner.clone()) as Box<dyn AeadKey>,
            state: state.clone(),
            iv: IvConstruction::Protocol,
        };
        let mut out = [7u8; 48];
        guarded.seal(&[0; 12], b"", &[1; 32], &mut out).unwrap();
        guarded.open(&[0; 12], b"", &[1; 48], &mut out).unwrap();
        assert_eq!(*inner.0.lock().unwrap(), ["seal", "open"]);

        state.fail(Error::SelfTestFailed("test".into()));
        assert!(guarded.seal(&[0; 12], b"", &[1; 32], &mut out).is_err());
        let mut out = [7u8; 48];
        assert!(guarded.open(&[0; 12], b"", &[1; 48], &mut out).is_err());
        assert!(out[..32].iter().all(|&b| b == 0), "wiped on failure");
        assert_eq!(inner.0.lock().unwrap().len(), 2, "nothing reached the key");
    }
}
