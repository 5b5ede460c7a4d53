//! The PKCS#11 bare loop: AES-GCM seal and open straight through `cryptoki`, with no
//! engine in between, behind the bench crate's `pkcs11` feature.
//!
//! A token is slow next to the CPU providers, so "pkcs11 is 0.02x rustcrypto" says little
//! about the engine: most of that time is the token's. Measured in the same run on the
//! same token, this loop is what the token itself delivers through `cryptoki`; the engine's
//! `pkcs11` rate as a ratio to it is the engine's own overhead (keyed-object dispatch,
//! argument checks, copying the output back into the caller's buffer).
//!
//! The loop does what the engine's provider does per call, and no more: a single-part
//! `C_Encrypt` (or `C_Decrypt`) with `CKM_AES_GCM`, a fresh 96-bit nonce per seal, the
//! same 13 bytes of AAD and a 128-bit tag, on a sensitive, non-extractable session key
//! (`CKA_TOKEN=false`). Each stream opens its own session and makes its own key in it,
//! as a connection would.
//!
//! # Sharing the module with the engine
//!
//! The engine's `pkcs11` provider has already loaded and initialized the same module in
//! this process, and logged the user in. Here the module is loaded again (the dynamic
//! loader hands back the same library) and `C_Initialize` answers
//! `CKR_CRYPTOKI_ALREADY_INITIALIZED`, which is expected; sessions opened here are then
//! already logged in, and the PIN is read only when one is not (`CKR_USER_ALREADY_LOGGED_IN`
//! is fine too). The PIN is never printed.
//!
//! `C_Finalize` is never called: it would tear the library down under the engine. In
//! cryptoki 0.12 dropping a `Pkcs11` context does not finalize (only the explicit
//! `finalize` does; its `Drop` merely unloads its own reference to the library), but the
//! context is kept for the life of the process anyway, in a static, so that neither this
//! version nor a later one that finalizes on drop can pull the library out from under
//! the engine.

use wirecrypt::{AeadAlg, Algorithm};

use super::measure::{Measurement, Timing};
use super::op::Op;

/// The name of the bare-loop rows in the table and in JSON.
pub const NAME: &str = "pkcs11-bare";

/// What the bare-loop rows are, for the notes and JSON readers.
pub const LABEL: &str = "pkcs11 bare loop (cryptoki)";

/// The engine provider whose rate is compared with the bare loop.
pub const BASELINE_OF: &str = "pkcs11";

/// The note printed when the bare loop is wanted in a build without it.
pub const NOT_BUILT: &str = "pkcs11 bare loop (cryptoki) not measured: built without the \
     bench crate's `pkcs11` feature (`cargo run --release -p wirecrypt-bench --features pkcs11`)";

/// True when this build has the bare loop (the bench crate's `pkcs11` feature).
pub fn linked() -> bool {
    cfg!(feature = "pkcs11")
}

/// True when the bare loop has a workload for `op` of `alg`: AES-GCM seal and open.
pub fn covers(alg: Algorithm, op: Op) -> bool {
    matches!(
        alg,
        Algorithm::Aead(AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm)
    ) && matches!(op, Op::Seal | Op::Open)
}

/// Measures `op` of `alg` on `size`-byte buffers through `cryptoki` on the token the
/// environment names, timed as `timing` says; `None` when this build has no bare loop
/// or [`covers`] says there is none for `op` of `alg`.
#[cfg_attr(not(feature = "pkcs11"), allow(unused_variables))]
pub fn measure(
    alg: Algorithm,
    op: Op,
    size: usize,
    timing: Timing<'_>,
) -> Option<Result<Measurement, String>> {
    if !covers(alg, op) {
        return None;
    }
    #[cfg(feature = "pkcs11")]
    {
        Some(imp::measure(alg, op, size, timing))
    }
    #[cfg(not(feature = "pkcs11"))]
    {
        None
    }
}

#[cfg(feature = "pkcs11")]
mod imp {
    use std::hint::black_box;
    use std::sync::OnceLock;

    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::error::{Error as CkError, RvError};
    use cryptoki::mechanism::Mechanism;
    use cryptoki::mechanism::aead::GcmParams;
    use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
    use cryptoki::session::{Session, SessionState, UserType};
    use cryptoki::slot::Slot;
    use cryptoki::types::AuthPin;
    use wirecrypt::provider::pkcs11::{MODULE_ENV, PIN_ENV, PIN_FILE_ENV, TOKEN_ENV};
    use wirecrypt::{Algorithm, NONCE_LEN, TAG_LEN};

    use super::super::measure::{Measurement, Timing};
    use super::super::op::{self, AAD, OPEN_NONCE, Op};

    /// The token's slot in a loaded, initialized module.
    struct Token {
        context: Pkcs11,
        slot: Slot,
        label: String,
    }

    /// The token, found on first use and kept (or the reason there is none) for the rest
    /// of the process: the context is never dropped, so it can never finalize the
    /// library the engine shares (see the module docs).
    static TOKEN: OnceLock<Result<Token, String>> = OnceLock::new();

    /// The tag length in bits, as CK_GCM_PARAMS wants it.
    const TAG_BITS: u64 = (TAG_LEN * 8) as u64;

    /// The error without cryptoki's paragraph-long descriptions of return values.
    fn short(e: &CkError) -> String {
        match e {
            CkError::Pkcs11(rv, function) => format!("{function} returned {rv:?}"),
            other => other.to_string(),
        }
    }

    fn var(name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }

    pub(super) fn measure(
        alg: Algorithm,
        op: Op,
        size: usize,
        timing: Timing<'_>,
    ) -> Result<Measurement, String> {
        let token = TOKEN.get_or_init(open).as_ref().map_err(Clone::clone)?;
        let session = token.session()?;
        let key = token.create_key(&session, alg.info().key_len)?;
        let result = match op {
            Op::Seal => seal(&session, key, size, timing),
            Op::Open => open_loop(&session, key, size, timing),
            _ => Err(format!("the bare loop has no {op} for {alg}")),
        };
        // A session object dies with its session anyway; this frees it in the token now.
        let _ = session.destroy_object(key);
        result
    }

    /// Loads the module (already initialized by the engine, as a rule) and finds the token.
    fn open() -> Result<Token, String> {
        let module = var(MODULE_ENV).ok_or_else(|| format!("{MODULE_ENV} is not set"))?;
        let label = var(TOKEN_ENV).ok_or_else(|| format!("{TOKEN_ENV} is not set"))?;
        let context = Pkcs11::new(&module)
            .map_err(|e| format!("cannot load PKCS#11 module {module}: {e}"))?;
        match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            // The engine's provider initialized it first: the usual case.
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(format!("{module}: C_Initialize failed: {}", short(&e))),
        }
        let slots = context
            .get_slots_with_token()
            .map_err(|e| format!("{module}: cannot list slots: {}", short(&e)))?;
        let slot = slots
            .into_iter()
            .find(|&slot| {
                context
                    .get_token_info(slot)
                    .is_ok_and(|info| info.token_initialized() && info.label().trim_end() == label)
            })
            .ok_or_else(|| format!("no token labelled '{label}' in {module}"))?;
        Ok(Token {
            context,
            slot,
            label,
        })
    }

    /// The user PIN from the environment or the PIN file; never printed.
    fn pin() -> Result<AuthPin, String> {
        if let Some(pin) = std::env::var_os(PIN_ENV).filter(|p| !p.is_empty()) {
            let pin = pin.into_string().map_err(|bad| {
                // Not a PIN after all, but still secret: overwritten before it is freed.
                let mut bytes = std::os::unix::ffi::OsStringExt::into_vec(bad);
                bytes.fill(0);
                black_box(&bytes);
                format!("{PIN_ENV} is not UTF-8")
            })?;
            return Ok(AuthPin::from(pin));
        }
        let path = var(PIN_FILE_ENV)
            .ok_or_else(|| format!("neither {PIN_ENV} nor {PIN_FILE_ENV} gives the user PIN"))?;
        let mut text = std::fs::read(&path)
            .map_err(|e| format!("cannot read the PIN file {path} ({PIN_FILE_ENV}): {e}"))?;
        let len = text
            .iter()
            .rposition(|b| !matches!(b, b'\n' | b'\r'))
            .map_or(0, |i| i + 1);
        let pin = std::str::from_utf8(&text[..len])
            .map(|p| AuthPin::from(p.to_owned()))
            .map_err(|_| format!("the PIN in {PIN_FILE_ENV} is not UTF-8"));
        // Best effort without a zeroize dependency: overwrite the file's bytes before the
        // buffer is freed (black_box keeps the writes from being optimized away).
        text.fill(0);
        black_box(&text);
        let pin = pin?;
        if len == 0 {
            return Err(format!("the PIN file ({PIN_FILE_ENV}) is empty"));
        }
        Ok(pin)
    }

    impl Token {
        /// A new read-write session, logged in as the user (the engine's login, as a rule).
        fn session(&self) -> Result<Session, String> {
            let session = self.context.open_rw_session(self.slot).map_err(|e| {
                format!(
                    "token '{}': cannot open a session: {}",
                    self.label,
                    short(&e)
                )
            })?;
            let state = session
                .get_session_info()
                .map_err(|e| format!("token '{}': C_GetSessionInfo: {}", self.label, short(&e)))?
                .session_state();
            if matches!(state, SessionState::RwUser | SessionState::RoUser) {
                return Ok(session);
            }
            match session.login(UserType::User, Some(&pin()?)) {
                Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
                Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => Err(format!(
                    "token '{}' refused the PIN (CKR_PIN_INCORRECT)",
                    self.label
                )),
                Err(e) => Err(format!(
                    "token '{}': login failed: {}",
                    self.label,
                    short(&e)
                )),
            }
        }

        /// A sensitive, non-extractable AES session key of `len` bytes, made in `session`.
        fn create_key(&self, session: &Session, len: usize) -> Result<ObjectHandle, String> {
            let template = [
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::AES),
                Attribute::Token(false),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
                Attribute::Label(b"wirecrypt speed bare-loop key".to_vec()),
                Attribute::Value(op::key(len)),
            ];
            session.create_object(&template).map_err(|e| {
                format!(
                    "token '{}': C_CreateObject (AES key): {}",
                    self.label,
                    short(&e)
                )
            })
        }
    }

    /// The mechanism for one call: AES-GCM with `iv`, the shared AAD and a 128-bit tag.
    fn gcm(iv: &mut [u8; NONCE_LEN]) -> Result<Mechanism<'_>, String> {
        GcmParams::new(iv, &AAD, TAG_BITS.into())
            .map(Mechanism::AesGcm)
            .map_err(|e| format!("GCM parameters: {e}"))
    }

    /// Seals the message again and again, a fresh nonce per call.
    fn seal(
        session: &Session,
        key: ObjectHandle,
        size: usize,
        timing: Timing<'_>,
    ) -> Result<Measurement, String> {
        let message = op::message(size);
        let mut counter = 0u64;
        timing.run(size, || {
            counter += 1;
            let mut iv = op::seal_nonce(counter);
            let sealed = session
                .encrypt(&gcm(&mut iv)?, key, black_box(&message))
                .map_err(|e| format!("C_Encrypt (AES-GCM): {}", short(&e)))?;
            black_box(sealed);
            Ok::<(), String>(())
        })
    }

    /// Opens one real sealed message again and again, then checks the plaintext.
    fn open_loop(
        session: &Session,
        key: ObjectHandle,
        size: usize,
        timing: Timing<'_>,
    ) -> Result<Measurement, String> {
        let message = op::message(size);
        let mut iv = OPEN_NONCE;
        let sealed = session
            .encrypt(&gcm(&mut iv)?, key, &message)
            .map_err(|e| format!("C_Encrypt (AES-GCM): {}", short(&e)))?;
        let mut opened = Vec::new();
        let m = timing.run(size, || {
            let mut iv = OPEN_NONCE;
            opened = session
                .decrypt(&gcm(&mut iv)?, key, black_box(&sealed))
                .map_err(|e| format!("C_Decrypt (AES-GCM): {}", short(&e)))?;
            Ok::<(), String>(())
        })?;
        if opened[..] != message[..] {
            return Err("C_Decrypt returned the wrong plaintext".to_owned());
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_aes_gcm_seal_and_open_only() {
        let gcm128: Algorithm = "aes-128-gcm".parse().unwrap();
        let gcm256: Algorithm = "aes-256-gcm".parse().unwrap();
        let chacha: Algorithm = "chacha20-poly1305".parse().unwrap();
        let ctr: Algorithm = "aes-128-ctr".parse().unwrap();
        assert!(covers(gcm128, Op::Seal) && covers(gcm256, Op::Open));
        assert!(!covers(chacha, Op::Seal));
        assert!(!covers(ctr, Op::Encrypt));
        let d = Timing::Alone(std::time::Duration::from_millis(1));
        assert!(measure(chacha, Op::Seal, 64, d).is_none());
        assert!(NOT_BUILT.contains("--features pkcs11"));
    }
}
