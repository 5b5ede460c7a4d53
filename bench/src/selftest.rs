//! `wirecrypt selftest`: the known-answer self-tests, per test and provider.

use wirecrypt::fips::selftest::{self, SelfTestResult};

use crate::engine_args::EngineArgs;

/// Arguments of `wirecrypt selftest`.
#[derive(clap::Args)]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs the self-tests; fails when any test fails, or when none applies.
///
/// In FIPS mode these are the tests the engine ran before it was handed out, and a
/// failure is the engine's error state. Otherwise they run on demand.
/// `WIRECRYPT_SELFTEST_BREAK=<test name>` breaks one on purpose. With a forced provider
/// only that provider's results are shown (in FIPS mode a failure elsewhere still puts
/// the engine into its error state, and the command fails saying so).
pub fn run(args: &Args, engine: &EngineArgs) -> Result<(), Box<dyn std::error::Error>> {
    let engine = engine.engine()?;
    let only = engine.forced();
    let mut results: Vec<SelfTestResult> = if engine.fips_mode() {
        engine.self_tests().to_vec()
    } else {
        let providers: Vec<_> = engine
            .available()
            .filter(|p| only.is_none_or(|id| p.id() == id))
            .collect();
        let refs: Vec<_> = providers.iter().map(|p| p.as_ref()).collect();
        let broken = selftest::break_from_env();
        selftest::run(&refs, broken.as_deref())
    };
    results.retain(|r| only.is_none_or(|id| r.provider == id));
    if args.json {
        let status = engine.status().err().map(|e| e.to_string());
        let report = serde_json::json!({
            "fips_mode": engine.fips_mode(),
            "forced_provider": only,
            "error_state": status,
            "results": results,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let mode = if engine.fips_mode() {
            "FIPS mode, run before first use"
        } else {
            "on demand"
        };
        match only {
            Some(id) => println!("self-tests ({mode}; provider {id} forced):"),
            None => println!("self-tests ({mode}):"),
        }
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
    engine.status()?;
    if let Some(r) = results.iter().find(|r| !r.passed()) {
        return Err(format!("self-test '{}' failed on provider {}", r.test, r.provider).into());
    }
    if results.is_empty() {
        let mode = if engine.fips_mode() {
            " (FIPS mode tests approved algorithms only)"
        } else {
            ""
        };
        let whom = only.map_or("any available provider".to_owned(), |id| {
            format!("provider {id}")
        });
        return Err(format!("no self-test applies to {whom}{mode}: nothing was checked").into());
    }
    Ok(())
}
