//! The C ABI called from Rust: NULL handles and out-pointers, NULL data with zero length,
//! status and message for each.

use std::ffi::{CStr, c_char};
use std::ptr::{null, null_mut};

use wirecrypt::*;

fn last_error() -> String {
    // SAFETY: wc_last_error never returns NULL and the string lives until the next call.
    unsafe { CStr::from_ptr(wc_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn engine() -> *mut wc_engine {
    let cfg = wc_engine_config {
        provider: null(),
        fips: 0,
        allow_fallback: 0,
        ignore_env: 1,
    };
    let mut e = null_mut();
    // SAFETY: a valid config and out-pointer.
    assert_eq!(unsafe { wc_engine_new(&cfg, &mut e) }, wc_status::WC_OK);
    e
}

#[test]
fn null_out_pointers_are_refused() {
    // SAFETY: NULL is the argument under test; nothing is dereferenced.
    let st = unsafe { wc_engine_new(null(), null_mut()) };
    assert_eq!(st, wc_status::WC_ERR_NULL_POINTER);
    assert!(last_error().contains("out is NULL"), "{}", last_error());
}

#[test]
fn null_handles_and_data_are_refused() {
    let e = engine();
    let mut a = std::ptr::dangling_mut::<wc_aead>();
    let name = c"aes-128-gcm".as_ptr();
    // SAFETY: a live engine, a C string, NULL key with nonzero length (under test).
    let st = unsafe { wc_aead_new(e, name, null(), 16, &mut a) };
    assert_eq!(st, wc_status::WC_ERR_NULL_POINTER);
    assert!(a.is_null(), "out is cleared on failure");
    let key = [0u8; 16];
    assert_eq!(
        // SAFETY: valid arguments.
        unsafe { wc_aead_new(e, name, key.as_ptr(), 16, &mut a) },
        wc_status::WC_OK
    );
    let nonce = [0u8; 12];
    let mut out = [0u8; 16];
    let mut n = 0usize;
    // SAFETY: NULL handle under test; the other pointers are valid.
    let st = unsafe {
        wc_aead_seal(
            null(),
            nonce.as_ptr(),
            12,
            null(),
            0,
            null(),
            0,
            out.as_mut_ptr(),
            16,
            &mut n,
        )
    };
    assert_eq!(st, wc_status::WC_ERR_NULL_POINTER);
    // SAFETY: NULL data with zero length is allowed.
    let st = unsafe {
        wc_aead_seal(
            a,
            nonce.as_ptr(),
            12,
            null(),
            0,
            null(),
            0,
            out.as_mut_ptr(),
            16,
            &mut n,
        )
    };
    assert_eq!(st, wc_status::WC_OK);
    assert_eq!(n, 16);
    assert_eq!(last_error(), "");
    // SAFETY: handles from the matching constructors, freed once.
    unsafe {
        wc_aead_free(a);
        wc_engine_free(e);
    }
}

#[test]
fn strings_round_trip_through_wc_string_free() {
    let e = engine();
    let mut s: *mut c_char = null_mut();
    // SAFETY: a live engine and a valid out-pointer.
    assert_eq!(unsafe { wc_engine_probe_json(e, &mut s) }, wc_status::WC_OK);
    // SAFETY: the library returned a NUL-terminated string.
    let json = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned();
    assert!(json.contains("\"selections\""), "{json}");
    // SAFETY: a string from this library and a live engine, each freed once.
    unsafe {
        wc_string_free(s);
        wc_engine_free(e);
    }
}

/// An input that overlaps the output buffer is copied before the output is written; a
/// hostile length there must come back as a status, not abort the host when the copy
/// cannot be allocated.
#[test]
fn an_overlapping_input_of_hostile_length_is_refused() {
    let e = engine();
    let key = [7u8; 16];
    let iv = [9u8; 12];
    let (mut a, mut s) = (null_mut(), null_mut());
    // SAFETY: a live engine, a C string, key and IV valid for their lengths, out-pointers
    // writable.
    unsafe {
        let name = c"aes-128-gcm".as_ptr();
        assert_eq!(
            wc_aead_new(e, name, key.as_ptr(), 16, &mut a),
            wc_status::WC_OK
        );
        let st = wc_tls_sealer_new(e, 13, name, key.as_ptr(), 16, iv.as_ptr(), 12, &mut s);
        assert_eq!(st, wc_status::WC_OK);
    }
    let mut buf = [0u8; 64];
    let mut n = 0usize;
    let hostile = isize::MAX as usize;
    // SAFETY: the input claims `hostile` bytes at `buf` — the lie under test; the library
    // must refuse before reading past `buf`. Everything else is valid.
    let (aead, tls) = unsafe {
        (
            wc_aead_seal(
                a,
                iv.as_ptr(),
                12,
                null(),
                0,
                buf.as_ptr(),
                hostile,
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
            ),
            wc_tls_seal(
                s,
                23,
                buf.as_ptr(),
                hostile,
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
            ),
        )
    };
    for (what, st) in [("wc_aead_seal", aead), ("wc_tls_seal", tls)] {
        assert_eq!(st, wc_status::WC_ERR_INVALID_ARGUMENT, "{what}");
    }
    assert!(
        last_error().contains("cannot be copied"),
        "{}",
        last_error()
    );
    // SAFETY: handles from this library, each freed once.
    unsafe {
        wc_aead_free(a);
        wc_tls_sealer_free(s);
        wc_engine_free(e);
    }
}
