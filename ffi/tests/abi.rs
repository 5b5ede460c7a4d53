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
