//! Shared by the fuzz targets: structured values read from the fuzzer's bytes, one engine
//! per provider available here, and the invariants every opener must keep.
//!
//! Each target reads its input with [`Input`], which never fails: past the end it yields
//! zeros, so every byte string is a valid input and the fuzzer spends no time on ones
//! that a strict format would reject.

use std::sync::OnceLock;

use wirecrypt::Engine;
use wirecrypt::fips::check::{Included, Includes, Report};

/// A cursor over the fuzzer's bytes that yields zeros once they run out.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// The next byte, or 0.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next `n` bytes, zero-filled past the end.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let take = n.min(self.data.len());
        let mut out = self.data[..take].to_vec();
        out.resize(n, 0);
        self.data = &self.data[take..];
        out
    }

    /// A big-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    /// A big-endian `u64`.
    pub fn u64(&mut self) -> u64 {
        let b = self.bytes(8);
        u64::from_be_bytes(b.try_into().expect("8 bytes"))
    }

    /// How many bytes are left.
    pub fn rest_len(&self) -> usize {
        self.data.len()
    }

    /// The position, to come back to with [`Input::rewind`] (to read one set of
    /// arguments twice).
    pub fn mark(&self) -> &'a [u8] {
        self.data
    }

    /// Goes back to a position [`Input::mark`] returned.
    pub fn rewind(&mut self, mark: &'a [u8]) {
        self.data = mark;
    }

    /// Everything not read yet.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }

    /// Everything not read yet, leaving the cursor at the end.
    pub fn take_rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// One engine per provider available here (each forced, falling back where it lacks an
/// algorithm), so that every implementation is fuzzed; the first is the default engine.
pub fn engines() -> &'static [Engine] {
    static ENGINES: OnceLock<Vec<Engine>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let default = Engine::builder()
            .ignore_env()
            .fips(false)
            .build()
            .expect("the default engine builds");
        let mut all = vec![default.clone()];
        for p in default.available() {
            let forced = Engine::builder()
                .ignore_env()
                .fips(false)
                .provider(p.id().as_str())
                .allow_fallback(true)
                .build()
                .expect("an available provider can be forced");
            all.push(forced);
        }
        all
    })
}

/// The engine that selector byte `b` names.
pub fn engine(b: u8) -> &'static Engine {
    let all = engines();
    &all[usize::from(b) % all.len()]
}

/// A failed open must release nothing it decrypted: every byte of `after` from `from` on
/// is either what it was before the call or zero (the opener wiped it).
pub fn assert_no_plaintext_left(before: &[u8], after: &[u8], from: usize) {
    assert_eq!(before.len(), after.len());
    let (before, after) = (
        &before[from.min(before.len())..],
        &after[from.min(after.len())..],
    );
    let untouched = before == after;
    let wiped = after.iter().all(|&b| b == 0);
    assert!(
        untouched || wiped,
        "a failed open left bytes that are neither the input nor zero"
    );
}

/// `Include` resolved against files held in memory: a pattern names the files whose name
/// equals it, or, with a trailing `*`, every file whose name starts with what precedes it.
pub struct MemoryIncludes {
    /// The files, by name.
    pub files: Vec<(String, String)>,
}

impl Includes for MemoryIncludes {
    fn resolve(&self, pattern: &str) -> Result<Vec<Included>, String> {
        let matches = |name: &str| match pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == pattern,
        };
        Ok(self
            .files
            .iter()
            .filter(|(name, _)| matches(name))
            .map(|(name, text)| Included {
                name: name.clone(),
                text: Ok(text.clone()),
            })
            .collect())
    }
}

/// The report's overall status must follow from its items, every replacement line must
/// be the one named by an item that is not approved, and every such item that names a
/// replacement must name one the report offers.
pub fn assert_report_consistent(report: &Report) {
    use wirecrypt::fips::check::Overall;
    let failing = report.items.iter().any(|i| !i.verdict.is_approved());
    let expected = if !report.unreadable.is_empty() {
        Overall::Unreadable
    } else if failing {
        Overall::NotCompliant
    } else {
        Overall::Compliant
    };
    assert_eq!(report.status, expected, "status does not follow the items");
    for r in &report.replacements {
        assert!(
            report
                .items
                .iter()
                .any(|i| !i.verdict.is_approved() && i.replacement.as_ref() == Some(&r.line)),
            "replacement for {} without an item that needs it",
            r.setting
        );
    }
    for item in &report.items {
        if let Some(line) = &item.replacement {
            assert!(
                !item.verdict.is_approved(),
                "an approved item points to a replacement"
            );
            assert!(
                report.replacements.iter().any(|r| &r.line == line),
                "an item points to a replacement the report does not offer"
            );
        }
    }
}

/// Splits the fuzzer's text into a main file and up to `max` more, at NUL bytes; the
/// extra files are named `f0`, `f1`, ... for `Include` to find.
pub fn split_files(text: &str, max: usize) -> (String, MemoryIncludes) {
    let mut parts = text.split('\0');
    let main = parts.next().unwrap_or("").to_owned();
    let files = parts
        .take(max)
        .enumerate()
        .map(|(i, t)| (format!("f{i}"), t.to_owned()))
        .collect();
    (main, MemoryIncludes { files })
}
