//! Checks OpenSSH's `sshd_config` and `ssh_config`: `Ciphers`, `MACs`, `KexAlgorithms`,
//! `HostKeyAlgorithms`, `PubkeyAcceptedAlgorithms` (also spelled `PubkeyAcceptedKeyTypes`),
//! and — when the file sets them — `HostbasedAcceptedAlgorithms` and
//! `CASignatureAlgorithms`.
//!
//! Semantics follow OpenSSH 9.2 (Debian 12):
//!
//! * the **first** occurrence of a keyword wins; later ones are ignored (and noted);
//! * `+`, `-` and `^` lists modify OpenSSH 9.2's compiled-in default ([`lists`]);
//! * a keyword that is absent means the compiled-in default (`myproposal.h`, see
//!   [`keywords`]) — that default is checked like a configured list;
//! * settings inside `Match` blocks (and `Host` blocks of `ssh_config`, except `Host *`)
//!   are reported separately, with their block as the item's scope; they do not change the
//!   global result list, but they do count towards the overall status, since some
//!   connections use them;
//! * `Include` is resolved through an [`Includes`]: [`FsIncludes`] follows the files that
//!   exist (relative to the configuration's directory), [`NoIncludes`] only reports the
//!   line. Either way a note records what happened.

mod keywords;
mod lists;
mod parse;

pub use parse::{FsIncludes, Included, Includes, NoIncludes};

use keywords::{KEYWORDS, Keyword};
use parse::{Directive, Parsed};

use super::report::{Item, Replacement, Report};
use crate::fips::policy::{self, Verdict};

/// Which program reads the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `sshd` reads `sshd_config`.
    Server,
    /// `ssh` reads `ssh_config` (where `Host` also opens a block).
    Client,
}

/// Checks the text of an `sshd_config`. `name` is how the file appears in the report.
pub fn check_sshd_config(text: &str, name: &str, includes: &dyn Includes) -> Report {
    check(text, name, Flavor::Server, includes)
}

/// Checks the text of an `ssh_config`. `name` is how the file appears in the report.
pub fn check_ssh_config(text: &str, name: &str, includes: &dyn Includes) -> Report {
    check(text, name, Flavor::Client, includes)
}

/// Checks an OpenSSH configuration's algorithm lists against the FIPS policy.
pub fn check(text: &str, name: &str, flavor: Flavor, includes: &dyn Includes) -> Report {
    let mut parsed = Parsed::default();
    parse::parse(text, name, flavor, includes, &mut parsed);
    let mut report = Report::new(name);
    for (source, message) in parsed.notes.drain(..) {
        report.note(source, message);
    }
    for (source, why) in parsed.unreadable.drain(..) {
        report.mark_unreadable(source, why);
    }
    for keyword in KEYWORDS {
        check_keyword(keyword, &parsed.directives, name, flavor, &mut report);
    }
    report
}

fn check_keyword(
    keyword: &'static Keyword,
    directives: &[Directive],
    name: &str,
    flavor: Flavor,
    report: &mut Report,
) {
    let lines: Vec<&Directive> = directives
        .iter()
        .filter(|d| Keyword::find(&d.keyword).is_some_and(|k| std::ptr::eq(k, keyword)))
        .collect();
    // The global setting: the first global line, or the compiled-in default.
    match lines.iter().find(|d| d.scope.is_none()) {
        Some(first) => check_line(keyword, first, report),
        None if keyword.check_default => check_default(keyword, name, report),
        None => {}
    }
    // Each conditional block: its first line for this keyword.
    let mut seen_scopes: Vec<&str> = Vec::new();
    for d in &lines {
        match &d.scope {
            None => {}
            Some(scope) if seen_scopes.contains(&scope.as_str()) => {}
            Some(scope) => {
                seen_scopes.push(scope);
                if flavor == Flavor::Server && keyword.global_only {
                    report.note(
                        d.source(),
                        format!(
                            "sshd refuses {} inside a Match block ('Directive is not allowed \
                             within a Match block') and will not start",
                            keyword.name
                        ),
                    );
                }
                check_line(keyword, d, report);
            }
        }
    }
    // Later lines in the same scope are ignored by OpenSSH: say so.
    for (i, d) in lines.iter().enumerate() {
        if lines[..i].iter().any(|e| e.scope == d.scope) {
            report.note(
                d.source(),
                format!(
                    "{} already set earlier{}; OpenSSH uses the first value and ignores this line",
                    keyword.name,
                    d.scope
                        .as_deref()
                        .map(|s| format!(" in '{s}'"))
                        .unwrap_or_default()
                ),
            );
        }
    }
}

fn check_default(keyword: &'static Keyword, name: &str, report: &mut Report) {
    let source = format!("{name}:default");
    let items = keyword
        .default
        .iter()
        .map(|n| {
            Item::new(&source, keyword.name, *n, policy::lookup(keyword.kind, n)).with_rule(
                format!(
                    "{} [OpenSSH 9.2 default: no {} line]",
                    policy::lookup(keyword.kind, n).rule,
                    keyword.name
                ),
            )
        })
        .collect();
    let replacement = Replacement {
        source,
        scope: None,
        setting: keyword.name.to_owned(),
        line: line(keyword, &keyword.recommended()),
    };
    report.add_setting(items, Some(replacement));
}

fn check_line(keyword: &'static Keyword, d: &Directive, report: &mut Report) {
    let source = d.source();
    let spec = match d.args.as_slice() {
        [one] => Ok(one.as_str()),
        [] => Err(format!(
            "{} has no argument; OpenSSH refuses the line",
            keyword.name
        )),
        _ => Err(format!(
            "{} has more than one argument (spaces in the list?); OpenSSH refuses the line",
            keyword.name
        )),
    };
    let names = spec.and_then(|s| lists::assemble(s, keyword));
    let replacement_for = |approved: Vec<&str>| Replacement {
        source: source.clone(),
        scope: d.scope.clone(),
        setting: keyword.name.to_owned(),
        line: line(keyword, &approved),
    };
    let names = match names {
        Ok(names) => names,
        Err(why) => {
            let refused = Verdict {
                rule: "OpenSSH refuses this line, so the service does not start with it",
                ..Verdict::UNKNOWN
            };
            let item = Item::new(&source, keyword.name, d.args.join(" "), refused)
                .with_rule(format!("{why}; {}", refused.rule))
                .in_scope(d.scope.clone());
            report.add_setting(vec![item], Some(replacement_for(keyword.recommended())));
            return;
        }
    };
    for n in names.iter().filter(|n| !keyword.all.contains(&n.as_str())) {
        report.note(
            &source,
            format!(
                "OpenSSH 9.2 does not support {n} in {}: it refuses the line \
                 (or, for a wildcard pattern, ignores it)",
                keyword.name
            ),
        );
    }
    let items: Vec<Item> = names
        .iter()
        .map(|n| {
            Item::new(&source, keyword.name, n, policy::lookup(keyword.kind, n))
                .in_scope(d.scope.clone())
        })
        .collect();
    let own: Vec<&str> = items
        .iter()
        .filter(|i| i.verdict.is_approved())
        .map(|i| i.value.as_str())
        .collect();
    let approved = if own.is_empty() {
        keyword.recommended()
    } else {
        own
    };
    let replacement = replacement_for(approved);
    report.add_setting(items, Some(replacement));
}

fn line(keyword: &Keyword, names: &[&str]) -> String {
    format!("{} {}", keyword.name, names.join(","))
}

#[cfg(test)]
mod tests;
