//! AES-CTR on KMCTR (CIPHER MESSAGE WITH COUNTER, message-security-assist extension 4),
//! with SSH's big-endian 128-bit counter that wraps mod 2^128 (RFC 4344 §4).
//!
//! KMCTR enciphers a list of counter blocks the program supplies and XORs them into the
//! input, so the counter arithmetic is ours: [`fill_counter_blocks`] writes up to
//! [`CHUNK`] bytes of counters at a time. The stream keeps its byte position across calls:
//! the keystream block a call ends inside is kept, and the next call uses the rest of it.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::backend::Backend;
use super::params::{AES_BLOCK, AesKeyParams, fill_counter_blocks};
use super::query::{Capabilities, Function, Instruction};
use crate::Error;
use crate::algorithm::{Algorithm, CipherAlg};
use crate::provider::{StreamCipher, check_key_len};

/// Counter blocks prepared per KMCTR instruction (the Linux driver uses a page).
const CHUNK: usize = 4096;

/// Key, counter and position: all secret (SSH derives the IV from the shared secret).
#[derive(Zeroize, ZeroizeOnDrop)]
struct State {
    /// The counter block (as `u128::from_be_bytes`) of the next keystream block.
    counter: u128,
    /// The keystream block before `counter`, of which `used` bytes are spent.
    pending: [u8; AES_BLOCK],
    /// Bytes of `pending` already used; `AES_BLOCK` when none are left.
    used: usize,
}

struct Ctr<B: Backend> {
    backend: B,
    kmctr: Function,
    alg: CipherAlg,
    params: AesKeyParams,
    state: State,
}

/// A keyed AES-CTR stream starting at counter block `iv`, or `None` when KMCTR lacks the
/// function here.
pub(super) fn new<B: Backend>(
    backend: B,
    caps: &Capabilities,
    alg: CipherAlg,
    key: &[u8],
    iv: &[u8],
) -> Result<Option<Box<dyn StreamCipher>>, Error> {
    check_key_len(Algorithm::Cipher(alg), key)?;
    let iv: [u8; AES_BLOCK] = iv.try_into().map_err(|_| Error::InvalidNonceLength {
        algorithm: alg.id(),
        expected: alg.info().nonce_len,
        actual: iv.len(),
    })?;
    let Some((params, function)) = AesKeyParams::new(key) else {
        return Ok(None);
    };
    let Some(kmctr) = caps.function(Instruction::Kmctr, function) else {
        return Ok(None);
    };
    Ok(Some(Box::new(Ctr {
        backend,
        kmctr,
        alg,
        params,
        state: State {
            counter: u128::from_be_bytes(iv),
            pending: [0; AES_BLOCK],
            used: AES_BLOCK,
        },
    })))
}

impl<B: Backend> fmt::Debug for Ctr<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamCipher")
            .field("provider", &"cpacf")
            .field("algorithm", &self.alg.id())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl<B: Backend> StreamCipher for Ctr<B> {
    fn algorithm(&self) -> CipherAlg {
        self.alg
    }

    fn apply_keystream(&mut self, data: &mut [u8]) -> Result<(), Error> {
        let s = &mut self.state;
        // Finish the block the previous call stopped inside.
        let carried = (AES_BLOCK - s.used).min(data.len());
        let (head, data) = data.split_at_mut(carried);
        for (d, k) in head.iter_mut().zip(&s.pending[s.used..]) {
            *d ^= k;
        }
        s.used += carried;
        // Whole blocks, a chunk of counters at a time.
        let (body, rest) = data.split_at_mut(data.len() / AES_BLOCK * AES_BLOCK);
        let mut counters = [0u8; CHUNK];
        for piece in body.chunks_mut(CHUNK) {
            let counters = &mut counters[..piece.len()];
            s.counter = fill_counter_blocks(s.counter, counters);
            self.backend
                .kmctr(self.kmctr, &self.params, piece, counters);
        }
        counters.zeroize();
        // Start a new block and keep what is left of it.
        if !rest.is_empty() {
            let mut counter = [0u8; AES_BLOCK];
            s.counter = fill_counter_blocks(s.counter, &mut counter);
            s.pending = [0; AES_BLOCK];
            self.backend
                .kmctr(self.kmctr, &self.params, &mut s.pending, &counter);
            for (d, k) in rest.iter_mut().zip(&s.pending) {
                *d ^= k;
            }
            s.used = rest.len();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::CpuFeatures;
    use crate::provider::Provider;
    use crate::provider::cpacf::backend::model::Model;
    use crate::provider::cpacf::query::{FacilityList, MSA, MSA4, QueryMask, fc};
    use crate::provider::rustcrypto::RustCrypto;

    fn with_kmctr() -> Capabilities {
        Capabilities::detect(FacilityList::with_bits(&[MSA, MSA4]), |_| {
            QueryMask::with_functions(&[0, fc::AES_128, fc::AES_192, fc::AES_256])
        })
    }

    #[test]
    fn driver_matches_rustcrypto_on_the_model() {
        let caps = with_kmctr();
        let rc = RustCrypto::new(CpuFeatures::get());
        // Longer than one chunk of counters, and starting two blocks before the wrap.
        let data: Vec<u8> = (0..CHUNK as u32 + 100).map(|i| (i * 5) as u8).collect();
        for alg in CipherAlg::all() {
            let key: Vec<u8> = (0..alg.info().key_len as u8).map(|b| b ^ 0x3c).collect();
            for iv in [[0u8; 16], [0xff; 16], {
                let mut v = [0xff; 16];
                v[15] = 0xfe;
                v
            }] {
                let mut want = data.clone();
                rc.cipher(alg, &key, &iv)
                    .unwrap()
                    .apply_keystream(&mut want)
                    .unwrap();
                for piece in [data.len(), 1, 15, 16, 17, 100, CHUNK + 16] {
                    let mut c = new(Model, &caps, alg, &key, &iv).unwrap().unwrap();
                    let mut got = data.clone();
                    for chunk in got.chunks_mut(piece) {
                        c.apply_keystream(chunk).unwrap();
                    }
                    assert!(got == want, "{alg} iv {iv:02x?} in {piece}-byte pieces");
                }
            }
        }
    }

    #[test]
    fn bad_arguments_and_absent_functions() {
        let caps = with_kmctr();
        assert!(matches!(
            new(Model, &caps, CipherAlg::Aes128Ctr, &[0; 16], &[0; 12]),
            Err(Error::InvalidNonceLength { .. })
        ));
        assert!(matches!(
            new(Model, &caps, CipherAlg::Aes128Ctr, &[0; 32], &[0; 16]),
            Err(Error::InvalidKeyLength { .. })
        ));
        let only_256 = Capabilities::detect(FacilityList::with_bits(&[MSA, MSA4]), |_| {
            QueryMask::with_functions(&[0, fc::AES_256])
        });
        assert!(
            new(Model, &only_256, CipherAlg::Aes192Ctr, &[0; 24], &[0; 16])
                .unwrap()
                .is_none()
        );
        let c = new(Model, &only_256, CipherAlg::Aes256Ctr, &[0; 32], &[0; 16])
            .unwrap()
            .unwrap();
        assert!(format!("{c:?}").contains("REDACTED"));
    }
}
