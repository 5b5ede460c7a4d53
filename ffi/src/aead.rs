//! `wc_aead`: a keyed AEAD. Output of seal = ciphertext ‖ 16-byte tag.

use std::ffi::c_char;

use wirecrypt_engine::{AeadAlg, AeadKey, TAG_LEN};

use crate::args;
use crate::engine::wc_engine;
use crate::status::{Fail, guard, wc_status};

/// A keyed AEAD. Thread-safe: one key may seal and open on many threads at once.
pub struct wc_aead {
    key: Box<dyn AeadKey>,
}

/// Looks up an AEAD by the engine's id (`aes-256-gcm`), SSH name or TLS suite name.
pub(crate) fn aead_alg(name: &str) -> Result<AeadAlg, Fail> {
    AeadAlg::all()
        .find(|a| {
            a.info()
                .tls_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name))
        })
        .map_or_else(|| name.parse::<AeadAlg>().map_err(Fail::from), Ok)
}

/// Makes a keyed AEAD: `alg_name` is `"aes-128-gcm"`, `"aes-256-gcm"` or
/// `"chacha20-poly1305"`. In FIPS mode ChaCha20-Poly1305 is refused
/// (`WC_ERR_FIPS_REFUSED`), and AES-GCM keys open but refuse to seal under caller-chosen
/// nonces: use the TLS or SSH layers there.
///
/// # Safety
/// `engine` must be a live engine, `alg_name` a NUL-terminated string, `key` valid for
/// `key_len` bytes, `out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_aead_new(
    engine: *const wc_engine,
    alg_name: *const c_char,
    key: *const u8,
    key_len: usize,
    out: *mut *mut wc_aead,
) -> wc_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is writable when non-NULL.
        let out = unsafe { args::out(out, "out") }?;
        out.set(std::ptr::null_mut());
        // SAFETY: the caller guarantees a live engine, a C string and `key_len` key bytes.
        let (engine, name, key) = unsafe {
            (
                args::handle(engine, "engine")?,
                args::string(alg_name, "alg_name")?,
                args::bytes(key, key_len, "key")?,
            )
        };
        let key = engine.engine.aead(aead_alg(name)?, key)?;
        out.set(Box::into_raw(Box::new(wc_aead { key })));
        Ok(())
    })
}

/// Seals `input` into `out` as ciphertext ‖ 16-byte tag; `*out_len` = `in_len + 16`.
/// `out` may be NULL when `out_cap` is 0; when `out_cap` is too small the call returns
/// `WC_ERR_BUFFER_TOO_SMALL` with the size needed in `*out_len`. Any of `nonce`, `aad`
/// and `input` may overlap `out` (in place, or a nonce kept at the front of the output
/// buffer): each is read in full — copied when it overlaps — before anything is written
/// to `out`. The nonce must be 12 bytes and never repeat under one key.
///
/// # Safety
/// `aead` must be live; every pointer must be valid for its length (`out` for writes of
/// `out_cap` bytes); `out_len` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_aead_seal(
    aead: *const wc_aead,
    nonce: *const u8,
    nonce_len: usize,
    aad: *const u8,
    aad_len: usize,
    input: *const u8,
    in_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: the caller guarantees validity of each pointer for its length; each of
        // nonce, aad and input is copied before `out` is borrowed when it overlaps `out`.
        let (aead, out_len, nonce, aad, input) = unsafe {
            (
                args::handle(aead, "aead")?,
                args::out(out_len, "out_len")?,
                args::input_beside(nonce, nonce_len, out, out_cap, "nonce")?,
                args::input_beside(aad, aad_len, out, out_cap, "aad")?,
                args::input_beside(input, in_len, out, out_cap, "in")?,
            )
        };
        out_len.set(0);
        let needed = in_len
            .checked_add(TAG_LEN)
            .ok_or_else(|| Fail::invalid("input too long"))?;
        out_len.ensure_room(needed, out_cap)?;
        // SAFETY: the caller guarantees `out` is writable for `out_cap` bytes; `input`
        // does not alias it (copied above if it did).
        let out = unsafe { args::bytes_mut(out, out_cap, "out") }?;
        let n = aead.key.seal(&nonce, &aad, &input, out)?;
        out_len.set(n);
        Ok(())
    })
}

/// Verifies and decrypts `input` (ciphertext ‖ 16-byte tag) into `out`; `*out_len` =
/// `in_len - 16`. On `WC_ERR_AUTH_FAILED` nothing is released (`out` is wiped). Buffer
/// rules as for `wc_aead_seal`; inputs shorter than 16 bytes give
/// `WC_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// As for `wc_aead_seal`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_aead_open(
    aead: *const wc_aead,
    nonce: *const u8,
    nonce_len: usize,
    aad: *const u8,
    aad_len: usize,
    input: *const u8,
    in_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: as in wc_aead_seal.
        let (aead, out_len, nonce, aad, input) = unsafe {
            (
                args::handle(aead, "aead")?,
                args::out(out_len, "out_len")?,
                args::input_beside(nonce, nonce_len, out, out_cap, "nonce")?,
                args::input_beside(aad, aad_len, out, out_cap, "aad")?,
                args::input_beside(input, in_len, out, out_cap, "in")?,
            )
        };
        out_len.set(0);
        let needed = in_len.checked_sub(TAG_LEN).ok_or_else(|| {
            Fail::invalid(format!(
                "sealed input of {in_len} bytes is shorter than its {TAG_LEN}-byte tag"
            ))
        })?;
        out_len.ensure_room(needed, out_cap)?;
        // SAFETY: as in wc_aead_seal.
        let out = unsafe { args::bytes_mut(out, out_cap, "out") }?;
        let n = aead.key.open(&nonce, &aad, &input, out)?;
        out_len.set(n);
        Ok(())
    })
}

/// Frees an AEAD key (the key is wiped); NULL is a no-op.
///
/// # Safety
/// `aead` must be NULL or come from `wc_aead_new`, be freed once, and not be in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_aead_free(aead: *mut wc_aead) {
    // SAFETY: forwarded from the caller's contract.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { args::free(aead) }));
}
