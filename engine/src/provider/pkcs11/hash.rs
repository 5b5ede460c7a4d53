//! SHA-2 through C_Digest.
//!
//! The context buffers what it absorbs and digests it in one C_Digest at `finish`: a
//! multi-part digest would tie the context to one session (one thread), and two contexts
//! on one thread would collide in it. Hashes here are small (handshake transcripts,
//! self-tests); bulk data is protected by the AEAD or MAC, not hashed.

use std::sync::Arc;

use cryptoki::mechanism::Mechanism;

use super::token::Token;
use crate::Error;
use crate::algorithm::HashAlg;
use crate::provider::{Digest, HashContext};

struct Ctx {
    alg: HashAlg,
    token: Arc<Token>,
    data: Vec<u8>,
}

pub(super) fn new(token: &Arc<Token>, alg: HashAlg) -> Box<dyn HashContext> {
    Box::new(Ctx {
        alg,
        token: token.clone(),
        data: Vec::new(),
    })
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // Hash inputs can be secret (key derivation); do not leave them in freed memory.
        zeroize::Zeroize::zeroize(&mut self.data);
    }
}

impl HashContext for Ctx {
    fn algorithm(&self) -> HashAlg {
        self.alg
    }

    fn update(&mut self, data: &[u8]) -> Result<(), Error> {
        self.data.extend_from_slice(data);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Digest, Error> {
        let mechanism = match self.alg {
            HashAlg::Sha256 => Mechanism::Sha256,
            HashAlg::Sha384 => Mechanism::Sha384,
            HashAlg::Sha512 => Mechanism::Sha512,
        };
        let out = self
            .token
            .run("C_Digest", |s| s.digest(&mechanism, &self.data))?;
        Ok(Digest::new(&out))
    }
}
