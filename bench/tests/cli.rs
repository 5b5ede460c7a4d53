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
            "vaes",
            "vpclmulqdq",
            "sha",
            "rdrand",
            "rdseed",
            "adx",
            "bmi2"
        );
        assert_eq!(features.len(), 14);
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("not approved"));
}
