//! Results: one [`Record`] per measurement, the ratio of each engine row to the best peer,
//! and the two ways out — a text table and JSON.

use std::fmt::Write as _;

use super::measure::Measurement;
use super::op::Op;

/// Who produced a measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A provider of the engine.
    Engine,
    /// A peer library or program measured for comparison.
    Peer,
}

/// An engine row's throughput relative to the best peer for the same algorithm,
/// operation and size.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Ratio {
    /// The fastest peer.
    pub peer: String,
    /// Engine throughput divided by that peer's (above 1: the engine is faster).
    pub ratio: f64,
}

/// One measurement, as printed in JSON.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Record {
    /// The engine provider id or the peer's name.
    pub provider: String,
    /// Engine or peer.
    pub source: Source,
    /// The algorithm's engine id (`aes-256-gcm`).
    pub alg: &'static str,
    /// The operation.
    pub op: Op,
    /// Buffer size in bytes.
    pub size: usize,
    /// Calls timed.
    pub iterations: u64,
    /// Wall-clock seconds timed.
    pub seconds: f64,
    /// Throughput in bytes per second.
    pub bytes_per_sec: f64,
    /// Calls per second.
    pub ops_per_sec: f64,
    /// CPU cycles per byte at the nominal clock, when the clock is known and size > 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycles_per_byte: Option<f64>,
    /// For engine rows, the ratio to the best peer measured in the same run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_to: Option<Ratio>,
    /// For subprocess peers, the command that was run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

impl Record {
    /// A record of `m`, with cycles/byte derived from `clock_mhz` when known.
    pub fn new(
        provider: impl Into<String>,
        source: Source,
        alg: &'static str,
        op: Op,
        m: &Measurement,
        clock_mhz: Option<f64>,
    ) -> Record {
        let bytes_per_sec = m.bytes_per_sec();
        let cycles_per_byte = clock_mhz
            .filter(|_| bytes_per_sec > 0.0)
            .map(|mhz| mhz * 1e6 / bytes_per_sec);
        Record {
            provider: provider.into(),
            source,
            alg,
            op,
            size: m.bytes_per_iter,
            iterations: m.iterations,
            seconds: m.seconds,
            bytes_per_sec,
            ops_per_sec: m.ops_per_sec(),
            cycles_per_byte,
            ratio_to: None,
            command: None,
        }
    }

    /// The figure compared across implementations: bytes/s, or calls/s for empty buffers.
    fn rate(&self) -> f64 {
        if self.size == 0 {
            self.ops_per_sec
        } else {
            self.bytes_per_sec
        }
    }
}

/// Sets `ratio_to` on every engine record that has a peer with the same algorithm,
/// operation and size.
pub fn attach_ratios(records: &mut [Record]) {
    let ratios: Vec<Option<Ratio>> = records
        .iter()
        .map(|r| {
            if r.source != Source::Engine {
                return None;
            }
            let best = records
                .iter()
                .filter(|p| {
                    p.source == Source::Peer && p.alg == r.alg && p.op == r.op && p.size == r.size
                })
                .filter(|p| p.rate() > 0.0)
                .max_by(|a, b| a.rate().total_cmp(&b.rate()))?;
            Some(Ratio {
                peer: best.provider.clone(),
                ratio: r.rate() / best.rate(),
            })
        })
        .collect();
    for (r, ratio) in records.iter_mut().zip(ratios) {
        r.ratio_to = ratio;
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
}

/// The text table: one row per (algorithm, operation, provider) in the order first
/// measured, one column group per size (GB/s, cycles/byte, ratio to the best peer),
/// then the notes.
pub fn table(records: &[Record], heading: &Heading, notes: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "wirecrypt speed: one core, {} s per measurement, GB/s = 10^9 bytes/s",
        heading.seconds
    );
    match heading.clock_mhz {
        Some(mhz) => {
            let _ = writeln!(
                out,
                "c/B = CPU cycles per byte at the nominal clock of {mhz:.0} MHz \
                 (cpu MHz in /proc/cpuinfo; turbo not accounted for)"
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
    let mut rows: Vec<(&str, Op, &str)> = Vec::new();
    for r in records {
        if !sizes.contains(&r.size) {
            sizes.push(r.size);
        }
        let key = (r.alg, r.op, r.provider.as_str());
        if !rows.contains(&key) {
            rows.push(key);
        }
    }

    // cells[row][size] = [rate, c/B, ratio]
    let cells: Vec<Vec<[String; 3]>> = rows
        .iter()
        .map(|&(alg, op, provider)| {
            sizes
                .iter()
                .map(|&size| {
                    records
                        .iter()
                        .find(|r| {
                            r.alg == alg && r.op == op && r.provider == provider && r.size == size
                        })
                        .map_or_else(|| ["-".to_owned(), String::new(), String::new()], cell)
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
    ];
    let part_widths: Vec<[usize; 3]> = (0..sizes.len())
        .map(|s| {
            let mut w = [0usize; 3];
            for row in &cells {
                for (k, part) in row[s].iter().enumerate() {
                    w[k] = w[k].max(part.chars().count());
                }
            }
            w
        })
        .collect();
    let group_width = |w: &[usize; 3]| {
        w[0] + if w[1] > 0 { 2 + w[1] } else { 0 } + if w[2] > 0 { 2 + w[2] } else { 0 }
    };

    let mut line = format!(
        "{:<a$}  {:<b$}  {:<c$}",
        "algorithm",
        "op",
        "provider",
        a = label_widths[0],
        b = label_widths[1],
        c = label_widths[2]
    );
    for (s, size) in sizes.iter().enumerate() {
        let label = format!("{size} B");
        let width = group_width(&part_widths[s]).max(label.len());
        let _ = write!(line, "  {label:<width$}");
    }
    out.push_str(line.trim_end());
    out.push('\n');

    for (row, (alg, op, provider)) in cells.iter().zip(&rows) {
        let mut line = format!(
            "{alg:<a$}  {:<b$}  {provider:<c$}",
            op.as_str(),
            a = label_widths[0],
            b = label_widths[1],
            c = label_widths[2]
        );
        for (s, parts) in row.iter().enumerate() {
            let w = part_widths[s];
            let label_len = format!("{} B", sizes[s]).len();
            let mut group = format!("{:>w0$}", parts[0], w0 = w[0]);
            if w[1] > 0 {
                let _ = write!(group, "  {:>w1$}", parts[1], w1 = w[1]);
            }
            if w[2] > 0 {
                let _ = write!(group, "  {:<w2$}", parts[2], w2 = w[2]);
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

/// The three parts of one table cell: rate, cycles/byte, ratio to the best peer.
fn cell(r: &Record) -> [String; 3] {
    let rate = if r.size == 0 {
        format!("{} op/s", format_count(r.ops_per_sec))
    } else {
        format!("{} GB/s", format_gbps(r.bytes_per_sec))
    };
    let cpb = r
        .cycles_per_byte
        .map(|c| format!("{} c/B", format_cpb(c)))
        .unwrap_or_default();
    let ratio = r
        .ratio_to
        .as_ref()
        .map(|q| format!("{}x {}", format_ratio(q.ratio), q.peer))
        .unwrap_or_default();
    [rate, cpb, ratio]
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
            },
            &["a note".to_owned()],
        );
        assert!(text.contains("0.5 s per measurement"), "{text}");
        assert!(text.contains("nominal clock of 2100 MHz"), "{text}");
        let row = text
            .lines()
            .find(|l| {
                l.starts_with("aes-256-gcm") && l.contains("seal") && l.contains("rustcrypto")
            })
            .unwrap();
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
        assert_eq!(first["seconds"], 1.0);
        assert_eq!(first["ratio_to"]["peer"], "aws-lc-rs");
        assert!(v[1].get("ratio_to").is_none());
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
    }
}
