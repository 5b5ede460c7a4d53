//! SHA-2 on `sha2`.

use sha2::Digest as _;

use crate::Error;
use crate::algorithm::HashAlg;
use crate::provider::{Digest, HashContext};

enum Ctx {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

pub(super) fn new(alg: HashAlg) -> Box<dyn HashContext> {
    Box::new(match alg {
        HashAlg::Sha256 => Ctx::Sha256(sha2::Sha256::new()),
        HashAlg::Sha384 => Ctx::Sha384(sha2::Sha384::new()),
        HashAlg::Sha512 => Ctx::Sha512(sha2::Sha512::new()),
    })
}

impl HashContext for Ctx {
    fn algorithm(&self) -> HashAlg {
        match self {
            Ctx::Sha256(_) => HashAlg::Sha256,
            Ctx::Sha384(_) => HashAlg::Sha384,
            Ctx::Sha512(_) => HashAlg::Sha512,
        }
    }

    fn update(&mut self, data: &[u8]) -> Result<(), Error> {
        match self {
            Ctx::Sha256(h) => h.update(data),
            Ctx::Sha384(h) => h.update(data),
            Ctx::Sha512(h) => h.update(data),
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Digest, Error> {
        Ok(match *self {
            Ctx::Sha256(h) => Digest::new(&h.finalize()),
            Ctx::Sha384(h) => Digest::new(&h.finalize()),
            Ctx::Sha512(h) => Digest::new(&h.finalize()),
        })
    }
}
