//! User authentication (RFC 4252): the messages, and the server's decisions. No I/O.
//!
//! The server accepts `publickey` (ed25519, ecdsa, rsa-sha2) against an authorized_keys
//! file, and `password` through a [`PasswordCheck`] hook (the users-file module plugs in
//! there). Every failed attempt counts; after [`ServerAuth::max_attempts`] the connection
//! is closed, and each failure is answered only after [`ServerAuth::failure_delay`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ssh_key::PublicKey;

use crate::ssh::error::{Result, SshError};
use crate::ssh::hostkey::{self, KeyPair};
use crate::ssh::wire::{Reader, Writer, msg};

/// The service user authentication runs under, and the one it grants.
pub const USERAUTH: &str = "ssh-userauth";
/// The connection protocol's service name.
pub const CONNECTION: &str = "ssh-connection";

/// Public-key signature algorithms accepted for user authentication, best first.
pub const USER_KEY_ALGORITHMS: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "rsa-sha2-512",
    "rsa-sha2-256",
];

/// Checks a user's password (the users-file module implements it).
pub trait PasswordCheck: Send + Sync {
    /// True when `password` is right for `user`. Must take the same time for unknown
    /// users as for known ones.
    fn check(&self, user: &str, password: &str) -> bool;
}

/// The keys of an authorized_keys file (options are not enforced).
#[derive(Clone, Debug, Default)]
pub struct AuthorizedKeys {
    keys: Vec<PublicKey>,
}

impl AuthorizedKeys {
    /// Reads an authorized_keys file.
    pub fn read_file(path: &Path) -> Result<Self> {
        let entries = ssh_key::AuthorizedKeys::read_file(path)
            .map_err(|e| SshError::Key(format!("{}: {e}", path.display())))?;
        Ok(AuthorizedKeys {
            keys: entries
                .into_iter()
                .map(|e| e.public_key().clone())
                .collect(),
        })
    }

    /// A list of keys.
    pub fn from_keys(keys: Vec<PublicKey>) -> Self {
        AuthorizedKeys { keys }
    }

    fn contains(&self, key: &PublicKey) -> bool {
        self.keys.iter().any(|k| k.key_data() == key.key_data())
    }
}

/// The data a `publickey` signature covers (RFC 4252 §7).
pub fn signed_data(session_id: &[u8], user: &str, alg: &str, blob: &[u8]) -> Vec<u8> {
    Writer::new()
        .string(session_id)
        .u8(msg::USERAUTH_REQUEST)
        .str(user)
        .str(CONNECTION)
        .str("publickey")
        .bool(true)
        .str(alg)
        .string(blob)
        .finish()
}

/// A signed `publickey` request for `user` with `key`, choosing the signature
/// algorithm from what the server named in `server-sig-algs` (if it did).
pub fn publickey_request(
    session_id: &[u8],
    user: &str,
    key: &KeyPair,
    server_sig_algs: Option<&[String]>,
) -> Result<Vec<u8>> {
    let algs = key.signature_algorithms();
    let alg = algs
        .iter()
        .find(|a| server_sig_algs.is_none_or(|s| s.contains(a)))
        .or(algs.first())
        .ok_or_else(|| SshError::Auth("the identity key has an unsupported type".into()))?;
    let blob = key.public_blob();
    let sig = key.sign(alg, &signed_data(session_id, user, alg, &blob))?;
    Ok(Writer::msg(msg::USERAUTH_REQUEST)
        .str(user)
        .str(CONNECTION)
        .str("publickey")
        .bool(true)
        .str(alg)
        .string(&blob)
        .string(&sig)
        .finish())
}

/// A `password` request.
pub fn password_request(user: &str, password: &str) -> Vec<u8> {
    Writer::msg(msg::USERAUTH_REQUEST)
        .str(user)
        .str(CONNECTION)
        .str("password")
        .bool(false)
        .str(password)
        .finish()
}

/// How the server authenticates users.
#[derive(Clone)]
pub struct ServerAuth {
    /// Keys accepted for `publickey` (for every user name).
    pub authorized_keys: Option<AuthorizedKeys>,
    /// The password hook, if passwords are accepted.
    pub password: Option<Arc<dyn PasswordCheck>>,
    /// Failed attempts allowed before the connection is closed.
    pub max_attempts: u32,
    /// How long each failure is held before it is answered.
    pub failure_delay: Duration,
    /// Public-key algorithms accepted (narrowed in FIPS mode).
    pub key_algorithms: Vec<String>,
}

impl std::fmt::Debug for ServerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAuth")
            .field("authorized_keys", &self.authorized_keys)
            .field("password", &self.password.is_some())
            .field("max_attempts", &self.max_attempts)
            .field("failure_delay", &self.failure_delay)
            .finish()
    }
}

impl Default for ServerAuth {
    fn default() -> Self {
        ServerAuth {
            authorized_keys: None,
            password: None,
            max_attempts: 6,
            failure_delay: Duration::from_millis(300),
            key_algorithms: USER_KEY_ALGORITHMS.iter().map(|s| (*s).into()).collect(),
        }
    }
}

/// What the server does with one USERAUTH_REQUEST.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Authenticated as this user: send USERAUTH_SUCCESS.
    Success(String),
    /// Send this reply (PK_OK, or FAILURE for a `none` probe) without counting.
    Reply(Vec<u8>),
    /// A failed attempt: delay, then send this FAILURE.
    Failure(Vec<u8>),
    /// Too many failures: disconnect.
    TooMany,
}

/// The server's userauth state for one connection.
#[derive(Debug)]
pub struct ServerAuthState {
    cfg: ServerAuth,
    failures: u32,
}

impl ServerAuthState {
    /// A fresh state.
    pub fn new(cfg: ServerAuth) -> Self {
        ServerAuthState { cfg, failures: 0 }
    }

    fn failure(&self) -> Vec<u8> {
        let mut methods = Vec::new();
        if self.cfg.authorized_keys.is_some() {
            methods.push("publickey");
        }
        if self.cfg.password.is_some() {
            methods.push("password");
        }
        Writer::msg(msg::USERAUTH_FAILURE)
            .names(&methods)
            .bool(false)
            .finish()
    }

    fn fail(&mut self) -> Decision {
        self.failures += 1;
        if self.failures >= self.cfg.max_attempts {
            Decision::TooMany
        } else {
            Decision::Failure(self.failure())
        }
    }

    /// Decides on one USERAUTH_REQUEST payload.
    pub fn decide(&mut self, session_id: &[u8], payload: &[u8]) -> Result<Decision> {
        let mut r = Reader::new(&payload[1..]);
        let user = r.str()?.to_owned();
        let service = r.str()?;
        let method = r.str()?;
        if service != CONNECTION {
            return Err(SshError::Auth(format!("unknown service {service:?}")));
        }
        match method {
            "none" => Ok(Decision::Reply(self.failure())),
            "publickey" => {
                let Some(keys) = &self.cfg.authorized_keys else {
                    return Ok(self.fail());
                };
                let signed = r.bool()?;
                let alg = r.str()?;
                let blob = r.string()?;
                let Ok(key) = hostkey::parse_public(blob) else {
                    return Ok(self.fail());
                };
                let usable = self.cfg.key_algorithms.iter().any(|a| a == alg)
                    && hostkey::algorithm_fits(&key, alg)
                    && hostkey::check_strength(&key).is_ok()
                    && keys.contains(&key);
                if !usable {
                    return Ok(self.fail());
                }
                if !signed {
                    return Ok(Decision::Reply(
                        Writer::msg(msg::USERAUTH_PK_OK)
                            .str(alg)
                            .string(blob)
                            .finish(),
                    ));
                }
                let sig = r.string()?;
                let data = signed_data(session_id, &user, alg, blob);
                match hostkey::verify(&key, alg, &data, sig) {
                    Ok(()) => Ok(Decision::Success(user)),
                    Err(_) => Ok(self.fail()),
                }
            }
            "password" => {
                let Some(check) = self.cfg.password.clone() else {
                    return Ok(self.fail());
                };
                let _change = r.bool()?;
                let password = r.str()?;
                if check.check(&user, password) {
                    Ok(Decision::Success(user))
                } else {
                    Ok(self.fail())
                }
            }
            _ => Ok(Decision::Reply(self.failure())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> KeyPair {
        let kp = ssh_key::private::Ed25519Keypair::from_seed(&[seed; 32]);
        KeyPair::new(ssh_key::PrivateKey::from(kp)).unwrap()
    }

    struct Fixed;
    impl PasswordCheck for Fixed {
        fn check(&self, user: &str, password: &str) -> bool {
            user == "ann" && password == "right"
        }
    }

    #[test]
    fn publickey_signed_by_an_authorized_key_succeeds() {
        let good = key(1);
        let cfg = ServerAuth {
            authorized_keys: Some(AuthorizedKeys::from_keys(vec![good.public_key().clone()])),
            ..Default::default()
        };
        let mut st = ServerAuthState::new(cfg);
        let req = publickey_request(b"sid", "bob", &good, None).unwrap();
        assert_eq!(
            st.decide(b"sid", &req).unwrap(),
            Decision::Success("bob".into())
        );
        // Signed over another session: refused.
        let req = publickey_request(b"other", "bob", &good, None).unwrap();
        assert!(matches!(
            st.decide(b"sid", &req).unwrap(),
            Decision::Failure(_)
        ));
        // A key not in the file: refused.
        let req = publickey_request(b"sid", "bob", &key(2), None).unwrap();
        assert!(matches!(
            st.decide(b"sid", &req).unwrap(),
            Decision::Failure(_)
        ));
    }

    #[test]
    fn password_hook_and_attempt_limit() {
        let cfg = ServerAuth {
            password: Some(Arc::new(Fixed)),
            max_attempts: 3,
            ..Default::default()
        };
        let mut st = ServerAuthState::new(cfg);
        let ok = password_request("ann", "right");
        assert_eq!(
            st.decide(b"s", &ok).unwrap(),
            Decision::Success("ann".into())
        );
        let bad = password_request("ann", "wrong");
        assert!(matches!(
            st.decide(b"s", &bad).unwrap(),
            Decision::Failure(_)
        ));
        assert!(matches!(
            st.decide(b"s", &bad).unwrap(),
            Decision::Failure(_)
        ));
        assert_eq!(st.decide(b"s", &bad).unwrap(), Decision::TooMany);
    }
}
