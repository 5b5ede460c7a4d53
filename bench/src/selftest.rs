//! `wirecrypt selftest`: the known-answer self-tests, per test and provider.

use wirecrypt::Engine;
use wirecrypt::fips::selftest::{self, SelfTestResult};

/// Arguments of `wirecrypt selftest`.
#[derive(clap::Args)]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs the self-tests; fails when any test fails.
///
/// In FIPS mode these are the tests the engine ran before it was handed out, and a
/// failure is the engine's error state. Otherwise they run on demand.
/// `WIRECRYPT_SELFTEST_BREAK=<test name>` breaks one on purpose.
pub fn run(args: &Args, fips: bool) -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::builder().fips(fips).build()?;
    let results: Vec<SelfTestResult> = if engine.fips_mode() {
        engine.self_tests().to_vec()
    } else {
        let providers: Vec<_> = engine.available().collect();
        let refs: Vec<_> = providers.iter().map(|p| p.as_ref()).collect();
        let broken = selftest::break_from_env();
        selftest::run(&refs, broken.as_deref())
    };
    if args.json {
        let status = engine.status().err().map(|e| e.to_string());
        let report = serde_json::json!({
            "fips_mode": engine.fips_mode(),
            "error_state": status,
            "results": results,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "self-tests ({}):",
            if engine.fips_mode() {
                "FIPS mode, run before first use"
            } else {
                "on demand"
            }
        );
        for r in &results {
            let outcome = match &r.failure {
                None => "pass".to_owned(),
                Some(why) => format!("FAIL  {why}"),
            };
            println!("  {:<24} {:<12} {outcome}", r.test, r.provider.as_str());
        }
        let failed = results.iter().filter(|r| !r.passed()).count();
        println!("{} passed, {failed} failed", results.len() - failed);
    }
    if let Err(e) = engine.status() {
        return Err(e.into());
    }
    match results.iter().find(|r| !r.passed()) {
        Some(r) => Err(format!("self-test '{}' failed on provider {}", r.test, r.provider).into()),
        None => Ok(()),
    }
}
