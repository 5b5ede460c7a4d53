//! AES-GCM on KMA (CIPHER MESSAGE WITH AUTHENTICATION, message-security-assist
//! extension 8).
//!
//! Every record is one KMA instruction: the parameter block is built fresh for the message
//! (`KmaGcmParams::for_message`: cv = 1, J0 = nonce ‖ 1, the total AAD and text lengths in
//! bits, the key) and the instruction gets the whole AAD and text with both "last" flags,
//! so it computes H, encrypts or decrypts in place and leaves the tag in the block. Opening
//! decrypts in place and then compares tags in constant time; on a mismatch the buffer is
//! wiped, so no unauthenticated plaintext is released.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::backend::Backend;
use super::params::{Direction, KmaGcmParams};
use super::query::{Capabilities, Function, Instruction};
use crate::algorithm::{AeadAlg, Algorithm};
use crate::provider::{AeadKey, Tag, check_aead_args, check_key_len};
use crate::{Error, NONCE_LEN};

#[derive(Zeroize, ZeroizeOnDrop)]
struct Key {
    bytes: [u8; 32],
    len: usize,
}

struct Gcm<B: Backend> {
    backend: B,
    kma: Function,
    alg: AeadAlg,
    key: Key,
}

/// A keyed AES-GCM, or `None` when KMA lacks the function here. The key length must
/// already match `alg` (checked here again).
pub(super) fn new<B: Backend>(
    backend: B,
    caps: &Capabilities,
    alg: AeadAlg,
    key: &[u8],
) -> Result<Option<Box<dyn AeadKey>>, Error> {
    check_key_len(Algorithm::Aead(alg), key)?;
    let Some(function) = super::params::aes_function(key.len()) else {
        return Ok(None);
    };
    let Some(kma) = caps.function(Instruction::Kma, function) else {
        return Ok(None);
    };
    let mut k = Key {
        bytes: [0; 32],
        len: key.len(),
    };
    k.bytes[..key.len()].copy_from_slice(key);
    Ok(Some(Box::new(Gcm {
        backend,
        kma,
        alg,
        key: k,
    })))
}

impl<B: Backend> Gcm<B> {
    /// The parameter block for one message, after the checks every AEAD shares.
    fn params(
        &self,
        nonce: &[u8],
        aad: &[u8],
        text_len: usize,
        tag: Option<&[u8]>,
    ) -> Result<KmaGcmParams, Error> {
        check_aead_args(self.alg, nonce, text_len, tag)?;
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::InvalidNonceLength {
            algorithm: self.alg.id(),
            expected: NONCE_LEN,
            actual: nonce.len(),
        })?;
        KmaGcmParams::for_message(&self.key.bytes[..self.key.len], nonce, aad.len(), text_len)
            .ok_or(Error::InputTooLong {
                algorithm: self.alg.id(),
                max: u64::MAX / 8,
            })
    }
}

impl<B: Backend> fmt::Debug for Gcm<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeadKey")
            .field("provider", &"cpacf")
            .field("algorithm", &self.alg.id())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl<B: Backend> AeadKey for Gcm<B> {
    fn algorithm(&self) -> AeadAlg {
        self.alg
    }

    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], in_out: &mut [u8]) -> Result<Tag, Error> {
        let mut params = self.params(nonce, aad, in_out.len(), None)?;
        self.backend
            .kma(self.kma, Direction::Encrypt, &mut params, aad, in_out);
        Ok(params.tag())
    }

    fn open_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        let mut params = match self.params(nonce, aad, in_out.len(), Some(tag)) {
            Ok(p) => p,
            Err(e) => {
                in_out.zeroize();
                return Err(e);
            }
        };
        self.backend
            .kma(self.kma, Direction::Decrypt, &mut params, aad, in_out);
        if crate::ct::bytes_eq(&params.tag(), tag) {
            Ok(())
        } else {
            in_out.zeroize();
            Err(Error::AuthenticationFailed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::CpuFeatures;
    use crate::provider::Provider;
    use crate::provider::cpacf::backend::model::Model;
    use crate::provider::cpacf::query::{FacilityList, MSA, MSA8, QueryMask, fc};
    use crate::provider::rustcrypto::RustCrypto;

    fn with_kma() -> Capabilities {
        Capabilities::detect(FacilityList::with_bits(&[MSA, MSA8]), |_| {
            QueryMask::with_functions(&[0, fc::GCM_AES_128, fc::GCM_AES_256])
        })
    }

    #[test]
    fn driver_matches_rustcrypto_on_the_model() {
        let caps = with_kma();
        let rc = RustCrypto::new(CpuFeatures::get());
        let data: Vec<u8> = (0..300u32).map(|i| (i * 13) as u8).collect();
        for alg in [AeadAlg::Aes128Gcm, AeadAlg::Aes256Gcm] {
            let key: Vec<u8> = (0..alg.info().key_len as u8).collect();
            let ours = new(Model, &caps, alg, &key).unwrap().unwrap();
            let theirs = rc.aead(alg, &key).unwrap();
            for (len, aad_len) in [
                (0, 0),
                (0, 5),
                (1, 0),
                (15, 13),
                (16, 16),
                (17, 20),
                (300, 33),
            ] {
                let nonce = [len as u8; 12];
                let aad = &data[..aad_len];
                let mut a = data[..len].to_vec();
                let mut b = a.clone();
                let ta = ours.seal_in_place(&nonce, aad, &mut a).unwrap();
                let tb = theirs.seal_in_place(&nonce, aad, &mut b).unwrap();
                assert_eq!((a.clone(), ta), (b, tb), "{alg} len {len} aad {aad_len}");
                ours.open_in_place(&nonce, aad, &mut a, &ta).unwrap();
                assert_eq!(a, &data[..len]);
            }
        }
    }

    #[test]
    fn bad_tags_wipe_the_buffer_and_bad_arguments_are_refused() {
        let caps = with_kma();
        let key = [9u8; 16];
        let k = new(Model, &caps, AeadAlg::Aes128Gcm, &key)
            .unwrap()
            .unwrap();
        let nonce = [1u8; 12];
        let mut buf = *b"attack at dawn!!";
        let mut tag = k.seal_in_place(&nonce, b"hdr", &mut buf).unwrap();
        tag[0] ^= 1;
        let mut opened = buf;
        assert_eq!(
            k.open_in_place(&nonce, b"hdr", &mut opened, &tag),
            Err(Error::AuthenticationFailed)
        );
        assert_eq!(opened, [0u8; 16]);
        assert!(matches!(
            k.seal_in_place(&[0; 8], b"", &mut [0; 4]),
            Err(Error::InvalidNonceLength { .. })
        ));
        assert!(matches!(
            k.open_in_place(&nonce, b"", &mut [0; 4], &[0; 15]),
            Err(Error::InvalidTagLength { .. })
        ));
        assert!(matches!(
            new(Model, &caps, AeadAlg::Aes256Gcm, &key),
            Err(Error::InvalidKeyLength { .. })
        ));
        assert!(format!("{k:?}").contains("REDACTED"));
    }

    #[test]
    fn absent_kma_gives_no_key() {
        let no_kma = Capabilities::detect(FacilityList::with_bits(&[MSA]), |_| {
            QueryMask::with_functions(&[0, 18, 19, 20])
        });
        assert!(
            new(Model, &no_kma, AeadAlg::Aes128Gcm, &[0; 16])
                .unwrap()
                .is_none()
        );
        // KMA installed, but only GCM-AES-128.
        let only_128 = Capabilities::detect(FacilityList::with_bits(&[MSA, MSA8]), |_| {
            QueryMask::with_functions(&[0, 18])
        });
        assert!(
            new(Model, &only_128, AeadAlg::Aes256Gcm, &[0; 32])
                .unwrap()
                .is_none()
        );
    }
}
