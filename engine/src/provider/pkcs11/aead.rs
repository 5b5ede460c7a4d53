//! AES-GCM through CKM_AES_GCM: single-part C_Encrypt / C_Decrypt, 96-bit nonce,
//! 128-bit tag, on a session key object. Batches keep several messages in flight on the
//! token, one per worker thread and session ([`super::batch`]).

use std::fmt;
use std::sync::Arc;

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, KeyType, ObjectClass};
use zeroize::Zeroize;

use super::batch;
use super::token::{SessionKey, Token};
use crate::algorithm::{AeadAlg, Algorithm};
use crate::provider::{AeadKey, InPlace, Tag, check_aead_args, check_key_len, wipe_batch};
use crate::{Error, NONCE_LEN, TAG_LEN};

/// The template of a sensitive, non-extractable AES session key.
pub(super) fn aes_key_template(key: &[u8], decrypt: bool) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(decrypt),
        Attribute::Label(b"wirecrypt session key".to_vec()),
        Attribute::Value(key.to_vec()),
    ]
}

struct Key {
    alg: AeadAlg,
    key: SessionKey,
    /// The most threads a batch runs on (see [`batch::workers`]).
    batch_threads: usize,
}

pub(super) fn new(
    token: &Arc<Token>,
    alg: AeadAlg,
    key: &[u8],
    batch_threads: usize,
) -> Result<Box<dyn AeadKey>, Error> {
    check_key_len(Algorithm::Aead(alg), key)?;
    let key = token.create_key("C_CreateObject (AES key)", aes_key_template(key, true))?;
    Ok(Box::new(Key {
        alg,
        key,
        batch_threads,
    }))
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeadKey")
            .field("provider", &"pkcs11")
            .field("algorithm", &self.alg.id())
            .field("key", &"[in token]")
            .finish()
    }
}

const TAG_BITS: u64 = (TAG_LEN * 8) as u64;

impl Key {
    fn gcm<'a>(nonce: &'a mut [u8; NONCE_LEN], aad: &'a [u8]) -> Result<Mechanism<'a>, Error> {
        GcmParams::new(nonce, aad, TAG_BITS.into())
            .map(Mechanism::AesGcm)
            .map_err(|e| Error::Config(format!("GCM parameters: {e}")))
    }
}

impl AeadKey for Key {
    fn algorithm(&self) -> AeadAlg {
        self.alg
    }

    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], in_out: &mut [u8]) -> Result<Tag, Error> {
        check_aead_args(self.alg, nonce, in_out.len(), None)?;
        let mut iv = [0u8; NONCE_LEN];
        iv.copy_from_slice(nonce);
        let mechanism = Self::gcm(&mut iv, aad)?;
        const OP: &str = "C_Encrypt (AES-GCM)";
        let sealed = self
            .key
            .token
            .run(OP, |s| s.encrypt(&mechanism, self.key.handle, in_out))?;
        if sealed.len() != in_out.len() + TAG_LEN {
            return Err(self.key.token.error(
                OP,
                &CkError::Pkcs11(RvError::GeneralError, cryptoki::context::Function::Encrypt),
            ));
        }
        let (body, tag) = sealed.split_at(in_out.len());
        in_out.copy_from_slice(body);
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag);
        Ok(out)
    }

    fn open_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        let result = self.open_checked(nonce, aad, in_out, tag);
        if result.is_err() {
            in_out.zeroize();
        }
        result
    }

    /// Seals the messages on several threads at once (see [`batch`]); a batch too small
    /// to gain from that is sealed here, one message after another.
    fn seal_batch(&self, messages: &mut [InPlace<'_>]) -> Result<(), Error> {
        let seal = |m: &mut InPlace<'_>| {
            *m.tag = self.seal_in_place(&m.nonce, m.aad, m.data)?;
            Ok(())
        };
        self.in_flight(messages, seal)
    }

    /// Opens the messages on several threads at once (see [`batch`]). Plaintext is
    /// released only when every tag verified: on any failure the whole batch is wiped.
    fn open_batch(&self, messages: &mut [InPlace<'_>]) -> Result<(), Error> {
        let open = |m: &mut InPlace<'_>| self.open_in_place(&m.nonce, m.aad, m.data, &m.tag[..]);
        self.in_flight(messages, open)
    }
}

impl Key {
    /// Runs `each` over the batch, on worker threads when it is large enough, and wipes
    /// every message on any failure (a panicking worker included).
    fn in_flight(
        &self,
        messages: &mut [InPlace<'_>],
        each: impl Fn(&mut InPlace<'_>) -> Result<(), Error> + Sync,
    ) -> Result<(), Error> {
        let workers = batch::workers(messages.len(), self.batch_threads);
        let result = if workers < 2 {
            messages.iter_mut().try_for_each(&each)
        } else {
            let token = &self.key.token;
            batch::run(
                messages,
                workers,
                each,
                |f| token.lend_session(f),
                || Error::Token {
                    token: self.key.token.label.clone(),
                    operation: "batch worker thread",
                    code: "the worker panicked".to_owned(),
                    lost: false,
                },
            )
        };
        if result.is_err() {
            wipe_batch(messages);
        }
        result
    }

    fn open_checked(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        check_aead_args(self.alg, nonce, in_out.len(), Some(tag))?;
        let mut iv = [0u8; NONCE_LEN];
        iv.copy_from_slice(nonce);
        let mechanism = Self::gcm(&mut iv, aad)?;
        let mut sealed = Vec::with_capacity(in_out.len() + TAG_LEN);
        sealed.extend_from_slice(in_out);
        sealed.extend_from_slice(tag);
        // Single-part C_Decrypt verifies the tag before it returns any plaintext.
        const OP: &str = "C_Decrypt (AES-GCM)";
        let opened = self
            .key
            .token
            .run_raw(OP, |s| s.decrypt(&mechanism, self.key.handle, &sealed))?;
        let mut plain = match opened {
            Ok(p) => p,
            // The standard answers to a bad tag; SoftHSM 2.6.1 answers CKR_GENERAL_ERROR
            // (its OpenSSL EVP_DecryptFinal fails). A token that went away answers
            // otherwise (session or device errors) and is reported as such.
            Err(CkError::Pkcs11(
                RvError::EncryptedDataInvalid
                | RvError::EncryptedDataLenRange
                | RvError::GeneralError,
                _,
            )) => return Err(Error::AuthenticationFailed),
            Err(e) => return Err(self.key.token.error(OP, &e)),
        };
        let result = if plain.len() == in_out.len() {
            in_out.copy_from_slice(&plain);
            Ok(())
        } else {
            Err(Error::AuthenticationFailed)
        };
        plain.zeroize();
        result
    }
}
