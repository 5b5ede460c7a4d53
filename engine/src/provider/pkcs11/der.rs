//! The few DER shapes a token key needs outside the token: an ECDSA signature
//! (PKCS#11 returns `r || s`, TLS and X.509 want `ECDSA-Sig-Value`), RSA and EC public
//! keys as `SubjectPublicKeyInfo`, and the OCTET STRING around `CKA_EC_POINT`.
//! Writing only; the one reader unwraps a single OCTET STRING.

/// `id-ecPublicKey` (1.2.840.10045.2.1).
const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// `prime256v1` / `secp256r1` (1.2.840.10045.3.1.7), also `CKA_EC_PARAMS` for P-256.
pub(super) const OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// `rsaEncryption` (1.2.840.113549.1.1.1) followed by its NULL parameters.
const OID_RSA_ENCRYPTION_NULL: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const SEQUENCE: u8 = 0x30;

/// A tag-length-value with a definite length in the shortest form.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A non-negative INTEGER from big-endian magnitude bytes.
fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let digits = &magnitude[skip..];
    let mut content = Vec::with_capacity(digits.len() + 1);
    // A leading 1 bit would read as negative; zero itself is one 0x00 byte.
    if digits.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(digits);
    tlv(INTEGER, &content)
}

/// `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` from PKCS#11's `r || s`, or
/// `None` when the halves are not of equal length.
pub(super) fn ecdsa_signature(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || raw.len() % 2 == 1 {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut body = unsigned_integer(r);
    body.extend_from_slice(&unsigned_integer(s));
    Some(tlv(SEQUENCE, &body))
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (PKCS #1).
pub(super) fn rsa_public_key(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    let mut body = unsigned_integer(modulus);
    body.extend_from_slice(&unsigned_integer(exponent));
    tlv(SEQUENCE, &body)
}

/// `SubjectPublicKeyInfo` for an RSA key given as `RSAPublicKey`.
pub(super) fn spki_rsa(rsa_public_key: &[u8]) -> Vec<u8> {
    spki(OID_RSA_ENCRYPTION_NULL, rsa_public_key)
}

/// `SubjectPublicKeyInfo` for a P-256 key given as an uncompressed point.
pub(super) fn spki_p256(point: &[u8]) -> Vec<u8> {
    let mut algorithm = OID_EC_PUBLIC_KEY.to_vec();
    algorithm.extend_from_slice(OID_P256);
    spki(&algorithm, point)
}

fn spki(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let mut bits = Vec::with_capacity(key.len() + 1);
    bits.push(0); // no unused bits
    bits.extend_from_slice(key);
    let mut body = tlv(SEQUENCE, algorithm);
    body.extend_from_slice(&tlv(BIT_STRING, &bits));
    tlv(SEQUENCE, &body)
}

/// The contents of a DER OCTET STRING that spans all of `der`, or `None`.
pub(super) fn octet_string(der: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = der.split_first()?;
    if tag != OCTET_STRING {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 2 || rest.len() < n {
            return None;
        }
        let (digits, rest) = rest.split_at(n);
        (
            digits.iter().fold(0, |acc, &b| acc << 8 | usize::from(b)),
            rest,
        )
    };
    (rest.len() == len).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_minimal_and_non_negative() {
        assert_eq!(unsigned_integer(&[0]), [0x02, 0x01, 0x00]);
        assert_eq!(unsigned_integer(&[]), [0x02, 0x01, 0x00]);
        assert_eq!(unsigned_integer(&[0, 0, 0x7f]), [0x02, 0x01, 0x7f]);
        assert_eq!(unsigned_integer(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(unsigned_integer(&[0, 0x01, 0x00]), [0x02, 0x02, 0x01, 0x00]);
    }

    #[test]
    fn lengths_use_the_long_form_past_127() {
        assert_eq!(tlv(OCTET_STRING, &[7; 127])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(OCTET_STRING, &[7; 128])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(OCTET_STRING, &[7; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn ecdsa_signatures_wrap_r_and_s() {
        let mut raw = [0u8; 64];
        raw[0] = 0x80; // r needs a leading zero
        raw[63] = 0x05; // s is 5, one byte
        let der = ecdsa_signature(&raw).unwrap();
        assert_eq!(der[0], 0x30);
        assert_eq!(usize::from(der[1]), der.len() - 2);
        assert_eq!(&der[2..5], &[0x02, 0x21, 0x00]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x05]);
        assert!(ecdsa_signature(&raw[..63]).is_none());
        assert!(ecdsa_signature(&[]).is_none());
    }

    #[test]
    fn octet_strings_unwrap_exactly() {
        let point = [4u8; 65];
        assert_eq!(octet_string(&tlv(OCTET_STRING, &point)), Some(&point[..]));
        assert_eq!(
            octet_string(&tlv(OCTET_STRING, &[1; 200])),
            Some(&[1u8; 200][..])
        );
        assert_eq!(
            octet_string(&point),
            None,
            "a bare point is not an OCTET STRING"
        );
        let mut long = tlv(OCTET_STRING, &point);
        long.push(0);
        assert_eq!(octet_string(&long), None, "trailing bytes");
        assert_eq!(octet_string(&[0x04, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(octet_string(&[0x04]), None);
    }

    #[test]
    fn spki_shapes() {
        let spki = spki_p256(&[4u8; 65]);
        // SEQUENCE { SEQUENCE { ecPublicKey, prime256v1 }, BIT STRING }: 91 bytes.
        assert_eq!(spki.len(), 91);
        assert_eq!(&spki[..4], &[0x30, 0x59, 0x30, 0x13]);
        let rsa = spki_rsa(&rsa_public_key(&[0xc1; 256], &[1, 0, 1]));
        assert_eq!(
            &rsa[..4],
            &[0x30, 0x82, 0x01, 0x22],
            "RSA-2048 SPKI is 294 bytes"
        );
        assert_eq!(rsa.len(), 294);
    }
}
