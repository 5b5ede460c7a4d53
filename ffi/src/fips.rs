//! FIPS: self-tests on demand and the configuration checks.

use std::ffi::{c_char, c_int};

use wirecrypt_engine::fips::check::{NoIncludes, Overall, openssh, tls};

use crate::args;
use crate::engine::{give_string, wc_engine};
use crate::status::{Fail, guard, wc_status};

/// Runs every known-answer self-test now on every available provider, in any mode,
/// without changing the engine's state. `*json_out` (free with `wc_string_free`) lists
/// each result; it is set on `WC_ERR_SELF_TEST` too, which is returned if any test fails.
///
/// # Safety
/// `engine` live; `json_out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_selftest_run(
    engine: *const wc_engine,
    json_out: *mut *mut c_char,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (engine, json_out) = unsafe {
            (
                args::handle(engine, "engine")?,
                args::out(json_out, "json_out")?,
            )
        };
        json_out.set(std::ptr::null_mut());
        let results = engine.engine.run_self_tests();
        let json = serde_json::to_string(&results)
            .map_err(|e| Fail::new(wc_status::WC_ERR_INTERNAL, e.to_string()))?;
        give_string(&json_out, json)?;
        match results.iter().find(|r| !r.passed()) {
            None => Ok(()),
            Some(r) => Err(Fail::new(
                wc_status::WC_ERR_SELF_TEST,
                format!(
                    "self-test {} on {} failed: {}",
                    r.test,
                    r.provider,
                    r.failure.as_deref().unwrap_or("")
                ),
            )),
        }
    })
}

/// The optional `json_out` of the checks, set to NULL.
///
/// # Safety
/// `json_out` must be NULL or valid for writes.
unsafe fn clear_json_out(json_out: *mut *mut c_char) -> Option<args::Out<*mut c_char>> {
    // SAFETY: forwarded from the caller's contract.
    let json_out = unsafe { args::out(json_out, "json_out") }.ok();
    if let Some(j) = &json_out {
        j.set(std::ptr::null_mut());
    }
    json_out
}

fn report(
    r: wirecrypt_engine::fips::check::Report,
    compliant: &args::Out<c_int>,
    json_out: Option<&args::Out<*mut c_char>>,
) -> Result<(), Fail> {
    compliant.set(c_int::from(r.status == Overall::Compliant));
    if let Some(json_out) = json_out {
        let json = serde_json::to_string(&r)
            .map_err(|e| Fail::new(wc_status::WC_ERR_INTERNAL, e.to_string()))?;
        give_string(json_out, json)?;
    }
    Ok(())
}

/// Checks a TLS 1.3 cipher suite list (`"TLS_AES_128_GCM_SHA256:TLS_CHACHA20_..."`)
/// against the FIPS policy: `*compliant` is 1 when every suite is approved.
/// `json_out` may be NULL; otherwise it receives the full report (free with
/// `wc_string_free`), or NULL when the call fails.
///
/// # Safety
/// `list` a C string; `compliant` writable; `json_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_fips_check_ciphersuites(
    list: *const c_char,
    compliant: *mut c_int,
    json_out: *mut *mut c_char,
) -> wc_status {
    guard(|| {
        // Cleared before anything can fail, so that a failed call never leaves the
        // caller's pointer for it to free.
        // SAFETY: the caller guarantees `json_out` is NULL or writable.
        let json_out = unsafe { clear_json_out(json_out) };
        // SAFETY: forwarded from the caller's contract.
        let (list, compliant) = unsafe {
            (
                args::string(list, "list")?,
                args::out(compliant, "compliant")?,
            )
        };
        report(tls::check_ciphersuites(list), &compliant, json_out.as_ref())
    })
}

/// Checks the text of an `sshd_config` (Ciphers, MACs, KexAlgorithms, ... with OpenSSH's
/// defaults; `Include` lines are reported, not followed): `*compliant` is 1 when every
/// algorithm it enables is approved. `json_out` as for `wc_fips_check_ciphersuites`.
///
/// # Safety
/// `text` a C string; `compliant` writable; `json_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_fips_check_sshd_config(
    text: *const c_char,
    compliant: *mut c_int,
    json_out: *mut *mut c_char,
) -> wc_status {
    guard(|| {
        // As in wc_fips_check_ciphersuites.
        // SAFETY: the caller guarantees `json_out` is NULL or writable.
        let json_out = unsafe { clear_json_out(json_out) };
        // SAFETY: forwarded from the caller's contract.
        let (text, compliant) = unsafe {
            (
                args::string(text, "text")?,
                args::out(compliant, "compliant")?,
            )
        };
        let r = openssh::check_sshd_config(text, "sshd_config", &NoIncludes);
        report(r, &compliant, json_out.as_ref())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_check_clears_json_out() {
        // Found by fuzzing: text that is not UTF-8 (or a NULL `compliant`) failed before
        // `*json_out` was cleared, leaving the caller's pointer for it to free.
        let bad = c"TLS_AES_128_GCM_SHA256:\xa0";
        for check in [wc_fips_check_ciphersuites, wc_fips_check_sshd_config] {
            let mut compliant: c_int = -1;
            let mut json: *mut c_char = std::ptr::dangling_mut();
            // SAFETY: a C string and valid out-pointers.
            let st = unsafe { check(bad.as_ptr(), &mut compliant, &mut json) };
            assert_eq!(st, wc_status::WC_ERR_INVALID_ARGUMENT);
            assert!(json.is_null(), "json_out left as it was");
            let mut json: *mut c_char = std::ptr::dangling_mut();
            // SAFETY: a C string, NULL `compliant` (under test), a valid `json_out`.
            let st = unsafe { check(c"".as_ptr(), std::ptr::null_mut(), &mut json) };
            assert_eq!(st, wc_status::WC_ERR_NULL_POINTER);
            assert!(json.is_null(), "json_out left as it was");
        }
    }
}
