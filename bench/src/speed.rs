//! `wirecrypt speed`: one-core throughput per algorithm, provider and buffer size, in the
//! manner of `openssl speed -evp`, with peers (ring, aws-lc-rs, OpenSSL) measured in the
//! same run for comparison.
//!
//! Modules: [`measure`] is the timing loop, [`op`] what is measured and with which inputs,
//! [`engine`] the engine's workloads, [`peers`] ring and aws-lc-rs, [`openssl`] the
//! `openssl speed` subprocess, [`report`] the table and the JSON.

mod engine;
mod measure;
mod op;
mod openssl;
mod peers;
mod report;

use std::error::Error;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use wirecrypt::{Algorithm, Engine, Provider};

use op::Op;
use peers::Peer;
use report::{Record, Source};

/// Buffer sizes measured when `--size` is not given.
pub const DEFAULT_SIZES: [usize; 3] = [64, 1024, 16384];

/// The largest `--size` accepted (1 GiB): two buffers of it are allocated.
pub const MAX_SIZE: usize = 1 << 30;

/// The longest `--seconds` accepted per measurement (one hour).
pub const MAX_SECONDS: f64 = 3600.0;

/// Arguments of `wirecrypt speed`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Algorithm to measure, by engine id (e.g. aes-256-gcm); repeat or comma-separate.
    /// Default: every algorithm in the catalogue.
    #[arg(long = "alg", value_name = "ALG", value_delimiter = ',', value_parser = parse_alg)]
    pub algs: Vec<Algorithm>,

    /// Buffer size in bytes (suffixes k/KiB and m/MiB allowed); repeat or comma-separate.
    /// Default: 64,1024,16384.
    #[arg(
        long = "size",
        value_name = "BYTES",
        value_delimiter = ',',
        value_parser = parse_size,
        allow_negative_numbers = true
    )]
    pub sizes: Vec<usize>,

    /// Measure only this engine provider (an unknown or unavailable id is an error).
    /// Default: every provider available on this machine.
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,

    /// Seconds per measurement (OpenSSL runs whole seconds, at least 1).
    #[arg(
        long,
        value_name = "S",
        default_value = "0.5",
        value_parser = parse_seconds,
        allow_negative_numbers = true
    )]
    pub seconds: f64,

    /// Print a JSON list of measurements instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Also measure ring and aws-lc-rs (with the `peers` feature) and `openssl speed`.
    #[arg(long)]
    pub peers: bool,
}

/// Parses one `--alg` value: an engine id (or an SSH name) from the catalogue.
pub fn parse_alg(s: &str) -> Result<Algorithm, String> {
    s.trim().parse::<Algorithm>().map_err(|e| e.to_string())
}

/// Parses one `--size` value: bytes, optionally with a binary k/KiB or m/MiB suffix.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let (digits, unit) = [
        ("kib", 1 << 10),
        ("k", 1 << 10),
        ("mib", 1 << 20),
        ("m", 1 << 20),
    ]
    .iter()
    .find_map(|&(suffix, unit)| lower.strip_suffix(suffix).map(|d| (d.trim(), unit)))
    .unwrap_or((lower.trim_end_matches('b').trim(), 1usize));
    let n: usize = digits.parse().map_err(|_| {
        format!("'{s}' is not a size in bytes: use a whole number such as 1024, 16k or 1MiB")
    })?;
    let bytes = n
        .checked_mul(unit)
        .filter(|&b| b <= MAX_SIZE)
        .ok_or_else(|| format!("size '{s}' is too large: at most {MAX_SIZE} bytes (1 GiB)"))?;
    Ok(bytes)
}

/// Parses `--seconds`: a positive, finite number of seconds, at most an hour.
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds (e.g. 0.5)"))?;
    if !v.is_finite() || v <= 0.0 {
        return Err(format!("seconds must be a positive number, got '{s}'"));
    }
    if v > MAX_SECONDS {
        return Err(format!(
            "seconds must be at most {MAX_SECONDS} per measurement, got '{s}'"
        ));
    }
    Ok(v)
}

/// The list with repeats removed, first occurrence kept.
fn dedup<T: PartialEq + Copy>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for &item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Notes for the end of the report, each said once.
#[derive(Default)]
struct Notes(Vec<String>);

impl Notes {
    fn add(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.0.contains(&note) {
            self.0.push(note);
        }
    }
}

/// Shows what is being measured, on a terminal only.
struct Progress {
    on: bool,
}

impl Progress {
    fn show(&self, what: &str) {
        if self.on {
            eprint!("\r\x1b[2Kmeasuring {what} ...");
        }
    }

    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Runs `wirecrypt speed`; with `fips`, measures only what FIPS mode allows.
pub fn run(args: &Args, fips: bool) -> Result<(), Box<dyn Error>> {
    let providers = engine_providers(args.provider.as_deref(), fips)?;
    let mut algs: Vec<Algorithm> = if args.algs.is_empty() {
        Algorithm::all().collect()
    } else {
        dedup(&args.algs)
    };
    let refused: Vec<&str> = algs
        .iter()
        .filter(|a| fips && !a.info().fips.is_approved())
        .map(|a| a.id())
        .collect();
    algs.retain(|a| !fips || a.info().fips.is_approved());
    let sizes = if args.sizes.is_empty() {
        DEFAULT_SIZES.to_vec()
    } else {
        dedup(&args.sizes)
    };
    let duration = Duration::from_secs_f64(args.seconds);
    let clock_mhz = measure::cpu_mhz();
    let mut notes = Notes::default();
    if !refused.is_empty() {
        notes.add(format!(
            "FIPS mode: not measured (not approved): {}",
            refused.join(", ")
        ));
    }
    let progress = Progress {
        on: std::io::stderr().is_terminal(),
    };

    let linked_peers: &[Peer] = if args.peers && Peer::linked() {
        &Peer::ALL
    } else {
        &[]
    };
    if args.peers && !Peer::linked() {
        notes.add(format!("ring, aws-lc-rs: {}", peers::NOT_BUILT));
    }
    let use_openssl = args.peers
        && match openssl::version() {
            Ok(version) => {
                notes.add(format!(
                    "openssl: {version}; `openssl speed -elapsed` runs whole seconds ({} s each)",
                    openssl::whole_seconds(args.seconds)
                ));
                true
            }
            Err(why) => {
                notes.add(format!("openssl not measured: {why}"));
                false
            }
        };

    for p in &providers {
        let missing: Vec<&str> = algs
            .iter()
            .filter(|&&alg| !p.supports(alg))
            .map(|alg| alg.id())
            .collect();
        if !missing.is_empty() {
            notes.add(format!(
                "{} does not implement {} (no rows)",
                p.id(),
                missing.join(", ")
            ));
        }
    }

    let mut records: Vec<Record> = Vec::new();
    for &alg in &algs {
        let serving: Vec<&Arc<dyn Provider>> =
            providers.iter().filter(|p| p.supports(alg)).collect();
        if serving.is_empty() {
            continue;
        }
        for &op in Op::for_algorithm(alg) {
            for &size in &sizes {
                for provider in &serving {
                    progress.show(&format!("{} {alg} {op} {size} B", provider.id()));
                    let m = engine::measure(provider.as_ref(), alg, op, size, duration)
                        .map_err(|e| format!("{} {alg} {op} {size} B: {e}", provider.id()))?;
                    records.push(Record::new(
                        provider.id().as_str(),
                        Source::Engine,
                        alg.id(),
                        op,
                        &m,
                        clock_mhz,
                    ));
                }
                for &peer in linked_peers {
                    progress.show(&format!("{} {alg} {op} {size} B", peer.name()));
                    match peer.measure(alg, op, size, duration) {
                        Some(Ok(m)) => records.push(Record::new(
                            peer.name(),
                            Source::Peer,
                            alg.id(),
                            op,
                            &m,
                            clock_mhz,
                        )),
                        Some(Err(e)) => notes.add(format!("{alg} {op} {size} B: {e}")),
                        None => {}
                    }
                }
                if use_openssl {
                    progress.show(&format!("openssl {alg} {op} {size} B"));
                    measure_openssl(
                        alg,
                        op,
                        size,
                        args.seconds,
                        clock_mhz,
                        &mut records,
                        &mut notes,
                    );
                }
            }
        }
    }
    progress.done();

    if records
        .iter()
        .any(|r| r.source == Source::Engine && r.op == Op::Digest)
    {
        notes.add(
            "engine digest rows include one small allocation per call: \
             wirecrypt::HashContext has no reset, so each digest needs a fresh context",
        );
    }
    if records.iter().any(|r| r.op == Op::Open) {
        notes.add(
            "open = verify and decrypt a real sealed message copied into a working buffer \
             (the engine's AeadKey::open; copy + open_in_place for ring and aws-lc-rs)",
        );
    }
    report::attach_ratios(&mut records);

    if args.json {
        println!("{}", report::json(&records)?);
        for note in &notes.0 {
            eprintln!("note: {note}");
        }
    } else {
        let heading = report::Heading {
            seconds: args.seconds,
            clock_mhz,
        };
        print!("{}", report::table(&records, &heading, &notes.0));
    }
    Ok(())
}

/// The engine and the providers to measure: the forced one, or every available one.
fn engine_providers(
    forced: Option<&str>,
    fips: bool,
) -> Result<Vec<Arc<dyn Provider>>, Box<dyn Error>> {
    match forced {
        Some(id) => {
            let engine = Engine::builder().provider(id).fips(fips).build()?;
            engine.status()?;
            let providers: Vec<_> = engine
                .forced()
                .and_then(|id| engine.provider(id))
                .into_iter()
                .collect();
            if providers.is_empty() {
                return Err(format!("provider '{id}' is not available here").into());
            }
            Ok(providers)
        }
        None => {
            let engine = Engine::builder().ignore_env().fips(fips).build()?;
            engine.status()?;
            Ok(engine.available().collect())
        }
    }
}

/// Runs `openssl speed` for one cell, recording the result or a note on why not.
fn measure_openssl(
    alg: Algorithm,
    op: Op,
    size: usize,
    seconds: f64,
    clock_mhz: Option<f64>,
    records: &mut Vec<Record>,
    notes: &mut Notes,
) {
    if let Err(why) = openssl::args_for(alg, op) {
        notes.add(format!("openssl: {why}"));
        return;
    }
    if size == 0 {
        notes.add(
            "openssl: `openssl speed` cannot measure 0-byte buffers (-bytes must be at least 1)",
        );
        return;
    }
    match openssl::measure(alg, op, size, seconds) {
        Ok(run) => {
            if op == Op::Open {
                notes.add(
                    "openssl open = `openssl speed -aead -decrypt`: decrypts in place and \
                     checks a fake tag (the same work as a real open; the check fails)",
                );
            }
            let mut record = Record::new(
                openssl::PROGRAM,
                Source::Peer,
                alg.id(),
                op,
                &run.measurement,
                clock_mhz,
            );
            record.command = Some(run.command);
            records.push(record);
        }
        Err(e) => notes.add(format!("openssl {alg} {op} {size} B not measured: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
        Cli::try_parse_from(std::iter::once("speed").chain(argv.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn defaults() {
        let a = parse(&[]).unwrap();
        assert!(a.algs.is_empty());
        assert!(a.sizes.is_empty());
        assert_eq!(a.seconds, 0.5);
        assert!(a.provider.is_none());
        assert!(!a.json && !a.peers);
    }

    #[test]
    fn lists_repeat_and_split_on_commas() {
        let a = parse(&[
            "--alg",
            "aes-256-gcm,chacha20-poly1305",
            "--alg",
            "sha256",
            "--size",
            "64,16k",
            "--size",
            "0",
            "--size=1MiB",
            "--seconds",
            "0.25",
            "--provider",
            "rustcrypto",
            "--json",
            "--peers",
        ])
        .unwrap();
        let ids: Vec<&str> = a.algs.iter().map(|a| a.id()).collect();
        assert_eq!(ids, ["aes-256-gcm", "chacha20-poly1305", "sha256"]);
        assert_eq!(a.sizes, [64, 16384, 0, 1 << 20]);
        assert_eq!(a.seconds, 0.25);
        assert_eq!(a.provider.as_deref(), Some("rustcrypto"));
        assert!(a.json && a.peers);
    }

    #[test]
    fn bad_values_get_clear_messages() {
        let err = parse(&["--alg", "aes-256-gcm,rc4"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown algorithm 'rc4'"), "{err}");
        assert!(err.contains("chacha20-poly1305"), "{err}");

        let err = parse(&["--seconds", "-1"]).unwrap_err().to_string();
        assert!(err.contains("positive"), "{err}");
        let err = parse(&["--seconds", "0"]).unwrap_err().to_string();
        assert!(err.contains("positive"), "{err}");
        let err = parse(&["--seconds", "abc"]).unwrap_err().to_string();
        assert!(err.contains("not a number"), "{err}");

        let err = parse(&["--size", "-5"]).unwrap_err().to_string();
        assert!(err.contains("not a size"), "{err}");
        let err = parse(&["--size", "2g"]).unwrap_err().to_string();
        assert!(err.contains("not a size"), "{err}");
        let err = parse(&["--size", "2048m"]).unwrap_err().to_string();
        assert!(err.contains("too large"), "{err}");
    }

    #[test]
    fn size_forms() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size(" 1024 "), Ok(1024));
        assert_eq!(parse_size("1024B"), Ok(1024));
        assert_eq!(parse_size("64KiB"), Ok(65536));
        assert_eq!(parse_size("64 k"), Ok(65536));
        assert_eq!(parse_size("1m"), Ok(1 << 20));
        assert!(parse_size("1GiB").unwrap_err().contains("not a size"));
        assert!(parse_size("").is_err());
        assert!(parse_size("1.5k").is_err());
        assert!(
            parse_size(&format!("{}", usize::MAX))
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn dedup_keeps_first_order() {
        assert_eq!(dedup(&[3, 1, 3, 2, 1]), [3, 1, 2]);
    }

    #[test]
    fn an_unknown_provider_names_the_valid_ones() {
        let err = engine_providers(Some("nonexistent"), false)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("nonexistent") && err.contains("rustcrypto"),
            "{err}"
        );
        assert!(!engine_providers(None, false).unwrap().is_empty());
        let forced = engine_providers(Some("rustcrypto"), false).unwrap();
        assert_eq!(forced.len(), 1);
    }
}
