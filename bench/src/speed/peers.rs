//! Peer libraries linked into this build and measured beside the engine: `ring` and
//! `aws-lc-rs`, behind the bench crate's `peers` feature.
//!
//! Every peer gets the same inputs and the same work shape as the engine
//! (see [`super::op`]): seal in place with a fresh nonce per call and 13 bytes of AAD;
//! open by copying a real sealed message into a working buffer and opening it in place,
//! checking the plaintext afterwards; HMAC sign and verify with one-shot calls; one-shot
//! digests. aws-lc-rs also has AES-CTR, measured with its streaming key (one keystream,
//! written out of place).
//!
//! With `--streams`, each stream builds its own key and buffers on its own thread, as
//! the engine's streams do, so the peers' aggregate rates compare cell for cell.

use wirecrypt::Algorithm;

use super::measure::{Measurement, Timing};
use super::op::Op;

/// The note printed when `--peers` is asked of a build without the peer libraries.
pub const NOT_BUILT: &str = "built without the `peers` feature: rebuild with \
     `cargo run --release -p wirecrypt-bench --features peers -- speed --peers`";

/// A peer library that this crate can link in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    /// The `ring` crate.
    Ring,
    /// The `aws-lc-rs` crate.
    AwsLcRs,
}

impl Peer {
    /// Every peer library, in display order.
    pub const ALL: [Peer; 2] = [Peer::Ring, Peer::AwsLcRs];

    /// The name shown in the table and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Ring => "ring",
            Peer::AwsLcRs => "aws-lc-rs",
        }
    }

    /// True when this build links the peer libraries (the `peers` feature).
    pub fn linked() -> bool {
        cfg!(feature = "peers")
    }

    /// Measures `op` of `alg` on `size`-byte buffers, timed as `timing` says;
    /// `None` when this peer does not implement it or is not linked in.
    #[cfg_attr(not(feature = "peers"), allow(unused_variables))]
    pub fn measure(
        self,
        alg: Algorithm,
        op: Op,
        size: usize,
        timing: Timing<'_>,
    ) -> Option<Result<Measurement, String>> {
        #[cfg(feature = "peers")]
        {
            match self {
                Peer::Ring => ring_impl::measure(alg, op, size, timing),
                Peer::AwsLcRs => aws_lc_impl::measure(alg, op, size, timing),
            }
        }
        #[cfg(not(feature = "peers"))]
        {
            None
        }
    }
}

/// The AEAD, HMAC and digest workloads, written once for both crates: aws-lc-rs mirrors
/// ring's API for these.
#[cfg(feature = "peers")]
macro_rules! ring_like {
    ($module:ident, $lib:ident, $peer:expr) => {
        mod $module {
            use std::hint::black_box;

            use wirecrypt::{AeadAlg, Algorithm, HashAlg, MacAlg, TAG_LEN};

            use $lib::{aead, digest, hmac};

            use crate::speed::measure::{Measurement, Timing};
            use crate::speed::op::{self, AAD, Aligned, OPEN_NONCE, Op};

            const NAME: &str = $peer;

            fn failed(what: &str) -> String {
                format!("{NAME}: {what} failed")
            }

            fn aead_alg(a: AeadAlg) -> &'static aead::Algorithm {
                match a {
                    AeadAlg::Aes128Gcm => &aead::AES_128_GCM,
                    AeadAlg::Aes256Gcm => &aead::AES_256_GCM,
                    AeadAlg::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
                }
            }

            fn hmac_alg(m: MacAlg) -> hmac::Algorithm {
                match m {
                    MacAlg::HmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
                    MacAlg::HmacSha256 => hmac::HMAC_SHA256,
                    MacAlg::HmacSha512 => hmac::HMAC_SHA512,
                }
            }

            fn digest_alg(h: HashAlg) -> &'static digest::Algorithm {
                match h {
                    HashAlg::Sha256 => &digest::SHA256,
                    HashAlg::Sha384 => &digest::SHA384,
                    HashAlg::Sha512 => &digest::SHA512,
                }
            }

            fn aead_key(a: AeadAlg) -> Result<aead::LessSafeKey, String> {
                let key = aead::UnboundKey::new(aead_alg(a), &op::key(a.info().key_len))
                    .map_err(|_| failed("AEAD key setup"))?;
                Ok(aead::LessSafeKey::new(key))
            }

            /// Measures the workloads both crates share; `None` for anything else.
            pub(super) fn measure_common(
                alg: Algorithm,
                op: Op,
                size: usize,
                timing: Timing<'_>,
            ) -> Option<Result<Measurement, String>> {
                let result = match (alg, op) {
                    (Algorithm::Aead(a), Op::Seal) => seal(a, size, timing),
                    (Algorithm::Aead(a), Op::Open) => open(a, size, timing),
                    (Algorithm::Mac(m), Op::Sign) => {
                        let key = hmac::Key::new(hmac_alg(m), &op::key(m.info().key_len));
                        let buf = op::message(size);
                        timing.run(size, || {
                            black_box(&hmac::sign(&key, black_box(&buf)));
                            Ok(())
                        })
                    }
                    (Algorithm::Mac(m), Op::Verify) => {
                        let key = hmac::Key::new(hmac_alg(m), &op::key(m.info().key_len));
                        let buf = op::message(size);
                        let tag = hmac::sign(&key, &buf);
                        timing.run(size, || {
                            hmac::verify(&key, black_box(&buf), tag.as_ref())
                                .map_err(|_| failed("HMAC verify"))
                        })
                    }
                    (Algorithm::Hash(h), Op::Digest) => {
                        let buf = op::message(size);
                        timing.run(size, || {
                            black_box(digest::digest(digest_alg(h), black_box(&buf)));
                            Ok(())
                        })
                    }
                    _ => return None,
                };
                Some(result)
            }

            fn seal(a: AeadAlg, size: usize, timing: Timing<'_>) -> Result<Measurement, String> {
                let key = aead_key(a)?;
                let mut buf = op::message(size);
                let mut counter = 0u64;
                timing.run(size, || {
                    counter += 1;
                    let nonce = aead::Nonce::assume_unique_for_key(op::seal_nonce(counter));
                    let tag = key
                        .seal_in_place_separate_tag(nonce, aead::Aad::from(&AAD), &mut buf)
                        .map_err(|_| failed("seal"))?;
                    black_box(&tag);
                    Ok::<(), String>(())
                })
            }

            fn open(a: AeadAlg, size: usize, timing: Timing<'_>) -> Result<Measurement, String> {
                let key = aead_key(a)?;
                let plaintext = op::message(size);
                let mut sealed = Aligned::zeroed(size + TAG_LEN);
                let (body, tag_out) = sealed.split_at_mut(size);
                body.copy_from_slice(&plaintext);
                let nonce = aead::Nonce::assume_unique_for_key(OPEN_NONCE);
                let tag = key
                    .seal_in_place_separate_tag(nonce, aead::Aad::from(&AAD), body)
                    .map_err(|_| failed("seal"))?;
                tag_out.copy_from_slice(tag.as_ref());
                let mut work = Aligned::zeroed(size + TAG_LEN);
                let m = timing.run(size, || {
                    work.copy_from_slice(&sealed);
                    let nonce = aead::Nonce::assume_unique_for_key(OPEN_NONCE);
                    let opened = key
                        .open_in_place(nonce, aead::Aad::from(&AAD), &mut work)
                        .map_err(|_| failed("open"))?;
                    black_box(opened);
                    Ok::<(), String>(())
                })?;
                if work[..size] != plaintext[..] {
                    return Err(format!("{NAME}: open returned the wrong plaintext"));
                }
                Ok(m)
            }
        }
    };
}

#[cfg(feature = "peers")]
ring_like!(ring_common, ring, "ring");
#[cfg(feature = "peers")]
ring_like!(aws_lc_common, aws_lc_rs, "aws-lc-rs");

#[cfg(feature = "peers")]
mod ring_impl {
    use super::*;

    /// ring's measurements: the shared AEAD, HMAC and digest workloads (no CTR in ring's API).
    pub(super) fn measure(
        alg: Algorithm,
        op: Op,
        size: usize,
        timing: Timing<'_>,
    ) -> Option<Result<Measurement, String>> {
        super::ring_common::measure_common(alg, op, size, timing)
    }
}

#[cfg(feature = "peers")]
mod aws_lc_impl {
    use std::hint::black_box;

    use aws_lc_rs::cipher::{
        AES_128, AES_192, AES_256, EncryptionContext, StreamingEncryptingKey, UnboundCipherKey,
    };
    use aws_lc_rs::iv::FixedLength;
    use wirecrypt::CipherAlg;

    use super::*;
    use crate::speed::op::{self, Aligned, CTR_IV};

    /// aws-lc-rs's measurements: the shared workloads plus AES-CTR.
    pub(super) fn measure(
        alg: Algorithm,
        op: Op,
        size: usize,
        timing: Timing<'_>,
    ) -> Option<Result<Measurement, String>> {
        match (alg, op) {
            (Algorithm::Cipher(c), Op::Encrypt) => Some(ctr(c, size, timing)),
            _ => super::aws_lc_common::measure_common(alg, op, size, timing),
        }
    }

    fn ctr(c: CipherAlg, size: usize, timing: Timing<'_>) -> Result<Measurement, String> {
        let failed = |what: &str| format!("aws-lc-rs: {what} failed");
        let algorithm = match c {
            CipherAlg::Aes128Ctr => &AES_128,
            CipherAlg::Aes192Ctr => &AES_192,
            CipherAlg::Aes256Ctr => &AES_256,
        };
        let key = UnboundCipherKey::new(algorithm, &op::key(c.info().key_len))
            .map_err(|_| failed("CTR key setup"))?;
        let context = EncryptionContext::Iv128(FixedLength::from(CTR_IV));
        let mut cipher = StreamingEncryptingKey::less_safe_ctr(key, context)
            .map_err(|_| failed("CTR key setup"))?;
        let input = op::message(size);
        // `update` may hold back a partial block; it wants room for one more block.
        let mut output = Aligned::zeroed(size + 16);
        timing.run(size, || {
            let update = cipher
                .update(black_box(&input), &mut output)
                .map_err(|_| failed("CTR encrypt"))?;
            black_box(update.written().len());
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn names_and_note() {
        assert_eq!(Peer::Ring.name(), "ring");
        assert_eq!(Peer::AwsLcRs.name(), "aws-lc-rs");
        assert!(NOT_BUILT.contains("--features peers"));
    }

    #[test]
    fn peers_measure_what_they_have() {
        let d = Timing::Alone(Duration::from_millis(2));
        let gcm: Algorithm = "aes-256-gcm".parse().unwrap();
        let ctr: Algorithm = "aes-128-ctr".parse().unwrap();
        for peer in Peer::ALL {
            for op in [Op::Seal, Op::Open] {
                for size in [0, 100] {
                    let got = peer.measure(gcm, op, size, d);
                    if Peer::linked() {
                        let m = got.expect("peers do AES-GCM").unwrap();
                        assert!(m.iterations > 0);
                    } else {
                        assert!(got.is_none());
                    }
                }
            }
        }
        assert!(Peer::Ring.measure(ctr, Op::Encrypt, 64, d).is_none());
        if Peer::linked() {
            for alg in Algorithm::all() {
                for &op in Op::for_algorithm(alg) {
                    if let Some(r) = Peer::AwsLcRs.measure(alg, op, 33, d) {
                        assert!(r.unwrap().iterations > 0, "{alg} {op}");
                    }
                }
            }
        }
    }
}
