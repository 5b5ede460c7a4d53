//! The instructions the keyed objects drive, as a trait: on s390x [`super::insn::Hardware`]
//! executes them; in unit tests [`model::Model`] computes what they are specified to
//! compute in software, so the drivers (buffering, parameter blocks, counters, tag
//! checks) run on every architecture — including the KMA and KMCTR paths that QEMU
//! cannot execute.

use std::fmt;

use super::params::{AesKeyParams, Direction, KmaGcmParams, ShaParams};
use super::query::Function;

/// The CPACF operations the keyed objects use. Each takes the [`Function`] that proves the
/// function is installed; slices must meet the stated length rules (implementations
/// panic otherwise: it is a bug in the caller, never a data-dependent condition).
pub(crate) trait Backend: Copy + Send + Sync + fmt::Debug + 'static {
    /// KIMD: absorbs `blocks` (a whole number of the function's blocks) into the chaining
    /// value in `params`.
    fn kimd(self, f: Function, params: &mut ShaParams, blocks: &[u8]);

    /// KLMD: absorbs `tail` (any length), pads using the message bit length in `params`,
    /// and leaves the final chaining value in `params`.
    fn klmd(self, f: Function, params: &mut ShaParams, tail: &[u8]);

    /// KMCTR: XORs AES_K(counter block i) into block i of `in_out`. `in_out` and
    /// `counters` have the same length, a whole number of 16-byte blocks.
    fn kmctr(self, f: Function, params: &AesKeyParams, in_out: &mut [u8], counters: &[u8]);

    /// KMA, one shot (last AAD, last text): GCM over `aad` and `in_out` in place; the tag
    /// is left in `params`.
    fn kma(
        self,
        f: Function,
        direction: Direction,
        params: &mut KmaGcmParams,
        aad: &[u8],
        in_out: &mut [u8],
    );

    /// PRNO-TRNG: fills `out` with conditioned true random bytes.
    fn trng(self, f: Function, out: &mut [u8]);
}

#[cfg(test)]
pub(crate) mod model {
    //! A software model of the CPACF functions the provider uses, written from the
    //! Principles of Operation's description and checking the caller's side of each
    //! contract (lengths, parameter-block fields) as the machine would.
    //!
    //! KIMD/KLMD are modelled without a SHA-2 compression function: the model keeps the
    //! message absorbed so far and stores a handle to it in the chaining value, and KLMD
    //! hashes the whole message with `sha2`. The handle is only accepted where the caller
    //! passes back the chaining value the model left, and the *initial* chaining value
    //! must be exactly FIPS 180-4's (written out again here, independently of
    //! `params.rs`), so the driver's initial values, block alignment, message bit
    //! lengths and truncation are all checked.

    use std::cell::RefCell;

    use aes::cipher::{BlockEncrypt, KeyInit};
    use aes_gcm::AeadInPlace;
    use sha2::Digest as _;

    use super::*;
    use crate::algorithm::HashAlg;
    use crate::provider::cpacf::params::{ShaSpec, aes_key_len};
    use crate::provider::cpacf::query::{Instruction, fc};

    /// The software model.
    #[derive(Clone, Copy, Debug, Default)]
    pub(crate) struct Model;

    /// FIPS 180-4 §5.3 initial values, as hex.
    const IVS: [(HashAlg, &str); 3] = [
        (
            HashAlg::Sha256,
            "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19",
        ),
        (
            HashAlg::Sha384,
            "cbbb9d5dc1059ed8629a292a367cd5079159015a3070dd17152fecd8f70e5939\
             67332667ffc00b318eb44a8768581511db0c2e0d64f98fa747b5481dbefa4fa4",
        ),
        (
            HashAlg::Sha512,
            "6a09e667f3bcc908bb67ae8584caa73b3c6ef372fe94f82ba54ff53a5f1d36f1\
             510e527fade682d19b05688c2b3e6c1f1f83d9abfb41bd6b5be0cd19137e2179",
        ),
    ];

    /// Marks a chaining value that holds a model handle.
    const HANDLE_TAG: &[u8; 8] = b"cpacfMDL";

    thread_local! {
        /// Messages absorbed so far, by handle.
        static ABSORBED: RefCell<Vec<(HashAlg, Vec<u8>)>> = const { RefCell::new(Vec::new()) };
    }

    fn sha_spec(f: Function) -> (usize, usize) {
        match f.code() {
            fc::SHA_256 => (64, 32),
            fc::SHA_512 => (128, 64),
            other => panic!("model: no SHA function {other}"),
        }
    }

    /// The algorithm and message so far for the chaining value in `params`.
    fn absorbed(f: Function, params: &ShaParams) -> (HashAlg, Vec<u8>) {
        let (_, cv_len) = sha_spec(f);
        let cv = &params.bytes[..cv_len];
        if cv[..8] == HANDLE_TAG[..] {
            let id = u64::from_be_bytes(cv[8..16].try_into().unwrap()) as usize;
            return ABSORBED.with(|a| a.borrow()[id].clone());
        }
        let alg = IVS
            .iter()
            .find(|(alg, iv)| {
                ShaSpec::of(*alg).function == f.code() && hex::decode(iv).unwrap() == cv
            })
            .map(|(alg, _)| *alg)
            .unwrap_or_else(|| {
                panic!("model: chaining value is neither an initial value nor a handle: {cv:02x?}")
            });
        (alg, Vec::new())
    }

    fn store(params: &mut ShaParams, cv_len: usize, alg: HashAlg, message: Vec<u8>) {
        let id = ABSORBED.with(|a| {
            let mut a = a.borrow_mut();
            a.push((alg, message));
            a.len() - 1
        });
        params.bytes[..cv_len].fill(0);
        params.bytes[..8].copy_from_slice(HANDLE_TAG);
        params.bytes[8..16].copy_from_slice(&(id as u64).to_be_bytes());
    }

    fn aes_encrypt_block(key: &[u8], block: &mut [u8; 16]) {
        let b = aes::Block::from_mut_slice(&mut block[..]);
        match key.len() {
            16 => aes::Aes128::new_from_slice(key).unwrap().encrypt_block(b),
            24 => aes::Aes192::new_from_slice(key).unwrap().encrypt_block(b),
            32 => aes::Aes256::new_from_slice(key).unwrap().encrypt_block(b),
            n => panic!("model: no AES-{}", n * 8),
        }
    }

    /// AES-GCM encryption in place with the tag (the `aes-gcm` crate).
    fn gcm_encrypt(key: &[u8], nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> [u8; 16] {
        let nonce = aes_gcm::Nonce::from_slice(nonce);
        let tag = match key.len() {
            16 => aes_gcm::Aes128Gcm::new_from_slice(key)
                .unwrap()
                .encrypt_in_place_detached(nonce, aad, buf),
            32 => aes_gcm::Aes256Gcm::new_from_slice(key)
                .unwrap()
                .encrypt_in_place_detached(nonce, aad, buf),
            n => panic!("model: no GCM-AES-{}", n * 8),
        }
        .unwrap();
        let mut out = [0u8; 16];
        out.copy_from_slice(&tag);
        out
    }

    impl Backend for Model {
        fn kimd(self, f: Function, params: &mut ShaParams, blocks: &[u8]) {
            assert_eq!(f.instruction(), Instruction::Kimd);
            let (block_len, cv_len) = sha_spec(f);
            assert_eq!(
                blocks.len() % block_len,
                0,
                "KIMD: specification exception (partial block)"
            );
            let (alg, mut message) = absorbed(f, params);
            message.extend_from_slice(blocks);
            store(params, cv_len, alg, message);
        }

        fn klmd(self, f: Function, params: &mut ShaParams, tail: &[u8]) {
            assert_eq!(f.instruction(), Instruction::Klmd);
            let (_, cv_len) = sha_spec(f);
            let (alg, mut message) = absorbed(f, params);
            message.extend_from_slice(tail);
            let mbl = &params.bytes[cv_len..cv_len + if cv_len == 32 { 8 } else { 16 }];
            let mut be = [0u8; 16];
            be[16 - mbl.len()..].copy_from_slice(mbl);
            assert_eq!(
                u128::from_be_bytes(be),
                message.len() as u128 * 8,
                "KLMD: message bit length in the parameter block"
            );
            let digest = match alg {
                HashAlg::Sha256 => sha2::Sha256::digest(&message).to_vec(),
                // The machine leaves the whole SHA-512 chaining value; SHA-384 is its
                // first 48 bytes. Fill the rest so that truncation is checked.
                HashAlg::Sha384 => {
                    let mut d = sha2::Sha384::digest(&message).to_vec();
                    d.extend_from_slice(&[0xee; 16]);
                    d
                }
                HashAlg::Sha512 => sha2::Sha512::digest(&message).to_vec(),
            };
            params.bytes[..cv_len].copy_from_slice(&digest);
        }

        fn kmctr(self, f: Function, params: &AesKeyParams, in_out: &mut [u8], counters: &[u8]) {
            assert_eq!(f.instruction(), Instruction::Kmctr);
            let key = &params.key[..aes_key_len(f.code()).expect("an AES function")];
            assert_eq!(in_out.len(), counters.len(), "one counter block per block");
            assert_eq!(in_out.len() % 16, 0, "KMCTR: whole blocks only");
            for (block, counter) in in_out.chunks_exact_mut(16).zip(counters.chunks_exact(16)) {
                let mut ks: [u8; 16] = counter.try_into().unwrap();
                aes_encrypt_block(key, &mut ks);
                for (b, k) in block.iter_mut().zip(ks) {
                    *b ^= k;
                }
            }
        }

        fn kma(
            self,
            f: Function,
            direction: Direction,
            params: &mut KmaGcmParams,
            aad: &[u8],
            in_out: &mut [u8],
        ) {
            assert_eq!(f.instruction(), Instruction::Kma);
            let key = &params.key[..aes_key_len(f.code()).expect("an AES function")];
            // A fresh one-shot block, as the driver must build it.
            assert_eq!(params.reserved, [0; 12]);
            assert_eq!(params.cv, [0, 0, 0, 1], "cv starts at 1");
            assert_eq!(params.tag, [0; 16]);
            assert_eq!(params.h, [0; 16], "HS is clear, so H is not supplied");
            assert_eq!(params.j0[12..], [0, 0, 0, 1], "J0 = IV || 1");
            assert_eq!(u64::from_be_bytes(params.taadl), aad.len() as u64 * 8);
            assert_eq!(u64::from_be_bytes(params.tpcl), in_out.len() as u64 * 8);
            let nonce = params.j0[..12].to_vec();
            let mut h = [0u8; 16];
            aes_encrypt_block(key, &mut h);
            let tag = match direction {
                Direction::Encrypt => gcm_encrypt(key, &nonce, aad, in_out),
                Direction::Decrypt => {
                    // Counter mode is its own inverse: "encrypting" the ciphertext
                    // yields the plaintext; encrypting that again yields the ciphertext
                    // and the tag over it, which is what KMA computes when deciphering.
                    gcm_encrypt(key, &nonce, aad, in_out);
                    let mut again = in_out.to_vec();
                    gcm_encrypt(key, &nonce, aad, &mut again)
                }
            };
            params.tag = tag;
            params.h = h;
            let blocks = in_out.len().div_ceil(16) as u32;
            params.cv = 1u32.wrapping_add(blocks).to_be_bytes();
        }

        fn trng(self, f: Function, out: &mut [u8]) {
            assert_eq!((f.instruction(), f.code()), (Instruction::Prno, fc::TRNG));
            getrandom::getrandom(out).unwrap();
        }
    }
}
