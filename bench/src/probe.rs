//! `wirecrypt probe`: what this machine has, what each provider can do here, and which
//! provider serves each algorithm.

use serde_json::{Map, Value, json};
use wirecrypt::Engine;
use wirecrypt::algorithm::Algorithm;

use crate::engine_args::EngineArgs;

/// Arguments of `wirecrypt probe`.
#[derive(clap::Args)]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `wirecrypt probe` on the engine that `engine` chooses (one provider at most).
pub fn run(args: &Args, engine: &EngineArgs) -> Result<(), Box<dyn std::error::Error>> {
    let engine = engine.engine()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report(&engine))?);
    } else {
        print!("{}", text(&engine));
    }
    // An engine in its error state serves nothing: say so in the exit status too.
    engine.status()?;
    Ok(())
}

/// The probe as a JSON value.
pub fn report(engine: &Engine) -> Value {
    let cpu = engine.cpu();
    let features: Map<String, Value> = cpu
        .checked()
        .iter()
        .map(|(f, present)| (f.name().to_owned(), Value::Bool(*present)))
        .collect();
    let providers: Vec<Value> = engine
        .candidates()
        .iter()
        .map(|c| match &c.status {
            Ok(p) => {
                let info = p.info();
                let details: Map<String, Value> = info
                    .details
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                json!({
                    "id": c.id,
                    "available": true,
                    "description": info.description,
                    "details": details,
                    "algorithms": info.algorithms,
                })
            }
            Err(why) => json!({ "id": c.id, "available": false, "reason": why }),
        })
        .collect();
    let algorithms: Vec<Value> = engine
        .selections()
        .map(|s| {
            let alg: Algorithm = s.algorithm.parse().expect("selections use catalogue ids");
            json!({
                "algorithm": s.algorithm,
                "provider": s.provider,
                "reason": s.reason,
                "fips_approved": alg.info().fips.is_approved(),
            })
        })
        .collect();
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "cpu": { "arch": cpu.arch(), "model": cpu.model(), "features": features },
        "forced_provider": engine.forced(),
        "fips_mode": engine.fips_mode(),
        "error_state": engine.status().err().map(|e| e.to_string()),
        "providers": providers,
        "algorithms": algorithms,
    })
}

fn text(engine: &Engine) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let cpu = engine.cpu();
    let _ = writeln!(out, "cpu: {} ({})", cpu.model(), cpu.arch());
    if engine.fips_mode() {
        let state = match engine.status() {
            Ok(()) => format!("{} self-tests passed", engine.self_tests().len()),
            Err(e) => format!("ERROR STATE: {e}"),
        };
        let _ = writeln!(out, "mode: FIPS policy, approved algorithms only; {state}");
    }
    let found: Vec<_> = cpu
        .checked()
        .iter()
        .filter(|(_, p)| *p)
        .map(|(f, _)| f.name())
        .collect();
    let absent: Vec<_> = cpu
        .checked()
        .iter()
        .filter(|(_, p)| !*p)
        .map(|(f, _)| f.name())
        .collect();
    let list = |v: &[&str]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(" ")
        }
    };
    let _ = writeln!(out, "  detected: {}", list(&found));
    let _ = writeln!(out, "  absent:   {}", list(&absent));
    let _ = writeln!(out, "\nproviders (best first):");
    for c in engine.candidates() {
        match &c.status {
            Ok(p) => {
                let info = p.info();
                let _ = writeln!(
                    out,
                    "  {:<12} available    {}",
                    c.id.as_str(),
                    info.description
                );
                for (aspect, used) in &info.details {
                    let _ = writeln!(out, "  {:<12}   {aspect:<9} {used}", "");
                }
            }
            Err(why) => {
                let _ = writeln!(out, "  {:<12} unavailable  {why}", c.id.as_str());
            }
        }
    }
    let _ = writeln!(out, "\nalgorithms:          provider     FIPS policy   why");
    for s in engine.selections() {
        let provider = s.provider.map_or("-", |p| p.as_str());
        let alg: Algorithm = s.algorithm.parse().expect("selections use catalogue ids");
        let fips = if alg.info().fips.is_approved() {
            "approved"
        } else {
            "not approved"
        };
        let _ = writeln!(
            out,
            "  {:<18} {:<12} {:<13} {}",
            s.algorithm, provider, fips, s.reason
        );
    }
    out
}
