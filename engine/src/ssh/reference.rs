//! An independent SSH binary packet implementation, for the tests only.
//!
//! Written from the specifications — RFC 4253 §6 (framing, padding, encrypt-and-MAC),
//! RFC 4344 §4 (CTR's running counter), OpenSSH `PROTOCOL` §1.5 (`-etm`), RFC 5647 §7
//! (GCM) and draft-ietf-sshm-chacha20-poly1305 §3 and §6 — straight onto the RustCrypto
//! primitives (`aes` + `ctr`, `hmac` + `sha1`/`sha2`, `aes-gcm`, `poly1305`), and with
//! ChaCha20 itself transcribed from the draft's pseudocode (Figure 1). It shares no code
//! with the engine's `ssh` module or its providers, and it is deliberately plain: no
//! tables, one `match` per step.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit as _};
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use rand_core::{CryptoRng, RngCore};

/// A deterministic generator (SplitMix64), so that the engine's sealer and this
/// reference draw the same padding.
#[derive(Clone)]
pub(super) struct TestRng(pub(super) u64);

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for TestRng {}

enum Ctr {
    Aes128(ctr::Ctr128BE<aes::Aes128>),
    Aes192(ctr::Ctr128BE<aes::Aes192>),
    Aes256(ctr::Ctr128BE<aes::Aes256>),
}

impl Ctr {
    fn apply(&mut self, buf: &mut [u8]) {
        match self {
            Ctr::Aes128(c) => c.apply_keystream(buf),
            Ctr::Aes192(c) => c.apply_keystream(buf),
            Ctr::Aes256(c) => c.apply_keystream(buf),
        }
    }
}

enum Kind {
    None,
    Ctr {
        ctr: Box<Ctr>,
        mac: String,
        mac_key: Vec<u8>,
        etm: bool,
    },
    Gcm {
        key: Vec<u8>,
        iv: [u8; 12],
    },
    ChaCha {
        key: [u8; 64],
    },
}

/// One direction's sealing state in the reference.
pub(super) struct RefSealer {
    kind: Kind,
    /// RFC 4253 §6.4: the implicit 32-bit packet sequence number.
    pub(super) seq: u32,
}

/// HMAC over the concatenation of `parts`, by the MAC's SSH name.
pub(super) fn hmac(name: &str, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    macro_rules! run {
        ($d:ty) => {{
            let mut m = <Hmac<$d> as Mac>::new_from_slice(key).unwrap();
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }};
    }
    match name.trim_end_matches("-etm@openssh.com") {
        "hmac-sha1" => run!(sha1::Sha1),
        "hmac-sha2-256" => run!(sha2::Sha256),
        "hmac-sha2-512" => run!(sha2::Sha512),
        other => panic!("reference has no MAC {other}"),
    }
}

/// The ChaCha20 block function, as draft-ietf-sshm-chacha20-poly1305 §3 Figure 1 states
/// it: 64-bit block counter in x[12..14], 64-bit nonce in x[14..16].
pub(super) fn chacha20_block(key: &[u8; 32], counter: u64, nonce: [u8; 8]) -> [u8; 64] {
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let mut x = [0u32; 16];
    x[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    for i in 0..8 {
        x[4 + i] = word(&key[4 * i..]);
    }
    x[12] = counter as u32;
    x[13] = (counter >> 32) as u32;
    x[14] = word(&nonce[..4]);
    x[15] = word(&nonce[4..]);
    let orig = x;
    let sixteenth = |m: &mut [u32; 16], p: usize, q: usize, r: usize, rot: u32| {
        m[p] = m[p].wrapping_add(m[q]);
        m[r] = (m[r] ^ m[p]).rotate_left(rot);
    };
    let quarter = |m: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize| {
        sixteenth(m, a, b, d, 16);
        sixteenth(m, c, d, b, 12);
        sixteenth(m, a, b, d, 8);
        sixteenth(m, c, d, b, 7);
    };
    for _ in 0..10 {
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 1, 5, 9, 13);
        quarter(&mut x, 2, 6, 10, 14);
        quarter(&mut x, 3, 7, 11, 15);
        quarter(&mut x, 0, 5, 10, 15);
        quarter(&mut x, 1, 6, 11, 12);
        quarter(&mut x, 2, 7, 8, 13);
        quarter(&mut x, 3, 4, 9, 14);
    }
    let mut out = [0u8; 64];
    for i in 0..16 {
        out[4 * i..4 * i + 4].copy_from_slice(&x[i].wrapping_add(orig[i]).to_le_bytes());
    }
    out
}

/// XORs the ChaCha20 stream of (`key`, `nonce`) from block `counter` into `buf`.
fn chacha20_xor(key: &[u8; 32], mut counter: u64, nonce: [u8; 8], buf: &mut [u8]) {
    for chunk in buf.chunks_mut(64) {
        let ks = chacha20_block(key, counter, nonce);
        for (b, k) in chunk.iter_mut().zip(ks) {
            *b ^= k;
        }
        counter += 1;
    }
}

impl RefSealer {
    /// Keys the reference for `cipher` and `mac` (SSH names).
    pub(super) fn new(
        cipher: &str,
        mac: Option<&str>,
        key: &[u8],
        iv: &[u8],
        mac_key: &[u8],
    ) -> Self {
        let kind = match cipher {
            "none" => Kind::None,
            "aes128-ctr" | "aes192-ctr" | "aes256-ctr" => {
                let ctr = match cipher {
                    "aes128-ctr" => Ctr::Aes128(KeyIvInit::new_from_slices(key, iv).unwrap()),
                    "aes192-ctr" => Ctr::Aes192(KeyIvInit::new_from_slices(key, iv).unwrap()),
                    _ => Ctr::Aes256(KeyIvInit::new_from_slices(key, iv).unwrap()),
                };
                let mac = mac.expect("CTR needs a MAC");
                Kind::Ctr {
                    ctr: Box::new(ctr),
                    mac: mac.to_owned(),
                    mac_key: mac_key.to_vec(),
                    etm: mac.ends_with("-etm@openssh.com"),
                }
            }
            "aes128-gcm@openssh.com" | "aes256-gcm@openssh.com" => Kind::Gcm {
                key: key.to_vec(),
                iv: iv.try_into().unwrap(),
            },
            "chacha20-poly1305@openssh.com" => Kind::ChaCha {
                key: key.try_into().unwrap(),
            },
            other => panic!("reference has no cipher {other}"),
        };
        RefSealer { kind, seq: 0 }
    }

    /// The cipher block size the padding aligns to: 16 for AES, 8 otherwise.
    fn block(&self) -> usize {
        match self.kind {
            Kind::Ctr { .. } | Kind::Gcm { .. } => 16,
            Kind::None | Kind::ChaCha { .. } => 8,
        }
    }

    /// Whether the length field stays out of the alignment (EtM and AEAD).
    fn length_apart(&self) -> bool {
        match self.kind {
            Kind::Ctr { etm, .. } => etm,
            Kind::Gcm { .. } | Kind::ChaCha { .. } => true,
            Kind::None => false,
        }
    }

    /// Frames `payload` per RFC 4253 §6 with padding drawn from `rng`, and protects it.
    pub(super) fn seal(&mut self, payload: &[u8], rng: &mut TestRng) -> Vec<u8> {
        let block = self.block();
        let counted = if self.length_apart() { 0 } else { 4 } + 1 + payload.len();
        let mut padding = block - counted % block;
        if padding < 4 {
            padding += block;
        }
        let packet_length = 1 + payload.len() + padding;
        let mut plain = Vec::new();
        plain.extend_from_slice(&(packet_length as u32).to_be_bytes());
        plain.push(padding as u8);
        plain.extend_from_slice(payload);
        let mut pad = vec![0u8; padding];
        rng.fill_bytes(&mut pad);
        plain.extend_from_slice(&pad);
        self.protect(plain)
    }

    /// Protects an already framed packet (whatever its length field says) and advances
    /// the sequence number.
    pub(super) fn protect(&mut self, mut p: Vec<u8>) -> Vec<u8> {
        let seq = self.seq.to_be_bytes();
        self.seq = self.seq.wrapping_add(1);
        match &mut self.kind {
            Kind::None => p,
            Kind::Ctr {
                ctr,
                mac,
                mac_key,
                etm: false,
            } => {
                // RFC 4253 §6.4: mac = MAC(key, sequence_number || unencrypted_packet).
                let tag = hmac(mac, mac_key, &[&seq, &p]);
                ctr.apply(&mut p);
                p.extend_from_slice(&tag);
                p
            }
            Kind::Ctr {
                ctr,
                mac,
                mac_key,
                etm: true,
            } => {
                // OpenSSH PROTOCOL §1.5: length in clear, MAC over seq || length || ciphertext.
                ctr.apply(&mut p[4..]);
                let tag = hmac(mac, mac_key, &[&seq, &p]);
                p.extend_from_slice(&tag);
                p
            }
            Kind::Gcm { key, iv } => {
                // RFC 5647 §7.3: AAD = packet_length; §7.1: invocation counter += 1.
                let (aad, body) = p.split_at_mut(4);
                let nonce = aes_gcm::Nonce::from_slice(&iv[..]);
                let tag = if key.len() == 16 {
                    Aes128Gcm::new_from_slice(key)
                        .unwrap()
                        .encrypt_in_place_detached(nonce, aad, body)
                        .unwrap()
                } else {
                    Aes256Gcm::new_from_slice(key)
                        .unwrap()
                        .encrypt_in_place_detached(nonce, aad, body)
                        .unwrap()
                };
                let counter = u64::from_be_bytes(iv[4..].try_into().unwrap()).wrapping_add(1);
                iv[4..].copy_from_slice(&counter.to_be_bytes());
                p.extend_from_slice(&tag);
                p
            }
            Kind::ChaCha { key } => {
                // draft §6/§7: K_2 (last 32 bytes here) encrypts the length at counter 0;
                // K_1 (first 32) encrypts the rest from counter 1, and its block 0 keys
                // Poly1305 over the whole ciphertext.
                let nonce = u64::from(u32::from_be_bytes(seq)).to_be_bytes();
                let main: [u8; 32] = key[..32].try_into().unwrap();
                let len_key: [u8; 32] = key[32..].try_into().unwrap();
                chacha20_xor(&len_key, 0, nonce, &mut p[..4]);
                chacha20_xor(&main, 1, nonce, &mut p[4..]);
                let poly_key = chacha20_block(&main, 0, nonce);
                let tag = poly1305::Poly1305::new(poly1305::Key::from_slice(&poly_key[..32]))
                    .compute_unpadded(&p);
                p.extend_from_slice(&tag);
                p
            }
        }
    }
}
