//! A small, seeded, reproducible PRNG for randomized tests.
//!
//! Not for cryptography: it only chooses test inputs. Each test builds one with
//! [`TestRng::for_test`], which takes its seed from `WIRECRYPT_TEST_SEED` when set and
//! from the operating system otherwise, and prints it, so any failure can be rerun with
//! the same inputs.

use rand_core::{RngCore, impls};

/// The environment variable that fixes the seed of every randomized test.
pub const SEED_ENV: &str = "WIRECRYPT_TEST_SEED";

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough to pick test inputs.
#[derive(Clone, Debug)]
pub struct TestRng {
    state: u64,
}

impl TestRng {
    /// A generator with a fixed seed.
    pub fn from_seed(seed: u64) -> Self {
        TestRng { state: seed }
    }

    /// The generator for the test named `test`: the seed comes from `WIRECRYPT_TEST_SEED`
    /// (decimal or `0x` hex) when set, else from the operating system. The seed is printed
    /// with the command that reproduces the run.
    ///
    /// # Panics
    /// When `WIRECRYPT_TEST_SEED` is set but is not a number, or the OS has no randomness.
    pub fn for_test(test: &str) -> Self {
        let seed = match std::env::var(SEED_ENV) {
            Ok(s) if !s.trim().is_empty() => parse_seed(s.trim())
                .unwrap_or_else(|| panic!("{SEED_ENV}={s:?} is not a decimal or 0x-hex u64")),
            _ => {
                let mut b = [0u8; 8];
                getrandom::getrandom(&mut b).expect("the OS random source works");
                u64::from_le_bytes(b)
            }
        };
        println!("{test}: seed {seed:#018x} (reproduce with {SEED_ENV}={seed:#018x})");
        TestRng::from_seed(seed)
    }

    /// A uniformly distributed integer in `lo..=hi`.
    ///
    /// # Panics
    /// When `lo > hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        let Some(span) = ((hi - lo) as u64).checked_add(1) else {
            // The full u64 range.
            return lo.wrapping_add(self.next_u64() as usize);
        };
        // Rejection sampling: no modulo bias.
        let zone = u64::MAX - (u64::MAX % span) - 1;
        loop {
            let v = self.next_u64();
            if v <= zone {
                return lo + (v % span) as usize;
            }
        }
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.fill_bytes(&mut v);
        v
    }

    /// A random fixed-size array.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        self.fill_bytes(&mut a);
        a
    }

    /// Splits `len` into random piece lengths (each at least 1 unless `len` is 0) that sum
    /// to `len`; at most `max_pieces` pieces.
    pub fn pieces(&mut self, len: usize, max_pieces: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut left = len;
        while left > 0 {
            let take = if out.len() + 1 >= max_pieces {
                left
            } else {
                self.range(1, left)
            };
            out.push(take);
            left -= take;
        }
        out
    }
}

fn parse_seed(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        impls::fill_bytes_via_next(self, dest)
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_output() {
        // First outputs of SplitMix64 seeded with 1234567 (from the reference C code).
        let mut r = TestRng::from_seed(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn ranges_and_pieces_stay_in_bounds() {
        let mut r = TestRng::from_seed(7);
        for _ in 0..10_000 {
            let v = r.range(3, 9);
            assert!((3..=9).contains(&v));
        }
        for len in 0..200 {
            let p = r.pieces(len, 5);
            assert_eq!(p.iter().sum::<usize>(), len);
            assert!(p.len() <= 5);
            assert!(p.iter().all(|&n| n > 0));
        }
        let _ = r.range(0, usize::MAX);
        assert_eq!(r.range(5, 5), 5);
        assert_eq!(parse_seed("0x10"), Some(16));
        assert_eq!(parse_seed("16"), Some(16));
        assert_eq!(parse_seed("z"), None);
    }
}
