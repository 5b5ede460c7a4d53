//! `wirecrypt speed --provider pkcs11,...` on a throwaway SoftHSM2 token: the engine's
//! pkcs11 provider beside rustcrypto and beside the bare `cryptoki` loop, at one and eight
//! streams, in one run of the real binary.
//!
//! Built only with the bench crate's `pkcs11` feature:
//! `cargo test -p wirecrypt-bench --features pkcs11 --test speed_pkcs11 -- --nocapture`.
//! Without softhsm2 it prints a SKIP line, unless `CI` is set, where it fails.

#![cfg(feature = "pkcs11")]

use std::process::Command;

use serde_json::Value;

mod common;

/// The rows of one provider (or bare loop) at one size and stream count, one per op.
fn rows<'a>(all: &'a [Value], provider: &str, size: u64, streams: u64) -> Vec<&'a Value> {
    all.iter()
        .filter(|r| r["provider"] == provider && r["size"] == size && r["streams"] == streams)
        .collect()
}

fn finite_ratio(row: &Value, field: &str) -> f64 {
    let ratio = row[field]["ratio"]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} missing: {row}"));
    assert!(ratio.is_finite() && ratio > 0.0, "{field}: {row}");
    ratio
}

#[test]
fn pkcs11_beside_rustcrypto_and_its_bare_loop_at_one_and_eight_streams() {
    let Some(token) = common::softhsm_token() else {
        return;
    };
    let vars = &token.vars;
    let out = Command::new(env!("CARGO_BIN_EXE_wirecrypt"))
        .args([
            "speed",
            "--provider",
            "pkcs11,rustcrypto",
            "--alg",
            "aes-256-gcm",
            "--size",
            "64,16k",
            "--streams",
            "1,8",
            "--seconds",
            "0.05",
            "--json",
        ])
        .env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS")
        .env_remove("WIRECRYPT_PKCS11_PIN")
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("the wirecrypt binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stderr}");
    assert!(out.status.success(), "{stderr}");
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).expect("a JSON list");

    // The PIN is in a file: it must not appear in anything the command printed.
    let pin_file = &vars
        .iter()
        .find(|(k, _)| k == "WIRECRYPT_PKCS11_PIN_FILE")
        .expect("the script gives a PIN file")
        .1;
    let pin = std::fs::read_to_string(pin_file).unwrap();
    let pin = pin.trim();
    assert!(pin.len() >= 8);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(pin));
    assert!(!stderr.contains(pin));

    for size in [64u64, 16384] {
        for streams in [1u64, 8] {
            let cell = format!("{size} B x{streams}");
            let pkcs11 = rows(&all, "pkcs11", size, streams);
            let rustcrypto = rows(&all, "rustcrypto", size, streams);
            let bare = rows(&all, "pkcs11-bare", size, streams);
            for (name, found) in [
                ("pkcs11", &pkcs11),
                ("rustcrypto", &rustcrypto),
                ("pkcs11-bare", &bare),
            ] {
                let ops: Vec<&str> = found.iter().map(|r| r["op"].as_str().unwrap()).collect();
                assert_eq!(ops, ["seal", "open"], "{name} at {cell}: {all:?}");
                for r in found {
                    for field in ["bytes_per_sec", "ops_per_sec", "us_per_call"] {
                        let v = r[field].as_f64().unwrap_or(0.0);
                        assert!(v.is_finite() && v > 0.0, "{field} of {name} at {cell}: {r}");
                    }
                    assert!(r["iterations"].as_u64().unwrap() > 0, "{r}");
                }
            }
            for r in &bare {
                assert_eq!(r["source"], "baseline", "{r}");
                assert_eq!(r["baseline_of"], "pkcs11", "{r}");
            }
            for r in &pkcs11 {
                assert_eq!(r["source"], "engine", "{r}");
                assert_eq!(r["ratio_to_baseline"]["peer"], "pkcs11-bare", "{r}");
                let overhead = finite_ratio(r, "ratio_to_baseline");
                println!(
                    "pkcs11 {} {cell}: {overhead:.2}x the bare loop, {:.1} us/call",
                    r["op"].as_str().unwrap_or("?"),
                    r["us_per_call"].as_f64().unwrap_or(f64::NAN)
                );
                assert_eq!(r["ratio_to_reference"]["peer"], "rustcrypto", "{r}");
                finite_ratio(r, "ratio_to_reference");
                let others = r["ratios_to_providers"].as_array().expect("ratios");
                assert_eq!(others.len(), 1, "{r}");
                assert_eq!(others[0]["peer"], "rustcrypto");
                assert!(others[0]["ratio"].as_f64().unwrap().is_finite());
            }
            for r in &rustcrypto {
                assert!(r.get("ratio_to_baseline").is_none(), "{r}");
                assert_eq!(r["ratios_to_providers"][0]["peer"], "pkcs11", "{r}");
            }
        }
    }
    assert_eq!(
        all.len(),
        3 * 2 * 2 * 2,
        "3 rows x 2 ops x 2 sizes x 2 stream counts"
    );
}

/// `speed --layer tls13,ssh --records 1,8` on the token: one row per records-per-call
/// count, the 8-record rows carrying their gain over the 1-record rows (`x 1 rec`), and
/// `--records` refused without `--layer`.
#[test]
fn layer_rows_at_one_and_eight_records_per_call() {
    let Some(token) = common::softhsm_token() else {
        return;
    };
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_wirecrypt"))
            .args(args)
            .env_remove("WIRECRYPT_PROVIDER")
            .env_remove("WIRECRYPT_FIPS")
            .env_remove("WIRECRYPT_PKCS11_PIN")
            .envs(token.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("the wirecrypt binary runs")
    };
    let out = run(&[
        "speed",
        "--layer",
        "tls13,ssh",
        "--provider",
        "pkcs11",
        "--alg",
        "aes-256-gcm",
        "--size",
        "4k",
        "--records",
        "1,8",
        "--seconds",
        "0.02",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = stdout.lines().next().expect("a table");
    assert!(
        header.contains("recs") && header.contains("x 1 rec"),
        "{header}"
    );
    for layer in ["tls13", "ssh"] {
        for op in ["seal", "open"] {
            let cells = |recs: &str| -> Vec<Vec<String>> {
                stdout
                    .lines()
                    .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
                    .filter(|c| c.len() == 9 && c[0] == layer && c[4] == op && c[7] == recs)
                    .collect()
            };
            let (one, eight) = (cells("1"), cells("8"));
            assert_eq!((one.len(), eight.len()), (1, 1), "{layer} {op}:\n{stdout}");
            assert_eq!(one[0][8], "-", "{layer} {op}");
            let gain: f64 = eight[0][8]
                .parse()
                .unwrap_or_else(|_| panic!("{layer} {op}: no gain in {:?}", eight[0]));
            assert!(gain.is_finite() && gain > 0.0, "{layer} {op}: {gain}");
            assert_eq!(eight[0][3], "pkcs11");
        }
    }
    let refused = run(&["speed", "--provider", "pkcs11", "--records", "8"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--layer"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
