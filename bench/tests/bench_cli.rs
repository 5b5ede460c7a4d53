//! `wirecrypt bench`: whole transfers between wirecrypt's own endpoints on 127.0.0.1,
//! checked for their JSON shape, their integrity checks and their ratios.

use std::process::{Command, Output};

fn wirecrypt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirecrypt"))
        .args(args)
        .env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS")
        .output()
        .expect("run wirecrypt")
}

fn json_file(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "wirecrypt-bench-{}-{name}.json",
        std::process::id()
    ))
}

#[test]
fn ftp_and_ftps_rows_carry_every_field_and_verify() {
    let json = json_file("shape");
    let out = wirecrypt(&[
        "bench",
        "--protocols",
        "ftp,ftps",
        "--tls12",
        "--size",
        "2MiB",
        "--runs",
        "2",
        "--streams",
        "1,2",
        "--json",
        json.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed:\n{stdout}\n{stderr}");
    println!("{stdout}");
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json);
    // ftp: 2 directions x 2 stream counts; ftps: the same for TLS 1.3 and 1.2.
    assert_eq!(rows.len(), 4 + 8, "{rows:#?}");
    for row in &rows {
        for field in [
            "protocol",
            "tls_version",
            "provider",
            "cipher",
            "direction",
            "streams",
            "bytes",
            "seconds",
            "bytes_per_sec",
            "cpu_seconds_per_gb",
            "peer",
            "verified",
        ] {
            assert!(row.get(field).is_some(), "no '{field}' in {row}");
        }
        assert_eq!(row["verified"], true, "{row}");
        assert!(row["error"].is_null(), "{row}");
        let streams = row["streams"].as_u64().unwrap();
        assert_eq!(
            row["bytes"].as_u64().unwrap(),
            streams * 2 * 1024 * 1024,
            "{row}"
        );
        assert!(row["bytes_per_sec"].as_f64().unwrap() > 0.0, "{row}");
        assert!(row["ratio_to_ftp"].as_f64().unwrap() > 0.0, "{row}");
        assert!(row["peer"].is_null());
        if row["protocol"] == "ftps" {
            assert!(["1.2", "1.3"].contains(&row["tls_version"].as_str().unwrap()));
            assert_eq!(row["cipher"], "aes-256-gcm");
        } else {
            assert!(row["tls_version"].is_null());
            assert!((row["ratio_to_ftp"].as_f64().unwrap() - 1.0).abs() < 1e-9);
        }
    }
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let out = wirecrypt(&["bench", "--protocols", "gopher"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ftp, ftps or sftp"), "{err}");
    let out = wirecrypt(&["bench", "--protocols", "ftps", "--ciphers", "rc4"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("aes-256-gcm, aes-128-gcm, chacha20-poly1305"),
        "{err}"
    );
}

#[test]
fn fips_mode_refuses_a_chacha_only_ftps_run() {
    let out = wirecrypt(&[
        "--fips",
        "bench",
        "--protocols",
        "ftps",
        "--ciphers",
        "chacha20-poly1305",
        "--size",
        "64k",
        "--runs",
        "1",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("not measured"), "{stdout}");
    assert!(stdout.contains("ftps"), "{stdout}");
}

#[test]
fn peers_run_beside_ours_and_verify() {
    let json = json_file("peers");
    let out = wirecrypt(&[
        "bench",
        "--peers",
        "--size",
        "1MiB",
        "--runs",
        "1",
        "--json",
        json.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json);
    let peers: Vec<&serde_json::Value> = rows.iter().filter(|r| !r["peer"].is_null()).collect();
    for pair in [
        "curl -> vsftpd",
        "wirecrypt -> vsftpd",
        "curl -> wirecrypt",
        "sftp -> sshd",
    ] {
        let of_pair: Vec<_> = peers.iter().filter(|r| r["peer"] == pair).collect();
        assert!(!of_pair.is_empty(), "no '{pair}' rows in {stdout}");
        for row in of_pair {
            if let Some(why) = row["error"].as_str() {
                // A peer that is not installed is a row that says so: a failure in CI,
                // where scripts/setup installs every peer.
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{pair} not measured in CI: {why}"
                );
                println!("SKIP: {pair}: {why}");
                continue;
            }
            assert_eq!(row["verified"], true, "{row}");
            assert!(row["bytes_per_sec"].as_f64().unwrap() > 0.0, "{row}");
            assert!(row["ratio_to_ftp"].as_f64().unwrap() > 0.0, "{row}");
        }
    }
}
