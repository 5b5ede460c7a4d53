//! Known-answer and tamper checks for any [`AeadKey`], in every API shape the trait
//! offers: `seal_in_place`/`open_in_place` and `seal`/`open` with separate buffers.

use wirecrypt::{AeadKey, Error, TAG_LEN};

use crate::flip_bit;

/// Fill byte for output buffers, to show which bytes a call wrote.
const GUARD: u8 = 0xa5;
/// Extra bytes given to every out-of-place call beyond what it needs, which it must
/// leave alone.
const SLACK: usize = 3;

/// One AEAD case: inputs and expected outputs.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    /// Names the case in failure messages (source and id).
    pub name: &'a str,
    /// The nonce.
    pub nonce: &'a [u8],
    /// The associated data.
    pub aad: &'a [u8],
    /// The plaintext.
    pub pt: &'a [u8],
    /// The ciphertext, without the tag.
    pub ct: &'a [u8],
    /// The tag.
    pub tag: &'a [u8],
}

impl Case<'_> {
    fn sealed(&self) -> Vec<u8> {
        [self.ct, self.tag].concat()
    }
}

/// Which bits the tamper checks flip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// Every bit of the tag, ciphertext, AAD and nonce (for short published vectors).
    Every,
    /// The first, a middle and the last bit of each of them.
    Edges,
}

fn positions(bits: usize, how: Tamper) -> Vec<usize> {
    if bits == 0 {
        return Vec::new();
    }
    match how {
        Tamper::Every => (0..bits).collect(),
        Tamper::Edges => {
            let mut v = vec![0, bits / 2, bits - 1];
            v.dedup();
            v
        }
    }
}

/// Asserts that `key` seals `case.pt` to `case.ct ‖ case.tag` and opens it back, in place
/// and out of place; that out-of-place calls write exactly the bytes they report; and that
/// a flipped bit in the tag, ciphertext, AAD or nonce is rejected with
/// [`Error::AuthenticationFailed`] with the output wiped. Returns the number of tamper
/// checks made.
///
/// # Panics
/// On any mismatch, naming the case.
pub fn check_known_answer(key: &dyn AeadKey, case: &Case<'_>, tamper: Tamper) -> usize {
    let name = case.name;
    let alg = key.algorithm();
    assert_eq!(case.ct.len(), case.pt.len(), "{name}: bad case");

    // seal_in_place
    let mut buf = case.pt.to_vec();
    let tag = key
        .seal_in_place(case.nonce, case.aad, &mut buf)
        .unwrap_or_else(|e| panic!("{name} ({alg}): seal_in_place failed: {e}"));
    assert_eq!(
        hex::encode(&buf),
        hex::encode(case.ct),
        "{name} ({alg}): seal_in_place ciphertext"
    );
    assert_eq!(
        hex::encode(tag),
        hex::encode(case.tag),
        "{name} ({alg}): seal_in_place tag"
    );

    // seal, out of place, with slack that must stay untouched
    let sealed = case.sealed();
    let mut out = vec![GUARD; sealed.len() + SLACK];
    let n = key
        .seal(case.nonce, case.aad, case.pt, &mut out)
        .unwrap_or_else(|e| panic!("{name} ({alg}): seal failed: {e}"));
    assert_eq!(n, case.pt.len() + TAG_LEN, "{name} ({alg}): seal length");
    assert_eq!(
        hex::encode(&out[..n]),
        hex::encode(&sealed),
        "{name} ({alg}): seal output"
    );
    assert!(
        out[n..].iter().all(|&b| b == GUARD),
        "{name} ({alg}): seal wrote past its output"
    );

    // open_in_place
    let mut buf = case.ct.to_vec();
    key.open_in_place(case.nonce, case.aad, &mut buf, case.tag)
        .unwrap_or_else(|e| panic!("{name} ({alg}): open_in_place failed: {e}"));
    assert_eq!(
        hex::encode(&buf),
        hex::encode(case.pt),
        "{name} ({alg}): open_in_place plaintext"
    );

    // open, out of place
    let mut out = vec![GUARD; case.pt.len() + SLACK];
    let n = key
        .open(case.nonce, case.aad, &sealed, &mut out)
        .unwrap_or_else(|e| panic!("{name} ({alg}): open failed: {e}"));
    assert_eq!(n, case.pt.len(), "{name} ({alg}): open length");
    assert_eq!(
        hex::encode(&out[..n]),
        hex::encode(case.pt),
        "{name} ({alg}): open output"
    );
    assert!(
        out[n..].iter().all(|&b| b == GUARD),
        "{name} ({alg}): open wrote past its output"
    );

    tamper_checks(key, case, tamper)
}

/// Flips bits of the tag, ciphertext, AAD and nonce of a valid `case` one at a time and
/// asserts each is rejected (see [`check_rejected`]). Returns the number of checks.
pub fn tamper_checks(key: &dyn AeadKey, case: &Case<'_>, how: Tamper) -> usize {
    let mut count = 0;
    let regions: [(&str, &[u8]); 4] = [
        ("tag", case.tag),
        ("ciphertext", case.ct),
        ("aad", case.aad),
        ("nonce", case.nonce),
    ];
    for (region, bytes) in regions {
        for bit in positions(bytes.len() * 8, how) {
            let mut changed = bytes.to_vec();
            flip_bit(&mut changed, bit);
            let mut t = *case;
            let label = format!("{} with bit {bit} of the {region} flipped", case.name);
            t.name = &label;
            match region {
                "tag" => t.tag = &changed,
                "ciphertext" => t.ct = &changed,
                "aad" => t.aad = &changed,
                _ => t.nonce = &changed,
            }
            check_rejected(key, &t);
            count += 1;
        }
    }
    count
}

/// Asserts that opening `case.ct ‖ case.tag` fails with [`Error::AuthenticationFailed`],
/// in place and out of place, and that no byte of plaintext is released: the in-place
/// buffer and the out-of-place output are all zero afterwards.
///
/// # Panics
/// When the open succeeds, fails differently, or leaves output behind.
pub fn check_rejected(key: &dyn AeadKey, case: &Case<'_>) {
    let name = case.name;
    let alg = key.algorithm();
    let mut buf = case.ct.to_vec();
    let r = key.open_in_place(case.nonce, case.aad, &mut buf, case.tag);
    assert_eq!(
        r,
        Err(Error::AuthenticationFailed),
        "{name} ({alg}): open_in_place must reject"
    );
    assert!(
        buf.iter().all(|&b| b == 0),
        "{name} ({alg}): open_in_place failed but left data in the buffer: {}",
        hex::encode(&buf)
    );

    let sealed = case.sealed();
    let mut out = vec![GUARD; case.ct.len()];
    let r = key.open(case.nonce, case.aad, &sealed, &mut out);
    assert_eq!(
        r,
        Err(Error::AuthenticationFailed),
        "{name} ({alg}): open must reject"
    );
    assert!(
        out.iter().all(|&b| b == 0),
        "{name} ({alg}): open failed but left data in its output: {}",
        hex::encode(&out)
    );
}
