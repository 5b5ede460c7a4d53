//! Reading an OpenSSH configuration file the way OpenSSH 9.2 does (`servconf.c`,
//! `readconf.c`, `misc.c`), as far as the validator needs:
//!
//! * one directive per line; blank lines and lines starting with `#` are skipped;
//! * the keyword is case-insensitive and ends at whitespace or `=` (`Ciphers aes128-ctr`,
//!   `Ciphers=aes128-ctr`, `Ciphers = aes128-ctr`);
//! * arguments are split at whitespace, double quotes group, and an argument starting
//!   with `#` ends the line;
//! * `Match` (and, in `ssh_config`, `Host`) starts a conditional block that lasts until the
//!   next one or the end of the file; `Match all` and `Host *` apply everywhere;
//! * `Include` reads the files its patterns name, in place, through an [`Includes`].

use super::Flavor;
use crate::fips::check::pattern::{has_wildcard, matches};

/// One directive, with where it was found and the block it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Directive {
    /// The file, as named in the report.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// The keyword as written.
    pub keyword: String,
    /// The arguments.
    pub args: Vec<String>,
    /// The enclosing `Match`/`Host` line, or `None` when the directive applies everywhere.
    pub scope: Option<String>,
}

impl Directive {
    /// `file:line`.
    pub(crate) fn source(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// A file that an `Include` pattern named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Included {
    /// Its name, as it will appear in the report.
    pub name: String,
    /// Its text, or why it could not be read.
    pub text: Result<String, String>,
}

/// How `Include` lines are resolved. The checker itself reads no files; the caller
/// decides whether includes are followed ([`FsIncludes`]) or only reported ([`NoIncludes`]).
pub trait Includes {
    /// The files `pattern` names, in the order OpenSSH would read them; `Err` when the
    /// pattern is not followed (with why).
    fn resolve(&self, pattern: &str) -> Result<Vec<Included>, String>;
}

/// Reports `Include` lines without following them.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoIncludes;

impl Includes for NoIncludes {
    fn resolve(&self, _pattern: &str) -> Result<Vec<Included>, String> {
        Err("includes are not followed".to_owned())
    }
}

/// Follows `Include` lines on the file system. A relative pattern is taken relative to
/// `base` — the directory of the configuration file being checked (OpenSSH itself takes
/// it relative to `/etc/ssh` for system files and `~/.ssh` for user files, which is the
/// same directory for the usual locations). Wildcards (`*`, `?`) are expanded in the last
/// path component only, in sorted order, skipping dot files as `glob(3)` does; a pattern
/// with wildcards in a directory component is reported, not followed.
#[derive(Clone, Debug)]
pub struct FsIncludes {
    /// The directory relative patterns are resolved against.
    pub base: std::path::PathBuf,
}

impl Includes for FsIncludes {
    fn resolve(&self, pattern: &str) -> Result<Vec<Included>, String> {
        use std::path::Path;
        let path = self.base.join(pattern);
        let dir = path.parent().unwrap_or(Path::new("/"));
        let file_pattern = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if has_wildcard(&dir.to_string_lossy()) {
            return Err("wildcards in a directory part are not followed".to_owned());
        }
        let read = |p: &Path| Included {
            name: p.display().to_string(),
            text: std::fs::read_to_string(p).map_err(|e| e.to_string()),
        };
        if !has_wildcard(&file_pattern) {
            return Ok(if path.exists() {
                vec![read(&path)]
            } else {
                Vec::new()
            });
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(Vec::new());
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.') || file_pattern.starts_with('.'))
            .filter(|n| matches(n, &file_pattern))
            .collect();
        names.sort();
        Ok(names.iter().map(|n| read(&dir.join(n))).collect())
    }
}

/// What reading a configuration produced.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// Every directive, in the order OpenSSH reads them (includes in place).
    pub directives: Vec<Directive>,
    /// `(source, message)` notes: includes followed or not, lines OpenSSH refuses.
    pub notes: Vec<(String, String)>,
    /// `(source, message)` for included files that could not be read.
    pub unreadable: Vec<(String, String)>,
    /// Included files read so far, against [`MAX_INCLUDED_FILES`].
    pub included: usize,
}

/// OpenSSH's limit on nested includes (`READCONF_MAX_DEPTH`, `SERVCONF_MAX_DEPTH`).
const MAX_DEPTH: usize = 16;

/// The most included files one check reads in all. [`MAX_DEPTH`] bounds the nesting,
/// not the breadth: files that include a pattern matching several of them again would be
/// read (their number) to the sixteenth power times — a hang on a few short files, found
/// by fuzzing. Real configurations include a handful of files.
pub(crate) const MAX_INCLUDED_FILES: usize = 256;

/// Reads one file's text into `out`, following includes through `includes`.
pub(crate) fn parse(
    text: &str,
    file: &str,
    flavor: Flavor,
    includes: &dyn Includes,
    out: &mut Parsed,
) {
    parse_depth(text, file, flavor, includes, None, 0, out);
}

fn parse_depth(
    text: &str,
    file: &str,
    flavor: Flavor,
    includes: &dyn Includes,
    mut scope: Option<String>,
    depth: usize,
    out: &mut Parsed,
) {
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let source = format!("{file}:{line}");
        let Some((keyword, args)) = split_line(raw) else {
            continue;
        };
        let lower = keyword.to_ascii_lowercase();
        let opens_block = lower == "match" || (lower == "host" && flavor == Flavor::Client);
        if opens_block {
            let everywhere =
                matches!(args.as_slice(), [a] if a.eq_ignore_ascii_case("all") || a == "*");
            scope = (!everywhere).then(|| format!("{keyword} {}", args.join(" ")));
            continue;
        }
        if lower == "include" {
            if depth + 1 > MAX_DEPTH {
                out.notes.push((
                    source,
                    "Include nested too deeply; OpenSSH refuses it".into(),
                ));
                continue;
            }
            for pattern in &args {
                include(pattern, &source, flavor, includes, &scope, depth, out);
            }
            continue;
        }
        out.directives.push(Directive {
            file: file.to_owned(),
            line,
            keyword: keyword.to_owned(),
            args,
            scope: scope.clone(),
        });
    }
}

fn include(
    pattern: &str,
    source: &str,
    flavor: Flavor,
    includes: &dyn Includes,
    scope: &Option<String>,
    depth: usize,
    out: &mut Parsed,
) {
    match includes.resolve(pattern) {
        Err(why) => out.notes.push((
            source.to_owned(),
            format!(
                "Include {pattern}: not followed ({why}); settings in the included files \
                 are not checked, and those read before a line checked here take precedence"
            ),
        )),
        Ok(files) if files.is_empty() => out.notes.push((
            source.to_owned(),
            format!("Include {pattern}: matches no file"),
        )),
        Ok(files) => {
            let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
            out.notes.push((
                source.to_owned(),
                format!("Include {pattern}: followed: {}", names.join(", ")),
            ));
            for f in files {
                if out.included > MAX_INCLUDED_FILES {
                    continue;
                }
                if out.included == MAX_INCLUDED_FILES {
                    // Said once; what is left unread makes the check inconclusive.
                    out.unreadable.push((
                        source.to_owned(),
                        format!(
                            "Include {pattern}: more than {MAX_INCLUDED_FILES} included files \
                             in all (an Include loop?); the rest were not read"
                        ),
                    ));
                    out.included += 1;
                    continue;
                }
                out.included += 1;
                match f.text {
                    Ok(text) => parse_depth(
                        &text,
                        &f.name,
                        flavor,
                        includes,
                        scope.clone(),
                        depth + 1,
                        out,
                    ),
                    Err(why) => out.unreadable.push((f.name, why)),
                }
            }
        }
    }
}

/// Splits a line into its keyword and arguments; `None` for blank lines and comments.
fn split_line(raw: &str) -> Option<(&str, Vec<String>)> {
    let line = raw.trim_start();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    Some((keyword, split_args(rest)))
}

/// OpenSSH's `argv_split` with `terminate_on_comment`: whitespace-separated words,
/// double or single quotes group (a backslash escapes the quote character inside them),
/// and a word starting with `#` ends the line.
fn split_args(s: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.peek() {
            None | Some('#') => return args,
            _ => {}
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(&c) = chars.peek() {
            match quote {
                None if c.is_whitespace() => break,
                None if c == '"' || c == '\'' => quote = Some(c),
                Some(q) if c == q => quote = None,
                Some(q) if c == '\\' => {
                    chars.next();
                    match chars.peek() {
                        Some(&n) if n == q || n == '\\' => word.push(n),
                        Some(&n) => {
                            word.push('\\');
                            word.push(n);
                        }
                        None => word.push('\\'),
                    }
                }
                _ => word.push(c),
            }
            chars.next();
        }
        args.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct MapIncludes(Vec<(&'static str, Vec<(&'static str, &'static str)>)>);

    impl Includes for MapIncludes {
        fn resolve(&self, pattern: &str) -> Result<Vec<Included>, String> {
            let files = self
                .0
                .iter()
                .find(|(p, _)| *p == pattern)
                .map(|(_, files)| files.clone())
                .unwrap_or_default();
            Ok(files
                .into_iter()
                .map(|(name, text)| Included {
                    name: name.to_owned(),
                    text: if text == "<unreadable>" {
                        Err("Permission denied".to_owned())
                    } else {
                        Ok(text.to_owned())
                    },
                })
                .collect())
        }
    }

    fn directives(text: &str, flavor: Flavor) -> Vec<(usize, String, Vec<String>, Option<String>)> {
        let mut out = Parsed::default();
        parse(text, "f", flavor, &NoIncludes, &mut out);
        out.directives
            .into_iter()
            .map(|d| (d.line, d.keyword, d.args, d.scope))
            .collect()
    }

    #[test]
    fn keyword_forms() {
        let d = directives(
            "Ciphers aes128-ctr\nciphers=aes256-ctr\n  MACS = \"hmac-sha2-256\" # why\n\
             # Ciphers x\n\nKexAlgorithms\t-curve*\n",
            Flavor::Server,
        );
        assert_eq!(d.len(), 4);
        assert_eq!(d[0].1, "Ciphers");
        assert_eq!(d[0].2, ["aes128-ctr"]);
        assert_eq!(d[1].2, ["aes256-ctr"]);
        assert_eq!((d[2].0, d[2].1.as_str()), (3, "MACS"));
        assert_eq!(d[2].2, ["hmac-sha2-256"]);
        assert_eq!(d[3].2, ["-curve*"]);
    }

    #[test]
    fn quoting_and_comments() {
        assert_eq!(split_args("a \"b c\" 'd' #e f"), ["a", "b c", "d"]);
        assert_eq!(split_args(r#""a\"b""#), ["a\"b"]);
        assert_eq!(split_args("  "), Vec::<String>::new());
        assert_eq!(split_line("   # x"), None);
        assert_eq!(split_line("Ciphers=a,b").unwrap().1, ["a,b"]);
    }

    #[test]
    fn match_and_host_blocks() {
        let text =
            "Ciphers a\nMatch User backup\n  PubkeyAcceptedAlgorithms b\nMatch all\nMACs c\n";
        let d = directives(text, Flavor::Server);
        assert_eq!(d[0].3, None);
        assert_eq!(d[1].3.as_deref(), Some("Match User backup"));
        assert_eq!(d[2].3, None);
        // In sshd_config, Host is an ordinary (unknown) keyword; in ssh_config it opens a block.
        let text = "Host legacy\n  Ciphers x\nHost *\n  Ciphers y\n";
        let d = directives(text, Flavor::Client);
        assert_eq!(d[0].3.as_deref(), Some("Host legacy"));
        assert_eq!(d[1].3, None);
        assert_eq!(directives(text, Flavor::Server)[1].3, None);
    }

    #[test]
    fn includes_are_read_in_place_and_keep_the_scope() {
        let includes = MapIncludes(vec![
            (
                "conf.d/*.conf",
                vec![
                    ("conf.d/a.conf", "Ciphers inc\n"),
                    ("conf.d/b.conf", "<unreadable>"),
                ],
            ),
            ("loop", vec![("loop", "Include loop\n")]),
        ]);
        let mut out = Parsed::default();
        let text =
            "Include conf.d/*.conf none\nCiphers main\nMatch User x\nInclude conf.d/*.conf\n";
        parse(text, "sshd_config", Flavor::Server, &includes, &mut out);
        let d: Vec<_> = out
            .directives
            .iter()
            .map(|d| (d.source(), d.args[0].clone(), d.scope.clone()))
            .collect();
        assert_eq!(
            d,
            [
                ("conf.d/a.conf:1".to_owned(), "inc".to_owned(), None),
                ("sshd_config:2".to_owned(), "main".to_owned(), None),
                (
                    "conf.d/a.conf:1".to_owned(),
                    "inc".to_owned(),
                    Some("Match User x".to_owned())
                ),
            ]
        );
        assert!(
            out.notes
                .iter()
                .any(|(_, m)| m.contains("followed: conf.d/a.conf, conf.d/b.conf"))
        );
        assert!(
            out.notes
                .iter()
                .any(|(_, m)| m == "Include none: matches no file")
        );
        assert_eq!(out.unreadable[0].0, "conf.d/b.conf");

        let mut out = Parsed::default();
        parse("Include loop\n", "f", Flavor::Server, &includes, &mut out);
        assert!(
            out.notes
                .iter()
                .any(|(_, m)| m.contains("nested too deeply"))
        );
    }

    /// Files that include one another by a pattern matching several of them: without a
    /// bound on the files read in all, 3^16 of them (the fuzz target fips_openssh hung).
    #[test]
    fn include_fan_out_is_bounded_and_makes_the_check_inconclusive() {
        let all = vec![
            ("f0", "Include f*\nCiphers aes128-cbc\n"),
            ("f1", "Include f*\n"),
            ("f2", "Include f*\n"),
        ];
        let includes = MapIncludes(vec![("f*", all)]);
        let mut out = Parsed::default();
        parse(
            "Include f*\n",
            "sshd_config",
            Flavor::Server,
            &includes,
            &mut out,
        );
        assert_eq!(
            out.included,
            MAX_INCLUDED_FILES + 1,
            "one over, then no more"
        );
        assert_eq!(out.unreadable.len(), 1, "{:?}", out.unreadable);
        assert!(
            out.unreadable[0].1.contains("more than 256 included files"),
            "{:?}",
            out.unreadable
        );
        let read = out.directives.len();
        assert!(read > 0 && read <= MAX_INCLUDED_FILES, "{read}");
    }

    #[test]
    fn unfollowed_includes_are_reported() {
        let mut out = Parsed::default();
        parse(
            "Include /etc/ssh/sshd_config.d/*.conf\n",
            "f",
            Flavor::Server,
            &NoIncludes,
            &mut out,
        );
        assert_eq!(out.notes.len(), 1);
        assert!(out.notes[0].1.contains("not followed"), "{:?}", out.notes);
        assert_eq!(out.notes[0].0, "f:1");
    }

    #[test]
    fn the_file_system_resolver_globs_the_last_component() {
        let dir = std::env::temp_dir().join(format!("wirecrypt-fips-inc-{}", std::process::id()));
        let sub = dir.join("conf.d");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("b.conf"), "Ciphers b\n").unwrap();
        std::fs::write(sub.join("a.conf"), "Ciphers a\n").unwrap();
        std::fs::write(sub.join(".hidden.conf"), "Ciphers h\n").unwrap();
        std::fs::write(sub.join("c.txt"), "Ciphers c\n").unwrap();
        let fs = FsIncludes { base: dir.clone() };
        let got = fs.resolve("conf.d/*.conf").unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|f| f.name.rsplit('/').next().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.conf", "b.conf"]);
        assert_eq!(got[0].text.as_deref(), Ok("Ciphers a\n"));
        assert_eq!(fs.resolve("conf.d/c.txt").unwrap().len(), 1);
        assert!(fs.resolve("conf.d/missing").unwrap().is_empty());
        assert!(fs.resolve("*/a.conf").is_err());
        let abs = sub.join("a.conf");
        assert_eq!(fs.resolve(abs.to_str().unwrap()).unwrap().len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
