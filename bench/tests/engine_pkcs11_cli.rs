//! The engine options with a real PKCS#11 token (a throwaway SoftHSM2 one): every command
//! honours `pkcs11` forced by `--provider` or `WIRECRYPT_PROVIDER`, in FIPS mode too, and
//! refuses a wrong PIN saying so — the second session, where `speed` measured the
//! other providers instead.
//!
//! Built only with the bench crate's `pkcs11` feature:
//! `cargo test -p wirecrypt-bench --features pkcs11 --test engine_pkcs11_cli`.
//! Without softhsm2 it prints a SKIP line, unless `CI` is set, where it fails.

#![cfg(feature = "pkcs11")]

use std::process::{Command, Output};

use serde_json::Value;

mod cli_support;
mod common;

use cli_support::{BENCH_TINY, COPY_NOWHERE, SERVE_NOWHERE};

/// A wrong PIN that can be searched for in the output.
const WRONG_PIN: &str = "27182818wrong";

/// How `pkcs11` is forced.
#[derive(Clone, Copy, Debug)]
enum Way {
    Env,
    FlagBefore,
    FlagAfter,
}

const WAYS: [Way; 3] = [Way::Env, Way::FlagBefore, Way::FlagAfter];

/// Runs `wirecrypt <command> <args>` on the token, with pkcs11 forced as `way` says and
/// `extra` variables on top.
fn run(token: &common::Token, way: Way, command: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut argv: Vec<&str> = Vec::new();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wirecrypt"));
    cmd.env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS")
        .env_remove("WIRECRYPT_PKCS11_PIN")
        .env_remove("WIRECRYPT_SELFTEST_BREAK")
        .envs(token.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    match way {
        Way::Env => {
            cmd.env("WIRECRYPT_PROVIDER", "pkcs11");
            argv.extend(command);
        }
        Way::FlagBefore => {
            argv.push("--provider=pkcs11");
            argv.extend(command);
        }
        Way::FlagAfter => {
            argv.extend(command);
            argv.push("--provider=pkcs11");
        }
    }
    cmd.args(&argv)
        .envs(extra.iter().copied())
        .output()
        .expect("the wirecrypt binary runs")
}

fn said(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", said(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", said(out)))
}

fn origin(way: Way) -> &'static str {
    match way {
        Way::Env => "WIRECRYPT_PROVIDER=pkcs11: ",
        Way::FlagBefore | Way::FlagAfter => "--provider pkcs11: ",
    }
}

const PROBE: &[&str] = &["probe", "--json"];
const SPEED: &[&str] = &[
    "speed",
    "--alg",
    "aes-256-gcm",
    "--size",
    "64",
    "--seconds",
    "0.01",
    "--json",
];
const SELFTEST: &[&str] = &["selftest", "--json"];
const FIPS_CHECK: &[&str] = &[
    "fips",
    "check",
    "--tls-ciphersuites",
    "TLS_AES_128_GCM_SHA256",
];
/// `bench`, `serve` and `copy` as `engine_cli.rs` runs them.
fn bench() -> Vec<&'static str> {
    [&["bench"][..], BENCH_TINY].concat()
}
fn serve() -> Vec<&'static str> {
    [&["serve"][..], SERVE_NOWHERE].concat()
}
fn copy() -> Vec<&'static str> {
    [&["copy"][..], COPY_NOWHERE].concat()
}

#[test]
fn every_command_honours_a_forced_token_and_refuses_a_wrong_pin() {
    let Some(token) = common::softhsm_token() else {
        return;
    };
    let pin_file = &token
        .vars
        .iter()
        .find(|(k, _)| k == "WIRECRYPT_PKCS11_PIN_FILE")
        .expect("the script names a PIN file")
        .1;
    let pin = std::fs::read_to_string(pin_file).unwrap().trim().to_owned();
    assert!(pin.len() >= 8);
    let no_pin = |out: &Output| {
        let all = said(out);
        assert!(!all.contains(&pin), "the PIN was printed: {all}");
        assert!(!all.contains(WRONG_PIN), "the wrong PIN was printed: {all}");
    };

    // The right PIN first: a token may lock after wrong ones.
    for way in WAYS {
        for fips in [false, true] {
            let extra: &[(&str, &str)] = if fips {
                &[("WIRECRYPT_FIPS", "1")]
            } else {
                &[]
            };
            let out = run(&token, way, PROBE, extra);
            no_pin(&out);
            let v = json(&out);
            assert_eq!(v["forced_provider"], "pkcs11", "{way:?}");
            assert_eq!(v["fips_mode"], fips, "{way:?}");
            for a in v["algorithms"].as_array().unwrap() {
                let refused = fips && a["fips_approved"] == false;
                let served = a["provider"] == "pkcs11";
                // Forced and no fallback: served by the token or by nothing.
                assert!(served || a["provider"].is_null(), "{way:?}: {a}");
                if refused {
                    assert!(a["provider"].is_null(), "{way:?} fips: {a}");
                }
            }
            let gcm = v["algorithms"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["algorithm"] == "aes-256-gcm")
                .unwrap();
            assert_eq!(gcm["provider"], "pkcs11", "{way:?}: {gcm}");

            let rows = json(&run(&token, way, SPEED, extra));
            let engine_rows: Vec<&Value> = rows
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["source"] == "engine")
                .collect();
            assert_eq!(engine_rows.len(), 2, "seal and open: {rows}");
            assert!(
                engine_rows.iter().all(|r| r["provider"] == "pkcs11"),
                "{way:?}: only the forced provider is measured: {rows}"
            );

            let v = json(&run(&token, way, SELFTEST, extra));
            assert_eq!(v["forced_provider"], "pkcs11");
            assert_eq!(v["fips_mode"], fips);
            let results = v["results"].as_array().unwrap();
            assert!(!results.is_empty(), "{v}");
            assert!(
                results
                    .iter()
                    .all(|r| r["provider"] == "pkcs11" && r["failure"].is_null()),
                "{way:?}: {v}"
            );

            let out = run(&token, way, FIPS_CHECK, extra);
            assert_eq!(out.status.code(), Some(0), "{}", said(&out));

            // `token` with pkcs11 forced (its own provider): a key made, shown, deleted.
            let label = format!("engine-cli-{way:?}-{fips}").to_lowercase();
            let made = run(&token, way, &["token", "keygen", "--label", &label], extra);
            assert!(made.status.success(), "{}", said(&made));
            no_pin(&made);
            assert!(
                String::from_utf8_lossy(&made.stdout).contains("-----BEGIN PUBLIC KEY-----"),
                "{}",
                said(&made)
            );
            let gone = run(&token, way, &["token", "delete", "--label", &label], extra);
            assert!(gone.status.success(), "{}", said(&gone));
        }
        // The token has no ChaCha20-Poly1305: asked only for it, `speed` fails saying so.
        let out = run(
            &token,
            way,
            &[
                "speed",
                "--alg",
                "chacha20-poly1305",
                "--size",
                "64",
                "--seconds",
                "0.01",
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        assert!(out.stdout.is_empty(), "{}", said(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("nothing to measure: pkcs11 does not implement chacha20-poly1305"),
            "{}",
            said(&out)
        );
    }

    // A wrong PIN: every command that was asked for the token refuses, naming why and
    // where the choice came from; nothing is measured or reported.
    let wrong = [("WIRECRYPT_PKCS11_PIN", WRONG_PIN)];
    for way in WAYS {
        for (command, status) in [
            (SPEED, 1),
            (PROBE, 1),
            (SELFTEST, 1),
            (FIPS_CHECK, 2),
            (&["token", "show", "--label", "x"][..], 1),
            (&bench(), 1),
            (&serve(), 1),
            (&copy(), 1),
        ] {
            let out = run(&token, way, command, &wrong);
            assert_eq!(out.status.code(), Some(status), "{}", said(&out));
            assert!(out.stdout.is_empty(), "{}", said(&out));
            let err = String::from_utf8_lossy(&out.stderr);
            for expect in [
                origin(way),
                "provider 'pkcs11' was requested but is unavailable here",
                "refused the PIN (CKR_PIN_INCORRECT)",
            ] {
                assert!(err.contains(expect), "{command:?} {way:?}: {}", said(&out));
            }
            no_pin(&out);
        }
    }
    // The second session, exactly: the forced provider was ignored and the
    // others measured, with exit status 0.
    let out = run(&token, Way::Env, &["speed", "--alg", "aes-256-gcm"], &wrong);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(out.stdout.is_empty(), "nothing measured: {}", said(&out));
    println!(
        "$ WIRECRYPT_PKCS11_PIN=... WIRECRYPT_PROVIDER=pkcs11 wirecrypt speed --alg aes-256-gcm\n{}",
        said(&out)
    );
}

/// `bench` measures through the forced token and says so in its rows; `bench`, `serve`
/// and `copy` asked only for ChaCha20-Poly1305, which the token lacks, stop saying so
/// before anything starts.
#[test]
fn bench_serve_and_copy_work_through_the_forced_token_only() {
    let Some(token) = common::softhsm_token() else {
        return;
    };
    let json =
        std::env::temp_dir().join(format!("wirecrypt-engine-p11-{}.json", std::process::id()));
    for way in WAYS {
        let mut with_json = bench();
        with_json.extend(["--json", json.to_str().unwrap()]);
        let out = run(&token, way, &with_json, &[]);
        assert!(out.status.success(), "{way:?}: {}", said(&out));
        let rows: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let _ = std::fs::remove_file(&json);
        let ftps: Vec<&Value> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["protocol"] == "ftps")
            .collect();
        assert_eq!(ftps.len(), 2, "{way:?}: upload, download: {rows}");
        for r in ftps {
            assert_eq!(r["provider"], "pkcs11", "{way:?}: {r}");
            assert_eq!(r["verified"], true, "{way:?}: {r}");
        }

        for (command, chacha, expect) in [
            (bench(), "chacha20-poly1305", "nothing to measure"),
            (
                serve(),
                "chacha20-poly1305@openssh.com",
                "no cipher to serve with",
            ),
            (
                copy(),
                "chacha20-poly1305@openssh.com",
                "no cipher to connect with",
            ),
        ] {
            let mut argv = command.clone();
            argv.extend(["--ciphers", chacha]);
            let out = run(&token, way, &argv, &[]);
            assert_eq!(out.status.code(), Some(1), "{}", said(&out));
            assert!(out.stdout.is_empty(), "{}", said(&out));
            let err = String::from_utf8_lossy(&out.stderr);
            let why = "provider 'pkcs11' does not implement chacha20-poly1305";
            assert!(
                err.contains(expect) && err.contains(why),
                "{command:?} {way:?}: {}",
                said(&out)
            );
        }
    }
}
