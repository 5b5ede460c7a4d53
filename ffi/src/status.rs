//! Status codes, the thread-local last-error message, and the guard every exported
//! function runs its body in: no panic crosses the C boundary.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use wirecrypt_engine::Error;

/// What every `wc_` function returns. `WC_OK` is zero; on any other value
/// `wc_last_error()` says what went wrong.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum wc_status {
    /// Success.
    WC_OK = 0,
    /// A required pointer was NULL (or a data pointer was NULL with a nonzero length).
    WC_ERR_NULL_POINTER = 1,
    /// A bad argument: key, nonce or IV length, unknown version, non-UTF-8 name, input
    /// shorter than its tag.
    WC_ERR_INVALID_ARGUMENT = 2,
    /// The output buffer is too small; `*out_len` holds the size needed.
    WC_ERR_BUFFER_TOO_SMALL = 3,
    /// The tag or MAC did not verify; no plaintext was released (the buffer is wiped).
    WC_ERR_AUTH_FAILED = 4,
    /// Unknown algorithm or provider, or no available provider implements it.
    WC_ERR_UNSUPPORTED = 5,
    /// FIPS mode refuses the algorithm or the use (e.g. a caller-chosen GCM nonce).
    WC_ERR_FIPS_REFUSED = 6,
    /// A self-test failed; in FIPS mode the engine is in its error state.
    WC_ERR_SELF_TEST = 7,
    /// A malformed, oversized or unexpected TLS record or SSH packet.
    WC_ERR_RECORD = 8,
    /// A key reached its usage limit (key update, rekey, sequence number exhausted).
    WC_ERR_LIMIT = 9,
    /// A panic was caught at the boundary; free the handle involved.
    WC_ERR_PANIC = 10,
    /// Anything else (random generator failure, ...).
    WC_ERR_INTERNAL = 11,
    /// A PKCS#11 token failed an operation; `wc_last_error()` names the token, the
    /// operation and the `CKR_` code. If it says the token was lost (finalized, logged
    /// out, sessions closed), keys made before are gone: free them and make a new engine.
    WC_ERR_TOKEN = 12,
}

/// A failed call: its status and message.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) status: wc_status,
    pub(crate) message: String,
}

impl Fail {
    pub(crate) fn new(status: wc_status, message: impl Into<String>) -> Fail {
        Fail {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn null(what: &str) -> Fail {
        Fail::new(wc_status::WC_ERR_NULL_POINTER, format!("{what} is NULL"))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Fail {
        Fail::new(wc_status::WC_ERR_INVALID_ARGUMENT, message)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        use wc_status::*;
        let status = match &e {
            Error::AuthenticationFailed => WC_ERR_AUTH_FAILED,
            Error::BufferTooSmall { .. } => WC_ERR_BUFFER_TOO_SMALL,
            Error::FipsNotApproved { .. } => WC_ERR_FIPS_REFUSED,
            Error::SelfTestFailed(_) => WC_ERR_SELF_TEST,
            Error::UnknownProvider { .. }
            | Error::ProviderUnavailable { .. }
            | Error::Unsupported { .. }
            | Error::NoProvider { .. }
            | Error::UnknownAlgorithm { .. } => WC_ERR_UNSUPPORTED,
            Error::InvalidKeyLength { .. }
            | Error::InvalidNonceLength { .. }
            | Error::InvalidTagLength { .. }
            | Error::InputTooShort { .. }
            | Error::InputTooLong { .. }
            | Error::Config(_) => WC_ERR_INVALID_ARGUMENT,
            Error::RecordOverflow { .. } | Error::Malformed(_) | Error::UnexpectedMessage(_) => {
                WC_ERR_RECORD
            }
            Error::KeyUpdateRequired { .. }
            | Error::SequenceExhausted
            | Error::RekeyRequired { .. }
            | Error::CounterOverflow { .. } => WC_ERR_LIMIT,
            Error::Token { .. } => WC_ERR_TOKEN,
            _ => WC_ERR_INTERNAL,
        };
        Fail::new(status, e.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = c);
}

/// Runs `body`, turning its error or panic into a status and the thread's last-error
/// message. Every exported function that can fail goes through here.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Fail>) -> wc_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            set_last_error("");
            wc_status::WC_OK
        }
        Ok(Err(fail)) => {
            set_last_error(&fail.message);
            fail.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            // Dropping the payload could itself panic; leak it instead.
            std::mem::forget(payload);
            set_last_error(&format!("internal panic caught at the C boundary: {what}"));
            wc_status::WC_ERR_PANIC
        }
    }
}

/// The message describing the last call on this thread that returned a status other than
/// `WC_OK` (empty after a call that succeeded). Never NULL. The pointer stays valid until
/// the next `wc_` call on this thread; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn wc_last_error() -> *const c_char {
    catch_unwind(|| LAST_ERROR.with(|slot| slot.borrow().as_ptr()))
        .unwrap_or(c"internal panic while reading the last error".as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last() -> String {
        // SAFETY: wc_last_error returns a valid NUL-terminated string owned by this thread.
        unsafe { CStr::from_ptr(wc_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let status = guard(|| panic!("boom"));
        assert_eq!(status, wc_status::WC_ERR_PANIC);
        assert!(last().contains("boom"), "{}", last());
        assert_eq!(guard(|| Ok(())), wc_status::WC_OK);
        assert_eq!(last(), "");
    }

    #[test]
    fn engine_errors_map_to_statuses() {
        assert_eq!(
            guard(|| Err(Error::AuthenticationFailed.into())),
            wc_status::WC_ERR_AUTH_FAILED
        );
        assert!(last().contains("authentication failed"));
    }
}
