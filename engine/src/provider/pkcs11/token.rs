//! The token: one initialized PKCS#11 context per module per process, one logged-in
//! owner session that creates and destroys key objects, and one session per thread for
//! the operations (`cryptoki::Session` is `Send`, not `Sync`).
//!
//! A token can be *lost* under a running engine: the module finalized, the application
//! logged out, its sessions closed, the device removed. Session objects (every key) die
//! with it. The first operation that gets such an answer marks the token lost; from then
//! on every key made through it fails at once with [`Error::Token`] (`lost: true`)
//! rather than hand stale handles to the module — after a new login the module may give
//! the same numbers to new sessions and objects, which a stale `C_CloseSession` or
//! `C_DestroyObject` would hit. The next engine built opens and logs in afresh.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::MechanismType;
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use sha2::Digest as _;
use zeroize::Zeroize;

use super::config::Config;
use crate::Error;

/// A logged-in token, shared by every provider and key that uses it.
pub(super) struct Token {
    pub(super) module: PathBuf,
    pub(super) label: String,
    pub(super) slot: Slot,
    pub(super) library: String,
    pub(super) model: String,
    pub(super) serial: String,
    pub(super) mechanisms: Vec<MechanismType>,
    /// (mechanism, min, max) key sizes in bytes, from C_GetMechanismInfo, for the HMACs.
    pub(super) key_sizes: Vec<(MechanismType, usize, usize)>,
    context: Pkcs11,
    /// Creates and destroys key objects. Session objects die with the session that made
    /// them, so they are made here, in a session that lives as long as the token, and
    /// not in a worker thread's session. It also keeps the login alive: PKCS#11 logs the
    /// application out when its last session closes. `None` only while dropping.
    owner: Mutex<Option<Session>>,
    /// Sessions that batch workers (short-lived threads) hand back when they finish, lent
    /// to the next batch's workers: a batch then pays neither `C_OpenSession` nor
    /// `C_CloseSession` per worker.
    spare: Mutex<Vec<Session>>,
    /// Set once the module answered that the token, its login or its sessions are gone.
    lost: Arc<AtomicBool>,
    /// The answer that lost it, for the errors of every later call.
    lost_code: OnceLock<String>,
    /// Tells this token's per-thread sessions from those of tokens opened before it.
    generation: u64,
}

impl Drop for Token {
    fn drop(&mut self) {
        let owner = self.owner.get_mut().unwrap_or_else(PoisonError::into_inner);
        let lost = self.lost.load(Ordering::Acquire);
        let spare = self.spare.get_mut().unwrap_or_else(PoisonError::into_inner);
        for session in spare.drain(..) {
            if !lost {
                let _ = session.close();
            }
        }
        if let Some(session) = owner.take()
            && !lost
        {
            // Nothing to do about a failure: the module is shutting the session anyway.
            let _ = session.close();
        }
    }
}

/// The most spare sessions a token keeps for batch workers (one per worker).
const MAX_SPARE: usize = super::batch::MAX_WORKERS;

/// Return values after which the engine's sessions, login or key objects are gone.
const LOST: [RvError; 8] = [
    RvError::CryptokiNotInitialized,
    RvError::SessionHandleInvalid,
    RvError::SessionClosed,
    RvError::UserNotLoggedIn,
    RvError::DeviceRemoved,
    RvError::DeviceError,
    RvError::TokenNotPresent,
    RvError::TokenNotRecognized,
];

/// Sessions are opened with `open_rw_session_no_drop` and closed here, only while their
/// token is not lost (see the module docs).
struct ThreadSession {
    generation: u64,
    lost: Arc<AtomicBool>,
    session: Option<Session>,
}

impl Drop for ThreadSession {
    fn drop(&mut self) {
        if let Some(session) = self.session.take()
            && !self.lost.load(Ordering::Acquire)
        {
            let _ = session.close();
        }
    }
}

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Loaded modules and tokens, never unloaded: C_Initialize runs once per module per
/// process (concurrent or repeated initialization has crashed SoftHSM). Tokens are keyed
/// by module, label and the SHA-256 of the PIN: a later configuration with another PIN is
/// refused, though the token itself would answer "already logged in".
struct Registry {
    contexts: Vec<(PathBuf, Pkcs11)>,
    tokens: Vec<Opened>,
}

/// A token opened (or tried) by module, label and PIN hash.
type Opened = (PathBuf, String, [u8; 32], Result<Arc<Token>, String>);

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    contexts: Vec::new(),
    tokens: Vec::new(),
});

thread_local! {
    /// This thread's sessions, one per token.
    static SESSIONS: RefCell<Vec<ThreadSession>> = const { RefCell::new(Vec::new()) };
}

/// The token `config` names, opened and logged in on first use and shared after that.
/// A failure is remembered too, so a wrong PIN is tried once, not on every engine build
/// (a real HSM locks the token after a few).
pub(super) fn open(config: &Config) -> Result<Arc<Token>, String> {
    let pin_hash: [u8; 32] = sha2::Sha256::digest(config.pin.expose()).into();
    let mut reg = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    let same = |m: &PathBuf, l: &String| *m == config.module && *l == config.label;
    // A lost token is opened again: that is how an application recovers from a
    // finalized module or closed sessions.
    reg.tokens
        .retain(|(_, _, _, r)| !r.as_ref().is_ok_and(|t| t.lost.load(Ordering::Acquire)));
    if let Some((_, _, _, found)) = reg
        .tokens
        .iter()
        .find(|(m, l, h, _)| same(m, l) && crate::ct::bytes_eq(h, &pin_hash))
    {
        return found.clone();
    }
    if reg
        .tokens
        .iter()
        .any(|(m, l, _, r)| same(m, l) && r.is_ok())
    {
        return Err(format!(
            "the PIN for token '{}' differs from the one this process already logged in with",
            config.label
        ));
    }
    let result = login(&mut reg, config).map(Arc::new);
    reg.tokens.push((
        config.module.clone(),
        config.label.clone(),
        pin_hash,
        result.clone(),
    ));
    result
}

/// The module's context, loaded once and initialized: again after a C_Finalize, which
/// the module answers with success where a live one answers "already initialized".
fn context(reg: &mut Registry, module: &Path) -> Result<Pkcs11, String> {
    let ctx = match reg.contexts.iter().find(|(m, _)| m == module) {
        Some((_, ctx)) => ctx.clone(),
        None => {
            if !module.exists() {
                return Err(format!(
                    "PKCS#11 module {} does not exist (WIRECRYPT_PKCS11_MODULE)",
                    module.display()
                ));
            }
            let ctx = Pkcs11::new(module)
                .map_err(|e| format!("cannot load PKCS#11 module {}: {e}", module.display()))?;
            reg.contexts.push((module.to_owned(), ctx.clone()));
            ctx
        }
    };
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(format!(
                "PKCS#11 module {} failed to initialize: {e}",
                module.display()
            ));
        }
    }
    Ok(ctx)
}

fn login(reg: &mut Registry, config: &Config) -> Result<Token, String> {
    let ctx = context(reg, &config.module)?;
    let module = config.module.display();
    let slots = ctx
        .get_slots_with_token()
        .map_err(|e| format!("{module}: cannot list slots: {e}"))?;
    let mut labels = Vec::new();
    let mut found = None;
    for slot in slots {
        let Ok(info) = ctx.get_token_info(slot) else {
            continue;
        };
        let label = info.label().trim_end().to_owned();
        if !info.token_initialized() {
            continue;
        }
        if label == config.label {
            found = Some((slot, info));
            break;
        }
        labels.push(label);
    }
    let Some((slot, info)) = found else {
        let seen = if labels.is_empty() {
            "none".to_owned()
        } else {
            labels.join("', '")
        };
        return Err(format!(
            "no token labelled '{}' in {module} (initialized tokens: '{seen}'); check WIRECRYPT_PKCS11_TOKEN",
            config.label
        ));
    };
    let owner = ctx
        .open_rw_session_no_drop(slot)
        .map_err(|e| format!("token '{}': cannot open a session: {e}", config.label))?;
    // The token owns the session from here on, and its drop closes it on every exit.
    let mut token = Token {
        module: config.module.clone(),
        label: config.label.clone(),
        slot,
        library: String::new(),
        model: format!(
            "{} {}",
            info.manufacturer_id().trim_end(),
            info.model().trim_end()
        ),
        serial: info.serial_number().trim_end().to_owned(),
        mechanisms: Vec::new(),
        key_sizes: Vec::new(),
        context: ctx.clone(),
        owner: Mutex::new(Some(owner)),
        spare: Mutex::new(Vec::new()),
        lost: Arc::new(AtomicBool::new(false)),
        lost_code: OnceLock::new(),
        generation: GENERATION.fetch_add(1, Ordering::Relaxed),
    };
    let pin = AuthPin::new(config.pin.expose_str()?.into());
    let login = token.with_owner("C_Login", |s| match s.login(UserType::User, Some(&pin)) {
        Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        other => other,
    });
    match login {
        Ok(()) => {}
        Err(Error::Token { code, .. }) if code == "CKR_PIN_INCORRECT" => {
            return Err(format!(
                "token '{}' refused the PIN (CKR_PIN_INCORRECT); check WIRECRYPT_PKCS11_PIN or WIRECRYPT_PKCS11_PIN_FILE",
                config.label
            ));
        }
        Err(Error::Token { code, .. }) if code == "CKR_PIN_LOCKED" => {
            return Err(format!(
                "token '{}' is locked after too many wrong PINs (CKR_PIN_LOCKED)",
                config.label
            ));
        }
        Err(e) => return Err(format!("token '{}': login failed: {e}", config.label)),
    }
    let mechanisms = ctx
        .get_mechanism_list(slot)
        .map_err(|e| format!("token '{}': cannot list mechanisms: {e}", config.label))?;
    let key_sizes = [
        MechanismType::SHA1_HMAC,
        MechanismType::SHA256_HMAC,
        MechanismType::SHA512_HMAC,
    ]
    .into_iter()
    .filter(|m| mechanisms.contains(m))
    .filter_map(|m| {
        let info = ctx.get_mechanism_info(slot, m).ok()?;
        Some((m, info.min_key_size(), info.max_key_size()))
    })
    .collect();
    let library = ctx
        .get_library_info()
        .map(|i| {
            let v = i.library_version();
            format!(
                "{} {}.{} ({})",
                i.library_description().trim_end(),
                v.major(),
                v.minor(),
                i.manufacturer_id().trim_end()
            )
        })
        .unwrap_or_else(|e| format!("unknown ({e})"));
    token.library = library;
    token.mechanisms = mechanisms;
    token.key_sizes = key_sizes;
    Ok(token)
}

impl Token {
    /// True when the token lists `mechanism`.
    pub(super) fn has(&self, mechanism: MechanismType) -> bool {
        self.mechanisms.contains(&mechanism)
    }

    /// The (min, max) key sizes in bytes the token reports for `mechanism`.
    pub(super) fn key_size_range(&self, mechanism: MechanismType) -> Option<(usize, usize)> {
        self.key_sizes
            .iter()
            .find(|(m, _, _)| *m == mechanism)
            .map(|&(_, min, max)| (min, max))
    }

    /// Runs `f` on this thread's session (opened on first use) and turns a failure into
    /// [`Error::Token`] naming `operation`.
    pub(super) fn run<R>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Session) -> cryptoki::error::Result<R>,
    ) -> Result<R, Error> {
        self.run_raw(operation, f)?
            .map_err(|e| self.error(operation, &e))
    }

    /// Like [`run`](Token::run), but hands the module's answer back as it is, for callers
    /// that read some answers as something else (a bad GCM tag). The outer error is a
    /// token lost before the call, or a session that could not be opened.
    pub(super) fn run_raw<R>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Session) -> cryptoki::error::Result<R>,
    ) -> Result<cryptoki::error::Result<R>, Error> {
        self.check(operation)?;
        SESSIONS.with(|cell| {
            let mut sessions = cell.borrow_mut();
            // Sessions of lost tokens are forgotten, never closed (see the module docs).
            sessions.retain(|t| !t.lost.load(Ordering::Acquire));
            let index = match sessions
                .iter()
                .position(|t| t.generation == self.generation)
            {
                Some(i) => i,
                None => {
                    let session = self
                        .context
                        .open_rw_session_no_drop(self.slot)
                        .map_err(|e| self.error(operation, &e))?;
                    sessions.push(ThreadSession {
                        generation: self.generation,
                        lost: self.lost.clone(),
                        session: Some(session),
                    });
                    sessions.len() - 1
                }
            };
            let session = sessions[index]
                .session
                .as_ref()
                .expect("a thread session is only taken when dropped");
            let result = f(session);
            if let Err(e) = &result {
                // Marks the token lost if the answer says so.
                let _ = self.error(operation, e);
            }
            Ok(result)
        })
    }

    /// Runs `f` — a batch worker on a thread of its own — with a spare session as this
    /// thread's session, and hands the thread's session back to the spares afterwards
    /// (closing it only past [`MAX_SPARE`]; forgetting it once the token is lost, as
    /// every session of a lost token). A worker that finds no spare opens one on its
    /// first call, as any thread does.
    pub(super) fn lend_session(&self, f: &mut dyn FnMut()) {
        let spare = self
            .spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let unused = SESSIONS.with(|cell| {
            let mut sessions = cell.borrow_mut();
            match spare {
                Some(session) if !sessions.iter().any(|t| t.generation == self.generation) => {
                    sessions.push(ThreadSession {
                        generation: self.generation,
                        lost: self.lost.clone(),
                        session: Some(session),
                    });
                    None
                }
                // A thread that has its own session already keeps it; the spare goes back.
                other => other,
            }
        });
        if let Some(session) = unused {
            self.spare
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(session);
        }
        f();
        let back = SESSIONS.with(|cell| {
            let mut sessions = cell.borrow_mut();
            let i = sessions
                .iter()
                .position(|t| t.generation == self.generation)?;
            // Taken out, the entry's drop closes nothing.
            sessions.swap_remove(i).session.take()
        });
        if let Some(session) = back
            && !self.lost.load(Ordering::Acquire)
        {
            let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
            if spare.len() < MAX_SPARE {
                spare.push(session);
            } else {
                drop(spare);
                let _ = session.close();
            }
        }
    }

    /// Fails fast once the token is lost: its keys and sessions are gone.
    fn check(&self, operation: &'static str) -> Result<(), Error> {
        if !self.lost.load(Ordering::Acquire) {
            return Ok(());
        }
        let code = self
            .lost_code
            .get()
            .map_or("CKR_SESSION_HANDLE_INVALID", |c| c);
        Err(Error::Token {
            token: self.label.clone(),
            operation,
            code: format!("{code} (answered earlier)"),
            lost: true,
        })
    }

    /// `e` as an engine error; marks the token lost when the answer means it is.
    pub(super) fn error(&self, operation: &'static str, e: &CkError) -> Error {
        let lost = match e {
            CkError::Pkcs11(rv, _) if LOST.contains(rv) => true,
            CkError::Pkcs11(RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid, _) => {
                !self.logged_in()
            }
            _ => false,
        };
        let code = code(e);
        if lost {
            let _ = self.lost_code.set(code.clone());
            self.lost.store(true, Ordering::Release);
        }
        Error::Token {
            token: self.label.clone(),
            operation,
            code,
            lost,
        }
    }

    /// Runs `f` on the owner session, which makes and destroys key objects.
    pub(super) fn with_owner<R>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Session) -> cryptoki::error::Result<R>,
    ) -> Result<R, Error> {
        self.check(operation)?;
        let result = {
            let owner = self.owner.lock().unwrap_or_else(PoisonError::into_inner);
            let session = owner
                .as_ref()
                .expect("the owner session is only taken when the token drops");
            f(session)
        };
        // The lock is released first: `error` may ask the owner session about the login.
        result.map_err(|e| self.error(operation, &e))
    }

    /// Whether the owner session is still open and logged in. Asked when an object
    /// handle is refused: a deleted token key is that key's problem, a logout or closed
    /// sessions (which take every session key along) are the token's.
    fn logged_in(&self) -> bool {
        let owner = self.owner.lock().unwrap_or_else(PoisonError::into_inner);
        owner
            .as_ref()
            .and_then(|s| s.get_session_info().ok())
            .is_some_and(|info| {
                matches!(
                    info.session_state(),
                    SessionState::RwUser | SessionState::RoUser | SessionState::RwSecurityOfficer
                )
            })
    }

    /// Creates a session key object from `template` (whose `Value` is wiped afterwards),
    /// destroyed when the returned [`SessionKey`] drops.
    pub(super) fn create_key(
        self: &Arc<Self>,
        operation: &'static str,
        mut template: Vec<Attribute>,
    ) -> Result<SessionKey, Error> {
        let result = self.with_owner(operation, |s| s.create_object(&template));
        for attr in &mut template {
            if let Attribute::Value(v) = attr {
                v.zeroize();
            }
        }
        Ok(SessionKey {
            token: self.clone(),
            handle: result?,
        })
    }

    /// Destroys a session key object, unless the token is lost (and the object with it).
    fn destroy_key(&self, key: ObjectHandle) {
        // Nothing useful can be done about a failure here: the object is a session
        // object and dies with its session at the latest.
        let _ = self.with_owner("C_DestroyObject", |s| s.destroy_object(key));
    }
}

/// A session key object in the token (sensitive, non-extractable), destroyed on drop.
pub(super) struct SessionKey {
    /// The token that holds it.
    pub(super) token: Arc<Token>,
    /// Its handle, valid while `token` is not lost.
    pub(super) handle: ObjectHandle,
}

impl Drop for SessionKey {
    fn drop(&mut self) {
        self.token.destroy_key(self.handle);
    }
}

/// The PKCS#11 name of the answer (`CKR_PIN_INCORRECT`), or the library's message.
pub(super) fn code(e: &CkError) -> String {
    match e {
        CkError::Pkcs11(RvError::VendorDefined(v) | RvError::UnknownErrorCode(v), _) => {
            format!("CKR 0x{v:08X}")
        }
        CkError::Pkcs11(rv, _) => {
            let mut name = String::from("CKR");
            for c in format!("{rv:?}").chars() {
                if c.is_ascii_uppercase() {
                    name.push('_');
                }
                name.push(c.to_ascii_uppercase());
            }
            name
        }
        other => other.to_string(),
    }
}
