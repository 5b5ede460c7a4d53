//! The provider handle a FIPS-mode engine hands out: the policy and the error state go
//! with the provider, so no accessor can forget them.

use std::fmt;
use std::sync::Arc;

use crate::Error;
use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, FipsStatus, HashAlg, MacAlg};
use crate::provider::{
    AeadKey, ChaCha20Key, HashContext, MacKey, Provider, ProviderId, ProviderInfo, StreamCipher,
};

use super::guard::{ErrorState, Guarded, IvConstruction};

/// A provider under FIPS mode: keys only approved algorithms, only while the engine is
/// not in its error state, and wraps every key it makes in [`Guarded`] — AEAD keys as
/// taking caller-chosen nonces, which FIPS mode will not seal under.
pub(crate) struct FipsProvider {
    inner: Arc<dyn Provider>,
    state: Arc<ErrorState>,
}

impl FipsProvider {
    pub(crate) fn new(inner: Arc<dyn Provider>, state: Arc<ErrorState>) -> Self {
        FipsProvider { inner, state }
    }

    /// The engine's error state, then the algorithm policy.
    fn admit(&self, alg: impl Into<Algorithm>) -> Result<(), Error> {
        self.state.check()?;
        let alg = alg.into();
        match alg.info().fips {
            FipsStatus::NotApproved { rule } => Err(Error::FipsNotApproved {
                what: alg.id(),
                rule,
            }),
            _ => Ok(()),
        }
    }

    fn guarded<T>(&self, inner: T, iv: IvConstruction) -> Guarded<T> {
        Guarded {
            inner,
            state: self.state.clone(),
            iv,
        }
    }
}

impl Provider for FipsProvider {
    fn id(&self) -> ProviderId {
        self.inner.id()
    }

    fn info(&self) -> ProviderInfo {
        self.inner.info()
    }

    fn supports(&self, alg: Algorithm) -> bool {
        self.inner.supports(alg)
    }

    fn aead(&self, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn AeadKey>, Error> {
        self.admit(alg)?;
        let key = self.inner.aead(alg, key)?;
        Ok(Box::new(self.guarded(key, IvConstruction::CallerChosen)))
    }

    fn cipher(
        &self,
        alg: CipherAlg,
        key: &[u8],
        iv: &[u8],
    ) -> Result<Box<dyn StreamCipher>, Error> {
        self.admit(alg)?;
        let cipher = self.inner.cipher(alg, key, iv)?;
        Ok(Box::new(self.guarded(cipher, IvConstruction::Protocol)))
    }

    fn mac(&self, alg: MacAlg, key: &[u8]) -> Result<Box<dyn MacKey>, Error> {
        self.admit(alg)?;
        let mac = self.inner.mac(alg, key)?;
        Ok(Box::new(self.guarded(mac, IvConstruction::Protocol)))
    }

    fn hash(&self, alg: HashAlg) -> Result<Box<dyn HashContext>, Error> {
        self.admit(alg)?;
        let hash = self.inner.hash(alg)?;
        Ok(Box::new(self.guarded(hash, IvConstruction::Protocol)))
    }

    // The pieces of `chacha20-poly1305@openssh.com` follow ChaCha20-Poly1305's policy.
    fn chacha20_original(&self, key: &[u8; 32]) -> Result<Box<dyn ChaCha20Key>, Error> {
        self.admit(AeadAlg::ChaCha20Poly1305)?;
        self.inner.chacha20_original(key)
    }

    fn poly1305(&self, key: &[u8; 32], message: &[u8]) -> Result<[u8; 16], Error> {
        self.admit(AeadAlg::ChaCha20Poly1305)?;
        self.inner.poly1305(key, message)
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), Error> {
        if let Err(e) = self.state.check() {
            zeroize::Zeroize::zeroize(out);
            return Err(e);
        }
        self.inner.fill_random(out)
    }
}

impl fmt::Debug for FipsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FipsProvider")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}
