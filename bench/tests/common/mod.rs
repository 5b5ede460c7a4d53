//! Shared by the command-line tests that need a PKCS#11 token.

use std::path::PathBuf;
use std::process::Command;

/// A throwaway SoftHSM2 token from `scripts/softhsm-token`; its directory (token and PIN
/// files) is removed when this drops.
pub struct Token {
    /// The `NAME=value` pairs that point wirecrypt at the token.
    pub vars: Vec<(String, String)>,
}

impl Token {
    /// The variables as the runners in `cli_support` take them.
    #[allow(dead_code)] // only the binaries that run a server use it
    pub fn env(&self) -> Vec<(&str, &str)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        if let Some((_, conf)) = self.vars.iter().find(|(k, _)| k == "SOFTHSM2_CONF")
            && let Some(dir) = PathBuf::from(conf).parent()
            && dir.join("user.pin").exists()
        {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Makes a token, or `None` (with the reason printed) when softhsm2 cannot be set up
/// outside CI. In CI that is a failure.
pub fn softhsm_token() -> Option<Token> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/softhsm-token");
    let why = match Command::new(&script).output() {
        Ok(out) if out.status.success() => {
            let vars: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.strip_prefix("export "))
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
                .collect();
            if vars.iter().any(|(k, _)| k == "WIRECRYPT_PKCS11_MODULE") {
                return Some(Token { vars });
            }
            format!("it printed no WIRECRYPT_PKCS11_MODULE: {vars:?}")
        }
        Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
        Err(e) => e.to_string(),
    };
    let msg = format!("cannot make a SoftHSM2 token with {script:?}: {why}");
    assert!(
        std::env::var_os("CI").is_none(),
        "{msg} (CI is set, so this fails)"
    );
    println!("SKIP: {msg}");
    None
}
