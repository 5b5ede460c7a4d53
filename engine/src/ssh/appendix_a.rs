//! The worked example of draft-ietf-sshm-chacha20-poly1305-04, Appendix A: one
//! `SSH2_MSG_CHANNEL_DATA` packet, sequence number 7, client to server.
//!
//! The bytes are transcribed from the draft's figures (the text as archived at
//! <https://www.ietf.org/archive/id/draft-ietf-sshm-chacha20-poly1305-04.txt>), figure by
//! figure, never recomputed; the tests check the figures against each other as well as
//! against the engine.

use rand_core::{CryptoRng, RngCore};

use super::reference::chacha20_block;
use super::*;
use crate::{Engine, Error};

/// Figure 5: the 64 bytes of key material for the client-to-server direction.
const KEY: &str = "8bbff6855fc102338c373e73aac0c914\
                   f076a905b2444a32eecaffeae22becc5\
                   e9b7a7a5825a8249346ec1c28301cf39\
                   4543fc7569887d76e168f37562ac0740";

/// The packet's sequence number.
const SEQ: u32 = 7;

/// Figure 4: the packet before encryption (length, padding length, payload, padding).
const PLAIN: &str = "00000048065e00000000000000384c6f\
                     72656d20697073756d20646f6c6f7220\
                     73697420616d65742c20636f6e736563\
                     7465747572206164697069736963696e\
                     6720656c69744e43e804dc6c";

/// Figure 3: the six random padding bytes.
const PADDING: [u8; 6] = [0x4e, 0x43, 0xe8, 0x04, 0xdc, 0x6c];

/// Figure 7, first word: the length's keystream, 0xaccc3e2c, little-endian.
const LENGTH_KEYSTREAM: [u8; 4] = [0x2c, 0x3e, 0xcc, 0xac];

/// Figure 8: the encrypted length field.
const ENCRYPTED_LENGTH: &str = "2c3ecce4";

/// Figure 11: the encrypted packet without its length field.
const ENCRYPTED_BODY: &str = "a5bc05895bf07a7ba956b6c68829ac7c\
                              83b780b7000ecde745afc705bbc378ce\
                              03a280236b87b53bed5839662302b164\
                              b6286a48cd1e097138e3cb909b8b2b82\
                              9dd18d2a35ff82d9";

/// Figure 15, top two rows, little-endian: Poly1305's r (before clamping) and n.
const POLY_KEY: &str = "f66ea8fb7a186d045dd7b4a6487348a4\
                        8f3ac1ebfa63bee0c1e1a565d09f5bdd";

/// Figure 17: the Poly1305 tag.
const TAG: &str = "95349e855bf02c298ef775f2d1a7e8b8";

/// Figure 18: the whole packet on the wire.
const WIRE: &str = "2c3ecce4a5bc05895bf07a7ba956b6c6\
                    8829ac7c83b780b7000ecde745afc705\
                    bbc378ce03a280236b87b53bed583966\
                    2302b164b6286a48cd1e097138e3cb90\
                    9b8b2b829dd18d2a35ff82d995349e85\
                    5bf02c298ef775f2d1a7e8b8";

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

/// Figure 2: the payload in its logical form, encoded.
fn payload() -> Vec<u8> {
    let text = b"Lorem ipsum dolor sit amet, consectetur adipisicing elit";
    let mut p = vec![0x5e]; // SSH2_MSG_CHANNEL_DATA
    p.extend_from_slice(&0u32.to_be_bytes()); // recipient channel
    p.extend_from_slice(&(text.len() as u32).to_be_bytes());
    p.extend_from_slice(text);
    p
}

/// Hands out the draft's padding bytes, and nothing else.
struct FixedRng(Vec<u8>);

impl RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        unreachable!("the sealer only fills byte slices")
    }
    fn next_u64(&mut self) -> u64 {
        unreachable!("the sealer only fills byte slices")
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert!(
            dest.len() <= self.0.len(),
            "asked for more padding than the draft has"
        );
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for FixedRng {}

fn mode() -> Mode {
    Mode::new("chacha20-poly1305@openssh.com", None).unwrap()
}

fn keys(key: &[u8]) -> KeyMaterial<'_> {
    KeyMaterial {
        key,
        ..KeyMaterial::default()
    }
}

#[test]
fn figures_agree_with_each_other() {
    // Figure 4 is Figure 3's framing of Figure 2's payload.
    let plain = unhex(PLAIN);
    let payload = payload();
    assert_eq!(plain[..4], 0x48u32.to_be_bytes());
    assert_eq!(plain[4], 6);
    assert_eq!(&plain[5..5 + payload.len()], &payload[..]);
    assert_eq!(&plain[5 + payload.len()..], &PADDING);
    // Figure 18 is Figure 8 ‖ Figure 11 ‖ Figure 17.
    let wire = [unhex(ENCRYPTED_LENGTH), unhex(ENCRYPTED_BODY), unhex(TAG)].concat();
    assert_eq!(wire, unhex(WIRE));
    // Figure 8 is the length XOR Figure 7's first word.
    let enc_len: Vec<u8> = plain[..4]
        .iter()
        .zip(LENGTH_KEYSTREAM)
        .map(|(a, b)| a ^ b)
        .collect();
    assert_eq!(enc_len, unhex(ENCRYPTED_LENGTH));
}

#[test]
fn reference_chacha20_reproduces_the_figures() {
    let key = unhex(KEY);
    let nonce = u64::from(SEQ).to_be_bytes();
    // Figure 7: the length key is the second half of the key material.
    let length_block = chacha20_block(key[32..].try_into().unwrap(), 0, nonce);
    assert_eq!(length_block[..4], LENGTH_KEYSTREAM);
    // Figure 15: the Poly1305 key is block 0 of the first half's stream.
    let mac_block = chacha20_block(key[..32].try_into().unwrap(), 0, nonce);
    assert_eq!(hex::encode(&mac_block[..32]), POLY_KEY);
    // Figure 10: blocks 1 and 2 begin a3 e2 05 89 and end 32 0d a7 6d.
    assert_eq!(
        chacha20_block(key[..32].try_into().unwrap(), 1, nonce)[..4],
        [0xa3, 0xe2, 0x05, 0x89]
    );
    assert_eq!(
        chacha20_block(key[..32].try_into().unwrap(), 2, nonce)[60..],
        [0x32, 0x0d, 0xa7, 0x6d]
    );
}

#[test]
fn engine_seals_the_worked_example_byte_for_byte() {
    let engine = Engine::builder().ignore_env().build().unwrap();
    let key = unhex(KEY);
    let mut sealer = PacketSealer::with_keys(&engine, mode(), &keys(&key))
        .unwrap()
        .with_sequence(SEQ)
        .with_rng(FixedRng(PADDING.to_vec()));
    let mut wire = Vec::new();
    sealer.seal(&payload(), &mut wire).unwrap();
    assert_eq!(hex::encode(&wire), WIRE);
    assert_eq!(sealer.sequence(), SEQ + 1);
}

#[test]
fn engine_opens_the_worked_example_streaming_and_whole() {
    let engine = Engine::builder().ignore_env().build().unwrap();
    let key = unhex(KEY);
    let wire = unhex(WIRE);

    let mut opener = PacketOpener::with_keys(&engine, mode(), &keys(&key))
        .unwrap()
        .with_sequence(SEQ);
    assert_eq!(opener.header_len(), 4);
    let rest = opener.decrypt_length(&wire[..4]).unwrap();
    assert_eq!(
        rest,
        0x48 + 16,
        "72 bytes of packet and a 16-byte tag follow"
    );
    let mut packet = wire.clone();
    let range = opener.open(&mut packet).unwrap();
    assert_eq!(&packet[range], &payload()[..]);
    // The buffer now holds Figure 4, the packet in clear.
    assert_eq!(hex::encode(&packet[..4 + 0x48]), PLAIN);

    // The tag is checked before anything is decrypted: a wrong tag leaves nothing.
    let mut forged = wire.clone();
    *forged.last_mut().unwrap() ^= 1;
    let mut opener = PacketOpener::with_keys(&engine, mode(), &keys(&key))
        .unwrap()
        .with_sequence(SEQ);
    assert_eq!(opener.open(&mut forged), Err(Error::AuthenticationFailed));
    assert!(forged.iter().all(|&b| b == 0));

    // Under any other sequence number the packet does not open.
    let mut opener = PacketOpener::with_keys(&engine, mode(), &keys(&key))
        .unwrap()
        .with_sequence(SEQ + 1);
    assert!(opener.open(&mut wire.clone()).is_err());
}

#[test]
fn reference_seals_the_worked_example_byte_for_byte() {
    let key = unhex(KEY);
    let mut reference =
        reference::RefSealer::new("chacha20-poly1305@openssh.com", None, &key, &[], &[]);
    reference.seq = SEQ;
    assert_eq!(hex::encode(reference.protect(unhex(PLAIN))), WIRE);
}
