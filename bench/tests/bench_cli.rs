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
        // Both ends are ours, in this process: each end's share is read apart, and
        // the shares make up the whole.
        let (client, server) = (
            row["client_cpu_seconds_per_gb"]
                .as_f64()
                .expect("client share"),
            row["server_cpu_seconds_per_gb"]
                .as_f64()
                .expect("server share"),
        );
        let total = row["cpu_seconds_per_gb"].as_f64().unwrap();
        assert!((client + server - total).abs() < 1e-9, "{row}");
        assert_eq!(row["cpu_both_ends"], true, "{row}");
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
fn sftp_rows_of_ours_for_every_cipher_verify() {
    let json = json_file("sftp");
    let ciphers = [
        "aes256-gcm@openssh.com",
        "aes128-gcm@openssh.com",
        "chacha20-poly1305@openssh.com",
        "aes128-ctr+hmac-sha2-256-etm@openssh.com",
    ];
    let out = wirecrypt(&[
        "bench",
        "--protocols",
        "sftp",
        "--ciphers",
        &ciphers.join(","),
        "--size",
        "2MiB",
        "--runs",
        "1",
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
    let sftp: Vec<_> = rows.iter().filter(|r| r["protocol"] == "sftp").collect();
    // Each cipher: 2 directions x 2 stream counts, wirecrypt at both ends.
    assert_eq!(sftp.len(), ciphers.len() * 4, "{rows:#?}");
    for cipher in ciphers {
        assert_eq!(
            sftp.iter().filter(|r| r["cipher"] == cipher).count(),
            4,
            "{cipher}"
        );
    }
    for row in sftp {
        assert!(row["error"].is_null(), "{row}");
        assert!(row["peer"].is_null(), "{row}");
        assert_eq!(row["verified"], true, "{row}");
        let streams = row["streams"].as_u64().unwrap();
        assert_eq!(row["bytes"].as_u64().unwrap(), streams * 2 * 1024 * 1024);
        assert!(row["ratio_to_ftp"].as_f64().unwrap() > 0.0, "{row}");
        assert!(
            !row["provider"].as_str().unwrap().starts_with("refused"),
            "{row}"
        );
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
    // Nothing asked can be measured: plain FTP alone is not measured instead.
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing to measure: FIPS mode refuses chacha20-poly1305"),
        "{err}"
    );
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
        "wirecrypt -> sshd",
        "sftp -> wirecrypt",
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

/// Chromium, where the machine has it.
fn chromium() -> Option<std::path::PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn the_report_renders_its_charts_in_a_browser() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing (scripts/setup installs it)"
        );
        println!("SKIP: chromium is not installed");
        return;
    };
    let dir = std::env::temp_dir().join(format!("wirecrypt-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.html");
    let out = wirecrypt(&[
        "bench",
        "--protocols",
        "ftp,ftps",
        "--streams",
        "1,2",
        "--size",
        "1MiB",
        "--runs",
        "1",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The browser lays the page out; a script then records, for every chart, its
    // rendered width and how many drawn rectangles have an area.
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(page.contains("The comparison chart"), "no comparison chart");
    let probe = page.replace(
        "</body>",
        "<script>document.body.setAttribute('data-charts', [...document.querySelectorAll('svg')]\
         .map(s => Math.round(s.getBoundingClientRect().width) + ':' + [...s.querySelectorAll('rect')]\
         .filter(r => r.getBBox().width > 0 && r.getBBox().height > 0).length).join(','));</script></body>",
    );
    let probed = dir.join("probe.html");
    std::fs::write(&probed, probe).unwrap();
    let dom = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", probed.display()))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let dom = String::from_utf8_lossy(&dom.stdout);
    let charts = dom
        .split("data-charts=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| {
            panic!(
                "the page's script did not run: {}",
                &dom[..dom.len().min(500)]
            )
        });
    let charts: Vec<(u32, u32)> = charts
        .split(',')
        .map(|c| {
            let (w, n) = c.split_once(':').unwrap();
            (w.parse().unwrap(), n.parse().unwrap())
        })
        .collect();
    println!("charts rendered (width px : drawn rectangles): {charts:?}");
    // Throughput and CPU for each direction, and the scaling chart.
    assert_eq!(charts.len(), 5, "{charts:?}");
    for (width, rects) in &charts {
        assert!(*width >= 600, "a chart rendered {width} px wide");
        assert!(*rects >= 1, "a chart rendered no background: {charts:?}");
    }
    // The throughput charts (upload, download) show a bar for ftp and one for ftps
    // beside their background.
    for i in [0, 2] {
        assert!(
            charts[i].1 >= 3,
            "throughput chart {i} drew too few bars: {charts:?}"
        );
    }
}
