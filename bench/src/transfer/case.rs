//! What one measurement is: a protocol, who runs each end, the provider and cipher, the
//! direction and the number of parallel streams — and what came of it.

use std::fmt;

use serde::Serialize;
use wirecrypt_xfer::Protocol;

use super::cpu::Spent;

/// Which way the bytes go, seen from the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client to server (STOR, SFTP put).
    Upload,
    /// Server to client (RETR, SFTP get).
    Download,
}

impl Direction {
    /// Both, upload first.
    pub const BOTH: [Direction; 2] = [Direction::Upload, Direction::Download];
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Upload => "upload",
            Direction::Download => "download",
        })
    }
}

/// The TLS version of an FTPS case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TlsVersion {
    /// TLS 1.2.
    #[serde(rename = "1.2")]
    Tls12,
    /// TLS 1.3.
    #[serde(rename = "1.3")]
    Tls13,
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsVersion::Tls12 => "TLS 1.2",
            TlsVersion::Tls13 => "TLS 1.3",
        })
    }
}

/// One cell of the run: everything that names a measurement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Case {
    /// ftp, ftps or sftp.
    #[serde(serialize_with = "as_display")]
    pub protocol: Protocol,
    /// The TLS version (FTPS only).
    pub tls_version: Option<TlsVersion>,
    /// The engine provider serving the cipher (for a peer: what it uses, e.g. `openssl`).
    pub provider: String,
    /// The cipher suite or SSH cipher (`none` for plain FTP).
    pub cipher: String,
    /// Upload or download.
    pub direction: Direction,
    /// Parallel connections, each moving the whole payload.
    pub streams: usize,
    /// The peer pair (e.g. `curl -> vsftpd`), or `None` for wirecrypt at both ends.
    pub peer: Option<String>,
}

fn as_display<S: serde::Serializer>(p: &Protocol, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(p)
}

impl Case {
    /// Who runs the two ends, for the table.
    pub fn who(&self) -> &str {
        self.peer.as_deref().unwrap_or("wirecrypt")
    }
}

/// One timed transfer of a case.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Run {
    /// Bytes moved (all streams).
    pub bytes: u64,
    /// Wall-clock seconds of the transfer itself (connections already up).
    pub seconds: f64,
    /// Wall-clock seconds to connect, handshake and log in (the slowest stream).
    pub handshake_seconds: f64,
    /// CPU seconds each end spent during the transfer, where it could be read.
    pub cpu: Spent,
    /// Every byte that arrived matched what left (SHA-256).
    pub verified: bool,
}

impl Run {
    /// Bytes per second of wall-clock time.
    pub fn bytes_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// A case's runs, summarised: the median, the spread, and the ratio to plain FTP.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The case.
    #[serde(flatten)]
    pub case: Case,
    /// Bytes moved per run.
    pub bytes: u64,
    /// Median transfer seconds.
    pub seconds: f64,
    /// Median throughput (bytes per wall-clock second).
    pub bytes_per_sec: f64,
    /// Slowest and fastest run's throughput.
    pub bytes_per_sec_range: [f64; 2],
    /// Median handshake seconds (connect, key exchange, login).
    pub handshake_seconds: f64,
    /// Median CPU seconds per 10^9 bytes moved, both ends together where both could be
    /// read (`null` when neither could).
    pub cpu_seconds_per_gb: Option<f64>,
    /// The clients' share: median CPU seconds per 10^9 bytes (`null` if unreadable).
    pub client_cpu_seconds_per_gb: Option<f64>,
    /// The server's share: median CPU seconds per 10^9 bytes (`null` if unreadable, as
    /// for a server on another machine).
    pub server_cpu_seconds_per_gb: Option<f64>,
    /// Whether the CPU figure covers both ends.
    pub cpu_both_ends: bool,
    /// Runs timed (after the warm-up).
    pub runs: usize,
    /// Every run's data arrived intact.
    pub verified: bool,
    /// This row's throughput over plain FTP's in the same run (same direction and
    /// streams, wirecrypt at both ends), when that was measured.
    pub ratio_to_ftp: Option<f64>,
    /// Why the case has no numbers (a missing peer, a failure).
    pub error: Option<String>,
    /// wirecrypt's engine protected this case in FIPS mode (never plain FTP, nor a pair
    /// of peers without wirecrypt).
    pub fips_mode: bool,
}

impl Row {
    /// The summary of `runs` (at least one).
    pub fn from_runs(case: Case, runs: &[Run]) -> Row {
        let mut rates: Vec<f64> = runs.iter().map(Run::bytes_per_sec).collect();
        let median_rate = median(&mut rates);
        let min = rates.first().copied().unwrap_or(0.0);
        let max = rates.last().copied().unwrap_or(0.0);
        let mut secs: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
        let mut hs: Vec<f64> = runs.iter().map(|r| r.handshake_seconds).collect();
        let per_gb = |side: fn(&Spent) -> Option<f64>| -> Option<f64> {
            let mut v: Vec<f64> = runs
                .iter()
                .filter(|r| r.bytes > 0)
                .filter_map(|r| Some(side(&r.cpu)? / (r.bytes as f64 / 1e9)))
                .collect();
            (!v.is_empty()).then(|| median(&mut v))
        };
        // Each end's median; the whole is their sum, so the table's parts add up.
        let (client, server) = (per_gb(|c| c.client), per_gb(|c| c.server));
        Row {
            case,
            bytes: runs.first().map_or(0, |r| r.bytes),
            seconds: median(&mut secs),
            bytes_per_sec: median_rate,
            bytes_per_sec_range: [min, max],
            handshake_seconds: median(&mut hs),
            cpu_seconds_per_gb: match (client, server) {
                (None, None) => None,
                (c, s) => Some(c.unwrap_or(0.0) + s.unwrap_or(0.0)),
            },
            client_cpu_seconds_per_gb: client,
            server_cpu_seconds_per_gb: server,
            cpu_both_ends: runs.iter().all(|r| r.cpu.complete()),
            runs: runs.len(),
            verified: !runs.is_empty() && runs.iter().all(|r| r.verified),
            ratio_to_ftp: None,
            error: None,
            fips_mode: false,
        }
    }

    /// A row that says why there are no numbers.
    pub fn failed(case: Case, why: String) -> Row {
        Row {
            case,
            bytes: 0,
            seconds: 0.0,
            bytes_per_sec: 0.0,
            bytes_per_sec_range: [0.0, 0.0],
            handshake_seconds: 0.0,
            cpu_seconds_per_gb: None,
            client_cpu_seconds_per_gb: None,
            server_cpu_seconds_per_gb: None,
            cpu_both_ends: false,
            runs: 0,
            verified: false,
            ratio_to_ftp: None,
            error: Some(why),
            fips_mode: false,
        }
    }
}

/// The median of `values` (sorted in place); 0 for none.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Marks the rows wirecrypt protected when its engine ran in FIPS mode: every encrypted
/// case with wirecrypt at one end or both.
pub fn mark_fips_mode(rows: &mut [Row], fips_mode: bool) {
    for row in rows {
        let c = &row.case;
        let ours = c.peer.as_deref().is_none_or(|p| p.contains("wirecrypt"));
        row.fips_mode = fips_mode && ours && c.protocol != Protocol::Ftp;
    }
}

/// Sets each row's ratio to plain FTP between wirecrypt's own ends, same direction and
/// stream count, measured in this run.
pub fn attach_ftp_ratios(rows: &mut [Row]) {
    let baselines: Vec<(Direction, usize, f64)> = rows
        .iter()
        .filter(|r| {
            r.case.protocol == Protocol::Ftp
                && r.case.peer.is_none()
                && r.error.is_none()
                && r.bytes_per_sec > 0.0
        })
        .map(|r| (r.case.direction, r.case.streams, r.bytes_per_sec))
        .collect();
    for row in rows.iter_mut().filter(|r| r.error.is_none()) {
        row.ratio_to_ftp = baselines
            .iter()
            .find(|(d, s, _)| *d == row.case.direction && *s == row.case.streams)
            .map(|(_, _, base)| row.bytes_per_sec / base);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(protocol: Protocol, peer: Option<&str>) -> Case {
        Case {
            protocol,
            tls_version: None,
            provider: "p".into(),
            cipher: "c".into(),
            direction: Direction::Upload,
            streams: 1,
            peer: peer.map(Into::into),
        }
    }

    fn run(bytes: u64, seconds: f64) -> Run {
        Run {
            bytes,
            seconds,
            handshake_seconds: 0.01,
            cpu: Spent {
                client: Some(seconds / 4.0),
                server: Some(seconds * 3.0 / 4.0),
            },
            verified: true,
        }
    }

    #[test]
    fn medians_and_spread() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
        let row = Row::from_runs(
            case(Protocol::Ftp, None),
            &[run(1000, 1.0), run(1000, 0.5), run(1000, 2.0)],
        );
        assert_eq!(row.bytes_per_sec, 1000.0);
        assert_eq!(row.bytes_per_sec_range, [500.0, 2000.0]);
        assert!(row.verified);
        // One CPU second per second of 1000 bytes: 10^6 s per GB.
        assert!((row.cpu_seconds_per_gb.unwrap() - 1e6).abs() < 1e-3);
        assert!((row.client_cpu_seconds_per_gb.unwrap() - 0.25e6).abs() < 1e-3);
        assert!((row.server_cpu_seconds_per_gb.unwrap() - 0.75e6).abs() < 1e-3);
        assert!(row.cpu_both_ends);
    }

    #[test]
    fn one_bad_run_spoils_verification() {
        let mut bad = run(1000, 1.0);
        bad.verified = false;
        let row = Row::from_runs(case(Protocol::Sftp, None), &[run(1000, 1.0), bad]);
        assert!(!row.verified);
    }

    #[test]
    fn ratios_are_to_our_own_plain_ftp() {
        let mut rows = vec![
            Row::from_runs(case(Protocol::Ftp, None), &[run(1000, 1.0)]),
            Row::from_runs(case(Protocol::Ftps, None), &[run(1000, 2.0)]),
            Row::from_runs(
                case(Protocol::Ftp, Some("curl -> vsftpd")),
                &[run(1000, 4.0)],
            ),
        ];
        attach_ftp_ratios(&mut rows);
        assert_eq!(rows[0].ratio_to_ftp, Some(1.0));
        assert_eq!(rows[1].ratio_to_ftp, Some(0.5));
        assert_eq!(rows[2].ratio_to_ftp, Some(0.25));
    }
}
