//! CPACF parameter blocks and general-register-0 values, built by plain code.
//!
//! Every CPACF instruction takes its function code (and modifier flags) in GR0 and the
//! address of a parameter block in GR1. The blocks here are `#[repr(C)]` structs of byte
//! arrays, so their layout is exactly the one the Principles of Operation defines — no
//! padding, no host byte order: multi-byte fields are stored big-endian explicitly — and
//! every offset is pinned with a `const` assertion. Nothing here executes an instruction;
//! `insn.rs` (s390x only) takes these blocks by reference.
//!
//! Compiled and unit-tested on every architecture.
//!
//! Sources: z/Architecture Principles of Operation, KMA/KMCTR/KIMD/KLMD; the KMA block as
//! the Linux kernel's `arch/s390/crypto/aes_s390.c` (`gcm_aes_crypt`) builds it.

// The s390x provider uses all of this; other architectures compile it only so that its
// unit tests run on every CI machine.
#![cfg_attr(not(target_arch = "s390x"), allow(dead_code))]

use std::mem::{offset_of, size_of};

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::query::fc;
use crate::algorithm::HashAlg;

/// The cipher block size (AES), and the size of one KMCTR counter block.
pub(crate) const AES_BLOCK: usize = 16;

/// GR0 modifier: decipher instead of encipher (KM, KMCTR, KMA).
pub(crate) const DECRYPT: u64 = 0x80;
/// GR0 flag of KMA: the second operand holds the last of the plaintext/ciphertext.
pub(crate) const KMA_LPC: u64 = 0x100;
/// GR0 flag of KMA: the third operand holds the last of the AAD.
pub(crate) const KMA_LAAD: u64 = 0x200;
/// GR0 flag of KMA: the hash subkey H is already in the parameter block. One-shot calls
/// never set it (asserted below); it is here to complete the flag set.
#[allow(dead_code)]
pub(crate) const KMA_HS: u64 = 0x400;

/// Which way a cipher function runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Encipher (and, for KMA, authenticate the ciphertext produced).
    Encrypt,
    /// Decipher (and, for KMA, authenticate the ciphertext consumed).
    Decrypt,
}

impl Direction {
    /// The GR0 modifier bits.
    pub(crate) const fn modifier(self) -> u64 {
        match self {
            Direction::Encrypt => 0,
            Direction::Decrypt => DECRYPT,
        }
    }
}

/// GR0 for a one-shot KMA: the whole AAD and the whole text in one instruction, so both
/// "last" flags are set; H is left for the instruction to compute (HS clear).
pub(crate) const fn kma_gr0(function: u8, direction: Direction) -> u64 {
    function as u64 | direction.modifier() | KMA_LAAD | KMA_LPC
}

// A fresh block has no H in it, so a one-shot call must never claim one.
const _: () = assert!(kma_gr0(fc::GCM_AES_256, Direction::Decrypt) & KMA_HS == 0);

/// GR0 for KMCTR.
pub(crate) const fn kmctr_gr0(function: u8) -> u64 {
    // Counter mode is its own inverse: KMCTR always enciphers the counters.
    function as u64
}

/// The key length in bytes of an AES function code (KM, KMCTR, KMA), or `None`.
pub(crate) const fn aes_key_len(function: u8) -> Option<usize> {
    match function {
        fc::AES_128 => Some(16),
        fc::AES_192 => Some(24),
        fc::AES_256 => Some(32),
        _ => None,
    }
}

/// The AES function code for a key of `key_len` bytes, or `None`.
pub(crate) const fn aes_function(key_len: usize) -> Option<u8> {
    match key_len {
        16 => Some(fc::AES_128),
        24 => Some(fc::AES_192),
        32 => Some(fc::AES_256),
        _ => None,
    }
}

/// The KMA-GCM-AES parameter block (112 bytes for AES-256; AES-128 and AES-192 use the
/// first 96 and 104 bytes, the key left-aligned).
///
/// | offset | field | |
/// |---|---|---|
/// | 0 | reserved\[12\] | zero |
/// | 12 | cv: u32 | counter value; 1 at the start of a message |
/// | 16 | t\[16\] | tag: partial while in progress, final after LPC |
/// | 32 | h\[16\] | hash subkey; stored by the instruction when HS is clear |
/// | 48 | taadl: u64 | total AAD length in **bits** |
/// | 56 | tpcl: u64 | total plaintext/ciphertext length in **bits** |
/// | 64 | j0\[16\] | pre-counter block: IV(12) ‖ be32(1) |
/// | 80 | k\[32\] | the AES key, left-aligned |
#[repr(C, align(8))]
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct KmaGcmParams {
    /// Reserved, zero.
    pub reserved: [u8; 12],
    /// Counter value, big-endian.
    pub cv: [u8; 4],
    /// Tag.
    pub tag: [u8; 16],
    /// Hash subkey H = AES_K(0^128).
    pub h: [u8; 16],
    /// Total AAD length in bits, big-endian.
    pub taadl: [u8; 8],
    /// Total plaintext/ciphertext length in bits, big-endian.
    pub tpcl: [u8; 8],
    /// Pre-counter block J0.
    pub j0: [u8; 16],
    /// Key, left-aligned, zero-padded.
    pub key: [u8; 32],
}

const _: () = {
    assert!(offset_of!(KmaGcmParams, reserved) == 0);
    assert!(offset_of!(KmaGcmParams, cv) == 12);
    assert!(offset_of!(KmaGcmParams, tag) == 16);
    assert!(offset_of!(KmaGcmParams, h) == 32);
    assert!(offset_of!(KmaGcmParams, taadl) == 48);
    assert!(offset_of!(KmaGcmParams, tpcl) == 56);
    assert!(offset_of!(KmaGcmParams, j0) == 64);
    assert!(offset_of!(KmaGcmParams, key) == 80);
    assert!(size_of::<KmaGcmParams>() == 112);
};

impl KmaGcmParams {
    /// The block for one whole message: cv = 1, J0 = `nonce` ‖ be32(1), the total lengths
    /// in bits, the key. `None` when the key is not 16, 24 or 32 bytes, or a length in
    /// bits does not fit 64 bits.
    pub(crate) fn for_message(
        key: &[u8],
        nonce: &[u8; 12],
        aad_len: usize,
        text_len: usize,
    ) -> Option<Self> {
        aes_function(key.len())?;
        let bits = |len: usize| (len as u64).checked_mul(8).map(u64::to_be_bytes);
        let mut p = KmaGcmParams {
            reserved: [0; 12],
            cv: 1u32.to_be_bytes(),
            tag: [0; 16],
            h: [0; 16],
            taadl: bits(aad_len)?,
            tpcl: bits(text_len)?,
            j0: [0; 16],
            key: [0; 32],
        };
        p.j0[..12].copy_from_slice(nonce);
        p.j0[12..].copy_from_slice(&1u32.to_be_bytes());
        p.key[..key.len()].copy_from_slice(key);
        Some(p)
    }

    /// The tag the instruction left in the block.
    pub(crate) fn tag(&self) -> [u8; 16] {
        self.tag
    }
}

/// The KM/KMCTR-AES parameter block: the key (16, 24 or 32 bytes), left-aligned.
#[repr(C, align(8))]
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct AesKeyParams {
    /// Key, left-aligned, zero-padded.
    pub key: [u8; 32],
}

const _: () = assert!(size_of::<AesKeyParams>() == 32);

impl AesKeyParams {
    /// The block for `key`, with its function code; `None` for other key lengths.
    pub(crate) fn new(key: &[u8]) -> Option<(Self, u8)> {
        let function = aes_function(key.len())?;
        let mut p = AesKeyParams { key: [0; 32] };
        p.key[..key.len()].copy_from_slice(key);
        Some((p, function))
    }
}

/// Writes the counter blocks `next`, `next + 1`, ... (big-endian, mod 2^128, as SSH's
/// AES-CTR counts: RFC 4344 §4) over `out`, which must be a whole number of blocks, and
/// returns the counter after the last one written. KMCTR enciphers each block of this
/// list to make the keystream.
pub(crate) fn fill_counter_blocks(mut next: u128, out: &mut [u8]) -> u128 {
    debug_assert_eq!(out.len() % AES_BLOCK, 0, "whole counter blocks only");
    for block in out.chunks_exact_mut(AES_BLOCK) {
        block.copy_from_slice(&next.to_be_bytes());
        next = next.wrapping_add(1);
    }
    next
}

/// One SHA-2 function of KIMD/KLMD, as data.
#[derive(Debug)]
pub(crate) struct ShaSpec {
    /// The catalogue algorithm.
    pub alg: HashAlg,
    /// The KIMD/KLMD function code.
    pub function: u8,
    /// Message block size in bytes: KIMD takes whole blocks only.
    pub block_len: usize,
    /// Chaining value length in bytes (offset 0 of the block).
    pub cv_len: usize,
    /// Message-bit-length field length in bytes (KLMD only; right after the chaining value).
    pub mbl_len: usize,
    /// Digest length in bytes: the leftmost bytes of the final chaining value.
    pub digest_len: usize,
    /// The initial chaining value (FIPS 180-4 §5.3), `cv_len` bytes of it.
    pub iv: [u8; 64],
}

/// Big-endian bytes of eight 32-bit words, padded to 64 bytes.
const fn words32(w: [u32; 8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    let mut i = 0;
    while i < 32 {
        out[i] = w[i / 4].to_be_bytes()[i % 4];
        i += 1;
    }
    out
}

/// Big-endian bytes of eight 64-bit words.
const fn words64(w: [u64; 8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        out[i] = w[i / 8].to_be_bytes()[i % 8];
        i += 1;
    }
    out
}

/// SHA-256, SHA-384 and SHA-512 on KIMD/KLMD. SHA-384 runs the SHA-512 function from its
/// own initial value and keeps 48 bytes (FIPS 180-4 §6.5): the two differ in nothing else,
/// padding included.
pub(crate) static SHA_SPECS: &[ShaSpec] = &[
    ShaSpec {
        alg: HashAlg::Sha256,
        function: fc::SHA_256,
        block_len: 64,
        cv_len: 32,
        mbl_len: 8,
        digest_len: 32,
        iv: words32([
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ]),
    },
    ShaSpec {
        alg: HashAlg::Sha384,
        function: fc::SHA_512,
        block_len: 128,
        cv_len: 64,
        mbl_len: 16,
        digest_len: 48,
        iv: words64([
            0xcbbb9d5dc1059ed8,
            0x629a292a367cd507,
            0x9159015a3070dd17,
            0x152fecd8f70e5939,
            0x67332667ffc00b31,
            0x8eb44a8768581511,
            0xdb0c2e0d64f98fa7,
            0x47b5481dbefa4fa4,
        ]),
    },
    ShaSpec {
        alg: HashAlg::Sha512,
        function: fc::SHA_512,
        block_len: 128,
        cv_len: 64,
        mbl_len: 16,
        digest_len: 64,
        iv: words64([
            0x6a09e667f3bcc908,
            0xbb67ae8584caa73b,
            0x3c6ef372fe94f82b,
            0xa54ff53a5f1d36f1,
            0x510e527fade682d1,
            0x9b05688c2b3e6c1f,
            0x1f83d9abfb41bd6b,
            0x5be0cd19137e2179,
        ]),
    },
];

/// The largest SHA block, for buffers.
pub(crate) const SHA_MAX_BLOCK: usize = 128;

impl ShaSpec {
    /// The row for `alg`.
    pub(crate) fn of(alg: HashAlg) -> &'static ShaSpec {
        SHA_SPECS
            .iter()
            .find(|s| s.alg == alg)
            .expect("every HashAlg has a SHA_SPECS row (checked by a unit test)")
    }

    /// The message block size of KIMD/KLMD function `function`, when it is a SHA-2 one.
    pub(crate) fn block_len_of(function: u8) -> Option<usize> {
        SHA_SPECS
            .iter()
            .find(|s| s.function == function)
            .map(|s| s.block_len)
    }
}

/// The KIMD/KLMD-SHA parameter block: the chaining value at offset 0, then (KLMD only) the
/// total message length in bits, big-endian: SHA-256 ICV\[32\] ‖ MBL\[8\] (40 bytes),
/// SHA-512 ICV\[64\] ‖ MBL\[16\] (80 bytes). KIMD reads and writes only the chaining value.
#[repr(C, align(8))]
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct ShaParams {
    /// The block's bytes.
    pub bytes: [u8; 80],
}

const _: () = assert!(size_of::<ShaParams>() == 80);

impl ShaParams {
    /// The block holding `spec`'s initial chaining value.
    pub(crate) fn new(spec: &ShaSpec) -> Self {
        let mut bytes = [0u8; 80];
        bytes[..spec.cv_len].copy_from_slice(&spec.iv[..spec.cv_len]);
        ShaParams { bytes }
    }

    /// Stores the total message length in bits for KLMD; `None` when it does not fit the
    /// field (2^64 bits for SHA-256, 2^128 for SHA-512).
    pub(crate) fn set_message_bits(&mut self, spec: &ShaSpec, bits: u128) -> Option<()> {
        let be = bits.to_be_bytes();
        let (high, low) = be.split_at(16 - spec.mbl_len);
        if high.iter().any(|&b| b != 0) {
            return None;
        }
        self.bytes[spec.cv_len..spec.cv_len + spec.mbl_len].copy_from_slice(low);
        Some(())
    }

    /// The digest after KLMD: the leftmost `digest_len` bytes of the chaining value.
    pub(crate) fn digest<'a>(&'a self, spec: &ShaSpec) -> &'a [u8] {
        &self.bytes[..spec.digest_len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kma_block_layout() {
        let key: Vec<u8> = (1..=16).collect();
        let nonce = [0xa5; 12];
        let p = KmaGcmParams::for_message(&key, &nonce, 20, 1000).unwrap();
        // The offsets the const assertions pin, checked again by value.
        let fields: [(&str, usize, usize); 8] = [
            ("reserved", offset_of!(KmaGcmParams, reserved), 12),
            ("cv", offset_of!(KmaGcmParams, cv), 4),
            ("t", offset_of!(KmaGcmParams, tag), 16),
            ("h", offset_of!(KmaGcmParams, h), 16),
            ("taadl", offset_of!(KmaGcmParams, taadl), 8),
            ("tpcl", offset_of!(KmaGcmParams, tpcl), 8),
            ("j0", offset_of!(KmaGcmParams, j0), 16),
            ("k", offset_of!(KmaGcmParams, key), 32),
        ];
        // Contiguous, in order, 112 bytes in all.
        let mut end = 0;
        for (name, offset, len) in fields {
            assert_eq!(offset, end, "{name}");
            end += len;
        }
        assert_eq!(end, size_of::<KmaGcmParams>());
        assert_eq!(p.reserved, [0; 12]);
        assert_eq!(p.cv, [0, 0, 0, 1]);
        assert_eq!(p.tag, [0; 16]);
        assert_eq!(p.h, [0; 16]);
        assert_eq!(u64::from_be_bytes(p.taadl), 160);
        assert_eq!(u64::from_be_bytes(p.tpcl), 8000);
        assert_eq!(p.taadl, [0, 0, 0, 0, 0, 0, 0, 160]);
        assert_eq!(&p.j0[..12], &nonce);
        assert_eq!(&p.j0[12..], &[0, 0, 0, 1]);
        assert_eq!(&p.key[..16], key.as_slice());
        assert_eq!(&p.key[16..], &[0; 16]);
        let k32 = [7u8; 32];
        assert_eq!(
            KmaGcmParams::for_message(&k32, &nonce, 0, 0).unwrap().key,
            k32
        );
    }

    #[test]
    fn kma_block_refuses_bad_keys_and_lengths() {
        let nonce = [0; 12];
        for bad in [0, 15, 17, 31, 33] {
            assert!(KmaGcmParams::for_message(&vec![0; bad], &nonce, 0, 0).is_none());
        }
        if usize::BITS == 64 {
            // 2^61 bytes is 2^64 bits: one past the field.
            let too_long = 1usize.wrapping_shl(61);
            assert!(KmaGcmParams::for_message(&[0; 16], &nonce, too_long, 0).is_none());
            assert!(KmaGcmParams::for_message(&[0; 16], &nonce, 0, too_long).is_none());
            assert!(KmaGcmParams::for_message(&[0; 16], &nonce, too_long - 1, 0).is_some());
        }
    }

    #[test]
    fn gr0_values() {
        // GCM-AES-256 (20 = 0x14), one shot: LAAD | LPC, decrypt adds 0x80, HS clear.
        assert_eq!(kma_gr0(fc::GCM_AES_256, Direction::Encrypt), 0x314);
        assert_eq!(kma_gr0(fc::GCM_AES_128, Direction::Decrypt), 0x392);
        assert_eq!(kma_gr0(fc::GCM_AES_128, Direction::Encrypt) & KMA_HS, 0);
        assert_eq!(kmctr_gr0(fc::AES_192), 0x13);
        assert_eq!(DECRYPT | KMA_LPC | KMA_LAAD | KMA_HS, 0x780);
    }

    #[test]
    fn aes_function_codes() {
        for (len, f) in [(16, 18), (24, 19), (32, 20)] {
            assert_eq!(aes_function(len), Some(f));
            assert_eq!(aes_key_len(f), Some(len));
            let (p, code) = AesKeyParams::new(&vec![0xee; len]).unwrap();
            assert_eq!(code, f);
            assert!(p.key[..len].iter().all(|&b| b == 0xee));
            assert!(p.key[len..].iter().all(|&b| b == 0));
        }
        assert_eq!(aes_function(20), None);
        assert_eq!(aes_key_len(3), None);
        assert!(AesKeyParams::new(&[0; 8]).is_none());
    }

    #[test]
    fn counter_blocks_count_big_endian_and_wrap() {
        let mut out = [0u8; 48];
        let next = fill_counter_blocks(u128::MAX, &mut out);
        assert_eq!(&out[..16], &[0xff; 16]);
        assert_eq!(&out[16..32], &[0; 16]);
        assert_eq!(&out[32..], &1u128.to_be_bytes());
        assert_eq!(next, 2);
        // A carry across the low 64 bits.
        let next = fill_counter_blocks(u64::MAX as u128, &mut out[..32]);
        assert_eq!(&out[..16], &(u64::MAX as u128).to_be_bytes());
        assert_eq!(
            &out[16..32],
            &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(next, (1u128 << 64) + 1);
        assert_eq!(fill_counter_blocks(5, &mut []), 5);
    }

    #[test]
    fn sha_specs_cover_the_catalogue_and_fit_the_block() {
        for alg in HashAlg::all() {
            let spec = ShaSpec::of(alg);
            assert_eq!(spec.alg, alg);
            assert_eq!(spec.digest_len, alg.info().tag_len, "{alg}");
            assert_eq!(spec.block_len, alg.info().block_len, "{alg}");
            assert!(spec.cv_len + spec.mbl_len <= size_of::<ShaParams>());
            assert!(spec.block_len <= SHA_MAX_BLOCK);
            assert!(spec.iv[spec.cv_len..].iter().all(|&b| b == 0));
        }
        // First and last words of each initial value (FIPS 180-4 §5.3.3, §5.3.4, §5.3.5).
        let iv = |alg| &ShaSpec::of(alg).iv;
        assert_eq!(&iv(HashAlg::Sha256)[..4], &[0x6a, 0x09, 0xe6, 0x67]);
        assert_eq!(&iv(HashAlg::Sha256)[28..32], &[0x5b, 0xe0, 0xcd, 0x19]);
        assert_eq!(
            &iv(HashAlg::Sha384)[..8],
            &0xcbbb9d5dc1059ed8u64.to_be_bytes()
        );
        assert_eq!(
            &iv(HashAlg::Sha512)[56..],
            &0x5be0cd19137e2179u64.to_be_bytes()
        );
    }

    #[test]
    fn sha_block_layout() {
        let spec = ShaSpec::of(HashAlg::Sha256);
        let mut p = ShaParams::new(spec);
        assert_eq!(&p.bytes[..32], &spec.iv[..32]);
        p.set_message_bits(spec, 0x0102_0304_0506_0708).unwrap();
        // ICV[32] then MBL[8], big-endian.
        assert_eq!(&p.bytes[32..40], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&p.bytes[40..], &[0; 40]);
        assert!(p.set_message_bits(spec, 1 << 64).is_none());
        assert!(p.set_message_bits(spec, u64::MAX as u128).is_some());

        let spec = ShaSpec::of(HashAlg::Sha512);
        let mut p = ShaParams::new(spec);
        p.set_message_bits(spec, (1 << 64) | 0x10).unwrap();
        // ICV[64] then MBL[16], big-endian.
        let mut want = [0u8; 16];
        want[7] = 1;
        want[15] = 0x10;
        assert_eq!(&p.bytes[64..80], &want);
        assert!(p.set_message_bits(spec, u128::MAX).is_some());
        assert_eq!(p.digest(ShaSpec::of(HashAlg::Sha384)).len(), 48);
    }
}
