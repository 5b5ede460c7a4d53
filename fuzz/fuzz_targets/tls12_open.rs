//! TLS 1.2 AEAD record opening (RFC 5246 §6.2.3.3, RFC 5288 AES-GCM, RFC 7905
//! ChaCha20-Poly1305) on arbitrary records, for each AEAD and each provider available here.
//!
//! Input: a selector byte (AEAD, provider, and whether the target seals a record first),
//! the key and the `write_IV` (4 bytes for GCM, 12 for ChaCha20-Poly1305), the first
//! sequence number, then either
//! * records as they arrive (each as long as its header says, the last possibly cut
//!   short), opened in turn by one `Tls12Opener`; or
//! * a content type, a version, an explicit nonce, a flip position and mask, and a
//!   plaintext that the target seals as one record, flips, and opens.
//!
//! Invariants, besides no panic:
//! * a failed open leaves the record body as it was or wiped — never plaintext;
//! * an accepted record re-seals, through the bare AEAD with RFC 5288/7905's nonce and
//!   RFC 5246's additional data (a model independent of the code under test), to exactly
//!   its own bytes, with at most 2^14 bytes of plaintext of a known content type;
//! * the engine's `Tls12Sealer` writes what the model writes;
//! * an unflipped record the target sealed opens exactly when its type is known and its
//!   plaintext fits, to the plaintext that went in; a flipped one never does.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wirecrypt::tls::{
    ContentType, HEADER_LEN, MAX_PLAINTEXT, MAX_TLS12_CIPHERTEXT, Tls12Keys, Tls12Opener,
    Tls12Sealer, confidentiality_limit,
};
use wirecrypt::{AeadAlg, Engine, TAG_LEN};
use wirecrypt_fuzz::{Input, assert_no_plaintext_left, engine};

const AEADS: [AeadAlg; 3] = [
    AeadAlg::Aes128Gcm,
    AeadAlg::Aes256Gcm,
    AeadAlg::ChaCha20Poly1305,
];

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let selector = input.byte();
    let alg = AEADS[usize::from(selector & 3) % AEADS.len()];
    let engine = engine((selector >> 2) & 0x1f);
    let seal_first = selector & 0x80 != 0;
    let key = input.bytes(alg.info().key_len);
    let iv = input.bytes(fixed_iv_len(alg));
    let seq = input.u64();
    let keys = || Tls12Keys::new(engine, alg, &key, &iv).expect("valid key and IV lengths");
    let mut opener = Tls12Opener::new(keys()).with_sequence(seq);
    let model = Model {
        engine,
        alg,
        key: &key,
        iv: &iv,
    };
    if seal_first {
        let typ = input.byte();
        let version = input.u16();
        let explicit: [u8; 8] = input.bytes(8).try_into().expect("8 bytes");
        let at = usize::from(input.u16());
        let mask = input.byte();
        let plaintext = input.rest();
        if plaintext.len() + 8 + TAG_LEN > usize::from(u16::MAX) {
            return;
        }
        let mut record = model.seal(seq, typ, version, explicit, plaintext);
        sealer_agrees(&model, keys(), seq, typ, plaintext);
        // The last sequence number is never used: numbers must not wrap (RFC 5246 §6.1).
        let well_formed = seq != u64::MAX
            && ContentType::from_u8(typ).is_ok()
            && plaintext.len() <= MAX_PLAINTEXT
            && record.len() - HEADER_LEN <= MAX_TLS12_CIPHERTEXT;
        if mask != 0 {
            let at = at % record.len();
            record[at] ^= mask;
        }
        let opened = open_checked(&model, &mut opener, &record, Some(plaintext));
        if mask != 0 {
            assert!(!opened, "a record with a flipped bit was accepted");
        } else {
            assert_eq!(
                opened, well_formed,
                "accepted exactly the well-formed records"
            );
        }
    } else {
        let mut stream = input.rest();
        while !stream.is_empty() {
            let claimed = stream
                .get(3..HEADER_LEN)
                .map_or(0, |l| usize::from(u16::from_be_bytes([l[0], l[1]])));
            let len = (HEADER_LEN + claimed).min(stream.len());
            let (record, rest) = stream.split_at(len);
            stream = rest;
            if !open_checked(&model, &mut opener, record, None) {
                return;
            }
        }
    }
});

/// The implicit part of the nonce: GCM's 4-byte salt, ChaCha20-Poly1305's 12-byte IV.
fn fixed_iv_len(alg: AeadAlg) -> usize {
    match alg {
        AeadAlg::ChaCha20Poly1305 => 12,
        _ => 4,
    }
}

/// RFC 5246 §6.2.3.3 with RFC 5288 / RFC 7905 nonces, on the bare AEAD.
struct Model<'a> {
    engine: &'a Engine,
    alg: AeadAlg,
    key: &'a [u8],
    iv: &'a [u8],
}

impl Model<'_> {
    /// Bytes of explicit nonce in each record body.
    fn explicit_len(&self) -> usize {
        12 - fixed_iv_len(self.alg)
    }

    /// The record of type `typ` carrying `plaintext` as number `seq`; for GCM the body
    /// starts with `explicit` (ChaCha20-Poly1305 has no explicit nonce).
    fn seal(
        &self,
        seq: u64,
        typ: u8,
        version: u16,
        explicit: [u8; 8],
        plaintext: &[u8],
    ) -> Vec<u8> {
        let explicit = &explicit[..self.explicit_len()];
        let mut nonce = [0u8; 12];
        if explicit.is_empty() {
            nonce.copy_from_slice(self.iv);
            for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                *n ^= s;
            }
        } else {
            nonce[..4].copy_from_slice(self.iv);
            nonce[4..].copy_from_slice(explicit);
        }
        let pt_len = u16::try_from(plaintext.len()).expect("within a record");
        let mut aad = seq.to_be_bytes().to_vec();
        aad.push(typ);
        aad.extend(version.to_be_bytes());
        aad.extend(pt_len.to_be_bytes());
        let aead = self.engine.aead(self.alg, self.key).expect("key");
        let mut body = plaintext.to_vec();
        let tag = aead.seal_in_place(&nonce, &aad, &mut body).expect("seal");
        let body_len = explicit.len() + body.len() + TAG_LEN;
        let mut record = vec![typ];
        record.extend(version.to_be_bytes());
        record.extend(
            u16::try_from(body_len)
                .expect("within a record")
                .to_be_bytes(),
        );
        record.extend(explicit);
        record.extend(body);
        record.extend(tag);
        record
    }
}

/// The engine's sealer writes what the model writes, with the sequence number as the
/// explicit nonce, for every record it agrees to seal.
fn sealer_agrees(model: &Model<'_>, keys: Tls12Keys, seq: u64, typ: u8, plaintext: &[u8]) {
    let Ok(content_type) = ContentType::from_u8(typ) else {
        return;
    };
    let mut sealer = Tls12Sealer::new(keys).with_sequence(seq);
    let mut out = Vec::new();
    match sealer.seal(content_type, plaintext, &mut out) {
        Ok(()) => {
            let expected = model.seal(seq, typ, 0x0303, seq.to_be_bytes(), plaintext);
            assert_eq!(out, expected, "the sealer and the model disagree");
        }
        Err(_) => {
            assert!(
                plaintext.len() > MAX_PLAINTEXT
                    || seq == u64::MAX
                    || seq >= confidentiality_limit(model.alg),
                "the sealer refused a record it should seal"
            );
            assert!(out.is_empty(), "a refused seal wrote bytes");
        }
    }
}

/// Opens one record and checks the invariants; returns whether it was accepted.
/// `plaintext`, when known, is what it was sealed with.
fn open_checked(
    model: &Model<'_>,
    opener: &mut Tls12Opener,
    record: &[u8],
    plaintext: Option<&[u8]>,
) -> bool {
    let seq = opener.sequence();
    let mut buf = record.to_vec();
    match opener.open(&mut buf) {
        Ok((typ, content)) => {
            let content = content.to_vec();
            assert!(content.len() <= MAX_PLAINTEXT);
            assert_eq!(typ.to_u8(), record[0]);
            let version = u16::from_be_bytes([record[1], record[2]]);
            let explicit_len = model.explicit_len();
            let mut explicit = [0u8; 8];
            explicit[..explicit_len]
                .copy_from_slice(&record[HEADER_LEN..HEADER_LEN + explicit_len]);
            let again = model.seal(seq, record[0], version, explicit, &content);
            assert_eq!(again, record, "re-sealed differently");
            if let Some(plaintext) = plaintext {
                assert_eq!(content, plaintext);
            }
            assert_eq!(opener.sequence(), seq + 1);
            true
        }
        Err(_) => {
            assert_no_plaintext_left(record, &buf, HEADER_LEN);
            assert_eq!(
                opener.sequence(),
                seq,
                "a failed open advanced the sequence"
            );
            false
        }
    }
}
