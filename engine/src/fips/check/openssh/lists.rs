//! How OpenSSH turns a configured algorithm list into the list it offers
//! (`kex_assemble_names` in OpenSSH 9.2's `kex.c`):
//!
//! * `+list` appends to the default list, `^list` puts the list in front of it, and a
//!   plain list replaces it; names already present are not repeated.
//! * `-list` removes from the default list every name matching one of its patterns
//!   (`*`, `?`, `!` negation; `match_filter_denylist`).
//! * In plain, `+` and `^` lists, a wildcard pattern expands to the supported names it
//!   matches, in OpenSSH's order (`match_filter_allowlist`). OpenSSH accepts wildcards there
//!   only for public-key algorithm lists; elsewhere a pattern is kept as written, and the
//!   policy does not know it.

use super::keywords::Keyword;
use crate::fips::check::pattern::{ListMatch, has_wildcard, match_list, matches};

const NOTHING: &str = "the list selects no algorithm, so every connection would fail";

/// The list OpenSSH 9.2 offers for `spec` (a keyword's argument), or why OpenSSH refuses it.
pub(crate) fn assemble(spec: &str, keyword: &Keyword) -> Result<Vec<String>, String> {
    let default = keyword.default;
    let names = match spec.as_bytes().first() {
        Some(b'-') => {
            let patterns = &spec[1..];
            let kept: Vec<String> = default
                .iter()
                .filter(|n| match_list(n, patterns) != ListMatch::Yes)
                .map(|n| (*n).to_owned())
                .collect();
            if kept.is_empty() {
                return Err(NOTHING.to_owned());
            }
            return Ok(kept);
        }
        Some(b'+') => concat(default.iter().copied(), split(&spec[1..])),
        Some(b'^') => concat(split(&spec[1..]), default.iter().copied()),
        _ => concat(split(spec), std::iter::empty()),
    };
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if name.starts_with('!') {
            return Err(format!(
                "negated pattern '{name}' in a list that is not a '-' list"
            ));
        }
        let expanded: Vec<&str> = if keyword.wildcards && has_wildcard(name) {
            keyword
                .all
                .iter()
                .copied()
                .filter(|n| matches(n, name))
                .collect()
        } else {
            vec![name]
        };
        for n in expanded {
            if !out.iter().any(|o| o == n) {
                out.push(n.to_owned());
            }
        }
    }
    if out.is_empty() {
        return Err(NOTHING.to_owned());
    }
    Ok(out)
}

fn split(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').filter(|n| !n.is_empty())
}

/// `a` then the names of `b` not already in `a` (`kex_names_cat`).
fn concat<'a>(a: impl Iterator<Item = &'a str>, b: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for n in a.chain(b) {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(name: &str) -> &'static Keyword {
        Keyword::find(name).unwrap()
    }

    fn list(spec: &str, keyword: &str) -> String {
        assemble(spec, kw(keyword)).unwrap().join(",")
    }

    // Expected values were produced by OpenSSH 9.2p1 itself: `ssh -G -F <file> x` with
    // `Ciphers <spec>` etc. in the file (Debian 12, ssh 1:9.2p1-2+deb12u6).
    #[test]
    fn minus_removes_matching_defaults() {
        assert_eq!(
            list("-chacha*,aes128-ctr", "Ciphers"),
            "aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"
        );
        assert_eq!(
            list("-umac*,hmac-sha1*", "MACs"),
            "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512"
        );
        assert_eq!(
            list("-ssh-ed25519*,sk-*", "HostKeyAlgorithms"),
            "ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,\
             ecdsa-sha2-nistp521-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,\
             rsa-sha2-256-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,\
             ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256"
        );
        // Negation inside a '-' list keeps what it names.
        assert_eq!(
            list("-*,!aes256-gcm@openssh.com", "Ciphers"),
            "aes256-gcm@openssh.com"
        );
    }

    #[test]
    fn plus_appends_and_caret_prepends() {
        assert_eq!(
            list("+3des-cbc,aes128-ctr", "Ciphers"),
            "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,\
             aes128-gcm@openssh.com,aes256-gcm@openssh.com,3des-cbc"
        );
        assert_eq!(
            list("^aes256-gcm@openssh.com,aes128-ctr", "Ciphers"),
            "aes256-gcm@openssh.com,aes128-ctr,chacha20-poly1305@openssh.com,aes192-ctr,\
             aes256-ctr,aes128-gcm@openssh.com"
        );
    }

    #[test]
    fn plain_lists_replace_and_drop_repeats() {
        assert_eq!(list("aes256-ctr,aes256-ctr", "Ciphers"), "aes256-ctr");
        assert_eq!(
            list("rsa-sha2-*,ecdsa-sha2-nistp256", "PubkeyAcceptedAlgorithms"),
            "rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,\
             rsa-sha2-512-cert-v01@openssh.com,ecdsa-sha2-nistp256"
        );
        // No wildcards for ciphers: OpenSSH refuses the line; the pattern stays as written.
        assert_eq!(list("aes*", "Ciphers"), "aes*");
    }

    #[test]
    fn refusals() {
        assert!(assemble("aes128-ctr,!aes256-ctr", kw("Ciphers")).is_err());
        assert!(assemble("-*", kw("Ciphers")).is_err());
        assert!(assemble(",", kw("Ciphers")).is_err());
    }
}
