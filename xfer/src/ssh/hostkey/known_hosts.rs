//! known_hosts matching, as OpenSSH does it: comma-separated patterns with `*` and `?`,
//! `!` negation, `[host]:port` for ports other than 22, hashed `|1|salt|hash` names
//! (HMAC-SHA1 keyed with the salt), and `@revoked` keys. `ssh-key` parses the file; the
//! matching is here because `ssh-key` has none.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use ssh_key::PublicKey;
use ssh_key::known_hosts::{Entry, HostPatterns, Marker};

use crate::ssh::error::{Result, SshError};

/// What known_hosts says about a host and the key it presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostCheck {
    /// An entry for the host has this key.
    Known,
    /// No entry names the host.
    Unknown,
    /// The host has entries, none with this key (possible man in the middle).
    Changed,
    /// The key is marked `@revoked`.
    Revoked,
}

/// A known_hosts file, loaded.
#[derive(Debug)]
pub struct KnownHosts {
    path: PathBuf,
    entries: Vec<Entry>,
}

/// The name a host is recorded under: `host`, or `[host]:port` when the port is not 22.
pub fn host_label(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Shell-style glob with `*` and `?`, case-insensitive as host names are.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], name) || (!name.is_empty() && glob(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p.eq_ignore_ascii_case(n) => glob(&pattern[1..], &name[1..]),
        _ => false,
    }
}

fn hashed_matches(salt: &[u8], hash: &[u8; 20], label: &str) -> bool {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(salt) else {
        return false;
    };
    mac.update(label.as_bytes());
    mac.verify_slice(hash).is_ok()
}

/// True when `patterns` name `label`: some positive pattern matches and no negated one.
pub fn patterns_match(patterns: &HostPatterns, label: &str) -> bool {
    match patterns {
        HostPatterns::HashedName { salt, hash } => hashed_matches(salt, hash, label),
        HostPatterns::Patterns(list) => {
            let mut hit = false;
            for p in list {
                if let Some(neg) = p.strip_prefix('!') {
                    if glob(neg.as_bytes(), label.as_bytes()) {
                        return false;
                    }
                } else if glob(p.as_bytes(), label.as_bytes()) {
                    hit = true;
                }
            }
            hit
        }
    }
}

impl KnownHosts {
    /// Loads `path`; a missing file is an empty list (it is created on first record).
    /// Lines that do not parse (key types this crate does not know, say) are skipped,
    /// as OpenSSH skips them.
    pub fn load(path: &Path) -> Result<Self> {
        let entries = if path.exists() {
            let text = std::fs::read_to_string(path)
                .map_err(|e| SshError::HostKey(format!("{}: {e}", path.display())))?;
            ssh_key::KnownHosts::new(&text)
                .filter_map(|line| line.ok())
                .collect()
        } else {
            Vec::new()
        };
        Ok(KnownHosts {
            path: path.to_owned(),
            entries,
        })
    }

    /// Checks `key` for `host`:`port`.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> HostCheck {
        let label = host_label(host, port);
        let mut named = false;
        let mut known = false;
        for e in &self.entries {
            if !patterns_match(e.host_patterns(), &label) {
                continue;
            }
            let same = e.public_key().key_data() == key.key_data();
            match e.marker() {
                Some(Marker::Revoked) if same => return HostCheck::Revoked,
                Some(_) => {}
                None => {
                    named = true;
                    known |= same;
                }
            }
        }
        match (known, named) {
            (true, _) => HostCheck::Known,
            (false, true) => HostCheck::Changed,
            (false, false) => HostCheck::Unknown,
        }
    }

    /// Appends an entry for `host`:`port` (plain, not hashed) and keeps it loaded.
    pub fn record(&mut self, host: &str, port: u16, key: &PublicKey) -> Result<()> {
        let mut key = key.clone();
        key.set_comment("");
        let text = key
            .to_openssh()
            .map_err(|e| SshError::HostKey(format!("encoding the host key: {e}")))?;
        let line = format!("{} {}", host_label(host, port), text.trim_end());
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| SshError::HostKey(format!("{}: {e}", self.path.display())))?;
        writeln!(f, "{line}")
            .map_err(|e| SshError::HostKey(format!("{}: {e}", self.path.display())))?;
        let entry = line
            .parse()
            .map_err(|e| SshError::HostKey(format!("re-reading the new entry: {e}")))?;
        self.entries.push(entry);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti";

    fn key_a() -> PublicKey {
        PublicKey::from_openssh(KEY_A).unwrap()
    }

    fn key_b() -> PublicKey {
        let kp = ssh_key::private::Ed25519Keypair::from_seed(&[3; 32]);
        PublicKey::from(kp.public)
    }

    fn load(text: &str) -> KnownHosts {
        // A name of its own per call: tests run in parallel, and two texts may have
        // the same length.
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("wirecrypt-kh-{}-{n}", std::process::id(),));
        std::fs::write(&dir, text).unwrap();
        let kh = KnownHosts::load(&dir).unwrap();
        std::fs::remove_file(&dir).unwrap();
        kh
    }

    #[test]
    fn wildcards_ports_and_negation() {
        let kh = load(&format!(
            "*.example.org,!bad.example.org {KEY_A}\n[10.0.0.?]:2222 {KEY_A}\n"
        ));
        assert_eq!(kh.check("a.example.org", 22, &key_a()), HostCheck::Known);
        assert_eq!(kh.check("A.EXAMPLE.ORG", 22, &key_a()), HostCheck::Known);
        assert_eq!(
            kh.check("bad.example.org", 22, &key_a()),
            HostCheck::Unknown
        );
        assert_eq!(kh.check("a.example.org", 22, &key_b()), HostCheck::Changed);
        assert_eq!(kh.check("10.0.0.7", 2222, &key_a()), HostCheck::Known);
        assert_eq!(kh.check("10.0.0.7", 22, &key_a()), HostCheck::Unknown);
    }

    #[test]
    fn hashed_names_match_by_hmac_sha1() {
        // salt and hash computed for "[127.0.0.1]:2222" with the salt below.
        let salt = [9u8; 20];
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap();
        mac.update(b"[127.0.0.1]:2222");
        let hash: [u8; 20] = mac.finalize().into_bytes().into();
        let patterns = HostPatterns::HashedName {
            salt: salt.to_vec(),
            hash,
        };
        let kh = load(&format!("{} {KEY_A}\n", patterns.to_string()));
        assert_eq!(kh.check("127.0.0.1", 2222, &key_a()), HostCheck::Known);
        assert_eq!(kh.check("127.0.0.1", 2223, &key_a()), HostCheck::Unknown);
    }

    #[test]
    fn comments_and_unparseable_lines_are_skipped() {
        let kh = load(&format!(
            "# a comment\n\nhost ssh-foo AAAA\nnot a valid line\nhost {KEY_A} comment\n"
        ));
        assert_eq!(kh.check("host", 22, &key_a()), HostCheck::Known);
    }

    #[test]
    fn revoked_wins_and_record_appends() {
        let kh = load(&format!("host {KEY_A}\n@revoked * {KEY_A}\n"));
        assert_eq!(kh.check("host", 22, &key_a()), HostCheck::Revoked);
        let path = std::env::temp_dir().join(format!("wirecrypt-kh-rec-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut kh = KnownHosts::load(&path).unwrap();
        assert_eq!(kh.check("127.0.0.1", 2022, &key_b()), HostCheck::Unknown);
        kh.record("127.0.0.1", 2022, &key_b()).unwrap();
        let again = KnownHosts::load(&path).unwrap();
        assert_eq!(again.check("127.0.0.1", 2022, &key_b()), HostCheck::Known);
        std::fs::remove_file(&path).unwrap();
    }
}
