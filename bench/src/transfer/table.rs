//! The table `wirecrypt bench` prints: one line per case, ratios to plain FTP.

use std::fmt::Write;

use crate::speed::report::{format_gbps, format_ratio};

use super::case::Row;

/// The table for `rows`, each stream having moved `payload_len` bytes each way.
pub fn render(rows: &[Row], payload_len: usize) -> String {
    let header = [
        "protocol",
        "tls",
        "ends",
        "provider",
        "cipher",
        "direction",
        "streams",
        "GB/s",
        "slowest-fastest",
        "x ftp",
        "cpu s/GB client+server",
        "handshake",
        "verified",
    ];
    let mut lines: Vec<[String; 13]> = vec![header.map(String::from)];
    let mut notes = Vec::new();
    for r in rows {
        let c = &r.case;
        let tls = c.tls_version.map_or("-".to_string(), |v| v.to_string());
        let first = [
            c.protocol.to_string(),
            tls,
            c.who().to_string(),
            c.provider.clone(),
            c.cipher.clone(),
            c.direction.to_string(),
            c.streams.to_string(),
        ];
        let rest: [String; 6] = match &r.error {
            Some(why) => {
                notes.push(format!(
                    "{} {} {} ({}): {why}",
                    c.protocol,
                    c.direction,
                    c.who(),
                    c.cipher
                ));
                [
                    "not measured".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]
            }
            None => [
                format_gbps(r.bytes_per_sec),
                format!(
                    "{}-{}",
                    format_gbps(r.bytes_per_sec_range[0]).trim_end_matches(" GB/s"),
                    format_gbps(r.bytes_per_sec_range[1])
                ),
                r.ratio_to_ftp.map_or("-".into(), format_ratio),
                cpu_cell(r),
                format!("{:.1} ms", r.handshake_seconds * 1e3),
                if r.verified { "sha-256 ok" } else { "MISMATCH" }.into(),
            ],
        };
        let mut line: [String; 13] = Default::default();
        for (slot, v) in line.iter_mut().zip(first.into_iter().chain(rest)) {
            *slot = v;
        }
        lines.push(line);
    }
    let widths: Vec<usize> = (0..13)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    let _ = writeln!(
        out,
        "\neach stream moves {} bytes each way; GB/s is the median of the timed runs \
         (10^9 bytes per second of wall time); x ftp divides by wirecrypt's own plain FTP \
         in this run; cpu s/GB is each end's CPU time (its threads' or processes' own), ? where \
         it cannot be read (a server on another machine)",
        payload_len
    );
    for n in notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}
/// Each end's CPU seconds per GB, `client+server`, `?` for an end that was not read.
fn cpu_cell(r: &Row) -> String {
    let side = |v: Option<f64>| v.map_or("?".into(), |c| format!("{c:.2}"));
    match (r.client_cpu_seconds_per_gb, r.server_cpu_seconds_per_gb) {
        (None, None) => "-".into(),
        (c, s) => format!("{}+{}", side(c), side(s)),
    }
}
