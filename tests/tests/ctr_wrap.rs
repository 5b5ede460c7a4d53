//! AES-CTR counter wrap-around, as SSH needs it.
//!
//! SSH's AES-CTR (RFC 4344 §4) treats the whole 128-bit counter block as one big-endian
//! integer and increments it mod 2^128; so does the engine's catalogue ("a big-endian
//! 128-bit counter"). A stream that starts at IV = ff..ff must therefore continue with
//! AES_K(00..00), AES_K(00..01), ... — not stop with `CounterOverflow` (a key may start
//! anywhere; OpenSSH rekeys long before 2^128 blocks), and not wrap only the low 32 or 64
//! bits. The expected keystream is computed here block by block from single-block AES.

use wirecrypt::{CipherAlg, Provider};
use wirecrypt_tests::reference::AesBlock;
use wirecrypt_tests::{Tally, implements, providers};

/// The keystream blocks AES_K(c), AES_K(c+1), ... (mod 2^128) for `blocks` blocks.
fn expected_keystream(key: &[u8], start: u128, blocks: usize) -> Vec<u8> {
    let aes = AesBlock::new(key);
    (0..blocks as u128)
        .flat_map(|k| aes.encrypt(start.wrapping_add(k).to_be_bytes()))
        .collect()
}

/// Encrypts `len` zero bytes from counter block `iv`, in one call and in `piece`-byte
/// pieces, and asserts both give `AES_K(iv + k)` for every block k.
fn check_from(provider: &dyn Provider, alg: CipherAlg, key: &[u8], iv: u128, len: usize) -> usize {
    let blocks = len.div_ceil(16);
    let want = &expected_keystream(key, iv, blocks)[..len];
    let name = format!("ctr wrap {alg} [{}] from iv {iv:032x}", provider.id());
    let mut checks = 0;
    for piece in [len, 1, 5, 15, 16, 17] {
        let mut c = provider
            .cipher(alg, key, &iv.to_be_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut buf = vec![0u8; len];
        for (k, chunk) in buf.chunks_mut(piece).enumerate() {
            c.apply_keystream(chunk).unwrap_or_else(|e| {
                panic!(
                    "{name}: piece {k} ({piece}-byte pieces, bytes {}..) failed with {e:?} ({e}); \
                     RFC 4344 wraps the 128-bit counter mod 2^128",
                    k * piece
                )
            });
        }
        for b in 0..blocks {
            let end = ((b + 1) * 16).min(len);
            assert_eq!(
                hex::encode(&buf[b * 16..end]),
                hex::encode(&want[b * 16..end]),
                "{name}: keystream block {b} (counter {:032x}) in {piece}-byte pieces",
                iv.wrapping_add(b as u128)
            );
        }
        checks += 1;
    }
    checks
}

#[test]
fn counter_wraps_mod_2_128() {
    let test = "ctr wrap";
    for provider in providers() {
        let p = provider.as_ref();
        let mut tally = Tally::new(test, p.id());
        for alg in CipherAlg::all() {
            if !implements(p, alg) {
                tally.lacks(alg);
                continue;
            }
            let key: Vec<u8> = (0..alg.info().key_len as u8)
                .map(|b| b.wrapping_mul(37) ^ 0x5c)
                .collect();
            let name = format!("{test} {alg} [{}]", p.id());

            // The case the brief spells out: IV = ff..ff, 48 bytes. Block 0 is
            // AES_K(ff..ff), block 1 must be AES_K(00..00), block 2 AES_K(00..01).
            let aes = AesBlock::new(&key);
            let mut c = p.cipher(alg, &key, &[0xff; 16]).unwrap();
            let mut buf = [0u8; 48];
            let r = c.apply_keystream(&mut buf);
            assert!(
                r.is_ok(),
                "{name}: IV ff..ff, 48 bytes: got {r:?}; RFC 4344 requires the counter to wrap to 00..00"
            );
            assert_eq!(
                hex::encode(&buf[..16]),
                hex::encode(aes.encrypt([0xff; 16])),
                "{name}: block 0 = AES_K(ff..ff)"
            );
            assert_eq!(
                hex::encode(&buf[16..32]),
                hex::encode(aes.encrypt([0; 16])),
                "{name}: block 1 = AES_K(00..00)"
            );
            let mut one = [0u8; 16];
            one[15] = 1;
            assert_eq!(
                hex::encode(&buf[32..]),
                hex::encode(aes.encrypt(one)),
                "{name}: block 2 = AES_K(00..01)"
            );
            tally.valid += 1;

            // Starting a few blocks before the wrap, in pieces crossing it.
            let mut checks = 0;
            for before in 1..=3u128 {
                checks += check_from(p, alg, &key, u128::MAX - before + 1, 100);
                tally.valid += 1;
            }
            // The carry must run through all 128 bits, not stop at 32 or 64.
            for start in [
                0xffff_ffffu128,
                u64::MAX as u128,
                (1u128 << 96) - 1,
                0x0123_4567_89ab_cdef_ffff_ffff_ffff_fffe,
            ] {
                checks += check_from(p, alg, &key, start, 64);
                tally.valid += 1;
            }
            tally.check("piece-size variants", checks);
        }
        tally.finish(None);
    }
}
