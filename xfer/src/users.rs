//! The users file shared by the FTP and SFTP servers.
//!
//! One user per line, self-describing so the hash parameters can change later without
//! breaking old entries:
//!
//! ```text
//! # comment
//! alice:pbkdf2-sha256:600000:<salt, hex>:<hash, hex>
//! bob:pbkdf2-sha256:600000:<salt, hex>:<hash, hex>:/srv/bob
//! ```
//!
//! A sixth field, optional, names the user's own root directory (the rest of the line,
//! so it may hold colons): the FTP and SFTP servers confine that user to it instead of
//! the server's root. A relative root is taken relative to the server's root.
//!
//! Passwords are hashed with PBKDF2-HMAC-SHA256 (ring) under a random 16-byte salt and a
//! high iteration count, and checked with ring's constant-time `pbkdf2::verify`. Unknown
//! users cost the same work as known ones, so timing does not tell which names exist.
//! [`LoginLimiter`] slows and then refuses repeated failures from one peer. Nothing here
//! ever logs or prints a password or a hash.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::io::Write;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, pbkdf2};

/// The scheme name written in each line.
const SCHEME: &str = "pbkdf2-sha256";
/// Iterations for new entries (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Lines naming fewer iterations than this are refused as too weak to trust.
pub const MIN_ITERATIONS: u32 = 1_000;
/// Refuse absurd counts from a hostile file (each verification would take minutes).
const MAX_ITERATIONS: u32 = 100_000_000;
const SALT_LEN: usize = 16;
const HASH_LEN: usize = digest::SHA256_OUTPUT_LEN;
const MAX_NAME_LEN: usize = 64;
/// Passwords longer than this are refused rather than hashed (bounded work per attempt).
pub const MAX_PASSWORD_LEN: usize = 1024;
/// A users file larger than this is refused on load.
const MAX_FILE_LEN: u64 = 16 << 20;

/// What can go wrong with a users file.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The file could not be read or written.
    #[error("users file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is malformed; the line number is 1-based. The line itself is not shown
    /// because it holds a hash.
    #[error("users file line {line}: {reason}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A user name is empty, too long or has characters outside `[A-Za-z0-9._@-]`.
    #[error("invalid user name (1-64 characters of A-Z a-z 0-9 . _ @ -)")]
    BadName,
    /// The user already exists (use [`UsersFile::set_password`] to change it).
    #[error("user {0} already exists")]
    Exists(String),
    /// No such user.
    #[error("no user {0}")]
    NoSuchUser(String),
    /// The password is empty or longer than [`MAX_PASSWORD_LEN`].
    #[error("password must be 1 to {MAX_PASSWORD_LEN} bytes")]
    BadPassword,
    /// The system random generator failed.
    #[error("random generator failed")]
    Random,
    /// A root directory is empty or holds control characters (a newline would end the
    /// entry).
    #[error("invalid root directory (empty, or with control characters)")]
    BadRoot,
    /// The file is larger than any sane users file.
    #[error("users file is larger than 16 MiB")]
    TooLarge,
}

/// One user's stored credential.
#[derive(Clone, PartialEq, Eq)]
struct Entry {
    iterations: NonZeroU32,
    salt: Vec<u8>,
    hash: [u8; HASH_LEN],
    /// The user's own root directory, if the entry names one.
    root: Option<String>,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("iterations", &self.iterations)
            .field("hash", &"<redacted>")
            .field("root", &self.root)
            .finish()
    }
}

/// The set of users a server accepts, loaded from and saved to a users file.
#[derive(Clone, Debug)]
pub struct UsersFile {
    users: BTreeMap<String, Entry>,
    iterations: NonZeroU32,
    /// Verified against when the user is unknown, so the cost is the same.
    decoy: Entry,
}

impl Default for UsersFile {
    fn default() -> Self {
        Self::new()
    }
}

impl UsersFile {
    /// An empty set of users; new entries use [`DEFAULT_ITERATIONS`].
    pub fn new() -> Self {
        let iterations = NonZeroU32::new(DEFAULT_ITERATIONS).expect("non-zero constant");
        UsersFile {
            users: BTreeMap::new(),
            iterations,
            decoy: Entry {
                iterations,
                salt: vec![0; SALT_LEN],
                hash: [0; HASH_LEN],
                root: None,
            },
        }
    }

    /// Sets the iteration count for entries added from now on (at least
    /// [`MIN_ITERATIONS`]; tests use the minimum to stay quick).
    pub fn with_iterations(mut self, iterations: u32) -> Self {
        let n = iterations.clamp(MIN_ITERATIONS, MAX_ITERATIONS);
        self.iterations = NonZeroU32::new(n).expect("clamped above zero");
        self.decoy.iterations = self.iterations;
        self
    }

    /// Reads a users file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, UsersError> {
        let path = path.as_ref();
        let io = |source| UsersError::Io {
            path: path.display().to_string(),
            source,
        };
        if fs::metadata(path).map_err(io)?.len() > MAX_FILE_LEN {
            return Err(UsersError::TooLarge);
        }
        Self::parse(&fs::read_to_string(path).map_err(io)?)
    }

    /// Parses the text of a users file.
    pub fn parse(text: &str) -> Result<Self, UsersError> {
        let mut file = UsersFile::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason| UsersError::Parse {
                line: i + 1,
                reason,
            };
            let fields: Vec<&str> = line.splitn(6, ':').collect();
            let (name, scheme, iterations, salt, hash, root) = match fields[..] {
                [name, scheme, iterations, salt, hash] => {
                    (name, scheme, iterations, salt, hash, None)
                }
                [name, scheme, iterations, salt, hash, root] => {
                    check_root(root).map_err(|_| bad("invalid root directory"))?;
                    (name, scheme, iterations, salt, hash, Some(root.to_owned()))
                }
                _ => return Err(bad("expected name:scheme:iterations:salt:hash[:root]")),
            };
            check_name(name).map_err(|_| bad("invalid user name"))?;
            if scheme != SCHEME {
                return Err(bad("unknown hash scheme"));
            }
            let iterations: u32 = iterations.parse().map_err(|_| bad("bad iteration count"))?;
            if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
                return Err(bad("iteration count out of range"));
            }
            let salt = hex::decode(salt).map_err(|_| bad("salt is not hex"))?;
            if salt.len() < 8 || salt.len() > 64 {
                return Err(bad("salt must be 8 to 64 bytes"));
            }
            let hash: [u8; HASH_LEN] = hex::decode(hash)
                .ok()
                .and_then(|h| h.try_into().ok())
                .ok_or(bad("hash must be 32 bytes of hex"))?;
            let entry = Entry {
                iterations: NonZeroU32::new(iterations).expect("range checked"),
                salt,
                hash,
                root,
            };
            if file.users.insert(name.to_owned(), entry).is_some() {
                return Err(bad("duplicate user"));
            }
        }
        Ok(file)
    }

    /// The file's text, one line per user, in name order.
    pub fn to_text(&self) -> String {
        let mut out =
            String::from("# wirecrypt users: name:pbkdf2-sha256:iterations:salt:hash[:root]\n");
        for (name, e) in &self.users {
            out.push_str(&format!(
                "{name}:{SCHEME}:{}:{}:{}",
                e.iterations,
                hex::encode(&e.salt),
                hex::encode(e.hash)
            ));
            if let Some(root) = &e.root {
                out.push(':');
                out.push_str(root);
            }
            out.push('\n');
        }
        out
    }

    /// Writes the file atomically (a temporary file renamed over it), readable by its
    /// owner only on Unix.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), UsersError> {
        let path = path.as_ref();
        let io = |source| UsersError::Io {
            path: path.display().to_string(),
            source,
        };
        let tmp = path.with_extension("tmp");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp).map_err(io)?;
        f.write_all(self.to_text().as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        fs::rename(&tmp, path).map_err(io)
    }

    /// Adds a user; fails if the name is taken.
    pub fn add(&mut self, name: &str, password: &str) -> Result<(), UsersError> {
        check_name(name)?;
        if self.users.contains_key(name) {
            return Err(UsersError::Exists(name.to_owned()));
        }
        let entry = self.hash_new(password)?;
        self.users.insert(name.to_owned(), entry);
        Ok(())
    }

    /// Replaces an existing user's password.
    pub fn set_password(&mut self, name: &str, password: &str) -> Result<(), UsersError> {
        if !self.users.contains_key(name) {
            return Err(UsersError::NoSuchUser(name.to_owned()));
        }
        let root = self.users.get(name).and_then(|e| e.root.clone());
        let entry = Entry {
            root,
            ..self.hash_new(password)?
        };
        self.users.insert(name.to_owned(), entry);
        Ok(())
    }

    /// Sets (or with `None` clears) the user's own root directory: absolute, or
    /// relative to the server's root. It must be non-empty and free of control
    /// characters.
    pub fn set_root(&mut self, name: &str, root: Option<&str>) -> Result<(), UsersError> {
        if let Some(r) = root {
            check_root(r)?;
        }
        let entry = self
            .users
            .get_mut(name)
            .ok_or_else(|| UsersError::NoSuchUser(name.to_owned()))?;
        entry.root = root.map(str::to_owned);
        Ok(())
    }

    /// The root directory the entry for `name` names, as written in the file.
    pub fn root(&self, name: &str) -> Option<&str> {
        self.users.get(name)?.root.as_deref()
    }

    /// The directory `name` is confined to on a server whose root is `server_root`: the
    /// user's own root (a relative one under `server_root`), or `server_root` itself for
    /// users without one and for names not in the file.
    pub fn root_for(&self, name: &str, server_root: &Path) -> PathBuf {
        match self.root(name) {
            Some(r) => server_root.join(r),
            None => server_root.to_path_buf(),
        }
    }

    /// Removes a user; true if it existed.
    pub fn remove(&mut self, name: &str) -> bool {
        self.users.remove(name).is_some()
    }

    /// The user names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// True if `name` exists and `password` is its password. Takes the same time for an
    /// unknown user as for a wrong password; the comparison is constant-time.
    pub fn verify(&self, name: &str, password: &str) -> bool {
        if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
            return false;
        }
        let (entry, known) = match self.users.get(name) {
            Some(e) => (e, true),
            None => (&self.decoy, false),
        };
        let ok = pbkdf2::verify(
            pbkdf2::PBKDF2_HMAC_SHA256,
            entry.iterations,
            &entry.salt,
            password.as_bytes(),
            &entry.hash,
        )
        .is_ok();
        ok && known
    }

    fn hash_new(&self, password: &str) -> Result<Entry, UsersError> {
        if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
            return Err(UsersError::BadPassword);
        }
        let mut salt = vec![0; SALT_LEN];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| UsersError::Random)?;
        let mut hash = [0; HASH_LEN];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            self.iterations,
            &salt,
            password.as_bytes(),
            &mut hash,
        );
        Ok(Entry {
            iterations: self.iterations,
            salt,
            hash,
            root: None,
        })
    }
}

fn check_name(name: &str) -> Result<(), UsersError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
    if ok { Ok(()) } else { Err(UsersError::BadName) }
}

/// A root directory must say something and fit on its line.
fn check_root(root: &str) -> Result<(), UsersError> {
    if root.trim().is_empty() || root.chars().any(char::is_control) {
        return Err(UsersError::BadRoot);
    }
    Ok(())
}

/// Slows down and then refuses repeated login failures from one peer address.
///
/// Each failure earns a delay that doubles (from `base_delay`, capped at `max_delay`)
/// before the server answers; after `max_failures` within `window` the peer is refused
/// outright until the window passes. A success clears the peer's record. The table is
/// bounded: when full, the stalest record is dropped.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    base_delay: Duration,
    max_delay: Duration,
    peers: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

const MAX_TRACKED_PEERS: usize = 4096;

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::new(10, Duration::from_secs(300), Duration::from_millis(500))
    }
}

impl LoginLimiter {
    /// A limiter refusing a peer after `max_failures` failures within `window`, each
    /// failure delayed by `base_delay` doubled per earlier failure (at most 8 s).
    pub fn new(max_failures: u32, window: Duration, base_delay: Duration) -> Self {
        LoginLimiter {
            max_failures,
            window,
            base_delay,
            max_delay: Duration::from_secs(8),
            peers: Mutex::new(HashMap::new()),
        }
    }

    /// True if `peer` may try to log in now.
    pub fn allowed(&self, peer: IpAddr) -> bool {
        let peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        match peers.get(&peer) {
            Some((n, since)) => *n < self.max_failures || since.elapsed() > self.window,
            None => true,
        }
    }

    /// Records a failure and returns how long to wait before answering it.
    pub fn failed(&self, peer: IpAddr) -> Duration {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        if peers.len() >= MAX_TRACKED_PEERS
            && !peers.contains_key(&peer)
            && let Some(stalest) = peers.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| *k)
        {
            peers.remove(&stalest);
        }
        let rec = peers.entry(peer).or_insert((0, Instant::now()));
        if rec.1.elapsed() > self.window {
            *rec = (0, Instant::now());
        }
        rec.0 += 1;
        let doublings = (rec.0 - 1).min(16);
        (self.base_delay * (1u32 << doublings)).min(self.max_delay)
    }

    /// Clears `peer`'s failures after a successful login.
    pub fn succeeded(&self, peer: IpAddr) {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> UsersFile {
        UsersFile::new().with_iterations(MIN_ITERATIONS)
    }

    #[test]
    fn add_verify_remove() {
        let mut u = quick();
        u.add("alice", "correct horse").unwrap();
        assert!(u.verify("alice", "correct horse"));
        assert!(!u.verify("alice", "correct hors"));
        assert!(!u.verify("bob", "correct horse"));
        assert!(matches!(u.add("alice", "x"), Err(UsersError::Exists(_))));
        u.set_password("alice", "new").unwrap();
        assert!(u.verify("alice", "new"));
        assert!(!u.verify("alice", "correct horse"));
        assert!(u.remove("alice"));
        assert!(!u.remove("alice"));
        assert!(!u.verify("alice", "new"));
    }

    #[test]
    fn round_trips_through_text_and_file() {
        let mut u = quick();
        u.add("alice", "pw1").unwrap();
        u.add("bob.smith", "pw2").unwrap();
        let text = u.to_text();
        assert!(!text.contains("pw1") && !text.contains("pw2"));
        let back = UsersFile::parse(&text).unwrap();
        assert!(back.verify("alice", "pw1") && back.verify("bob.smith", "pw2"));
        assert_eq!(back.names().collect::<Vec<_>>(), ["alice", "bob.smith"]);

        let dir = std::env::temp_dir().join(format!("wirecrypt-users-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users");
        u.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o077,
                0,
                "users file must not be group/world readable"
            );
        }
        assert!(UsersFile::load(&path).unwrap().verify("alice", "pw1"));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn same_password_gets_different_salts() {
        let mut u = quick();
        u.add("a", "same").unwrap();
        u.add("b", "same").unwrap();
        assert_ne!(u.users["a"].salt, u.users["b"].salt);
        assert_ne!(u.users["a"].hash, u.users["b"].hash);
    }

    #[test]
    fn default_iterations_are_slow_hashes() {
        assert!(UsersFile::new().iterations.get() >= 600_000);
        // and a weak count in a file is refused
        let weak = format!("a:{SCHEME}:10:{}:{}\n", "00".repeat(16), "00".repeat(32));
        assert!(matches!(
            UsersFile::parse(&weak),
            Err(UsersError::Parse { line: 1, .. })
        ));
    }

    #[test]
    fn malformed_lines_are_typed_errors() {
        let good_tail = format!("{SCHEME}:1000:{}:{}", "ab".repeat(16), "cd".repeat(32));
        for (text, line) in [
            ("a:b:c\n".to_owned(), 1),
            (format!("# c\n\nbad name:{good_tail}\n"), 3),
            (
                format!("a:md5:1000:{}:{}\n", "ab".repeat(16), "cd".repeat(32)),
                1,
            ),
            (
                format!("a:{SCHEME}:x:{}:{}\n", "ab".repeat(16), "cd".repeat(32)),
                1,
            ),
            (format!("a:{SCHEME}:1000:zz:{}\n", "cd".repeat(32)), 1),
            (format!("a:{SCHEME}:1000:{}:abcd\n", "ab".repeat(16)), 1),
            (format!("a:{good_tail}\na:{good_tail}\n"), 2),
        ] {
            match UsersFile::parse(&text) {
                Err(UsersError::Parse { line: l, .. }) => assert_eq!(l, line, "{text}"),
                other => panic!("{text:?} gave {other:?}"),
            }
        }
        assert!(UsersFile::parse(&format!("a:{good_tail}\n")).is_ok());
        match UsersFile::parse(&format!("a:{good_tail}:\n")) {
            Err(UsersError::Parse { line: 1, reason }) => assert!(reason.contains("root")),
            other => panic!("an empty root gave {other:?}"),
        }
    }

    #[test]
    fn roots_round_trip_and_resolve_against_the_server_root() {
        let mut users = quick();
        users.add("ann", "pw1").unwrap();
        users.add("bob", "pw2").unwrap();
        users.add("cy", "pw3").unwrap();
        users.set_root("ann", Some("ann/files")).unwrap();
        users.set_root("bob", Some("/srv/b:colon")).unwrap();
        assert!(matches!(
            users.set_root("ann", Some("a\nb")),
            Err(UsersError::BadRoot)
        ));
        assert!(matches!(
            users.set_root("nobody", Some("x")),
            Err(UsersError::NoSuchUser(_))
        ));
        // A new password keeps the root.
        users.set_password("ann", "pw4").unwrap();
        let back = UsersFile::parse(&users.to_text()).unwrap();
        assert_eq!(back.root("ann"), Some("ann/files"));
        assert_eq!(back.root("bob"), Some("/srv/b:colon"));
        assert_eq!(back.root("cy"), None);
        assert!(back.verify("ann", "pw4") && back.verify("bob", "pw2"));
        let server = Path::new("/data");
        assert_eq!(back.root_for("ann", server), Path::new("/data/ann/files"));
        assert_eq!(back.root_for("bob", server), Path::new("/srv/b:colon"));
        assert_eq!(back.root_for("cy", server), server);
        assert_eq!(back.root_for("stranger", server), server);
        users.set_root("ann", None).unwrap();
        assert_eq!(users.root("ann"), None);
    }

    #[test]
    fn names_and_passwords_are_checked() {
        let mut u = quick();
        for bad in ["", "a:b", "a b", "a/b", &"x".repeat(65)] {
            assert!(
                matches!(u.add(bad, "pw"), Err(UsersError::BadName)),
                "{bad}"
            );
        }
        assert!(matches!(u.add("a", ""), Err(UsersError::BadPassword)));
        let long = "p".repeat(MAX_PASSWORD_LEN + 1);
        assert!(matches!(u.add("a", &long), Err(UsersError::BadPassword)));
        assert!(!u.verify("a", &long));
    }

    #[test]
    fn debug_never_shows_hashes() {
        let mut u = quick();
        u.add("alice", "secret").unwrap();
        let hash = hex::encode(u.users["alice"].hash);
        let shown = format!("{u:?}");
        assert!(!shown.contains(&hash) && !shown.contains("secret"));
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn limiter_delays_then_refuses_then_forgives() {
        let l = LoginLimiter::new(3, Duration::from_secs(60), Duration::from_millis(10));
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(l.allowed(peer));
        assert_eq!(l.failed(peer), Duration::from_millis(10));
        assert_eq!(l.failed(peer), Duration::from_millis(20));
        assert!(l.allowed(peer));
        assert_eq!(l.failed(peer), Duration::from_millis(40));
        assert!(!l.allowed(peer), "third failure locks the peer out");
        assert!(l.allowed(other), "other peers are unaffected");
        l.succeeded(peer);
        assert!(l.allowed(peer));

        let short = LoginLimiter::new(1, Duration::from_millis(20), Duration::ZERO);
        short.failed(peer);
        assert!(!short.allowed(peer));
        std::thread::sleep(Duration::from_millis(40));
        assert!(short.allowed(peer), "the window expires");
    }
}
