//! `wirecrypt fips check` on OpenSSH configurations: `sshd_config` and `ssh_config` text
//! with `Include` (of files held in memory, so includes of includes, loops and wildcards
//! are all reachable), `Match`/`Host` blocks and `+`/`-`/`^` list modifiers.
//!
//! Input: a selector byte (bit 0: client flavor), then the text, which NUL bytes split
//! into the main file and up to three more named `f0`, `f1`, `f2`.
//!
//! Invariants, besides no panic and no hang (libFuzzer's timeout) or runaway memory
//! (its RSS limit):
//! * the overall status follows from the items, and each replacement line is offered
//!   for a setting that has an item not approved;
//! * each replacement line, checked on its own, gives only approved items for its setting.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wirecrypt::fips::check::NoIncludes;
use wirecrypt::fips::check::openssh::{self, Flavor};
use wirecrypt_fuzz::{Input, assert_report_consistent, split_files};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let flavor = if input.byte() & 1 == 0 {
        Flavor::Server
    } else {
        Flavor::Client
    };
    let text = String::from_utf8_lossy(input.rest());
    let (main, includes) = split_files(&text, 3);
    let report = openssh::check(&main, "main", flavor, &includes);
    assert_report_consistent(&report);
    for r in &report.replacements {
        let again = openssh::check(&r.line, "replacement", flavor, &NoIncludes);
        for item in again.items.iter().filter(|i| i.setting == r.setting) {
            assert!(
                item.verdict.is_approved(),
                "replacement line {:?} still has {} ({:?})",
                r.line,
                item.value,
                item.verdict
            );
        }
    }
});
