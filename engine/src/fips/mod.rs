//! FIPS mode and FIPS policy.
//!
//! * [`policy`] is the one place the algorithm policy lives: a literal table of names,
//!   each with its verdict (approved / not approved), the rule and the document it comes
//!   from. TLS and SSH negotiation ask it; [`check`] applies it to configuration files
//!   (OpenSSH, OpenSSL cipher strings, vsftpd).
//! * FIPS mode wraps every keyed object (the error state, the GCM IV rule) and every
//!   provider handle the engine hands out (the policy too), and runs known-answer
//!   [`selftest`]s before the engine is handed out.
//!
//! wirecrypt enforces a FIPS *policy* — approved algorithms only — and runs FIPS 140-3-style
//! self-tests; it is not a validated cryptographic module, and nothing here says it is.

pub mod check;
mod guard;
pub mod policy;
mod provider;
pub mod selftest;
#[cfg(test)]
mod tests;

pub use guard::RandomIvAead;
pub(crate) use guard::{ErrorState, Guarded, IvConstruction, ProtocolKey};
pub(crate) use provider::FipsProvider;
