//! SHA-256, SHA-384 and SHA-512 on KIMD/KLMD.
//!
//! `update` keeps a partial block in a buffer and passes whole blocks to KIMD (which takes
//! whole blocks only), straight from the caller's slice when it can; `finish` stores the
//! total length in bits and passes the partial block to KLMD, which pads and leaves the
//! digest in the chaining value.

use zeroize::Zeroize;

use super::backend::Backend;
use super::params::{SHA_MAX_BLOCK, ShaParams, ShaSpec};
use super::query::{Capabilities, Function, Instruction};
use crate::Error;
use crate::algorithm::HashAlg;
use crate::provider::{Digest, HashContext};

struct Sha<B: Backend> {
    backend: B,
    kimd: Function,
    klmd: Function,
    spec: &'static ShaSpec,
    params: ShaParams,
    /// The partial block not yet absorbed.
    buf: [u8; SHA_MAX_BLOCK],
    buf_len: usize,
    /// Bytes absorbed in all, for KLMD's message bit length.
    total: u128,
}

/// A fresh context for `alg`, or `None` when KIMD or KLMD lacks its function here.
pub(super) fn new<B: Backend>(
    backend: B,
    caps: &Capabilities,
    alg: HashAlg,
) -> Option<Box<dyn HashContext>> {
    let spec = ShaSpec::of(alg);
    Some(Box::new(Sha {
        backend,
        kimd: caps.function(Instruction::Kimd, spec.function)?,
        klmd: caps.function(Instruction::Klmd, spec.function)?,
        spec,
        params: ShaParams::new(spec),
        buf: [0; SHA_MAX_BLOCK],
        buf_len: 0,
        total: 0,
    }))
}

impl<B: Backend> Sha<B> {
    fn too_long(&self) -> Error {
        Error::InputTooLong {
            algorithm: self.spec.alg.id(),
            // SHA-256 counts bits in 64 bits, SHA-512 in 128 (FIPS 180-4 §1).
            max: if self.spec.mbl_len == 8 {
                u64::MAX / 8
            } else {
                u64::MAX
            },
        }
    }
}

impl<B: Backend> HashContext for Sha<B> {
    fn algorithm(&self) -> HashAlg {
        self.spec.alg
    }

    fn update(&mut self, mut data: &[u8]) -> Result<(), Error> {
        let block = self.spec.block_len;
        let total = self
            .total
            .checked_add(data.len() as u128)
            .filter(|t| t.checked_mul(8).is_some())
            .ok_or_else(|| self.too_long())?;
        self.total = total;
        // Top up a partial block first.
        if self.buf_len > 0 {
            let take = (block - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < block {
                return Ok(());
            }
            self.backend
                .kimd(self.kimd, &mut self.params, &self.buf[..block]);
            self.buf_len = 0;
        }
        // Whole blocks straight from the caller's buffer; keep the rest.
        let whole = data.len() / block * block;
        let (blocks, rest) = data.split_at(whole);
        self.backend.kimd(self.kimd, &mut self.params, blocks);
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Digest, Error> {
        let spec = self.spec;
        let bits = self.total * 8; // `update` keeps this within u128.
        if self.params.set_message_bits(spec, bits).is_none() {
            return Err(self.too_long());
        }
        let s = &mut *self;
        s.backend.klmd(s.klmd, &mut s.params, &s.buf[..s.buf_len]);
        Ok(Digest::new(self.params.digest(spec)))
    }
}

impl<B: Backend> Drop for Sha<B> {
    fn drop(&mut self) {
        // The buffered message bytes may be secret (HMAC keys, transcripts).
        self.buf.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use sha2::Digest as _;

    use super::*;
    use crate::provider::cpacf::backend::model::Model;
    use crate::provider::cpacf::query::{FacilityList, MSA, QueryMask, fc};

    fn full() -> Capabilities {
        Capabilities::detect(FacilityList::with_bits(&[MSA]), |_| {
            QueryMask::with_functions(&[0, fc::SHA_256, fc::SHA_512])
        })
    }

    fn reference(alg: HashAlg, data: &[u8]) -> Vec<u8> {
        match alg {
            HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// Hashes `data` fed in `piece`-byte pieces through the driver on `backend`.
    pub(crate) fn hash_in_pieces<B: Backend>(
        backend: B,
        caps: &Capabilities,
        alg: HashAlg,
        data: &[u8],
        piece: usize,
    ) -> Vec<u8> {
        let mut ctx = new(backend, caps, alg).expect("function installed");
        for chunk in data.chunks(piece.max(1)) {
            ctx.update(chunk).unwrap();
        }
        if data.is_empty() {
            ctx.update(&[]).unwrap();
        }
        ctx.finish().unwrap().as_ref().to_vec()
    }

    #[test]
    fn driver_matches_sha2_on_the_model() {
        let caps = full();
        let data: Vec<u8> = (0..1100u32).map(|i| (i * 7 + i / 256) as u8).collect();
        for alg in HashAlg::all() {
            for len in [
                0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 255, 256, 1100,
            ] {
                let want = reference(alg, &data[..len]);
                for piece in [len.max(1), 1, 3, 64, 127, 128, 129] {
                    assert_eq!(
                        hash_in_pieces(Model, &caps, alg, &data[..len], piece),
                        want,
                        "{alg} len {len} in {piece}-byte pieces"
                    );
                }
            }
        }
    }

    #[test]
    fn absent_functions_give_no_context() {
        let sha512_only = Capabilities::detect(FacilityList::with_bits(&[MSA]), |_| {
            QueryMask::with_functions(&[0, fc::SHA_512])
        });
        assert!(new(Model, &sha512_only, HashAlg::Sha256).is_none());
        assert!(new(Model, &sha512_only, HashAlg::Sha384).is_some());
        let none = Capabilities::default();
        assert!(HashAlg::all().all(|a| new(Model, &none, a).is_none()));
    }
}
