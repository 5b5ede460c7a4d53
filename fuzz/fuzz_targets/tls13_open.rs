//! TLS 1.3 record opening (RFC 8446 §5.2–5.4) on arbitrary records, for each AEAD and
//! each provider available here.
//!
//! Input: a selector byte (AEAD, provider, and whether the target seals a record first),
//! the traffic key and IV, the first sequence number, then either
//! * records as they arrive (each as long as its header says, the last possibly cut
//!   short), opened in turn by one `Tls13Opener`; or
//! * a flip position and mask, and an inner plaintext (content ‖ type ‖ zeros — or
//!   anything) that the target seals as one record, flips, and opens.
//!
//! Invariants, besides no panic:
//! * a failed open leaves the record body as it was or wiped — never plaintext;
//! * an accepted record re-seals, through the bare AEAD and RFC 8446's nonce and AAD
//!   (a model independent of the code under test), to exactly its own bytes, and its
//!   content is at most 2^14 bytes of a type other than change_cipher_spec;
//! * an unflipped record the target sealed opens exactly when its inner plaintext is
//!   well formed (RFC 8446 §5.4), to the content that went in; a flipped one never does.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wirecrypt::tls::{
    ContentType, HEADER_LEN, MAX_PLAINTEXT, MAX_TLS13_CIPHERTEXT, Padding, Tls13Keys, Tls13Opener,
    Tls13Sealer,
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
    let iv: [u8; 12] = input.bytes(12).try_into().expect("12 bytes");
    // Near the top of the range too, where the sequence number runs out.
    let seq = input.u64();
    let keys = || Tls13Keys::new(engine, alg, &key, &iv).expect("valid key and IV lengths");
    let mut opener = Tls13Opener::new(keys()).with_sequence(seq);
    let model = Model {
        engine,
        alg,
        key: &key,
        iv,
    };
    if seal_first {
        let at = usize::from(input.u16());
        let mask = input.byte();
        let inner = input.rest();
        seal_flip_open(&model, keys(), &mut opener, seq, inner, at, mask);
    } else {
        open_stream(&model, &mut opener, input.rest());
    }
});

/// RFC 8446 §5.2–5.3 on the bare AEAD: what a record must be.
struct Model<'a> {
    engine: &'a Engine,
    alg: AeadAlg,
    key: &'a [u8],
    iv: [u8; 12],
}

impl Model<'_> {
    /// The record that carries `inner` as number `seq`.
    fn seal(&self, seq: u64, inner: &[u8]) -> Vec<u8> {
        let len = u16::try_from(inner.len() + TAG_LEN).expect("within a record");
        let mut record = vec![23, 3, 3];
        record.extend(len.to_be_bytes());
        let mut nonce = self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        let aead = self.engine.aead(self.alg, self.key).expect("key");
        let mut body = inner.to_vec();
        let tag = aead
            .seal_in_place(&nonce, &record.clone(), &mut body)
            .expect("seal");
        record.extend(body);
        record.extend(tag);
        record
    }
}

/// What opening a record with this inner plaintext must give (RFC 8446 §5.2, §5.4):
/// the content type and content length, or `None` when it must be refused.
fn well_formed(inner: &[u8]) -> Option<(u8, usize)> {
    if inner.len() + TAG_LEN > MAX_TLS13_CIPHERTEXT {
        return None;
    }
    let at = inner.iter().rposition(|&b| b != 0)?;
    let typ = inner[at];
    ([21, 22, 23].contains(&typ) && at <= MAX_PLAINTEXT).then_some((typ, at))
}

/// Opens each record in `stream` in turn until one fails, checking every outcome.
fn open_stream(model: &Model<'_>, opener: &mut Tls13Opener, mut stream: &[u8]) {
    while !stream.is_empty() {
        let claimed = stream
            .get(3..HEADER_LEN)
            .map_or(0, |l| usize::from(u16::from_be_bytes([l[0], l[1]])));
        let len = (HEADER_LEN + claimed).min(stream.len());
        let (record, rest) = stream.split_at(len);
        stream = rest;
        if !open_checked(model, opener, record, None) {
            return;
        }
    }
}

/// Seals `inner` as one record, flips the byte at `at` with `mask`, and opens it.
fn seal_flip_open(
    model: &Model<'_>,
    keys: Tls13Keys,
    opener: &mut Tls13Opener,
    seq: u64,
    inner: &[u8],
    at: usize,
    mask: u8,
) {
    if inner.len() + TAG_LEN > usize::from(u16::MAX) {
        return;
    }
    let mut record = model.seal(seq, inner);
    // The engine's own sealer agrees with the model on every inner plaintext it can
    // produce: content ‖ type ‖ zeros, padded here to the whole length.
    if let Some((typ, at)) = well_formed(inner).filter(|_| inner.len() <= MAX_PLAINTEXT + 1) {
        let typ = ContentType::from_u8(typ).expect("a known type");
        let mut sealer = Tls13Sealer::new(keys)
            .with_sequence(seq)
            .with_padding(Padding::Multiple(inner.len()));
        let mut sealed = Vec::new();
        // Numbers near the end of the range may be refused (key update due).
        if sealer.seal(typ, &inner[..at], &mut sealed).is_ok() {
            assert_eq!(sealed, record, "the engine's sealer and the model differ");
        }
    }

    let expect = if mask == 0 {
        // The last sequence number is never used: numbers must not wrap (RFC 8446 §5.3).
        Some(well_formed(inner).filter(|_| seq != u64::MAX))
    } else {
        let at = at % record.len();
        record[at] ^= mask;
        None
    };
    let opened = open_checked(model, opener, &record, Some(inner));
    match expect {
        Some(Some(_)) => assert!(opened, "a well-formed record was refused"),
        Some(None) => assert!(!opened, "a malformed inner plaintext was accepted"),
        None => assert!(!opened, "a record with a flipped bit was accepted"),
    }
}

/// Opens one record and checks the invariants; returns whether it was accepted.
/// `inner`, when known, is the inner plaintext it was sealed with.
fn open_checked(
    model: &Model<'_>,
    opener: &mut Tls13Opener,
    record: &[u8],
    inner: Option<&[u8]>,
) -> bool {
    let seq = opener.sequence();
    let mut buf = record.to_vec();
    match opener.open(&mut buf) {
        Ok((typ, content)) => {
            let typ = typ.to_u8();
            let content = content.to_vec();
            assert!(content.len() <= MAX_PLAINTEXT);
            assert_ne!(typ, 20, "protected change_cipher_spec accepted");
            // Re-seal: content ‖ type ‖ the zeros that padded it.
            let padded = record.len() - HEADER_LEN - TAG_LEN;
            let mut re_inner = content.clone();
            re_inner.push(typ);
            assert!(re_inner.len() <= padded, "content longer than the record");
            re_inner.resize(padded, 0);
            assert_eq!(model.seal(seq, &re_inner), record, "re-sealed differently");
            if let Some(inner) = inner {
                assert_eq!(re_inner, inner);
                assert_eq!(well_formed(inner), Some((typ, content.len())));
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
