//! A 64-byte stack buffer for a kernel's secret leftovers (a last keystream block, a
//! Poly1305 key block), wiped with one store.
//!
//! `unsafe` here: one volatile store, which the optimizer may not drop as dead.

#![allow(unsafe_code)]

/// A 64-byte stack buffer, aligned so that one 512-bit store covers it.
#[repr(C, align(64))]
pub(crate) struct Buf64(pub(crate) [u8; 64]);

impl Buf64 {
    /// All zeros.
    #[inline(always)]
    pub(crate) fn zeroed() -> Buf64 {
        Buf64([0; 64])
    }

    /// Zeroes the buffer with a store the optimizer may not remove. (`zeroize` writes a
    /// volatile byte at a time: 64 stores, more than the AES call the bytes came from.)
    #[inline(always)]
    pub(crate) fn wipe(&mut self) {
        // SAFETY: `self` is a valid, aligned and exclusively borrowed `Buf64`.
        unsafe { core::ptr::write_volatile(self, Buf64::zeroed()) }
    }
}
