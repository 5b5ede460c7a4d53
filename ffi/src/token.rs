//! `wc_token_key`: a long-term private key inside the PKCS#11 token (feature `pkcs11`),
//! for C programs that run their own handshake but keep the server key in the HSM. The
//! token comes from the `WIRECRYPT_PKCS11_*` environment, as for the `pkcs11` provider.
//! Built without the feature, every function returns `WC_ERR_UNSUPPORTED`.

use std::ffi::c_char;

use crate::args;
use crate::status::{Fail, guard, wc_status};

/// A private key in the token (only its handle and public half are in this process).
/// Thread-safe: share it freely.
pub struct wc_token_key {
    #[cfg(feature = "pkcs11")]
    inner: wirecrypt_engine::provider::pkcs11::TokenKey,
}

#[cfg(feature = "pkcs11")]
mod imp {
    use wirecrypt_engine::provider::pkcs11::{KeyKind, Pkcs11, SignScheme};

    use super::wc_token_key;
    use crate::status::Fail;

    pub(super) fn token() -> Result<Pkcs11, Fail> {
        Pkcs11::from_env().map_err(|e| Fail::new(super::wc_status::WC_ERR_UNSUPPORTED, e))
    }

    pub(super) fn open(label: &str) -> Result<wc_token_key, Fail> {
        Ok(wc_token_key {
            inner: token()?.key_pair(label)?,
        })
    }

    pub(super) fn generate(label: &str, kind: &str) -> Result<wc_token_key, Fail> {
        let kind: KeyKind = kind.parse()?;
        Ok(wc_token_key {
            inner: token()?.generate_key_pair(label, kind)?,
        })
    }

    pub(super) fn delete(label: &str) -> Result<usize, Fail> {
        Ok(token()?.delete_key_pair(label)?)
    }

    pub(super) fn spki(key: &wc_token_key) -> Vec<u8> {
        key.inner.spki_der().to_vec()
    }

    pub(super) fn sign(key: &wc_token_key, scheme: &str, msg: &[u8]) -> Result<Vec<u8>, Fail> {
        let scheme = SignScheme::from_tls_name(scheme)?;
        Ok(key.inner.sign(scheme, msg)?)
    }
}

#[cfg(not(feature = "pkcs11"))]
mod imp {
    use super::wc_token_key;
    use crate::status::{Fail, wc_status};

    fn unsupported<T>() -> Result<T, Fail> {
        Err(Fail::new(
            wc_status::WC_ERR_UNSUPPORTED,
            "this libwirecrypt was built without the `pkcs11` feature",
        ))
    }

    pub(super) fn open(_: &str) -> Result<wc_token_key, Fail> {
        unsupported()
    }

    pub(super) fn generate(_: &str, _: &str) -> Result<wc_token_key, Fail> {
        unsupported()
    }

    pub(super) fn delete(_: &str) -> Result<usize, Fail> {
        unsupported()
    }

    pub(super) fn spki(_: &wc_token_key) -> Vec<u8> {
        Vec::new()
    }

    pub(super) fn sign(_: &wc_token_key, _: &str, _: &[u8]) -> Result<Vec<u8>, Fail> {
        unsupported()
    }
}

/// Copies `data` to `out` (capacity `out_cap`), or reports the size needed.
///
/// # Safety
/// `out` writable for `out_cap` bytes (may be NULL when `out_cap` is 0); `out_len` writable.
unsafe fn write_out(
    data: &[u8],
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> Result<(), Fail> {
    // SAFETY: forwarded from the caller's contract.
    let out_len = unsafe { args::out(out_len, "out_len")? };
    out_len.set(data.len());
    out_len.ensure_room(data.len(), out_cap)?;
    // SAFETY: the caller guarantees `out` is writable for `out_cap` bytes.
    let out = unsafe { args::bytes_mut(out, out_cap, "out")? };
    out[..data.len()].copy_from_slice(data);
    Ok(())
}

/// Opens the private key labelled `label` in the token.
///
/// # Safety
/// `label` a C string; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_token_key_open(
    label: *const c_char,
    out: *mut *mut wc_token_key,
) -> wc_status {
    guard(|| {
        // `*out` is cleared before anything else can fail, as every constructor does.
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { args::out(out, "out") }?;
        out.set(std::ptr::null_mut());
        // SAFETY: forwarded from the caller's contract.
        let label = unsafe { args::string(label, "label") }?;
        out.set(Box::into_raw(Box::new(imp::open(label)?)));
        Ok(())
    })
}

/// Generates a key pair labelled `label` inside the token: `kind` is `"ecdsa-p256"` or
/// `"rsa-2048"`. The private key is sensitive and never extractable, and the pair passed
/// a pair-wise consistency test. Refused if the label is taken.
///
/// # Safety
/// `label` and `kind` C strings; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_token_key_generate(
    label: *const c_char,
    kind: *const c_char,
    out: *mut *mut wc_token_key,
) -> wc_status {
    guard(|| {
        // As in wc_token_key_open.
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { args::out(out, "out") }?;
        out.set(std::ptr::null_mut());
        // SAFETY: forwarded from the caller's contract.
        let (label, kind) = unsafe { (args::string(label, "label")?, args::string(kind, "kind")?) };
        out.set(Box::into_raw(Box::new(imp::generate(label, kind)?)));
        Ok(())
    })
}

/// Deletes the key objects labelled `label`; `*deleted` = how many (2 for a pair).
///
/// # Safety
/// `label` a C string; `deleted` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_token_key_delete(
    label: *const c_char,
    deleted: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (label, deleted) = unsafe {
            (
                args::string(label, "label")?,
                args::out(deleted, "deleted")?,
            )
        };
        deleted.set(0);
        deleted.set(imp::delete(label)?);
        Ok(())
    })
}

/// The public key as DER `SubjectPublicKeyInfo` into `out`; `*out_len` = its size (also
/// when `out_cap` is too small: `WC_ERR_BUFFER_TOO_SMALL`).
///
/// # Safety
/// `key` live; `out` writable for `out_cap` bytes; `out_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_token_key_public_spki(
    key: *const wc_token_key,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let key = unsafe { args::handle(key, "key")? };
        // SAFETY: forwarded from the caller's contract.
        unsafe { write_out(&imp::spki(key), out, out_cap, out_len) }
    })
}

/// Signs `msg` in the token with `scheme`, a TLS 1.3 name: `"ecdsa_secp256r1_sha256"`
/// (DER signature), `"rsa_pss_rsae_sha256"`/`384`/`512`, `"rsa_pkcs1_sha256"`/`384`/`512`.
/// `*sig_len` = the signature's size (also when `sig_cap` is too small).
///
/// # Safety
/// `key` live; `scheme` a C string; `msg` valid for `len` bytes; `sig` writable for
/// `sig_cap` bytes; `sig_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_token_key_sign(
    key: *const wc_token_key,
    scheme: *const c_char,
    msg: *const u8,
    len: usize,
    sig: *mut u8,
    sig_cap: usize,
    sig_len: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (key, scheme, msg) = unsafe {
            (
                args::handle(key, "key")?,
                args::string(scheme, "scheme")?,
                args::bytes(msg, len, "msg")?,
            )
        };
        let signature = imp::sign(key, scheme, msg)?;
        // SAFETY: forwarded from the caller's contract.
        unsafe { write_out(&signature, sig, sig_cap, sig_len) }
    })
}

/// Frees a token key handle (the key stays in the token); NULL is a no-op.
///
/// # Safety
/// NULL or from `wc_token_key_open`/`_generate`, freed once, not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_token_key_free(key: *mut wc_token_key) {
    // SAFETY: forwarded from the caller's contract.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { args::free(key) }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_label_still_clears_out() {
        // Found by fuzzing: a label that is not UTF-8 failed before `*out` was cleared,
        // leaving the caller's pointer where a handle is expected.
        let bad = c"key-\xff";
        let mut key = std::ptr::dangling_mut::<wc_token_key>();
        // SAFETY: a C string and a valid out-pointer.
        let st = unsafe { wc_token_key_open(bad.as_ptr(), &mut key) };
        assert_eq!(st, wc_status::WC_ERR_INVALID_ARGUMENT);
        assert!(key.is_null(), "*out left as it was");
        let mut key = std::ptr::dangling_mut::<wc_token_key>();
        // SAFETY: C strings and a valid out-pointer.
        let st = unsafe { wc_token_key_generate(c"label".as_ptr(), bad.as_ptr(), &mut key) };
        assert_eq!(st, wc_status::WC_ERR_INVALID_ARGUMENT);
        assert!(key.is_null(), "*out left as it was");
    }
}
