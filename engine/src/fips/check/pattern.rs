//! OpenSSH's wildcard patterns (`match.c`): `*` matches any run of characters, `?` any one
//! character, everything else itself; case matters. A pattern-list is comma-separated and
//! a pattern starting with `!` negates.

/// True when `name` matches the wildcard `pattern` (OpenSSH `match_pattern`).
pub(crate) fn matches(name: &str, pattern: &str) -> bool {
    let (n, p): (Vec<char>, Vec<char>) = (name.chars().collect(), pattern.chars().collect());
    let (mut i, mut j) = (0, 0);
    // Where the last `*` was, and how much of `name` it had swallowed.
    let mut star: Option<(usize, usize)> = None;
    while i < n.len() {
        match p.get(j) {
            Some('*') => {
                star = Some((j, i));
                j += 1;
            }
            Some(&c) if c == '?' || c == n[i] => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((sj, si)) => {
                    star = Some((sj, si + 1));
                    i = si + 1;
                    j = sj + 1;
                }
                None => return false,
            },
        }
    }
    p[j..].iter().all(|&c| c == '*')
}

/// How a name fares against a pattern-list (OpenSSH `match_pattern_list`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListMatch {
    /// A positive pattern matched and no negated one did.
    Yes,
    /// A negated pattern matched.
    Negated,
    /// Nothing matched.
    No,
}

/// Matches `name` against a comma-separated pattern-list; a negated match wins.
pub(crate) fn match_list(name: &str, list: &str) -> ListMatch {
    let mut result = ListMatch::No;
    for pattern in list.split(',').filter(|p| !p.is_empty()) {
        match pattern.strip_prefix('!') {
            Some(negated) if matches(name, negated) => return ListMatch::Negated,
            Some(_) => {}
            None if matches(name, pattern) => result = ListMatch::Yes,
            None => {}
        }
    }
    result
}

/// True when the string holds a wildcard.
pub(crate) fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_openssh() {
        assert!(matches("aes128-cbc", "aes*-cbc"));
        assert!(matches("aes128-cbc", "*"));
        assert!(matches("aes128-cbc", "aes128-cbc"));
        assert!(matches("aes128-cbc", "aes1?8-cbc"));
        assert!(matches("umac-64-etm@openssh.com", "umac-*"));
        assert!(matches("", "*"));
        assert!(!matches("aes128-ctr", "aes*-cbc"));
        assert!(!matches("aes128-cbc", "AES*"));
        assert!(!matches("aes128-cbc", "aes128-cb"));
        assert!(!matches("a", "??"));
        assert!(matches("hmac-sha1-etm@openssh.com", "hmac-sha1*"));
        assert!(matches("abcabcx", "*abcx"));
    }

    #[test]
    fn pattern_lists_negate() {
        assert_eq!(match_list("aes128-cbc", "*-cbc,!3des*"), ListMatch::Yes);
        assert_eq!(match_list("3des-cbc", "*-cbc,!3des*"), ListMatch::Negated);
        assert_eq!(match_list("aes128-ctr", "*-cbc"), ListMatch::No);
        assert!(has_wildcard("ssh-ed25519*") && !has_wildcard("ssh-ed25519"));
    }
}
