//! Results: one [`Record`] per measurement, the ratios that make its speed mean something,
//! and the two ways out — a text table and JSON.
//!
//! Speed is always read as a ratio to something measured in the same run on the same
//! machine: these machines are shared and noisy, and absolute numbers do not travel. So
//! every engine row of a cell (same algorithm, operation, size and stream count) gets
//!
//! * its ratio to the best peer library (`ratio_to`, as before);
//! * for `pkcs11`, its ratio to the bare loop through `cryptoki` on the same token
//!   (`ratio_to_baseline`): the engine's own overhead;
//! * its ratio to the reference provider (`ratio_to_reference`): `rustcrypto`, the
//!   portable baseline present in every build, or else the first provider measured;
//! * in JSON, its ratio to every other engine provider in the cell (`ratios_to_providers`).

use std::fmt::Write as _;

use super::measure::Measurement;
use super::op::Op;

/// The provider other engine rows are compared with in the table, when it was measured:
/// the portable, audited baseline that every build and every machine has.
pub const REFERENCE_PROVIDER: &str = "rustcrypto";

/// Who produced a measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A provider of the engine.
    Engine,
    /// A peer library or program measured for comparison.
    Peer,
    /// A bare loop through the library under an engine provider, with no engine in
    /// between (the pkcs11 bare loop through `cryptoki`): the floor of that provider.
    Baseline,
}

/// A row's throughput relative to another row of the same cell.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Ratio {
    /// What the row is compared with: a peer, an engine provider or a bare loop.
    pub peer: String,
    /// This row's throughput divided by that one's (above 1: this row is faster).
    pub ratio: f64,
}

/// One measurement, as printed in JSON.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Record {
    /// The engine provider id, the peer's name, or the bare loop's name.
    pub provider: String,
    /// Engine, peer or baseline.
    pub source: Source,
    /// The algorithm's engine id (`aes-256-gcm`).
    pub alg: &'static str,
    /// The operation.
    pub op: Op,
    /// Buffer size in bytes.
    pub size: usize,
    /// Concurrent streams (threads, each with its own key) that ran this measurement.
    pub streams: usize,
    /// Calls timed, summed over the streams.
    pub iterations: u64,
    /// Wall-clock seconds timed (with several streams: from their common start to the
    /// last one's finish).
    pub seconds: f64,
    /// Throughput in bytes per second: with one stream the median of the ~1 ms batches'
    /// rates (when `batches` is present; OpenSSL's rows are its own totals), with
    /// several the wall-clock rate summed over the streams.
    pub bytes_per_sec: f64,
    /// Calls per second, measured as `bytes_per_sec` is.
    pub ops_per_sec: f64,
    /// Bytes per second over the whole timed part (wall clock, summed over the streams):
    /// what the machine delivered, load from elsewhere included.
    pub wall_bytes_per_sec: f64,
    /// Calls per second over the whole timed part (wall clock).
    pub wall_ops_per_sec: f64,
    /// Batches timed when `bytes_per_sec` is their median rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batches: Option<u64>,
    /// Microseconds per call within one stream (streams / calls per second): at small
    /// sizes, the per-call overhead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub us_per_call: Option<f64>,
    /// CPU cycles per byte at the nominal clock, when the clock is known, size > 0 and
    /// one stream ran (several streams spread over several cores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycles_per_byte: Option<f64>,
    /// For baseline rows, the engine provider they are the floor of (`pkcs11`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_of: Option<String>,
    /// For engine rows, the ratio to the best peer measured in the same run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_to: Option<Ratio>,
    /// For engine rows with a bare loop, the ratio to it (below 1: engine overhead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_to_baseline: Option<Ratio>,
    /// For engine rows other than the reference, the ratio to the reference provider
    /// ([`REFERENCE_PROVIDER`] when measured, else the first provider in the cell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_to_reference: Option<Ratio>,
    /// For engine rows, the ratio to every other engine provider in the same cell.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ratios_to_providers: Vec<Ratio>,
    /// For subprocess peers, the command that was run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

impl Record {
    /// A one-stream record of `m`, with cycles/byte derived from `clock_mhz` when known.
    pub fn new(
        provider: impl Into<String>,
        source: Source,
        alg: &'static str,
        op: Op,
        m: &Measurement,
        clock_mhz: Option<f64>,
    ) -> Record {
        let bytes_per_sec = m.bytes_per_sec();
        let ops_per_sec = m.ops_per_sec();
        let cycles_per_byte = clock_mhz
            .filter(|_| bytes_per_sec > 0.0)
            .map(|mhz| mhz * 1e6 / bytes_per_sec);
        Record {
            provider: provider.into(),
            source,
            alg,
            op,
            size: m.bytes_per_iter,
            streams: 1,
            iterations: m.iterations,
            seconds: m.seconds,
            bytes_per_sec,
            ops_per_sec,
            wall_bytes_per_sec: m.wall_bytes_per_sec(),
            wall_ops_per_sec: m.wall_ops_per_sec(),
            batches: m.batch_rate.map(|b| b.batches),
            us_per_call: us_per_call(1, ops_per_sec),
            cycles_per_byte,
            baseline_of: None,
            ratio_to: None,
            ratio_to_baseline: None,
            ratio_to_reference: None,
            ratios_to_providers: Vec::new(),
            command: None,
        }
    }

    /// The record of a measurement that `streams` streams ran together: the rates stay
    /// summed, the per-call time becomes per stream, and cycles/byte is dropped for more
    /// than one stream (the work ran on more than one core).
    pub fn with_streams(mut self, streams: usize) -> Record {
        let streams = streams.max(1);
        self.streams = streams;
        self.us_per_call = us_per_call(streams, self.ops_per_sec);
        if streams > 1 {
            self.cycles_per_byte = None;
        }
        self
    }

    /// The record of a bare loop under the engine provider `of`.
    pub fn baseline_of(mut self, of: impl Into<String>) -> Record {
        self.baseline_of = Some(of.into());
        self
    }

    /// The figure compared across implementations: bytes/s, or calls/s for empty buffers.
    fn rate(&self) -> f64 {
        if self.size == 0 {
            self.ops_per_sec
        } else {
            self.bytes_per_sec
        }
    }

    /// True when `other` measured the same cell: algorithm, operation, size and streams.
    fn same_cell(&self, other: &Record) -> bool {
        self.alg == other.alg
            && self.op == other.op
            && self.size == other.size
            && self.streams == other.streams
    }

    /// This row's rate as a ratio to `other`'s.
    fn ratio(&self, other: &Record) -> Ratio {
        Ratio {
            peer: other.provider.clone(),
            ratio: self.rate() / other.rate(),
        }
    }
}

/// Microseconds per call within one stream, when any call ran.
fn us_per_call(streams: usize, ops_per_sec: f64) -> Option<f64> {
    (ops_per_sec > 0.0).then(|| streams as f64 * 1e6 / ops_per_sec)
}

/// Sets the ratios of every engine record (see the module docs); records of a cell are
/// compared only with records of the same cell, and only with those that ran (rate > 0).
pub fn attach_ratios(records: &mut [Record]) {
    let ratios: Vec<_> = records
        .iter()
        .map(|r| {
            if r.source != Source::Engine {
                return (None, None, None, Vec::new());
            }
            let cell = |source: Source| {
                records
                    .iter()
                    .filter(move |p| p.source == source && r.same_cell(p) && p.rate() > 0.0)
            };
            let best_peer = cell(Source::Peer)
                .max_by(|a, b| a.rate().total_cmp(&b.rate()))
                .map(|p| r.ratio(p));
            let baseline = cell(Source::Baseline)
                .find(|b| b.baseline_of.as_deref() == Some(r.provider.as_str()))
                .map(|b| r.ratio(b));
            let engines: Vec<&Record> = cell(Source::Engine).collect();
            let reference = engines
                .iter()
                .find(|e| e.provider == REFERENCE_PROVIDER)
                .or_else(|| engines.first())
                .filter(|e| e.provider != r.provider)
                .map(|e| r.ratio(e));
            let others = engines
                .iter()
                .filter(|e| e.provider != r.provider)
                .map(|e| r.ratio(e))
                .collect();
            (best_peer, baseline, reference, others)
        })
        .collect();
    for (r, (best_peer, baseline, reference, others)) in records.iter_mut().zip(ratios) {
        r.ratio_to = best_peer;
        r.ratio_to_baseline = baseline;
        r.ratio_to_reference = reference;
        r.ratios_to_providers = others;
    }
}

/// The records as a pretty-printed JSON list.
pub fn json(records: &[Record]) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(records)
}

/// What the table's heading says about the run.
#[derive(Clone, Debug, Default)]
pub struct Heading {
    /// Seconds per measurement.
    pub seconds: f64,
    /// The nominal clock, when known.
    pub clock_mhz: Option<f64>,
    /// Whether streams were asked for (`--streams`): the heading explains them and every
    /// cell shows µs per call per stream. Off, the table reads as it always has.
    pub streams: bool,
    /// Rounds per cell (`--rounds`): above 1 the heading says each rate is the best round.
    pub rounds: usize,
}

/// How one stream's rate is measured, as the table's heading says it.
const MEDIAN_OF_BATCHES: &str = "the median of ~1 ms batches \
     (a batch another process interrupted does not count against the row)";

/// The number of parts in one table cell; see [`cell`].
const PARTS: usize = 6;

/// The text table: one row per (algorithm, operation, provider, streams) in the order
/// first measured, one column group per size (GB/s, cycles/byte, µs/call with
/// `--streams`, the ratios), then the notes. A part no row has takes no room.
pub fn table(records: &[Record], heading: &Heading, notes: &[String]) -> String {
    let mut out = String::new();
    if heading.streams {
        let _ = writeln!(
            out,
            "wirecrypt speed: {} s per measurement, GB/s = 10^9 bytes/s summed over streams \
             (wall clock); 1 stream: {MEDIAN_OF_BATCHES}",
            heading.seconds
        );
        let _ = writeln!(
            out,
            "streams = concurrent threads, each with its own key object; \
             us/call = microseconds per call within one stream"
        );
    } else {
        let _ = writeln!(
            out,
            "wirecrypt speed: one core, {} s per measurement, GB/s = 10^9 bytes/s, \
             {MEDIAN_OF_BATCHES}",
            heading.seconds
        );
    }
    if records.iter().any(|r| r.command.is_some()) {
        let _ = writeln!(
            out,
            "openssl rows: what `openssl speed` reports (all calls over its own CPU time), \
             not a median of batches"
        );
    }
    let one_stream = if heading.streams {
        ", 1 stream only"
    } else {
        ""
    };
    if heading.rounds > 1 {
        let _ = writeln!(
            out,
            "each rate is the best of {} rounds; in each round every implementation ran once, in turn",
            heading.rounds
        );
    }
    match heading.clock_mhz {
        Some(mhz) => {
            let _ = writeln!(
                out,
                "c/B = CPU cycles per byte at the nominal clock of {mhz:.0} MHz \
                 (cpu MHz in /proc/cpuinfo; turbo not accounted for{one_stream})"
            );
        }
        None => {
            let _ = writeln!(
                out,
                "cycles/byte: clock unknown (no cpu MHz in /proc/cpuinfo)"
            );
        }
    }
    out.push('\n');

    let mut sizes: Vec<usize> = Vec::new();
    let mut rows: Vec<(&str, Op, &str, usize)> = Vec::new();
    for r in records {
        if !sizes.contains(&r.size) {
            sizes.push(r.size);
        }
        let key = (r.alg, r.op, r.provider.as_str(), r.streams);
        if !rows.contains(&key) {
            rows.push(key);
        }
    }

    let empty = || std::array::from_fn::<String, PARTS, _>(|_| String::new());
    // cells[row][size] = the parts of one cell
    let cells: Vec<Vec<[String; PARTS]>> = rows
        .iter()
        .map(|&(alg, op, provider, streams)| {
            sizes
                .iter()
                .map(|&size| {
                    records
                        .iter()
                        .find(|r| {
                            r.alg == alg
                                && r.op == op
                                && r.provider == provider
                                && r.streams == streams
                                && r.size == size
                        })
                        .map_or_else(
                            || {
                                let mut parts = empty();
                                parts[0] = "-".to_owned();
                                parts
                            },
                            |r| cell(r, heading.streams),
                        )
                })
                .collect()
        })
        .collect();

    let label_widths = [
        rows.iter().map(|r| r.0.len()).chain([9]).max().unwrap_or(9),
        rows.iter()
            .map(|r| r.1.as_str().len())
            .chain([2])
            .max()
            .unwrap_or(2),
        rows.iter().map(|r| r.2.len()).chain([8]).max().unwrap_or(8),
        "streams".len(),
    ];
    let part_widths: Vec<[usize; PARTS]> = (0..sizes.len())
        .map(|s| {
            let mut w = [0usize; PARTS];
            for row in &cells {
                for (k, part) in row[s].iter().enumerate() {
                    w[k] = w[k].max(part.chars().count());
                }
            }
            w
        })
        .collect();
    let group_width = |w: &[usize; PARTS]| {
        w[0] + w[1..]
            .iter()
            .map(|&k| if k > 0 { 2 + k } else { 0 })
            .sum::<usize>()
    };

    let mut line = format!(
        "{:<a$}  {:<b$}  {:<c$}  {:<d$}",
        "algorithm",
        "op",
        "provider",
        "streams",
        a = label_widths[0],
        b = label_widths[1],
        c = label_widths[2],
        d = label_widths[3]
    );
    for (s, size) in sizes.iter().enumerate() {
        let label = format!("{size} B");
        let width = group_width(&part_widths[s]).max(label.len());
        let _ = write!(line, "  {label:<width$}");
    }
    out.push_str(line.trim_end());
    out.push('\n');

    for (row, (alg, op, provider, streams)) in cells.iter().zip(&rows) {
        let mut line = format!(
            "{alg:<a$}  {:<b$}  {provider:<c$}  {streams:>d$}",
            op.as_str(),
            a = label_widths[0],
            b = label_widths[1],
            c = label_widths[2],
            d = label_widths[3]
        );
        for (s, parts) in row.iter().enumerate() {
            let w = part_widths[s];
            let label_len = format!("{} B", sizes[s]).len();
            let mut group = format!("{:>w0$}", parts[0], w0 = w[0]);
            for k in 1..PARTS {
                if w[k] == 0 {
                    continue;
                }
                // Numbers align right, ratios (which end in a name) left.
                if k < 3 {
                    let _ = write!(group, "  {:>wk$}", parts[k], wk = w[k]);
                } else {
                    let _ = write!(group, "  {:<wk$}", parts[k], wk = w[k]);
                }
            }
            let _ = write!(line, "  {group:<label_len$}");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if records.is_empty() {
        out.push_str("(nothing measured)\n");
    }
    if !notes.is_empty() {
        out.push('\n');
        for note in notes {
            let _ = writeln!(out, "note: {note}");
        }
    }
    out
}

/// The parts of one table cell: rate, cycles/byte, µs per call (when `latency`), then the
/// ratios to the best peer, to the bare loop and to the reference provider.
fn cell(r: &Record, latency: bool) -> [String; PARTS] {
    let rate = if r.size == 0 {
        format!("{} op/s", format_count(r.ops_per_sec))
    } else {
        format!("{} GB/s", format_gbps(r.bytes_per_sec))
    };
    let cpb = r
        .cycles_per_byte
        .map(|c| format!("{} c/B", format_cpb(c)))
        .unwrap_or_default();
    let us = r
        .us_per_call
        .filter(|_| latency)
        .map(|us| format!("{} us/call", format_us(us)))
        .unwrap_or_default();
    let ratio = |q: &Option<Ratio>| {
        q.as_ref()
            .map(|q| format!("{}x {}", format_ratio(q.ratio), q.peer))
            .unwrap_or_default()
    };
    [
        rate,
        cpb,
        us,
        ratio(&r.ratio_to),
        ratio(&r.ratio_to_baseline),
        ratio(&r.ratio_to_reference),
    ]
}

/// Microseconds with about three significant digits.
pub fn format_us(us: f64) -> String {
    if us >= 100.0 {
        format!("{us:.0}")
    } else if us >= 10.0 {
        format!("{us:.1}")
    } else if us >= 1.0 {
        format!("{us:.2}")
    } else {
        format!("{us:.3}")
    }
}

/// Bytes per second as GB/s with three significant digits or so.
pub fn format_gbps(bytes_per_sec: f64) -> String {
    let g = bytes_per_sec / 1e9;
    if g >= 100.0 {
        format!("{g:.0}")
    } else if g >= 10.0 {
        format!("{g:.1}")
    } else if g >= 1.0 {
        format!("{g:.2}")
    } else {
        format!("{g:.3}")
    }
}

/// Cycles per byte with two decimals below 10.
pub fn format_cpb(cpb: f64) -> String {
    if cpb >= 100.0 {
        format!("{cpb:.0}")
    } else if cpb >= 10.0 {
        format!("{cpb:.1}")
    } else {
        format!("{cpb:.2}")
    }
}

/// A ratio with two decimals below 10.
pub fn format_ratio(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.1}")
    } else {
        format!("{ratio:.2}")
    }
}

/// A count per second with a k/M/G suffix.
pub fn format_count(n: f64) -> String {
    if n >= 1e9 {
        format!("{:.2}G", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.2}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.2}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(provider: &str, source: Source, op: Op, size: usize, gbps: f64) -> Record {
        let m = Measurement {
            iterations: (gbps * 1e9 / size.max(1) as f64) as u64,
            seconds: 1.0,
            bytes_per_iter: size,
            batch_rate: None,
        };
        let mut r = Record::new(provider, source, "aes-256-gcm", op, &m, Some(2100.0));
        r.bytes_per_sec = gbps * 1e9;
        r.cycles_per_byte = Some(2100.0e6 / r.bytes_per_sec);
        r
    }

    fn sample() -> Vec<Record> {
        let mut v = vec![
            record("rustcrypto", Source::Engine, Op::Seal, 16384, 1.1),
            record("ring", Source::Peer, Op::Seal, 16384, 7.8),
            record("aws-lc-rs", Source::Peer, Op::Seal, 16384, 11.9),
            record("openssl", Source::Peer, Op::Seal, 16384, 4.2),
            record("rustcrypto", Source::Engine, Op::Open, 16384, 1.0),
        ];
        attach_ratios(&mut v);
        v
    }

    #[test]
    fn ratios_go_to_the_best_peer_of_the_same_cell() {
        let v = sample();
        let ratio = v[0].ratio_to.as_ref().unwrap();
        assert_eq!(ratio.peer, "aws-lc-rs");
        assert!((ratio.ratio - 1.1 / 11.9).abs() < 1e-9);
        assert!(v[1].ratio_to.is_none(), "peers get no ratio");
        assert!(v[4].ratio_to.is_none(), "no peer measured open");
    }

    #[test]
    fn table_has_one_row_per_provider_and_the_ratio() {
        let text = table(
            &sample(),
            &Heading {
                seconds: 0.5,
                clock_mhz: Some(2100.0),
                streams: false,
                rounds: 1,
            },
            &["a note".to_owned()],
        );
        assert!(
            text.starts_with("wirecrypt speed: one core, 0.5 s per measurement"),
            "{text}"
        );
        assert!(text.contains("nominal clock of 2100 MHz"), "{text}");
        assert!(text.contains("median of ~1 ms batches"), "{text}");
        assert!(
            !text.contains("us/call"),
            "no latency without --streams: {text}"
        );
        let header = text.lines().find(|l| l.starts_with("algorithm")).unwrap();
        assert!(header.contains("provider    streams  16384 B"), "{header}");
        let row = text
            .lines()
            .find(|l| {
                l.starts_with("aes-256-gcm") && l.contains("seal") && l.contains("rustcrypto")
            })
            .unwrap();
        assert_eq!(row.split_whitespace().nth(3), Some("1"), "streams: {row}");
        assert!(row.contains("1.10 GB/s"), "{row}");
        assert!(row.contains("1.91 c/B"), "{row}");
        assert!(row.contains("0.09x aws-lc-rs"), "{row}");
        let peer = text.lines().find(|l| l.contains("aws-lc-rs  ")).unwrap();
        assert!(peer.contains("11.9 GB/s"), "{peer}");
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("aes-256-gcm"))
                .count(),
            5
        );
        assert!(text.contains("16384 B"));
        assert!(text.ends_with("note: a note\n"), "{text}");
    }

    #[test]
    fn table_says_openssl_rows_are_measured_their_own_way() {
        let mut v = sample();
        let text = table(&v, &Heading::default(), &[]);
        assert!(!text.contains("openssl rows"), "no subprocess ran: {text}");
        v[3].command = Some("openssl speed -evp aes-256-gcm".to_owned());
        let text = table(&v, &Heading::default(), &[]);
        assert!(
            text.contains("openssl rows: what `openssl speed` reports"),
            "{text}"
        );
    }

    #[test]
    fn table_says_when_the_clock_is_unknown() {
        let mut v = sample();
        for r in &mut v {
            r.cycles_per_byte = None;
        }
        let text = table(&v, &Heading::default(), &[]);
        assert!(text.contains("clock unknown"));
        assert!(!text.contains("c/B"));
    }

    #[test]
    fn empty_buffers_show_calls_per_second() {
        let m = Measurement {
            iterations: 5_000_000,
            seconds: 0.5,
            bytes_per_iter: 0,
            batch_rate: None,
        };
        let r = Record::new(
            "rustcrypto",
            Source::Engine,
            "sha256",
            Op::Digest,
            &m,
            Some(2000.0),
        );
        assert_eq!(r.cycles_per_byte, None);
        let text = table(&[r], &Heading::default(), &[]);
        assert!(text.contains("10.00M op/s"), "{text}");
        assert!(text.contains("0 B"));
    }

    #[test]
    fn json_has_the_promised_fields() {
        let v: serde_json::Value = serde_json::from_str(&json(&sample()).unwrap()).unwrap();
        let first = &v.as_array().unwrap()[0];
        assert_eq!(first["provider"], "rustcrypto");
        assert_eq!(first["source"], "engine");
        assert_eq!(first["alg"], "aes-256-gcm");
        assert_eq!(first["op"], "seal");
        assert_eq!(first["size"], 16384);
        assert!(first["bytes_per_sec"].as_f64().unwrap() > 1e9);
        assert!(first["iterations"].as_u64().is_some());
        assert!(first["wall_bytes_per_sec"].as_f64().unwrap() > 0.0);
        assert!(first["wall_ops_per_sec"].as_f64().unwrap() > 0.0);
        assert_eq!(first["seconds"], 1.0);
        assert_eq!(first["ratio_to"]["peer"], "aws-lc-rs");
        assert_eq!(first["streams"], 1);
        let us = first["us_per_call"].as_f64().unwrap();
        assert!((us - 16384.0 / 1.1e9 * 1e6).abs() < 0.01, "{us}");
        assert!(v[1].get("ratio_to").is_none());
        assert!(first.get("ratio_to_baseline").is_none());
        assert!(
            first.get("ratios_to_providers").is_none(),
            "one provider only"
        );
    }

    /// pkcs11, its bare loop, rustcrypto and vaes256 at one and eight streams.
    fn providers_sample() -> Vec<Record> {
        let mut v = Vec::new();
        for streams in [1, 8] {
            // Eight streams deliver 6.4 times one stream's throughput.
            let k = if streams == 8 { 6.4 } else { 1.0 };
            v.push(record("pkcs11", Source::Engine, Op::Seal, 64, 0.01 * k).with_streams(streams));
            v.push(
                record("pkcs11-bare", Source::Baseline, Op::Seal, 64, 0.0125 * k)
                    .with_streams(streams)
                    .baseline_of("pkcs11"),
            );
            v.push(
                record("rustcrypto", Source::Engine, Op::Seal, 64, 0.5 * k).with_streams(streams),
            );
            v.push(record("vaes256", Source::Engine, Op::Seal, 64, 1.0 * k).with_streams(streams));
        }
        attach_ratios(&mut v);
        v
    }

    #[test]
    fn several_providers_compare_with_the_reference_and_pkcs11_with_its_bare_loop() {
        let v = providers_sample();
        let pkcs11 = &v[0];
        let bare = pkcs11.ratio_to_baseline.as_ref().unwrap();
        assert_eq!(bare.peer, "pkcs11-bare");
        assert!((bare.ratio - 0.8).abs() < 1e-9, "{bare:?}");
        let reference = pkcs11.ratio_to_reference.as_ref().unwrap();
        assert_eq!(reference.peer, REFERENCE_PROVIDER);
        assert!((reference.ratio - 0.02).abs() < 1e-9);
        let others: Vec<(&str, f64)> = pkcs11
            .ratios_to_providers
            .iter()
            .map(|q| (q.peer.as_str(), q.ratio))
            .collect();
        assert_eq!(others.len(), 2, "{others:?}");
        assert_eq!(others[0].0, "rustcrypto");
        assert_eq!(others[1].0, "vaes256");
        assert!((others[1].1 - 0.01).abs() < 1e-9);
        assert!(pkcs11.ratio_to.is_none(), "no peers measured");

        // The reference has no ratio to itself; the bare loop gets no ratios at all.
        assert!(v[2].ratio_to_reference.is_none());
        assert_eq!(v[2].ratios_to_providers.len(), 2);
        assert!(v[1].ratio_to_baseline.is_none() && v[1].ratios_to_providers.is_empty());
        let vaes = v[3].ratio_to_reference.as_ref().unwrap();
        assert!((vaes.ratio - 2.0).abs() < 1e-9);
        assert!(
            v[3].ratio_to_baseline.is_none(),
            "only pkcs11 has a bare loop"
        );

        // Eight streams compare with eight streams.
        let pkcs11_8 = &v[4];
        assert_eq!(pkcs11_8.streams, 8);
        assert!((pkcs11_8.ratio_to_baseline.as_ref().unwrap().ratio - 0.8).abs() < 1e-9);
        assert_eq!(pkcs11_8.cycles_per_byte, None, "no c/B for several streams");
        assert!(pkcs11.cycles_per_byte.is_some());
        // 0.064 GB/s over 8 streams at 64 B: 10^6 calls/s, 8 µs per call per stream.
        assert!((pkcs11_8.us_per_call.unwrap() - 8.0).abs() < 1e-6);
        assert!((pkcs11.us_per_call.unwrap() - 6.4).abs() < 1e-6);
    }

    #[test]
    fn reference_falls_back_to_the_first_provider() {
        let mut v = vec![
            record("vaes256", Source::Engine, Op::Seal, 64, 2.0),
            record("pkcs11", Source::Engine, Op::Seal, 64, 0.5),
        ];
        attach_ratios(&mut v);
        assert!(v[0].ratio_to_reference.is_none());
        let q = v[1].ratio_to_reference.as_ref().unwrap();
        assert_eq!(q.peer, "vaes256");
        assert!((q.ratio - 0.25).abs() < 1e-9);
    }

    #[test]
    fn streams_table_shows_streams_latency_and_ratios() {
        let text = table(
            &providers_sample(),
            &Heading {
                seconds: 0.05,
                clock_mhz: Some(2100.0),
                streams: true,
                rounds: 1,
            },
            &[],
        );
        assert!(text.contains("summed over streams"), "{text}");
        assert!(text.contains("1 stream only"), "{text}");
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("aes-256-gcm"))
            .collect();
        assert_eq!(rows.len(), 8, "{text}");
        let p8 = rows
            .iter()
            .find(|l| l.contains("pkcs11 ") && l.contains("  8  "))
            .unwrap();
        assert!(p8.contains("0.064 GB/s"), "{p8}");
        assert!(p8.contains("8.00 us/call"), "{p8}");
        assert!(p8.contains("0.80x pkcs11-bare"), "{p8}");
        assert!(p8.contains("0.02x rustcrypto"), "{p8}");
        assert!(!p8.contains("c/B"), "{p8}");
        let v1 = rows
            .iter()
            .find(|l| l.contains("vaes256") && l.contains("  1  "))
            .unwrap();
        assert!(
            v1.contains("c/B") && v1.contains("2.00x rustcrypto"),
            "{v1}"
        );
    }

    #[test]
    fn baseline_rows_serialize_what_they_are() {
        let v: serde_json::Value =
            serde_json::from_str(&json(&providers_sample()).unwrap()).unwrap();
        let bare = &v[1];
        assert_eq!(bare["source"], "baseline");
        assert_eq!(bare["baseline_of"], "pkcs11");
        assert!(bare.get("ratio_to_reference").is_none());
        let p = &v[4];
        assert_eq!(p["streams"], 8);
        assert!(
            p["ratio_to_baseline"]["ratio"]
                .as_f64()
                .unwrap()
                .is_finite()
        );
        assert_eq!(p["ratios_to_providers"].as_array().unwrap().len(), 2);
        assert!(p.get("cycles_per_byte").is_none());
    }

    #[test]
    fn number_formats() {
        assert_eq!(format_gbps(11.94e9), "11.9");
        assert_eq!(format_gbps(3.4e9), "3.40");
        assert_eq!(format_gbps(0.5123e9), "0.512");
        assert_eq!(format_gbps(123.4e9), "123");
        assert_eq!(format_cpb(0.176), "0.18");
        assert_eq!(format_cpb(42.0), "42.0");
        assert_eq!(format_ratio(0.1412), "0.14");
        assert_eq!(format_count(1234.0), "1.23k");
        assert_eq!(format_count(12.0), "12");
        assert_eq!(format_us(0.0512), "0.051");
        assert_eq!(format_us(6.4), "6.40");
        assert_eq!(format_us(12.34), "12.3");
        assert_eq!(format_us(1234.0), "1234");
    }
}
