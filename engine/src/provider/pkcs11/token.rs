//! The token: one initialized PKCS#11 context per module per process, one logged-in
//! owner session that creates and destroys key objects, and one session per thread for
//! the operations (`cryptoki::Session` is `Send`, not `Sync`).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::MechanismType;
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use sha2::Digest as _;
use zeroize::Zeroize;

use super::config::Config;
use crate::{Error, ProviderId};

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
    /// them, so they are made here, in a session that lives as long as the process, and
    /// not in a worker thread's session. It also keeps the login alive: PKCS#11 logs the
    /// application out when its last session closes.
    owner: Mutex<Session>,
}

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
    /// This thread's sessions, by token address.
    static SESSIONS: RefCell<Vec<(usize, Session)>> = const { RefCell::new(Vec::new()) };
}

/// The token `config` names, opened and logged in on first use and shared after that.
/// A failure is remembered too, so a wrong PIN is tried once, not on every engine build
/// (a real HSM locks the token after a few).
pub(super) fn open(config: &Config) -> Result<Arc<Token>, String> {
    let pin_hash: [u8; 32] = sha2::Sha256::digest(config.pin.expose()).into();
    let mut reg = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    let same = |m: &PathBuf, l: &String| *m == config.module && *l == config.label;
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

fn context(reg: &mut Registry, module: &Path) -> Result<Pkcs11, String> {
    if let Some((_, ctx)) = reg.contexts.iter().find(|(m, _)| m == module) {
        return Ok(ctx.clone());
    }
    if !module.exists() {
        return Err(format!(
            "PKCS#11 module {} does not exist (WIRECRYPT_PKCS11_MODULE)",
            module.display()
        ));
    }
    let ctx = Pkcs11::new(module)
        .map_err(|e| format!("cannot load PKCS#11 module {}: {e}", module.display()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(format!(
                "PKCS#11 module {} failed to initialize: {e}",
                module.display()
            ));
        }
    }
    reg.contexts.push((module.to_owned(), ctx.clone()));
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
        .open_rw_session(slot)
        .map_err(|e| format!("token '{}': cannot open a session: {e}", config.label))?;
    let pin = AuthPin::new(config.pin.expose_str()?.into());
    match owner.login(UserType::User, Some(&pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
            return Err(format!(
                "token '{}' refused the PIN (CKR_PIN_INCORRECT); check WIRECRYPT_PKCS11_PIN or WIRECRYPT_PKCS11_PIN_FILE",
                config.label
            ));
        }
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
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
    Ok(Token {
        module: config.module.clone(),
        label: config.label.clone(),
        slot,
        library,
        model: format!(
            "{} {}",
            info.manufacturer_id().trim_end(),
            info.model().trim_end()
        ),
        serial: info.serial_number().trim_end().to_owned(),
        mechanisms,
        key_sizes,
        context: ctx,
        owner: Mutex::new(owner),
    })
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

    /// Runs `f` on this thread's session, opening it on first use. A session the token
    /// has invalidated (closed, token removed) is dropped so the next call opens another.
    pub(super) fn with_session<R>(
        &self,
        f: impl FnOnce(&Session) -> cryptoki::error::Result<R>,
    ) -> cryptoki::error::Result<R> {
        let id = self as *const Token as usize;
        SESSIONS.with(|cell| {
            let mut sessions = cell.borrow_mut();
            let index = match sessions.iter().position(|(t, _)| *t == id) {
                Some(i) => i,
                None => {
                    let s = self.context.open_rw_session(self.slot)?;
                    sessions.push((id, s));
                    sessions.len() - 1
                }
            };
            let result = f(&sessions[index].1);
            if let Err(CkError::Pkcs11(
                RvError::SessionHandleInvalid | RvError::SessionClosed | RvError::DeviceRemoved,
                _,
            )) = &result
            {
                sessions.swap_remove(index);
            }
            result
        })
    }

    /// Creates a session key object from `template` (whose `Value` is wiped afterwards).
    pub(super) fn create_key(
        &self,
        mut template: Vec<Attribute>,
    ) -> Result<ObjectHandle, cryptoki::error::Error> {
        let owner = self.owner.lock().unwrap_or_else(PoisonError::into_inner);
        let result = owner.create_object(&template);
        for attr in &mut template {
            if let Attribute::Value(v) = attr {
                v.zeroize();
            }
        }
        result
    }

    /// Destroys a key object made by [`create_key`](Token::create_key).
    pub(super) fn destroy_key(&self, key: ObjectHandle) {
        let owner = self.owner.lock().unwrap_or_else(PoisonError::into_inner);
        // Nothing useful can be done about a failure here: the object is a session
        // object and dies with the process at the latest.
        let _ = owner.destroy_object(key);
    }
}

/// A token failure during an operation, as an engine error.
pub(super) fn op_error(op: &str, e: &CkError) -> Error {
    Error::ProviderUnavailable {
        id: ProviderId::Pkcs11,
        reason: format!("PKCS#11 {op} failed: {}", short(e)),
    }
}

/// The error without cryptoki's paragraph-long descriptions of return values.
pub(super) fn short(e: &CkError) -> String {
    match e {
        CkError::Pkcs11(rv, function) => format!("{function} returned {rv:?}"),
        other => other.to_string(),
    }
}
