//! AES-CTR through CKM_AES_CTR (128 counter bits, big-endian, as SP 800-38A and the
//! `rustcrypto` provider count).
//!
//! Each call is one single-part C_Encrypt whose counter block is the start block plus the
//! position in blocks, over the call's bytes preceded by the position's offset into its
//! block (the token never keeps state between calls, so the cipher may move between
//! threads and continue at any byte offset).

use std::fmt;
use std::sync::Arc;

use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use zeroize::Zeroize;

use super::aead::aes_key_template;
use super::token::{SessionKey, Token};
use crate::Error;
use crate::algorithm::{Algorithm, CipherAlg};
use crate::provider::{StreamCipher, check_key_len};

const BLOCK: usize = 16;

/// CK_AES_CTR_PARAMS (PKCS#11 2.40 §2.10.4), which `cryptoki` 0.12 has no wrapper for.
#[repr(C)]
struct CtrParams {
    counter_bits: std::ffi::c_ulong,
    cb: [u8; BLOCK],
}

struct Ctr {
    alg: CipherAlg,
    key: SessionKey,
    start: u128,
    /// Bytes of keystream used so far.
    position: u128,
}

pub(super) fn new(
    token: &Arc<Token>,
    alg: CipherAlg,
    key: &[u8],
    iv: &[u8],
) -> Result<Box<dyn StreamCipher>, Error> {
    check_key_len(Algorithm::Cipher(alg), key)?;
    let start: [u8; BLOCK] = iv.try_into().map_err(|_| Error::InvalidNonceLength {
        algorithm: alg.id(),
        expected: BLOCK,
        actual: iv.len(),
    })?;
    let key = token.create_key("C_CreateObject (AES key)", aes_key_template(key, false))?;
    Ok(Box::new(Ctr {
        alg,
        key,
        start: u128::from_be_bytes(start),
        position: 0,
    }))
}

impl fmt::Debug for Ctr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamCipher")
            .field("provider", &"pkcs11")
            .field("algorithm", &self.alg.id())
            .field("key", &"[in token]")
            .finish()
    }
}

impl Ctr {
    /// `blocks` blocks of keystream from counter block `first`. A token refuses a call
    /// whose counter would wrap (SoftHSM: CKR_DATA_LEN_RANGE), so the run is split where
    /// the 128-bit counter wraps to zero, as SP 800-38A and RFC 4344 count.
    fn keystream(&self, first: u128, blocks: usize) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(blocks * BLOCK);
        let mut counter = first;
        let mut left = blocks;
        while left > 0 {
            // Blocks before the counter wraps: 2^128 - counter (unbounded at zero).
            let room = match (u128::MAX - counter).checked_add(1) {
                Some(r) => usize::try_from(r).unwrap_or(usize::MAX),
                None => usize::MAX,
            };
            let n = left.min(room);
            let params = CtrParams {
                counter_bits: 128,
                cb: counter.to_be_bytes(),
            };
            let mechanism = Mechanism::VendorDefined(VendorDefinedMechanism::new(
                MechanismType::AES_CTR,
                Some(&params),
            ));
            let zeros = vec![0u8; n * BLOCK];
            let part = self.key.token.run("C_Encrypt (AES-CTR)", |s| {
                s.encrypt(&mechanism, self.key.handle, &zeros)
            })?;
            out.extend_from_slice(&part);
            let mut part = part;
            part.zeroize();
            counter = counter.wrapping_add(n as u128);
            left -= n;
        }
        Ok(out)
    }
}

impl StreamCipher for Ctr {
    fn algorithm(&self) -> CipherAlg {
        self.alg
    }

    fn apply_keystream(&mut self, in_out: &mut [u8]) -> Result<(), Error> {
        if in_out.is_empty() {
            return Ok(());
        }
        // 2^128 bytes is far short of the 2^132 after which the 128-bit counter repeats.
        let end =
            self.position
                .checked_add(in_out.len() as u128)
                .ok_or(Error::CounterOverflow {
                    algorithm: self.alg.id(),
                })?;
        let skip = (self.position % BLOCK as u128) as usize;
        let first = self.start.wrapping_add(self.position / BLOCK as u128);
        // Whole blocks, so no token can object to a partial one.
        let blocks = (skip + in_out.len()).div_ceil(BLOCK);
        let mut keystream = self.keystream(first, blocks)?;
        let result = match keystream.get(skip..skip + in_out.len()) {
            Some(ks) => {
                for (b, k) in in_out.iter_mut().zip(ks) {
                    *b ^= k;
                }
                self.position = end;
                Ok(())
            }
            None => Err(self
                .key
                .token
                .error("C_Encrypt (AES-CTR)", &cryptoki::error::Error::InvalidValue)),
        };
        keystream.zeroize();
        result
    }
}
