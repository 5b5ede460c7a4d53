//! Faults in `wirecrypt bench`: a corrupted byte fails the integrity check (fault
//! injection, built only with the `fault-injection` feature), and a peer that cannot run
//! is reported while the rest of the run goes on.

use std::process::{Command, Output};

fn wirecrypt(args: &[&str], path: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wirecrypt"));
    cmd.args(args)
        .env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS");
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    cmd.output().expect("run wirecrypt")
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_corrupted_byte_fails_the_integrity_check() {
    let out = wirecrypt(
        &[
            "bench",
            "--protocols",
            "ftp,ftps",
            "--size",
            "256k",
            "--runs",
            "1",
            "--inject-corruption",
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}{stderr}");
    assert!(!out.status.success(), "a corrupted download passed");
    assert!(stderr.contains("SHA-256 mismatch"), "{stderr}");
    // Downloads carry the flipped byte; uploads read the intact source.
    let mismatches = stdout.lines().filter(|l| l.contains("MISMATCH")).count();
    let downloads = stdout.lines().filter(|l| l.contains(" download ")).count();
    assert_eq!(mismatches, downloads, "{stdout}");
    assert!(downloads >= 2, "{stdout}");
    assert!(
        stdout
            .lines()
            .filter(|l| l.contains(" upload "))
            .all(|l| l.contains("sha-256 ok")),
        "{stdout}"
    );
}

#[test]
fn missing_peers_are_rows_that_say_so_and_the_run_goes_on() {
    // A PATH with none of the peers: each peer row says why, our own rows are measured.
    let empty = std::env::temp_dir().join(format!("wirecrypt-empty-path-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = wirecrypt(
        &[
            "bench",
            "--protocols",
            "ftp,sftp",
            "--peers",
            "--size",
            "256k",
            "--runs",
            "1",
        ],
        Some(empty.to_str().unwrap()),
    );
    let _ = std::fs::remove_dir(&empty);
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("note: ftp upload curl -> vsftpd"),
        "{stdout}"
    );
    assert!(
        stdout.contains("note: sftp upload sftp -> sshd"),
        "{stdout}"
    );
    let ours_ftp = stdout
        .lines()
        .filter(|l| l.starts_with("ftp ") && l.contains(" wirecrypt "))
        .count();
    assert_eq!(ours_ftp, 2, "{stdout}");
    assert!(
        stdout
            .lines()
            .filter(|l| l.starts_with("ftp ") && l.contains(" wirecrypt "))
            .all(|l| l.contains("sha-256 ok")),
        "{stdout}"
    );
}
