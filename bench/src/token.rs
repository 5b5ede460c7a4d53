//! `wirecrypt token`: long-term keys in the PKCS#11 token — generate a server key pair
//! inside it, show a key's public half, delete a pair. The token comes from
//! `WIRECRYPT_PKCS11_MODULE`, `WIRECRYPT_PKCS11_TOKEN` and `WIRECRYPT_PKCS11_PIN` or
//! `WIRECRYPT_PKCS11_PIN_FILE`, as for the `pkcs11` provider; the PIN is never an argument.
//!
//! The public key is printed as PEM `SubjectPublicKeyInfo`, which a CA turns into a
//! certificate (for example `openssl x509 -new -force_pubkey pub.pem ...`); the private
//! key never leaves the token.

use std::error::Error;

use crate::engine_args::EngineArgs;

/// Arguments of `wirecrypt token`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Generate a key pair inside the token (private key sensitive, never extractable).
    Keygen {
        /// The label (CKA_LABEL) of the new pair; must not exist yet.
        #[arg(long)]
        label: String,
        /// ecdsa-p256 or rsa-2048.
        #[arg(long, default_value = "ecdsa-p256")]
        kind: String,
    },
    /// Show a key pair: kind, the schemes it signs with, its public key as PEM.
    Show {
        /// The pair's label.
        #[arg(long)]
        label: String,
    },
    /// Delete the private and public key objects with this label.
    Delete {
        /// The pair's label.
        #[arg(long)]
        label: String,
    },
}

/// Runs `wirecrypt token` through the `pkcs11` provider: the engine options choose it
/// as on every command (another forced provider is an error), and in FIPS mode the
/// self-tests must have passed before the token is touched.
#[cfg(feature = "pkcs11")]
pub fn run(args: &Args, engine: &EngineArgs) -> Result<(), Box<dyn Error>> {
    use wirecrypt::ProviderId;
    use wirecrypt::provider::pkcs11::{KeyKind, Pkcs11};

    engine.engine_on(ProviderId::Pkcs11)?.status()?;
    // The same token the engine just logged in to (one login per process).
    let token = Pkcs11::from_env()?;
    match &args.command {
        Command::Keygen { label, kind } => {
            let kind: KeyKind = kind.parse()?;
            let key = token.generate_key_pair(label, kind)?;
            println!(
                "generated {kind} key pair '{label}' in the token: private key sensitive, never extractable; pair-wise consistency test passed"
            );
            describe(&key);
        }
        Command::Show { label } => describe(&token.key_pair(label)?),
        Command::Delete { label } => {
            let n = token.delete_key_pair(label)?;
            if n == 0 {
                return Err(format!("the token holds no key objects labelled '{label}'").into());
            }
            println!("deleted {n} key objects labelled '{label}'");
        }
    }
    Ok(())
}

/// Without the `pkcs11` feature there is no token to talk to.
#[cfg(not(feature = "pkcs11"))]
pub fn run(_: &Args, engine: &EngineArgs) -> Result<(), Box<dyn Error>> {
    use crate::engine_args::EngineArgsError;
    use wirecrypt::{Error::ProviderUnavailable, ProviderId::Pkcs11};
    match engine.engine_on(Pkcs11) {
        // The engine cannot have the provider in this build.
        Ok(_)
        | Err(EngineArgsError::Engine {
            error: ProviderUnavailable { id: Pkcs11, .. },
            ..
        }) => Err(
            "this wirecrypt was built without the `pkcs11` feature; rebuild with --features pkcs11"
                .into(),
        ),
        // The user's own choice is wrong (an unknown or another provider, an unclear
        // WIRECRYPT_FIPS).
        Err(e) => Err(e.into()),
    }
}

#[cfg(feature = "pkcs11")]
fn describe(key: &wirecrypt::provider::pkcs11::TokenKey) {
    let schemes: Vec<&str> = key.schemes().iter().map(|s| s.tls_name()).collect();
    println!("kind: {}", key.kind());
    println!("signs with: {}", schemes.join(", "));
    print!("{}", pem("PUBLIC KEY", key.spki_der()));
}

/// PEM (RFC 7468): base64 in 64-character lines between BEGIN and END lines.
#[cfg_attr(not(feature = "pkcs11"), allow(dead_code))]
fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::pem;

    #[test]
    fn pem_is_rfc_4648_base64_in_64_column_lines() {
        // RFC 4648 §10's test vectors, one per padding case.
        for (input, b64) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let text = pem("X", input.as_bytes());
            let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
            assert_eq!(body, b64, "{input:?}");
        }
        let long = pem("PUBLIC KEY", &[0xff; 91]);
        let lines: Vec<&str> = long.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2].len(), 124 - 64);
        assert_eq!(lines[3], "-----END PUBLIC KEY-----");
    }
}
