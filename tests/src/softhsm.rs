//! A throwaway SoftHSM2 token for the PKCS#11 tests, made by `scripts/softhsm-token`.
//! Without softhsm2 the tests fail when `CI` is set and skip with a printed reason
//! otherwise.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use wirecrypt::provider::pkcs11::MODULE_ENV;

/// The token's settings, read from `scripts/softhsm-token`'s output.
pub struct TokenEnv {
    /// The `NAME=value` pairs the script exported.
    pub vars: Vec<(String, String)>,
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

/// Makes the token once per process and points the environment at it; `None` (with a
/// printed reason) when softhsm2 is missing outside CI.
pub fn token() -> Option<&'static TokenEnv> {
    static TOKEN: OnceLock<Option<TokenEnv>> = OnceLock::new();
    TOKEN
        .get_or_init(|| {
            let script = workspace().join("scripts/softhsm-token");
            let out = Command::new(&script).output();
            let out = match out {
                Ok(o) if o.status.success() => o,
                other => {
                    let why = match other {
                        Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                        Err(e) => e.to_string(),
                    };
                    let msg = format!("cannot make a SoftHSM2 token with {script:?}: {why}");
                    if std::env::var_os("CI").is_some() {
                        panic!("{msg} (CI is set, so this fails)");
                    }
                    println!("SKIP pkcs11 tests: {msg}");
                    return None;
                }
            };
            let vars: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.strip_prefix("export "))
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
                .collect();
            assert!(
                vars.iter().any(|(k, _)| k == MODULE_ENV),
                "the script printed no {MODULE_ENV}: {vars:?}"
            );
            for (k, v) in &vars {
                // SAFETY: every PKCS#11 test calls `token()` before it reads the
                // environment or starts a thread, and this runs once, inside the
                // OnceLock, while the others wait for it.
                unsafe { std::env::set_var(k, v) };
            }
            Some(TokenEnv { vars })
        })
        .as_ref()
}
