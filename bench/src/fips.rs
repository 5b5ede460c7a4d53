//! `wirecrypt fips check`: checks server and client configurations against wirecrypt's
//! FIPS policy (approved algorithms only) and says, item by item, what is approved, what
//! is not and why, with compliant replacement lines.
//!
//! Inputs: `--sshd-config F`, `--ssh-config F`, `--tls-ciphersuites LIST`,
//! `--tls-cipher-string STR`, `--vsftpd-config F` (any number of them, at least one).
//! Exit status: 0 compliant, 1 not compliant, 2 an input could not be read (or the
//! command could not run).
//!
//! OpenSSL cipher strings are expanded by the installed `openssl ciphers -s -V` when there
//! is one (`--cipher-expander auto`, the default), else by the engine's built-in subset of
//! OpenSSL 3.0's rules; the output says which. OpenSSH `Include` lines are followed when
//! the files exist (relative paths from the configuration's directory) unless
//! `--no-follow-includes` is given.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use wirecrypt::fips::check::cipher_string::{self, Expander, Expansion};
use wirecrypt::fips::check::openssh::{self, FsIncludes, Includes, NoIncludes};
use wirecrypt::fips::check::{Builtin, Overall, Report, tls, vsftpd};

use crate::engine_args::EngineArgs;

/// Arguments of `wirecrypt fips`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: FipsCommand,
}

/// The `fips` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum FipsCommand {
    /// Check configurations against the FIPS policy (approved algorithms only); exit 0
    /// compliant, 1 not compliant, 2 unreadable input.
    Check(CheckArgs),
}

/// Arguments of `wirecrypt fips check`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true)))]
pub struct CheckArgs {
    /// An OpenSSH server configuration (sshd_config).
    #[arg(long, value_name = "FILE", group = "input")]
    pub sshd_config: Option<PathBuf>,
    /// An OpenSSH client configuration (ssh_config).
    #[arg(long, value_name = "FILE", group = "input")]
    pub ssh_config: Option<PathBuf>,
    /// TLS suite names, colon- or comma-separated (IANA names, e.g. TLS_AES_128_GCM_SHA256).
    #[arg(long, value_name = "LIST", group = "input")]
    pub tls_ciphersuites: Option<String>,
    /// An OpenSSL cipher string (TLS 1.2 and older), e.g. 'HIGH:!aNULL:!MD5'.
    #[arg(
        long,
        value_name = "STRING",
        group = "input",
        allow_hyphen_values = true
    )]
    pub tls_cipher_string: Option<String>,
    /// A vsftpd configuration (vsftpd.conf).
    #[arg(long, value_name = "FILE", group = "input")]
    pub vsftpd_config: Option<PathBuf>,
    /// How OpenSSL cipher strings are expanded.
    #[arg(long, value_enum, default_value_t = ExpanderChoice::Auto)]
    pub cipher_expander: ExpanderChoice,
    /// Report OpenSSH Include lines without reading the files they name.
    #[arg(long)]
    pub no_follow_includes: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Who expands OpenSSL cipher strings.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpanderChoice {
    /// The installed `openssl` when there is one, else the built-in subset.
    Auto,
    /// The installed `openssl` (an error when there is none).
    Openssl,
    /// The engine's built-in subset of OpenSSL 3.0's rules.
    Builtin,
}

/// Runs `wirecrypt fips <command>` and turns the outcome into the exit status: the
/// report's (0, 1, 2), or 2 with a message when the command cannot run.
///
/// The check needs no cryptography, but the engine options are honoured as on every
/// command: a forced provider that cannot run, or an unclear `WIRECRYPT_FIPS`, stops it
/// before anything is read.
pub fn main(args: &Args, engine: &EngineArgs) -> ExitCode {
    match engine.engine().map_err(Into::into).and_then(|_| run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wirecrypt: {e}");
            ExitCode::from(Overall::Unreadable.exit_code())
        }
    }
}

/// Runs `wirecrypt fips <command>`: prints the report and returns its exit status.
pub fn run(args: &Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match &args.command {
        FipsCommand::Check(check) => {
            let report = check_all(check)?;
            if check.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", text(&report));
            }
            Ok(ExitCode::from(report.status.exit_code()))
        }
    }
}

/// Checks every input given and merges the reports.
pub fn check_all(args: &CheckArgs) -> Result<Report, String> {
    let expander = choose_expander(args.cipher_expander)?;
    let mut report = Report::default();
    for (path, flavor) in [
        (&args.sshd_config, openssh::Flavor::Server),
        (&args.ssh_config, openssh::Flavor::Client),
    ] {
        if let Some(path) = path {
            report.merge(check_openssh(path, flavor, args.no_follow_includes));
        }
    }
    if let Some(list) = &args.tls_ciphersuites {
        report.merge(tls::check_ciphersuites(list));
    }
    if let Some(string) = &args.tls_cipher_string {
        report.merge(tls::check_cipher_string(string, &expander));
    }
    if let Some(path) = &args.vsftpd_config {
        let name = path.display().to_string();
        report.merge(match read(path) {
            Ok(text) => vsftpd::check_vsftpd_config(&text, &name, &expander),
            Err(why) => Report::unreadable(name, why),
        });
    }
    let uses_strings = args.tls_cipher_string.is_some() || args.vsftpd_config.is_some();
    if let (Some(why), true) = (&expander.fallback, uses_strings) {
        report.note("cipher-expander", why.clone());
    }
    Ok(report)
}

fn check_openssh(path: &Path, flavor: openssh::Flavor, no_follow: bool) -> Report {
    let name = path.display().to_string();
    let text = match read(path) {
        Ok(text) => text,
        Err(why) => return Report::unreadable(name, why),
    };
    let fs = FsIncludes {
        base: path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
    };
    let includes: &dyn Includes = if no_follow { &NoIncludes } else { &fs };
    openssh::check(&text, &name, flavor, includes)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The expander chosen, and why the built-in one stands in when `auto` found no openssl.
struct ChosenExpander {
    openssl: Option<OpensslCommand>,
    fallback: Option<String>,
}

impl Expander for ChosenExpander {
    fn expand(&self, cipher_string: &str) -> Expansion {
        match &self.openssl {
            Some(o) => o.expand(cipher_string),
            None => Builtin.expand(cipher_string),
        }
    }
}

fn choose_expander(choice: ExpanderChoice) -> Result<ChosenExpander, String> {
    let builtin = |fallback| ChosenExpander {
        openssl: None,
        fallback,
    };
    match (choice, OpensslCommand::detect()) {
        (ExpanderChoice::Builtin, _) => Ok(builtin(None)),
        (_, Ok(o)) => Ok(ChosenExpander {
            openssl: Some(o),
            fallback: None,
        }),
        (ExpanderChoice::Openssl, Err(why)) => Err(format!(
            "--cipher-expander openssl: the openssl command cannot run ({why})"
        )),
        (ExpanderChoice::Auto, Err(why)) => Ok(builtin(Some(format!(
            "no openssl command ({why}); cipher strings were expanded by the built-in subset"
        )))),
    }
}

/// `openssl ciphers`, asked what a cipher string means on this system.
struct OpensslCommand {
    version: String,
}

impl OpensslCommand {
    fn detect() -> Result<OpensslCommand, String> {
        let version = run_openssl(&["version"])?;
        Ok(OpensslCommand {
            version: version.trim().to_owned(),
        })
    }
}

impl Expander for OpensslCommand {
    fn expand(&self, cipher_string: &str) -> Expansion {
        // The string comes from the file under check: it must never become an option
        // (`-provider=/path/x.so` would load and run that library). OpenSSL reads no
        // cipher string that begins with '-', so refuse those, and end the options
        // with `--` in any case.
        let tls12 = if cipher_string.trim_start().starts_with('-') {
            Err(format!(
                "the cipher string {cipher_string:?} begins with '-', which openssl would \
                 read as an option; it was not passed on"
            ))
        } else {
            run_openssl(&["ciphers", "-s", "-tls1_2", "-V", "--", cipher_string])
        };
        let tls13 = run_openssl(&["ciphers", "-s", "-tls1_3", "-V"]).unwrap_or_default();
        let mut expansion = cipher_string::expansion_from_openssl(
            &self.version,
            tls12.as_deref().map_err(String::as_str),
            &tls13,
        );
        // Suite names the string asks for that this OpenSSL does not offer.
        let offered: Vec<&str> = expansion.suites.iter().map(|s| s.name.as_str()).collect();
        expansion.absent = Builtin
            .expand(cipher_string)
            .absent
            .into_iter()
            .filter(|n| !offered.contains(&n.as_str()))
            .collect();
        expansion
    }
}

/// Runs `openssl` with `args`, in an environment scrubbed of every `OPENSSL_*` variable
/// (`OPENSSL_CONF`, `OPENSSL_MODULES`, ...) so that only the system's own configuration
/// and modules are loaded.
fn run_openssl(args: &[&str]) -> Result<String, String> {
    let mut command = Command::new("openssl");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OPENSSL_") {
            command.env_remove(name);
        }
    }
    let out = command.args(args).output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or("failed")
            .to_owned())
    }
}

/// The report as text: one line per item, then replacement lines, notes and a summary.
pub fn text(report: &Report) -> String {
    let width = |f: &dyn Fn(&wirecrypt::fips::check::Item) -> usize| {
        report.items.iter().map(f).max().unwrap_or(0)
    };
    let source_of = |i: &wirecrypt::fips::check::Item| match &i.scope {
        Some(scope) => format!("{} [{scope}]", i.source),
        None => i.source.clone(),
    };
    let w_source = width(&|i| source_of(i).len());
    let w_setting = width(&|i| i.setting.len());
    let w_value = width(&|i| i.value.len()).min(48);
    let mut out = String::new();
    for i in &report.items {
        out += &format!(
            "{:w_source$}  {:w_setting$}  {:w_value$}  {:12}  {} ({})\n",
            source_of(i),
            i.setting,
            i.value,
            i.verdict.label(),
            i.rule,
            i.source_doc,
        );
    }
    if !report.replacements.is_empty() {
        out += "\nReplacement lines (compliant with the FIPS policy):\n";
        for r in &report.replacements {
            let scope = r
                .scope
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            out += &format!("  {}{scope}:\n    {}\n", r.source, r.line);
        }
    }
    if !report.notes.is_empty() {
        out += "\nNotes:\n";
        for n in &report.notes {
            out += &format!("  {}: {}\n", n.source, n.message);
        }
    }
    if !report.unreadable.is_empty() {
        out += "\nUnreadable:\n";
        for n in &report.unreadable {
            out += &format!("  {}: {}\n", n.source, n.message);
        }
    }
    let (approved, not_approved, unknown) = report.counts();
    out += &format!(
        "\n{}: {approved} approved, {not_approved} not approved, {unknown} unknown \
         ({}; checked against wirecrypt's FIPS policy: approved algorithms only)\n",
        report.status.label(),
        report.inputs.join(", "),
    );
    out
}
