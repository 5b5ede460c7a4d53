//! `wirecrypt bench`: whole file transfers — plain FTP, FTPS and SFTP — measured end to
//! end on this machine, per provider, cipher, direction and number of streams, beside
//! the tools a user would otherwise run.
//!
//! With no flags it starts its own endpoints on 127.0.0.1 in this process and moves a
//! generated payload up and down with each protocol, plain FTP first: plain FTP is the
//! baseline every protected row is divided by, measured in the same run. Each case is
//! warmed up once, then timed `--runs` times; the table shows the median and the
//! slowest and fastest run, CPU seconds per GB moved, the handshake apart from the
//! transfer, and whether every byte that arrived matched (SHA-256).
//!
//! Modules: [`case`] names a measurement and summarises its runs, [`streams`] runs N
//! connections from one common start, [`ours_ftp`] is wirecrypt at both ends of FTP and
//! FTPS, [`ours_sftp`] at both ends of SFTP, [`payload`] makes and checks the data, [`cpu`] reads CPU time, [`table`] prints.

mod case;
mod cpu;
mod ours_ftp;
mod ours_sftp;
mod payload;
mod peers;
mod report;
mod streams;
mod table;

use std::error::Error;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use wirecrypt::{AeadAlg, Engine};
use wirecrypt_xfer::Protocol;

use crate::ciphers::{self, Cipher};
use crate::engine_args::EngineArgs;
use case::{Case, Direction, Row, Run, TlsVersion};
use ours_ftp::{FTPS_CIPHERS, OurFtp};
use ours_sftp::OurSftp;
use payload::{Payload, Scratch};
use peers::SFTP_CIPHERS;

/// The payload size when `--size` is not given.
pub const DEFAULT_SIZE: usize = 256 << 20;

/// Arguments of `wirecrypt bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Protocols to measure, comma-separated: ftp, ftps, sftp (default: all three; with
    /// `--target`, ftp,ftps). Plain FTP is measured too, as the baseline of the ratios,
    /// except against an SFTP `--target` (one port serves FTP or SFTP, not both).
    #[arg(long, value_delimiter = ',', value_parser = parse_protocol)]
    pub protocols: Vec<Protocol>,

    /// Ciphers, comma-separated, by their FTPS or their SFTP name: each means the same
    /// cipher for both protocols where both have it (aes-256-gcm = aes256-gcm@openssh.com,
    /// aes-128-gcm = aes128-gcm@openssh.com, chacha20-poly1305 =
    /// chacha20-poly1305@openssh.com); aes128-ctr+hmac-sha2-256-etm@openssh.com is SFTP
    /// only. A protocol named in --protocols that none of them applies to is an error;
    /// left to the default, it is not measured. Default: aes-256-gcm for both.
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    pub ciphers: Vec<String>,

    /// Parallel connections, comma-separated (e.g. 1,2,4), 1 to 64. Default: 1.
    #[arg(long, value_delimiter = ',', value_parser = parse_streams)]
    pub streams: Vec<usize>,

    /// Bytes each stream moves each way (k/KiB, m/MiB suffixes). Default: 256MiB.
    #[arg(long, value_parser = crate::speed::parse_size)]
    pub size: Option<usize>,

    /// A real file to move instead of generated data.
    #[arg(long, value_name = "PATH", conflicts_with = "size")]
    pub file: Option<PathBuf>,

    /// Timed runs per case, after one warm-up run (1 to 20).
    #[arg(long, default_value = "3", value_parser = crate::speed::parse_rounds)]
    pub runs: usize,

    /// Measure FTPS with TLS 1.2 as well as TLS 1.3.
    #[arg(long)]
    pub tls12: bool,

    /// Measure the peers in the same run where they are installed: curl against
    /// vsftpd (plain FTP and FTPS), OpenSSH's sftp against sshd, and the mixed FTPS
    /// pairs (our client with vsftpd, curl with our server).
    #[arg(long)]
    pub peers: bool,

    /// Measure against a server on another machine (`wirecrypt serve ftp|ftps|sftp`
    /// there) instead of starting our own: its address, HOST:PORT. Uploads are fetched
    /// back to be checked; only this end's CPU time is counted.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "peers")]
    pub target: Option<String>,

    /// The account on `--target` (its password from WIRECRYPT_PASSWORD).
    #[arg(long, default_value = "bench", requires = "target")]
    pub user: String,

    /// The private key (OpenSSH format) to log in to `--target` with over SFTP; without
    /// it SFTP logs in with WIRECRYPT_PASSWORD.
    #[arg(long, value_name = "FILE", requires = "target")]
    pub identity: Option<PathBuf>,

    /// known_hosts holding `--target`'s SSH host key (SFTP; default ~/.ssh/known_hosts).
    #[arg(long, value_name = "FILE", requires = "target")]
    pub known_hosts: Option<PathBuf>,

    /// CA certificates (PEM) to check `--target`'s certificate against (FTPS).
    #[arg(long, value_name = "FILE", requires = "target")]
    pub ca_file: Option<PathBuf>,

    /// Do not check `--target`'s certificate (test certificates only).
    #[arg(long, requires = "target", conflicts_with = "ca_file")]
    pub insecure: bool,

    /// Test-only fault injection: flip one byte of the file the servers send, so that
    /// every download must fail its integrity check.
    #[cfg(feature = "fault-injection")]
    #[arg(long, hide = true)]
    pub inject_corruption: bool,

    /// Write every case as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write an HTML page with SVG charts and the protocol comparison chart.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

/// The most parallel connections `--streams` accepts.
pub const MAX_STREAMS: usize = 64;

fn parse_protocol(s: &str) -> Result<Protocol, String> {
    Protocol::ALL
        .into_iter()
        .find(|p| p.to_string() == s.trim().to_ascii_lowercase())
        .ok_or_else(|| format!("unknown protocol '{s}': use ftp, ftps or sftp"))
}

fn parse_streams(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_STREAMS).contains(&n) => Ok(n),
        _ => Err(format!(
            "streams must be from 1 to {MAX_STREAMS}, got '{s}'"
        )),
    }
}

/// What each `--ciphers` name means for each protocol: the same cipher by its FTPS name
/// (when FTPS has it) and by its SFTP name. Either name picks the row.
const CIPHER_NAMES: [(Option<&str>, &str); 4] = [
    (Some("aes-256-gcm"), "aes256-gcm@openssh.com"),
    (Some("aes-128-gcm"), "aes128-gcm@openssh.com"),
    (Some("chacha20-poly1305"), "chacha20-poly1305@openssh.com"),
    (None, "aes128-ctr+hmac-sha2-256-etm@openssh.com"),
];

/// The FTPS and the SFTP ciphers `--ciphers` names, each once, in the order given; the
/// defaults (AES-256-GCM for both) when none is given. An unknown name is an error listing
/// the valid ones.
fn ciphers_per_protocol(given: &[String]) -> Result<(Vec<String>, Vec<String>), String> {
    if given.is_empty() {
        return Ok((vec![FTPS_CIPHERS[0].into()], vec![SFTP_CIPHERS[0].into()]));
    }
    let (mut ftps, mut sftp) = (Vec::new(), Vec::new());
    for name in given {
        let name = name.trim().to_ascii_lowercase();
        let (f, s) = CIPHER_NAMES
            .iter()
            .find(|(f, s)| *f == Some(name.as_str()) || *s == name)
            .ok_or_else(|| {
                format!(
                    "unknown cipher '{name}': FTPS ciphers are {}; SFTP ciphers are {}",
                    FTPS_CIPHERS.join(", "),
                    SFTP_CIPHERS.join(", ")
                )
            })?;
        for (list, name) in [(&mut ftps, *f), (&mut sftp, Some(*s))] {
            if let Some(n) = name
                && !list.iter().any(|c| c == n)
            {
                list.push(n.to_owned());
            }
        }
    }
    Ok((ftps, sftp))
}

/// What the run will measure, checked before anything starts.
struct Plan {
    protocols: Vec<Protocol>,
    ftps_ciphers: Vec<String>,
    sftp_ciphers: Vec<String>,
    versions: Vec<TlsVersion>,
    streams: Vec<usize>,
    /// Why a protocol of the default list is not measured (no cipher given applies).
    left_out: Option<String>,
}

impl Plan {
    fn from(args: &Args) -> Result<Plan, String> {
        let asked: &[Protocol] = match (args.protocols.is_empty(), args.target.is_some()) {
            (false, _) => &args.protocols,
            (true, false) => &Protocol::ALL,
            (true, true) => &[Protocol::Ftp, Protocol::Ftps],
        };
        let sftp_target = args.target.is_some() && asked.contains(&Protocol::Sftp);
        if sftp_target && asked.iter().any(|p| *p != Protocol::Sftp) {
            return Err(
                "--target is one port, which serves FTP/FTPS or SFTP: measure --protocols \
                 ftp,ftps or --protocols sftp against it"
                    .into(),
            );
        }
        let (ftps_ciphers, sftp_ciphers) = ciphers_per_protocol(&args.ciphers)?;
        let mut protocols = if sftp_target {
            Vec::new()
        } else {
            vec![Protocol::Ftp]
        };
        // A protocol none of the ciphers given applies to: an error when it was asked
        // for by name, left out when it came with the default list.
        let mut left_out = None;
        for p in asked {
            if *p == Protocol::Ftps && ftps_ciphers.is_empty() {
                let why = format!(
                    "ftps: none of --ciphers {} is an FTPS cipher; FTPS ciphers are {} (or their \
                     SFTP names, {})",
                    args.ciphers.join(","),
                    FTPS_CIPHERS.join(", "),
                    CIPHER_NAMES
                        .iter()
                        .filter(|(ftps, _)| ftps.is_some())
                        .map(|(_, sftp)| *sftp)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                if !args.protocols.is_empty() {
                    return Err(why);
                }
                left_out = Some(why);
            } else if !protocols.contains(p) {
                protocols.push(*p);
            }
        }
        if let Some(why) = &left_out
            && protocols.iter().all(|p| *p == Protocol::Ftp)
        {
            return Err(why.clone());
        }
        let mut versions = vec![TlsVersion::Tls13];
        if args.tls12 {
            versions.push(TlsVersion::Tls12);
        }
        let mut streams = args.streams.clone();
        streams.dedup();
        if streams.is_empty() {
            streams.push(1);
        }
        Ok(Plan {
            protocols,
            ftps_ciphers,
            sftp_ciphers,
            versions,
            streams,
            left_out,
        })
    }

    /// Every encrypted cipher of the plan, FTPS's then SFTP's.
    fn wanted(&self) -> Vec<Cipher> {
        let mut wanted = Vec::new();
        for protocol in &self.protocols {
            match protocol {
                Protocol::Ftp => {}
                Protocol::Ftps => wanted.extend(
                    self.ftps_ciphers
                        .iter()
                        .map(|c| Cipher::tls(ftps_algorithm(c))),
                ),
                Protocol::Sftp => {
                    wanted.extend(self.sftp_ciphers.iter().filter_map(|c| Cipher::ssh(c)))
                }
            }
        }
        wanted
    }

    /// Fails, before any server starts, when `engines` would refuse every encrypted case
    /// of the plan (FIPS mode, or no forced provider implements the ciphers asked):
    /// measuring plain FTP alone is not what was asked. Some refused and some not, the
    /// refused ones become rows that say why.
    fn check_engines(&self, engines: &[Engine]) -> Result<(), ciphers::Refused> {
        let wanted = self.wanted();
        if wanted.is_empty() {
            return Ok(());
        }
        let mut refused = ciphers::Refused {
            outcome: "nothing to measure",
            reasons: Vec::new(),
        };
        for engine in engines {
            match ciphers::usable(engine, &wanted, refused.outcome) {
                Ok(_) => return Ok(()),
                Err(e) => {
                    for why in e.reasons {
                        if !refused.reasons.contains(&why) {
                            refused.reasons.push(why);
                        }
                    }
                }
            }
        }
        Err(refused)
    }
}

/// Runs `wirecrypt bench`.
pub fn run(args: &Args, engine_args: &EngineArgs) -> Result<(), Box<dyn Error>> {
    let plan = Plan::from(args)?;
    let engines = engine_args.engines()?;
    plan.check_engines(&engines)?;
    if let Some(why) = &plan.left_out {
        eprintln!("note: not measured: {why}");
    }
    let payload = match &args.file {
        Some(path) => {
            Payload::from_file(path).map_err(|e| format!("reading {}: {e}", path.display()))?
        }
        None => Payload::generated(args.size.unwrap_or(DEFAULT_SIZE)),
    };
    if payload.bytes.is_empty() {
        return Err("the payload is empty: nothing to measure".into());
    }
    let source_dir = Scratch::new("source")?;
    let source = payload.install(source_dir.path())?;
    #[cfg(feature = "fault-injection")]
    let payload = if args.inject_corruption {
        payload.corrupted_copy()
    } else {
        payload
    };
    let sink = Scratch::new("sink")?;
    let bench = Bench {
        plan: &plan,
        runs: args.runs,
        payload: &payload,
        source: &source,
        sink: sink.path(),
        progress: Progress::new(),
    };
    let mut rows = Vec::new();
    if let Some(target) = &args.target {
        rows = bench.remote(&engines, target, args)?;
    }
    for &protocol in plan.protocols.iter().filter(|_| args.target.is_none()) {
        match protocol {
            Protocol::Ftp => {
                rows.extend(bench.ours_ftp(&engines[0], protocol, None, "none"));
                if args.peers {
                    rows.extend(bench.vsftpd_rows(false));
                }
            }
            Protocol::Ftps => {
                for engine in &engines {
                    for cipher in &plan.ftps_ciphers {
                        if skipped(&engines, engine, ftps_algorithm(cipher).into(), cipher) {
                            continue;
                        }
                        for &version in &plan.versions {
                            rows.extend(bench.ours_ftp(engine, protocol, Some(version), cipher));
                        }
                    }
                }
                if args.peers {
                    rows.extend(bench.vsftpd_rows(true));
                    rows.extend(bench.mixed_ftps(&engines[0]));
                }
            }
            Protocol::Sftp => {
                for engine in &engines {
                    for cipher in &plan.sftp_ciphers {
                        if let Some(alg) = sftp_algorithm(cipher)
                            && skipped(&engines, engine, alg, cipher)
                        {
                            continue;
                        }
                        rows.extend(bench.ours_sftp(engine, cipher));
                    }
                }
                if args.peers {
                    for cipher in &plan.sftp_ciphers {
                        rows.extend(bench.sshd_rows(cipher));
                        rows.extend(bench.mixed_sftp(&engines[0], cipher));
                    }
                }
            }
        }
    }
    bench.progress.done();
    case::attach_ftp_ratios(&mut rows);
    case::mark_fips_mode(&mut rows, engines[0].fips_mode());
    print!("{}", table::render(&rows, payload.bytes.len()));
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&rows)?;
        std::fs::write(path, json + "\n")
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.report {
        let machine = machine_line(&engines[0]);
        let page = report::html(&rows, &machine, payload.bytes.len())?;
        std::fs::write(path, page).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    if rows.iter().all(|r| r.error.is_some()) {
        return Err("no case could be measured".into());
    }
    if let Some(bad) = rows.iter().find(|r| r.error.is_none() && !r.verified) {
        return Err(format!(
            "data arrived corrupted in {} {} {} (SHA-256 mismatch)",
            bad.case.protocol,
            bad.case.who(),
            bad.case.direction
        )
        .into());
    }
    Ok(())
}

/// One line on the machine: CPU model, cores, and the providers available.
fn machine_line(engine: &Engine) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let providers: Vec<String> = engine.available().map(|p| p.id().to_string()).collect();
    format!(
        "{cpu}, {cores} cores; providers: {}{}",
        providers.join(", "),
        if engine.fips_mode() {
            "; FIPS mode"
        } else {
            ""
        }
    )
}

/// The algorithm behind an FTPS cipher name.
fn ftps_algorithm(cipher: &str) -> AeadAlg {
    match cipher {
        "aes-128-gcm" => AeadAlg::Aes128Gcm,
        "chacha20-poly1305" => AeadAlg::ChaCha20Poly1305,
        _ => AeadAlg::Aes256Gcm,
    }
}

/// The algorithm behind an SSH cipher name (`cipher` or `cipher+mac`).
fn sftp_algorithm(cipher: &str) -> Option<wirecrypt::Algorithm> {
    let (name, _) = ours_sftp::split_cipher(cipher);
    Some(match name {
        "aes128-gcm@openssh.com" => wirecrypt::Algorithm::Aead(AeadAlg::Aes128Gcm),
        "aes256-gcm@openssh.com" => wirecrypt::Algorithm::Aead(AeadAlg::Aes256Gcm),
        "chacha20-poly1305@openssh.com" => wirecrypt::Algorithm::Aead(AeadAlg::ChaCha20Poly1305),
        "aes128-ctr" => wirecrypt::Algorithm::Cipher(wirecrypt::CipherAlg::Aes128Ctr),
        "aes256-ctr" => wirecrypt::Algorithm::Cipher(wirecrypt::CipherAlg::Aes256Ctr),
        _ => return None,
    })
}

/// Whether to leave out `engine`'s cases for `cipher`: when several providers are
/// measured side by side (`--providers all`), one that does not implement the cipher
/// has nothing to show, which a note says once. A single forced provider keeps its
/// "not measured" rows, so that a run that measures nothing still says why.
fn skipped(engines: &[Engine], engine: &Engine, alg: wirecrypt::Algorithm, cipher: &str) -> bool {
    let Some(id) = engine.forced() else {
        return false;
    };
    let implements = engine.provider(id).is_some_and(|p| p.supports(alg));
    if engines.len() < 2 || implements {
        return false;
    }
    eprintln!("note: {id} does not implement {cipher}; its {cipher} cases are left out");
    true
}

/// Which provider serves an FTPS cipher on `engine` (what the table shows).
fn provider_for_cipher(engine: &Engine, cipher: &str) -> String {
    engine
        .provider_for(ftps_algorithm(cipher))
        .map(|p| p.id().to_string())
        .unwrap_or_else(|e| format!("refused ({e})"))
}

/// Which provider serves an SSH cipher (`cipher` or `cipher+mac`) on `engine`.
fn provider_for_ssh_cipher(engine: &Engine, cipher: &str) -> String {
    let Some(alg) = sftp_algorithm(cipher) else {
        let (name, _) = ours_sftp::split_cipher(cipher);
        return format!("unknown ({name})");
    };
    engine
        .provider_for(alg)
        .map(|p| p.id().to_string())
        .unwrap_or_else(|e| format!("refused ({e})"))
}

/// A server our client measures against: one timed run moves the payload `streams`
/// times at once in `direction`, and what arrived is checked against `sha256`.
pub(crate) trait Target {
    /// One timed run; downloads land in `sink_dir`, uploads are read from `source`.
    fn run(
        &self,
        direction: Direction,
        streams: usize,
        source: &Path,
        sha256: &[u8; 32],
        sink_dir: &Path,
    ) -> Result<Run, String>;
}

/// What every group of cases shares: the plan, the data and where it goes.
struct Bench<'a> {
    plan: &'a Plan,
    runs: usize,
    payload: &'a Payload,
    source: &'a std::path::Path,
    sink: &'a std::path::Path,
    progress: Progress,
}

impl Bench<'_> {
    /// Every direction and stream count of one group: `setup` starts what the group
    /// shares (a server), then each case gets a warm-up run and the timed runs. A setup
    /// that fails, or a case whose runs fail, becomes a row that says why.
    fn group<T>(
        &self,
        case: impl Fn(Direction, usize) -> Case,
        setup: impl FnOnce() -> Result<T, String>,
        run: impl Fn(&T, Direction, usize) -> Result<Run, String>,
    ) -> Vec<Row> {
        let shared = setup();
        let mut rows = Vec::new();
        for &direction in &Direction::BOTH {
            for &streams in &self.plan.streams {
                let c = case(direction, streams);
                let shared = match &shared {
                    Ok(s) => s,
                    Err(e) => {
                        rows.push(Row::failed(c, e.clone()));
                        continue;
                    }
                };
                self.progress.show(&format!(
                    "{} {} {} {direction} x{streams}",
                    c.protocol,
                    c.who(),
                    c.cipher
                ));
                let runs: Result<Vec<Run>, String> = (0..=self.runs)
                    .map(|_| {
                        let r = run(shared, direction, streams);
                        self.progress.run_done();
                        r
                    })
                    .collect();
                rows.push(match runs {
                    // The first run warmed caches and connections up; it is not counted.
                    Ok(runs) => Row::from_runs(c, &runs[1..]),
                    Err(e) => Row::failed(c, e),
                });
            }
        }
        rows
    }

    /// Our client against a server on another machine, every protocol of the plan it
    /// can speak.
    fn remote(
        &self,
        engines: &[Engine],
        target: &str,
        args: &Args,
    ) -> Result<Vec<Row>, Box<dyn Error>> {
        let addr = std::net::ToSocketAddrs::to_socket_addrs(target)
            .map_err(|e| format!("--target {target}: {e}"))?
            .next()
            .ok_or_else(|| format!("--target {target}: no address"))?;
        let password = std::env::var(crate::copy::PASSWORD_ENV).unwrap_or_default();
        let trust = || -> Result<Option<wirecrypt_xfer::ftp::tls::ServerTrust>, String> {
            if args.insecure {
                return Ok(Some(wirecrypt_xfer::ftp::tls::ServerTrust::Insecure));
            }
            let Some(ca) = &args.ca_file else {
                return Ok(None);
            };
            let mut roots = rustls::RootCertStore::empty();
            for cert in wirecrypt_xfer::ftp::tls::load_certs(ca).map_err(|e| e.to_string())? {
                roots.add(cert).map_err(|e| e.to_string())?;
            }
            Ok(Some(wirecrypt_xfer::ftp::tls::ServerTrust::Roots(roots)))
        };
        let mut rows = Vec::new();
        for &protocol in &self.plan.protocols {
            let mut variants: Vec<(&Engine, Option<TlsVersion>, String)> = Vec::new();
            match protocol {
                Protocol::Ftp => variants.push((&engines[0], None, "none".into())),
                Protocol::Ftps => {
                    for engine in engines {
                        for cipher in &self.plan.ftps_ciphers {
                            for &v in &self.plan.versions {
                                variants.push((engine, Some(v), cipher.clone()));
                            }
                        }
                    }
                }
                Protocol::Sftp => {
                    rows.extend(self.remote_sftp(engines, addr, target, args, &password)?);
                    continue;
                }
            }
            for (engine, version, cipher) in variants {
                let provider = match version {
                    Some(_) => provider_for_cipher(engine, &cipher),
                    None => "none".into(),
                };
                rows.extend(self.group(
                    |direction, streams| Case {
                        protocol,
                        tls_version: version,
                        provider: provider.clone(),
                        cipher: cipher.clone(),
                        direction,
                        streams,
                        peer: Some(format!("wirecrypt -> {target}")),
                    },
                    || {
                        let t = ours_ftp::remote_target(
                            engine,
                            addr,
                            protocol,
                            version,
                            &cipher,
                            &args.user,
                            &password,
                            trust()?,
                        )?;
                        t.publish(self.source)?;
                        Ok(t)
                    },
                    |t, direction, streams| self.timed(t, direction, streams),
                ));
            }
        }
        Ok(rows)
    }

    /// Our SFTP client against `wirecrypt serve sftp` (or any SFTP server) on another
    /// machine, every SFTP cipher of the plan with every engine.
    fn remote_sftp(
        &self,
        engines: &[Engine],
        addr: std::net::SocketAddr,
        target: &str,
        args: &Args,
        password: &str,
    ) -> Result<Vec<Row>, Box<dyn Error>> {
        let login = match &args.identity {
            Some(path) => ours_sftp::Login::Key(
                wirecrypt_xfer::ssh::KeyPair::read_openssh_file(path)
                    .map_err(|e| format!("--identity {}: {e}", path.display()))?,
            ),
            None if !password.is_empty() => ours_sftp::Login::Password(password.to_owned()),
            None => {
                return Err(format!(
                    "SFTP to --target needs --identity or a password in {}",
                    crate::copy::PASSWORD_ENV
                )
                .into());
            }
        };
        let known_hosts = crate::copy::sftp::known_hosts_or_default(args.known_hosts.as_deref())?;
        let mut rows = Vec::new();
        for engine in engines {
            for cipher in &self.plan.sftp_ciphers {
                let target_of = || ours_sftp::SftpTarget {
                    addr,
                    engine: engine.clone(),
                    user: args.user.clone(),
                    login: login.clone(),
                    known_hosts: known_hosts.clone(),
                    cipher: cipher.clone(),
                    remote_dir: String::new(),
                    upload_dir: None,
                    server: cpu::Server::Remote,
                };
                rows.extend(self.group(
                    |direction, streams| Case {
                        protocol: Protocol::Sftp,
                        tls_version: None,
                        provider: provider_for_ssh_cipher(engine, cipher),
                        cipher: cipher.clone(),
                        direction,
                        streams,
                        peer: Some(format!("wirecrypt -> {target}")),
                    },
                    || {
                        let t = target_of();
                        t.publish(self.source)?;
                        Ok(t)
                    },
                    |t, direction, streams| self.timed(t, direction, streams),
                ));
            }
        }
        Ok(rows)
    }

    /// One timed run of `target`: the payload each way it goes, checked on arrival.
    fn timed(
        &self,
        target: &impl Target,
        direction: Direction,
        streams: usize,
    ) -> Result<Run, String> {
        target.run(
            direction,
            streams,
            self.source,
            &self.payload.sha256,
            self.sink,
        )
    }

    /// wirecrypt at both ends of plain FTP or FTPS.
    fn ours_ftp(
        &self,
        engine: &Engine,
        protocol: Protocol,
        version: Option<TlsVersion>,
        cipher: &str,
    ) -> Vec<Row> {
        let provider = match version {
            Some(_) => provider_for_cipher(engine, cipher),
            None => "none".into(),
        };
        self.group(
            |direction, streams| Case {
                protocol,
                tls_version: version,
                provider: provider.clone(),
                cipher: cipher.into(),
                direction,
                streams,
                peer: None,
            },
            || {
                let root = Scratch::new("root").map_err(|e| e.to_string())?;
                self.payload
                    .install(root.path())
                    .map_err(|e| e.to_string())?;
                let server = OurFtp::start(engine, protocol, version, cipher, root.path())?;
                Ok((root, server))
            },
            |(_, server), direction, streams| self.timed(&server.target(), direction, streams),
        )
    }

    /// curl against vsftpd, plain FTP or FTPS (TLS 1.2: Debian 12's curl loses uploads
    /// to vsftpd over TLS 1.3).
    fn vsftpd_rows(&self, tls: bool) -> Vec<Row> {
        let (protocol, version, cipher) = if tls {
            (Protocol::Ftps, Some(TlsVersion::Tls12), "aes-256-gcm")
        } else {
            (Protocol::Ftp, None, "none")
        };
        self.group(
            |direction, streams| Case {
                protocol,
                tls_version: version,
                provider: if tls { "openssl" } else { "none" }.into(),
                cipher: cipher.into(),
                direction,
                streams,
                peer: Some("curl -> vsftpd".into()),
            },
            || peers::Vsftpd::start(tls, self.source),
            |v, direction, streams| {
                v.curl_run(
                    direction,
                    streams,
                    self.source,
                    &self.payload.sha256,
                    self.sink,
                )
            },
        )
    }

    /// The mixed FTPS pairs, so that client-side and server-side gains show apart: our
    /// client against vsftpd, and curl against our server (TLS 1.2, AES-256-GCM).
    fn mixed_ftps(&self, engine: &Engine) -> Vec<Row> {
        let version = TlsVersion::Tls12;
        let case = |peer: &str, provider: &str| {
            let (peer, provider) = (peer.to_string(), provider.to_string());
            move |direction, streams| Case {
                protocol: Protocol::Ftps,
                tls_version: Some(version),
                provider: provider.clone(),
                cipher: "aes-256-gcm".into(),
                direction,
                streams,
                peer: Some(peer.clone()),
            }
        };
        let ours = provider_for_cipher(engine, "aes-256-gcm");
        let mut rows = self.group(
            case("wirecrypt -> vsftpd", &ours),
            || {
                let v = peers::Vsftpd::start(true, self.source)?;
                let target = ours_ftp::vsftpd_target(engine, &v, version)?;
                Ok((v, target))
            },
            |(_, target), direction, streams| self.timed(target, direction, streams),
        );
        rows.extend(self.group(
            case("curl -> wirecrypt", &ours),
            || {
                let root = Scratch::new("root").map_err(|e| e.to_string())?;
                self.payload
                    .install(root.path())
                    .map_err(|e| e.to_string())?;
                let server = OurFtp::start(
                    engine,
                    Protocol::Ftps,
                    Some(version),
                    "aes-256-gcm",
                    root.path(),
                )?;
                Ok((root, server))
            },
            |(root, server), direction, streams| {
                let curl = peers::Curl {
                    addr: server.addr(),
                    user: Some(server.credentials()),
                    remote_dir: "",
                    tls: Some(version),
                };
                curl.run(
                    direction,
                    streams,
                    self.source,
                    &self.payload.sha256,
                    self.sink,
                    root.path(),
                    server.cpu(),
                )
            },
        ));
        rows
    }

    /// OpenSSH's sftp against OpenSSH's sshd with `cipher`.
    /// wirecrypt at both ends of SFTP on `engine` with `cipher`.
    fn ours_sftp(&self, engine: &Engine, cipher: &str) -> Vec<Row> {
        self.group(
            |direction, streams| Case {
                protocol: Protocol::Sftp,
                tls_version: None,
                provider: provider_for_ssh_cipher(engine, cipher),
                cipher: cipher.into(),
                direction,
                streams,
                peer: None,
            },
            || {
                let root = Scratch::new("sftp-root").map_err(|e| e.to_string())?;
                self.payload
                    .install(root.path())
                    .map_err(|e| e.to_string())?;
                let server = OurSftp::start(engine, root.path())?;
                let target = server.target(engine, cipher);
                Ok((root, server, target))
            },
            |(_, _, target), direction, streams| self.timed(target, direction, streams),
        )
    }

    /// The mixed SFTP pairs with `cipher`: our client against OpenSSH's sshd, and
    /// OpenSSH's sftp against our server.
    fn mixed_sftp(&self, engine: &Engine, cipher: &str) -> Vec<Row> {
        let ours = provider_for_ssh_cipher(engine, cipher);
        let case = |peer: &str| {
            let (peer, provider, cipher) = (peer.to_string(), ours.clone(), cipher.to_string());
            move |direction, streams| Case {
                protocol: Protocol::Sftp,
                tls_version: None,
                provider: provider.clone(),
                cipher: cipher.clone(),
                direction,
                streams,
                peer: Some(peer.clone()),
            }
        };
        let mut rows = self.group(
            case("wirecrypt -> sshd"),
            || {
                let sshd = peers::Sshd::start(self.source)?;
                let login = sshd.login();
                let identity = wirecrypt_xfer::ssh::KeyPair::read_openssh_file(&login.key)
                    .map_err(|e| e.to_string())?;
                let target = ours_sftp::SftpTarget {
                    addr: ([127, 0, 0, 1], login.port).into(),
                    engine: engine.clone(),
                    user: login.user,
                    login: ours_sftp::Login::Key(identity),
                    known_hosts: login.known_hosts,
                    cipher: cipher.into(),
                    remote_dir: login.remote_dir,
                    upload_dir: Some(login.upload_dir),
                    server: login.server,
                };
                Ok((sshd, target))
            },
            |(_, target), direction, streams| self.timed(target, direction, streams),
        );
        rows.extend(self.group(
            case("sftp -> wirecrypt"),
            || {
                let root = Scratch::new("sftp-root").map_err(|e| e.to_string())?;
                self.payload
                    .install(root.path())
                    .map_err(|e| e.to_string())?;
                peers::find("sftp").ok_or("sftp (openssh-client) is not installed")?;
                let server = OurSftp::start(engine, root.path())?;
                Ok((root, server))
            },
            |(_, server), direction, streams| {
                peers::sftp_run(
                    &server.openssh_login(),
                    direction,
                    streams,
                    cipher,
                    &self.payload.sha256,
                    self.sink,
                )
            },
        ));
        rows
    }

    fn sshd_rows(&self, cipher: &str) -> Vec<Row> {
        self.group(
            |direction, streams| Case {
                protocol: Protocol::Sftp,
                tls_version: None,
                provider: "openssh".into(),
                cipher: cipher.into(),
                direction,
                streams,
                peer: Some("sftp -> sshd".into()),
            },
            || peers::Sshd::start(self.source),
            |sshd, direction, streams| {
                sshd.sftp_run(direction, streams, cipher, &self.payload.sha256, self.sink)
            },
        )
    }
}

/// A live line on a terminal — what is being measured, how many runs are done, the
/// elapsed time — and nothing when standard error is not a terminal.
struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    fn new() -> Progress {
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new_spinner()
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {pos} runs: {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress { bar }
    }

    fn show(&self, what: &str) {
        self.bar.set_message(format!("measuring {what}"));
    }

    fn run_done(&self) {
        self.bar.inc(1);
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ciphers::tests::engine;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        bench: Args,
    }

    fn plan(argv: &[&str]) -> Result<Plan, String> {
        let cli = Cli::try_parse_from(std::iter::once("bench").chain(argv.iter().copied()))
            .map_err(|e| e.to_string())?;
        Plan::from(&cli.bench)
    }

    #[test]
    fn the_name_table_covers_each_protocol_list_in_its_order() {
        let ftps: Vec<&str> = CIPHER_NAMES.iter().filter_map(|(f, _)| *f).collect();
        let sftp: Vec<&str> = CIPHER_NAMES.iter().map(|(_, s)| *s).collect();
        assert_eq!(ftps, FTPS_CIPHERS);
        assert_eq!(sftp, SFTP_CIPHERS);
        // Both names of a row are one algorithm for the engine.
        for (f, s) in CIPHER_NAMES {
            assert!(Cipher::ssh(s).is_some(), "{s} is an SSH cipher");
            if let Some(f) = f {
                assert_eq!(
                    sftp_algorithm(s),
                    Some(ftps_algorithm(f).into()),
                    "{f} and {s}"
                );
            }
        }
    }

    #[test]
    fn a_cipher_name_means_the_same_cipher_for_both_protocols() {
        // The session: an FTPS name asked of SFTP measured SFTP's default.
        let p = plan(&["--protocols", "sftp", "--ciphers", "chacha20-poly1305"]).unwrap();
        assert_eq!(p.protocols, [Protocol::Ftp, Protocol::Sftp]);
        assert_eq!(p.sftp_ciphers, ["chacha20-poly1305@openssh.com"]);
        // And an SFTP name asked of FTPS.
        let p = plan(&["--protocols", "ftps", "--ciphers", "aes128-gcm@openssh.com"]).unwrap();
        assert_eq!(p.ftps_ciphers, ["aes-128-gcm"]);
        // Both names of one cipher, in either case and order: once each, in the order given.
        let p = plan(&[
            "--ciphers",
            "AES-256-GCM, chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,\
             aes128-ctr+hmac-sha2-256-etm@openssh.com",
        ])
        .unwrap();
        assert_eq!(p.protocols, Protocol::ALL);
        assert_eq!(p.ftps_ciphers, ["aes-256-gcm", "chacha20-poly1305"]);
        assert_eq!(
            p.sftp_ciphers,
            [
                "aes256-gcm@openssh.com",
                "chacha20-poly1305@openssh.com",
                "aes128-ctr+hmac-sha2-256-etm@openssh.com"
            ]
        );
        // No --ciphers: AES-256-GCM for both.
        let p = plan(&[]).unwrap();
        assert_eq!(p.ftps_ciphers, ["aes-256-gcm"]);
        assert_eq!(p.sftp_ciphers, ["aes256-gcm@openssh.com"]);
    }

    #[test]
    fn a_protocol_no_cipher_given_applies_to() {
        let ctr = "aes128-ctr+hmac-sha2-256-etm@openssh.com";
        // Asked for by name: an error naming the protocol and its ciphers.
        for protocols in ["ftps", "ftps,sftp"] {
            let Err(err) = plan(&["--protocols", protocols, "--ciphers", ctr]) else {
                panic!("{protocols}: accepted");
            };
            assert!(
                err.starts_with(&format!("ftps: none of --ciphers {ctr} is an FTPS cipher")),
                "{err}"
            );
            assert!(
                err.contains("FTPS ciphers are aes-256-gcm, aes-128-gcm, chacha20-poly1305"),
                "{err}"
            );
        }
        // From the default list: left out.
        let p = plan(&["--ciphers", ctr]).unwrap();
        assert_eq!(p.protocols, [Protocol::Ftp, Protocol::Sftp]);
        assert_eq!(p.sftp_ciphers, [ctr]);
        assert!(p.left_out.unwrap().starts_with("ftps: none of"));
        assert_eq!(plan(&[]).unwrap().left_out, None);
        // Against a target the default is ftp,ftps: nothing encrypted would be left.
        let Err(err) = plan(&["--target", "127.0.0.1:1", "--ciphers", ctr]) else {
            panic!("accepted");
        };
        assert!(err.starts_with("ftps: none of --ciphers"), "{err}");
        // Unknown names list both protocols' ciphers.
        let Err(err) = plan(&["--ciphers", "rc4"]) else {
            panic!("accepted");
        };
        assert!(err.contains("unknown cipher 'rc4'"), "{err}");
        assert!(err.contains(&SFTP_CIPHERS.join(", ")), "{err}");
    }

    #[test]
    fn a_plan_the_engines_refuse_entirely_stops_before_anything_runs() {
        let fips = engine(None, true);
        let chacha = plan(&["--protocols", "ftps,sftp", "--ciphers", "chacha20-poly1305"]).unwrap();
        let err = chacha
            .check_engines(std::slice::from_ref(&fips))
            .unwrap_err();
        assert_eq!(err.outcome, "nothing to measure");
        assert_eq!(err.reasons.len(), 2, "{err}");
        assert!(
            err.reasons[0].starts_with("FIPS mode refuses chacha20-poly1305: "),
            "{err}"
        );
        assert!(
            err.reasons[1].starts_with("chacha20-poly1305@openssh.com: FIPS mode refuses"),
            "{err}"
        );
        assert!(chacha.check_engines(&[engine(None, false)]).is_ok());
        // Part refused: the rest is measured.
        let both = plan(&[
            "--protocols",
            "ftps",
            "--ciphers",
            "chacha20-poly1305,aes-256-gcm",
        ])
        .unwrap();
        assert!(both.check_engines(std::slice::from_ref(&fips)).is_ok());
        // Plain FTP alone asks nothing of the engine.
        assert!(
            plan(&["--protocols", "ftp"])
                .unwrap()
                .check_engines(&[fips])
                .is_ok()
        );
    }
}
