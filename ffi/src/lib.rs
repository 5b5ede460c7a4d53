//! The C ABI of the wirecrypt engine (`libwirecrypt.so`, `libwirecrypt.a`).
//!
//! Every symbol is `wc_`-prefixed. So far the library exports only its version; handles
//! for engines, AEAD keys, TLS records and SSH packets come with the C ABI work.

use std::ffi::c_char;

/// The library version as a NUL-terminated string with static lifetime; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn wc_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    #[test]
    fn version_is_a_c_string() {
        // SAFETY: wc_version returns a pointer to a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(super::wc_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
