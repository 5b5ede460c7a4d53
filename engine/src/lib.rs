//! wirecrypt: the symmetric half of secure file transfer.
//!
//! Every secure transfer has two stages: an asymmetric handshake that agrees keys, and a
//! symmetric *data transfer stage* that encrypts and authenticates every byte. This crate
//! is the second stage. It finds the best implementation of each symmetric algorithm on
//! the machine it runs on — a [`Provider`] — and hands out keyed objects that seal and
//! open records and packets:
//!
//! ```
//! use wirecrypt::{AeadAlg, Engine};
//!
//! let engine = Engine::builder().build()?;
//! let key = engine.aead(AeadAlg::Aes256Gcm, &[7u8; 32])?;
//! let nonce = [0u8; 12];
//! let mut record = *b"hello, file transfer";
//! let tag = key.seal_in_place(&nonce, b"header", &mut record)?;
//! key.open_in_place(&nonce, b"header", &mut record, &tag)?;
//! assert_eq!(&record, b"hello, file transfer");
//! # Ok::<(), wirecrypt::Error>(())
//! ```
//!
//! # Providers and selection
//!
//! [`Engine::builder`] detects the CPU once ([`cpu::CpuFeatures`]), asks every provider
//! compiled into this build whether it can run here, and for each algorithm picks the best
//! provider that serves it. `WIRECRYPT_PROVIDER=<id>` or [`EngineBuilder::provider`] forces
//! one provider; forcing one that is absent is an error ([`Error::ProviderUnavailable`],
//! [`Error::UnknownProvider`]) — never a silent fallback.
//!
//! # Forcing the portable software paths
//!
//! The `rustcrypto` provider sits on the RustCrypto crates, which pick AES-NI, CLMUL and
//! AVX2 at run time. Building with
//! `RUSTFLAGS="--cfg aes_force_soft --cfg polyval_force_soft --cfg chacha20_force_soft --cfg poly1305_force_soft"`
//! forces their constant-time portable code instead; `wirecrypt probe` reports which paths
//! a build uses, and `scripts/test` runs the conformance suite both ways.
//!
//! # Security habits
//!
//! Keys are zeroized on drop and redacted in `Debug`; tags are compared in constant time;
//! `open` releases no plaintext unless the tag verifies (the buffer is wiped otherwise).
//! `unsafe` code is confined to the modules that touch hardware or C.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod algorithm;
mod copy;
pub mod cpu;
mod ct;
mod engine;
mod error;
pub mod fips;
pub mod provider;
pub mod record;
pub mod rng;
mod secret;
pub mod ssh;
pub mod tls;

pub use algorithm::{AeadAlg, Algorithm, CipherAlg, HashAlg, MacAlg};
pub use engine::{Engine, EngineBuilder, Selection};
pub use error::Error;
pub use provider::{
    AeadKey, Digest, HashContext, InPlace, MacKey, MacTag, Provider, ProviderId, ProviderInfo,
    StreamCipher, Tag,
};
pub use rng::EngineRng;
pub use secret::SecretBytes;

/// The length in bytes of every AEAD nonce this engine accepts (96 bits).
pub const NONCE_LEN: usize = 12;
/// The length in bytes of every AEAD tag this engine produces (128 bits).
pub const TAG_LEN: usize = 16;
