//! `wirecrypt`: probe the machine, measure the engine and whole transfers, serve and
//! copy files, check configurations, manage the keys in a PKCS#11 token.

mod ciphers;
mod copy;
mod engine_args;
mod fips;
mod probe;
mod selftest;
mod serve;
mod speed;
mod token;
mod transfer;
mod users;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The wirecrypt engine's command line.
#[derive(Parser)]
#[command(
    name = "wirecrypt",
    version,
    about = "Hardware-accelerated crypto for secure file transfer"
)]
struct Cli {
    /// `--provider` and `--fips`, for every command.
    #[command(flatten)]
    engine: engine_args::EngineArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the CPU features, the providers and which provider serves each algorithm.
    Probe(probe::Args),
    /// Measure throughput per algorithm, provider, buffer size and number of streams.
    Speed(speed::Args),
    /// Run the known-answer self-tests on every provider.
    Selftest(selftest::Args),
    /// Check configurations against the FIPS algorithm policy (`fips check`).
    Fips(fips::Args),
    /// Run a server in the foreground: plain FTP, FTPS or SFTP.
    Serve(serve::Args),
    /// Copy one file to or from a server (ftp://, ftps://, sftp://).
    Copy(copy::Args),
    /// Manage the users file the servers check passwords against.
    Users(users::Args),
    /// Whole transfers: plain FTP, FTPS and SFTP end to end, with ratios to plain FTP.
    Bench(transfer::Args),
    /// Long-term keys in the PKCS#11 token: generate, show, delete (feature `pkcs11`).
    Token(token::Args),
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Probe(args) => probe::run(&args, &cli.engine),
        Command::Selftest(args) => selftest::run(&args, &cli.engine),
        // Its exit status says compliant (0), not compliant (1) or unreadable (2).
        Command::Fips(args) => return fips::main(&args, &cli.engine),
        Command::Speed(args) => speed::run(&args, &cli.engine),
        Command::Token(args) => token::run(&args, &cli.engine),
        Command::Bench(args) => transfer::run(&args, &cli.engine),
        Command::Serve(args) => serve::run(&args, &cli.engine),
        Command::Copy(args) => copy::run(&args, &cli.engine),
        Command::Users(args) => users::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wirecrypt: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `wirecrypt ... | head` closes standard output early; Rust's printing then panics
/// with "Broken pipe". Exit quietly with the shell's SIGPIPE status instead.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
