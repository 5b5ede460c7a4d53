//! A rustls 0.23 `CryptoProvider` whose record protection is the engine's.
//!
//! Key exchange, signatures, hashes, HKDF and the TLS 1.2 PRF come from rustls's *ring*
//! provider — the handshake is stage one, not ours. Each suite's AEAD is replaced by the
//! engine's: [`Tls13Keys`] and [`Tls12Keys`] seal and open every record, through whichever
//! provider the engine selected for the algorithm.
//!
//! Sealing can fail — a PKCS#11 token lost mid-connection, the FIPS error state — but
//! rustls 0.23 treats an error from a `MessageEncrypter` as a bug and panics. So a record
//! that cannot be sealed goes out as zeros of the sealed length ([`poison`]): no plaintext
//! leaves, no nonce is used twice, the peer rejects the record (`bad_record_mac`) and
//! ends the connection, and this side's next read fails with the engine's own error
//! (decryption errors other than a bad tag reach the application as
//! `rustls::Error::General` with the engine's message).
//!
//! After a handshake, [`record_keys`] turns the traffic secrets rustls hands over into
//! the engine's own keys, so a connection can leave rustls's one-record-per-call path
//! for batches of records ([`TlsSealer::seal_batch`](super::TlsSealer::seal_batch)).

use std::sync::Mutex;

use rustls::crypto::cipher::{
    AeadKey as RustlsKey, InboundOpaqueMessage, InboundPlainMessage, Iv, KeyBlockShape,
    MessageDecrypter, MessageEncrypter, OutboundOpaqueMessage, OutboundPlainMessage,
    PrefixedPayload, Tls12AeadAlgorithm, Tls13AeadAlgorithm, UnsupportedOperationError,
};
use rustls::crypto::{CipherSuiteCommon, CryptoProvider, ring};
use rustls::{
    ConnectionTrafficSecrets, ContentType as RustlsType, PeerMisbehaved, ProtocolVersion,
    SupportedCipherSuite, Tls12CipherSuite, Tls13CipherSuite,
};

use super::{HEADER_LEN, Tls12Keys, Tls13Keys, TlsKeys, confidentiality_limit, header};
use crate::algorithm::AeadAlg;
use crate::{Engine, Error, TAG_LEN};

/// A rustls provider: rustls's *ring* provider with every cipher suite's record
/// protection served by `engine`. Suites whose AEAD the engine cannot serve are left out.
///
/// Each call builds a small set of suite descriptions that rustls needs for `'static`
/// and that therefore live for the rest of the process: build the provider once and
/// share it (it is `Send + Sync`, and rustls takes it as an `Arc`).
///
/// In FIPS mode only approved suites (AES-GCM) and key-exchange groups (P-256, P-384)
/// are offered. rustls's own `fips()` still reports `false`: the handshake's *ring* parts
/// make no FIPS claim, and neither does wirecrypt.
pub fn provider(engine: &Engine) -> CryptoProvider {
    let base = ring::default_provider();
    let kx_groups = if engine.fips_mode() {
        vec![ring::kx_group::SECP256R1, ring::kx_group::SECP384R1]
    } else {
        base.kx_groups.clone()
    };
    CryptoProvider {
        cipher_suites: cipher_suites(engine),
        kx_groups,
        ..base
    }
}

/// The engine-backed versions of rustls's *ring* suites, in rustls's order of
/// preference, leaving out any whose AEAD the engine cannot serve.
pub fn cipher_suites(engine: &Engine) -> Vec<SupportedCipherSuite> {
    ring::ALL_CIPHER_SUITES
        .iter()
        .filter_map(|suite| wrap(engine, *suite))
        .collect()
}

fn aead_for(suite: &SupportedCipherSuite) -> Option<AeadAlg> {
    use rustls::CipherSuite as S;
    match suite.suite() {
        S::TLS13_AES_128_GCM_SHA256
        | S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        | S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => Some(AeadAlg::Aes128Gcm),
        S::TLS13_AES_256_GCM_SHA384
        | S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        | S::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => Some(AeadAlg::Aes256Gcm),
        S::TLS13_CHACHA20_POLY1305_SHA256
        | S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        | S::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => Some(AeadAlg::ChaCha20Poly1305),
        _ => None,
    }
}

fn wrap(engine: &Engine, suite: SupportedCipherSuite) -> Option<SupportedCipherSuite> {
    let alg = aead_for(&suite)?;
    engine.provider_for(alg).ok()?;
    let aead: &'static EngineAead = Box::leak(Box::new(EngineAead {
        engine: engine.clone(),
        alg,
    }));
    HANDED_OUT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(aead);
    // rustls's limit counts records of the suite; ours is the RFC 8446 §5.5 figure.
    let limit = confidentiality_limit(alg);
    Some(match suite {
        SupportedCipherSuite::Tls13(s) => {
            let common = CipherSuiteCommon {
                suite: s.common.suite,
                hash_provider: s.common.hash_provider,
                confidentiality_limit: limit,
            };
            SupportedCipherSuite::Tls13(Box::leak(Box::new(Tls13CipherSuite {
                common,
                hkdf_provider: s.hkdf_provider,
                aead_alg: aead,
                quic: None,
            })))
        }
        SupportedCipherSuite::Tls12(s) => {
            let common = CipherSuiteCommon {
                suite: s.common.suite,
                hash_provider: s.common.hash_provider,
                confidentiality_limit: limit,
            };
            SupportedCipherSuite::Tls12(Box::leak(Box::new(Tls12CipherSuite {
                common,
                prf_provider: s.prf_provider,
                kx: s.kx,
                sign: s.sign,
                aead_alg: aead,
            })))
        }
    })
}

/// Every [`EngineAead`] handed to rustls, so that [`record_keys`] can key a connection's
/// extracted secrets on the very engine that served its handshake.
static HANDED_OUT: Mutex<Vec<&'static EngineAead>> = Mutex::new(Vec::new());

/// One direction's engine keys for a connection whose handshake ran on a [`provider`]
/// of this module, from the secrets rustls handed over (`dangerous_into_kernel_connection`
/// and its key updates, or `dangerous_extract_secrets`). A [`TlsSealer`] or
/// [`TlsOpener`] made from them (at the sequence number rustls reports) carries the
/// connection on, sealing and opening records in batches.
///
/// The keys come from the engine whose provider served `suite` in the handshake, so its
/// provider choice and FIPS policy carry over; a suite of any other provider is refused.
///
/// [`TlsSealer`]: super::TlsSealer
/// [`TlsOpener`]: super::TlsOpener
pub fn record_keys(
    suite: SupportedCipherSuite,
    secrets: &ConnectionTrafficSecrets,
) -> Result<TlsKeys, Error> {
    let aead = engine_aead(suite).ok_or_else(|| {
        Error::Config("the negotiated cipher suite is not from the engine's rustls provider".into())
    })?;
    let (key, iv, alg) = match secrets {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv } => (key, iv, AeadAlg::Aes128Gcm),
        ConnectionTrafficSecrets::Aes256Gcm { key, iv } => (key, iv, AeadAlg::Aes256Gcm),
        ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
            (key, iv, AeadAlg::ChaCha20Poly1305)
        }
        _ => {
            return Err(Error::Config(
                "traffic secrets of an AEAD the engine lacks".into(),
            ));
        }
    };
    if alg != aead.alg {
        return Err(Error::Config(
            "the traffic secrets are not for the negotiated cipher suite".into(),
        ));
    }
    match suite {
        SupportedCipherSuite::Tls13(_) => Ok(aead.tls13(key, iv)?.into()),
        SupportedCipherSuite::Tls12(_) => {
            // `extract_keys` below joined the fixed IV and the explicit-nonce mask.
            let fixed = if alg == AeadAlg::ChaCha20Poly1305 {
                12
            } else {
                4
            };
            let (salt, mask) = iv.as_ref().split_at(fixed);
            Ok(aead.tls12(key, salt, mask)?.into())
        }
    }
}

/// The [`EngineAead`] behind `suite`, if this module made it.
fn engine_aead(suite: SupportedCipherSuite) -> Option<&'static EngineAead> {
    let wanted: *const () = match suite {
        SupportedCipherSuite::Tls13(s) => (s.aead_alg as *const dyn Tls13AeadAlgorithm).cast(),
        SupportedCipherSuite::Tls12(s) => (s.aead_alg as *const dyn Tls12AeadAlgorithm).cast(),
    };
    HANDED_OUT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .copied()
        .find(|a| std::ptr::eq((*a as *const EngineAead).cast::<()>(), wanted))
}

/// One AEAD of the engine, as rustls sees it.
struct EngineAead {
    engine: Engine,
    alg: AeadAlg,
}

impl EngineAead {
    fn tls13(&self, key: &RustlsKey, iv: &Iv) -> Result<Tls13Keys, Error> {
        Tls13Keys::new(&self.engine, self.alg, key.as_ref(), iv.as_ref())
    }

    fn tls12(&self, key: &RustlsKey, iv: &[u8], explicit: &[u8]) -> Result<Tls12Keys, Error> {
        Tls12Keys::with_key(
            self.engine.protocol_aead(self.alg, key.as_ref())?,
            iv,
            explicit,
        )
    }

    /// True only in FIPS mode and for an approved AEAD.
    fn fips(&self) -> bool {
        self.engine.fips_mode() && self.alg.info().fips.is_approved()
    }

    fn secrets(&self, key: RustlsKey, iv: Iv) -> ConnectionTrafficSecrets {
        match self.alg {
            AeadAlg::Aes128Gcm => ConnectionTrafficSecrets::Aes128Gcm { key, iv },
            AeadAlg::Aes256Gcm => ConnectionTrafficSecrets::Aes256Gcm { key, iv },
            AeadAlg::ChaCha20Poly1305 => ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv },
        }
    }
}

/// Stands in when keys could not be made (only if the engine's provider refused a key
/// rustls derived): every record then fails on the peer instead of panicking here.
struct Refuse;

impl MessageEncrypter for Refuse {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        _: u64,
    ) -> Result<OutboundOpaqueMessage, rustls::Error> {
        let mut payload = PrefixedPayload::with_capacity(0);
        payload.extend_from_slice(&vec![0u8; self.encrypted_payload_len(msg.payload.len())]);
        Ok(OutboundOpaqueMessage::new(
            RustlsType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            payload,
        ))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + TAG_LEN
    }
}

/// Wipes a record that could not be sealed, leaving zeros the peer will reject: the
/// only safe answer rustls allows (see the module docs).
fn poison(payload: &mut [u8]) {
    payload.fill(0);
}

impl MessageDecrypter for Refuse {
    fn decrypt<'a>(
        &mut self,
        _: InboundOpaqueMessage<'a>,
        _: u64,
    ) -> Result<InboundPlainMessage<'a>, rustls::Error> {
        Err(rustls::Error::DecryptError)
    }
}

/// How an engine error reads to rustls (which picks the alert from it).
fn to_rustls(e: Error) -> rustls::Error {
    match e {
        Error::RecordOverflow { .. } => rustls::Error::PeerSentOversizedRecord,
        Error::UnexpectedMessage(_) => PeerMisbehaved::IllegalTlsInnerPlaintext.into(),
        Error::KeyUpdateRequired { .. } | Error::SequenceExhausted => rustls::Error::EncryptError,
        // Not the peer's fault, and no oracle: say what broke.
        e
        @ (Error::Token { .. } | Error::SelfTestFailed(_) | Error::ProviderUnavailable { .. }) => {
            rustls::Error::General(e.to_string())
        }
        _ => rustls::Error::DecryptError,
    }
}

impl Tls13AeadAlgorithm for EngineAead {
    fn encrypter(&self, key: RustlsKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        match self.tls13(&key, &iv) {
            Ok(keys) => Box::new(Tls13Encrypter(keys)),
            Err(_) => Box::new(Refuse),
        }
    }

    fn decrypter(&self, key: RustlsKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        match self.tls13(&key, &iv) {
            Ok(keys) => Box::new(Tls13Decrypter(keys)),
            Err(_) => Box::new(Refuse),
        }
    }

    fn key_len(&self) -> usize {
        self.alg.info().key_len
    }

    fn extract_keys(
        &self,
        key: RustlsKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(self.secrets(key, iv))
    }

    fn fips(&self) -> bool {
        self.fips()
    }
}

struct Tls13Encrypter(Tls13Keys);

impl MessageEncrypter for Tls13Encrypter {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, rustls::Error> {
        let total = self.encrypted_payload_len(msg.payload.len());
        // rustls reserves the header in front; the body is sealed where it lies.
        let mut payload = PrefixedPayload::with_capacity(total);
        payload.extend_from_chunks(&msg.payload);
        payload.extend_from_slice(&[u8::from(msg.typ)]);
        let hdr: [u8; HEADER_LEN] = header(23, 0x0303, total);
        match self.0.seal_inner_in_place(seq, &hdr, payload.as_mut()) {
            Ok(tag) => payload.extend_from_slice(&tag),
            Err(_) => {
                poison(payload.as_mut());
                payload.extend_from_slice(&[0u8; TAG_LEN]);
            }
        }
        Ok(OutboundOpaqueMessage::new(
            RustlsType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            payload,
        ))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + TAG_LEN
    }
}

struct Tls13Decrypter(Tls13Keys);

impl MessageDecrypter for Tls13Decrypter {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, rustls::Error> {
        let hdr = header(u8::from(msg.typ), u16::from(msg.version), msg.payload.len());
        let (typ, len) = self
            .0
            .open_in_place(seq, &hdr, &mut msg.payload)
            .map_err(to_rustls)?;
        msg.payload.truncate(len);
        msg.typ = RustlsType::from(typ.to_u8());
        msg.version = ProtocolVersion::TLSv1_3;
        Ok(msg.into_plain_message())
    }
}

impl Tls12AeadAlgorithm for EngineAead {
    fn encrypter(&self, key: RustlsKey, iv: &[u8], extra: &[u8]) -> Box<dyn MessageEncrypter> {
        match self.tls12(&key, iv, extra) {
            Ok(keys) => Box::new(Tls12Encrypter(keys)),
            Err(_) => Box::new(Refuse),
        }
    }

    fn decrypter(&self, key: RustlsKey, iv: &[u8]) -> Box<dyn MessageDecrypter> {
        match self.tls12(&key, iv, &[]) {
            Ok(keys) => Box::new(Tls12Decrypter(keys)),
            Err(_) => Box::new(Refuse),
        }
    }

    fn key_block_shape(&self) -> KeyBlockShape {
        let gcm = self.alg != AeadAlg::ChaCha20Poly1305;
        KeyBlockShape {
            enc_key_len: self.alg.info().key_len,
            fixed_iv_len: if gcm { 4 } else { 12 },
            explicit_nonce_len: if gcm { 8 } else { 0 },
        }
    }

    fn extract_keys(
        &self,
        key: RustlsKey,
        iv: &[u8],
        explicit: &[u8],
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        let mut full = [0u8; 12];
        let fixed = iv.len().min(12);
        full[..fixed].copy_from_slice(&iv[..fixed]);
        let rest = explicit.len().min(12 - fixed);
        full[fixed..fixed + rest].copy_from_slice(&explicit[..rest]);
        Ok(self.secrets(key, Iv::new(full)))
    }

    fn fips(&self) -> bool {
        self.fips()
    }
}

struct Tls12Encrypter(Tls12Keys);

impl MessageEncrypter for Tls12Encrypter {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, rustls::Error> {
        let total = self.encrypted_payload_len(msg.payload.len());
        let explicit = self.0.explicit_nonce_len();
        let mut payload = PrefixedPayload::with_capacity(total);
        payload.extend_from_slice(&[0u8; 8][..explicit]);
        payload.extend_from_chunks(&msg.payload);
        payload.extend_from_slice(&[0u8; TAG_LEN]);
        let sealed = self.0.seal_body_in_place(
            seq,
            u8::from(msg.typ),
            u16::from(msg.version),
            payload.as_mut(),
        );
        if sealed.is_err() {
            poison(payload.as_mut());
        }
        Ok(OutboundOpaqueMessage::new(msg.typ, msg.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        self.0.body_len(payload_len)
    }
}

struct Tls12Decrypter(Tls12Keys);

impl MessageDecrypter for Tls12Decrypter {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, rustls::Error> {
        let (start, len) = self
            .0
            .open_body_in_place(
                seq,
                u8::from(msg.typ),
                u16::from(msg.version),
                &mut msg.payload,
            )
            .map_err(to_rustls)?;
        Ok(msg.into_plain_message_range(start..start + len))
    }
}

#[cfg(test)]
mod tests {
    use rustls::crypto::cipher::{AeadKey as RustlsKey, Iv, OutboundChunks};

    use super::*;
    use crate::tls::{ContentType, TlsSealer};

    /// Keys made from extracted secrets seal what rustls's own decrypter of the same
    /// suite opens (TLS 1.3, and TLS 1.2 with its explicit-nonce mask); a suite of
    /// another provider is refused. (rustls lets a test build 32-byte keys only: the
    /// AES-128 suites share every line with AES-256.)
    #[test]
    fn record_keys_continue_the_connection_rustls_keyed() {
        let engine = Engine::builder().ignore_env().build().unwrap();
        let key = || RustlsKey::from([7u8; 32]);
        let mut checked = 0;
        for suite in cipher_suites(&engine) {
            if format!("{:?}", suite.suite()).contains("AES_128") {
                continue;
            }
            let (mut dec, extracted) = match suite {
                SupportedCipherSuite::Tls13(s) => (
                    s.aead_alg.decrypter(key(), Iv::new([9u8; 12])),
                    s.aead_alg.extract_keys(key(), Iv::new([9u8; 12])).unwrap(),
                ),
                SupportedCipherSuite::Tls12(s) => {
                    let fixed = s.aead_alg.key_block_shape().fixed_iv_len;
                    let block = [9u8, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12];
                    let (iv, explicit) = block.split_at(fixed);
                    (
                        s.aead_alg.decrypter(key(), iv),
                        s.aead_alg.extract_keys(key(), iv, explicit).unwrap(),
                    )
                }
            };
            let mut sealer =
                TlsSealer::new(record_keys(suite, &extracted).unwrap()).with_sequence(5);
            let mut wire = Vec::new();
            sealer
                .seal(
                    ContentType::ApplicationData,
                    b"carried on by the engine",
                    &mut wire,
                )
                .unwrap();
            let opened = dec
                .decrypt(
                    InboundOpaqueMessage::new(
                        RustlsType::from(wire[0]),
                        ProtocolVersion::TLSv1_2,
                        &mut wire[HEADER_LEN..],
                    ),
                    5,
                )
                .unwrap_or_else(|e| panic!("{:?}: {e}", suite.suite()));
            assert_eq!(
                opened.payload,
                b"carried on by the engine",
                "{:?}",
                suite.suite()
            );
            checked += 1;
        }
        assert!(
            checked >= 4,
            "AES-256-GCM and ChaCha20-Poly1305, TLS 1.3 and 1.2"
        );
        let foreign = ring::default_provider().cipher_suites[0];
        let secrets = ConnectionTrafficSecrets::Aes256Gcm {
            key: key(),
            iv: Iv::new([2u8; 12]),
        };
        assert!(matches!(
            record_keys(foreign, &secrets),
            Err(Error::Config(_))
        ));
    }

    /// A sealing failure in the middle of a connection (here the FIPS error state) must
    /// not panic rustls, must not put plaintext on the wire, and must surface as the
    /// engine's error on the next record opened.
    #[test]
    fn a_failed_seal_sends_zeros_and_the_next_open_names_the_error() {
        let engine = Engine::builder().ignore_env().fips(true).build().unwrap();
        let suite = cipher_suites(&engine)
            .into_iter()
            .find_map(|s| match s {
                SupportedCipherSuite::Tls13(t)
                    if t.common.suite == rustls::CipherSuite::TLS13_AES_256_GCM_SHA384 =>
                {
                    Some(t)
                }
                _ => None,
            })
            .expect("TLS13_AES_256_GCM_SHA384 is served");
        let key = || RustlsKey::from([7u8; 32]);
        let iv = || Iv::new([9u8; 12]);
        let mut enc = suite.aead_alg.encrypter(key(), iv());
        let mut dec = suite.aead_alg.decrypter(key(), iv());
        let secret = b"file contents that must not leak";
        let plain = |seq| {
            let msg = OutboundPlainMessage {
                typ: RustlsType::ApplicationData,
                version: ProtocolVersion::TLSv1_2,
                payload: OutboundChunks::Single(secret),
            };
            (msg, seq)
        };

        let (msg, seq) = plain(0);
        let good = enc.encrypt(msg, seq).unwrap().encode();
        let mut inbound = good.clone();
        let opened = dec
            .decrypt(
                InboundOpaqueMessage::new(
                    RustlsType::ApplicationData,
                    ProtocolVersion::TLSv1_2,
                    &mut inbound[HEADER_LEN..],
                ),
                0,
            )
            .unwrap();
        assert_eq!(opened.payload, secret);

        engine
            .inner_state()
            .fail(Error::SelfTestFailed("injected by the test".into()));
        let (msg, seq) = plain(1);
        let poisoned = enc.encrypt(msg, seq).unwrap().encode();
        assert_eq!(poisoned.len(), good.len(), "same record length");
        assert!(
            poisoned[HEADER_LEN..].iter().all(|&b| b == 0),
            "an unsealable record goes out as zeros"
        );
        let mut inbound = good;
        let err = dec
            .decrypt(
                InboundOpaqueMessage::new(
                    RustlsType::ApplicationData,
                    ProtocolVersion::TLSv1_2,
                    &mut inbound[HEADER_LEN..],
                ),
                1,
            )
            .unwrap_err();
        match err {
            rustls::Error::General(msg) => assert!(msg.contains("injected by the test"), "{msg}"),
            other => panic!("expected the engine's error, got {other:?}"),
        }
    }
}
