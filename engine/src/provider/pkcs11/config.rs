//! Where the token is: module, label and PIN, from the environment. The PIN is never
//! logged, never printed, and never taken from a command line.

use std::fmt;
use std::path::PathBuf;

use crate::SecretBytes;

/// The PKCS#11 module (shared library) to load.
pub const MODULE_ENV: &str = "WIRECRYPT_PKCS11_MODULE";
/// The label of the token to use.
pub const TOKEN_ENV: &str = "WIRECRYPT_PKCS11_TOKEN";
/// The user PIN.
pub const PIN_ENV: &str = "WIRECRYPT_PKCS11_PIN";
/// A file holding the user PIN (one line; a trailing newline is ignored).
pub const PIN_FILE_ENV: &str = "WIRECRYPT_PKCS11_PIN_FILE";
/// The most threads (each with its own session) one AES-GCM batch runs on, 1 to 8;
/// unset, 1: every batch on the calling thread (SoftHSM2 ran batches slower on threads).
/// More pays off on a token that serves several sessions at once — an HSM, whose calls
/// wait on the device, or ICSF.
pub const BATCH_THREADS_ENV: &str = "WIRECRYPT_PKCS11_BATCH_THREADS";

/// A token to use.
pub(super) struct Config {
    pub(super) module: PathBuf,
    pub(super) label: String,
    pub(super) pin: Pin,
    /// [`BATCH_THREADS_ENV`], 1 when unset.
    pub(super) batch_threads: usize,
}

/// A user PIN, zeroized on drop and redacted in `Debug`.
pub(super) struct Pin(SecretBytes);

impl Pin {
    pub(super) fn expose(&self) -> &[u8] {
        self.0.expose()
    }

    pub(super) fn expose_str(&self) -> Result<&str, String> {
        std::str::from_utf8(self.0.expose()).map_err(|_| "the PKCS#11 PIN is not UTF-8".to_owned())
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("module", &self.module)
            .field("label", &self.label)
            .field("pin", &self.pin)
            .field("batch_threads", &self.batch_threads)
            .finish()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    /// The configuration in the environment, or what is missing.
    pub(super) fn from_env() -> Result<Config, String> {
        let module = var(MODULE_ENV).ok_or_else(|| {
            format!(
                "set {MODULE_ENV} (the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so), \
                 {TOKEN_ENV} (the token label) and {PIN_ENV} or {PIN_FILE_ENV}; \
                 scripts/softhsm-token makes a test token"
            )
        })?;
        let label = var(TOKEN_ENV).ok_or_else(|| {
            format!("{MODULE_ENV} is set but {TOKEN_ENV} (the token label) is not")
        })?;
        let pin = match (std::env::var_os(PIN_ENV), var(PIN_FILE_ENV)) {
            (Some(pin), _) if !pin.is_empty() => {
                // The copy taken from the environment is wiped, valid or not.
                let pin = zeroize::Zeroizing::new(std::os::unix::ffi::OsStringExt::into_vec(pin));
                if std::str::from_utf8(&pin).is_err() {
                    return Err(format!("{PIN_ENV} is not UTF-8"));
                }
                SecretBytes::new(&pin)
            }
            (_, Some(path)) => {
                let mut text = std::fs::read(&path).map_err(|e| {
                    format!("cannot read the PIN file {path} ({PIN_FILE_ENV}): {e}")
                })?;
                let len = text
                    .iter()
                    .rposition(|b| !matches!(b, b'\n' | b'\r'))
                    .map_or(0, |i| i + 1);
                let pin = SecretBytes::new(&text[..len]);
                zeroize::Zeroize::zeroize(&mut text);
                pin
            }
            _ => {
                return Err(format!(
                    "{MODULE_ENV} is set but neither {PIN_ENV} nor {PIN_FILE_ENV} gives the user PIN"
                ));
            }
        };
        if pin.is_empty() {
            return Err(format!(
                "the PKCS#11 PIN ({PIN_ENV} or {PIN_FILE_ENV}) is empty"
            ));
        }
        Ok(Config {
            module: PathBuf::from(module),
            label,
            pin: Pin(pin),
            batch_threads: parse_batch_threads(var(BATCH_THREADS_ENV).as_deref())?,
        })
    }
}

/// [`BATCH_THREADS_ENV`]'s value: unset (1), or a whole number from 1 to the most
/// workers.
fn parse_batch_threads(value: Option<&str>) -> Result<usize, String> {
    let Some(v) = value else { return Ok(1) };
    let max = super::batch::MAX_WORKERS;
    match v.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{BATCH_THREADS_ENV} must be a whole number from 1 to {max} (1 keeps batches on \
             the calling thread), got '{v}'"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_threads_are_1_to_8_or_unset() {
        assert_eq!(parse_batch_threads(None), Ok(1));
        assert_eq!(parse_batch_threads(Some("1")), Ok(1));
        assert_eq!(parse_batch_threads(Some(" 8 ")), Ok(8));
        for bad in ["0", "9", "-1", "two", "1.5"] {
            let e = parse_batch_threads(Some(bad)).unwrap_err();
            assert!(e.contains(BATCH_THREADS_ENV) && e.contains(bad), "{e}");
        }
    }
}
