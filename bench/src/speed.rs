//! `wirecrypt speed`: throughput per algorithm, provider, buffer size and stream count, in
//! the manner of `openssl speed -evp`, with peers (ring, aws-lc-rs, OpenSSL) measured in
//! the same run for comparison.
//!
//! Speed is only ever reported as a ratio to something measured in the same run (see
//! [`report`]): several providers (`--provider pkcs11,rustcrypto,vaes256`, or the same
//! list in `WIRECRYPT_PROVIDER`; see [`crate::engine_args`]) are measured side by side, and the `pkcs11` provider beside a bare loop through `cryptoki` on the
//! same token, so that a token's slowness is not mistaken for the engine's.
//!
//! `--streams N` runs N threads at once, each with its own key object, as N independent
//! connections would: per-call cost at small sizes and aggregate throughput at large
//! ones are what a server with many TLS or SSH connections sees, and what a token's
//! session handling can make or break. One stream is the default and reads as it always
//! has.
//!
//! Modules: [`measure`] is the timing loop (one stream or several), [`op`] what is
//! measured and with which inputs, [`engine`] the engine's workloads, [`peers`] ring and
//! aws-lc-rs, [`openssl`] the `openssl speed` subprocess, [`pkcs11_bare`] the PKCS#11 bare
//! loop, [`report`] the ratios, the table and the JSON.

mod engine;
pub mod layer;
mod measure;
mod op;
mod openssl;
mod peers;
mod pkcs11_bare;
pub(crate) mod report;

use std::error::Error;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use wirecrypt::{Algorithm, Engine, Provider, ProviderId};

use crate::engine_args::EngineArgs;

use op::Op;
use peers::Peer;
use report::{Record, Source};

/// Buffer sizes measured when `--size` is not given.
pub const DEFAULT_SIZES: [usize; 3] = [64, 1024, 16384];

/// The largest `--size` accepted (1 GiB): two buffers of it are allocated. With several
/// streams, size times streams is held to the same bound (each stream has its buffers).
pub const MAX_SIZE: usize = 1 << 30;

/// The longest `--seconds` accepted per measurement (one hour).
pub const MAX_SECONDS: f64 = 3600.0;

/// The most concurrent streams `--streams` accepts (one thread each).
pub const MAX_STREAMS: usize = 256;

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

    /// Concurrent streams: N threads run the same operation at once, each with its own
    /// key object; repeat or comma-separate (e.g. 1,8), 1 to 256. Rates are summed over
    /// the streams; with this option the table also shows microseconds per call per
    /// stream. Default: 1.
    #[arg(
        long = "streams",
        value_name = "N",
        value_delimiter = ',',
        value_parser = parse_streams,
        allow_negative_numbers = true
    )]
    pub streams: Vec<usize>,

    /// Seconds per measurement (OpenSSL runs whole seconds, at least 1). With one stream
    /// the rate is the median of ~1 ms batches (a batch another process interrupted
    /// does not count against the row; the JSON keeps the wall-clock rate beside it as
    /// wall_bytes_per_sec); with several streams it is the wall-clock total. OpenSSL's
    /// rows are the totals `openssl speed` reports.
    #[arg(
        long,
        value_name = "S",
        default_value = "0.5",
        value_parser = parse_seconds,
        allow_negative_numbers = true
    )]
    pub seconds: f64,

    /// Rounds per measurement cell: every implementation is measured once per round, in
    /// turn, and its best round is kept, so a burst of load from elsewhere on a shared
    /// machine hits one round of one implementation instead of a whole row (1 to 20).
    /// OpenSSL runs in the first round only.
    #[arg(
        long,
        value_name = "N",
        default_value = "1",
        value_parser = parse_rounds,
        allow_negative_numbers = true
    )]
    pub rounds: usize,

    /// Print a JSON list of measurements instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Also measure ring and aws-lc-rs (with the `peers` feature) and `openssl speed`.
    #[arg(long)]
    pub peers: bool,

    /// Measure whole records or packets instead of bare algorithms: key (the bare AEAD
    /// key), tls13, tls12, ssh; repeat or comma-separate. The key rows are always
    /// measured beside the layers, in the same run. Default sizes: 16 KiB for TLS, 32 KiB
    /// for SSH.
    #[arg(
        long = "layer",
        value_name = "LAYER",
        value_delimiter = ',',
        value_enum
    )]
    pub layers: Vec<layer::Layer>,

    /// With `--layer`: records (TLS) or packets (SSH) per call — laid out and sealed by
    /// one `seal_batch`, or opened from one receive buffer by one `open_buffer`;
    /// comma-separate to compare batch sizes in one run (1 to 64; default 1).
    #[arg(
        long = "records",
        value_name = "N",
        value_delimiter = ',',
        value_parser = parse_records,
        allow_negative_numbers = true
    )]
    pub records: Vec<usize>,
}

/// The most `--records` accepted.
pub const MAX_RECORDS: usize = 64;

/// Parses one `--records` value: 1 to [`MAX_RECORDS`].
pub fn parse_records(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_RECORDS).contains(&n) => Ok(n),
        Ok(_) => Err(format!(
            "records must be from 1 to {MAX_RECORDS} per call, got '{s}'"
        )),
        Err(_) => Err(format!("'{s}' is not a number of records (e.g. 8)")),
    }
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

/// Parses one `--streams` value: a whole number from 1 to [`MAX_STREAMS`].
pub fn parse_streams(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{s}' is not a number of streams: use a whole number such as 8"
        ));
    }
    match t.parse::<usize>() {
        Ok(n) if (1..=MAX_STREAMS).contains(&n) => Ok(n),
        // Zero, negative, or too many (however many digits).
        _ => Err(format!(
            "streams must be from 1 to {MAX_STREAMS}, got '{s}'"
        )),
    }
}

/// The most `--rounds` accepted.
pub const MAX_ROUNDS: usize = 20;

/// Parses `--rounds`: 1 to [`MAX_ROUNDS`].
pub fn parse_rounds(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_ROUNDS).contains(&n) => Ok(n),
        Ok(_) => Err(format!("rounds must be from 1 to {MAX_ROUNDS}, got '{s}'")),
        Err(_) => Err(format!("'{s}' is not a number of rounds (e.g. 3)")),
    }
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
fn dedup<T: PartialEq + Clone>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
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

/// Runs `wirecrypt speed` on the providers `engine` chooses (every available one unless
/// some are forced); in FIPS mode, measures only what the engine allows. Fails, before
/// measuring anything, when nothing asked for can be measured.
pub fn run(args: &Args, engine: &EngineArgs) -> Result<(), Box<dyn Error>> {
    let engines = engine.engines()?;
    let providers = providers_of(&engines)?;
    if !args.layers.is_empty() {
        return run_layers(args, &providers, engines[0].fips_mode());
    }
    if !args.records.is_empty() {
        return Err("--records counts records per call of a record layer: give --layer too".into());
    }
    let requested: Vec<Algorithm> = if args.algs.is_empty() {
        Algorithm::all().collect()
    } else {
        dedup(&args.algs)
    };
    let (algs, refused) = allowed(&engines[0], &requested);
    let sizes = if args.sizes.is_empty() {
        DEFAULT_SIZES.to_vec()
    } else {
        dedup(&args.sizes)
    };
    let stream_counts = if args.streams.is_empty() {
        vec![1]
    } else {
        dedup(&args.streams)
    };
    check_buffers(&sizes, &stream_counts)?;
    if !algs
        .iter()
        .any(|&alg| providers.iter().any(|p| p.supports(alg)))
    {
        let mut why: Vec<String> = refused.iter().map(ToString::to_string).collect();
        why.extend(unserved(&providers, &algs));
        return Err(format!("nothing to measure: {}", why.join("; ")).into());
    }
    let duration = Duration::from_secs_f64(args.seconds);
    let clock_mhz = measure::cpu_mhz();
    let mut notes = Notes::default();
    for why in &refused {
        notes.add(format!("not measured: {why}"));
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
                    "openssl: {version}; `openssl speed` runs whole seconds ({} s each)",
                    openssl::whole_seconds(args.seconds)
                ));
                if stream_counts.iter().any(|&n| n != 1) {
                    notes.add(
                        "openssl: measured at 1 stream only \
                         (`openssl speed` runs as its own process)",
                    );
                }
                true
            }
            Err(why) => {
                notes.add(format!("openssl not measured: {why}"));
                false
            }
        };

    for why in unserved(&providers, &algs) {
        notes.add(format!("{why} (no rows)"));
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
                for &streams in &stream_counts {
                    let cell = Cell {
                        alg,
                        op,
                        size,
                        streams,
                        duration,
                        clock_mhz,
                    };
                    // Best round per implementation, in first-measured order.
                    let mut best: Vec<Record> = Vec::new();
                    let mut keep = |record: Record| match best
                        .iter_mut()
                        .find(|r| r.provider == record.provider)
                    {
                        Some(r) if r.bytes_per_sec >= record.bytes_per_sec => {}
                        Some(r) => *r = record,
                        None => best.push(record),
                    };
                    for round in 0..args.rounds {
                        for provider in &serving {
                            progress.show(&cell.describe(provider.id().as_str()));
                            let m = measure::run_streams(streams, duration, |timing| {
                                engine::measure(provider.as_ref(), alg, op, size, timing)
                            })
                            .map_err(|e| {
                                format!("{} {}: {e}", provider.id(), cell.describe_short())
                            })?;
                            keep(cell.record(provider.id().as_str(), Source::Engine, &m));
                            if provider.id() == ProviderId::Pkcs11 {
                                progress.show(&cell.describe(pkcs11_bare::NAME));
                                if let Some(r) = measure_bare(&cell, &mut notes) {
                                    keep(r);
                                }
                            }
                        }
                        for &peer in linked_peers {
                            progress.show(&cell.describe(peer.name()));
                            match measure::run_streams_optional(streams, duration, |timing| {
                                peer.measure(alg, op, size, timing)
                            }) {
                                Some(Ok(m)) => keep(cell.record(peer.name(), Source::Peer, &m)),
                                Some(Err(e)) if round == 0 => {
                                    notes.add(format!("{}: {e}", cell.describe_short()));
                                }
                                Some(Err(_)) | None => {}
                            }
                        }
                    }
                    records.extend(best);
                    if use_openssl && streams == 1 {
                        progress.show(&cell.describe("openssl"));
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
    if records.iter().any(|r| r.source == Source::Baseline) {
        notes.add(format!(
            "{} = {}: the same AES-GCM C_Encrypt/C_Decrypt on the same token through cryptoki, \
             no engine in between (own session and key per stream); \
             'x {}' on a pkcs11 row is the engine's rate over it (below 1: engine overhead)",
            pkcs11_bare::NAME,
            pkcs11_bare::LABEL,
            pkcs11_bare::NAME
        ));
    }
    report::attach_ratios(&mut records);
    let references: Vec<&str> = dedup(
        &records
            .iter()
            .filter_map(|r| r.ratio_to_reference.as_ref())
            .map(|q| q.peer.as_str())
            .collect::<Vec<_>>(),
    );
    for reference in references {
        notes.add(format!(
            "'x {reference}' = the row's rate over {reference}'s in the same cell \
             (the reference provider: {}, the portable baseline, when measured; \
             else the first provider)",
            report::REFERENCE_PROVIDER
        ));
    }

    if args.json {
        println!("{}", report::json(&records)?);
        for note in &notes.0 {
            eprintln!("note: {note}");
        }
    } else {
        let heading = report::Heading {
            seconds: args.seconds,
            clock_mhz,
            streams: !args.streams.is_empty(),
            rounds: args.rounds,
        };
        print!("{}", report::table(&records, &heading, &notes.0));
    }
    Ok(())
}

/// `speed --layer`: the record layers beside their keys ([`layer`]).
fn run_layers(
    args: &Args,
    providers: &[Arc<dyn Provider>],
    fips: bool,
) -> Result<(), Box<dyn Error>> {
    let mut algs = Vec::new();
    for alg in dedup(&args.algs) {
        match alg {
            Algorithm::Aead(a) => algs.push(a),
            other => return Err(format!("--layer measures AEADs only, not {other}").into()),
        }
    }
    layer::run(
        &dedup(&args.layers),
        &algs,
        &dedup(&args.sizes),
        &if args.records.is_empty() {
            vec![1]
        } else {
            dedup(&args.records)
        },
        providers,
        layer::Timing {
            duration: Duration::from_secs_f64(args.seconds),
            rounds: args.rounds,
        },
        fips,
    )
}

/// One cell of the table being measured: algorithm, operation, size and stream count.
struct Cell {
    alg: Algorithm,
    op: Op,
    size: usize,
    streams: usize,
    duration: Duration,
    clock_mhz: Option<f64>,
}

impl Cell {
    /// `alg op size B`, with the streams when more than one.
    fn describe_short(&self) -> String {
        let Cell {
            alg,
            op,
            size,
            streams,
            ..
        } = self;
        if *streams > 1 {
            format!("{alg} {op} {size} B x{streams} streams")
        } else {
            format!("{alg} {op} {size} B")
        }
    }

    /// What the progress line shows for `who` measuring this cell.
    fn describe(&self, who: &str) -> String {
        format!("{who} {}", self.describe_short())
    }

    /// The record of `m`, measured by `who` in this cell.
    fn record(&self, who: &str, source: Source, m: &measure::Measurement) -> Record {
        Record::new(who, source, self.alg.id(), self.op, m, self.clock_mhz)
            .with_streams(self.streams)
    }
}

/// Measures the pkcs11 bare loop in `cell` (AES-GCM only): its record, or `None` with a
/// note on why not.
fn measure_bare(cell: &Cell, notes: &mut Notes) -> Option<Record> {
    if !pkcs11_bare::covers(cell.alg, cell.op) {
        return None;
    }
    if !pkcs11_bare::linked() {
        notes.add(pkcs11_bare::NOT_BUILT);
        return None;
    }
    let result = measure::run_streams_optional(cell.streams, cell.duration, |timing| {
        pkcs11_bare::measure(cell.alg, cell.op, cell.size, timing)
    });
    match result {
        Some(Ok(m)) => Some(
            cell.record(pkcs11_bare::NAME, Source::Baseline, &m)
                .baseline_of(pkcs11_bare::BASELINE_OF),
        ),
        Some(Err(e)) => {
            notes.add(format!(
                "{} not measured for {}: {e}",
                pkcs11_bare::LABEL,
                cell.describe_short()
            ));
            None
        }
        None => None,
    }
}

/// Refuses size and stream combinations whose buffers would not fit the size bound:
/// every stream allocates its own buffers.
fn check_buffers(sizes: &[usize], stream_counts: &[usize]) -> Result<(), String> {
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let most = stream_counts.iter().copied().max().unwrap_or(1);
    match largest.checked_mul(most) {
        Some(total) if total <= MAX_SIZE => Ok(()),
        _ => Err(format!(
            "--size {largest} with --streams {most} needs {most} sets of buffers: \
             size x streams must be at most {MAX_SIZE} bytes (1 GiB)"
        )),
    }
}

/// The providers to measure: each engine's forced provider, in the order given, or every
/// available one. An engine in its error state (a failed FIPS self-test) measures nothing.
///
/// A FIPS-mode engine's providers refuse caller-chosen GCM nonces, which the timing loops
/// use on throwaway data; so once its self-tests have passed, the same providers are
/// timed from a twin engine outside FIPS mode. FIPS mode still decides which algorithms
/// are timed (see [`allowed`]).
fn providers_of(engines: &[Engine]) -> Result<Vec<Arc<dyn Provider>>, Box<dyn Error>> {
    let mut providers: Vec<Arc<dyn Provider>> = Vec::new();
    for engine in engines {
        engine.status()?;
        let twin;
        let timed = if engine.fips_mode() {
            let builder = match engine.forced() {
                Some(id) => Engine::builder().provider(id.to_string()),
                None => Engine::builder().ignore_env(),
            };
            twin = builder.fips(false).build()?;
            &twin
        } else {
            engine
        };
        match timed.forced() {
            Some(id) => providers.extend(timed.provider(id)),
            None => providers.extend(timed.available()),
        }
    }
    Ok(providers)
}

/// Splits `requested` into what `engine` allows and why it refuses the rest: in FIPS
/// mode, the refusal [`Engine::provider_for`] gives every other caller.
fn allowed(engine: &Engine, requested: &[Algorithm]) -> (Vec<Algorithm>, Vec<wirecrypt::Error>) {
    let mut algs = Vec::new();
    let mut refused = Vec::new();
    for &alg in requested {
        match engine.provider_for(alg) {
            Err(e @ wirecrypt::Error::FipsNotApproved { .. }) => refused.push(e),
            _ => algs.push(alg),
        }
    }
    (algs, refused)
}

/// For each provider, the algorithms in `algs` it does not implement, said in words.
fn unserved(providers: &[Arc<dyn Provider>], algs: &[Algorithm]) -> Vec<String> {
    providers
        .iter()
        .filter_map(|p| {
            let missing: Vec<&str> = algs
                .iter()
                .filter(|&&alg| !p.supports(alg))
                .map(|alg| alg.id())
                .collect();
            (!missing.is_empty())
                .then(|| format!("{} does not implement {}", p.id(), missing.join(", ")))
        })
        .collect()
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
        assert!(a.streams.is_empty());
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
            "--streams",
            "1,8",
            "--streams=256",
            "--json",
            "--peers",
        ])
        .unwrap();
        let ids: Vec<&str> = a.algs.iter().map(|a| a.id()).collect();
        assert_eq!(ids, ["aes-256-gcm", "chacha20-poly1305", "sha256"]);
        assert_eq!(a.sizes, [64, 16384, 0, 1 << 20]);
        assert_eq!(a.seconds, 0.25);
        assert_eq!(a.streams, [1, 8, 256]);
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

        for bad in ["0", "257", "-1", "1,0"] {
            let err = parse(&["--streams", bad]).unwrap_err().to_string();
            assert!(err.contains("from 1 to 256"), "{bad}: {err}");
        }
        for bad in ["0", "21", "-2", "many"] {
            let err = parse(&["--rounds", bad]).unwrap_err().to_string();
            assert!(err.contains("rounds"), "{bad}: {err}");
        }
        assert_eq!(parse(&["--rounds", "3"]).unwrap().rounds, 3);
        let err = parse(&["--streams", "eight"]).unwrap_err().to_string();
        assert!(err.contains("not a number of streams"), "{err}");
    }

    #[test]
    fn streams_forms() {
        assert_eq!(parse_records("8"), Ok(8));
        assert_eq!(parse_records(" 1 "), Ok(1));
        assert!(parse_records("0").is_err());
        assert!(parse_records("65").is_err());
        assert!(parse_records("-1").is_err());
        assert_eq!(parse_streams("1"), Ok(1));
        assert_eq!(parse_streams(" 8 "), Ok(8));
        assert_eq!(parse_streams("256"), Ok(MAX_STREAMS));
        assert!(parse_streams("1.5").is_err());
        assert!(parse_streams("").is_err());
        assert!(parse_streams(&u64::MAX.to_string()).is_err());
        assert!(parse_streams("99999999999999999999999").is_err());
    }

    #[test]
    fn buffers_are_bounded_across_streams() {
        assert!(check_buffers(&[64, 16384], &[1, 8]).is_ok());
        assert!(check_buffers(&[MAX_SIZE], &[1]).is_ok());
        let err = check_buffers(&[1 << 24], &[1, 128]).unwrap_err();
        assert!(
            err.contains("--streams 128") && err.contains("1 GiB"),
            "{err}"
        );
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

    fn engine(fips: bool) -> Engine {
        Engine::builder().ignore_env().fips(fips).build().unwrap()
    }

    #[test]
    fn fips_mode_refuses_what_the_engine_refuses() {
        let requested: Vec<Algorithm> = Algorithm::all().collect();
        let (algs, refused) = allowed(&engine(false), &requested);
        assert_eq!(algs, requested);
        assert!(refused.is_empty());

        let (algs, refused) = allowed(&engine(true), &requested);
        assert!(algs.iter().all(|a| a.info().fips.is_approved()), "{algs:?}");
        assert_eq!(algs.len() + refused.len(), requested.len());
        let chacha: Algorithm = "chacha20-poly1305".parse().unwrap();
        assert!(!algs.contains(&chacha));
        let said: Vec<String> = refused.iter().map(ToString::to_string).collect();
        assert!(
            said.iter()
                .any(|s| s.starts_with("FIPS mode refuses chacha20-poly1305: ")),
            "{said:?}"
        );
    }

    #[test]
    fn unserved_names_each_provider_and_what_it_lacks() {
        let providers = providers_of(&[engine(false)]).unwrap();
        let chacha: Algorithm = "chacha20-poly1305".parse().unwrap();
        let said = unserved(&providers, &[chacha]);
        for p in &providers {
            let line = format!("{} does not implement chacha20-poly1305", p.id());
            assert_eq!(said.contains(&line), !p.supports(chacha), "{said:?}");
        }
        assert!(unserved(&providers, &[]).is_empty());
    }
}
