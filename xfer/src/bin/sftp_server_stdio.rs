//! `wirecrypt-sftp-server`: serves one directory tree as SFTP v3 over standard input and
//! output, like OpenSSH's `sftp-server`, so that OpenSSH's own client can drive it with
//! `sftp -D wirecrypt-sftp-server` (no SSH involved) and sshd can run it as a subsystem.
//!
//! The root is the first argument, else `$WIRECRYPT_SFTP_ROOT`, else the current
//! directory (`sftp -D` passes no arguments, so tests use the environment). With
//! `WIRECRYPT_SFTP_STATS` set, one line on standard error summarizes the session;
//! `WIRECRYPT_SFTP_REPLY_THREAD=1` sends replies from a thread of their own (see
//! [`Config::reply_thread`]).

use std::fs::File;
use std::os::fd::AsFd;
use std::process::ExitCode;

use wirecrypt_xfer::root::Root;
use wirecrypt_xfer::sftp::{Config, Server};

fn main() -> ExitCode {
    let root = std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("WIRECRYPT_SFTP_ROOT"))
        .unwrap_or_else(|| ".".into());
    let root = match Root::open(&root) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "wirecrypt-sftp-server: {}: {e}",
                std::path::Path::new(&root).display()
            );
            return ExitCode::FAILURE;
        }
    };
    // Plain files over duplicates of fds 0 and 1: std's Stdout is line-buffered and
    // would flush at every newline byte inside file data.
    let (input, output) = match (
        std::io::stdin().as_fd().try_clone_to_owned(),
        std::io::stdout().as_fd().try_clone_to_owned(),
    ) {
        (Ok(i), Ok(o)) => (File::from(i), File::from(o)),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("wirecrypt-sftp-server: stdio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = Config {
        reply_thread: std::env::var_os("WIRECRYPT_SFTP_REPLY_THREAD").is_some_and(|v| v == "1"),
        ..Config::default()
    };
    let server = Server::new(root, config);
    match server.serve(input, output) {
        Ok(stats) => {
            if std::env::var_os("WIRECRYPT_SFTP_STATS").is_some() {
                eprintln!(
                    "wirecrypt-sftp-server: {} requests, {} bytes read, {} bytes written, \
                     largest read request {}, largest write {}",
                    stats.requests,
                    stats.bytes_read,
                    stats.bytes_written,
                    stats.largest_read_request,
                    stats.largest_write
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wirecrypt-sftp-server: {e}");
            ExitCode::FAILURE
        }
    }
}
