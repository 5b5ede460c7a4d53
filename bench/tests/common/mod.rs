//! Shared by the command-line tests that need a PKCS#11 token.

use std::path::PathBuf;
use std::process::Command;

/// Makes a throwaway SoftHSM2 token with `scripts/softhsm-token` and returns the
/// environment that points wirecrypt at it; `None` (with the reason printed) when
/// softhsm2 cannot be set up outside CI. In CI that is a failure.
pub fn softhsm_token() -> Option<Vec<(String, String)>> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/softhsm-token");
    let why = match Command::new(&script).output() {
        Ok(out) if out.status.success() => {
            let vars: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.strip_prefix("export "))
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
                .collect();
            assert!(
                vars.iter().any(|(k, _)| k == "WIRECRYPT_PKCS11_MODULE"),
                "the script printed no module: {vars:?}"
            );
            return Some(vars);
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
