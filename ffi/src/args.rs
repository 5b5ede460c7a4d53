//! Checked conversions from C arguments to Rust references. Each helper rejects NULL
//! (except a data pointer with zero length) before anything is dereferenced.

use std::ffi::{CStr, c_char};
use std::ptr::NonNull;

use zeroize::Zeroizing;

use crate::status::Fail;

/// Input bytes: `ptr` may be NULL only when `len` is zero.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reads of `len` bytes for `'a`, and not written
/// through any other pointer during `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Fail> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Fail::null(what));
    }
    if len > isize::MAX as usize {
        return Err(Fail::invalid(format!("{what} length {len} is too large")));
    }
    // SAFETY: non-NULL, len <= isize::MAX, and the caller guarantees validity for reads.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Output bytes: `ptr` may be NULL only when `cap` is zero.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reads and writes of `cap` bytes for `'a`, and not
/// accessed through any other pointer during `'a`.
pub(crate) unsafe fn bytes_mut<'a>(
    ptr: *mut u8,
    cap: usize,
    what: &str,
) -> Result<&'a mut [u8], Fail> {
    if cap == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(Fail::null(what));
    }
    if cap > isize::MAX as usize {
        return Err(Fail::invalid(format!("{what} length {cap} is too large")));
    }
    // SAFETY: non-NULL, cap <= isize::MAX, and the caller guarantees exclusive validity.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, cap) })
}

/// True when `[a, a+alen)` and `[b, b+blen)` share a byte.
pub(crate) fn overlaps(a: *const u8, alen: usize, b: *const u8, blen: usize) -> bool {
    let (a, b) = (a as usize, b as usize);
    alen != 0 && blen != 0 && a < b.saturating_add(blen) && b < a.saturating_add(alen)
}

/// Refuses out-parameters that share a byte with `buf[..len]`, the buffer a call works
/// on in place: writing a result there would corrupt the buffer (and alias the mutable
/// slice made of it). Each entry is (pointer, size in bytes, name).
pub(crate) fn outputs_beside(
    buf: *const u8,
    len: usize,
    buf_name: &str,
    outputs: &[(*const u8, usize, &str)],
) -> Result<(), Fail> {
    for &(ptr, n, what) in outputs {
        if overlaps(buf, len, ptr, n) {
            return Err(Fail::invalid(format!("{what} overlaps {buf_name}")));
        }
    }
    Ok(())
}

/// An out-parameter of type `T` as an entry for [`outputs_beside`].
pub(crate) fn out_bytes<T>(ptr: *mut T, what: &str) -> (*const u8, usize, &str) {
    (
        ptr.cast::<u8>().cast_const(),
        std::mem::size_of::<T>(),
        what,
    )
}

/// Input bytes that may overlap an output buffer.
pub(crate) enum Input<'a> {
    /// No overlap: read in place.
    Borrowed(&'a [u8]),
    /// Overlap: a copy, wiped on drop.
    Copied(Zeroizing<Vec<u8>>),
}

impl std::ops::Deref for Input<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Input::Borrowed(b) => b,
            Input::Copied(v) => v,
        }
    }
}

/// Input bytes that may overlap the output buffer `out[..out_cap]` (in-place use, or a
/// nonce or AAD kept inside the output buffer): copied when they do, so that no shared
/// and mutable slices alias and every input is read before `out` is written.
///
/// # Safety
/// As for [`bytes`]. Call before any mutable slice of `out` exists.
pub(crate) unsafe fn input_beside<'a>(
    ptr: *const u8,
    len: usize,
    out: *const u8,
    out_cap: usize,
    what: &str,
) -> Result<Input<'a>, Fail> {
    // SAFETY: forwarded from the caller's contract.
    let input = unsafe { bytes(ptr, len, what) }?;
    if !overlaps(ptr, len, out, out_cap) {
        return Ok(Input::Borrowed(input));
    }
    // A hostile length must fail as an error, not abort the host on allocation failure.
    let mut copy = Zeroizing::new(Vec::new());
    copy.try_reserve_exact(len).map_err(|_| {
        Fail::invalid(format!(
            "{what} overlaps out and cannot be copied: {len} bytes is more memory than there is"
        ))
    })?;
    copy.extend_from_slice(input);
    Ok(Input::Copied(copy))
}

/// A UTF-8 C string; NULL is refused.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn string<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Fail> {
    if ptr.is_null() {
        return Err(Fail::null(what));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let s = unsafe { CStr::from_ptr(ptr) };
    s.to_str()
        .map_err(|_| Fail::invalid(format!("{what} is not valid UTF-8")))
}

/// A UTF-8 C string, or `None` for NULL.
///
/// # Safety
/// As for [`string`].
pub(crate) unsafe fn opt_string<'a>(
    ptr: *const c_char,
    what: &str,
) -> Result<Option<&'a str>, Fail> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded from the caller's contract.
        unsafe { string(ptr, what) }.map(Some)
    }
}

/// A shared reference to a handle; NULL is refused.
///
/// # Safety
/// A non-NULL `ptr` must come from the matching `wc_*_new` and not yet be freed.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Fail> {
    // SAFETY: the caller guarantees a live handle when non-NULL.
    unsafe { ptr.as_ref() }.ok_or_else(|| Fail::null(what))
}

/// An exclusive reference to a handle; NULL is refused.
///
/// # Safety
/// As for [`handle`], and no other thread may use the handle during `'a`.
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T, Fail> {
    // SAFETY: the caller guarantees a live handle used by one thread at a time.
    unsafe { ptr.as_mut() }.ok_or_else(|| Fail::null(what))
}

/// An out-parameter checked to be non-NULL, written only on success paths.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Writes the value.
    pub(crate) fn set(&self, value: T) {
        // SAFETY: `out` checked the pointer is non-NULL and its caller promised it is
        // valid and aligned for writes of T; `write` does not read the old value.
        unsafe { self.0.as_ptr().write(value) }
    }
}

impl Out<usize> {
    /// Refuses an output buffer of `cap` bytes when `needed` are needed: the size needed
    /// goes to this out-parameter and the call fails with `WC_ERR_BUFFER_TOO_SMALL`.
    pub(crate) fn ensure_room(&self, needed: usize, cap: usize) -> Result<(), Fail> {
        if cap >= needed {
            return Ok(());
        }
        self.set(needed);
        Err(Fail::new(
            crate::status::wc_status::WC_ERR_BUFFER_TOO_SMALL,
            format!("output buffer too small: need {needed} bytes, have {cap}"),
        ))
    }
}

/// Checks an out-parameter.
///
/// # Safety
/// A non-NULL `ptr` must be valid and aligned for writes of `T` for as long as the
/// returned [`Out`] is used.
pub(crate) unsafe fn out<T>(ptr: *mut T, what: &str) -> Result<Out<T>, Fail> {
    NonNull::new(ptr).map(Out).ok_or_else(|| Fail::null(what))
}

/// A constructor's out-parameter: set to NULL first, then to the handle `make` builds
/// (left NULL when it fails).
///
/// # Safety
/// As for [`out`], for `out`.
pub(crate) unsafe fn new_handle<H>(
    out: *mut *mut H,
    make: impl FnOnce() -> Result<H, Fail>,
) -> Result<(), Fail> {
    // SAFETY: forwarded from the caller's contract.
    let out = unsafe { self::out(out, "out") }?;
    out.set(std::ptr::null_mut());
    out.set(Box::into_raw(Box::new(make()?)));
    Ok(())
}

/// Frees a handle made by `Box::into_raw`; NULL is a no-op.
///
/// # Safety
/// A non-NULL `ptr` must come from `Box::<T>::into_raw` and not yet be freed.
pub(crate) unsafe fn free<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: the caller guarantees ptr came from Box::into_raw and is freed once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}
