//! Per-provider case counts, printed by every test.

use std::collections::BTreeMap;
use std::fmt;

/// How many cases a test ran against one provider, by outcome.
///
/// `valid`, `invalid` and `acceptable` count cases that ran with their expected result
/// asserted; `not_applicable` counts cases outside what the engine implements, grouped by
/// the printed reason; `skipped` counts cases that were not checked at all, by reason.
/// [`Tally::finish`] prints the line and asserts that every case was accounted for.
#[derive(Debug, Clone)]
pub struct Tally {
    /// What was tested, e.g. `wycheproof aes-gcm`.
    pub test: String,
    /// The provider's id.
    pub provider: String,
    /// Cases expected to succeed, which did.
    pub valid: usize,
    /// Cases expected to fail, which did.
    pub invalid: usize,
    /// Wycheproof "acceptable" cases (either outcome allowed; the behaviour was checked
    /// for consistency).
    pub acceptable: usize,
    /// Extra assertions made beyond the cases (tamper checks, split points...), by kind.
    pub checks: BTreeMap<String, usize>,
    /// Cases the engine does not cover, by reason.
    pub not_applicable: BTreeMap<String, usize>,
    /// Cases not checked at all, by reason.
    pub skipped: BTreeMap<String, usize>,
}

impl Tally {
    /// An empty tally for `test` against `provider`.
    pub fn new(test: impl Into<String>, provider: impl fmt::Display) -> Self {
        Tally {
            test: test.into(),
            provider: provider.to_string(),
            valid: 0,
            invalid: 0,
            acceptable: 0,
            checks: BTreeMap::new(),
            not_applicable: BTreeMap::new(),
            skipped: BTreeMap::new(),
        }
    }

    /// Counts one not-applicable case under `reason`.
    pub fn not_applicable(&mut self, reason: impl Into<String>) {
        *self.not_applicable.entry(reason.into()).or_default() += 1;
    }

    /// Counts one skipped case under `reason`.
    pub fn skip(&mut self, reason: impl Into<String>) {
        *self.skipped.entry(reason.into()).or_default() += 1;
    }

    /// Counts `n` extra assertions of kind `kind`.
    pub fn check(&mut self, kind: impl Into<String>, n: usize) {
        *self.checks.entry(kind.into()).or_default() += n;
    }

    /// Cases that ran with their outcome asserted.
    pub fn ran(&self) -> usize {
        self.valid + self.invalid + self.acceptable
    }

    /// Every case counted, in any bucket.
    pub fn total(&self) -> usize {
        self.ran()
            + self.not_applicable.values().sum::<usize>()
            + self.skipped.values().sum::<usize>()
    }

    /// Prints the tally and asserts that the cases add up: at least one case ran, unless
    /// every case was skipped because the provider does not implement the algorithms
    /// (reasons starting with [`LACKS`]); and, when `expected_total` is given, that every
    /// case of the source landed in exactly one bucket.
    ///
    /// # Panics
    /// When nothing ran for another reason or the counts do not add up.
    pub fn finish(&self, expected_total: Option<usize>) {
        println!("{self}");
        let only_lacking = !self.skipped.is_empty()
            && self.skipped.keys().all(|why| why.starts_with(LACKS))
            && self.ran() == 0;
        assert!(
            self.ran() > 0 || only_lacking,
            "{} [{}]: no case ran",
            self.test,
            self.provider
        );
        if let Some(expected) = expected_total {
            assert_eq!(
                self.total(),
                expected,
                "{} [{}]: cases were lost or double-counted",
                self.test,
                self.provider
            );
        }
    }

    /// Counts one case skipped because the provider does not implement `alg`.
    pub fn lacks(&mut self, alg: impl fmt::Display) {
        self.skip(format!("{LACKS}{alg}"));
    }
}

/// The start of the skip reason for an algorithm the provider does not implement.
pub const LACKS: &str = "provider does not implement ";

fn groups(f: &mut fmt::Formatter<'_>, map: &BTreeMap<String, usize>) -> fmt::Result {
    let parts: Vec<String> = map.iter().map(|(why, n)| format!("{n}: {why}")).collect();
    if !parts.is_empty() {
        write!(f, " [{}]", parts.join("; "))?;
    }
    Ok(())
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}]: {} cases ({} valid, {} invalid",
            self.test,
            self.provider,
            self.total(),
            self.valid,
            self.invalid
        )?;
        if self.acceptable > 0 {
            write!(f, ", {} acceptable", self.acceptable)?;
        }
        write!(f, ")")?;
        if !self.checks.is_empty() {
            let parts: Vec<String> = self
                .checks
                .iter()
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect();
            write!(f, ", plus {}", parts.join(", "))?;
        }
        let na: usize = self.not_applicable.values().sum();
        if na > 0 {
            write!(f, ", {na} not applicable")?;
            groups(f, &self.not_applicable)?;
        }
        let skipped: usize = self.skipped.values().sum();
        write!(f, ", {skipped} skipped")?;
        groups(f, &self.skipped)
    }
}
