//! The `wirecrypt` binary, run as a user runs it.

use std::process::{Command, Output};

fn wirecrypt(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wirecrypt"));
    cmd.args(args)
        .env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS")
        .env_remove("WIRECRYPT_SELFTEST_BREAK");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the wirecrypt binary runs")
}

#[test]
fn probe_json_reports_every_checked_feature_as_detected_by_std() {
    let out = wirecrypt(&["probe", "--json"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("probe --json is JSON");
    let features = v["cpu"]["features"]
        .as_object()
        .expect("cpu.features is an object");
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! same {
            ($($name:tt),*) => {$(
                assert_eq!(
                    features[$name].as_bool(),
                    Some(std::arch::is_x86_feature_detected!($name)),
                    "feature {}", $name
                );
            )*};
        }
        same!(
            "aes",
            "pclmulqdq",
            "avx",
            "avx2",
            "avx512f",
            "avx512bw",
            "avx512vl",
            "avx512ifma",
            "vaes",
            "vpclmulqdq",
            "sha",
            "rdrand",
            "rdseed",
            "adx",
            "bmi2"
        );
        assert_eq!(features.len(), 15);
    }
    let providers = v["providers"].as_array().unwrap();
    assert!(
        providers
            .iter()
            .any(|p| p["id"] == "rustcrypto" && p["available"] == true)
    );
    let algorithms = v["algorithms"].as_array().unwrap();
    assert_eq!(algorithms.len(), wirecrypt::Algorithm::all().count());
    for a in algorithms {
        assert!(a["provider"].is_string(), "every algorithm is served: {a}");
    }
    let chacha = algorithms
        .iter()
        .find(|a| a["algorithm"] == "chacha20-poly1305")
        .unwrap();
    assert_eq!(chacha["fips_approved"], false);
}

#[test]
fn forcing_an_unknown_provider_fails_and_names_the_valid_ids() {
    let out = wirecrypt(&["probe"], &[("WIRECRYPT_PROVIDER", "nonexistent")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nonexistent") && err.contains("rustcrypto"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing is reported for a failed selection"
    );
}

#[test]
fn forcing_a_provider_is_reported() {
    let out = wirecrypt(
        &["probe", "--json"],
        &[("WIRECRYPT_PROVIDER", "rustcrypto")],
    );
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["forced_provider"], "rustcrypto");
    for a in v["algorithms"].as_array().unwrap() {
        assert_eq!(a["reason"], "forced");
    }
}

#[test]
fn probe_text_lists_providers_and_algorithms() {
    let out = wirecrypt(&["probe"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("providers (best first):"), "{text}");
    assert!(text.contains("aes-256-gcm"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("rustcrypto") && l.contains("available"))
    );
}

#[test]
fn selftest_passes_and_a_broken_test_fails_the_command() {
    let out = wirecrypt(&["selftest", "--fips", "--json"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fips_mode"], true);
    assert!(v["error_state"].is_null());
    let results = v["results"].as_array().unwrap();
    assert!(results.len() >= 10);
    assert!(results.iter().all(|r| r["failure"].is_null()));

    let out = wirecrypt(
        &["selftest", "--fips"],
        &[("WIRECRYPT_SELFTEST_BREAK", "HMAC-SHA-256")],
    );
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("HMAC-SHA-256") && text.contains("FAIL"),
        "{text}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error state"), "{err}");
}

#[test]
fn fips_probe_refuses_non_approved_algorithms() {
    let out = wirecrypt(&["--fips", "probe", "--json"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fips_mode"], true);
    for a in v["algorithms"].as_array().unwrap() {
        let approved = a["fips_approved"].as_bool().unwrap();
        assert_eq!(a["provider"].is_null(), !approved, "{a}");
    }
    let out = wirecrypt(
        &["probe"],
        &[
            ("WIRECRYPT_FIPS", "1"),
            ("WIRECRYPT_SELFTEST_BREAK", "AES-128-CTR"),
        ],
    );
    assert!(
        !out.status.success(),
        "an engine in its error state fails probe"
    );
}

#[test]
fn speed_json_reports_each_measurement() {
    let out = wirecrypt(
        &[
            "speed",
            "--alg",
            "aes-128-gcm,sha256",
            "--size",
            "64,1024",
            "--seconds",
            "0.01",
            "--json",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("a JSON list");
    let providers = wirecrypt::Engine::builder().ignore_env().build().unwrap();
    let serving_gcm = providers
        .available()
        .filter(|p| p.supports(wirecrypt::Algorithm::Aead(wirecrypt::AeadAlg::Aes128Gcm)))
        .count();
    let gcm_rows = rows.iter().filter(|r| r["alg"] == "aes-128-gcm").count();
    assert_eq!(
        gcm_rows,
        serving_gcm * 2 * 2,
        "seal and open at two sizes per provider"
    );
    for r in &rows {
        assert!(r["bytes_per_sec"].as_f64().unwrap() > 0.0, "{r}");
        assert!(
            ["seal", "open", "digest"].contains(&r["op"].as_str().unwrap()),
            "{r}"
        );
        assert!([64, 1024].contains(&r["size"].as_u64().unwrap()), "{r}");
        assert!(r["provider"].is_string());
    }
    assert!(
        rows.iter()
            .any(|r| r["alg"] == "sha256" && r["op"] == "digest")
    );
}

#[test]
fn fips_speed_leaves_out_non_approved_algorithms() {
    let out = wirecrypt(
        &[
            "--fips",
            "speed",
            "--alg",
            "chacha20-poly1305,aes-256-gcm",
            "--size",
            "64",
            "--seconds",
            "0.01",
            "--json",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["alg"] == "aes-256-gcm"), "{rows:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not measured: FIPS mode refuses chacha20-poly1305"),
        "{err}"
    );
}

/// Runs `wirecrypt speed` with `args` and returns its JSON rows, failing on a bad exit.
fn speed_json(args: &[&str]) -> Vec<serde_json::Value> {
    let mut argv = vec!["speed"];
    argv.extend_from_slice(args);
    argv.push("--json");
    let out = wirecrypt(&argv, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON list")
}

#[test]
fn speed_measures_several_providers_in_one_run() {
    let engine = wirecrypt::Engine::builder().ignore_env().build().unwrap();
    let gcm = wirecrypt::Algorithm::Aead(wirecrypt::AeadAlg::Aes128Gcm);
    let available: Vec<String> = engine
        .available()
        .filter(|p| p.supports(gcm))
        .map(|p| p.id().to_string())
        .collect();
    assert!(available.iter().any(|id| id == "rustcrypto"));
    // Every provider serving AES-GCM, rustcrypto last and named twice (measured once).
    let mut ids: Vec<&str> = available
        .iter()
        .map(String::as_str)
        .filter(|&id| id != "rustcrypto")
        .collect();
    ids.extend(["rustcrypto", "rustcrypto"]);
    let list = ids.join(",");
    let rows = speed_json(&[
        "--provider",
        &list,
        "--alg",
        "aes-128-gcm",
        "--size",
        "64",
        "--seconds",
        "0.01",
    ]);
    assert_eq!(
        rows.len(),
        available.len() * 2,
        "seal and open per provider"
    );
    for id in &available {
        for op in ["seal", "open"] {
            let row = rows
                .iter()
                .find(|r| r["provider"] == id.as_str() && r["op"] == op)
                .unwrap_or_else(|| panic!("no {id} {op} row in {rows:?}"));
            assert_eq!(row["streams"], 1, "{row}");
            assert!(row["bytes_per_sec"].as_f64().unwrap() > 0.0, "{row}");
            assert!(row["us_per_call"].as_f64().unwrap() > 0.0, "{row}");
            // Every provider but the reference is compared with it, in the same run.
            if id == "rustcrypto" {
                assert!(row.get("ratio_to_reference").is_none(), "{row}");
            } else {
                assert_eq!(row["ratio_to_reference"]["peer"], "rustcrypto", "{row}");
                let ratio = row["ratio_to_reference"]["ratio"].as_f64().unwrap();
                assert!(ratio.is_finite() && ratio > 0.0, "{row}");
            }
            let others = row
                .get("ratios_to_providers")
                .and_then(|v| v.as_array())
                .map_or(0, Vec::len);
            assert_eq!(others, available.len() - 1, "{row}");
        }
    }
    // The order given is the order measured.
    let order: Vec<&str> = rows
        .iter()
        .filter(|r| r["op"] == "seal")
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    assert_eq!(order, ids[..available.len()]);
}

#[test]
fn speed_streams_sum_over_concurrent_streams() {
    let rows = speed_json(&[
        "--provider",
        "rustcrypto",
        "--alg",
        "aes-256-gcm",
        "--size",
        "64,1k",
        "--streams",
        "1,3",
        "--streams=1",
        "--seconds",
        "0.01",
    ]);
    assert_eq!(rows.len(), 2 * 2 * 2, "2 ops x 2 sizes x 2 stream counts");
    for streams in [1, 3] {
        for size in [64, 1024] {
            for op in ["seal", "open"] {
                let row = rows
                    .iter()
                    .find(|r| r["streams"] == streams && r["size"] == size && r["op"] == op)
                    .unwrap_or_else(|| panic!("no {op} {size} B x{streams} row: {rows:?}"));
                let bytes_per_sec = row["bytes_per_sec"].as_f64().unwrap();
                let ops_per_sec = row["ops_per_sec"].as_f64().unwrap();
                let us = row["us_per_call"].as_f64().unwrap();
                assert!(bytes_per_sec > 0.0, "{row}");
                assert!((bytes_per_sec - ops_per_sec * size as f64).abs() < 1e-6 * bytes_per_sec);
                // µs per call per stream: streams / (calls per second).
                let expected = streams as f64 * 1e6 / ops_per_sec;
                assert!((us - expected).abs() < 1e-9 * expected, "{row}");
                assert!(row["seconds"].as_f64().unwrap() >= 0.01, "{row}");
                if streams > 1 {
                    assert!(
                        row.get("cycles_per_byte").is_none(),
                        "no c/B for several streams: {row}"
                    );
                }
            }
        }
    }
}

#[test]
fn speed_table_keeps_its_one_stream_form_and_adds_streams() {
    let base = [
        "speed",
        "--provider",
        "rustcrypto",
        "--alg",
        "aes-128-gcm",
        "--size",
        "64",
        "--seconds",
        "0.01",
    ];
    let out = wirecrypt(&base, &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("wirecrypt speed: one core, 0.01 s per measurement"));
    assert!(!text.contains("us/call"), "{text}");
    let header = text.lines().find(|l| l.starts_with("algorithm")).unwrap();
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        ["algorithm", "op", "provider", "streams", "64", "B"],
        "{text}"
    );
    let seal = text.lines().find(|l| l.contains(" seal ")).unwrap();
    let cells: Vec<&str> = seal.split_whitespace().collect();
    assert_eq!(
        cells[..4],
        ["aes-128-gcm", "seal", "rustcrypto", "1"],
        "{seal}"
    );
    assert_eq!(cells[5], "GB/s", "{seal}");

    let mut args = base.to_vec();
    args.extend(["--streams", "2"]);
    let out = wirecrypt(&args, &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("summed over streams"), "{text}");
    let seal = text.lines().find(|l| l.contains(" seal ")).unwrap();
    assert_eq!(seal.split_whitespace().nth(3), Some("2"), "{seal}");
    assert!(seal.contains("us/call") && !seal.contains("c/B"), "{seal}");
}

#[test]
fn speed_refuses_bad_providers_and_streams_clearly() {
    let fails = |args: &[&str], expect: &[&str]| {
        let mut argv = vec![
            "speed",
            "--seconds",
            "0.01",
            "--alg",
            "sha256",
            "--size",
            "64",
        ];
        argv.extend_from_slice(args);
        // No token configured (an empty value counts as unset), whatever the caller's
        // environment says: pkcs11 is then unavailable in every build.
        let out = wirecrypt(&argv, &[("WIRECRYPT_PKCS11_MODULE", "")]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "{args:?}: nothing measured");
        for e in expect {
            assert!(err.contains(e), "{args:?}: {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    };
    fails(
        &["--provider", "rustcrypto,nonexistent"],
        &["nonexistent", "rustcrypto", "pkcs11"],
    );
    fails(
        &["--provider", "rustcrypto", "--provider", "bogus"],
        &["bogus"],
    );
    fails(
        &["--streams", "0"],
        &["streams must be from 1 to 256", "'0'"],
    );
    fails(&["--streams", "1,257"], &["from 1 to 256", "'257'"]);
    fails(&["--streams", "-3"], &["from 1 to 256"]);
    fails(&["--streams", "many"], &["not a number of streams"]);
    fails(
        &["--size", "512MiB", "--streams", "4"],
        &["size x streams must be at most"],
    );
    fails(
        &["--provider", "rustcrypto,pkcs11"],
        &["'pkcs11'", "unavailable"],
    );
}

#[test]
fn speed_rounds_keep_one_row_per_implementation_and_say_so() {
    let out = wirecrypt(
        &[
            "speed",
            "--provider",
            "rustcrypto",
            "--alg",
            "aes-128-gcm",
            "--size",
            "64",
            "--seconds",
            "0.01",
            "--rounds",
            "3",
        ],
        &[],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("best of 3 rounds"), "{text}");
    let rows = text
        .lines()
        .filter(|l| l.starts_with("aes-128-gcm") && l.contains("rustcrypto"))
        .count();
    assert_eq!(
        rows, 2,
        "one seal and one open row, not one per round: {text}"
    );
    let json = speed_json(&[
        "--provider",
        "rustcrypto",
        "--alg",
        "aes-128-gcm",
        "--size",
        "64",
        "--seconds",
        "0.01",
        "--rounds",
        "2",
    ]);
    assert_eq!(json.len(), 2, "{json:?}");
    let bad = wirecrypt(&["speed", "--rounds", "0"], &[]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("rounds must be from 1 to 20"));
}
