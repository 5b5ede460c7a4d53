//! `wc_engine`: building, probing and freeing the engine; strings handed to C.

use std::collections::HashSet;
use std::ffi::{CString, c_char, c_int};
use std::sync::{Mutex, OnceLock};

use rand_core::RngCore;
use wirecrypt_engine::{Engine, HashAlg};

use crate::args::{self, Out};
use crate::status::{Fail, guard, wc_status};

/// An engine: detection, provider selection, FIPS mode. Thread-safe: one engine may be
/// shared by any number of threads. Handles made from it stay valid after it is freed.
pub struct wc_engine {
    pub(crate) engine: Engine,
    /// In FIPS mode, the TLS traffic secrets and SSH keys sealers have been made from.
    pub(crate) sealing_secrets: SealingSecrets,
}

/// The TLS traffic secrets and SSH keys an engine's sealers were made from, so that in
/// FIPS mode no secret seals through two sealers (which would repeat every nonce, or
/// every CTR keystream).
///
/// Only salted fingerprints are kept — SHA-256 over the salt, the suite or cipher and
/// each part of the secret with its length, the salt drawn per engine — never the
/// secrets. One fingerprint (32 bytes) per sealer stays for the engine's life: a secret
/// freed with its sealer must still not seal again.
pub(crate) struct SealingSecrets {
    /// Drawn at the first claim (an engine in its error state draws nothing).
    salt: OnceLock<[u8; 32]>,
    seen: Mutex<HashSet<[u8; 32]>>,
}

impl SealingSecrets {
    fn new() -> Self {
        SealingSecrets {
            salt: OnceLock::new(),
            seen: Mutex::new(HashSet::new()),
        }
    }

    fn salt(&self, engine: &Engine) -> Result<&[u8; 32], Fail> {
        if let Some(salt) = self.salt.get() {
            return Ok(salt);
        }
        let mut salt = [0u8; 32];
        engine
            .rng()
            .try_fill_bytes(&mut salt)
            .map_err(|e| Fail::new(wc_status::WC_ERR_INTERNAL, format!("random salt: {e}")))?;
        Ok(self.salt.get_or_init(|| salt))
    }

    /// Records that the secret made of `parts` (a TLS traffic secret; an SSH key and IV)
    /// now seals for `suite`; refused, naming `what`, when it already has.
    pub(crate) fn claim(
        &self,
        engine: &Engine,
        suite: &str,
        parts: &[&[u8]],
        what: &str,
    ) -> Result<(), Fail> {
        let mut h = engine.hash(HashAlg::Sha256)?;
        h.update(self.salt(engine)?)?;
        h.update(suite.as_bytes())?;
        h.update(&[0])?;
        for part in parts {
            h.update(&(part.len() as u64).to_be_bytes())?;
            h.update(part)?;
        }
        let digest = h.finish()?;
        let fingerprint: [u8; 32] = digest
            .as_ref()
            .try_into()
            .map_err(|_| Fail::new(wc_status::WC_ERR_INTERNAL, "SHA-256 is 32 bytes"))?;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if !seen.insert(fingerprint) {
            return Err(Fail::new(
                wc_status::WC_ERR_FIPS_REFUSED,
                format!(
                    "FIPS mode refuses a second sealer from one {what}: it would repeat every nonce"
                ),
            ));
        }
        Ok(())
    }
}

/// How to build an engine. Zero-initialise it for the defaults.
#[repr(C)]
pub struct wc_engine_config {
    /// Force one provider by id (`"rustcrypto"`, `"vaes256"`, ...), or NULL for the best
    /// provider per algorithm (then `WIRECRYPT_PROVIDER` is honoured unless `ignore_env`).
    pub provider: *const c_char,
    /// Nonzero: FIPS mode (self-tests run now; non-approved algorithms are refused).
    /// Zero: FIPS mode only if `WIRECRYPT_FIPS` asks for it (unless `ignore_env`).
    pub fips: c_int,
    /// Nonzero: with a forced provider, algorithms it lacks fall back to the best other.
    pub allow_fallback: c_int,
    /// Nonzero: ignore the `WIRECRYPT_*` environment variables.
    pub ignore_env: c_int,
}

/// Hands a Rust string to C; the caller frees it with `wc_string_free`.
pub(crate) fn give_string(out: &Out<*mut c_char>, s: String) -> Result<(), Fail> {
    let c = CString::new(s).map_err(|_| Fail::new(wc_status::WC_ERR_INTERNAL, "NUL in output"))?;
    out.set(c.into_raw());
    Ok(())
}

/// Builds an engine. `config` may be NULL for the defaults (environment honoured). On
/// success `*out` holds the engine (free it with `wc_engine_free`); on failure `*out` is
/// NULL.
///
/// # Safety
/// `config`, when non-NULL, must point to a valid `wc_engine_config` whose `provider` is
/// NULL or a NUL-terminated string; `out` must be valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_engine_new(
    config: *const wc_engine_config,
    out: *mut *mut wc_engine,
) -> wc_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is valid for writes when non-NULL.
        let out = unsafe { args::out(out, "out") }?;
        out.set(std::ptr::null_mut());
        let mut builder = Engine::builder();
        // SAFETY: the caller guarantees `config` points to a valid config when non-NULL.
        if let Some(config) = unsafe { config.as_ref() } {
            // SAFETY: the caller guarantees `provider` is NULL or a NUL-terminated string.
            if let Some(id) = unsafe { args::opt_string(config.provider, "config->provider") }? {
                builder = builder.provider(id);
            }
            if config.fips != 0 {
                builder = builder.fips(true);
            }
            if config.ignore_env != 0 {
                builder = builder.ignore_env();
            }
            builder = builder.allow_fallback(config.allow_fallback != 0);
        }
        let engine = builder.build()?;
        out.set(Box::into_raw(Box::new(wc_engine {
            engine,
            sealing_secrets: SealingSecrets::new(),
        })));
        Ok(())
    })
}

/// Frees an engine; NULL is a no-op.
///
/// # Safety
/// `engine` must be NULL or come from `wc_engine_new`, be freed once, and not be in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_engine_free(engine: *mut wc_engine) {
    // SAFETY: forwarded from the caller's contract.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
        args::free(engine)
    }));
}

/// What the engine found and chose, as JSON: version, FIPS mode and status, CPU, the
/// available providers and, per algorithm, the provider selected and why. `*json_out`
/// receives a NUL-terminated string to free with `wc_string_free`.
///
/// # Safety
/// `engine` must be a live engine; `json_out` must be valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_engine_probe_json(
    engine: *const wc_engine,
    json_out: *mut *mut c_char,
) -> wc_status {
    guard(|| {
        // SAFETY: the caller guarantees a live engine and a writable `json_out`.
        let (engine, json_out) = unsafe {
            (
                args::handle(engine, "engine")?,
                args::out(json_out, "json_out")?,
            )
        };
        json_out.set(std::ptr::null_mut());
        let e = &engine.engine;
        let providers: Vec<_> = e.available().map(|p| p.info()).collect();
        let selections: Vec<_> = e.selections().collect();
        let json = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "fips": e.fips_mode(),
            "status": match e.status() { Ok(()) => "ok".to_owned(), Err(err) => err.to_string() },
            "forced": e.forced(),
            "cpu": e.cpu(),
            "providers": providers,
            "selections": selections,
        });
        give_string(&json_out, json.to_string())
    })
}

/// Frees a string this library returned; NULL is a no-op.
///
/// # Safety
/// `s` must be NULL or a string returned by this library, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: the caller guarantees `s` came from CString::into_raw in this library.
        drop(unsafe { CString::from_raw(s) });
    }
}

/// Whether the engine runs in FIPS mode: `*on` is 1 or 0.
///
/// # Safety
/// `engine` must be a live engine; `on` must be valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_engine_fips_mode(
    engine: *const wc_engine,
    on: *mut c_int,
) -> wc_status {
    guard(|| {
        // SAFETY: the caller guarantees a live engine and a writable `on`.
        let (engine, on) = unsafe { (args::handle(engine, "engine")?, args::out(on, "on")?) };
        on.set(c_int::from(engine.engine.fips_mode()));
        Ok(())
    })
}
