//! What the transfers move: a file of known content and its SHA-256, in a scratch
//! directory that servers use as their root (on tmpfs when the machine has one, so the
//! disk is not what gets measured).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

/// The name of the source file inside the scratch directory.
pub const SOURCE_NAME: &str = "source.bin";

/// A scratch directory, removed with everything in it when dropped.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// A new empty directory under `/dev/shm` (tmpfs) when it exists, else the system's
    /// temporary directory.
    pub fn new(what: &str) -> io::Result<Scratch> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = base.join(format!("wirecrypt-bench-{what}-{}-{n}", std::process::id()));
        fs::create_dir_all(&path)?;
        Ok(Scratch { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// The data every case moves: its bytes in memory (the upload source) and on disk in a
/// server root (the download source), with their SHA-256.
#[derive(Debug)]
pub struct Payload {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Their SHA-256.
    pub sha256: [u8; 32],
}

impl Payload {
    /// `len` bytes of a fixed pseudo-random pattern (incompressible enough that no layer
    /// could shrink it, and the same in every run).
    pub fn generated(len: usize) -> Payload {
        let mut bytes = vec![0u8; len];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for chunk in bytes.chunks_mut(8) {
            // SplitMix64: fast, and every 8 bytes differ.
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Payload::from_bytes(bytes)
    }

    /// The contents of a real file.
    pub fn from_file(path: &Path) -> io::Result<Payload> {
        Ok(Payload::from_bytes(fs::read(path)?))
    }

    fn from_bytes(bytes: Vec<u8>) -> Payload {
        let sha256 = Sha256::digest(&bytes).into();
        Payload { bytes, sha256 }
    }

    /// The same bytes with one flipped in the middle, under the original's hash: what a
    /// server installing it sends is then corrupt (fault injection for tests).
    #[cfg(feature = "fault-injection")]
    pub fn corrupted_copy(mut self) -> Payload {
        let mid = self.bytes.len() / 2;
        self.bytes[mid] ^= 0x01;
        self
    }

    /// Writes the payload as [`SOURCE_NAME`] into `dir`.
    pub fn install(&self, dir: &Path) -> io::Result<PathBuf> {
        let path = dir.join(SOURCE_NAME);
        fs::write(&path, &self.bytes)?;
        Ok(path)
    }
}

/// The SHA-256 of a file.
pub fn file_sha256(path: &Path) -> io::Result<[u8; 32]> {
    let mut f = fs::File::open(path)?;
    let mut hasher = HashingSink::default();
    io::copy(&mut f, &mut hasher)?;
    Ok(hasher.finish().0)
}

/// A writer that hashes and counts what it is given and keeps none of it: where a
/// download goes.
#[derive(Default)]
pub struct HashingSink {
    hasher: Sha256,
    len: u64,
}

impl HashingSink {
    /// The digest and the byte count.
    pub fn finish(self) -> ([u8; 32], u64) {
        (self.hasher.finalize().into(), self.len)
    }
}

impl Write for HashingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_payloads_are_repeatable_and_hashed() {
        let a = Payload::generated(1000);
        let b = Payload::generated(1000);
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(a.sha256, <[u8; 32]>::from(Sha256::digest(&a.bytes)));
        assert_ne!(a.bytes[..8], a.bytes[8..16]);
    }

    #[test]
    fn a_sink_hashes_what_a_file_holds() {
        let scratch = Scratch::new("test").unwrap();
        let p = Payload::generated(70_000);
        let path = p.install(scratch.path()).unwrap();
        assert_eq!(file_sha256(&path).unwrap(), p.sha256);
        let mut sink = HashingSink::default();
        io::copy(&mut &p.bytes[..], &mut sink).unwrap();
        assert_eq!(sink.finish(), (p.sha256, 70_000));
        let dir = scratch.path().to_path_buf();
        drop(scratch);
        assert!(!dir.exists(), "the scratch directory outlived its owner");
    }
}
