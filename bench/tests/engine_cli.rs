//! Every `wirecrypt` command takes its engine from `--provider` / `WIRECRYPT_PROVIDER` and
//! `--fips` / `WIRECRYPT_FIPS` the same way: each command is run with each variable and
//! with each flag (before and after the command's name), and its output and exit status
//! checked. No PKCS#11 token is configured here, so `pkcs11` is unavailable in every
//! build; the token cases are in `engine_pkcs11_cli.rs`. `bench`, `serve` and `copy` show
//! the engine they used: `bench` in its JSON rows, `serve` and `copy` in their `engine:`
//! line; `serve sftp` runs in the foreground here and `copy` fetches a file from it.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

mod cli_support;

use cli_support::{BENCH_TINY, COPY_NOWHERE, Dir, Launch, SERVE_NOWHERE, Serving, serve_with};

/// A command as a user types it, cheap enough to run many times.
struct Cmd {
    name: &'static str,
    args: &'static [&'static str],
    /// The exit status when the engine options are refused (`fips check` says 2).
    refused: i32,
}

const PROBE: Cmd = Cmd {
    name: "probe",
    args: &["--json"],
    refused: 1,
};
const SPEED: Cmd = Cmd {
    name: "speed",
    args: &[
        "--alg",
        "aes-128-gcm",
        "--size",
        "64",
        "--seconds",
        "0.01",
        "--json",
    ],
    refused: 1,
};
const SELFTEST: Cmd = Cmd {
    name: "selftest",
    args: &["--json"],
    refused: 1,
};
const FIPS_CHECK: Cmd = Cmd {
    name: "fips",
    args: &["check", "--tls-ciphersuites", "TLS_AES_128_GCM_SHA256"],
    refused: 2,
};
const TOKEN: Cmd = Cmd {
    name: "token",
    args: &["show", "--label", "x"],
    refused: 1,
};

const BENCH: Cmd = Cmd {
    name: "bench",
    args: BENCH_TINY,
    refused: 1,
};
const SERVE: Cmd = Cmd {
    name: "serve",
    args: SERVE_NOWHERE,
    refused: 1,
};
const COPY: Cmd = Cmd {
    name: "copy",
    args: COPY_NOWHERE,
    refused: 1,
};

/// Every command that takes the engine options (`users` builds no engine).
const ALL: [&Cmd; 8] = [
    &PROBE,
    &SPEED,
    &SELFTEST,
    &FIPS_CHECK,
    &TOKEN,
    &BENCH,
    &SERVE,
    &COPY,
];

/// How an option reaches the command.
#[derive(Clone, Copy, Debug)]
enum Way {
    /// The environment variable.
    Env,
    /// The flag before the command's name (`wirecrypt --fips speed`).
    FlagBefore,
    /// The flag after it (`wirecrypt speed --fips`).
    FlagAfter,
}

const WAYS: [Way; 3] = [Way::Env, Way::FlagBefore, Way::FlagAfter];

/// A command line with an engine option placed as a [`Way`] says: the options before the
/// command's name, the arguments after it, and the variables.
struct Placed<'a> {
    before: Vec<&'a str>,
    after: Vec<&'a str>,
    vars: Vec<(&'a str, &'a str)>,
}

/// Places `flag` (e.g. `--provider=x`) or `var=value` as `way` says around `args`, plus
/// `env`.
fn place<'a>(
    args: &[&'a str],
    way: Way,
    flag: &'a str,
    var: (&'a str, &'a str),
    env: &[(&'a str, &'a str)],
) -> Placed<'a> {
    let mut p = Placed {
        before: Vec::new(),
        after: args.to_vec(),
        vars: env.to_vec(),
    };
    match way {
        Way::Env => p.vars.push(var),
        Way::FlagBefore => p.before.push(flag),
        Way::FlagAfter => p.after.push(flag),
    }
    p
}

/// Runs `cmd` with `flag` (e.g. `--provider=x`) or `var=value` as `way` says, plus `env`.
fn run_with(cmd: &Cmd, way: Way, flag: &str, var: (&str, &str), env: &[(&str, &str)]) -> Output {
    run_with_more(cmd, &[], way, flag, var, env)
}

/// [`run_with`], with `more` arguments after the command's own.
fn run_with_more(
    cmd: &Cmd,
    more: &[&str],
    way: Way,
    flag: &str,
    var: (&str, &str),
    env: &[(&str, &str)],
) -> Output {
    let args: Vec<&str> = cmd.args.iter().chain(more).copied().collect();
    let p = place(&args, way, flag, var, env);
    let argv: Vec<&str> = p
        .before
        .into_iter()
        .chain([cmd.name])
        .chain(p.after)
        .collect();
    wirecrypt(&argv, &p.vars)
}

/// Runs the binary with a clean engine environment and no PKCS#11 token configured.
fn wirecrypt(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wirecrypt"));
    cmd.args(args)
        .env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS")
        .env_remove("WIRECRYPT_SELFTEST_BREAK")
        // An empty value counts as unset: pkcs11 is unavailable in every build.
        .env("WIRECRYPT_PKCS11_MODULE", "");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the wirecrypt binary runs")
}

fn said(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", said(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", said(out)))
}

/// A refusal: the expected status, nothing on stdout, every `expect` on stderr, no panic.
fn assert_refused(cmd: &Cmd, out: &Output, expect: &[&str]) {
    assert_eq!(out.status.code(), Some(cmd.refused), "{}", said(out));
    assert!(out.stdout.is_empty(), "nothing is reported: {}", said(out));
    let err = stderr(out);
    for e in expect {
        assert!(
            err.contains(e),
            "{}: expected {e:?} in {}",
            cmd.name,
            said(out)
        );
    }
    assert!(!err.contains("panicked"), "{}", said(out));
}

/// Where a forced provider came from, as the error names it.
fn origin(way: Way, id: &str) -> String {
    match way {
        Way::Env => format!("WIRECRYPT_PROVIDER={id}: "),
        Way::FlagBefore | Way::FlagAfter => format!("--provider {id}: "),
    }
}

#[test]
fn every_command_refuses_an_unknown_provider_naming_the_valid_ones() {
    for cmd in ALL {
        for way in WAYS {
            let out = run_with(
                cmd,
                way,
                "--provider=nonexistent",
                ("WIRECRYPT_PROVIDER", "nonexistent"),
                &[],
            );
            let from = origin(way, "nonexistent");
            assert_refused(
                cmd,
                &out,
                &[
                    &from,
                    "unknown provider 'nonexistent'",
                    "rustcrypto, pkcs11",
                ],
            );
        }
    }
}

#[test]
fn every_command_refuses_an_unavailable_provider_and_says_why() {
    for cmd in [
        &PROBE,
        &SPEED,
        &SELFTEST,
        &FIPS_CHECK,
        &BENCH,
        &SERVE,
        &COPY,
    ] {
        for way in WAYS {
            let out = run_with(
                cmd,
                way,
                "--provider=pkcs11",
                ("WIRECRYPT_PROVIDER", "pkcs11"),
                &[],
            );
            // Without the feature the engine says so; with it, that no token is set.
            let why = if cfg!(feature = "pkcs11") {
                "set WIRECRYPT_PKCS11_MODULE"
            } else {
                "built without the `pkcs11` feature"
            };
            let from = origin(way, "pkcs11");
            assert_refused(
                cmd,
                &out,
                &[
                    &from,
                    "provider 'pkcs11' was requested but is unavailable here",
                    why,
                ],
            );
        }
    }
    // `token` works through pkcs11 whether or not it is forced.
    let out = wirecrypt(&["token", "show", "--label", "x"], &[]);
    let why = if cfg!(feature = "pkcs11") {
        "set WIRECRYPT_PKCS11_MODULE"
    } else {
        "rebuild with --features pkcs11"
    };
    assert_refused(&TOKEN, &out, &[why]);
}

#[test]
fn every_command_honours_a_forced_provider() {
    for way in WAYS {
        let var = ("WIRECRYPT_PROVIDER", "rustcrypto");
        let flag = "--provider=rustcrypto";

        let v = json(&run_with(&PROBE, way, flag, var, &[]));
        assert_eq!(v["forced_provider"], "rustcrypto", "{way:?}");
        for a in v["algorithms"].as_array().unwrap() {
            assert_eq!(a["provider"], "rustcrypto", "{way:?}: {a}");
            assert_eq!(a["reason"], "forced", "{way:?}: {a}");
        }

        let rows = json(&run_with(&SPEED, way, flag, var, &[]));
        let providers: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["provider"].as_str().unwrap())
            .collect();
        assert_eq!(
            providers,
            ["rustcrypto", "rustcrypto"],
            "{way:?}: seal, open"
        );

        let v = json(&run_with(&SELFTEST, way, flag, var, &[]));
        assert_eq!(v["forced_provider"], "rustcrypto", "{way:?}");
        let results = v["results"].as_array().unwrap();
        assert!(results.len() >= 10, "{way:?}: {v}");
        assert!(
            results
                .iter()
                .all(|r| r["provider"] == "rustcrypto" && r["failure"].is_null()),
            "{way:?}: {v}"
        );

        let out = run_with(&FIPS_CHECK, way, flag, var, &[]);
        assert_eq!(out.status.code(), Some(0), "{way:?}: {}", said(&out));
        assert!(stderr(&out).is_empty(), "{}", said(&out));

        // `token` works through pkcs11 only: another forced provider is an error.
        let out = run_with(&TOKEN, way, flag, var, &[]);
        let from = origin(way, "rustcrypto");
        assert_refused(
            &TOKEN,
            &out,
            &[&from, "this command works through the pkcs11 provider only"],
        );
    }
}

#[test]
fn a_command_using_one_engine_refuses_a_list_and_speed_measures_it() {
    for way in WAYS {
        let var = ("WIRECRYPT_PROVIDER", "rustcrypto,pkcs11");
        let flag = "--provider=rustcrypto,pkcs11";
        for cmd in [&PROBE, &SELFTEST, &FIPS_CHECK, &TOKEN, &SERVE, &COPY] {
            let out = run_with(cmd, way, flag, var, &[]);
            let from = origin(way, "rustcrypto,pkcs11");
            assert_refused(
                cmd,
                &out,
                &[&from, "this command uses one provider, 2 were given"],
            );
        }
        // `speed` and `bench` measure each one: pkcs11 cannot run, which fails the list.
        for cmd in [&SPEED, &BENCH] {
            let out = run_with(cmd, way, flag, var, &[]);
            assert_refused(cmd, &out, &[&origin(way, "pkcs11"), "unavailable"]);
        }
        let ok = run_with(
            &SPEED,
            way,
            "--provider=rustcrypto,RustCrypto",
            ("WIRECRYPT_PROVIDER", "rustcrypto, RustCrypto"),
            &[],
        );
        assert_eq!(json(&ok).as_array().unwrap().len(), 2, "measured once");
    }
}

#[test]
fn every_command_runs_in_fips_mode_from_the_flag_or_the_variable() {
    for way in WAYS {
        let var = ("WIRECRYPT_FIPS", "1");
        let flag = "--fips";

        let v = json(&run_with(&PROBE, way, flag, var, &[]));
        assert_eq!(v["fips_mode"], true, "{way:?}");
        for a in v["algorithms"].as_array().unwrap() {
            let approved = a["fips_approved"].as_bool().unwrap();
            assert_eq!(a["provider"].is_null(), !approved, "{way:?}: {a}");
        }

        let v = json(&run_with(&SELFTEST, way, flag, var, &[]));
        assert_eq!(v["fips_mode"], true, "{way:?}");
        assert!(v["error_state"].is_null(), "{way:?}: {v}");

        let rows = json(&run_with(&SPEED, way, flag, var, &[]));
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .all(|r| r["alg"] == "aes-128-gcm"),
            "{rows}"
        );

        // The check reports as it always does: 0 compliant, 1 not.
        let out = run_with(&FIPS_CHECK, way, flag, var, &[]);
        assert_eq!(out.status.code(), Some(0), "{way:?}: {}", said(&out));
        let not = Cmd {
            args: &[
                "check",
                "--tls-ciphersuites",
                "TLS_CHACHA20_POLY1305_SHA256",
            ],
            ..FIPS_CHECK
        };
        let out = run_with(&not, way, flag, var, &[]);
        assert_eq!(out.status.code(), Some(1), "{way:?}: {}", said(&out));

        let out = run_with(&TOKEN, way, flag, var, &[]);
        assert_eq!(out.status.code(), Some(1), "{way:?}: {}", said(&out));
    }
}

/// The first and third sessions: `speed` asked only for what FIPS mode refuses
/// measured it anyway, or measured nothing and exited 0.
#[test]
fn fips_speed_asked_only_for_refused_algorithms_fails_saying_why() {
    for way in WAYS {
        let cmd = Cmd {
            args: &[
                "--alg",
                "chacha20-poly1305",
                "--size",
                "1024",
                "--seconds",
                "0.2",
            ],
            ..SPEED
        };
        let out = run_with(&cmd, way, "--fips", ("WIRECRYPT_FIPS", "1"), &[]);
        assert_refused(
            &cmd,
            &out,
            &[
                "nothing to measure: FIPS mode refuses chacha20-poly1305",
                "not a NIST-approved cipher",
            ],
        );
        // Refused and unimplemented reasons together, each named.
        let both = Cmd {
            args: &["--alg", "chacha20-poly1305,hmac-sha1", "--seconds", "0.01"],
            ..SPEED
        };
        let out = run_with(&both, way, "--fips", ("WIRECRYPT_FIPS", "yes"), &[]);
        assert_refused(
            &both,
            &out,
            &[
                "FIPS mode refuses chacha20-poly1305",
                "FIPS mode refuses hmac-sha1",
            ],
        );
    }
    // Part refused, part measured: exit 0, the refusal noted.
    let out = wirecrypt(
        &[
            "speed",
            "--alg",
            "chacha20-poly1305,aes-256-gcm",
            "--size",
            "64",
            "--seconds",
            "0.01",
        ],
        &[("WIRECRYPT_FIPS", "on")],
    );
    assert!(out.status.success(), "{}", said(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("note: not measured: FIPS mode refuses chacha20-poly1305"),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("chacha20")), "{text}");
}

#[test]
fn speed_with_a_provider_that_implements_nothing_asked_fails_saying_why() {
    // An available provider and an algorithm it lacks, wherever this runs.
    let engine = wirecrypt::Engine::builder().ignore_env().build().unwrap();
    let Some((id, alg)) = engine.available().find_map(|p| {
        wirecrypt::Algorithm::all()
            .find(|&a| !p.supports(a))
            .map(|a| (p.id(), a))
    }) else {
        println!("SKIP: every available provider implements every algorithm here");
        return;
    };
    let out = wirecrypt(
        &[
            "speed",
            "--provider",
            id.as_str(),
            "--alg",
            alg.id(),
            "--seconds",
            "0.01",
        ],
        &[],
    );
    assert_refused(
        &SPEED,
        &out,
        &[&format!(
            "nothing to measure: {id} does not implement {}",
            alg.id()
        )],
    );
}

#[test]
fn a_flag_overrides_its_variable() {
    // --provider over WIRECRYPT_PROVIDER, on every command that takes any provider.
    for cmd in [&PROBE, &SPEED, &SELFTEST, &FIPS_CHECK] {
        for way in [Way::FlagBefore, Way::FlagAfter] {
            let mut argv: Vec<&str> = Vec::new();
            if let Way::FlagBefore = way {
                argv.push("--provider=rustcrypto");
            }
            argv.push(cmd.name);
            argv.extend(cmd.args);
            if let Way::FlagAfter = way {
                argv.push("--provider=rustcrypto");
            }
            let out = wirecrypt(&argv, &[("WIRECRYPT_PROVIDER", "nonexistent")]);
            assert!(out.status.success(), "{}: {}", cmd.name, said(&out));
        }
    }
    // --fips=off over WIRECRYPT_FIPS=1, and --fips over WIRECRYPT_FIPS=0.
    let v = json(&wirecrypt(
        &["--fips=off", "probe", "--json"],
        &[("WIRECRYPT_FIPS", "1")],
    ));
    assert_eq!(v["fips_mode"], false);
    let v = json(&wirecrypt(
        &["selftest", "--json", "--fips=off"],
        &[("WIRECRYPT_FIPS", "true")],
    ));
    assert_eq!(v["fips_mode"], false);
    let rows = json(&wirecrypt(
        &[
            "speed",
            "--alg",
            "chacha20-poly1305",
            "--size",
            "64",
            "--seconds",
            "0.01",
            "--json",
            "--fips=off",
        ],
        &[("WIRECRYPT_FIPS", "1")],
    ));
    assert!(!rows.as_array().unwrap().is_empty(), "measured: {rows}");
    let v = json(&wirecrypt(
        &["probe", "--json", "--fips"],
        &[("WIRECRYPT_FIPS", "0")],
    ));
    assert_eq!(v["fips_mode"], true);
}

#[test]
fn an_unclear_fips_variable_is_refused_by_every_command() {
    for cmd in ALL {
        let mut argv = vec![cmd.name];
        argv.extend(cmd.args);
        let out = wirecrypt(&argv, &[("WIRECRYPT_FIPS", "enabled")]);
        assert_refused(
            cmd,
            &out,
            &["WIRECRYPT_FIPS='enabled' is neither on nor off"],
        );
        // An empty variable counts as unset.
        if cmd.name == "probe" {
            let v = json(&wirecrypt(&argv, &[("WIRECRYPT_FIPS", "")]));
            assert_eq!(v["fips_mode"], false);
        }
    }
    let out = wirecrypt(&["probe", "--fips=maybe"], &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap's usage error: {}",
        said(&out)
    );
    assert!(
        stderr(&out).contains("neither on nor off"),
        "{}",
        said(&out)
    );
}

/// A fresh scratch directory for each call, however many tests run at once.
fn scratch(what: &str) -> Dir {
    static N: AtomicUsize = AtomicUsize::new(0);
    Dir::new(&format!(
        "engine-{what}-{}",
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// `bench` run as [`run_with_more`] runs it; its JSON rows.
fn bench_rows(
    more: &[&str],
    way: Way,
    flag: &str,
    var: (&str, &str),
    env: &[(&str, &str)],
) -> Vec<Value> {
    let dir = scratch("bench");
    let json = dir.path("rows.json");
    let mut args = more.to_vec();
    args.extend(["--json", json.to_str().unwrap()]);
    let out = run_with_more(&BENCH, &args, way, flag, var, env);
    assert!(out.status.success(), "{way:?}: {}", said(&out));
    let text = std::fs::read_to_string(&json).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The rows of one protocol.
fn of(rows: &[Value], protocol: &str) -> Vec<Value> {
    rows.iter()
        .filter(|r| r["protocol"] == protocol)
        .cloned()
        .collect()
}

/// The password `copy` logs in with.
const PASSWORD: (&str, &str) = ("WIRECRYPT_PASSWORD", "correct horse");
/// What `serve` serves and `copy` fetches.
const HELLO: &[u8] = b"hello through the chosen engine\n";

/// What `serve sftp` serves: a root holding hello.txt, a users file (alice) and an ECDSA
/// P-256 host key (which FIPS mode accepts).
struct Site {
    dir: Dir,
}

impl Site {
    fn new() -> Site {
        let dir = scratch("site");
        std::fs::create_dir_all(dir.path("root")).unwrap();
        std::fs::write(dir.path("root").join("hello.txt"), HELLO).unwrap();
        let users = dir.path("users");
        let out = cli_support::wirecrypt(
            &["users", "add", users.to_str().unwrap(), "alice"],
            &[],
            Some("correct horse\n"),
        );
        assert!(out.status.success(), "{}", said(&out));
        let engine = wirecrypt::Engine::builder().ignore_env().build().unwrap();
        let key = ssh_key::PrivateKey::random(
            &mut engine.rng(),
            ssh_key::Algorithm::Ecdsa {
                curve: ssh_key::EcdsaCurve::NistP256,
            },
        )
        .unwrap();
        let pem = key.to_openssh(ssh_key::LineEnding::LF).unwrap();
        std::fs::write(dir.path("host_key"), pem.as_bytes()).unwrap();
        Site { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path(name).to_str().unwrap().to_owned()
    }

    /// `serve sftp` on this site with `flag` or `var` placed as `way` says, `env` and
    /// `more` arguments; stopped when dropped.
    fn serve(
        &self,
        more: &[&str],
        way: Way,
        flag: &str,
        var: (&str, &str),
        env: &[(&str, &str)],
    ) -> Serving {
        let (root, key, users) = (self.path("root"), self.path("host_key"), self.path("users"));
        let mut args = vec![
            "sftp",
            "--root",
            &root,
            "--host-key",
            &key,
            "--users",
            &users,
        ];
        args.extend(more);
        let p = place(&args, way, flag, var, env);
        serve_with(
            &p.after,
            &Launch {
                global: &p.before,
                env: &p.vars,
                ..Launch::default()
            },
        )
    }

    /// `copy` of hello.txt from `server` as [`run_with_more`] runs it; its output, and
    /// whether what arrived is hello.txt.
    fn fetch(
        &self,
        server: &Serving,
        more: &[&str],
        way: Way,
        flag: &str,
        var: (&str, &str),
        env: &[(&str, &str)],
    ) -> (Output, bool) {
        let url = format!("sftp://alice@{}/hello.txt", server.addr);
        let local = scratch("fetched");
        let to = local.path("hello.txt");
        let known_hosts = self.path("known_hosts");
        let mut args = vec![
            url.as_str(),
            to.to_str().unwrap(),
            "--known-hosts",
            &known_hosts,
            "--accept-new-host-key",
        ];
        args.extend(more);
        let mut vars = env.to_vec();
        vars.push(PASSWORD);
        let copy = Cmd { args: &[], ..COPY };
        let out = run_with_more(&copy, &args, way, flag, var, &vars);
        let arrived = std::fs::read(&to).is_ok_and(|got| got == HELLO);
        (out, arrived)
    }
}

/// The `engine:` line `copy` wrote to standard error.
fn engine_line(out: &Output) -> String {
    stderr(out)
        .lines()
        .find(|l| l.starts_with("engine: "))
        .unwrap_or_else(|| panic!("no engine line: {}", said(out)))
        .to_owned()
}

/// An `engine:` line that names `id` as the only provider.
fn assert_only_provider(line: &str, id: &str) {
    assert!(
        line.starts_with(&format!("engine: provider {id} for ")),
        "{line}"
    );
    assert_eq!(line.matches("provider ").count(), 1, "{line}");
}

#[test]
fn bench_serve_and_copy_honour_a_forced_provider() {
    let site = Site::new();
    for way in WAYS {
        let var = ("WIRECRYPT_PROVIDER", "rustcrypto");
        let flag = "--provider=rustcrypto";

        let rows = bench_rows(&[], way, flag, var, &[]);
        let ftps = of(&rows, "ftps");
        assert_eq!(ftps.len(), 2, "{way:?}: upload, download: {rows:?}");
        for r in &ftps {
            assert_eq!(r["provider"], "rustcrypto", "{way:?}: {r}");
            assert_eq!(r["verified"], true, "{way:?}: {r}");
        }

        let server = site.serve(&[], way, flag, var, &[]);
        assert_only_provider(server.engine.trim(), "rustcrypto");
        assert!(
            server.engine.contains("chacha20-poly1305@openssh.com"),
            "{}",
            server.engine
        );
        assert!(
            server.engine.trim().ends_with("FIPS mode off"),
            "{}",
            server.engine
        );
        let (out, arrived) = site.fetch(&server, &[], way, flag, var, &[]);
        assert!(arrived, "{way:?}: {}", said(&out));
        assert_only_provider(&engine_line(&out), "rustcrypto");
    }
}

#[test]
fn bench_serve_and_copy_run_in_fips_mode_from_the_flag_or_the_variable() {
    let site = Site::new();
    for way in WAYS {
        let var = ("WIRECRYPT_FIPS", "1");
        let flag = "--fips";

        // Asked only for what FIPS mode refuses: nothing runs, the reason is given.
        let out = run_with_more(
            &BENCH,
            &["--ciphers", "chacha20-poly1305"],
            way,
            flag,
            var,
            &[],
        );
        assert_refused(
            &BENCH,
            &out,
            &[
                "nothing to measure: FIPS mode refuses chacha20-poly1305",
                "not a NIST-approved cipher",
            ],
        );
        let rows = bench_rows(&["--ciphers", "aes-256-gcm"], way, flag, var, &[]);
        let ftps = of(&rows, "ftps");
        assert_eq!(ftps.len(), 2, "{way:?}: {rows:?}");
        assert!(
            ftps.iter().all(|r| r["fips_mode"] == true
                && r["cipher"] == "aes-256-gcm"
                && r["verified"] == true),
            "{way:?}: {rows:?}"
        );
        // The plain FTP baseline protects nothing: not marked.
        assert!(
            of(&rows, "ftp").iter().all(|r| r["fips_mode"] == false),
            "{rows:?}"
        );

        let chacha = ["--ciphers", "chacha20-poly1305@openssh.com"];
        let out = run_with_more(&SERVE, &chacha, way, flag, var, &[]);
        assert_refused(
            &SERVE,
            &out,
            &["no cipher to serve with: chacha20-poly1305@openssh.com: FIPS mode refuses"],
        );
        let out = run_with_more(&COPY, &chacha, way, flag, var, &[]);
        assert_refused(
            &COPY,
            &out,
            &["no cipher to connect with: chacha20-poly1305@openssh.com: FIPS mode refuses"],
        );

        let server = site.serve(&[], way, flag, var, &[]);
        assert!(server.line.contains("(FIPS mode)"), "{}", server.line);
        let line = server.engine.trim();
        assert!(line.ends_with("; FIPS mode on"), "{line}");
        assert!(
            line.contains("aes256-gcm@openssh.com") && !line.contains("chacha"),
            "{line}"
        );
        let (out, arrived) = site.fetch(&server, &[], way, flag, var, &[]);
        assert!(arrived, "{way:?}: {}", said(&out));
        assert!(
            engine_line(&out).ends_with("; FIPS mode on"),
            "{}",
            said(&out)
        );
    }
}

#[test]
fn bench_serve_and_copy_take_the_flag_over_the_variable() {
    let site = Site::new();
    // Every run passes a flag (the `var` slot is unused); the variable comes in `env`.
    // --provider over WIRECRYPT_PROVIDER: the variable's provider could not run.
    let env = [("WIRECRYPT_PROVIDER", "nonexistent")];
    let rows = bench_rows(&[], Way::FlagAfter, "--provider=rustcrypto", ("", ""), &env);
    assert!(
        of(&rows, "ftps")
            .iter()
            .all(|r| r["provider"] == "rustcrypto"),
        "{rows:?}"
    );
    let server = site.serve(
        &[],
        Way::FlagBefore,
        "--provider=rustcrypto",
        ("", ""),
        &env,
    );
    assert_only_provider(server.engine.trim(), "rustcrypto");
    let (out, arrived) = site.fetch(
        &server,
        &[],
        Way::FlagAfter,
        "--provider=rustcrypto",
        ("", ""),
        &env,
    );
    assert!(arrived, "{}", said(&out));
    assert_only_provider(&engine_line(&out), "rustcrypto");
    drop(server);

    // --fips=off over WIRECRYPT_FIPS=1: ChaCha20-Poly1305 runs.
    let env = [("WIRECRYPT_FIPS", "1")];
    let rows = bench_rows(
        &["--ciphers", "chacha20-poly1305"],
        Way::FlagBefore,
        "--fips=off",
        ("", ""),
        &env,
    );
    let ftps = of(&rows, "ftps");
    assert!(
        !ftps.is_empty()
            && ftps
                .iter()
                .all(|r| r["verified"] == true && r["fips_mode"] == false),
        "{rows:?}"
    );
    let chacha = ["--ciphers", "chacha20-poly1305@openssh.com"];
    let server = site.serve(&chacha, Way::FlagAfter, "--fips=off", ("", ""), &env);
    assert!(
        server.engine.trim().ends_with("FIPS mode off"),
        "{}",
        server.engine
    );
    let (out, arrived) = site.fetch(
        &server,
        &chacha,
        Way::FlagBefore,
        "--fips=off",
        ("", ""),
        &env,
    );
    assert!(arrived, "{}", said(&out));
    assert!(
        stderr(&out).contains("SSH chacha20-poly1305@openssh.com by wirecrypt"),
        "{}",
        said(&out)
    );
}
